package dev.offkern.runtime.ke;

import dev.offkern.layout.Field;
import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Kernel timers on the byte-exact x64 {@code KTIMER} (0x40 bytes, a dispatcher object):
 * {@code KeInitializeTimer(Ex)}, {@code KeSetTimer(Ex)}, {@code KeSetCoalescableTimer},
 * {@code KeCancelTimer}, {@code KeReadStateTimer}, over the kernel's {@link TimerTable}.
 *
 * <h2>State</h2>
 * Header.Type TimerNotificationObject (8) or TimerSynchronizationObject (9); Header.Size (the
 * Hand byte) 0x10; SignalState 0/1; TimerMiscFlags.Inserted 1 while the timer is in the timer table
 * (TimerControlFlags.Absolute records an absolute due time); DueTime the absolute interrupt time
 * (100 ns) of the next expiry; TimerListEntry the link in its timer-table bucket; Dpc the KDPC
 * queued at expiry or NULL; Processor the processor that set it (an untargeted DPC runs there);
 * TimerType the TIMER_TYPE; Period the re-arm period in ms, 0 for one-shot.
 *
 * <h2>Contract (as Windows)</h2>
 * <ul>
 *   <li>Due time: negative is relative (100 ns units), positive is absolute system time
 *       (converted to interrupt time when set: a later wall-clock change is not followed), zero
 *       or an absolute time already past expires the timer at once.</li>
 *   <li>Set returns TRUE if the timer was in the timer table (it is then replaced: one timer, one
 *       pending expiry), and leaves the timer not signalled; cancel returns TRUE if it removed the
 *       timer and leaves the signal state alone.</li>
 *   <li>Expiry: SignalState := 1 through the dispatcher (a notification timer satisfies every
 *       waiter and stays signalled, a synchronization timer satisfies one waiter, which resets
 *       it); the DPC is queued with the system time's low and high 32 bits as SystemArgument1/2; a
 *       periodic timer is re-linked one period after its due time (one period after now if that
 *       has passed: missed periods are skipped, never delivered in a burst).</li>
 *   <li>KeSetCoalescableTimer: TolerableDelay (ms) lets offkern move the expiry later by up to that
 *       much, to the next multiple of the largest power-of-two number of ticks within it, so timers
 *       with similar deadlines share a tick.</li>
 * </ul>
 * Initializing a timer that is set is TIMER_OR_DPC_INVALID (0xC7: 0, the timer, the timer, its end);
 * a timer whose links were overwritten is KERNEL_SECURITY_CHECK_FAILURE (0x139: 3, the link) when
 * the table next touches it. Checks: a timer must be an 8-byte aligned native segment of 0x40 bytes or more in registered
 * memory (else IllegalArgumentException / PAGE_FAULT_IN_NONPAGED_AREA), of a timer type once
 * initialized; a negative Period is IllegalArgumentException. Verifier (IRQL): set and cancel above
 * DISPATCH_LEVEL are DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1: the timer, IRQL, 1 write, 0).
 * Progress: blocking (the timer-table lock), except KeReadStateTimer (wait-free).
 */
public final class KeTimer {
    /** TIMER_TYPE NotificationTimer. */
    public static final int NotificationTimer = 0;
    /** TIMER_TYPE SynchronizationTimer. */
    public static final int SynchronizationTimer = 1;
    /** sizeof(KTIMER) on x64. */
    public static final long KTIMER_SIZE = KTIMER.X64.size();

    private static final Field ABSOLUTE = DISPATCHER_HEADER.X64.field("Absolute");

    private KeTimer() {
    }

    /** {@code KeInitializeTimer(Timer)}: a notification timer. IRQL: ≤ DISPATCH_LEVEL. */
    public static void initialize(MemorySegment timer) {
        initializeEx(timer, NotificationTimer);
    }

