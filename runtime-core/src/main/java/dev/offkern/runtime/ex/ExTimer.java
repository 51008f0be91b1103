package dev.offkern.runtime.ex;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ex.EXT_DELETE_PARAMETERS;
import dev.offkern.layout.ex.EXT_SET_PARAMETERS;
import dev.offkern.layout.ex.EX_TIMER;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.EXT_CALLBACK;
import dev.offkern.nt.EXT_DELETE_CALLBACK;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.ke.ExTimerCore;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.KeClock;
import dev.offkern.runtime.ke.KeDpc;
import dev.offkern.runtime.ke.KeTimer;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.RoutineTable;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.locks.LockSupport;

/**
 * Executive timers (Windows 8.1+): {@code ExAllocateTimer}, {@code ExSetTimer},
 * {@code ExCancelTimer}, {@code ExDeleteTimer}, {@code ExInitializeSetTimerParameters},
 * {@code ExInitializeDeleteTimerParameters}, on offkern's {@code EX_TIMER} (a KTIMER, its KDPC and
 * the executive fields, in one non-paged pool block tagged {@link #TAG}).
 *
 * <h2>Contract (as Windows documents it)</h2>
 * <ul>
 *   <li>ExAllocateTimer: a new, not-set timer; synchronization unless EX_TIMER_NOTIFICATION; NULL
 *       if Attributes has a bit other than HIGH_RESOLUTION, NO_WAKE, NOTIFICATION or the pool is
 *       exhausted.</li>
 *   <li>ExSetTimer: DueTime negative relative, else absolute (100 ns); Period 100 ns, 0 one-shot;
 *       TRUE if a pending expiry was replaced; FALSE and no effect once ExDeleteTimer disabled the
 *       timer. Each expiry signals the timer (a dispatcher object: KeWaitForSingleObject works on
 *       it) and runs Callback(Timer, CallbackContext) at DISPATCH_LEVEL from the timer's DPC.</li>
 *   <li>ExCancelTimer: TRUE if it removed a pending expiry (its callback will not run for it).</li>
 *   <li>ExDeleteTimer: disables the timer (later set/cancel/delete: FALSE, no effect), cancels the
 *       pending expiry with Cancel (TRUE if there was one; also drops a delivery still queued), and
 *       frees the object once nothing is pending or running — at once if it is quiescent; with
 *       Wait, after waiting for the running callback; else when the last outstanding expiry's
 *       callback returns. The delete callback runs once, at DISPATCH_LEVEL, just before the
 *       free. Without Cancel a pending expiry still fires (a periodic timer at most once more).
 *       After ExDeleteTimer with Wait returns, nothing of the timer runs again.</li>
 * </ul>
 *
 * <h2>Where offkern decides (Windows documents "a bug check" without a code)</h2>
 * Bad parameters are KMODE_EXCEPTION_NOT_HANDLED (0x1E: STATUS_INVALID_PARAMETER, 0, the timer, the
 * rule below), what an unhandled ExRaiseStatus(STATUS_INVALID_PARAMETER) in the routine would be:
 * {@link #RULE_HIGH_RESOLUTION_NO_WAKE} ExAllocateTimer with both; {@link #RULE_ABSOLUTE_HIGH_RESOLUTION}
 * a non-negative DueTime on a high-resolution timer; {@link #RULE_NO_WAKE_TOLERANCE} a negative
 * NoWakeTolerance other than -1; {@link #RULE_PERIOD} a Period outside 0..MAXLONG;
 * {@link #RULE_WAIT_WITHOUT_CANCEL} ExDeleteTimer Wait=TRUE with Cancel=FALSE;
 * {@link #RULE_VERSION} a parameter structure whose Version is not 0;
 * {@link #RULE_CANCEL_PARAMETERS} a non-NULL ExCancelTimer Parameters. A pointer that is not a
 * live EX_TIMER (freed by ExDeleteTimer, or never allocated) is TIMER_OR_DPC_INVALID (0xC7: 0, the
 * pointer, the pointer, the pointer + sizeof(EX_TIMER)): a timer found where no timer may be.
 * ExDeleteTimer with Wait above APC_LEVEL is DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1: the timer, IRQL,
 * 1, 0) always (it would wait for itself from inside its own callback); the other IRQL rules
 * (≤ DISPATCH_LEVEL) are the verifier's (0xD1). NoWakeTolerance lets a no-wake timer expire up to
 * that much later (coalesced as KeSetCoalescableTimer does; unlimited = at its due time, since
 * offkern's processors never sleep); a high-resolution timer expires at the first clock tick after
 * its due time like every offkern timer (1 ms ticks by default), never early.
 *
 * <p>The free is the pool's, with its checks: an EX_TIMER whose POOL_HEADER a stray write has
 * corrupted (a caller writing through a stale pointer into memory the timer now occupies) makes
 * ExDeleteTimer (or the delivery that frees the timer) raise what ExFreePoolWithTag would raise
 * for that header — BAD_POOL_HEADER (0x19) or BAD_POOL_CALLER (0xC2: 0x07 when the type says free,
 * 0x0A when the tag is not ExTm) — after the timer has left the live set (so it is freed at most
 * once: the block stays allocated, and a later use of the pointer is 0xC7).
 *
 * <p>Progress: blocking (the timer-table lock; ExDeleteTimer with Wait polls until the running
 * callback returns).
 */
