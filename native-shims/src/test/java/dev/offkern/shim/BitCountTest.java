package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BitCountTest {
    private static final ValueLayout.OfLong LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GranuleTable map;

    @BeforeEach
    void setUp() {
        assertTrue(BitCount.isAvailable(), "this test host must have the shim: " + NativeShim.location());
        map = new GranuleTable();
    }

    @AfterEach
    void tearDown() {
        map.close();
    }

    /** The reference: one Long.bitCount per little-endian word, in Java. */
    private static long javaCount(MemorySegment s, long offset, long words) {
        long c = 0;
        for (long i = 0; i < words; i++) {
            c += Long.bitCount(s.get(LE, offset + 8 * i));
        }
        return c;
    }

    private MemorySegment mapped(Arena arena, long bytes, long seed) {
        MemorySegment s = arena.allocate(bytes, 8);
        Random r = new Random(seed);
        for (long i = 0; i < bytes; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        }
        map.insert(s.address(), bytes);
        return s;
    }

    @Test
    void shouldMatchLongBitCountAtEveryOffsetAndLengthAroundTheUnrolledLoop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = mapped(arena, 8 * 80 + 8, 1);
            for (long offset = 0; offset < 8; offset++) { // 4 mod 8 is an RTL_BITMAP buffer's usual misalignment
                for (long words = 0; words <= 80; words++) {
                    assertEquals(javaCount(s, offset, words), BitCount.count(map, s.address() + offset, words),
                            "offset " + offset + ", " + words + " words");
                }
            }
            map.remove(s.address(), s.byteSize());
        }
    }

    @Test
    void shouldCountAllOnesAndZerosUpToTheLastMappedByte() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = mapped(arena, 8 * 9, 2).fill((byte) 0xFF);
            assertEquals(64 * 9, BitCount.count(map, s.address(), 9));
            assertEquals(64, BitCount.count(map, s.address() + 64, 1)); // the range's last word
            s.fill((byte) 0);
            assertEquals(0, BitCount.count(map, s.address(), 9));
            map.remove(s.address(), s.byteSize());
        }
    }

    @Test
    void shouldCountMoreWordsThanOneCriticalCallTakes() {
        long words = BitCount.CRITICAL_MAX_WORDS + 13; // the ordinary downcall
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = mapped(arena, 8 * words + 4, 3);
            assertEquals(javaCount(s, 4, words), BitCount.count(map, s.address() + 4, words));
            assertEquals(javaCount(s, 0, BitCount.CRITICAL_MAX_WORDS),
                    BitCount.count(map, s.address(), BitCount.CRITICAL_MAX_WORDS));
            map.remove(s.address(), s.byteSize());
        }
    }

    @Test
    void shouldReadNothingOutsideTheMapAndSaySo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = mapped(arena, 64, 4);
            assertEquals(-1, BitCount.count(map, s.address() + 8, 8), "one word past the mapped range");
            assertEquals(-1, BitCount.count(map, s.address() - 8, 2), "one word before it");
            assertEquals(-1, BitCount.count(map, 0, 1), "NULL");
            assertEquals(-1, BitCount.count(map, 0x10, 4), "the first page");
            assertEquals(-1, BitCount.count(map, -16, 4), "a range that wraps around the address space");
            assertEquals(-1, BitCount.count(map, s.address(), Long.MAX_VALUE / 4), "8 * words overflows");
            assertEquals(0, BitCount.count(map, 0, 0), "zero words read nothing, wherever they are");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BitCount.count(map, s.address(), -1));
            assertTrue(e.getMessage().contains("negative"), e.getMessage());
            map.remove(s.address(), s.byteSize());
            assertEquals(-1, BitCount.count(map, s.address(), 8), "removed from the map");
        }
    }

    /**
     * Threads count while the range is removed from the map and its memory unmapped: each count is
     * exact or -1 (and then the thread stops); none faults. The removal waits for counts in flight.
     */
    @Test
    void shouldCountExactlyOrReportUnmappedWhileTheRangeIsRemovedAndUnmapped() throws Exception {
        long words = 4096;
        for (int round = 0; round < 200; round++) {
            Arena arena = Arena.ofShared();
            MemorySegment s = arena.allocate(8 * words, 8).fill((byte) 0x0F); // 4 bits per byte
            map.insert(s.address(), s.byteSize());
            long address = s.address();
            long expected = 4 * 8 * words;
            AtomicLong counted = new AtomicLong();
            AtomicReference<Throwable> wrong = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(2);
            Thread[] counters = new Thread[2];
            for (int t = 0; t < counters.length; t++) {
                counters[t] = new Thread(() -> {
                    started.countDown();
                    try {
                        for (long n; (n = BitCount.count(map, address, words)) != -1; ) {
                            if (n != expected) {
                                throw new AssertionError("counted " + n + ", expected " + expected);
                            }
                            counted.incrementAndGet();
                        }
                    } catch (Throwable t2) {
                        wrong.set(t2);
                    }
                });
                counters[t].start();
            }
            started.await();
            map.remove(address, 8 * words);
            arena.close();
            for (Thread t : counters) {
                t.join();
            }
            if (wrong.get() != null) {
                throw new AssertionError("round " + round + " after " + counted.get() + " counts", wrong.get());
            }
        }
    }
}
