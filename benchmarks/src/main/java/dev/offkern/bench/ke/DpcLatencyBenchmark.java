package dev.offkern.bench.ke;

import dev.offkern.ddi.Ke;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
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
 * {@code KeInsertQueueDpc} → the routine running, against the JDK's hand-offs: each operation
 * queues one unit of work and spins until it has run; JMH's sample mode gives the round trip's
 * p50/p99/p99.9, and an HdrHistogram records the one-way latency (insert → routine start), printed
 * per trial.
 * <ul>
 *   <li>{@code dpcOtherProcessor}: a DPC targeted at the other processor, run by its service thread
 *       (an unpark hand-off inside offkern).</li>
 *   <li>{@code dpcSameProcessor}: a DPC for the caller's own processor at PASSIVE_LEVEL, which runs
 *       before KeInsertQueueDpc returns (no hand-off: Windows' software-interrupt timing).</li>
 *   <li>{@code executorHandOff}: {@code ExecutorService.execute} to a single-thread executor.</li>
 *   <li>{@code unparkHandOff}: a volatile flag and {@code LockSupport.unpark} of a parked worker.</li>
 * </ul>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class DpcLatencyBenchmark {
    private Kernel kernel;
    private MemorySegment otherDpc;
    private MemorySegment sameDpc;
    private volatile long done;
    private volatile long startNanos;
    private final Histogram oneWayDpc = new Histogram(3);
    private final Histogram oneWayExecutor = new Histogram(3);
    private final Histogram oneWayUnpark = new Histogram(3);
    private ExecutorService executor;
    private Thread worker;
    private volatile long workerRequest;
    private volatile boolean stop;

    @Setup(Level.Trial)
    public void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false)).leakReportSink(s -> { });
        int me = Ke.KeGetCurrentProcessorNumber();
        otherDpc = kernel.nonPagedPool().allocate(KDPC.X64.size(), 64);
        sameDpc = kernel.nonPagedPool().allocate(KDPC.X64.size(), 64);
        Ke.KeInitializeDpc(otherDpc, (dpc, ctx, a1, a2) -> {
            oneWayDpc.recordValue(Math.max(0, System.nanoTime() - startNanos));
            done = done + 1;
        }, MemorySegment.NULL);
        Ke.KeSetTargetProcessorDpc(otherDpc, 1 - me);
        Ke.KeInitializeDpc(sameDpc, (dpc, ctx, a1, a2) -> done = done + 1, MemorySegment.NULL);
        executor = Executors.newSingleThreadExecutor();
        worker = Thread.ofPlatform().daemon().start(() -> {
            long seen = 0;
            while (!stop) {
                long r = workerRequest;
                if (r != seen) {
                    oneWayUnpark.recordValue(Math.max(0, System.nanoTime() - startNanos));
                    seen = r;
                    done = done + 1;
                } else {
                    LockSupport.park();
                }
            }
        });
    }

    @TearDown(Level.Trial)
    public void close() {
        stop = true;
        LockSupport.unpark(worker);
        executor.shutdownNow();
        kernel.close();
        print("dpc (other processor)", oneWayDpc);
        print("ExecutorService", oneWayExecutor);
        print("LockSupport.unpark", oneWayUnpark);
    }

    private static void print(String what, Histogram h) {
        if (h.getTotalCount() > 0) {
            System.out.printf("%n# one-way %s: n=%d p50=%.1f us p99=%.1f us p99.9=%.1f us max=%.1f us%n", what, h.getTotalCount(),
                    h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3,
                    h.getMaxValue() / 1e3);
        }
    }

    private void awaitDone(long target) {
        while (done != target) {
            Thread.onSpinWait();
        }
    }

    @Benchmark
    public long dpcOtherProcessor() {
        long target = done + 1;
        startNanos = System.nanoTime();
        Ke.KeInsertQueueDpc(otherDpc, MemorySegment.NULL, MemorySegment.NULL);
        awaitDone(target);
        return target;
    }

    @Benchmark
    public long dpcSameProcessor() {
        long target = done + 1;
        Ke.KeInsertQueueDpc(sameDpc, MemorySegment.NULL, MemorySegment.NULL);
        awaitDone(target);
        return target;
    }

    @Benchmark
    public long executorHandOff() {
        long target = done + 1;
        startNanos = System.nanoTime();
        executor.execute(() -> {
            oneWayExecutor.recordValue(Math.max(0, System.nanoTime() - startNanos));
            done = done + 1;
        });
        awaitDone(target);
        return target;
    }

    @Benchmark
    public long unparkHandOff() {
        long target = done + 1;
        startNanos = System.nanoTime();
        workerRequest = workerRequest + 1;
        LockSupport.unpark(worker);
        awaitDone(target);
        return target;
    }
}
