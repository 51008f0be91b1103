package dev.offkern.runtime.ke;

import dev.offkern.layout.ex.EX_TIMER;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The kernel half of the executive timer ({@code EX_TIMER}, see its layout class): the state
 * transitions that must be atomic with the timer table — arm, cancel, expire, deliver, delete —
 * each one step under the timer-table lock. The executive half ({@code ex.ExTimer}) allocates and
 * frees the object, validates parameters, and calls the callbacks.
 *
 * <h2>State (EX_TIMER.State, under the timer-table lock)</h2>
 * <ul>
 *   <li>Live: set at allocation ({@link #register}), cleared by the one call that finalizes the
 *       object; the table's set of live EX_TIMER addresses holds exactly the Live ones, and every
 *       routine checks membership before it touches the memory, so a freed (or never allocated)
 *       EX_TIMER is refused: TIMER_OR_DPC_INVALID (0xC7: 0, the pointer, the pointer, its end).</li>
 *   <li>CallbacksInFlight: deliveries queued or running. The timer table increments it when an
 *       expiry queues the timer's DPC (an expiry that finds the DPC still queued adds nothing: one
 *       DPC run serves both, as for a KTIMER); the DPC routine decrements it when its callback has
 *       returned ({@link #endCallback}); ExDeleteTimer with Cancel decrements it for a queued DPC
 *       it removes. Zero and the KTIMER not in the table means quiescent: nothing will touch the
 *       object again.</li>
 *   <li>Disabled (ExDeleteTimer ran): set and cancel return FALSE and change nothing, a periodic
 *       timer is not re-armed (it fires at most once more). Cancelled (deleted with Cancel=TRUE): a
 *       delivery that starts afterwards calls no callback. DeleteOnExpiry (deleted while not
 *       quiescent, without Wait): the delivery that makes it quiescent finalizes it.</li>
 * </ul>
 * Finalizing = clearing Live and leaving the registry, under the lock, by exactly one caller, which
 * then (outside the lock) calls the delete callback and frees the memory. The claim is the removal
 * from the table's set of live EX_TIMER addresses (Java memory, which no caller can write): every
 * finalizing path checks that the removal happened, so the block goes back to the pool exactly once
 * even if a stray write into the EX_TIMER (a caller's stale pointer) has corrupted its State bits —
 * a finalizer that finds the timer already gone frees nothing ({@link #tryFinalizeWaited} says
 * {@link #NOT_LIVE}).
 *
 * <p>Progress: blocking (the timer-table lock); {@link #tryFinalizeWaited} polls (PASSIVE/APC level).
 */
public final class ExTimerCore {
    /** Result: the pointer is no live EX_TIMER (the caller raises 0xC7). */
    public static final int NOT_LIVE = -1;
    /** {@link #delete} result bit: the timer was already disabled (a second ExDeleteTimer: FALSE, no effect). */
    public static final int DELETE_ALREADY = 1;
    /** {@link #delete} result bit: a pending expiry was cancelled (ExDeleteTimer returns TRUE). */
    public static final int DELETE_CANCELLED = 2;
    /** {@link #delete} result bit: the caller finalizes now (delete callback, free). */
    public static final int DELETE_FINALIZE = 4;
    /** {@link #delete} result bit: the caller waits ({@link #tryFinalizeWaited}), then finalizes. */
    public static final int DELETE_WAIT = 8;
    /** {@link #tryFinalizeWaited} result: not quiescent yet, poll again. */
    public static final int WAIT_PENDING = 0;
    /** {@link #tryFinalizeWaited} result: finalized by this call; the caller calls the delete callback and frees. */
    public static final int WAIT_FINALIZED = 1;
    /** {@link #beginCallback} result: call the callback. */
    public static final int CALL = 1;
    /** {@link #beginCallback} result: a delivery of a timer deleted with Cancel: no callback, but count it down. */
    public static final int SKIP = 0;
    /** {@link #beginCallback} result: no delivery is outstanding (a stray run of the DPC): do nothing at all. */
    public static final int STRAY = -2;

    private static final long SIZE = EX_TIMER.X64.size();
    private static final int IN_FLIGHT_ONE = 1 << EX_TIMER.STATE_IN_FLIGHT_SHIFT;

    private ExTimerCore() {
    }

    /** The bytes of an x64 EX_TIMER. */
    public static long size() {
        return SIZE;
    }

    /**
     * Makes the initialized EX_TIMER at {@code timer} (KTIMER and KDPC initialized, fields set)
     * live: State := Live.
     */
    public static void register(KernelCore k, long timer) {
        TimerTable table = k.clock().timers();
        Region r = k.addressSpace().regionOf(timer, SIZE);
        table.lock();
        try {
            STATE.setVolatile(r.segment(), r.offsetOf(timer) + EX_TIMER.STATE_OFFSET, EX_TIMER.STATE_LIVE);
            table.addExTimer(timer);
            if (k.liveObjects() != null) {
                k.liveObjects().exTimerAllocated(timer);
            }
        } finally {
            table.unlock();
        }
    }

    /** Whether {@code timer} is a live EX_TIMER now. */
    public static boolean isLive(KernelCore k, long timer) {
        TimerTable table = k.clock().timers();
        table.lock();
        try {
            return table.isExTimer(timer);
        } finally {
            table.unlock();
        }
    }

    /**
     * ExSetTimer's transition: unless disabled, replaces any pending expiry by one at interrupt
     * time {@code due} re-armed every {@code period} (100 ns, 0 one-shot), not signalled until then.
     *
     * @return 1 if a pending expiry was replaced, 0 if none was (or the timer is disabled), {@link #NOT_LIVE}
     */
    public static int set(ThreadState t, long timer, long due, long period, long noWakeTolerance, boolean absolute) {
        KernelCore k = t.kernel();
        TimerTable table = k.clock().timers();
        AddressSpace as = k.addressSpace();
        KeClock clock = k.clock();
        boolean wake = false;
        int result;
        table.lock();
        try {
            if (!table.isExTimer(timer)) {
                return NOT_LIVE;
            }
            Region r = as.regionOf(timer, SIZE);
            MemorySegment seg = r.segment();
            long off = r.offsetOf(timer);
            int st = state(seg, off);
            if ((st & EX_TIMER.STATE_DISABLED) != 0) {
                return 0;
            }
            table.countSet(); // the live counters' "timers set" counts ExSetTimer too
            result = table.unlink(as, seg, off) ? 1 : 0;
            if (Dispatcher.signalState(seg, off) != 0) {
                Dispatcher.setSignalState(seg, off, 0); // a reset wakes nobody: the table lock suffices (see TimerTable)
            }
            seg.set(ValueLayout.JAVA_LONG, off + KTIMER.DUE_TIME_OFFSET, due);
            seg.set(ValueLayout.JAVA_INT, off + KTIMER.PERIOD_OFFSET, 0);
            seg.set(ValueLayout.JAVA_LONG, off + KTIMER.DPC_OFFSET, timer + EX_TIMER.TIMER_DPC_OFFSET);
            seg.set(ValueLayout.JAVA_SHORT, off + KTIMER.PROCESSOR_OFFSET, (short) t.processorNumber());
            seg.set(ValueLayout.JAVA_LONG, off + EX_TIMER.PERIOD_OFFSET, period);
            seg.set(ValueLayout.JAVA_LONG, off + EX_TIMER.NO_WAKE_TOLERANCE_OFFSET, noWakeTolerance);
            KeTimer.setAbsoluteFlag(seg, off, absolute);
            STATE.setVolatile(seg, off + EX_TIMER.STATE_OFFSET, st + (1 << EX_TIMER.STATE_GENERATION_SHIFT)); // generation wraps into nothing
            wake = table.arm(t, as, seg, off, due, clock.interruptTimePrecise());
        } finally {
            table.unlock();
        }
        if (wake) {
            table.wakeClock();
        }
        return result;
    }

    /** ExCancelTimer's transition: 1 if a pending expiry was removed, 0 if none (or disabled), {@link #NOT_LIVE}. */
    public static int cancel(KernelCore k, long timer) {
        return transition(k, timer, NOT_LIVE, (kc, table, seg, off, st) ->
                (st & EX_TIMER.STATE_DISABLED) != 0 ? 0 : table.unlink(kc.addressSpace(), seg, off) ? 1 : 0);
    }

    /**
     * ExDeleteTimer's transition: disables the timer; with {@code cancel}, removes the pending
     * expiry and a queued (not yet running) delivery, and marks it Cancelled. Then, if the timer is
     * quiescent, finalizes it ({@link #DELETE_FINALIZE}); else with {@code wait} the caller waits
     * ({@link #DELETE_WAIT}); else the delivery that ends last finalizes it (DeleteOnExpiry).
     * {@code deleteCallback}/{@code deleteContext} (EXT_DELETE_PARAMETERS) are stored in the same
     * step, so a second ExDeleteTimer changes nothing.
     *
     * @return a combination of the DELETE_* bits, or {@link #NOT_LIVE}
     */
    public static int delete(KernelCore k, long timer, boolean cancel, boolean wait, long deleteCallback, long deleteContext) {
        return transition(k, timer, NOT_LIVE, (kc, table, seg, off, st) ->
                deleteStep(kc, table, seg, off, st, cancel, wait, deleteCallback, deleteContext));
    }

    private static int deleteStep(KernelCore k, TimerTable table, MemorySegment seg, long off, int st, boolean cancel,
                                  boolean wait, long deleteCallback, long deleteContext) {
        AddressSpace as = k.addressSpace();
        long timer = seg.address() + off;
        if ((st & EX_TIMER.STATE_DISABLED) != 0) {
            return DELETE_ALREADY;
        }
        st |= EX_TIMER.STATE_DISABLED;
        seg.set(ValueLayout.JAVA_LONG, off + EX_TIMER.DELETE_CALLBACK_OFFSET, deleteCallback);
        seg.set(ValueLayout.JAVA_LONG, off + EX_TIMER.DELETE_CONTEXT_OFFSET, deleteContext);
        int result = 0;
        if (cancel) {
            st |= EX_TIMER.STATE_CANCELLED;
            if (table.unlink(as, seg, off)) {
                result |= DELETE_CANCELLED;
            }
            if (inFlight(st) > 0 && DpcQueue.remove(as, k.liveObjects(), seg, off + EX_TIMER.TIMER_DPC_OFFSET)) {
                st -= IN_FLIGHT_ONE; // that delivery will never run
            }
        }
        if (quiescent(seg, off, st) && forget(k, table, timer)) { // forget: the claim (membership checked by transition)
            st &= ~EX_TIMER.STATE_LIVE;
            result |= DELETE_FINALIZE;
        } else if (wait) {
            result |= DELETE_WAIT;
        } else {
            st |= EX_TIMER.STATE_DELETE_ON_EXPIRY;
        }
        STATE.setVolatile(seg, off + EX_TIMER.STATE_OFFSET, st);
        return result;
    }

    /**
     * Whether the deleted timer (Cancel, Wait) is quiescent now; if so finalizes it (the caller
     * then frees it). Polled by ExDeleteTimer with Wait=TRUE, which is the only one that may
     * finalize it (DeleteOnExpiry is not set).
     *
     * @return {@link #WAIT_FINALIZED}, {@link #WAIT_PENDING}, or {@link #NOT_LIVE} if the timer is no
     *         live EX_TIMER any more (finalized by someone else, which only a corrupted State word
     *         allows: the caller must then free nothing)
     */
    public static int tryFinalizeWaited(KernelCore k, long timer) {
        return transition(k, timer, NOT_LIVE, (kc, table, seg, off, st) -> {
            if (!quiescent(seg, off, st)) {
                return WAIT_PENDING;
            }
            forget(kc, table, seg.address() + off); // the claim (membership checked by transition)
            STATE.setVolatile(seg, off + EX_TIMER.STATE_OFFSET, st & ~EX_TIMER.STATE_LIVE);
            return WAIT_FINALIZED;
        });
    }

    /**
     * The start of a delivery (the timer's DPC routine, at DISPATCH_LEVEL): {@link #CALL} if the
     * callback is to be called (ExpirationCount + 1), {@link #SKIP} if the timer was deleted with
     * Cancel meanwhile (no callback, {@link #endCallback} still counts the delivery down), or
     * {@link #STRAY} if no delivery is outstanding (the KDPC was queued by someone else).
     */
    public static int beginCallback(KernelCore k, long timer) {
        return transition(k, timer, STRAY, (kc, table, seg, off, st) -> {
            if (inFlight(st) == 0) {
                return STRAY;
            }
            if ((st & EX_TIMER.STATE_CANCELLED) != 0) {
                return SKIP;
            }
            int n = seg.get(ValueLayout.JAVA_INT, off + EX_TIMER.EXPIRATION_COUNT_OFFSET);
            seg.set(ValueLayout.JAVA_INT, off + EX_TIMER.EXPIRATION_COUNT_OFFSET, n + 1);
            return CALL;
        });
    }

    /**
     * The end of a delivery begun with CALL or SKIP: counts it down; returns true if the timer is
     * now quiescent, deleted (Disabled) with DeleteOnExpiry set, in which case it has been
     * finalized and the caller calls the delete callback and frees it.
     */
    public static boolean endCallback(KernelCore k, long timer) {
        return transition(k, timer, 0, (kc, table, seg, off, st) -> {
            if (inFlight(st) > 0) {
                st -= IN_FLIGHT_ONE;
            }
            int deleteOnExpiry = EX_TIMER.STATE_DISABLED | EX_TIMER.STATE_DELETE_ON_EXPIRY;
            boolean finalize = (st & deleteOnExpiry) == deleteOnExpiry && quiescent(seg, off, st)
                    && forget(kc, table, seg.address() + off); // the claim (membership checked by transition)
            if (finalize) {
                st &= ~EX_TIMER.STATE_LIVE;
            }
            STATE.setVolatile(seg, off + EX_TIMER.STATE_OFFSET, st);
            return finalize ? 1 : 0;
        }) == 1;
    }

    // ----- called by the timer table, under its lock -----

    /** The re-arm step (100 ns) of the EX_TIMER whose KTIMER is at {@code off}: 0 if one-shot or disabled. */
    static long rearmStep(MemorySegment seg, long off) {
        if ((state(seg, off) & EX_TIMER.STATE_DISABLED) != 0) {
            return 0;
        }
        return Math.max(0, seg.get(ValueLayout.JAVA_LONG, off + EX_TIMER.PERIOD_OFFSET));
    }

    /** An expiry queued the EX_TIMER's DPC: one more delivery outstanding. */
    static void deliveryQueued(MemorySegment seg, long off) {
        int st = state(seg, off);
        if (inFlight(st) < EX_TIMER.STATE_IN_FLIGHT_MASK) {
            STATE.setVolatile(seg, off + EX_TIMER.STATE_OFFSET, st + IN_FLIGHT_ONE);
        }
    }

    // ----- helpers -----

    /** One state transition of a live EX_TIMER: runs under the timer-table lock, its memory resolved. */
    @FunctionalInterface
    private interface Transition {
        /** @param st the State word as read under the lock */
        int apply(KernelCore k, TimerTable table, MemorySegment seg, long off, int st);
    }

    /**
     * Runs {@code step} under the timer-table lock on the EX_TIMER at {@code timer} if it is live
     * (in the table's set, checked before its memory is touched), else returns {@code notLive}.
     */
    private static int transition(KernelCore k, long timer, int notLive, Transition step) {
        TimerTable table = k.clock().timers();
        table.lock();
        try {
            if (!table.isExTimer(timer)) {
                return notLive;
            }
            Region r = k.addressSpace().regionOf(timer, SIZE);
            MemorySegment seg = r.segment();
            long off = r.offsetOf(timer);
            return step.apply(k, table, seg, off, state(seg, off));
        } finally {
            table.unlock();
        }
    }

    /**
     * Finalizes: the timer leaves the live set (and the verifier's registry). Under the lock. The
     * removal is the one claim of the right to free: true for exactly one caller per allocation.
     */
    private static boolean forget(KernelCore k, TimerTable table, long timer) {
        if (!table.removeExTimer(timer)) {
            return false;
        }
        if (k.liveObjects() != null) {
            k.liveObjects().exTimerFreed(timer);
        }
        return true;
    }

    private static boolean quiescent(MemorySegment seg, long off, int st) {
        return inFlight(st) == 0 && !TimerTable.inserted(seg, off)
                && DpcQueue.dpcData(seg, off + EX_TIMER.TIMER_DPC_OFFSET) == 0;
    }

    private static int inFlight(int st) {
        return (st >>> EX_TIMER.STATE_IN_FLIGHT_SHIFT) & EX_TIMER.STATE_IN_FLIGHT_MASK;
    }

    /** EX_TIMER.State (volatile read: also read outside the lock by diagnostics). */
    static int state(MemorySegment seg, long off) {
        return (int) STATE.getVolatile(seg, off + EX_TIMER.STATE_OFFSET);
    }

    /** EX_TIMER.State of the timer at {@code timer} (diagnostics, tests; a racy read). */
    public static int stateOf(KernelCore k, long timer) {
        Region r = k.addressSpace().regionOf(timer, SIZE);
        return state(r.segment(), r.offsetOf(timer));
    }

    /** The KDPC of an EX_TIMER at {@code timer}. */
    public static long dpcOf(long timer) {
        return timer + EX_TIMER.TIMER_DPC_OFFSET;
    }

    static {
        if (EX_TIMER.TIMER_DPC_OFFSET < KTIMER.X64.size() || KDPC.X64.size() + EX_TIMER.TIMER_DPC_OFFSET > SIZE) {
            throw new ExceptionInInitializerError("EX_TIMER layout: TimerDpc must follow KeTimer");
        }
    }

    // ----- VarHandle mechanics -----
    /** EX_TIMER.State: written under the timer-table lock (volatile so lock-free diagnostics see whole values). */
    private static final VarHandle STATE = ValueLayout.JAVA_INT.varHandle();
}
