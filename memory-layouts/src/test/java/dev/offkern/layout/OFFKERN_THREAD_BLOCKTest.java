package dev.offkern.layout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.EX_RUNDOWN_WAIT_BLOCK;
import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import org.junit.jupiter.api.Test;

/** Golden numbers of offkern's private per-thread block (the layout its overview draws), which follows the ETHREAD. */
class OFFKERN_THREAD_BLOCKTest {
    @Test
    void shouldLayOutTheThreadBlockAsDrawn() {
        StructSpec s = OFFKERN_THREAD_BLOCK.X64;
        assertEquals(0x30, s.size());
        assertEquals(16, s.align());
        assertEquals(0x00, OFFKERN_THREAD_BLOCK.THREAD_ID_OFFSET);
        assertEquals(0x08, OFFKERN_THREAD_BLOCK.PROCESSOR_OFFSET);
        assertEquals(0x10, OFFKERN_THREAD_BLOCK.WAKE_BLOCK_OFFSET);
        assertEquals(0x10, OFFKERN_THREAD_BLOCK.RUNDOWN_WAIT_BLOCK_OFFSET);
        assertEquals(0x10, OFFKERN_THREAD_BLOCK.RUN_ONCE_NEXT_OFFSET);
        assertEquals(0x18, OFFKERN_THREAD_BLOCK.WAKE_EVENT_OFFSET);
        assertEquals(0x20, s.field("WakeBlock").size());
    }

    @Test
    void shouldFollowTheEthreadInTheThreadObjectBodyPastItsLastByte() {
        assertEquals(0x8a0, OFFKERN_THREAD_BLOCK.OFFSET_IN_THREAD, "ETHREAD (0x898) rounded up to 16");
        assertTrue(OFFKERN_THREAD_BLOCK.OFFSET_IN_THREAD >= dev.offkern.layout.ps.ETHREAD.X64.size());
        assertEquals(0x8d0, OFFKERN_THREAD_BLOCK.THREAD_OBJECT_BODY_SIZE);
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
        // a 16-byte aligned block at a 16-byte offset in a 16-aligned object body: WakeBlock's address has its low
        // 4 bits clear (EX_RUNDOWN_ACTIVE is bit 0, RTL_RUN_ONCE's State bits 0..1)
        assertEquals(0, OFFKERN_THREAD_BLOCK.WAKE_BLOCK_OFFSET & 0xF);
        assertEquals(0, OFFKERN_THREAD_BLOCK.OFFSET_IN_THREAD & 0xF);
        assertEquals(0, OFFKERN_THREAD_BLOCK.LAYOUT.byteAlignment() % 16);
    }

    @Test
    void shouldReachNestedMembersByName() {
        assertEquals(OFFKERN_THREAD_BLOCK.WAKE_EVENT_OFFSET, OFFKERN_THREAD_BLOCK.LAYOUT.byteOffset(
                groupElement("WakeBlock"), groupElement("RunOnceWaitBlock"), groupElement("WakeEvent")));
        assertTrue(OFFKERN_THREAD_BLOCK.X64.origin() == StructSpec.Origin.OPAQUE);
    }
}
