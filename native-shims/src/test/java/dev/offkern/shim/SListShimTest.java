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

class SListShimTest {
    private static final ValueLayout.OfLong Q = ValueLayout.JAVA_LONG;

    private Arena arena;
    private MemorySegment header;
    private MemorySegment entries;
    private long h;
    private final GranuleTable map = new GranuleTable();

    @BeforeEach
    void setUp() {
        assertTrue(SListShim.isSupported(), NativeShim.location());
        arena = Arena.ofShared();
        header = arena.allocate(16, 16);
        entries = arena.allocate(16 * 64, 16);
        h = header.address();
        map.insert(header.address(), header.byteSize());
        map.insert(entries.address(), entries.byteSize());
    }

    @AfterEach
    void tearDown() {
        map.close();
        arena.close();
    }

    private long push(long entry) {
        return SListShim.push(map, h, entry);
    }

    private long pop() {
        return SListShim.pop(map, h);
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
        assertEquals(0, push(entry(0)));
        assertEquals(entry(0), push(entry(1)));
        assertEquals(entry(1), push(entry(2)));
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
            push(entry(i));
        }
        for (int i = 4; i >= 0; i--) {
            assertEquals(entry(i), pop());
            assertEquals(i, depth());
            assertEquals(5, sequence(), "Windows x64 pop leaves Sequence as it is");
        }
        assertEquals(0, pop());
        assertEquals(0, header.get(Q, 0) & 0xFFFF);
        assertEquals(0, header.get(Q, 8));
    }

    @Test
    void shouldLeavePoppedEntryNextUntouched() {
        push(entry(0));
        push(entry(1));
        assertEquals(entry(1), pop());
        assertEquals(entry(0), next(entry(1)));
    }

    @Test
    void shouldFlushToEmptyKeepingSequenceAndChain() {
        for (int i = 0; i < 3; i++) {
            push(entry(i));
        }
        assertEquals(entry(2), SListShim.flush(map, h));
        assertEquals(0, depth());
        assertEquals(3, sequence());
        assertEquals(0, header.get(Q, 8));
        assertEquals(entry(1), next(entry(2)), "the flushed chain stays linked");
        assertEquals(0, SListShim.flush(map, h), "flushing an empty list returns NULL");
        assertEquals(3, sequence());
    }

    @Test
    void shouldPushListInOneStepLinkingLastToOldFirst() {
        push(entry(0));
        // chain 3 -> 2 -> 1, linked by the caller
        entries.set(Q, 16L * 3, entry(2));
        entries.set(Q, 16L * 2, entry(1));
        entries.set(Q, 16L * 1, 0xDEAD0L);
        assertEquals(entry(0), SListShim.pushList(map, h, entry(3), entry(1), 3));
        assertEquals(4, depth());
        assertEquals(2, sequence(), "push-list is one push: Sequence+1");
        assertEquals(entry(0), next(entry(1)));
        long[] expected = {entry(3), entry(2), entry(1), entry(0), 0};
        for (long e : expected) {
            assertEquals(e, pop());
        }
    }

    @Test
    void shouldWrapDepthWithinSixteenBitsWithoutTouchingSequence() {
        header.set(Q, 0, (7L << 16) | 0xFFFF);
        header.set(Q, 8, 0);
        push(entry(0));
        assertEquals(0, depth());
        assertEquals(8, sequence());
        assertEquals(entry(0), pop());
        assertEquals(0xFFFF, depth());
        assertEquals(8, sequence());
    }

    @Test
    void shouldWrapSequenceAtFortyEightBits() {
        header.set(Q, 0, 0xFFFF_FFFF_FFFF_0000L);
        header.set(Q, 8, 0);
        push(entry(0));
        assertEquals(1, depth());
        assertEquals(0, sequence());
    }

    @Test
    void shouldRejectMisalignedOrNullAddressesBeforeTouchingMemory() {
        assertThrows(IllegalArgumentException.class, () -> SListShim.push(map, h + 8, entry(0)));
        assertThrows(IllegalArgumentException.class, () -> push(entry(0) + 4));
        assertThrows(IllegalArgumentException.class, () -> SListShim.push(map, 0, entry(0)));
        assertThrows(IllegalArgumentException.class, () -> SListShim.pop(map, h + 1));
        assertThrows(IllegalArgumentException.class, () -> SListShim.flush(map, 0));
        assertThrows(IllegalArgumentException.class, () -> SListShim.pushList(map, h, entry(0), entry(1), 0));
        var e = assertThrows(IllegalArgumentException.class, () -> SListShim.pushList(map, h, entry(0), entry(1) + 8, 2));
        assertTrue(e.getMessage().contains("SLIST_ENTRY"), e.getMessage());
        assertEquals(0, header.get(Q, 0));
        assertEquals(0, header.get(Q, 8));
    }

    @Test
    void shouldReportAHeaderOutsideTheTableWithoutTouchingIt() {
        long unmapped = entries.address() + 16 * 64 + 4096 * 16; // far past the entries: not inserted
        long r = SListShim.pop(map, unmapped);
        assertTrue(SListShim.isFault(r));
        assertEquals(SListShim.FAULT_HEADER, SListShim.faultCode(r));
        assertEquals(unmapped, SListShim.faultAddress(r));
        assertEquals(SListShim.FAULT_HEADER, SListShim.faultCode(SListShim.push(map, unmapped, entry(0))));
        assertEquals(SListShim.FAULT_HEADER, SListShim.faultCode(SListShim.flush(map, unmapped)));
    }

    @Test
    void shouldReportAnEntryOutsideTheTableOnPushAndLeaveTheListAlone() {
        push(entry(0));
        long foreign = 0x7000_0000_0000L;
        long r = push(foreign);
        assertEquals(SListShim.FAULT_ENTRY, SListShim.faultCode(r));
        assertEquals(foreign, SListShim.faultAddress(r));
        assertEquals(1, depth());
        assertEquals(entry(0), first());
    }

    @Test
    void shouldReportACorruptedLinkOnTheSecondPopWithTheBadAddress() {
        push(entry(0));
        push(entry(1));
        entries.set(Q, 16, 0x4141_4141_4141_4141L); // entry(1).Next scribbled while listed
        assertEquals(entry(1), pop(), "the first pop follows nothing: it only moves the link into the header");
        long r = pop();
        assertEquals(SListShim.FAULT_ENTRY, SListShim.faultCode(r));
        assertEquals(0x4141_4141_4141_4140L, SListShim.faultAddress(r), "NextEntry keeps bits 4..63 of the link");
        assertEquals(0x4141_4141_4141_4140L, first(), "the header is left as it was");
    }

    @Test
    void shouldReportAPopOfAListWhoseEntriesWereRemovedFromTheTable() {
        push(entry(0));
        map.remove(entries.address(), entries.byteSize());
        long r = pop();
        assertEquals(SListShim.FAULT_ENTRY, SListShim.faultCode(r));
        assertEquals(entry(0), SListShim.faultAddress(r));
        map.insert(entries.address(), entries.byteSize());
        assertEquals(entry(0), pop());
    }

    @Test
    void shouldCheckThePushListChainBeforeChangingAnything() {
        push(entry(0));
        long before0 = header.get(Q, 0);
        long before1 = header.get(Q, 8);
        // first (3) not linked to last (1): its Next is garbage
        entries.set(Q, 16L * 3, 0x4141_4141_4141_4141L);
        long r = SListShim.pushList(map, h, entry(3), entry(1), 3);
        assertEquals(SListShim.FAULT_LINK, SListShim.faultCode(r));
        assertEquals(entry(3), SListShim.faultAddress(r), "the entry holding the bad link");
        // Next NULL before ListEnd
        entries.set(Q, 16L * 3, 0);
        r = SListShim.pushList(map, h, entry(3), entry(1), 3);
        assertEquals(SListShim.FAULT_SHORT_CHAIN, SListShim.faultCode(r));
        assertEquals(entry(3), SListShim.faultAddress(r));
        // a chain 3 -> 2 -> 1 with Count 2 ends at 2, not at ListEnd
        entries.set(Q, 16L * 3, entry(2));
        entries.set(Q, 16L * 2, entry(1));
        r = SListShim.pushList(map, h, entry(3), entry(1), 2);
        assertEquals(SListShim.FAULT_CHAIN_MISMATCH, SListShim.faultCode(r));
        assertEquals(entry(2), SListShim.faultAddress(r));
        // ... and with Count 4 it reaches ListEnd too early
        r = SListShim.pushList(map, h, entry(3), entry(1), 4);
        assertEquals(SListShim.FAULT_CHAIN_MISMATCH, SListShim.faultCode(r));
        assertEquals(entry(1), SListShim.faultAddress(r));
        // misaligned link inside the table
        entries.set(Q, 16L * 2, entry(1) + 8);
        r = SListShim.pushList(map, h, entry(3), entry(1), 3);
        assertEquals(SListShim.FAULT_LINK, SListShim.faultCode(r));
        assertEquals(entry(2), SListShim.faultAddress(r));
        assertEquals(before0, header.get(Q, 0), "nothing changed");
        assertEquals(before1, header.get(Q, 8), "nothing changed");
    }

    @Test
    void shouldRefuseAnEntryWhose16BytesCrossTheEndOfItsRange() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(64, 16);
            GranuleTable t = new GranuleTable();
            t.insert(m.address(), 40); // [0, 40): entry at 32 would end at 48
            t.insert(header.address(), 16);
            assertTrue(t.covers(m.address() + 16, 16));
            assertFalse(t.covers(m.address() + 32, 16));
            long r = SListShim.push(t, h, m.address() + 32);
            assertEquals(SListShim.FAULT_ENTRY, SListShim.faultCode(r));
            t.close();
        }
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
            push(entry(i));
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
                            long e = pop();
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
                            push(e);
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
