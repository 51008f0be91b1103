package dev.offkern.bench.rtl;

import static dev.offkern.ddi.Rtl.RtlClearBits;
import static dev.offkern.ddi.Rtl.RtlFindClearBits;
import static dev.offkern.ddi.Rtl.RtlFindClearBitsAndSet;
import static dev.offkern.ddi.Rtl.RtlInitializeBitMap;
import static dev.offkern.ddi.Rtl.RtlNumberOfSetBits;

import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;
import java.util.SplittableRandom;
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
 * RTL_BITMAP on a 1 Mbit bitmap in native memory against {@link java.util.BitSet} doing the same
 * job on the same bits, in the same run:
 * <ul>
 *   <li>{@code numberOfSetBits}: RtlNumberOfSetBits vs {@code BitSet.cardinality()};</li>
 *   <li>{@code findClearBits}: RtlFindClearBits(N, hint) vs the same two-pass search written with
 *       {@code nextClearBit}/{@code nextSetBit};</li>
 *   <li>{@code findClearBitsAndSet}: RtlFindClearBitsAndSet then RtlClearBits (to keep the bitmap
 *       stationary) vs find + {@code set} + {@code clear}.</li>
 * </ul>
 * Layouts: EMPTY (all clear), HALF_RANDOM (each bit set with probability 1/2: runs of N clear bits
 * are rare, so searches scan far), FRAGMENTED (alternating set runs of 1-8 bits and clear runs of
 * 1-{@value #MAX_CLEAR_RUN} bits). The hint moves by a large prime on each call. Run with
 * {@code -Doffkern.verifier=false} and {@code -prof gc}: the offkern side allocates nothing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Doffkern.verifier=false"})
@State(Scope.Thread)
public class RtlBitmapBenchmark {

    static final int BITS = 1 << 20;
    static final int MAX_CLEAR_RUN = 20;
    static final int HINT_STEP = 104_729;

    @Param({"EMPTY", "HALF_RANDOM", "FRAGMENTED"})
    public String layout;

    /** Number of clear bits to find. */
    @Param({"16"})
    public int n;

    private Kernel kernel;
    private Arena arena;
    private MemorySegment header;
    private BitSet bitSet;
    private int hint;

    @Setup(Level.Trial)
    public void setUp() {
        kernel = Kernel.boot().attach(); // attached: Kernel.current() is a thread-local read
        arena = Arena.ofShared();
        MemorySegment buffer = arena.allocate(BITS / 8, 8);
        kernel.addressSpace().register(buffer, "benchmark bitmap");
        header = arena.allocate(16, 8);
        RtlInitializeBitMap(header, buffer, BITS);
        bitSet = new BitSet(BITS);
        SplittableRandom random = new SplittableRandom(42);
        switch (layout) {
            case "EMPTY" -> { }
            case "HALF_RANDOM" -> {
                for (int i = 0; i < BITS; i++) {
                    if (random.nextBoolean()) {
                        bitSet.set(i);
                    }
                }
            }
            case "FRAGMENTED" -> {
                int i = 0;
                while (i < BITS) {
                    int set = 1 + random.nextInt(8);
                    bitSet.set(i, Math.min(BITS, i + set));
                    i += set + 1 + random.nextInt(MAX_CLEAR_RUN);
                }
            }
            default -> throw new IllegalArgumentException(layout);
        }
        long[] words = bitSet.toLongArray();
        for (int i = 0; i < words.length; i++) {
            buffer.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, words[i]);
        }
        if (RtlNumberOfSetBits(header) != bitSet.cardinality()) {
            throw new IllegalStateException("bitmap and BitSet differ");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Kernel.detach();
        kernel.close();
        arena.close();
    }

    private int nextHint() {
        hint = (hint + HINT_STEP) & (BITS - 1);
        return hint;
    }

    @Benchmark
    public int numberOfSetBitsRtl() {
        return RtlNumberOfSetBits(header);
    }

    @Benchmark
    public int numberOfSetBitsBitSet() {
        return bitSet.cardinality();
    }

    @Benchmark
    public int findClearBitsRtl() {
        return RtlFindClearBits(header, n, nextHint());
    }

    @Benchmark
    public int findClearBitsBitSet() {
        return bitSetFindClear(bitSet, BITS, n, nextHint());
    }

    @Benchmark
    public int findClearBitsAndSetRtl() {
        int found = RtlFindClearBitsAndSet(header, n, nextHint());
        if (found != -1) {
            RtlClearBits(header, found, n);
        }
        return found;
    }

    @Benchmark
    public int findClearBitsAndSetBitSet() {
        int found = bitSetFindClear(bitSet, BITS, n, nextHint());
        if (found != -1) {
            bitSet.set(found, found + n);
            bitSet.clear(found, found + n);
        }
        return found;
    }

    /** RtlFindClearBits' two-pass rule written with BitSet's scans. */
    static int bitSetFindClear(BitSet bits, int size, int count, int hint) {
        int start = hint >= size ? 0 : hint;
        int found = bitSetRun(bits, count, start, size);
        if (found < 0 && start != 0) {
            found = bitSetRun(bits, count, 0, (int) Math.min((long) hint + count, size));
        }
        return found;
    }

    private static int bitSetRun(BitSet bits, int count, int from, int limit) {
        int position = from;
        while (limit - position >= count) {
            int start = bits.nextClearBit(position);
            if (start > limit - count) {
                return -1;
            }
            int breaker = bits.nextSetBit(start + 1);
            if (breaker < 0 || breaker >= start + count) {
                return start;
            }
            position = breaker + 1;
        }
        return -1;
    }
}
