package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The shim's per-thread range cache (offkern_map.h: two ranges found by earlier lookups, valid until
 * the next removal from the map): the fast paths of push, pop and the raw CAS check addresses against
 * it with one compare per range and look nothing up. These tests pin what it must never do: accept an
 * address just outside a cached range, or anything in a range that was removed (and unmapped) since it
 * was cached, whether the removal was a remove or a close, and whichever of the two cache entries held it.
 */
class GranuleRangeCacheTest {
    private static final ValueLayout.OfLong Q = ValueLayout.JAVA_LONG;

    /** Pushes and pops entry on header until both ranges are certainly cached by this thread. */
    private static void warm(GranuleTable t, long header, long entry) {
        for (int i = 0; i < 3; i++) {
            assertEquals(0, SListShim.push(t, header, entry));
            assertEquals(entry, SListShim.pop(t, header));
        }
    }

    @Test
    void shouldRefuseAddressesJustOutsideACachedRange() {
        MemorySegment m = Mmap.map(1 << 16);
        GranuleTable t = new GranuleTable();
        try {
            long lo = m.address() + 4096;
            long hi = lo + 256;
            t.insert(lo, hi - lo);
            long header = lo;
            warm(t, header, lo + 64); // [lo, hi) is cached now
            long witness = lo + 128;
            // the last 16 bytes of the range pass; one byte further, or one entry before it, does not
            assertTrue(Cas128.compareAndSwap(t, hi - 16, 0, 0, 5, 6, witness));
            assertEquals(5, m.get(Q, hi - 16 - m.address()));
            assertThrows(IllegalArgumentException.class, () -> Cas128.compareAndSwap(t, hi, 0, 0, 1, 1, witness),
                    "dst at the first byte past the range");
            assertThrows(IllegalArgumentException.class, () -> Cas128.compareAndSwap(t, lo - 16, 0, 0, 1, 1, witness),
                    "dst just below the range");
            assertThrows(IllegalArgumentException.class, () -> Cas128.compareAndSwap(t, lo, 0, 0, 1, 1, hi - 15),
                    "a witness whose last byte is past the range");
            assertTrue(Cas128.compareAndSwap(t, lo + 32, 0, 0, 1, 1, hi - 16), "a witness ending exactly at the end");
            long r = SListShim.push(t, header, hi);
            assertEquals(SListShim.FAULT_ENTRY, SListShim.faultCode(r), "an entry at the first byte past the range");
            assertEquals(0, m.get(Q, hi - m.address()), "and nothing was written there");
            r = SListShim.pop(t, lo - 16);
            assertEquals(SListShim.FAULT_HEADER, SListShim.faultCode(r), "a header just below the range");
        } finally {
            t.close();
            Mmap.unmap(m);
        }
    }

    @Test
    void shouldNotAcceptAPointerIntoAFreedChunkThatWasCached() {
        MemorySegment headers = Mmap.map(1 << 16);
        MemorySegment chunk = Mmap.map(1 << 16);
        GranuleTable t = new GranuleTable();
        try {
            t.insert(headers.address(), headers.byteSize());
            t.insert(chunk.address(), chunk.byteSize());
            long header = headers.address() + 256;
            long entry = chunk.address() + 512;
            warm(t, header, entry); // both ranges cached: the header's and the chunk's
            assertEquals(0, SListShim.push(t, header, entry)); // the list links into the chunk
            t.remove(chunk.address(), chunk.byteSize()); // the chunk is freed ...
            Mmap.unmap(chunk);                           // ... and really unmapped
            long r = SListShim.pop(t, header);
            assertEquals(SListShim.FAULT_ENTRY, SListShim.faultCode(r), "the link into the freed chunk");
            assertEquals(entry, SListShim.faultAddress(r));
            r = SListShim.push(t, header, entry + 16);
            assertEquals(SListShim.FAULT_ENTRY, SListShim.faultCode(r), "an entry in the freed chunk");
            assertThrows(IllegalArgumentException.class,
                    () -> Cas128.compareAndSwap(t, entry, 0, 0, 1, 1, header + 32), "a CAS into the freed chunk");
            assertEquals(entry, headers.get(Q, 256 + 8), "the header still links to it: nothing changed");
        } finally {
            t.close();
            Mmap.unmap(headers);
        }
    }

