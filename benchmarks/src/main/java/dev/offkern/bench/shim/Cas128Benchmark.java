package dev.offkern.bench.shim;

import dev.offkern.shim.Cas128;
import dev.offkern.shim.GranuleTable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Cost of one successful 16-byte CAS through the shim (raw addresses, critical downcall, both
 * addresses checked against a granule table inside the call; and the segment form, which keeps the
 * arena alive during the call), against the JDK's 8-byte CAS on the same
 * native memory (VarHandle) and on the heap (AtomicLong). Uncontended, one thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class Cas128Benchmark {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private Arena arena;
    private MemorySegment dst;
    private MemorySegment witness;
    private long dstAddress;
    private long witnessAddress;
    private long lo;
    private final AtomicLong atomic = new AtomicLong();
    private final GranuleTable map = new GranuleTable();

    @Setup
    public void setUp() {
        Cas128.requireSupported();
        arena = Arena.ofShared();
        dst = arena.allocate(16, 16);
        witness = arena.allocate(16, 16);
        dstAddress = dst.address();
        witnessAddress = witness.address();
        map.insert(dstAddress, 16);
        map.insert(witnessAddress, 16);
    }

    @TearDown
    public void tearDown() {
        map.close();
        arena.close();
    }

    @Benchmark
    public boolean cas128Raw() {
        boolean ok = Cas128.compareAndSwap(map, dstAddress, lo, 7, lo + 1, 7, witnessAddress);
        lo++;
        return ok;
    }

    @Benchmark
    public boolean cas128Segment() {
        boolean ok = Cas128.compareAndSwap(dst, lo, 7, lo + 1, 7, witness);
        lo++;
        return ok;
    }

    /** JDK baseline: 8-byte CAS on the same native memory. */
    @Benchmark
    public boolean varHandleCas64Native() {
        boolean ok = LONG.compareAndSet(dst, 0L, lo, lo + 1);
        lo++;
        return ok;
    }

    /** JDK baseline: 8-byte CAS on the heap. */
    @Benchmark
    public boolean atomicLongCas64() {
        boolean ok = atomic.compareAndSet(lo, lo + 1);
        lo++;
        return ok;
    }
}