public final class ExTimer {
    /** The pool tag of EX_TIMER blocks. */
    public static final int TAG = PoolTags.tag("ExTm");
    /** sizeof(EX_TIMER) on x64. */
    public static final long SIZE = EX_TIMER.X64.size();
    /** 0x1E P4: ExAllocateTimer with EX_TIMER_HIGH_RESOLUTION and EX_TIMER_NO_WAKE. */
    public static final int RULE_HIGH_RESOLUTION_NO_WAKE = 1;
    /** 0x1E P4: ExSetTimer with a non-negative (absolute) DueTime on a high-resolution timer. */
    public static final int RULE_ABSOLUTE_HIGH_RESOLUTION = 2;
    /** 0x1E P4: ExSetTimer with a negative NoWakeTolerance other than EX_TIMER_UNLIMITED_TOLERANCE. */
    public static final int RULE_NO_WAKE_TOLERANCE = 3;
    /** 0x1E P4: ExSetTimer with a Period outside 0..MAXLONG. */
    public static final int RULE_PERIOD = 4;
    /** 0x1E P4: ExDeleteTimer with Wait=TRUE and Cancel=FALSE. */
    public static final int RULE_WAIT_WITHOUT_CANCEL = 5;
    /** 0x1E P4: an EXT_SET_PARAMETERS / EXT_DELETE_PARAMETERS whose Version is not 0. */
    public static final int RULE_VERSION = 6;
    /** 0x1E P4: ExCancelTimer with non-NULL Parameters. */
    public static final int RULE_CANCEL_PARAMETERS = 7;

    private static final int KNOWN_ATTRIBUTES = EX_TIMER.EX_TIMER_HIGH_RESOLUTION | EX_TIMER.EX_TIMER_NO_WAKE
            | EX_TIMER.EX_TIMER_NOTIFICATION;
    private static final long MAXLONG = 0x7FFFFFFFL;

    private ExTimer() {
    }

    // ===== ExAllocateTimer =====

    /** {@code ExAllocateTimer(Callback, CallbackContext, Attributes)} with a Java callback (or null). IRQL: ≤ DISPATCH_LEVEL. */
    public static MemorySegment allocate(ExTimers reg, EXT_CALLBACK callback, MemorySegment context, int attributes) {
        long routine = callback == null ? 0 : reg.core.routines().stubFor(callback,
                CALLBACK_UPCALL.bindTo(callback).bindTo(reg.core), CALLBACK_DESCRIPTOR);
        return allocate(reg, routine, context, attributes);
    }

    /** {@code ExAllocateTimer} with a native function pointer (of a registered library) or NULL. */
    public static MemorySegment allocate(ExTimers reg, MemorySegment nativeCallback, MemorySegment context, int attributes) {
        return allocate(reg, address(nativeCallback), context, attributes);
    }

