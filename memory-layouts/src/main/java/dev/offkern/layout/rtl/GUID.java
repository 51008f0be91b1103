package dev.offkern.layout.rtl;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A globally unique identifier (16 bytes, 4-aligned).
 * <pre>{@code
 * typedef struct _GUID {
 *   unsigned long Data1;
 *   unsigned short Data2;
 *   unsigned short Data3;
 *   unsigned char Data4[8];
 * } GUID;
 * }</pre>
 */
public final class GUID {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: the first group. */
    public static final long DATA1_OFFSET = X64.offset("Data1");
    /** USHORT: the second group. */
    public static final long DATA2_OFFSET = X64.offset("Data2");
    /** USHORT: the third group. */
    public static final long DATA3_OFFSET = X64.offset("Data3");
    /** UCHAR[8]: the last eight bytes, in order. */
    public static final long DATA4_OFFSET = X64.offset("Data4");

    private GUID() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("GUID", abi)
                .field("Data1", CType.ULONG)
                .field("Data2", CType.USHORT)
                .field("Data3", CType.USHORT)
                .array("Data4", CType.UCHAR, 8)
                .build();
    }
}
