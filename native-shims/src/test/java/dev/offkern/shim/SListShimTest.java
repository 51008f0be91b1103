package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

class SListShimTest {
    private static final ValueLayout.OfLong Q = ValueLayout.JAVA_LONG;

    private Arena arena;
    private MemorySegment header;
    private MemorySegment entries;
    private long h;

    @BeforeEach
    void setUp() {
        assertTrue(SListShim.isSupported(), NativeShim.location());
        arena = Arena.ofShared();
        header = arena.allocate(16, 16);
        entries = arena.allocate(16 * 64, 16);
        h = header.address();
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    private long entry(int i) {
        return entries.address() + 16L * i;
    }

    private long next(long entry) {
        return entries.get(Q, entry - entries.address());
    }

    private int depth() {
        return (int) (header.get(Q, 0) & SListShim.DEPTH_MASK);
    }

    private long sequence() {
        return header.get(Q, 0) >>> SListShim.SEQUENCE_SHIFT;
    }

    private long first() {
        return header.get(Q, 8) & SListShim.NEXT_ENTRY_MASK;
    }

    @Test
    void shouldPushLinkEntriesAndCountDepthAndSequence() {
        assertEquals(0, SListShim.push(h, entry(0)));
        assertEquals(entry(0), SListShim.push(h, entry(1)));
        assertEquals(entry(1), SListShim.push(h, entry(2)));
        assertEquals(3, depth());
        assertEquals(3, sequence());
        assertEquals(entry(2), first());
        assertEquals(entry(2), header.get(Q, 8), "NextEntry:60 at bit 4 makes the high qword the address itself");
        assertEquals(entry(1), next(entry(2)));
        assertEquals(entry(0), next(entry(1)));
        assertEquals(0, next(entry(0)));
    }

    @Test
    void shouldPopInLifoOrderDecrementingDepthAndKeepingSequence() {
        for (int i = 0; i < 5; i++) {
            SListShim.push(h, entry(i));
        }
        for (int i = 4; i >= 0; i--) {
            assertEquals(entry(i), SListShim.pop(h));
            assertEquals(i, depth());
            assertEquals(5, sequence(), "Windows x64 pop leaves Sequence as it is");
        }
        assertEquals(0, SListShim.pop(h));
        assertEquals(0, header.get(Q, 0) & 0xFFFF);
        assertEquals(0, header.get(Q, 8));
    }

    @Test
    void shouldLeavePoppedEntryNextUntouched() {
        SListShim.push(h, entry(0));
        SListShim.push(h, entry(1));
        assertEquals(entry(1), SListShim.pop(h));
        assertEquals(entry(0), next(entry(1)));
    }

    @Test
    void shouldFlushToEmptyKeepingSequenceAndChain() {
        for (int i = 0; i < 3; i++) {
            SListShim.push(h, entry(i));
        }
        assertEquals(entry(2), SListShim.flush(h));
        assertEquals(0, depth());
        assertEquals(3, sequence());
        assertEquals(0, header.get(Q, 8));
        assertEquals(entry(1), next(entry(2)), "the flushed chain stays linked");
        assertEquals(0, SListShim.flush(h), "flushing an empty list returns NULL");
        assertEquals(3, sequence());
    }

    @Test
    void shouldPushListInOneStepLinkingLastToOldFirst() {
        SListShim.push(h, entry(0));
        // chain 3 -> 2 -> 1, linked by the caller
        entries.set(Q, 16L * 3, entry(2));
        entries.set(Q, 16L * 2, entry(1));
        entries.set(Q, 16L * 1, 0xDEAD0L);
        assertEquals(entry(0), SListShim.pushList(h, entry(3), entry(1), 3));
        assertEquals(4, depth());
        assertEquals(2, sequence(), "push-list is one push: Sequence+1");
        assertEquals(entry(0), next(entry(1)));
        long[] expected = {entry(3), entry(2), entry(1), entry(0), 0};
        for (long e : expected) {
            assertEquals(e, SListShim.pop(h));
        }
    }

    @Test
    void shouldWrapDepthWithinSixteenBitsWithoutTouchingSequence() {
        header.set(Q, 0, (7L << 16) | 0xFFFF);
        header.set(Q, 8, 0);
        SListShim.push(h, entry(0));
        assertEquals(0, depth());
        assertEquals(8, sequence());
        assertEquals(entry(0), SListShim.pop(h));
        assertEquals(0xFFFF, depth());
        assertEquals(8, sequence());
    }

    @Test
    void shouldWrapSequenceAtFortyEightBits() {
        header.set(Q, 0, 0xFFFF_FFFF_FFFF_0000L);
        header.set(Q, 8, 0);
        SListShim.push(h, entry(0));
        assertEquals(1, depth());
        assertEquals(0, sequence());
    }

    @Test
    void shouldRejectMisalignedOrNullAddressesBeforeTouchingMemory() {
        assertThrows(IllegalArgumentException.class, () -> SListShim.push(h + 8, entry(0)));
        assertThrows(IllegalArgumentException.class, () -> SListShim.push(h, entry(0) + 4));
        assertThrows(IllegalArgumentException.class, () -> SListShim.push(0, entry(0)));
        assertThrows(IllegalArgumentException.class, () -> SListShim.pop(h + 1));
        assertThrows(IllegalArgumentException.class, () -> SListShim.flush(0));
        assertThrows(IllegalArgumentException.class, () -> SListShim.pushList(h, entry(0), entry(1), 0));
        var e = assertThrows(IllegalArgumentException.class, () -> SListShim.pushList(h, entry(0), entry(1) + 8, 2));
        assertTrue(e.getMessage().contains("SLIST_ENTRY"), e.getMessage());
        assertEquals(0, header.get(Q, 0));
        assertEquals(0, header.get(Q, 8));
    }

    @Test
    void shouldRunNativeBenchmarkPeerLeavingListAsItWas() {
        SListShim.push(h, entry(1));
        long before0 = header.get(Q, 0);
        SListShim.benchPushPop(h, entry(0), 1000);
        assertEquals(1, depth());
        assertEquals(entry(1), first());
        assertEquals((before0 >>> 16) + 1000, sequence());
    }

    /**
     * Two threads push and pop a shared pool of entries on one header. Each thread owns what it
     * popped until it pushes it back; at the end every entry must be either on the list or held,
     * exactly once, and the depth must equal the list's length.
     */
    @Test
    void shouldConserveEveryEntryUnderTwoThreadPushPopTorture() throws Exception {
        int n = 64;
        int rounds = 100_000 * Integer.getInteger("offkern.stress.scale", 1);
        for (int i = 0; i < n; i++) {
            SListShim.push(h, entry(i));
        }
        CyclicBarrier start = new CyclicBarrier(2);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[][] held = new long[2][];
        long[] ownerTag = {0x1000_0000L, 0x2000_0000L};
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int id = t;
            threads[t] = new Thread(() -> {
                long[] mine = new long[n];
                int count = 0;
                try {
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        if (count < 4 && (r & 1) == 0 || count == 0) {
                            long e = SListShim.pop(h);
                            if (e != 0) {
                                // Ownership check: the slot word after Next holds the owner tag; a
                                // double pop would find another thread's tag.
                                long off = e - entries.address();
                                if (off < 0 || off >= 16L * n || (off & 15) != 0) {
                                    throw new AssertionError("popped a foreign address 0x" + Long.toHexString(e));
                                }
                                long tag = entries.get(Q, off + 8);
                                if (tag != 0) {
                                    throw new AssertionError("entry popped twice: owner tag " + Long.toHexString(tag));
                                }
                                entries.set(Q, off + 8, ownerTag[id] + r);
                                mine[count++] = e;
                            }
                        } else {
                            long e = mine[--count];
                            entries.set(Q, e - entries.address() + 8, 0);
                            SListShim.push(h, e);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    held[id] = java.util.Arrays.copyOf(mine, count);
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
        int[] seen = new int[n];
        int onList = 0;
        for (long e = first(); e != 0; e = next(e)) {
            seen[(int) ((e - entries.address()) / 16)]++;
            if (++onList > n) {
                throw new AssertionError("cycle in the list");
            }
        }
        assertEquals(onList, depth(), "Depth must equal the list's length");
        for (long[] hs : held) {
            for (long e : hs) {
                seen[(int) ((e - entries.address()) / 16)]++;
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, seen[i], "entry " + i + " accounted for");
        }
    }
}
