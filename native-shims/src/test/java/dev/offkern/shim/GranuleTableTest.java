package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GranuleTableTest {
    private static final long G = GranuleTable.GRANULE_SIZE;

    private final GranuleTable table = new GranuleTable();

    @BeforeEach
    void requireShim() {
        assertTrue(table.isNative(), NativeShim.location());
    }

    @Test
    void shouldCoverExactlyTheInsertedBytes() {
        long base = 0x1234_0000_0010L; // not granule aligned, spans three granules
        long length = 2 * G + 0x40;
        table.insert(base, length);
        assertEquals(3, table.slots(), "one slot per granule touched");
        assertTrue(table.covers(base, 16));
        assertTrue(table.covers(base, length), "a range across granules is checked piecewise");
        assertTrue(table.covers(base + length - 16, 16));
        assertFalse(table.covers(base - 16, 16), "the 16 bytes before");
        assertFalse(table.covers(base + length - 8, 16), "straddles the end");
        assertFalse(table.covers(base + length, 16), "just past the end");
        assertFalse(table.covers(base, length + 1));
        assertFalse(table.covers(base, 0), "an empty access is never valid");
        table.remove(base, length);
        assertEquals(0, table.slots());
        assertFalse(table.covers(base, 16));
    }

    @Test
    void shouldKeepSeveralRangesSharingOneGranuleApart() {
        long granule = 0x2222_0000_0000L;
        for (int i = 0; i < 40; i++) {
            table.insert(granule + 256L * i, 64);
        }
        for (int i = 0; i < 40; i++) {
            assertTrue(table.covers(granule + 256L * i + 48, 16), "range " + i);
            assertFalse(table.covers(granule + 256L * i + 64, 16), "gap after range " + i);
        }
        table.remove(granule + 256L * 7, 64);
        assertFalse(table.covers(granule + 256L * 7, 16));
        assertTrue(table.covers(granule + 256L * 8, 16), "the neighbours stay");
        assertEquals(39, table.slots());
    }

    @Test
    void shouldGrowAndReuseRemovedSlotsWithoutLosingRanges() {
        List<long[]> live = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < 200; i++) {
                long base = (0x10_0000L + round * 1000L + i) * G + 32;
                table.insert(base, G);
                live.add(new long[] {base, G});
            }
            for (int i = 0; i < 150; i++) {
                long[] r = live.remove((int) ((i * 7L) % live.size()));
                table.remove(r[0], r[1]);
            }
        }
        assertEquals(live.size() * 2L, table.slots(), "each range touches two granules");
        for (long[] r : live) {
            assertTrue(table.covers(r[0], r[1]));
        }
    }

    @Test
    void shouldRefuseToRemoveARangeThatWasNotInserted() {
        table.insert(0x3000_0000L, 4096);
        var e = assertThrows(IllegalArgumentException.class, () -> table.remove(0x3000_0000L, 2048));
        assertTrue(e.getMessage().contains("was not inserted"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> table.insert(-16, 32), "wraps around");
        assertThrows(IllegalArgumentException.class, () -> table.insert(0x1000, 0));
    }

    @Test
    void shouldBeEmptyButUsableAfterClose() {
        table.insert(0x4000_0000L, 4096);
        table.close();
        assertFalse(table.covers(0x4000_0000L, 16));
        table.insert(0x5000_0000L, 4096);
        assertTrue(table.covers(0x5000_0000L, 16));
    }

    /**
     * The race the table exists for: threads push and pop on a list in memory that another thread
     * removes from the table and then really unmaps (mmap/munmap called directly, so that no JVM
     * mechanism, such as the handshake that closing a shared arena performs, waits for the workers),
     * round after round. Every call must either work or report a fault; a dereference after the
     * unmap would kill this JVM.
     */
    @Test
    void shouldLetMemoryBeUnmappedWhileOtherThreadsAreInsideTheShim() throws Exception {
        assertTrue(SListShim.isSupported());
        int rounds = 200 * Integer.getInteger("offkern.stress.scale", 1);
        AtomicReference<MemorySegment> current = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong ok = new AtomicLong();
        AtomicLong faults = new AtomicLong();
        Thread[] workers = new Thread[2];
        for (int w = 0; w < workers.length; w++) {
            int id = w;
            workers[w] = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        MemorySegment m = current.get();
                        if (m == null) {
                            continue;
                        }
                        long h = m.address();
                        long entry = h + 4096 + 64L * id;
                        long r = SListShim.push(table, h, entry);
                        long p = SListShim.pop(table, h);
                        if (SListShim.isFault(r) || SListShim.isFault(p)) {
                            faults.incrementAndGet();
                        } else {
                            ok.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            workers[w].start();
        }
        try {
            for (int round = 0; round < rounds; round++) {
                MemorySegment m = Mmap.map(1 << 20);
                table.insert(m.address(), m.byteSize());
                current.set(m);
                long calls = ok.get() + faults.get();
                long deadline = System.nanoTime() + 1_000_000;
                while (ok.get() + faults.get() < calls + 10 && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // let the workers into the new memory
                }
                table.remove(m.address(), m.byteSize()); // waits for every call inside the shim
                Mmap.unmap(m);
            }
        } finally {
            stop.set(true);
            for (Thread t : workers) {
                t.join();
            }
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(ok.get() + faults.get() > 0, "the workers ran");
    }

    /**
     * Removal racing every SLIST routine and the raw CAS while the table also grows under them: each
     * round a fresh table gets 24 regions inserted one by one (the table is replaced several times, and
     * the replaced tables may be freed only after a grace period), workers run push, pop, push list,
     * flush and the raw CAS on random regions (mostly cache misses, so lookups in whatever table is
     * current), and the main thread removes and really unmaps the regions one after another while they
     * run. Every call must succeed or report a fault; a dereference of unmapped memory or of a freed
     * table would kill this JVM or corrupt the results.
     */
    @Test
    void shouldKeepEveryShimRoutineSafeWhileRegionsAreRemovedAndUnmappedAndTheTableGrows() throws Exception {
        assertTrue(SListShim.isSupported());
        int rounds = 60 * Integer.getInteger("offkern.stress.scale", 1);
        int regions = 24;
        record Round(GranuleTable table, long[] bases) {
        }
        AtomicReference<Round> current = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong calls = new AtomicLong();
        AtomicLong faults = new AtomicLong();
        Thread[] workers = new Thread[2];
        for (int w = 0; w < workers.length; w++) {
            int id = w;
            workers[w] = new Thread(() -> {
                java.util.SplittableRandom random = new java.util.SplittableRandom(id);
                try {
                    while (!stop.get()) {
                        Round r = current.get();
                        if (r == null) {
                            continue;
                        }
                        long base = r.bases()[random.nextInt(r.bases().length)];
                        long header = base + 256L * id;
                        long first = base + 4096 + 256L * id;
                        long last = first + 64;
                        long[] results = new long[4];
                        results[0] = SListShim.push(r.table(), header, first);
                        results[1] = SListShim.pop(r.table(), header);
                        results[2] = SListShim.pushList(r.table(), header, first, first, 1);
                        results[3] = SListShim.flush(r.table(), header);
                        boolean cas = Mmap.casOrRefused(r.table(), last, last + 16);
                        for (long x : results) {
                            if (SListShim.isFault(x)) {
                                faults.incrementAndGet();
                            }
                        }
                        if (!cas) {
                            faults.incrementAndGet();
                        }
                        calls.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            workers[w].start();
        }
        try {
            for (int round = 0; round < rounds; round++) {
                GranuleTable t = new GranuleTable();
                MemorySegment[] memory = new MemorySegment[regions];
                long[] bases = new long[regions];
                for (int i = 0; i < regions; i++) {
                    memory[i] = Mmap.map(G);
                    bases[i] = memory[i].address();
                    t.insert(bases[i], G); // grows the table now and then: the old one is retired
                }
                current.set(new Round(t, bases));
                long seen = calls.get();
                long deadline = System.nanoTime() + 2_000_000;
                while (calls.get() < seen + 20 && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // let the workers in
                }
                for (int i = 0; i < regions; i++) {
                    t.remove(bases[i], G); // waits for every call inside the shim
                    Mmap.unmap(memory[i]);
                }
            }
        } finally {
            stop.set(true);
            for (Thread w : workers) {
                w.join();
            }
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(calls.get() > 0, "the workers ran");
    }
}
