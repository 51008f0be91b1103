package dev.offkern.runtime.rtl;

import static dev.offkern.ddi.Rtl.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Every RTL_BITMAP routine against {@link BitmapModel} on random bitmaps: random sizes (0 and
 * sizes that are not multiples of 32 included), buffers longer than the bitmap with random bits
 * past SizeOfBitMap, buffers at 0 and 4 mod 8, and random sequences of calls whose parameters
 * favour the edges (0, Size - 1, Size, past the end, 0xFFFFFFFF, word boundaries). After every
 * call the result, the whole buffer and the guard bytes around it are compared.
 */
class RtlBitmapPropertyTest {

    private static final int OPERATIONS = 40;

    @Property(tries = 250)
    void everyRoutineShouldMatchTheReferenceModel(@ForAll @IntRange(min = 0, max = 300) int size,
                                                  @ForAll @IntRange(min = 0, max = 2) int extraUlongs,
                                                  @ForAll boolean atFourModEight,
                                                  @ForAll long seed) {
        Random random = new Random(seed);
        int ulongs = (size + 31) / 32 + extraUlongs;
        try (BitmapFixture f = new BitmapFixture(ulongs, atFourModEight ? 4 : 0);
             Arena arena = Arena.ofConfined()) {
            f.init(size);
            BitmapModel model = new BitmapModel(randomBits(random, ulongs * 32), size);
            store(f, model);
            MemorySegment runs = arena.allocate(8 * 8, 4);
            for (int op = 0; op < OPERATIONS; op++) {
                String call = step(random, f, model, runs);
                assertBufferMatches(f, model, call);
                f.assertGuardsIntact();
            }
        }
    }

    @Property(tries = 400)
    void findWithAHintShouldMatchTheReferenceModel(@ForAll @IntRange(min = 0, max = 200) int size,
                                                   @ForAll @IntRange(min = 0, max = 210) int count,
                                                   @ForAll @IntRange(min = 0, max = 230) int hint,
                                                   @ForAll long seed) {
        Random random = new Random(seed);
        int ulongs = (size + 31) / 32;
        try (BitmapFixture f = new BitmapFixture(ulongs)) {
            f.init(size);
            BitmapModel model = new BitmapModel(randomBits(random, ulongs * 32), size);
            store(f, model);
            assertEquals(model.find(count, hint, false), Integer.toUnsignedLong(RtlFindClearBits(f.header, count, hint)),
                    "RtlFindClearBits(" + count + ", " + hint + ")");
            assertEquals(model.find(count, hint, true), Integer.toUnsignedLong(RtlFindSetBits(f.header, count, hint)),
                    "RtlFindSetBits(" + count + ", " + hint + ")");
        }
    }

    @Property(tries = 60)
    void largeBitmapsShouldMatchTheReferenceModel(@ForAll @IntRange(min = 1000, max = 5000) int size,
                                                  @ForAll @IntRange(min = 0, max = 300) int count,
                                                  @ForAll long seed) {
        Random random = new Random(seed);
        int ulongs = (size + 31) / 32;
        try (BitmapFixture f = new BitmapFixture(ulongs, random.nextBoolean() ? 4 : 0);
             Arena arena = Arena.ofConfined()) {
            f.init(size);
            BitmapModel model = new BitmapModel(randomBits(random, ulongs * 32), size);
            store(f, model);
            for (int i = 0; i < 5; i++) {
                long hint = index(random, size);
                assertEquals(model.find(count, hint, false), Integer.toUnsignedLong(RtlFindClearBits(f.header, count, (int) hint)),
                        "RtlFindClearBits(" + count + ", " + hint + ")");
                assertEquals(model.find(count, hint, true), Integer.toUnsignedLong(RtlFindSetBits(f.header, count, (int) hint)),
                        "RtlFindSetBits(" + count + ", " + hint + ")");
                long start = index(random, size);
                long length = count(random, size);
                assertEquals((int) model.countSetInRange(start, length), RtlNumberOfSetBitsInRange(f.header, (int) start, (int) length),
                        "RtlNumberOfSetBitsInRange(" + start + ", " + length + ")");
            }
            assertEquals(model.countSet(0, size), RtlNumberOfSetBits(f.header), "RtlNumberOfSetBits");
            long[] longest = model.longestRunClear();
            assertEquals(longest[0], Integer.toUnsignedLong(RtlFindLongestRunClear(f.header, f.index)), "RtlFindLongestRunClear");
            assertEquals(longest[1], Integer.toUnsignedLong(f.index()), "RtlFindLongestRunClear index");
            checkRuns(f, model, arena.allocate(8 * 8, 4), 8, random.nextBoolean());
            f.assertGuardsIntact();
        }
    }

