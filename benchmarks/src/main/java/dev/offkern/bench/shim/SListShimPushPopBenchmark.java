package dev.offkern.bench.shim;

import dev.offkern.bench.peers.NativeSListLoop;
import dev.offkern.shim.GranuleTable;
import dev.offkern.shim.SListShim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One push+pop pair on an x64 SLIST_HEADER, uncontended: through the shim (two critical downcalls,
 * header and entries checked against a granule table inside each), the native floor (the same pair
 * in a C loop, no downcall, no checks: the benchmark-only {@link NativeSListLoop}), and the JDK's
 * lock-free deque as the Java baseline (which allocates a node per push).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SListShimPushPopBenchmark {
    private static final int NATIVE_BATCH = 1000;

    private Arena arena;
    private long header;
    private long entry;
    private final ConcurrentLinkedDeque<Object> deque = new ConcurrentLinkedDeque<>();
    private final Object item = new Object();
    private final GranuleTable map = new GranuleTable();

    @Setup
    public void setUp() {
        arena = Arena.ofShared();
        MemorySegment block = arena.allocate(64, 16);
        header = block.address();
        entry = block.address() + 32;
        map.insert(block.address(), block.byteSize());
    }

    @TearDown
    public void tearDown() {
        map.close();
        arena.close();
    }

    @Benchmark
    public long shimPushPop() {
        SListShim.push(map, header, entry);
        return SListShim.pop(map, header);
    }

    /** The floor: push+pop in C, {@value #NATIVE_BATCH} pairs per downcall. */
    @Benchmark
    @OperationsPerInvocation(NATIVE_BATCH)
    public long nativeFloorPushPop() {
        return NativeSListLoop.pushPop(header, entry, NATIVE_BATCH);
    }

    /** JDK baseline. */
    @Benchmark
    public Object concurrentLinkedDequePushPop() {
        deque.push(item);
        return deque.pop();
    }
}
