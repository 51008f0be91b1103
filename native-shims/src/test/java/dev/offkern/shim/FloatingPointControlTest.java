package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FloatingPointControlTest {

    @Test
    void shouldStartWithJavaDefaultControlBits() {
        // The sticky flags (bits 0..5) may be set by earlier arithmetic; the control bits may not.
        assertEquals(FloatingPointControl.MXCSR_DEFAULT,
                FloatingPointControl.mxcsr() & ~FloatingPointControl.MXCSR_EXCEPTION_FLAGS);
    }

    @Test
    void shouldRoundTripMxcsr() {
        int saved = FloatingPointControl.mxcsr();
        int changed = FloatingPointControl.MXCSR_DEFAULT | 0x6000; // round toward zero
        try {
            FloatingPointControl.setMxcsr(changed);
            assertEquals(changed, FloatingPointControl.mxcsr() & ~FloatingPointControl.MXCSR_EXCEPTION_FLAGS);
        } finally {
            FloatingPointControl.setMxcsr(saved);
        }
        assertEquals(saved & ~FloatingPointControl.MXCSR_EXCEPTION_FLAGS,
                FloatingPointControl.mxcsr() & ~FloatingPointControl.MXCSR_EXCEPTION_FLAGS);
    }

    @Test
    void shouldRoundTripX87ControlWord() {
        int saved = FloatingPointControl.x87ControlWord();
        int changed = saved ^ 0x0C00; // flip rounding control
        try {
            FloatingPointControl.setX87ControlWord(changed);
            assertEquals(changed, FloatingPointControl.x87ControlWord());
        } finally {
            FloatingPointControl.setX87ControlWord(saved);
        }
        assertEquals(saved, FloatingPointControl.x87ControlWord());
    }

    @Test
    void shouldRejectReservedMxcsrBitsWithoutLoading() {
        int before = FloatingPointControl.mxcsr();
        int mask = FloatingPointControl.mxcsrMask();
        assertEquals(0xFFBF, mask & 0xFFBF, "every SSE CPU lets software set bits 0..5 and 7..15");
        assertEquals(0, mask & 0x8000_0000, "bit 31 is reserved everywhere (AMD uses bit 17 for MM)");
        var e = assertThrows(IllegalArgumentException.class, () -> FloatingPointControl.setMxcsr(0x8000_1F80));
        assertTrue(e.getMessage().contains("reserved"), e.getMessage());
        assertEquals(before, FloatingPointControl.mxcsr());
        assertThrows(IllegalArgumentException.class, () -> FloatingPointControl.setX87ControlWord(0x1_037F));
    }
}
