package dev.offkern.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ke.KDPC_DATA;
import dev.offkern.layout.ke.KDPC_LIST;
import dev.offkern.layout.ke.OFFKERN_PRCB;
import org.junit.jupiter.api.Test;

/** Golden numbers of offkern's private per-processor block and of the KDPC_DATA queues inside it. */
class OFFKERN_PRCBTest {
    @Test
    void shouldLayOutThePrcbAsDrawn() {
        StructSpec s = OFFKERN_PRCB.X64;
        assertEquals(0x100, s.size());
        assertEquals(0x100, s.align());
        assertEquals(0x00, OFFKERN_PRCB.NUMBER_OFFSET);
        assertEquals(0x04, OFFKERN_PRCB.GROUP_OFFSET);
        assertEquals(0x06, OFFKERN_PRCB.GROUP_INDEX_OFFSET);
        assertEquals(0x07, OFFKERN_PRCB.THREAD_DPC_ENABLE_OFFSET);
        assertEquals(0x08, OFFKERN_PRCB.DPC_ROUTINE_ACTIVE_OFFSET);
        assertEquals(0x0C, OFFKERN_PRCB.DPC_THREAD_ACTIVE_OFFSET);
        assertEquals(0x10, OFFKERN_PRCB.dpcDataOffset(KDPC_DATA.DPC_NORMAL));
        assertEquals(0x38, OFFKERN_PRCB.dpcDataOffset(KDPC_DATA.DPC_THREADED));
        assertEquals(0x60, OFFKERN_PRCB.SERVICE_COUNT_OFFSET);
        assertEquals(0x68, OFFKERN_PRCB.DPC_REQUEST_SUMMARY_OFFSET);
        assertEquals(0x70, OFFKERN_PRCB.DPC_DRAIN_OWNER_OFFSET);
        assertEquals(0x78, OFFKERN_PRCB.dpcQueuedCountOffset(KDPC_DATA.DPC_NORMAL));
        assertEquals(0x7C, OFFKERN_PRCB.dpcQueuedCountOffset(KDPC_DATA.DPC_THREADED));
        assertTrue(s.origin() == StructSpec.Origin.OPAQUE);
    }

    @Test
    void shouldKeepTheUsedFieldsInTheFirstTwoCacheLines() {
        assertTrue(OFFKERN_PRCB.X64.offset("DpcQueuedCount") + 8 <= 0x80);
    }

    @Test
    void shouldLayOutKdpcDataAsWindows10Symbols() {
        assertEquals(0x28, KDPC_DATA.X64.size());
        assertEquals(0x18, KDPC_DATA.X86.size());
        assertEquals(0x10, KDPC_LIST.X64.size());
        assertEquals(0x8, KDPC_LIST.X86.size());
        assertEquals(0x00, KDPC_DATA.LIST_HEAD_OFFSET);
        assertEquals(0x08, KDPC_DATA.LAST_ENTRY_OFFSET);
        assertEquals(0x10, KDPC_DATA.DPC_LOCK_OFFSET);
        assertEquals(0x18, KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET);
        assertEquals(0x1C, KDPC_DATA.DPC_COUNT_OFFSET);
        assertEquals(0x20, KDPC_DATA.ACTIVE_DPC_OFFSET);
        assertEquals(0x04, KDPC_DATA.X86.offset("DpcList") + KDPC_LIST.X86.offset("LastEntry"));
        assertEquals(0x14, KDPC_DATA.X86.offset("ActiveDpc"));
    }
}
