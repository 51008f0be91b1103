package dev.offkern.bench.ex;

import dev.offkern.ddi.Ex;
import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
 * {@code ExQueueWorkItem} → the worker routine running on a system worker thread, against
 * {@code ExecutorService.execute} to a fixed pool of two threads (the delayed queue has two workers
 * on this machine): each operation queues one item and spins until it has run, so JMH's sample
 * mode gives the queue→run round trip's p50/p99. The item is re-queued each time (it is idle once
 * its routine started). Verifier off.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class WorkItemLatencyBenchmark {
    private Kernel kernel;
    private MemorySegment item;
    private ExecutorService executor;
    private volatile long done;
    private final Runnable task = () -> done = done + 1;

    @Setup(Level.Trial)
    public void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false)).leakReportSink(s -> { });
        item = kernel.nonPagedPool().allocate(WORK_QUEUE_ITEM.X64.size(), 64);
        Ex.ExInitializeWorkItem(item, p -> done = done + 1, MemorySegment.NULL);
        executor = Executors.newFixedThreadPool(2);
    }

    @TearDown(Level.Trial)
    public void close() {
        executor.shutdownNow();
        kernel.close();
    }

    private void awaitDone(long target) {
        while (done != target) {
            Thread.onSpinWait();
        }
    }

    @Benchmark
    public long exQueueWorkItem() {
        long target = done + 1;
        Ex.ExQueueWorkItem(item, Ex.DelayedWorkQueue);
        awaitDone(target);
        return target;
    }

    @Benchmark
    public long executorService() {
        long target = done + 1;
        executor.execute(task);
        awaitDone(target);
        return target;
    }
}
