package dev.offkern.bench.ex;

import dev.offkern.bench.peers.NativeSListLoop;
import dev.offkern.ddi.Ex;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ex.ExSList;
import dev.offkern.runtime.mm.AddressSpace;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SLIST push+pop on top of a list already {@code depth} entries deep (1 to 1,000,000; SLIST_HEADER's
 * 16-bit Depth wraps past 65535, as Windows' does, and nothing else depends on it): the cost must not
 * grow with the depth (one 128-bit CAS per operation, whatever lies below). Raw tier, DDI and the
 * native C loop on the same header. 1 thread, ns per push+pop pair.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Doffkern.verifier=false"})
@State(Scope.Thread)
public class SListDepthBenchmark {
    private static final int BATCH = 1000;

    @Param({"1", "1000", "1000000"})
    public int depth;

    private Kernel kernel;
    private AddressSpace space;
    private Arena arena;
    private MemorySegment headerSegment;
    private long header;
    private MemorySegment entrySegment;
    private long entry;

    @Setup(Level.Trial)
    public void setUp() {
        kernel = Kernel.boot().attach();
        space = kernel.addressSpace();
        arena = Arena.ofShared();
        MemorySegment memory = arena.allocate(16L * (depth + 2), 4096);
        space.register(memory, "SListDepthBenchmark");
        headerSegment = memory.asSlice(0, 16);
        header = headerSegment.address();
        Ex.InitializeSListHead(headerSegment);
        for (int i = 0; i < depth; i++) {
            ExSList.push(space, header, header + 16L * (i + 2));
        }
        entrySegment = memory.asSlice(16, 16);
        entry = entrySegment.address();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Kernel.detach();
        kernel.close();
        arena.close();
    }

    @Benchmark
    public long offkernRaw() {
        ExSList.push(space, header, entry);
        return ExSList.pop(space, header);
    }

    @Benchmark
    public long offkernDdiLocal() {
        Ex.InterlockedPushEntrySList(headerSegment, entrySegment);
        return Ex.InterlockedPopEntrySList(headerSegment).address();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long nativeLoop() {
        return NativeSListLoop.pushPop(header, entry, BATCH);
    }
}
