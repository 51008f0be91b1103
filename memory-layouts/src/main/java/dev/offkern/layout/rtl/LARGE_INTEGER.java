package dev.offkern.layout.rtl;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A signed 64-bit integer readable as two 32-bit halves (8-aligned on both ABIs).
 * <pre>{@code
 * typedef union _LARGE_INTEGER {
 *   struct { ULONG LowPart; LONG HighPart; } DUMMYSTRUCTNAME;
 *   struct { ULONG LowPart; LONG HighPart; } u;
 *   LONGLONG QuadPart;
 * } LARGE_INTEGER, *PLARGE_INTEGER;
 * }</pre>
 */
public final class LARGE_INTEGER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: the low 32 bits. */
    public static final long LOW_PART_OFFSET = X64.offset("LowPart");
    /** LONG: the high 32 bits, signed. */
    public static final long HIGH_PART_OFFSET = X64.offset("HighPart");
    /** LONGLONG: the whole value. */
    public static final long QUAD_PART_OFFSET = X64.offset("QuadPart");

    private LARGE_INTEGER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.union("LARGE_INTEGER", abi)
                .struct(null, s -> s.field("LowPart", CType.ULONG).field("HighPart", CType.LONG))
                .struct("u", s -> s.field("LowPart", CType.ULONG).field("HighPart", CType.LONG))
                .field("QuadPart", CType.LONGLONG)
                .build();
    }
}
