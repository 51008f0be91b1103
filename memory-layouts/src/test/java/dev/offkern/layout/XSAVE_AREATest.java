package dev.offkern.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.offkern.layout.ke.M128A;
import dev.offkern.layout.ke.XSAVE_AREA;
import dev.offkern.layout.ke.XSAVE_AREA_HEADER;
import dev.offkern.layout.ke.XSAVE_FORMAT;
import org.junit.jupiter.api.Test;

/** The XSAVE area's fixed part, as the SDM places it (Vol. 1, 13.4) and the WDK declares it. */
class XSAVE_AREATest {

    @Test
    void shouldPlaceTheLegacyRegionAsFxsaveWritesIt() {
        for (Abi abi : Abi.values()) {
            StructSpec f = XSAVE_FORMAT.of(abi);
            assertEquals(512, f.size(), abi + " legacy region");
            assertEquals(16, f.align());
            assertEquals(0, f.offset("ControlWord"));
            assertEquals(2, f.offset("StatusWord"));
            assertEquals(24, f.offset("MxCsr"));
            assertEquals(28, f.offset("MxCsr_Mask"));
            assertEquals(32, f.offset("FloatRegisters"));
            assertEquals(160, f.offset("XmmRegisters"));
        }
        assertEquals(24, XSAVE_FORMAT.MX_CSR_OFFSET);
        assertEquals(0x1FC, XSAVE_FORMAT.X86.offset("Cr0NpxState"));
        assertEquals(16, M128A.X64.size());
        assertEquals(16, M128A.X86.align());
    }

    @Test
    void shouldPutTheHeaderAfterTheLegacyRegion() {
        assertEquals(64, XSAVE_AREA_HEADER.X64.size());
        assertEquals(8, XSAVE_AREA_HEADER.RESERVED_OFFSET, "XCOMP_BV");
        for (Abi abi : Abi.values()) {
            assertEquals(512, XSAVE_AREA.of(abi).offset("Header"));
            assertEquals(576, XSAVE_AREA.of(abi).size(), "the smallest XSAVE area");
            assertEquals(16, XSAVE_AREA.of(abi).align());
        }
    }
}
