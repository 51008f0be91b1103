package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A locally unique identifier (64 bits, 4-aligned: two 32-bit halves).
 * <pre>{@code
 * typedef struct _LUID {
 *   ULONG LowPart;
 *   LONG HighPart;
 * } LUID, *PLUID;
 * }</pre>
 */
public final class LUID {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: the low 32 bits. */
    public static final long LOW_PART_OFFSET = X64.offset("LowPart");
    /** LONG: the high 32 bits. */
    public static final long HIGH_PART_OFFSET = X64.offset("HighPart");

    private LUID() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("LUID", abi)
                .field("LowPart", CType.ULONG)
                .field("HighPart", CType.LONG)
                .build();
    }
}
