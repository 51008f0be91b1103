package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.layout.ex.EXT_DELETE_PARAMETERS;
import dev.offkern.layout.ex.EXT_SET_PARAMETERS;
import dev.offkern.layout.ex.EX_TIMER;
import dev.offkern.nt.EXT_CALLBACK;
import dev.offkern.nt.EXT_DELETE_CALLBACK;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.nt.KDEFERRED_ROUTINE;
import dev.offkern.nt.NtStatus;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * DPCs, timers and the clock. Both threads queue, remove, retarget and re-prioritise the shared
 * DPCs at every IRQL, set (one-shot and periodic, relative and absolute, coalescable), cancel and
 * read the shared timers, whose expiries run the DPCs on the processors' threads; flushes; the
 * time routines' monotonicity; hostile DPC and timer pointers, processor numbers and importances.
 */
final class DpcTimerOps {
    private DpcTimerOps() {
    }

    static final long DPC = KDPC.X64.size();
    static final long TIMER = KTIMER.X64.size();

    /** DPC routine runs, all threads (a sanity figure for the report). */
    static final AtomicLong RUNS = new AtomicLong();
    /** The DPC routine of every fuzzer DPC: counts, and reads its KDPC (a bounded segment). */
    static final KDEFERRED_ROUTINE ROUTINE = (dpc, ctx, a1, a2) -> {
        RUNS.incrementAndGet();
        if (dpc.byteSize() < DPC || (dpc.get(JAVA_BYTE, KDPC.TYPE_OFFSET) & 0xFF) == 0) {
            throw new FuzzInvariantException("a DPC routine got KDPC " + dpc + " without its Type");
        }
    };

    static List<Op> ops() {
        return List.of(
                Op.of("dpc.queue", 6, DpcTimerOps::queue, "KeInsertQueueDpc", "KeRemoveQueueDpc", "KeSetImportanceDpc",
                        "KeSetTargetProcessorDpc", "KeSetTargetProcessorDpcEx"),
                Op.of("dpc.initialize", 1, DpcTimerOps::initializeDpc, "KeInitializeDpc", "KeInitializeThreadedDpc"),
                Op.of("dpc.flush", 1, DpcTimerOps::flush, "KeFlushQueuedDpcs"),
                Op.of("timer.setCancel", 6, DpcTimerOps::setCancel, "KeSetTimer", "KeSetTimerEx", "KeSetCoalescableTimer",
                        "KeCancelTimer", "KeReadStateTimer"),
                Op.of("timer.initialize", 1, DpcTimerOps::initializeTimer, "KeInitializeTimer", "KeInitializeTimerEx"),
                Op.of("extimer.lifecycle", 4, DpcTimerOps::exTimer, "ExAllocateTimer", "ExSetTimer", "ExCancelTimer",
                        "ExDeleteTimer", "ExInitializeSetTimerParameters", "ExInitializeDeleteTimerParameters"),
                Op.of("clock.query", 2, DpcTimerOps::clock, "KeQuerySystemTime", "KeQuerySystemTimePrecise",
                        "KeQueryInterruptTime", "KeQueryInterruptTimePrecise", "KeQueryTickCount", "KeQueryTimeIncrement",
                        "KeStallExecutionProcessor"));
    }

    /** Raises to {@code to} if that is not below the current IRQL (lowering is IrqlOps' business); returns whether it did. */
    static boolean raise(Ctx c, int to) {
        if (to < Ke.KeGetCurrentIrql()) {
            return false;
        }
        c.dirty = true;
        c.note("raise to " + to);
        Ke.KeRaiseIrql(to);
        return true;
    }

    static MemorySegment dpc(Ctx c, double hostile) {
        return c.arg(Kind.DPC, DPC, hostile);
    }

    static MemorySegment timer(Ctx c, double hostile) {
        return c.arg(Kind.TIMER, TIMER, hostile);
    }

    static MemorySegment ptr(Ctx c) {
        return MemorySegment.ofAddress(c.p(0.5) ? 0 : c.pointerValue());
    }