    /**
     * Counts over at least BitmapWords.NATIVE_COUNT_MIN_CHUNKS full chunks go to the shim's popcount:
     * whole bitmaps and ranges on either side of that threshold, at both buffer alignments, against
     * the model; the guards around the buffer stay intact (the shim reads nothing past it).
     */
    @Property(tries = 40)
    void countsLongEnoughForTheShimShouldMatchTheReferenceModel(@ForAll @IntRange(min = 8000, max = 70000) int size,
                                                                @ForAll long seed) {
        Random random = new Random(seed);
        int ulongs = (size + 31) / 32;
        try (BitmapFixture f = new BitmapFixture(ulongs, random.nextBoolean() ? 4 : 0)) {
            f.init(size);
            BitmapModel model = new BitmapModel(randomBits(random, ulongs * 32), size);
            store(f, model);
            assertEquals(model.countSet(0, size), RtlNumberOfSetBits(f.header), "RtlNumberOfSetBits");
            assertEquals(size - model.countSet(0, size), RtlNumberOfClearBits(f.header), "RtlNumberOfClearBits");
            long threshold = 64 * BitmapWords.NATIVE_COUNT_MIN_CHUNKS;
            for (int i = 0; i < 8; i++) {
                long start = random.nextInt(size); // size >= 8000
                long length = i % 2 == 0 ? Math.min(size - start, threshold + random.nextInt(130) - 2)
                        : 1 + (long) random.nextInt((int) (size - start));
                assertEquals((int) model.countSetInRange(start, length), RtlNumberOfSetBitsInRange(f.header, (int) start, (int) length),
                        "RtlNumberOfSetBitsInRange(" + start + ", " + length + ")");
            }
            f.assertGuardsIntact();
        }
    }

    @Property(tries = 300)
    void findClearRunsShouldReportWhatWindowsReports(@ForAll @IntRange(min = 0, max = 200) int size,
                                                     @ForAll @IntRange(min = 0, max = 12) int capacity,
                                                     @ForAll boolean longest,
                                                     @ForAll long seed) {
        Random random = new Random(seed);
        int ulongs = (size + 31) / 32;
        try (BitmapFixture f = new BitmapFixture(ulongs);
             Arena arena = Arena.ofConfined()) {
            f.init(size);
            BitmapModel model = new BitmapModel(randomBits(random, ulongs * 32), size);
            store(f, model);
            MemorySegment runs = arena.allocate(8L * (capacity + 1), 4);
            checkRuns(f, model, runs, capacity, longest);
        }
    }

