package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class XStateTest {
    private static final int CHANGED_MXCSR = FloatingPointControl.MXCSR_DEFAULT | 0x6000; // round toward zero

    private static final int FLAGS = FloatingPointControl.MXCSR_EXCEPTION_FLAGS;

    private Arena arena;
    private MemorySegment area;

    @BeforeEach
    void setUp() {
        assumeTrue(XState.isSupported(), "no XSAVE/OSXSAVE on this host");
        arena = Arena.ofConfined();
        area = arena.allocate(XState.requiredAreaSize(XState.usableMask()) + 128, 64);
    }

    @AfterEach
    void tearDown() {
        if (arena != null) {
            arena.close();
        }
    }

    @Test
    void shouldReportAreaSizesFromCpuidLeafD() {
        assertEquals(576, XState.requiredAreaSize(XState.LEGACY));
        long all = XState.usableMask();
        assertTrue((all & XState.LEGACY) == XState.LEGACY, "x87 and SSE are always enabled with XSAVE");
        int[] leafD = Cpu.cpuid(0xD, 0);
        assertTrue(XState.requiredAreaSize(all) <= Integer.toUnsignedLong(leafD[1]),
                "never more than CPUID.(0DH,0):EBX, the size for every enabled component");
        if ((all & XState.AVX) != 0) {
            assertEquals(576 + 256, XState.requiredAreaSize(XState.LEGACY | XState.AVX));
        }
        assertTrue(XState.requiredCompactedAreaSize(all) <= XState.requiredAreaSize(all));
    }

    private void roundTrip(java.util.function.BiConsumer<MemorySegment, Long> save) {
        int saved = FloatingPointControl.mxcsr();
        try {
            FloatingPointControl.setMxcsr(CHANGED_MXCSR);
            save.accept(area, XState.LEGACY_SSE);
            // Sticky exception flags (bits 0..5) may be raised by Java arithmetic in between: compare the
            // control bits.
            assertEquals(CHANGED_MXCSR, area.get(ValueLayout.JAVA_INT, 24) & ~FLAGS, "MXCSR lives at byte 24");
            FloatingPointControl.setMxcsr(FloatingPointControl.MXCSR_DEFAULT);
            assertEquals(FloatingPointControl.MXCSR_DEFAULT, FloatingPointControl.mxcsr() & ~FLAGS);
            XState.xrstor(area, XState.LEGACY_SSE);
            assertEquals(CHANGED_MXCSR, FloatingPointControl.mxcsr() & ~FLAGS, "XRSTOR brought MXCSR back");
        } finally {
            FloatingPointControl.setMxcsr(saved);
        }
    }

    @Test
    void shouldRestoreMxcsrSavedByXsave() {
        roundTrip(XState::xsave);
        assertEquals(XState.LEGACY_SSE, area.get(ValueLayout.JAVA_LONG, 512) & XState.LEGACY_SSE,
                "XSTATE_BV names SSE");
    }

    @Test
    void shouldRestoreMxcsrSavedByXsavec() {
        assumeTrue(Cpu.features().xsavec());
        roundTrip(XState::xsavec);
        assertTrue(area.get(ValueLayout.JAVA_LONG, 520) < 0, "XCOMP_BV bit 63 marks the compacted form");
    }

    @Test
    void shouldRestoreMxcsrSavedByXsaveopt() {
        assumeTrue(Cpu.features().xsaveopt());
        roundTrip(XState::xsaveopt);
    }

    @Test
    void shouldRejectMisalignedOrSmallAreaBeforeWriting() {
        MemorySegment misaligned = area.asSlice(16, 600);
        var e = assertThrows(IllegalArgumentException.class, () -> XState.xsave(misaligned, XState.LEGACY));
        assertTrue(e.getMessage().contains("64-byte aligned"), e.getMessage());
        var small = assertThrows(IllegalArgumentException.class,
                () -> XState.xsave(area.asSlice(0, 512), XState.LEGACY));
        assertTrue(small.getMessage().contains("576"), small.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> XState.xsave(MemorySegment.ofArray(new byte[4096]), XState.LEGACY));
        for (long i = 0; i < area.byteSize(); i++) {
            assertEquals(0, area.get(ValueLayout.JAVA_BYTE, i));
        }
    }

    @Test
    void shouldRejectUnusableComponents() {
        var e = assertThrows(IllegalArgumentException.class, () -> XState.xsave(area, 1L << 9));
        assertTrue(e.getMessage().contains("not usable"), e.getMessage());
    }

    @Test
    void shouldRefuseRestoreFromCorruptHeaderInsteadOfFaulting() {
        XState.xsave(area, XState.LEGACY);
        area.set(ValueLayout.JAVA_LONG, 512 + 16, 1); // reserved header bytes must be zero
        var e = assertThrows(IllegalArgumentException.class, () -> XState.xrstor(area, XState.LEGACY));
        assertTrue(e.getMessage().contains("header"), e.getMessage());
        area.set(ValueLayout.JAVA_LONG, 512 + 16, 0);
        area.set(ValueLayout.JAVA_INT, 24, 0x8000_1F80); // reserved MXCSR bit
        assertThrows(IllegalArgumentException.class, () -> XState.xrstor(area, XState.LEGACY));
    }

    @Test
    void shouldRestoreMxcsrAndX87ControlWordSavedByFxsave() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fx = a.allocate(XState.FXSAVE_AREA_SIZE, XState.FXSAVE_AREA_ALIGNMENT);
            int savedMxcsr = FloatingPointControl.mxcsr();
            int savedCw = FloatingPointControl.x87ControlWord();
            int changedCw = savedCw ^ 0x0C00; // rounding control toward zero
            try {
                FloatingPointControl.setMxcsr(CHANGED_MXCSR);
                FloatingPointControl.setX87ControlWord(changedCw);
                XState.fxsave(fx);
                assertEquals(changedCw, Short.toUnsignedInt(fx.get(ValueLayout.JAVA_SHORT, 0)), "FCW lives at byte 0");
                assertEquals(CHANGED_MXCSR, fx.get(ValueLayout.JAVA_INT, 24) & ~FLAGS, "MXCSR lives at byte 24");
                FloatingPointControl.setMxcsr(FloatingPointControl.MXCSR_DEFAULT);
                FloatingPointControl.setX87ControlWord(savedCw);
                XState.fxrstor(fx);
                assertEquals(CHANGED_MXCSR, FloatingPointControl.mxcsr() & ~FLAGS, "FXRSTOR brought MXCSR back");
                assertEquals(changedCw, FloatingPointControl.x87ControlWord(), "FXRSTOR brought FCW back");
            } finally {
                FloatingPointControl.setMxcsr(savedMxcsr);
                FloatingPointControl.setX87ControlWord(savedCw);
            }
        }
    }

    @Test
    void shouldRejectBadFxsaveAreasAndCorruptMxcsrWithoutFaulting() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fx = a.allocate(XState.FXSAVE_AREA_SIZE + 64, 64);
            var misaligned = assertThrows(IllegalArgumentException.class, () -> XState.fxsave(fx.asSlice(8, 512)));
            assertTrue(misaligned.getMessage().contains("16-byte aligned"), misaligned.getMessage());
            var small = assertThrows(IllegalArgumentException.class, () -> XState.fxsave(fx.asSlice(0, 256)));
            assertTrue(small.getMessage().contains("512"), small.getMessage());
            assertThrows(IllegalArgumentException.class, () -> XState.fxsave(MemorySegment.ofArray(new byte[512])));
            assertThrows(IllegalArgumentException.class, () -> XState.fxsave(fx.asReadOnly()));
            for (long i = 0; i < fx.byteSize(); i++) {
                assertEquals(0, fx.get(ValueLayout.JAVA_BYTE, i), "nothing written by a refused call");
            }
            int before = FloatingPointControl.mxcsr();
            XState.fxsave(fx);
            fx.set(ValueLayout.JAVA_INT, 24, 0x8000_1F80); // reserved MXCSR bit: FXRSTOR would raise #GP
            var e = assertThrows(IllegalArgumentException.class, () -> XState.fxrstor(fx));
            assertTrue(e.getMessage().contains("MXCSR"), e.getMessage());
            assertEquals(before, FloatingPointControl.mxcsr(), "nothing restored");
        }
    }
}
