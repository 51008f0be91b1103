package dev.offkern.layout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.offkern.layout.ke.KWAIT_BLOCK;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * KWAIT_BLOCK against Windows 10's symbols (x64: Win10 1903 ntoskrnl, the same in 22H2 and Windows
 * 11; x86: the WDK's Windows 8+ declaration without SpareLong). The mingw-w64 oracle checks the rest
 * and records where mingw-w64's Windows 7 order differs.
 */
class KWAIT_BLOCKTest {
    @Test
    void shouldMatchWindows10X64Layout() {
        StructSpec s = KWAIT_BLOCK.X64;
        assertEquals(0x30, s.size());
        assertEquals(8, s.align());
        assertEquals(0x00, s.offset("WaitListEntry"));
        assertEquals(0x10, s.offset("WaitType"));
        assertEquals(0x11, s.offset("BlockState"));
        assertEquals(0x12, s.offset("WaitKey"));
        assertEquals(0x14, s.offset("SpareLong"));
        assertEquals(0x18, s.offset("Thread"));
        assertEquals(0x18, s.offset("NotificationQueue"));
        assertEquals(0x20, s.offset("Object"));
        assertEquals(0x28, s.offset("SparePtr"));
        assertEquals(0x18, KWAIT_BLOCK.THREAD_OFFSET);
        assertEquals(0x20, KWAIT_BLOCK.OBJECT_OFFSET);
    }

    @Test
    void shouldMatchWindows10X86Layout() {
        StructSpec s = KWAIT_BLOCK.X86;
        assertEquals(0x18, s.size());
        assertEquals(0x08, s.offset("WaitType"));
        assertEquals(0x09, s.offset("BlockState"));
        assertEquals(0x0A, s.offset("WaitKey"));
        assertFalse(s.hasField("SpareLong"), "SpareLong is _WIN64 only");
        assertEquals(0x0C, s.offset("Thread"));
        assertEquals(0x10, s.offset("Object"));
        assertEquals(0x14, s.offset("SparePtr"));
    }

    @Test
    void shouldKeepTheWindows10WaitBlockStateValues() {
        assertEquals(4, KWAIT_BLOCK.WaitBlockActive);
        assertEquals(5, KWAIT_BLOCK.WaitBlockInactive);
    }

    @Test
    void shouldReachMembersByNameThroughTheLayoutAsJextractUsersExpect() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment wb = arena.allocate(KWAIT_BLOCK.LAYOUT);
            KWAIT_BLOCK.LAYOUT.varHandle(groupElement("Object")).set(wb, 0L, 0x1234_5678L);
            KWAIT_BLOCK.LAYOUT.varHandle(groupElement("WaitKey")).set(wb, 0L, (short) 3);
            KWAIT_BLOCK.LAYOUT.varHandle(groupElement("WaitListEntry"), groupElement("Blink")).set(wb, 0L, 0xABCL);
            assertEquals(0x1234_5678L, wb.get(ValueLayout.JAVA_LONG, 0x20));
            assertEquals(3, wb.get(ValueLayout.JAVA_SHORT, 0x12));
            assertEquals(0xABCL, wb.get(ValueLayout.JAVA_LONG, 0x08));
            assertEquals(0x1234_5678L, (long) KWAIT_BLOCK.OBJECT.get(wb, 0L));
        }
    }
}
