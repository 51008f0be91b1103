package dev.offkern.bench.ex;

import dev.offkern.bench.peers.NativeMalloc;
import dev.offkern.ddi.Ex;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ex.ExLookaside;
import dev.offkern.runtime.ex.LookasideRegistry;
import dev.offkern.nt.PoolType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One allocate+free pair of a {@code size}-byte block, single thread: a LOOKASIDE_LIST_EX (trusted
 * segment tier, checked long tier and DDI tier; in steady state every allocation hits the list, so this is one atomic add and
 * one cmpxchg16b downcall each way), glibc malloc/free through critical downcalls, and
 * {@code Arena.ofConfined()} allocate+close.
 *
 * <p>The list's allocate routine carves blocks from a registered arena: in steady state it is never
 * called (the pair always hits), so the figure does not depend on which allocator backs the list.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Doffkern.verifier=false", "-Doffkern.lookaside.autoScan=false"})
public class LookasideAllocFreeBenchmark {

    @Param({"64", "1024"})
    public int size;

    private Kernel kernel;
    private LookasideRegistry lists;
    private Arena arena;
    private MemorySegment listSegment;
    private long list;
    private MemorySegment npagedList;
    private MemorySegment pagedList;

    @Setup(Level.Trial)
    public void setUp() {
        kernel = Kernel.boot().attach();
        lists = kernel.lookasideLists();
        arena = Arena.ofShared();
        MemorySegment memory = arena.allocate(4 << 20, 4096);
        kernel.addressSpace().register(memory, "LookasideAllocFreeBenchmark");
        listSegment = memory.asSlice(0, ExLookaside.LOOKASIDE_LIST_EX_SIZE);
        list = listSegment.address();
        AtomicLong bump = new AtomicLong(4096);
        long block = (size + 15) & ~15L;
        int status = Ex.ExInitializeLookasideListEx(listSegment,
                (type, bytes, tag, l) -> memory.asSlice(bump.getAndAdd(block), bytes), (buffer, l) -> { }, PoolType.NonPagedPool, 0,
                size, 0x6863_6542, 0);
        if (status != 0) {
            throw new IllegalStateException("ExInitializeLookasideListEx: 0x" + Integer.toHexString(status));
        }
        // The legacy families over the pool (null routines): in steady state they hit as well.
        npagedList = memory.asSlice(1024, ExLookaside.GENERAL_LOOKASIDE_SIZE);
        pagedList = memory.asSlice(2048, ExLookaside.GENERAL_LOOKASIDE_SIZE);
        Ex.ExInitializeNPagedLookasideList(npagedList, null, null, 0, size, 0x6863_6542, 0);
        Ex.ExInitializePagedLookasideList(pagedList, null, null, 0, size, 0x6863_6542, 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Ex.ExDeleteLookasideListEx(listSegment);
        Ex.ExDeleteNPagedLookasideList(npagedList);
        Ex.ExDeletePagedLookasideList(pagedList);
        kernel.close();
        arena.close();
    }

    /** Trusted segment tier: no address-space lookups. */
    @Benchmark
    public long lookasideSegment() {
        long b = ExLookaside.allocate(lists, listSegment);
        ExLookaside.free(lists, listSegment, b);
        return b;
    }

    /** Checked long tier: list and block resolved in the address space (three O(1) lookups). */
    @Benchmark
    public long lookasideRaw() {
        long b = ExLookaside.allocate(lists, list);
        ExLookaside.free(lists, list, b);
        return b;
    }

    @Benchmark
    public MemorySegment lookasideDdi() {
        MemorySegment b = Ex.ExAllocateFromLookasideListEx(listSegment);
        Ex.ExFreeToLookasideListEx(listSegment, b);
        return b;
    }

    /** The DDI with the block kept local (only its address leaves): is the returned segment scalar-replaced? */
    @Benchmark
    public long lookasideDdiLocal() {
        MemorySegment b = Ex.ExAllocateFromLookasideListEx(listSegment);
        Ex.ExFreeToLookasideListEx(listSegment, b);
        return b.address();
    }

    /** {@code ExAllocateFromNPagedLookasideList} with the block kept local: 0 B/op as lookasideDdiLocal. */
    @Benchmark
    public long npagedDdiLocal() {
        MemorySegment b = Ex.ExAllocateFromNPagedLookasideList(npagedList);
        Ex.ExFreeToNPagedLookasideList(npagedList, b);
        return b.address();
    }

    /** {@code ExAllocateFromPagedLookasideList} with the block kept local. */
    @Benchmark
    public long pagedDdiLocal() {
        MemorySegment b = Ex.ExAllocateFromPagedLookasideList(pagedList);
        Ex.ExFreeToPagedLookasideList(pagedList, b);
        return b.address();
    }

    @Benchmark
    public long mallocFree() {
        long b = NativeMalloc.malloc(size);
        NativeMalloc.free(b);
        return b;
    }

    @Benchmark
    public long arenaConfined() {
        try (Arena a = Arena.ofConfined()) {
            return a.allocate(size, 16).address();
        }
    }
}