    /**
     * Three ranges, two cache entries: whichever entry holds a range, and whichever was replaced, every
     * answer matches the table's, before and after one range is removed.
     */
    @Test
    void shouldAnswerAsTheTableDoesWhateverTheCacheEntriesHold() {
        MemorySegment m = Mmap.map(3 << 16);
        GranuleTable t = new GranuleTable();
        try {
            long[] range = {m.address(), m.address() + (1 << 16), m.address() + (2 << 16)};
            for (long base : range) {
                t.insert(base, 4096);
            }
            long[] probes = new long[range.length * 4];
            for (int i = 0; i < range.length; i++) {
                probes[4 * i] = range[i];            // first entry
                probes[4 * i + 1] = range[i] + 4080; // last entry
                probes[4 * i + 2] = range[i] + 4096; // first byte past it
                probes[4 * i + 3] = range[i] - 16;   // just below it
            }
            boolean removed = false;
            for (int round = 0; round < 200; round++) {
                if (round == 100) {
                    t.remove(range[1], 4096);
                    removed = true;
                }
                long dst = probes[(round * 7) % probes.length];
                long witness = probes[(round * 5 + 1) % probes.length];
                boolean mapped = t.covers(dst, 16) && t.covers(witness, 16);
                boolean expected = dst % 16 == 0 && mapped;
                boolean inRemoved = removed && (dst - range[1] >= 0 && dst - range[1] < 4096
                        || witness - range[1] >= 0 && witness - range[1] < 4096);
                if (inRemoved) {
                    assertFalse(mapped, "the table itself forgot the removed range");
                }
                if (expected) {
                    long before = m.get(Q, dst - m.address());
                    assertTrue(Cas128.compareAndSwap(t, dst, before, 0, before + 1, 0, witness), "round " + round);
                } else {
                    long d = dst;
                    long w = witness;
                    assertThrows(IllegalArgumentException.class, () -> Cas128.compareAndSwap(t, d, 0, 0, 1, 1, w),
                            "round " + round + ": dst 0x" + Long.toHexString(d) + " witness 0x" + Long.toHexString(w));
                }
            }
        } finally {
            t.close();
            Mmap.unmap(m);
        }
    }

    @Test
    void shouldFindOneRangeForAnAccessCrossingAGranuleBoundaryInsideIt() {
        MemorySegment m = Mmap.map(3 << 16);
        GranuleTable t = new GranuleTable();
        try {
            long boundary = (m.address() + (1 << 16)) & -(1L << 16);
            t.insert(boundary - 4096, 8192);
            assertEquals(2, t.slots(), "one slot per granule touched");
            assertTrue(t.covers(boundary - 8, 16), "the range holds both halves");
            assertTrue(Cas128.compareAndSwap(t, boundary - 16, 0, 0, 1, 0, boundary - 8), "a witness across the boundary");
            assertFalse(t.covers(boundary + 4096 - 8, 16), "the end is still the end");
        } finally {
            t.close();
            Mmap.unmap(m);
        }
    }

    /**
     * Workers run push/pop and the raw CAS on memory their ranges cache holds while the main thread
     * closes the table (every range removed at once) and unmaps the memory, round after round. A call
     * that starts after the close must fault; one that reused a stale cached range would kill this JVM.
     */
    @Test
    void shouldNeverDereferenceMemoryUnmappedAfterACloseWhileWorkersHoldItsRangesCached() throws Exception {
        assertTrue(SListShim.isSupported());
        int rounds = 100 * Integer.getInteger("offkern.stress.scale", 1);
        GranuleTable t = new GranuleTable();
        AtomicReference<MemorySegment> current = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong calls = new AtomicLong();
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
                        long header = m.address() + 1024L * id;
                        long entry = m.address() + (1 << 16) + 8192 + 64L * id; // the second range
                        long r = SListShim.push(t, header, entry);
                        long p = SListShim.pop(t, header);
                        // dst in the first range, witness in the third: the cache entries change hands
                        boolean cas = Mmap.casOrRefused(t, header + 512, m.address() + (1 << 17) + 32L * id);
                        if (SListShim.isFault(r) || SListShim.isFault(p) || !cas) {
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
                MemorySegment m = Mmap.map(3 << 16);
                t.insert(m.address(), 1 << 16);             // headers and CAS targets
                t.insert(m.address() + (1 << 16), 1 << 16); // entries
                t.insert(m.address() + (1 << 17), 1 << 16); // CAS witnesses: three ranges for two cache entries
                current.set(m);
                long seen = calls.get();
                long deadline = System.nanoTime() + 2_000_000;
                while (calls.get() < seen + 20 && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // let the workers cache the ranges
                }
                t.close(); // waits for every call inside the shim; later calls fault
                Mmap.unmap(m);
            }
        } finally {
            stop.set(true);
            for (Thread w : workers) {
                w.join();
            }
            t.close();
        }
        assertNull(failure.get());
        assertTrue(calls.get() > 0, "the workers ran");
        assertTrue(faults.get() > 0, "calls after a close were refused");
    }
}