    private static MemorySegment allocate(ExTimers reg, long routine, MemorySegment context, int attributes) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.DISPATCH_LEVEL, "ExAllocateTimer");
        }
        if ((attributes & ~KNOWN_ATTRIBUTES) != 0) {
            return MemorySegment.NULL;
        }
        int both = EX_TIMER.EX_TIMER_HIGH_RESOLUTION | EX_TIMER.EX_TIMER_NO_WAKE;
        if ((attributes & both) == both) {
            throw invalid(t.kernel(), 0, RULE_HIGH_RESOLUTION_NO_WAKE,
                    "ExAllocateTimer: EX_TIMER_HIGH_RESOLUTION and EX_TIMER_NO_WAKE are mutually exclusive");
        }
        Pool pool = reg.pools.nonPaged();
        long timer = pool.allocate(SIZE, TAG, 0);
        if (timer == 0) {
            return MemorySegment.NULL;
        }
        MemorySegment seg = pool.segmentOf(timer);
        try {
            KeTimer.initializeEx(seg, (attributes & EX_TIMER.EX_TIMER_NOTIFICATION) != 0
                    ? KeTimer.NotificationTimer : KeTimer.SynchronizationTimer);
            int owner = t.enterDriver(0); // the delivery routine is the kernel's: its stub must not become the calling driver's
            try {
                KeDpc.initialize(seg.asSlice(EX_TIMER.TIMER_DPC_OFFSET), reg.delivery, MemorySegment.ofAddress(timer));
            } finally {
                t.enterDriver(owner);
            }
        } catch (RuntimeException e) {
            pool.free(timer, TAG);
            throw e;
        }
        seg.set(JAVA_LONG, EX_TIMER.CALLBACK_OFFSET, routine);
        seg.set(JAVA_LONG, EX_TIMER.CALLBACK_CONTEXT_OFFSET, address(context));
        seg.set(ValueLayout.JAVA_INT, EX_TIMER.ATTRIBUTES_OFFSET, attributes);
        ExTimerCore.register(reg.core, timer);
        return seg;
    }

    // ===== ExSetTimer / ExCancelTimer =====

    /** {@code ExSetTimer(Timer, DueTime, Period, Parameters)}: TRUE if a pending expiry was replaced. IRQL: ≤ DISPATCH_LEVEL. */
    public static boolean set(MemorySegment timer, long dueTime, long period, MemorySegment parameters) {
        long address = timerAddress(timer, "ExSetTimer");
        ThreadState t = ThreadState.current();
        KernelCore k = t.kernel();
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.DISPATCH_LEVEL, address, IrqlChecks.WRITE, "ExSetTimer");
        }
        if (!ExTimerCore.isLive(k, address)) {
            throw notATimer(k, address, "ExSetTimer");
        }
        long tolerance = 0;
        if (address(parameters) != 0) {
            MemorySegment p = parameterBlock(k, parameters, EXT_SET_PARAMETERS.X64.size(), "ExSetTimer");
            if (p.get(ValueLayout.JAVA_INT_UNALIGNED, EXT_SET_PARAMETERS.VERSION_OFFSET) != 0) {
                throw invalid(k, address, RULE_VERSION, "ExSetTimer: EXT_SET_PARAMETERS.Version is not 0");
            }
            tolerance = p.get(ValueLayout.JAVA_LONG_UNALIGNED, EXT_SET_PARAMETERS.NO_WAKE_TOLERANCE_OFFSET);
            if (tolerance < EX_TIMER.EX_TIMER_UNLIMITED_TOLERANCE) {
                throw invalid(k, address, RULE_NO_WAKE_TOLERANCE, "ExSetTimer: NoWakeTolerance " + tolerance
                        + " is negative and not EX_TIMER_UNLIMITED_TOLERANCE (-1)");
            }
        }
        if (period < 0 || period > MAXLONG) {
            throw invalid(k, address, RULE_PERIOD, "ExSetTimer: Period " + period + " is outside 0..MAXLONG (100 ns units)");
        }
        int attributes = timer(k, address).get(ValueLayout.JAVA_INT, EX_TIMER.ATTRIBUTES_OFFSET); // immutable since allocation
        if ((attributes & EX_TIMER.EX_TIMER_HIGH_RESOLUTION) != 0 && dueTime >= 0) {
            throw invalid(k, address, RULE_ABSOLUTE_HIGH_RESOLUTION, "ExSetTimer: a high-resolution timer needs a relative"
                    + " (negative) DueTime, not " + dueTime);
        }
        KeClock clock = k.clock();
        long due = KeTimer.dueInterruptTime(clock, clock.interruptTimePrecise(), dueTime);
        if ((attributes & EX_TIMER.EX_TIMER_NO_WAKE) != 0 && tolerance > 0) {
            due = KeTimer.coalesce(due, tolerance, clock.timeIncrement());
        }
        int r = ExTimerCore.set(t, address, due, period, tolerance, dueTime > 0);
        if (r == ExTimerCore.NOT_LIVE) {
            throw notATimer(k, address, "ExSetTimer");
        }
        return r == 1;
    }

    /** {@code ExCancelTimer(Timer, Parameters)}: TRUE if a pending expiry was removed. IRQL: ≤ DISPATCH_LEVEL. */
    public static boolean cancel(MemorySegment timer, MemorySegment parameters) {
        long address = timerAddress(timer, "ExCancelTimer");
        KernelCore k = ThreadState.current().kernel();
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, address, IrqlChecks.WRITE, "ExCancelTimer");
        }
        if (address(parameters) != 0) {
            throw invalid(k, address, RULE_CANCEL_PARAMETERS, "ExCancelTimer: Parameters must be NULL");
        }
        int r = ExTimerCore.cancel(k, address);
        if (r == ExTimerCore.NOT_LIVE) {
            throw notATimer(k, address, "ExCancelTimer");
        }
        return r == 1;
    }

    // ===== ExDeleteTimer =====

    /**
     * {@code ExDeleteTimer(Timer, Cancel, Wait, Parameters)}: TRUE only if Cancel removed a pending
     * expiry. IRQL: ≤ APC_LEVEL with Wait, else ≤ DISPATCH_LEVEL.
     */
    public static boolean delete(ExTimers reg, MemorySegment timer, boolean cancel, boolean wait, MemorySegment parameters) {
        long address = timerAddress(timer, "ExDeleteTimer");
        ThreadState t = ThreadState.current();
        KernelCore k = t.kernel();
        if (wait && t.irql() > Irql.APC_LEVEL) {
            // always on: from the timer's own callback this would wait for itself for ever
            throw k.bugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, address, t.irql(), IrqlChecks.WRITE, 0,
                    "ExDeleteTimer with Wait=TRUE at " + Irql.name(t.irql()) + "; it requires IRQL <= APC_LEVEL");
        }
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.DISPATCH_LEVEL, address, IrqlChecks.WRITE, "ExDeleteTimer");
        }
        if (wait && !cancel) {
            throw invalid(k, address, RULE_WAIT_WITHOUT_CANCEL, "ExDeleteTimer: Wait=TRUE requires Cancel=TRUE");
        }
        long deleteCallback = 0;
        long deleteContext = 0;
        if (address(parameters) != 0) {
            MemorySegment p = parameterBlock(k, parameters, EXT_DELETE_PARAMETERS.X64.size(), "ExDeleteTimer");
            if (p.get(ValueLayout.JAVA_INT_UNALIGNED, EXT_DELETE_PARAMETERS.VERSION_OFFSET) != 0) {
                throw invalid(k, address, RULE_VERSION, "ExDeleteTimer: EXT_DELETE_PARAMETERS.Version is not 0");
            }
            deleteCallback = p.get(ValueLayout.JAVA_LONG_UNALIGNED, EXT_DELETE_PARAMETERS.DELETE_CALLBACK_OFFSET);
            deleteContext = p.get(ValueLayout.JAVA_LONG_UNALIGNED, EXT_DELETE_PARAMETERS.DELETE_CONTEXT_OFFSET);
        }
        int r = ExTimerCore.delete(k, address, cancel, wait, deleteCallback, deleteContext);
        if (r == ExTimerCore.NOT_LIVE) {
            throw notATimer(k, address, "ExDeleteTimer");
        }
        if ((r & ExTimerCore.DELETE_ALREADY) != 0) {
            return false;
        }
        if ((r & ExTimerCore.DELETE_WAIT) != 0) {
            int spins = 0;
            int w;
            while ((w = ExTimerCore.tryFinalizeWaited(k, address)) == ExTimerCore.WAIT_PENDING) {
                k.ensureRunning(); // a halted kernel's DPCs have stopped: fail instead of waiting for ever
                if (++spins < 64) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(20_000);
                }
            }
            if (w == ExTimerCore.NOT_LIVE) {
                // Finalized by a delivery meanwhile: only a stray write into the EX_TIMER's State
                // (DeleteOnExpiry set behind our back) allows that. Its finalizer freed it; freeing
                // it again here would be a double free.
                throw k.bugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, 0, address, address, address + SIZE, "ExDeleteTimer: 0x"
                        + Long.toHexString(address) + " was freed while ExDeleteTimer(Wait) waited for it: its State word"
                        + " was overwritten (DeleteOnExpiry set) by something other than the kernel");
            }
            r |= ExTimerCore.DELETE_FINALIZE;
        }
        if ((r & ExTimerCore.DELETE_FINALIZE) != 0) {
            finish(reg, t, address);
        }
        return (r & ExTimerCore.DELETE_CANCELLED) != 0;
    }

    // ===== parameter initialisation (header inlines) =====

    /** {@code ExInitializeSetTimerParameters(Parameters)}: zeroes the EXT_SET_PARAMETERS. IRQL: any. */
    public static void initializeSetParameters(MemorySegment parameters) {
        requireBlock(parameters, EXT_SET_PARAMETERS.X64.size(), "ExInitializeSetTimerParameters", "EXT_SET_PARAMETERS");
        ThreadState.current(); // a closed or halted kernel says so before its memory is touched
        parameters.asSlice(0, EXT_SET_PARAMETERS.X64.size()).fill((byte) 0);
    }

    /** {@code ExInitializeDeleteTimerParameters(Parameters)}: zeroes the EXT_DELETE_PARAMETERS. IRQL: any. */
    public static void initializeDeleteParameters(MemorySegment parameters) {
        requireBlock(parameters, EXT_DELETE_PARAMETERS.X64.size(), "ExInitializeDeleteTimerParameters", "EXT_DELETE_PARAMETERS");
        ThreadState.current(); // a closed or halted kernel says so before its memory is touched
        parameters.asSlice(0, EXT_DELETE_PARAMETERS.X64.size()).fill((byte) 0);
    }

    /**
     * {@code ExInitializeDeleteTimerParameters} followed by storing a Java delete callback (its
     * upcall stub, in the calling thread's kernel's routine table) and its context: what C code
     * does by assigning DeleteCallback and DeleteContext.
     */
    public static void initializeDeleteParameters(MemorySegment parameters, EXT_DELETE_CALLBACK callback, MemorySegment context) {
        initializeDeleteParameters(parameters);
        if (callback != null) {
            KernelCore k = ThreadState.current().kernel();
            long stub = k.routines().stubFor(callback, DELETE_UPCALL.bindTo(callback).bindTo(k), DELETE_DESCRIPTOR);
            parameters.set(JAVA_LONG, EXT_DELETE_PARAMETERS.DELETE_CALLBACK_OFFSET, stub);
        }
        parameters.set(JAVA_LONG, EXT_DELETE_PARAMETERS.DELETE_CONTEXT_OFFSET, address(context));
    }

    // ===== delivery (the timer's DPC routine) =====

    /**
     * One expiry of the EX_TIMER at {@code timer}, on the processor's DPC path at DISPATCH_LEVEL:
     * calls the callback unless the timer was deleted with Cancel meanwhile, then, if the timer was
     * deleted without Wait and this was its last outstanding expiry, runs the delete callback and
     * frees it.
     */
    static void deliver(ExTimers reg, long timer) {
        KernelCore k = reg.core;
        int begin = ExTimerCore.beginCallback(k, timer);
        if (begin == ExTimerCore.STRAY) {
            return;
        }
        boolean last = false;
        try {
            if (begin == ExTimerCore.CALL) {
                MemorySegment seg = timer(k, timer);
                long callback = seg.get(JAVA_LONG, EX_TIMER.CALLBACK_OFFSET);
                long context = seg.get(JAVA_LONG, EX_TIMER.CALLBACK_CONTEXT_OFFSET);
                if (callback != 0) {
                    callCallback(k, seg, callback, context);
                }
            }
        } finally {
            last = ExTimerCore.endCallback(k, timer);
        }
        if (last) {
            finish(reg, ThreadState.current(), timer);
        }
    }

    /** Calls the delete callback (at DISPATCH_LEVEL) of a finalized timer, then frees it. */
    private static void finish(ExTimers reg, ThreadState t, long timer) {
        KernelCore k = reg.core;
        MemorySegment seg = timer(k, timer);
        long callback = seg.get(JAVA_LONG, EX_TIMER.DELETE_CALLBACK_OFFSET);
        long context = seg.get(JAVA_LONG, EX_TIMER.DELETE_CONTEXT_OFFSET);
        try {
            if (callback != 0) {
                int old = t.irql();
                if (old < Irql.DISPATCH_LEVEL) {
                    Irql.raise(Irql.DISPATCH_LEVEL);
                }
                try {
                    callDeleteCallback(k, timer, callback, context);
                } finally {
                    if (old < Irql.DISPATCH_LEVEL && t.irql() >= old) {
                        Irql.lower(t, old);
                    }
                }
            }
        } finally {
            reg.pools.free(timer, TAG);
        }
    }

    private static void callCallback(KernelCore k, MemorySegment timer, long routine, long context) throws RuntimeException {
        RoutineTable table = k.routines();
        Object r = table.routineAt(routine);
        if (r instanceof EXT_CALLBACK j) {
            j.call(timer, MemorySegment.ofAddress(context));
            return;
        }
        if (r == null && table.isNativeCode(routine)) {
            try {
                NATIVE_CALLBACK.invokeExact(MemorySegment.ofAddress(routine), timer.address(), context);
            } catch (Throwable e) {
                throw new IllegalStateException("native EX_TIMER callback 0x" + Long.toHexString(routine) + " failed: " + e, e);
            }
            return;
        }
        throw KeDpc.badRoutine(k, routine, timer.address(), "Callback of EX_TIMER 0x" + Long.toHexString(timer.address()));
    }

    private static void callDeleteCallback(KernelCore k, long timer, long routine, long context) {
        RoutineTable table = k.routines();
        Object r = table.routineAt(routine);
        if (r instanceof EXT_DELETE_CALLBACK j) {
            try {
                j.call(MemorySegment.ofAddress(context));
            } catch (BugCheck | KernelHaltedException processed) {
                throw processed;
            } catch (RuntimeException | Error e) {
                throw k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL,
                        routine, timer, 0, "exception escaped the delete callback of EX_TIMER 0x" + Long.toHexString(timer) + ": " + e);
            }
            return;
        }
        if (r == null && table.isNativeCode(routine)) {
            try {
                NATIVE_DELETE_CALLBACK.invokeExact(MemorySegment.ofAddress(routine), context);
            } catch (Throwable e) {
                throw new IllegalStateException("native EX_TIMER delete callback 0x" + Long.toHexString(routine) + " failed: " + e, e);
            }
            return;
        }
        throw KeDpc.badRoutine(k, routine, timer, "DeleteCallback of EX_TIMER 0x" + Long.toHexString(timer));
    }

    // ===== helpers =====

    private static long timerAddress(MemorySegment timer, String routine) {
        if (timer == null || timer.address() == 0) {
            throw new IllegalArgumentException(routine + ": Timer is NULL");
        }
        if (!timer.isNative()) {
            throw new IllegalArgumentException(routine + ": Timer must be a native segment (a PEX_TIMER), not " + timer);
        }
        return timer.address();
    }

    /** A bounded segment over the (live) EX_TIMER at {@code address}. */
    private static MemorySegment timer(KernelCore k, long address) {
        return k.addressSpace().resolve(address, SIZE);
    }

    /** The parameter block behind {@code p}: the caller's segment if it is large enough, else through the address space. */
    private static MemorySegment parameterBlock(KernelCore k, MemorySegment p, long size, String routine) {
        if (p.byteSize() >= size) {
            return p;
        }
        if (k.addressSpace().isValid(p.address(), size)) {
            return k.addressSpace().resolve(p.address(), size);
        }
        throw new IllegalArgumentException(routine + ": Parameters must point to 0x" + Long.toHexString(size)
                + " bytes, not " + p);
    }

    private static void requireBlock(MemorySegment p, long size, String routine, String type) {
        if (p == null || p.address() == 0 || p.byteSize() < size) {
            throw new IllegalArgumentException(routine + ": Parameters must be a " + type + " (0x" + Long.toHexString(size)
                    + " bytes), not " + p);
        }
    }

    private static BugCheck invalid(KernelCore k, long timer, int rule, String detail) {
        return k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_INVALID_PARAMETER & 0xFFFFFFFFL, 0, timer,
                rule, detail);
    }

    private static BugCheck notATimer(KernelCore k, long timer, String routine) {
        return k.bugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, 0, timer, timer, timer + SIZE, routine + ": 0x"
                + Long.toHexString(timer) + " is not a live EX_TIMER (deleted, or never returned by ExAllocateTimer)");
    }

    private static long address(MemorySegment s) {
        return s == null ? 0 : s.address();
    }

    /** Upcall target of a Java callback's stub (native code calling Callback reaches it). */
    private static void callbackUpcall(EXT_CALLBACK callback, KernelCore k, MemorySegment timer, MemorySegment context) {
        try {
            MemorySegment bounded = k.addressSpace().isValid(timer.address(), SIZE) ? k.addressSpace().resolve(timer.address(), SIZE)
                    : timer;
            callback.call(bounded, context);
        } catch (Throwable e) {
            swallow(k, e, timer.address());
        }
    }

    /** Upcall target of a Java delete callback's stub. */
    private static void deleteUpcall(EXT_DELETE_CALLBACK callback, KernelCore k, MemorySegment context) {
        try {
            callback.call(context);
        } catch (Throwable e) {
            swallow(k, e, 0);
        }
    }

    /** An exception must not unwind into native code: it is raised as the bug check it is, then swallowed. */
    private static void swallow(KernelCore k, Throwable e, long timer) {
        try {
            throw k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, 0,
                    timer, 0, "exception escaped an EX_TIMER callback called from native code: " + e);
        } catch (Throwable processed) {
            // processed (callbacks, dump, policy); nothing may propagate into native code
        }
    }

    private static final FunctionDescriptor CALLBACK_DESCRIPTOR = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS);
    private static final FunctionDescriptor DELETE_DESCRIPTOR = FunctionDescriptor.ofVoid(ADDRESS);
    private static final MethodHandle CALLBACK_UPCALL;
    private static final MethodHandle DELETE_UPCALL;
    /** {@code void (*)(PEX_TIMER, PVOID)} with the pointers as 64-bit integers. */
    private static final MethodHandle NATIVE_CALLBACK = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG));
    /** {@code void (*)(PVOID)}. */
    private static final MethodHandle NATIVE_DELETE_CALLBACK = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.ofVoid(JAVA_LONG));

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CALLBACK_UPCALL = l.findStatic(ExTimer.class, "callbackUpcall", MethodType.methodType(void.class,
                    EXT_CALLBACK.class, KernelCore.class, MemorySegment.class, MemorySegment.class));
            DELETE_UPCALL = l.findStatic(ExTimer.class, "deleteUpcall", MethodType.methodType(void.class,
                    EXT_DELETE_CALLBACK.class, KernelCore.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