    static void queue(Ctx c) {
        MemorySegment d = dpc(c, 0.05);
        int old = Ke.KeGetCurrentIrql();
        boolean raise = c.p(0.3) && raise(c, c.p(0.8) ? 2 : c.anyIrql());
        try {
            switch (c.n(6)) {
                case 0, 1 -> Ke.KeInsertQueueDpc(d, ptr(c), ptr(c));
                case 2 -> Ke.KeRemoveQueueDpc(d);
                case 3 -> Ke.KeSetImportanceDpc(d, c.p(0.9) ? c.n(4) : c.anyInt());
                case 4 -> Ke.KeSetTargetProcessorDpc(d, c.p(0.8) ? c.n(Ke.KeQueryMaximumProcessorCount()) : c.anyInt());
                default -> {
                    MemorySegment pn = c.own(Kind.BLOCK).asSlice(64, 4);
                    pn.set(JAVA_SHORT, 0, (short) (c.p(0.8) ? 0 : c.anyInt()));
                    pn.set(JAVA_BYTE, 2, (byte) (c.p(0.8) ? c.n(Ke.KeQueryMaximumProcessorCount()) : c.anyInt()));
                    pn.set(JAVA_BYTE, 3, (byte) 0);
                    int st = Ke.KeSetTargetProcessorDpcEx(d, c.p(0.9) ? pn : c.hostile(null, 4, false));
                    if (st != NtStatus.STATUS_SUCCESS && st != NtStatus.STATUS_INVALID_PARAMETER) {
                        throw new FuzzInvariantException("KeSetTargetProcessorDpcEx returned 0x" + Integer.toHexString(st));
                    }
                }
            }
        } finally {
            if (raise && Ke.KeGetCurrentIrql() >= old) {
                Ke.KeLowerIrql(old); // queued DPCs run here
            }
        }
    }

    static void initializeDpc(Ctx c) {
        // Only this thread's own DPCs: re-initializing one that is queued is a bug check (0xC7), not corruption.
        MemorySegment d = c.p(0.9) ? c.own(Kind.DPC) : c.hostile(Kind.DPC, DPC, false);
        if (c.p(0.5)) {
            Ke.KeInitializeDpc(d, ROUTINE, MemorySegment.ofAddress(c.thread));
        } else {
            Ke.KeInitializeThreadedDpc(d, ROUTINE, MemorySegment.ofAddress(c.thread));
        }
    }

    static void flush(Ctx c) {
        if (c.p(0.2)) {
            raise(c, 2); // KeFlushQueuedDpcs above PASSIVE_LEVEL: 0xD1
        }
        Ke.KeFlushQueuedDpcs();
    }

    static long dueTime(Ctx c) {
        return switch (c.n(6)) {
            case 0 -> 0;
            case 1 -> Ke.KeQuerySystemTimePrecise() + 10_000L * c.n(5); // absolute
            case 2 -> 1; // absolute, long past
            case 3 -> -10_000_000_000L; // far
            default -> -10_000L * c.n(5); // a few ms
        };
    }

    static void setCancel(Ctx c) {
        MemorySegment t = timer(c, 0.05);
        int old = Ke.KeGetCurrentIrql();
        boolean raise = c.p(0.2) && raise(c, c.p(0.8) ? 2 : c.anyIrql());
        try {
            MemorySegment d = c.p(0.7) ? dpc(c, 0.02) : MemorySegment.NULL;
            switch (c.n(6)) {
                case 0 -> Ke.KeSetTimer(t, dueTime(c), d);
                case 1 -> Ke.KeSetTimerEx(t, dueTime(c), c.p(0.9) ? c.n(4) : c.anyInt(), d);
                case 2 -> Ke.KeSetCoalescableTimer(t, dueTime(c), c.n(3), c.p(0.9) ? c.n(50) : c.anyInt(), d);
                case 3, 4 -> Ke.KeCancelTimer(t);
                default -> Ke.KeReadStateTimer(t);
            }
        } finally {
            if (raise && Ke.KeGetCurrentIrql() >= old) {
                Ke.KeLowerIrql(old);
            }
        }
    }

    static void initializeTimer(Ctx c) {
        // Only this thread's own timers: re-initializing one that is set is a bug check (0xC7), not corruption.
        MemorySegment t = c.p(0.9) ? c.own(Kind.TIMER) : c.hostile(Kind.TIMER, TIMER, false);
        if (c.p(0.5)) {
            Ke.KeInitializeTimer(t);
        } else {
            Ke.KeInitializeTimerEx(t, c.p(0.9) ? c.n(2) : c.anyInt());
        }
    }

    /** EX_TIMER callback runs (a sanity figure). */
    static final AtomicLong EX_RUNS = new AtomicLong();
    static final EXT_CALLBACK EX_CALLBACK = (timer, ctx) -> {
        EX_RUNS.incrementAndGet();
        if (timer.byteSize() < EX_TIMER.X64.size()) {
            throw new FuzzInvariantException("an EX_TIMER callback got " + timer + ", not the EX_TIMER");
        }
    };
    static final EXT_DELETE_CALLBACK EX_DELETE_CALLBACK = ctx -> EX_RUNS.incrementAndGet();

