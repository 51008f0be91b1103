package dev.offkern.bench.ke;

import dev.offkern.ddi.Ke;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Lateness of a 1 ms periodic KTIMER over 10 s: its DPC records, for every expiry, how long after
 * the expiry's due time it runs (KeQueryInterruptTimePrecise at the routine minus the due time,
 * which is the re-armed DueTime less one period). One single-shot iteration of 10 s; the
 * percentiles come out as auxiliary counters (µs) and are printed from an HdrHistogram. Lateness
 * includes the tick granularity (1 ms ticks: up to one tick by design, see docs/timers.md), the
 * clock thread's wake-up and the hand-off to the processor's service thread.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1, batchSize = 1)
@Fork(1)
@State(Scope.Benchmark)
public class TimerLatenessBenchmark {
    private Kernel kernel;
    private MemorySegment timer;
    private MemorySegment dpc;
    private final Histogram lateness = new Histogram(3);

    /** The percentiles, reported by JMH next to the iteration time. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Lateness {
        public double p50Micros;
        public double p99Micros;
        public double p999Micros;
        public double expiries;
    }

    @Setup(Level.Trial)
    public void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false)).leakReportSink(s -> { });
        timer = kernel.nonPagedPool().allocate(KTIMER.X64.size(), 64);
        dpc = kernel.nonPagedPool().allocate(KDPC.X64.size(), 64);
        Ke.KeInitializeTimer(timer);
        Ke.KeInitializeDpc(dpc, (d, ctx, a1, a2) -> {
            long now = Ke.KeQueryInterruptTimePrecise();
            long due = timer.get(ValueLayout.JAVA_LONG, KTIMER.DUE_TIME_OFFSET) - 10_000; // re-armed: previous due = next - period
            synchronized (lateness) {
                lateness.recordValue(Math.max(0, (now - due) * 100)); // ns
            }
        }, MemorySegment.NULL);
    }

    @TearDown(Level.Trial)
    public void close() {
        kernel.close();
    }

    @Benchmark
    public void periodic1ms(Lateness out) throws InterruptedException {
        Ke.KeSetTimerEx(timer, -10_000, 1, dpc);
        Thread.sleep(10_000);
        Ke.KeCancelTimer(timer);
        Ke.KeFlushQueuedDpcs();
        synchronized (lateness) {
            out.p50Micros = lateness.getValueAtPercentile(50) / 1e3;
            out.p99Micros = lateness.getValueAtPercentile(99) / 1e3;
            out.p999Micros = lateness.getValueAtPercentile(99.9) / 1e3;
            out.expiries = lateness.getTotalCount();
            System.out.printf("%n# 1 ms periodic KTIMER over 10 s: %d expiries, lateness p50=%.1f us p99=%.1f us p99.9=%.1f us max=%.1f us%n",
                    lateness.getTotalCount(), out.p50Micros, out.p99Micros, out.p999Micros, lateness.getMaxValue() / 1e3);
        }
    }
}
