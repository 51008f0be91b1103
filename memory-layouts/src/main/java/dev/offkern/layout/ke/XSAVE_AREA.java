package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The start of an XSAVE area (what {@code XSTATE_CONTEXT.Area} points to): the legacy region and
 * the XSAVE header; the extended components follow at the offsets CPUID leaf 0DH gives (standard
 * form) or packed (compacted form).
 * <pre>{@code
 * typedef struct DECLSPEC_ALIGN(16) _XSAVE_AREA {
 *   XSAVE_FORMAT LegacyState;
 *   XSAVE_AREA_HEADER Header;
 * } XSAVE_AREA, *PXSAVE_AREA;
 * }</pre>
 */
public final class XSAVE_AREA {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** XSAVE_FORMAT: the legacy region (x87, MXCSR, XMM). */
    public static final long LEGACY_STATE_OFFSET = X64.offset("LegacyState");
    /** XSAVE_AREA_HEADER: XSTATE_BV and XCOMP_BV. */
    public static final long HEADER_OFFSET = X64.offset("Header");

    private XSAVE_AREA() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("XSAVE_AREA", abi)
                .field("LegacyState", XSAVE_FORMAT.of(abi))
                .field("Header", XSAVE_AREA_HEADER.of(abi))
                .alignAs(16)
                .build();
    }
}
