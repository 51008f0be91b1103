package dev.offkern.runtime.ke;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.mm.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** LIST_ENTRY lists in native memory: the WDK's semantics, and no write before every link checks out. */
class ListEntriesTest {
    /** Thrown by the test memory for an unmapped address. */
    static final class Unmapped extends RuntimeException {
        Unmapped(long a) {
            super("unmapped 0x" + Long.toHexString(a));
        }
    }

    /** Thrown by the test memory for links that disagree. */
    static final class Corrupt extends RuntimeException {
        Corrupt(String d) {
            super(d);
        }
    }

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment mem = arena.allocate(16 * 8, 16); // head at 0, entries at 16, 32, 48, ...
    private final Region region = new Region(mem.address(), mem.byteSize(), mem, "test");
    private final ListEntries.Memory m = new ListEntries.Memory() {
        @Override
        public Region find(long address, long size) {
            return region.contains(address, size) ? region : null;
        }

        @Override
        public RuntimeException unmapped(long address, long size) {
            return new Unmapped(address);
        }

        @Override
        public RuntimeException corrupt(long entry, String detail) {
            return new Corrupt(detail);
        }
    };

    @AfterEach
    void close() {
        arena.close();
    }

    private long at(int slot) {
        return mem.address() + 16L * slot;
    }

    private long[] snapshot() {
        return mem.toArray(ValueLayout.JAVA_LONG);
    }

    @Test
    void shouldKeepInsertionOrderAndUnlinkFromTheMiddle() {
        ListEntries.initializeHead(mem, 0);
        assertTrue(ListEntries.isEmpty(mem, 0));
        for (int i = 1; i <= 3; i++) {
            ListEntries.insertTail(m, at(0), at(i));
        }
        assertFalse(ListEntries.isEmpty(mem, 0));
        assertEquals(at(1), ListEntries.flink(mem, 0));
        assertEquals(at(3), ListEntries.blink(mem, 0));
        ListEntries.checkLinked(m, at(2));
        ListEntries.remove(m, at(2));
        assertEquals(at(3), ListEntries.flink(mem, 16), "1 -> 3");
        assertEquals(at(1), ListEntries.blink(mem, 48), "3 <- 1");
        assertEquals(at(2), ListEntries.flink(mem, 32), "a removed entry points at itself");
        ListEntries.remove(m, at(1));
        ListEntries.remove(m, at(3));
        assertTrue(ListEntries.isEmpty(mem, 0));
    }

    @Test
    void shouldWriteNothingWhenTheEntryToInsertIsUnmapped() {
        ListEntries.initializeHead(mem, 0);
        ListEntries.insertTail(m, at(0), at(1));
        long[] before = snapshot();
        assertThrows(Unmapped.class, () -> ListEntries.insertTail(m, at(0), 0x20));
        assertArrayEquals(before, snapshot());
    }

    @Test
    void shouldWriteNothingWhenTheHeadsLastEntryDoesNotLinkBack() {
        ListEntries.initializeHead(mem, 0);
        ListEntries.insertTail(m, at(0), at(1));
        mem.set(ValueLayout.JAVA_LONG, 16, at(5)); // entry 1's Flink scribbled
        long[] before = snapshot();
        assertThrows(Corrupt.class, () -> ListEntries.insertTail(m, at(0), at(2)));
        assertThrows(Corrupt.class, () -> ListEntries.checkInsertable(m, at(0)));
        assertArrayEquals(before, snapshot());
    }

    @Test
    void shouldWriteNothingWhenANeighbourOfTheEntryToRemoveIsCorruptOrUnmapped() {
        ListEntries.initializeHead(mem, 0);
        ListEntries.insertTail(m, at(0), at(1));
        ListEntries.insertTail(m, at(0), at(2));
        mem.set(ValueLayout.JAVA_LONG, 32 + 8, at(7)); // entry 2's Blink does not name its predecessor
        long[] before = snapshot();
        assertThrows(Corrupt.class, () -> ListEntries.remove(m, at(2)));
        assertArrayEquals(before, snapshot());
        assertFalse(ListEntries.isLinked(m, at(2)));
        mem.set(ValueLayout.JAVA_LONG, 32 + 8, 0x40L); // now unmapped
        long[] before2 = snapshot();
        assertThrows(Unmapped.class, () -> ListEntries.remove(m, at(2)));
        assertArrayEquals(before2, snapshot());
    }
}