    /** {@code KeInitializeTimerEx(Timer, Type)}. IRQL: ≤ DISPATCH_LEVEL. */
    public static void initializeEx(MemorySegment timer, int type) {
        check(timer, "KeInitializeTimerEx");
        KernelCore k = ThreadState.current().kernel(); // a closed or halted kernel says so before its memory is touched
        if (type != NotificationTimer && type != SynchronizationTimer) {
            throw new IllegalArgumentException("KeInitializeTimerEx: Type " + type
                    + " is neither NotificationTimer (0) nor SynchronizationTimer (1)");
        }
        if (armed(k, timer)) {
            // re-initializing a timer in the timer table would leave the table linking through it
            throw k.bugCheck(dev.offkern.nt.BugCheckCode.TIMER_OR_DPC_INVALID, 0, timer.address(), timer.address(),
                    timer.address() + KTIMER_SIZE, "KeInitializeTimerEx of KTIMER 0x" + Long.toHexString(timer.address())
                            + " while it is set");
        }
        timer.asSlice(0, KTIMER_SIZE).fill((byte) 0);
        long entry = timer.address() + KTIMER.TIMER_LIST_ENTRY_OFFSET;
        timer.set(ValueLayout.JAVA_LONG, KTIMER.TIMER_LIST_ENTRY_OFFSET, entry);
        timer.set(ValueLayout.JAVA_LONG, KTIMER.TIMER_LIST_ENTRY_OFFSET + 8, entry);
        timer.set(ValueLayout.JAVA_SHORT, KTIMER.TIMER_TYPE_OFFSET, (short) type);
        KeEvent.initializeHeader(timer, Dispatcher.TIMER_NOTIFICATION_OBJECT + type, (int) (KTIMER_SIZE / 4), 0);
    }

    /** {@code KeSetTimer(Timer, DueTime, Dpc)}: KeSetTimerEx with Period 0. */
    public static boolean set(MemorySegment timer, long dueTime, MemorySegment dpc) {
        return setEx(timer, dueTime, 0, dpc);
    }

    /**
     * {@code KeSetTimerEx(Timer, DueTime, Period, Dpc)}: TRUE if the timer was already set (it is
     * replaced). IRQL: ≤ DISPATCH_LEVEL.
     */
    public static boolean setEx(MemorySegment timer, long dueTime, int period, MemorySegment dpc) {
        return set(timer, dueTime, period, 0, dpc, "KeSetTimerEx");
    }

    /** {@code KeSetCoalescableTimer(Timer, DueTime, Period, TolerableDelay, Dpc)}. IRQL: ≤ DISPATCH_LEVEL. */
    public static boolean setCoalescable(MemorySegment timer, long dueTime, int period, int tolerableDelay, MemorySegment dpc) {
        return set(timer, dueTime, period, Integer.toUnsignedLong(tolerableDelay), dpc, "KeSetCoalescableTimer");
    }

