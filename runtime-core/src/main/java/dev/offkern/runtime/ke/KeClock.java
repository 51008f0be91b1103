package dev.offkern.runtime.ke;

import java.time.Instant;

/**
 * A kernel's clock: the time routines ({@code KeQuerySystemTime(Precise)},
 * {@code KeQueryInterruptTime(Precise)}, {@code KeQueryTickCount}, {@code KeQueryTimeIncrement},
 * {@code KeStallExecutionProcessor}) and the thread that expires timers ({@link TimerTable}).
 *
 * <h2>Time bases (all in 100 ns units)</h2>
 * <ul>
 *   <li>Interrupt time: time since boot, monotonic ({@link System#nanoTime()} from the kernel's
 *       boot). The precise value is read at the call; {@link #interruptTime()} is rounded down to
 *       the last clock tick, as Windows' value only moves when the clock interrupt updates it.</li>
 *   <li>Tick count: whole clock ticks since boot ({@code interruptTimePrecise / increment}).</li>
 *   <li>System time: UTC since 1601-01-01, from the wall clock ({@link Instant#now()}), so it
 *       follows wall-clock changes; {@link #systemTime()} is the precise value less the part of the
 *       current tick that has elapsed (it moves once per tick).</li>
 *   <li>Time increment: the tick, KernelConfig's {@code timeIncrement} (1 ms by default).</li>
 * </ul>
 * Nothing ticks to keep these values current: each is computed from the host clocks when read,
 * with the same granularity a tick-driven clock would give.
 *
 * <h2>What drives timer expiry</h2>
 * One daemon thread per kernel, {@code offkern-clock}, plays the clock interrupt: it sleeps
 * ({@link java.util.concurrent.locks.LockSupport#parkNanos}) until the next tick whose timer-table
 * bucket holds a timer (looking at most {@link TimerTable#LOOKAHEAD_TICKS} ticks ahead; it parks
 * without a deadline while no timer is set), then expires every timer due by then. Setting a timer
 * earlier than the planned wake-up unparks it. See docs/timers.md for how late a timer may fire.
 */
public final class KeClock {
    /** 100 ns intervals between 1601-01-01 and 1970-01-01. */
    public static final long EPOCH_1601_TO_1970_100NS = 116_444_736_000_000_000L;

    private final KernelCore kernel;
    private final long increment;
    private final long bootNanos = System.nanoTime();
    private final TimerTable timers;

    KeClock(KernelCore kernel, long increment) {
        this.kernel = kernel;
        this.increment = increment;
        this.timers = new TimerTable(kernel, this);
    }

    void start() {
        timers.start();
    }

    /** Stops the clock thread (kernel close or halt). */
    void stop() {
        timers.stop();
    }

    /** Frees the timer table (kernel close, after {@link #stop}). */
    void close() {
        timers.close();
    }

    /** The kernel's timer table (KTIMERs pending expiry). */
    public TimerTable timers() {
        return timers;
    }

    /** {@code KeQueryTimeIncrement()}: the clock tick in 100 ns units. */
    public long timeIncrement() {
        return increment;
    }

    /** {@code KeQueryInterruptTimePrecise}: 100 ns units since boot, read now. Wait-free. */
    public long interruptTimePrecise() {
        return (System.nanoTime() - bootNanos) / 100;
    }

    /** {@code KeQueryInterruptTime}: interrupt time at the last clock tick. Wait-free. */
    public long interruptTime() {
        long now = interruptTimePrecise();
        return now - now % increment;
    }

    /** {@code KeQueryTickCount}: clock ticks since boot. Wait-free. */
    public long tickCount() {
        return interruptTimePrecise() / increment;
    }

    /** {@code KeQuerySystemTimePrecise}: UTC in 100 ns units since 1601-01-01, read now. */
    public long systemTimePrecise() {
        Instant now = Instant.now();
        return EPOCH_1601_TO_1970_100NS + now.getEpochSecond() * 10_000_000L + now.getNano() / 100;
    }

    /** {@code KeQuerySystemTime}: system time at the last clock tick. */
    public long systemTime() {
        long it = interruptTimePrecise();
        return systemTimePrecise() - it % increment;
    }

    /** The system time corresponding to interrupt time {@code interruptTime} (now's offset applied). */
    public long systemTimeAt(long interruptTime) {
        return systemTimePrecise() - interruptTimePrecise() + interruptTime;
    }

    /**
     * {@code KeStallExecutionProcessor(MicroSeconds)}: busy-waits (no yield, no park) for at least
     * {@code microseconds} (a ULONG). IRQL: any. Windows asks callers to stay at or below 50 µs.
     */
    public void stall(int microseconds) {
        long nanos = Integer.toUnsignedLong(microseconds) * 1000;
        long start = System.nanoTime();
        while (System.nanoTime() - start < nanos) {
            Thread.onSpinWait();
        }
    }

    KernelCore kernel() {
        return kernel;
    }
}
