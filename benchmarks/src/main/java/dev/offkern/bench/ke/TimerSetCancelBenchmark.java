package dev.offkern.bench.ke;

import dev.offkern.ddi.Ke;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.agrona.DeadlineTimerWheel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Timer set + cancel with a million timers pending (due 1..60 s out, spread over the wheel): one
 * operation sets one more timer and cancels it.
 * <ul>
 *   <li>{@code keSetCancel}: {@code KeSetTimer} + {@code KeCancelTimer} on a byte-exact KTIMER in
 *       offkern's timer table (16384 LIST_ENTRY buckets, 1 ms ticks, the dispatcher lock).</li>
 *   <li>{@code stpeScheduleCancel}: {@code ScheduledThreadPoolExecutor.schedule} +
 *       {@code Future.cancel} (remove-on-cancel policy, as a timer queue that must not leak).</li>
 *   <li>{@code wheelScheduleCancel}: a bare Agrona {@code DeadlineTimerWheel} (2^20 ns ≈ 1.05 ms ticks, 16384
 *       ticks per wheel), single-threaded, no lock: the floor.</li>
 * </ul>
 * Goal (issue 9): offkern ≥ 5x STPE and ≥ 0.8x the bare wheel.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class TimerSetCancelBenchmark {
    @Param("1000000")
    int pending;

    private Kernel kernel;
    private MemorySegment timers;
    private MemorySegment probe;
    private ScheduledThreadPoolExecutor stpe;
    private DeadlineTimerWheel wheel;
    private long due = -20_000_000L; // 2 s, relative, 100 ns units
    private int next;
    private static final Runnable NOTHING = () -> { };

    @Setup(Level.Trial)
    public void setUp() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false)
                .withNonPagedPoolLimit(1L << 30)).leakReportSink(s -> { });
        long size = KTIMER.X64.size();
        timers = kernel.nonPagedPool().allocate(size * pending, 64);
        for (int i = 0; i < pending; i++) {
            MemorySegment t = timers.asSlice(i * size, size);
            Ke.KeInitializeTimer(t);
            Ke.KeSetTimer(t, -10_000_000L * (1 + i % 60) - i % 10_000, MemorySegment.NULL);
        }
        probe = kernel.nonPagedPool().allocate(size, 64);
        Ke.KeInitializeTimer(probe);

        stpe = new ScheduledThreadPoolExecutor(1);
        stpe.setRemoveOnCancelPolicy(true);
        for (int i = 0; i < pending; i++) {
            stpe.schedule(NOTHING, 1_000L * (1 + i % 60) + i % 10, TimeUnit.MILLISECONDS);
        }

        long now = System.nanoTime();
        wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, now, 1L << 20, 16384); // ~1.05 ms ticks (a power of two)
        for (int i = 0; i < pending; i++) {
            wheel.scheduleTimer(now + TimeUnit.SECONDS.toNanos(1 + i % 60) + TimeUnit.MICROSECONDS.toNanos(i % 10_000));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        stpe.shutdownNow();
        kernel.close();
    }

    @Benchmark
    public boolean keSetCancel() {
        Ke.KeSetTimer(probe, due - (next++ & 1023) * 10_000L, MemorySegment.NULL);
        return Ke.KeCancelTimer(probe);
    }

    @Benchmark
    public boolean stpeScheduleCancel() {
        ScheduledFuture<?> f = stpe.schedule(NOTHING, 2_000 + (next++ & 1023), TimeUnit.MILLISECONDS);
        return f.cancel(false);
    }

    @Benchmark
    public boolean wheelScheduleCancel() {
        long id = wheel.scheduleTimer(wheel.currentTickTime() + TimeUnit.MILLISECONDS.toNanos(2_000 + (next++ & 1023)));
        return wheel.cancelTimer(id);
    }
}
