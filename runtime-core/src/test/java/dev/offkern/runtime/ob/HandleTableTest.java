package dev.offkern.runtime.ob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.ObjectAttributes;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The handle table's values and entries, without a kernel (create, close and peek touch no object). */
class HandleTableTest {

    @Test
    void shouldFormHandleValuesAsWindowsDoes() {
        HandleTable system = new HandleTable(null, true);
        assertEquals(4L, system.handleOf(1, false));
        assertEquals(0xFFFFFFFF80000004L, system.handleOf(1, true));
        assertTrue(HandleTable.isKernelHandle(0xFFFFFFFF80000004L));
        assertEquals(1, HandleTable.indexOf(0xFFFFFFFF80000004L));
        assertEquals(1, HandleTable.indexOf(7), "the two low tag bits are ignored");
        assertEquals(-1, HandleTable.indexOf(0), "NULL is no handle");
        assertEquals(-1, HandleTable.indexOf(0x0000000100000004L), "stray high bits");
        assertEquals(-1, HandleTable.indexOf(-1L), "NtCurrentProcess()");
        assertEquals(-1, HandleTable.indexOf((long) HandleTable.MAX_ENTRIES << 2));
    }

    @Test
    void shouldHandOutClosedEntriesAgainOnlyAfterTheirClose() {
        HandleTable t = new HandleTable(null, false);
        Set<Integer> open = new HashSet<>();
        for (int i = 0; i < 3 * HandleTable.PAGE_ENTRIES; i++) {
            int e = t.create(0x10000L + 16L * i, 0x1F0003, 0, 5);
            assertTrue(e > 0 && open.add(e), "entry " + e + " handed out while open");
        }
        assertEquals(3 * HandleTable.PAGE_ENTRIES, t.openCount());
        long[] info = new long[1];
        assertEquals(0x10000L, t.peek(1, info));
        assertEquals(0x1F0003L, info[0] & 0xFFFFFFFFL);
        HandleTable.Closed c = t.close(1, true);
        assertNotNull(c);
        assertEquals(0x10000L, c.header());
        assertEquals(1, c.references(), "the handle's own reference, no cached ones");
        assertNull(t.close(1, true), "closed twice");
        assertEquals(0, t.peek(1, null));
        open.remove(1);
        int again = t.create(0x90000L, 1, ObjectAttributes.OBJ_PROTECT_CLOSE, 5);
        assertEquals(1, again, "a closed entry is reused from the free list");
        assertSame(HandleTable.PROTECTED, t.close(again, true));
        assertNotNull(t.close(again, false), "OBJ_PROTECT_CLOSE is honoured only when asked");
    }
}
