package dev.offkern.bench.rtl;

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
 * How RtlNumberOfSetBits grows with the bitmap, 1 Kbit to 1 Gbit (128 MiB, what fits comfortably
 * beside its BitSet twin), random bits, against {@code BitSet.cardinality()} on the same bits and a
 * plain 8-byte-read sum over the same native buffer (the memory-bandwidth line: what any count must
 * at least read). Half the bits set at random; ns per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Doffkern.verifier=false", "-Xmx2g"})
@State(Scope.Thread)
public class RtlBitmapSizeBenchmark {

    @Param({"1024", "1048576", "134217728", "1073741824"})
    public int bits;

    private Kernel kernel;
    private Arena arena;
    private MemorySegment buffer;
    private MemorySegment header;
    private BitSet bitSet;

    @Setup(Level.Trial)
    public void setUp() {
        kernel = Kernel.boot().attach();
        arena = Arena.ofShared();
        buffer = arena.allocate(bits / 8, 8);
        kernel.addressSpace().register(buffer, "size benchmark bitmap");
        header = arena.allocate(16, 8);
        RtlInitializeBitMap(header, buffer, bits);
        long[] words = new long[bits / 64];
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < words.length; i++) {
            words[i] = random.nextLong();
            buffer.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, words[i]);
        }
        bitSet = BitSet.valueOf(words);
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

    @Benchmark
    public int numberOfSetBitsRtl() {
        return RtlNumberOfSetBits(header);
    }

    @Benchmark
    public int numberOfSetBitsBitSet() {
        return bitSet.cardinality();
    }

    /** Reads every 8 bytes of the buffer once: the memory-bandwidth floor of any count. */
    @Benchmark
    public long readSumBandwidth() {
        long sum = 0;
        long end = buffer.byteSize();
        for (long offset = 0; offset < end; offset += 8) {
            sum += buffer.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
        }
        return sum;
    }
}
