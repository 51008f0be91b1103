package dev.offkern.bench.ps;

import dev.offkern.ddi.Ps;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
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
 * {@code PsGetCurrentThread} (the calling thread's ETHREAD: the kernel's resolution, the thread's
 * kernel state, its executive record) against the peer, a bare {@code ThreadLocal.get} of a
 * per-thread object. The ETHREAD is made before the measurement. Expected: 0 B/op for both
 * ({@code -prof gc}); PsGetCurrentThread costs the ThreadLocal lookup of the thread's kernel state
 * plus the kernel's run-state check. One kernel; with {@code -t 2} each thread attaches to it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Doffkern.verifier=false"})
@State(Scope.Benchmark)
public class PsCurrentThreadBenchmark {
    private static final ThreadLocal<Object> PEER = ThreadLocal.withInitial(Object::new);

    private Kernel kernel;

    /** Each measuring thread, attached to the one kernel, with its ETHREAD and its peer object made before the measurement. */
    @State(Scope.Thread)
    public static class Caller {
        @Setup(Level.Trial)
        public void setUp(PsCurrentThreadBenchmark b) {
            b.kernel.attach();
            Ps.PsGetCurrentThread(); // this thread's ETHREAD, outside the measurement
            PEER.get();
        }
    }

    @Setup(Level.Trial)
    public void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(1));
    }

    @TearDown(Level.Trial)
    public void close() {
        kernel.close();
    }

    @Benchmark
    public MemorySegment psGetCurrentThread(Caller c) {
        return Ps.PsGetCurrentThread();
    }

    @Benchmark
    public Object peerThreadLocalGet(Caller c) {
        return PEER.get();
    }
}