    /**
     * EX_TIMERs: allocate (sometimes with bad attributes), set (relative, absolute, periodic, with
     * hostile parameters), cancel, delete with every Cancel/Wait combination (deleted timers leave
     * the thread's list; a deleted one is sometimes used again: 0xC7), at random IRQLs.
     */
    static void exTimer(Ctx c) {
        int old = Ke.KeGetCurrentIrql();
        boolean raise = c.p(0.15) && raise(c, c.p(0.8) ? 2 : c.anyIrql());
        try {
            if (c.exTimers.isEmpty() || (c.exTimers.size() < 4 && c.p(0.2))) {
                int attributes = switch (c.n(8)) {
                    case 0 -> Ex.EX_TIMER_NOTIFICATION;
                    case 1 -> Ex.EX_TIMER_HIGH_RESOLUTION;
                    case 2 -> Ex.EX_TIMER_NO_WAKE | Ex.EX_TIMER_NOTIFICATION;
                    case 3 -> c.anyInt(); // often invalid: NULL, or a bug check for HIGH_RESOLUTION | NO_WAKE
                    default -> 0;
                };
                MemorySegment t = c.p(0.7) ? Ex.ExAllocateTimer(EX_CALLBACK, MemorySegment.ofAddress(c.thread), attributes)
                        : Ex.ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, attributes);
                if (t.address() != 0) {
                    c.exTimers.add(t);
                }
                return;
            }
            int i = c.n(c.exTimers.size());
            MemorySegment t = c.p(0.03) ? c.hostile(null, EX_TIMER.X64.size(), false) : c.exTimers.get(i);
            switch (c.n(8)) {
                case 0, 1, 2 -> {
                    MemorySegment params = MemorySegment.NULL;
                    if (c.p(0.3)) {
                        params = c.own(Kind.BLOCK).asSlice(0, EXT_SET_PARAMETERS.X64.size());
                        Ex.ExInitializeSetTimerParameters(params);
                        if (c.p(0.3)) {
                            params.set(JAVA_LONG, EXT_SET_PARAMETERS.NO_WAKE_TOLERANCE_OFFSET, c.p(0.5) ? -1 : c.anySize());
                        }
                        if (c.p(0.05)) {
                            params.set(JAVA_INT, EXT_SET_PARAMETERS.VERSION_OFFSET, c.anyInt());
                        }
                    }
                    long period = c.p(0.7) ? 0 : c.p(0.9) ? 10_000L * c.n(3) + c.n(5_000) : c.anySize();
                    Ex.ExSetTimer(t, c.p(0.9) ? -10_000L * c.n(4) - 1 : dueTime(c), period, params);
                }
                case 3, 4 -> Ex.ExCancelTimer(t, c.p(0.97) ? MemorySegment.NULL : ptr(c));
                default -> {
                    MemorySegment params = MemorySegment.NULL;
                    if (c.p(0.4)) {
                        params = c.own(Kind.BLOCK).asSlice(0, EXT_DELETE_PARAMETERS.X64.size());
                        if (c.p(0.5)) {
                            Ex.ExInitializeDeleteTimerParameters(params, EX_DELETE_CALLBACK, MemorySegment.ofAddress(c.thread));
                        } else {
                            Ex.ExInitializeDeleteTimerParameters(params);
                        }
                    }
                    boolean cancel = c.p(0.7);
                    boolean wait = cancel ? c.p(0.5) : c.p(0.03); // Wait without Cancel: a bug check
                    boolean known = c.exTimers.contains(t);
                    Ex.ExDeleteTimer(t, cancel, wait, params);
                    if (known && !c.p(0.02)) {
                        c.exTimers.remove(t); // else keep the deleted one: its next use is TIMER_OR_DPC_INVALID
                    }
                }
            }
        } finally {
            if (raise && Ke.KeGetCurrentIrql() >= old) {
                Ke.KeLowerIrql(old);
            }
        }
    }

    static void clock(Ctx c) {
        long it = Ke.KeQueryInterruptTime();
        long precise = Ke.KeQueryInterruptTimePrecise();
        long ticks = Ke.KeQueryTickCount();
        int inc = Ke.KeQueryTimeIncrement();
        long st = Ke.KeQuerySystemTime();
        long stp = Ke.KeQuerySystemTimePrecise();
        if (precise < it || it % inc != 0 || ticks < it / inc || st > stp || inc <= 0) {
            throw new FuzzInvariantException("clock: interrupt " + it + " precise " + precise + " ticks " + ticks
                    + " increment " + inc + " system " + st + " precise " + stp);
        }
        Ke.KeStallExecutionProcessor(c.n(20));
    }
}