    private static boolean set(MemorySegment timer, long dueTime, int period, long toleranceMs, MemorySegment dpc, String name) {
        check(timer, name);
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, timer.address(), IrqlChecks.WRITE, name);
        }
        if (period < 0) {
            throw new IllegalArgumentException(name + ": Period " + period + " ms is negative");
        }
        long dpcAddress = 0;
        if (dpc != null && dpc.address() != 0) {
            KeDpc.check(dpc, name);
            dpcAddress = dpc.address();
        }
        ThreadState t = ThreadState.current();
        KernelCore k = t.kernel();
        AddressSpace as = k.addressSpace();
        KeClock clock = k.clock();
        TimerTable table = clock.timers();
        Region r = table.timerRegion(as, timer.address(), KTIMER_SIZE);
        MemorySegment seg = r.segment();
        long off = r.offsetOf(timer.address());
        requireTimer(seg, off, name);
        long now = clock.interruptTimePrecise();
        long due = dueInterruptTime(clock, now, dueTime);
        if (toleranceMs > 0) {
            due = coalesce(due, toleranceMs * 10_000, clock.timeIncrement());
        }
        boolean wasSet;
        boolean wake = false;
        table.lock();
        try {
            table.countSet();
            wasSet = table.unlink(as, seg, off);
            if (Dispatcher.signalState(seg, off) != 0) {
                Dispatcher.setSignalState(seg, off, 0); // a reset wakes nobody: the table lock suffices (see TimerTable)
            }
            seg.set(ValueLayout.JAVA_LONG, off + KTIMER.DUE_TIME_OFFSET, due);
            seg.set(ValueLayout.JAVA_INT, off + KTIMER.PERIOD_OFFSET, period);
            seg.set(ValueLayout.JAVA_LONG, off + KTIMER.DPC_OFFSET, dpcAddress);
            seg.set(ValueLayout.JAVA_SHORT, off + KTIMER.PROCESSOR_OFFSET, (short) t.processorNumber());
            setAbsoluteFlag(seg, off, dueTime > 0);
            wake = table.arm(t, as, seg, off, due, now);
        } finally {
            table.unlock();
        }
        if (wake) {
            table.wakeClock();
        }
        return wasSet;
    }

    /**
     * The interrupt time a DueTime names: negative is relative to {@code now} (100 ns units),
     * positive absolute system time (converted once, now), 0 is now.
     */
    public static long dueInterruptTime(KeClock clock, long now, long dueTime) {
        if (dueTime < 0) {
            return dueTime == Long.MIN_VALUE ? Long.MAX_VALUE : now - dueTime; // relative: -DueTime 100 ns units from now
        } else if (dueTime == 0) {
            return now;
        }
        return now + (dueTime - clock.systemTimePrecise()); // absolute system time, as interrupt time
    }

    /** The latest time within {@code due + tolerance} on a multiple of the largest power-of-two tick count in it. */
    public static long coalesce(long due, long tolerance, long increment) {
        long ticks = tolerance / increment;
        if (ticks < 2) {
            return due;
        }
        long grain = Long.highestOneBit(ticks) * increment;
        long rounded = Math.ceilDiv(due, grain) * grain;
        return rounded <= due + tolerance ? rounded : due;
    }

    /** {@code KeCancelTimer(Timer)}: TRUE if the timer was set and is now removed. IRQL: ≤ DISPATCH_LEVEL. */
    public static boolean cancel(MemorySegment timer) {
        check(timer, "KeCancelTimer");
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, timer.address(), IrqlChecks.WRITE, "KeCancelTimer");
        }
        KernelCore k = ThreadState.current().kernel();
        AddressSpace as = k.addressSpace();
        TimerTable table = k.clock().timers();
        Region r = table.timerRegion(as, timer.address(), KTIMER_SIZE);
        MemorySegment seg = r.segment();
        long off = r.offsetOf(timer.address());
        requireTimer(seg, off, "KeCancelTimer");
        table.lock();
        try {
            return table.unlink(as, seg, off);
        } finally {
            table.unlock();
        }
    }

    /** {@code KeReadStateTimer(Timer)}: TRUE if signalled. IRQL: any. Wait-free. */
    public static boolean readState(MemorySegment timer) {
        check(timer, "KeReadStateTimer");
        ThreadState.current(); // a closed or halted kernel says so before its memory is touched
        return Dispatcher.signalState(timer, 0) != 0;
    }

    /** Whether the timer is in the timer table now (TimerMiscFlags.Inserted; a racy read). */
    public static boolean isSet(MemorySegment timer) {
        check(timer, "KeIsSetTimer");
        ThreadState.current();
        return TimerTable.inserted(timer, 0);
    }

    /** Whether the memory holds a timer that is linked in the timer table now (under the dispatcher lock). */
    private static boolean armed(KernelCore k, MemorySegment timer) {
        int type = timer.get(ValueLayout.JAVA_BYTE, 0) & 0xFF;
        if ((type != Dispatcher.TIMER_NOTIFICATION_OBJECT && type != Dispatcher.TIMER_SYNCHRONIZATION_OBJECT)
                || !TimerTable.inserted(timer, 0)) {
            return false;
        }
        long entry = timer.address() + KTIMER.TIMER_LIST_ENTRY_OFFSET;
        TimerTable table = k.clock().timers();
        table.lock();
        try {
            return TimerTable.inserted(timer, 0) && TimerTable.linkedBetween(k.addressSpace(), entry,
                    timer.get(ValueLayout.JAVA_LONG, KTIMER.TIMER_LIST_ENTRY_OFFSET),
                    timer.get(ValueLayout.JAVA_LONG, KTIMER.TIMER_LIST_ENTRY_OFFSET + 8));
        } finally {
            table.unlock();
        }
    }

    static void setAbsoluteFlag(MemorySegment seg, long off, boolean on) {
        int bit = 1 << ABSOLUTE.bitOffset();
        byte b = seg.get(ValueLayout.JAVA_BYTE, off + ABSOLUTE.offset());
        seg.set(ValueLayout.JAVA_BYTE, off + ABSOLUTE.offset(), (byte) (on ? b | bit : b & ~bit));
    }

    private static void requireTimer(MemorySegment seg, long off, String name) {
        int type = Dispatcher.type(seg, off);
        if (type != Dispatcher.TIMER_NOTIFICATION_OBJECT && type != Dispatcher.TIMER_SYNCHRONIZATION_OBJECT) {
            throw new IllegalArgumentException(name + ": 0x" + Long.toHexString(seg.address() + off)
                    + " is not an initialized KTIMER (Header.Type " + type + ")");
        }
    }

    static void check(MemorySegment timer, String routine) {
        if (timer == null || !timer.isNative() || timer.address() == 0 || timer.byteSize() < KTIMER_SIZE
                || (timer.address() & 7) != 0) {
            throw new IllegalArgumentException(routine + ": a KTIMER must be an 8-byte aligned native segment of 0x40 bytes or more, not "
                    + timer);
        }
    }
}
