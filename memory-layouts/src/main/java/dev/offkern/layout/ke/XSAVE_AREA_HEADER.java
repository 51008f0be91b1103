package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The 64-byte XSAVE header after the legacy region: {@code Mask} is the CPU's XSTATE_BV (the
 * components whose state is not initial), {@code Reserved[0]} its XCOMP_BV (bit 63: compacted form;
 * newer WDKs name it CompactionMask); XRSTOR raises #GP unless the rest is zero.
 * <pre>{@code
 * typedef struct DECLSPEC_ALIGN(8) _XSAVE_AREA_HEADER {
 *   ULONG64 Mask;
 *   ULONG64 Reserved[7];
 * } XSAVE_AREA_HEADER, *PXSAVE_AREA_HEADER;
 * }</pre>
 */
public final class XSAVE_AREA_HEADER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG64: XSTATE_BV, the components present in the area. */
    public static final long MASK_OFFSET = X64.offset("Mask");
    /** ULONG64[7]: XCOMP_BV, then reserved (zero). */
    public static final long RESERVED_OFFSET = X64.offset("Reserved");

    private XSAVE_AREA_HEADER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("XSAVE_AREA_HEADER", abi)
                .field("Mask", CType.ULONG64)
                .array("Reserved", CType.ULONG64, 7)
                .alignAs(8)
                .build();
    }
}
