package dev.offkern.layout;

import dev.offkern.layout.mm.POOL_HEADER;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class POOL_HEADERTest {
    @Test
    void shouldMatchWindows10X64Layout() {
        assertEquals(0x10, POOL_HEADER.X64.size());
        assertEquals(0, POOL_HEADER.ULONG1_OFFSET);
        assertEquals(4, POOL_HEADER.POOL_TAG_OFFSET);
        assertEquals(8, POOL_HEADER.PROCESS_BILLED_OFFSET);
        assertEquals(8, POOL_HEADER.X64.offset("AllocatorBackTraceIndex"));
        assertEquals(0xA, POOL_HEADER.X64.offset("PoolTagHash"));
        assertEquals(0, POOL_HEADER.PREVIOUS_SIZE_SHIFT);
        assertEquals(8, POOL_HEADER.POOL_INDEX_SHIFT);
        assertEquals(16, POOL_HEADER.BLOCK_SIZE_SHIFT);
        assertEquals(24, POOL_HEADER.POOL_TYPE_SHIFT);
        assertEquals(8, POOL_HEADER.X64.field("BlockSize").bitWidth());
        assertEquals(2, POOL_HEADER.X64.offset("BlockSize"));
        assertEquals(8, POOL_HEADER.PREVIOUS_SIZE_BITS);
        assertEquals(8, POOL_HEADER.POOL_INDEX_BITS);
        assertEquals(8, POOL_HEADER.BLOCK_SIZE_BITS);
        assertEquals(8, POOL_HEADER.POOL_TYPE_BITS);
        assertEquals(4, POOL_HEADER.POOL_BLOCK_SHIFT, "POOL_BLOCK_SHIFT on x64");
    }

    @Test
    void shouldMatchWindows10X86Layout() {
        assertEquals(0x8, POOL_HEADER.X86.size());
        assertEquals(9, POOL_HEADER.X86.field("PreviousSize").bitWidth());
        assertEquals(9, POOL_HEADER.X86.field("PoolIndex").bitOffset());
        assertEquals(7, POOL_HEADER.X86.field("PoolType").bitWidth());
        assertEquals(4, POOL_HEADER.X86.offset("AllocatorBackTraceIndex"));
        assertEquals(6, POOL_HEADER.X86.offset("PoolTagHash"));
    }
}
