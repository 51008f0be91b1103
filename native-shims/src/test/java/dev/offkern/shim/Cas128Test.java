package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Cas128Test {
    private static final ValueLayout.OfLong Q = ValueLayout.JAVA_LONG;

    private Arena arena;
    private MemorySegment dst;
    private MemorySegment witness;

    @BeforeEach
    void setUp() {
        assertTrue(Cas128.isSupported(), "this test host must have the shim and cmpxchg16b: " + NativeShim.location());
        arena = Arena.ofShared();
        dst = arena.allocate(32, 16);
        witness = arena.allocate(16, 8);
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    private static GranuleTable mapOf(MemorySegment... segments) {
        GranuleTable map = new GranuleTable();
        for (MemorySegment s : segments) {
            map.insert(s.address(), s.byteSize());
        }
        return map;
    }

    @Test
    void shouldRefuseRawAddressesOutsideTheTableWithoutWriting() {
        put(dst, 1, 2);
        GranuleTable map = mapOf(dst);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Cas128.compareAndSwap(map, dst.address(), 1, 2, 3, 4, witness.address()));
        assertTrue(e.getMessage().contains("not in the granule table"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Cas128.compareAndSwap(map, 0x7000_0000_0000L, 1, 2, 3, 4, dst.address()));
        assertEquals(1, dst.get(Q, 0));
        assertEquals(2, dst.get(Q, 8));
    }

    private void put(MemorySegment s, long lo, long hi) {
        s.set(Q, 0, lo);
        s.set(Q, 8, hi);
    }

    @Test
    void shouldSwapAndWitnessOldValueWhenComparandMatches() {
        put(dst, 0x1111_2222_3333_4444L, 0x5555_6666_7777_8888L);
        put(witness, -1, -1);
        assertTrue(Cas128.compareAndSwap(dst, 0x1111_2222_3333_4444L, 0x5555_6666_7777_8888L, 42, -42, witness));
        assertEquals(42, dst.get(Q, 0));
        assertEquals(-42, dst.get(Q, 8));
        assertEquals(0x1111_2222_3333_4444L, witness.get(Q, 0));
        assertEquals(0x5555_6666_7777_8888L, witness.get(Q, 8));
    }

    @Test
    void shouldFailAndWitnessCurrentValueWhenLowHalfDiffers() {
        put(dst, 7, 9);
        assertFalse(Cas128.compareAndSwap(dst, 8, 9, 100, 200, witness));
        assertEquals(7, dst.get(Q, 0));
        assertEquals(9, dst.get(Q, 8));
        assertEquals(7, witness.get(Q, 0));
        assertEquals(9, witness.get(Q, 8));
    }

    @Test
    void shouldFailAndLeaveMemoryUnchangedWhenOnlyHighHalfDiffers() {
        put(dst, 7, 9);
        assertFalse(Cas128.compareAndSwap(dst, 7, 10, 100, 200, witness));
        assertEquals(7, dst.get(Q, 0));
        assertEquals(9, dst.get(Q, 8));
        assertEquals(9, witness.get(Q, 8));
    }

    @Test
    void shouldWorkThroughRawAddresses() {
        put(dst, 1, 2);
        GranuleTable map = mapOf(dst, witness);
        assertTrue(Cas128.compareAndSwap(map, dst.address(), 1, 2, 3, 4, witness.address()));
        assertFalse(Cas128.compareAndSwap(map, dst.address(), 1, 2, 5, 6, witness.address()));
        assertEquals(3, witness.get(Q, 0));
        assertEquals(4, witness.get(Q, 8));
        assertEquals(3, dst.get(Q, 0));
    }

    @Test
    void shouldRejectMisalignedDestinationWithoutWriting() {
        put(dst, 0, 0);
        put(dst.asSlice(16), 0, 0);
        MemorySegment misaligned = dst.asSlice(8, 16);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Cas128.compareAndSwap(misaligned, 0, 0, 1, 1, witness));
        assertTrue(e.getMessage().contains("16-byte aligned"), e.getMessage());
        var raw = assertThrows(IllegalArgumentException.class,
                () -> Cas128.compareAndSwap(mapOf(dst, witness), dst.address() + 8, 0, 0, 1, 1, witness.address()));
        assertTrue(raw.getMessage().contains("16-byte aligned"), raw.getMessage());
        for (long off = 0; off < 32; off += 8) {
            assertEquals(0, dst.get(Q, off), "byte offset " + off);
        }
    }

    @Test
    void shouldRefuseHeapSegments() {
        MemorySegment heap = MemorySegment.ofArray(new long[4]);
        var e = assertThrows(IllegalArgumentException.class, () -> Cas128.compareAndSwap(heap, 0, 0, 1, 1, witness));
        assertTrue(e.getMessage().contains("heap"), e.getMessage());
        var w = assertThrows(IllegalArgumentException.class, () -> Cas128.compareAndSwap(dst, 0, 0, 1, 1, heap));
        assertTrue(w.getMessage().contains("witness"), w.getMessage());
    }

    @Test
    void shouldRefuseTooSmallOrReadOnlySegments() {
        assertThrows(IllegalArgumentException.class,
                () -> Cas128.compareAndSwap(dst.asSlice(0, 8), 0, 0, 1, 1, witness));
        assertThrows(IllegalArgumentException.class,
                () -> Cas128.compareAndSwap(dst, 0, 0, 1, 1, witness.asSlice(0, 15)));
        assertThrows(IllegalArgumentException.class,
                () -> Cas128.compareAndSwap(dst.asReadOnly(), 0, 0, 1, 1, witness));
        assertThrows(IllegalArgumentException.class, () -> Cas128.compareAndSwap(mapOf(witness), 0L, 0, 0, 1, 1, witness.address()));
        assertEquals(0, dst.get(Q, 0));
    }

    @Test
    void shouldRefuseSegmentOfClosedArena() {
        Arena other = Arena.ofConfined();
        MemorySegment s = other.allocate(16, 16);
        other.close();
        assertThrows(IllegalStateException.class, () -> Cas128.compareAndSwap(s, 0, 0, 1, 1, witness));
    }

    /** Two threads increment both halves together by CAS; any torn or lost update breaks the sums. */
    @Test
    void shouldConserveIncrementsOfBothHalvesUnderContention() throws Exception {
        int perThread = 200_000 * Integer.getInteger("offkern.stress.scale", 1);
        long dstAddr = dst.address();
        GranuleTable map = mapOf(dst);
        put(dst, 0, 1L << 40);
        CyclicBarrier start = new CyclicBarrier(2);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] retries = new long[2];
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int id = t;
            threads[t] = new Thread(() -> {
                try (Arena local = Arena.ofConfined()) {
                    MemorySegment w = local.allocate(16, 16);
                    long wAddr = w.address();
                    synchronized (map) {
                        map.insert(wAddr, 16);
                    }
                    start.await();
                    long lo = 0;
                    long hi = 1L << 40;
                    for (int i = 0; i < perThread; i++) {
                        while (!Cas128.compareAndSwap(map, dstAddr, lo, hi, lo + 1, hi + 3, wAddr)) {
                            lo = w.get(Q, 0);
                            hi = w.get(Q, 8);
                            if (hi - (1L << 40) != 3 * lo) {
                                throw new AssertionError("torn 16-byte value witnessed: lo=" + lo + " hi=" + hi);
                            }
                            retries[id]++;
                        }
                        lo++;
                        hi += 3;
                    }
                    synchronized (map) {
                        map.remove(wAddr, 16); // before the confined arena frees it
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(2L * perThread, dst.get(Q, 0));
        assertEquals((1L << 40) + 6L * perThread, dst.get(Q, 8));
    }
}
