package dev.offkern.layout.rtl;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A bitmap header: the bit count and the ULONG buffer holding the bits (bit n is bit n%32 of
 * Buffer[n/32]). The buffer must be 4-aligned and a multiple of 4 bytes long.
 * <pre>{@code
 * typedef struct _RTL_BITMAP {
 *   ULONG SizeOfBitMap;
 *   PULONG Buffer;
 * } RTL_BITMAP, *PRTL_BITMAP;
 * }</pre>
 */
public final class RTL_BITMAP {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG, bits: the number of bits in the map. */
    public static final long SIZE_OF_BIT_MAP_OFFSET = X64.offset("SizeOfBitMap");
    /** PULONG: the bits, 32 per ULONG, least significant first. */
    public static final long BUFFER_OFFSET = X64.offset("Buffer");

    private RTL_BITMAP() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("RTL_BITMAP", abi)
                .field("SizeOfBitMap", CType.ULONG)
                .field("Buffer", CType.pointer("PULONG"))
                .build();
    }
}
