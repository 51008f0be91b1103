package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * Where KeSaveExtendedProcessorState keeps an XSAVE image: the feature mask and the area.
 * <pre>{@code
 * typedef struct _XSTATE_CONTEXT {
 *   ULONG64 Mask;
 *   ULONG Length;
 *   ULONG Reserved1;
 *   PXSAVE_AREA Area;
 * #if defined(_X86_)
 *   ULONG Reserved2;
 * #endif
 *   PVOID Buffer;
 * #if defined(_X86_)
 *   ULONG Reserved3;
 * #endif
 * } XSTATE_CONTEXT, *PXSTATE_CONTEXT;
 * }</pre>
 */
public final class XSTATE_CONTEXT {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG64: the XSAVE feature mask saved. */
    public static final long MASK_OFFSET = X64.offset("Mask");
    /** ULONG, bytes: the area's length. */
    public static final long LENGTH_OFFSET = X64.offset("Length");
    /** PXSAVE_AREA: the 64-byte aligned XSAVE area. */
    public static final long AREA_OFFSET = X64.offset("Area");
    /** PVOID: the allocation holding Area. */
    public static final long BUFFER_OFFSET = X64.offset("Buffer");

    private XSTATE_CONTEXT() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("XSTATE_CONTEXT", abi)
                .field("Mask", CType.ULONG64)
                .field("Length", CType.ULONG)
                .field("Reserved1", CType.ULONG)
                .field("Area", CType.pointer("PXSAVE_AREA"));
        if (abi == Abi.X86) {
            b.field("Reserved2", CType.ULONG);
        }
        b.field("Buffer", CType.PVOID);
        if (abi == Abi.X86) {
            b.field("Reserved3", CType.ULONG);
        }
        return b.build();
    }
}
