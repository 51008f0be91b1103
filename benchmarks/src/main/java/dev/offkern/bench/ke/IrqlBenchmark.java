package dev.offkern.bench.ke;

import dev.offkern.ddi.Ke;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ke.Irql;
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
 * {@code KeRaiseIrql} + {@code KeLowerIrql} (one raise to DISPATCH_LEVEL and back) with the
 * verifier compiled out ({@code -Doffkern.verifier=false}) and in ({@code =true}, IRQL checks on),
 * against the peer: a plain {@code ThreadLocal} holding the level, read and written the same way.
 * Also {@code KeGetCurrentIrql} alone against a bare {@code ThreadLocal.get}. Each method forks
 * its own JVM with its verifier setting. Expected: 0 B/op everywhere ({@code -prof gc}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class IrqlBenchmark {


    private Kernel kernel;

    /** The peer: the IRQL in a ThreadLocal-held holder, as the simplest per-thread design would keep it. */
    private static final ThreadLocal<int[]> PEER = ThreadLocal.withInitial(() -> new int[1]);

    @Setup(Level.Trial)
    public void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(1));
        Ke.KeGetCurrentIrql(); // build this thread's state outside the measurement
    }

    @TearDown(Level.Trial)
    public void close() {
        kernel.close();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"-Doffkern.verifier=false", "--enable-native-access=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
    public int raiseLowerVerifierOff() {
        int old = Ke.KeRaiseIrql(Irql.DISPATCH_LEVEL);
        Ke.KeLowerIrql(old);
        return old;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"-Doffkern.verifier=true", "--enable-native-access=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
    public int raiseLowerVerifierOn() {
        int old = Ke.KeRaiseIrql(Irql.DISPATCH_LEVEL);
        Ke.KeLowerIrql(old);
        return old;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"-Doffkern.verifier=false", "--enable-native-access=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
    public int getCurrentIrqlVerifierOff() {
        return Ke.KeGetCurrentIrql();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
    public int peerThreadLocalRaiseLower() {
        int[] s = PEER.get();
        int old = s[0];
        s[0] = Irql.DISPATCH_LEVEL;
        PEER.get()[0] = old;
        return old;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
    public int peerThreadLocalGet() {
        return PEER.get()[0];
    }
}