    @Property(tries = 150)
    void trustedRangesShouldFaultExactlyWhenTheyLeaveRegisteredMemory(@ForAll @IntRange(min = 1, max = 6) int ulongs,
                                                                      @ForAll @IntRange(min = 0, max = 260) int start,
                                                                      @ForAll @IntRange(min = 0, max = 100) int count,
                                                                      @ForAll boolean set) {
        try (BitmapFixture f = new BitmapFixture(1);
             Arena arena = Arena.ofConfined()) {
            MemorySegment exact = arena.allocate(ulongs * 4L, 4);
            f.kernel.addressSpace().register(exact, "exact buffer");
            RtlInitializeBitMap(f.header, exact, ulongs * 32);
            boolean inside = count == 0 || start + count <= ulongs * 32;
            Runnable call = set ? () -> RtlSetBits(f.header, start, count) : () -> RtlClearBits(f.header, start, count);
            exact.fill(set ? (byte) 0 : (byte) 0xFF);
            if (inside) {
                call.run();
                for (long i = 0; i < ulongs * 32L; i++) {
                    boolean in = i >= start && i < start + count;
                    boolean bit = (exact.get(ValueLayout.JAVA_BYTE, i / 8) & (1 << (i % 8))) != 0;
                    assertEquals(set == in, bit, "bit " + i);
                }
            } else {
                BugCheck stop = assertThrows(BugCheck.class, call::run);
                assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, stop.code());
                for (long b = 0; b < exact.byteSize(); b++) {
                    assertEquals(set ? 0 : -1, exact.get(ValueLayout.JAVA_BYTE, b), "nothing written before the fault");
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** Runs one random call on both sides and compares the results; returns its description. */
    private static String step(Random random, BitmapFixture f, BitmapModel model, MemorySegment runs) {
        int size = model.size;
        int bufferBits = model.bits.length;
        MemorySegment h = f.header;
        switch (random.nextInt(22)) {
            case 0, 1 -> {
                long start = bufferBits == 0 ? 0 : random.nextInt(bufferBits + 1);
                long count = random.nextInt((int) (bufferBits - start) + 1);
                boolean set = random.nextBoolean();
                if (set) {
                    RtlSetBits(h, (int) start, (int) count);
                } else {
                    RtlClearBits(h, (int) start, (int) count);
                }
                model.setRange(start, count, set);
                return (set ? "RtlSetBits(" : "RtlClearBits(") + start + ", " + count + ")";
            }
            case 2 -> {
                if (bufferBits == 0) {
                    return "nothing";
                }
                int bit = random.nextInt(bufferBits);
                boolean set = random.nextBoolean();
                if (set) {
                    RtlSetBit(h, bit);
                } else {
                    RtlClearBit(h, bit);
                }
                model.setRange(bit, 1, set);
                return (set ? "RtlSetBit(" : "RtlClearBit(") + bit + ")";
            }
            case 3 -> {
                if (bufferBits == 0) {
                    return "nothing";
                }
                int bit = random.nextInt(bufferBits);
                assertEquals(!model.clear(bit), RtlTestBit(h, bit), "RtlTestBit(" + bit + ")");
                assertEquals(!model.clear(bit), RtlCheckBit(h, bit), "RtlCheckBit(" + bit + ")");
                return "RtlTestBit";
            }
            case 4, 5 -> {
                long start = index(random, size);
                long length = count(random, size);
                String call = "RtlAreBits*(" + start + ", " + length + ")";
                assertEquals(model.allEqual(start, length, false), RtlAreBitsClear(h, (int) start, (int) length), call);
                assertEquals(model.allEqual(start, length, true), RtlAreBitsSet(h, (int) start, (int) length), call);
                return call;
            }
            case 6, 7, 8 -> {
                long count = count(random, size);
                long hint = index(random, size);
                String call = "RtlFind*Bits(" + count + ", " + hint + ")";
                assertEquals(model.find(count, hint, false), Integer.toUnsignedLong(RtlFindClearBits(h, (int) count, (int) hint)), call);
                assertEquals(model.find(count, hint, true), Integer.toUnsignedLong(RtlFindSetBits(h, (int) count, (int) hint)), call);
                return call;
            }
            case 9, 10 -> {
                long count = count(random, size);
                long hint = index(random, size);
                boolean clear = random.nextBoolean();
                long expected = model.find(count, hint, !clear);
                long actual = Integer.toUnsignedLong(clear
                        ? RtlFindClearBitsAndSet(h, (int) count, (int) hint)
                        : RtlFindSetBitsAndClear(h, (int) count, (int) hint));
                String call = (clear ? "RtlFindClearBitsAndSet(" : "RtlFindSetBitsAndClear(") + count + ", " + hint + ")";
                assertEquals(expected, actual, call);
                if (expected != 0xFFFFFFFFL) {
                    model.setRange(expected, count, clear);
                }
                return call;
            }
            case 11, 12 -> {
                checkRuns(f, model, runs, random.nextInt(8), random.nextBoolean());
                return "RtlFindClearRuns";
            }
            case 13 -> {
                long[] expected = model.longestRunClear();
                f.index(0x5A5A5A5A);
                assertEquals(expected[0], Integer.toUnsignedLong(RtlFindLongestRunClear(h, f.index)), "RtlFindLongestRunClear");
                assertEquals(expected[1], Integer.toUnsignedLong(f.index()), "RtlFindLongestRunClear index");
                long[] first = model.nextForwardRunClear(0);
                assertEquals(first[0], Integer.toUnsignedLong(RtlFindFirstRunClear(h, f.index)), "RtlFindFirstRunClear");
                assertEquals(first[1], Integer.toUnsignedLong(f.index()), "RtlFindFirstRunClear index");
                return "RtlFindLongestRunClear";
            }
            case 14, 15 -> {
                long from = index(random, size);
                long[] forward = model.nextForwardRunClear(from);
                assertEquals(forward[0], Integer.toUnsignedLong(RtlFindNextForwardRunClear(h, (int) from, f.index)),
                        "RtlFindNextForwardRunClear(" + from + ")");
                assertEquals(forward[1], Integer.toUnsignedLong(f.index()), "RtlFindNextForwardRunClear(" + from + ") index");
                long[] backward = model.lastBackwardRunClear(from);
                assertEquals(backward[0], Integer.toUnsignedLong(RtlFindLastBackwardRunClear(h, (int) from, f.index)),
                        "RtlFindLastBackwardRunClear(" + from + ")");
                assertEquals(backward[1], Integer.toUnsignedLong(f.index()), "RtlFindLastBackwardRunClear(" + from + ") index");
                return "RtlFind*RunClear(" + from + ")";
            }
            case 16 -> {
                long set = model.countSet(0, size);
                assertEquals(set, Integer.toUnsignedLong(RtlNumberOfSetBits(h)), "RtlNumberOfSetBits");
                assertEquals(size - set, Integer.toUnsignedLong(RtlNumberOfClearBits(h)), "RtlNumberOfClearBits");
                return "RtlNumberOf*Bits";
            }
            case 17, 18 -> {
                long start = index(random, size);
                long length = count(random, size);
                long set = model.countSetInRange(start, length);
                long clear = set == BitmapModel.NOT_FOUND ? BitmapModel.NOT_FOUND : length - set;
                String call = "RtlNumberOf*BitsInRange(" + start + ", " + length + ")";
                assertEquals((int) set, RtlNumberOfSetBitsInRange(h, (int) start, (int) length), call);
                assertEquals((int) clear, RtlNumberOfClearBitsInRange(h, (int) start, (int) length), call);
                return call;
            }
            case 19 -> {
                boolean set = random.nextBoolean();
                if (set) {
                    RtlSetAllBits(h);
                } else {
                    RtlClearAllBits(h);
                }
                model.setAll(set);
                return set ? "RtlSetAllBits" : "RtlClearAllBits";
            }
            default -> {
                long value = random.nextInt(4) == 0 ? 0 : random.nextLong() >>> random.nextInt(64);
                int msb = -1;
                int lsb = -1;
                int population = 0;
                for (int i = 0; i < 64; i++) {
                    if ((value & (1L << i)) != 0) {
                        msb = i;
                        lsb = lsb < 0 ? i : lsb;
                        population++;
                    }
                }
                assertEquals(msb, RtlFindMostSignificantBit(value), "RtlFindMostSignificantBit(" + value + ")");
                assertEquals(lsb, RtlFindLeastSignificantBit(value), "RtlFindLeastSignificantBit(" + value + ")");
                assertEquals(population, RtlNumberOfSetBitsUlongPtr(value), "RtlNumberOfSetBitsUlongPtr(" + value + ")");
                return "bit scans";
            }
        }
    }

    private static void checkRuns(BitmapFixture f, BitmapModel model, MemorySegment runs, int capacity, boolean longest) {
        String call = "RtlFindClearRuns(" + capacity + ", " + longest + ")";
        List<long[]> expected = model.findClearRuns(capacity, longest);
        runs.fill((byte) 0x5A);
        int count = RtlFindClearRuns(f.header, runs, capacity, longest);
        assertEquals(expected.size(), count, call + " count");
        for (int i = 0; i < count; i++) {
            assertEquals(expected.get(i)[0], Integer.toUnsignedLong(runs.get(ValueLayout.JAVA_INT, 8L * i)), call + " run " + i + " start");
            assertEquals(expected.get(i)[1], Integer.toUnsignedLong(runs.get(ValueLayout.JAVA_INT, 8L * i + 4)), call + " run " + i + " length");
        }
        for (long b = 8L * count; b < runs.byteSize(); b++) {
            assertEquals((byte) 0x5A, runs.get(ValueLayout.JAVA_BYTE, b), call + " wrote past the runs it returned");
        }
    }

    /** An index favouring the edges: 0, Size - 1, Size, past the end, 0xFFFFFFFF, word boundaries. */
    private static long index(Random random, int size) {
        return switch (random.nextInt(9)) {
            case 0 -> 0;
            case 1 -> Math.max(0, size - 1);
            case 2 -> size;
            case 3 -> size + 1 + random.nextInt(40);
            case 4 -> 0xFFFFFFFFL;
            case 5 -> Math.max(0, random.nextInt(6) * 32L + random.nextInt(3) - 1);
            default -> random.nextInt(size + 1);
        };
    }

    /** A count favouring the edges: 0, 1, small, Size, Size + 1, 0xFFFFFFFF. */
    private static long count(Random random, int size) {
        return switch (random.nextInt(9)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> 1 + random.nextInt(8);
            case 3 -> size;
            case 4 -> size + 1;
            case 5 -> 0xFFFFFFFFL;
            default -> random.nextInt(size + 2);
        };
    }

    /** Bits with a random texture: uniform noise of some density, or runs of random lengths. */
    private static boolean[] randomBits(Random random, int n) {
        boolean[] bits = new boolean[n];
        switch (random.nextInt(5)) {
            case 0 -> { } // all clear
            case 1 -> java.util.Arrays.fill(bits, true);
            case 2 -> {
                double density = random.nextDouble();
                for (int i = 0; i < n; i++) {
                    bits[i] = random.nextDouble() < density;
                }
            }
            default -> {
                int mean = 1 + random.nextInt(40);
                boolean value = random.nextBoolean();
                for (int i = 0; i < n; ) {
                    int length = 1 + random.nextInt(2 * mean);
                    for (int j = 0; j < length && i < n; j++, i++) {
                        bits[i] = value;
                    }
                    value = !value;
                }
            }
        }
        return bits;
    }

    private static void store(BitmapFixture f, BitmapModel model) {
        for (int i = 0; i < model.bits.length / 32; i++) {
            int word = 0;
            for (int j = 0; j < 32; j++) {
                if (model.bits[i * 32 + j]) {
                    word |= 1 << j;
                }
            }
            f.ulong(i, word);
        }
    }

    private static void assertBufferMatches(BitmapFixture f, BitmapModel model, String call) {
        for (int i = 0; i < model.bits.length / 32; i++) {
            int word = 0;
            for (int j = 0; j < 32; j++) {
                if (model.bits[i * 32 + j]) {
                    word |= 1 << j;
                }
            }
            assertEquals(word, f.ulong(i), "ULONG " + i + " after " + call);
        }
    }
}
