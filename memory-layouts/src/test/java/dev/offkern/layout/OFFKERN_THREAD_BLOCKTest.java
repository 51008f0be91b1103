package dev.offkern.layout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.EX_RUNDOWN_WAIT_BLOCK;
import dev.offkern.layout.ke.KWAIT_BLOCK;
import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import org.junit.jupiter.api.Test;

/** Golden numbers of offkern's private per-thread block (the layout its overview draws). */
class OFFKERN_THREAD_BLOCKTest {
    @Test
    void shouldLayOutTheThreadBlockAsDrawn() {
        StructSpec s = OFFKERN_THREAD_BLOCK.X64;
        assertEquals(0x100, s.size());
        assertEquals(64, s.align());
        assertEquals(0x00, OFFKERN_THREAD_BLOCK.THREAD_ID_OFFSET);
        assertEquals(0x08, OFFKERN_THREAD_BLOCK.PROCESSOR_OFFSET);
        assertEquals(0x10, OFFKERN_THREAD_BLOCK.WAKE_BLOCK_OFFSET);
        assertEquals(0x10, OFFKERN_THREAD_BLOCK.RUNDOWN_WAIT_BLOCK_OFFSET);
        assertEquals(0x10, OFFKERN_THREAD_BLOCK.RUN_ONCE_NEXT_OFFSET);
        assertEquals(0x18, OFFKERN_THREAD_BLOCK.WAKE_EVENT_OFFSET);
        assertEquals(0x20, s.field("WakeBlock").size());
        assertEquals(0x40, OFFKERN_THREAD_BLOCK.WAIT_BLOCK_OFFSET);
        assertEquals(4 * 0x30, OFFKERN_THREAD_BLOCK.WAIT_BLOCK_SIZE);
        assertEquals(4, OFFKERN_THREAD_BLOCK.WAIT_BLOCK_COUNT);
    }

    @Test
    void shouldPutTheWakeEventAtTheSameOffsetInBothWakeBlockViews() {
        assertEquals(OFFKERN_THREAD_BLOCK.RUNDOWN_WAIT_BLOCK_OFFSET + EX_RUNDOWN_WAIT_BLOCK.WAKE_EVENT_OFFSET,
                OFFKERN_THREAD_BLOCK.WAKE_EVENT_OFFSET);
        assertEquals(OFFKERN_THREAD_BLOCK.RUNDOWN_WAIT_BLOCK_OFFSET + EX_RUNDOWN_WAIT_BLOCK.COUNT_OFFSET,
                OFFKERN_THREAD_BLOCK.RUN_ONCE_NEXT_OFFSET);
    }

    @Test
    void shouldLeaveTheStateBitsOfAWakeBlockAddressFree() {
        // a 64-byte aligned block: WakeBlock's address has its low 4 bits clear (EX_RUNDOWN_ACTIVE is bit 0,
        // RTL_RUN_ONCE's State bits 0..1)
        assertEquals(0, OFFKERN_THREAD_BLOCK.WAKE_BLOCK_OFFSET & 0xF);
        assertEquals(0, OFFKERN_THREAD_BLOCK.LAYOUT.byteAlignment() % 16);
    }

    @Test
    void shouldReachNestedMembersByName() {
        assertEquals(OFFKERN_THREAD_BLOCK.WAKE_EVENT_OFFSET, OFFKERN_THREAD_BLOCK.LAYOUT.byteOffset(
                groupElement("WakeBlock"), groupElement("RunOnceWaitBlock"), groupElement("WakeEvent")));
        assertEquals(OFFKERN_THREAD_BLOCK.WAIT_BLOCK_OFFSET + 2 * KWAIT_BLOCK.X64.size() + KWAIT_BLOCK.OBJECT_OFFSET,
                OFFKERN_THREAD_BLOCK.LAYOUT.byteOffset(groupElement("WaitBlock"),
                        java.lang.foreign.MemoryLayout.PathElement.sequenceElement(2), groupElement("Object")));
        assertTrue(OFFKERN_THREAD_BLOCK.X64.origin() == StructSpec.Origin.OPAQUE);
    }
}
