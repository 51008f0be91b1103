package dev.offkern.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.offkern.layout.ex.EX_RUNDOWN_WAIT_BLOCK;
import org.junit.jupiter.api.Test;

/** The kernel-private run-down wait block against ddi-reference §3 (ReactOS: {@code { ULONG_PTR Count; KEVENT WakeEvent; }}). */
class EX_RUNDOWN_WAIT_BLOCKTest {
    @Test
    void shouldLayOutTheRundownWaitBlockAsReactOsDeclaresIt() {
        assertEquals(0x20, EX_RUNDOWN_WAIT_BLOCK.X64.size());
        assertEquals(0x00, EX_RUNDOWN_WAIT_BLOCK.COUNT_OFFSET);
        assertEquals(0x08, EX_RUNDOWN_WAIT_BLOCK.WAKE_EVENT_OFFSET);
        assertEquals(0x14, EX_RUNDOWN_WAIT_BLOCK.X86.size());
        assertEquals(0x04, EX_RUNDOWN_WAIT_BLOCK.X86.offset("WakeEvent"));
    }
}
