package dev.offkern.bench.pool;

import dev.offkern.bench.peers.NativeMalloc;
import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.nt.PoolTags;
import dev.offkern.ddi.Ex;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * One allocation and its free, 64 B and 1 KiB, single thread: the offkern pool (zeroed, as
 * ExAllocatePool2 gives it, and uninitialized, as malloc gives it), through the pool manager and
 * through the DDI (ExAllocatePool2 + ExFreePoolWithTag), against glibc malloc/free and calloc/free through
 * critical downcalls (addresses as {@code long}, so no MemorySegment per call) and against a
 * confined arena's allocate+close. Verifier off, as the README's benchmark table is measured.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Doffkern.verifier=false"})
@State(Scope.Thread)
public class PoolAllocFreeBenchmark {
    private static final int TAG = PoolTags.tag("Bnch");
    @Param({"64", "1024"})
    public int size;

    private Kernel kernel;
    private Pool pool;

    @Setup(Level.Trial)
    public void boot() {
        kernel = Kernel.boot().attach(); // the DDI rows resolve this kernel from the thread
        pool = kernel.nonPagedPool();
    }

    @TearDown(Level.Trial)
    public void shutdown() {
        Kernel.detach();
        kernel.close();
    }

    @Benchmark
    public long poolAllocFree() {
        long p = pool.allocate(size, TAG, 0);
        pool.free(p, TAG);
        return p;
    }

    @Benchmark
    public long poolAllocFreeUninitialized() {
        long p = pool.allocate(size, TAG, PoolFlags.POOL_FLAG_UNINITIALIZED);
        pool.free(p, TAG);
        return p;
    }

    /** The documented surface: ExAllocatePool2 (zeroed) + ExFreePoolWithTag, the segment kept local. */
    @Benchmark
    public long ddiAllocFree() {
        MemorySegment p = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
        Ex.ExFreePoolWithTag(p, TAG);
        return p.address();
    }

    /** ExAllocatePool2 with POOL_FLAG_UNINITIALIZED + ExFreePoolWithTag: the peer of malloc. */
    @Benchmark
    public long ddiAllocFreeUninitialized() {
        MemorySegment p = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_UNINITIALIZED, size, TAG);
        Ex.ExFreePoolWithTag(p, TAG);
        return p.address();
    }

    /** calloc+free: the native peer of a zeroed block. */
    @Benchmark
    public long callocFree() {
        long p = NativeMalloc.calloc(1, size);
        NativeMalloc.free(p);
        return p;
    }

    @Benchmark
    public long mallocFree() {
        long p = NativeMalloc.malloc(size);
        NativeMalloc.free(p);
        return p;
    }

    @Benchmark
    public long arenaAllocateClose() {
        try (Arena arena = Arena.ofConfined()) {
            return arena.allocate(size, 16).address();
        }
    }
}
