package dev.offkern.layout.mm;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The header in front of every small pool block (opaque: not in the public headers; Windows 10
 * 22H2 layout from the kernel's symbols).
 *
 * <pre>{@code
 * typedef struct _POOL_HEADER {            // x64: 0x10 bytes          x86: 0x8 bytes
 *   union {
 *     struct {
 *       USHORT PreviousSize : 8;           // x86: 9   units of 16 bytes (x86: 8)
 *       USHORT PoolIndex    : 8;           // x86: 7
 *       USHORT BlockSize    : 8;           // x86: 9   header included, in units
 *       USHORT PoolType     : 8;           // x86: 7   0 = free, else (POOL_TYPE + 1)
 *     };
 *     ULONG Ulong1;
 *   };
 *   ULONG PoolTag;                         // x86: in a union with the struct below
 *   union {                                // x86: no ProcessBilled
 *     struct _EPROCESS *ProcessBilled;
 *     struct { USHORT AllocatorBackTraceIndex; USHORT PoolTagHash; };
 *   };
 * } POOL_HEADER;
 * }</pre>
 *
 * <p>x64 word at offset 0, as drawn from bit 0:
 * <pre>
 *  0        8        16       24       32
 *  +--------+--------+--------+--------+
 *  |PrevSize|PoolIdx |BlockSz |PoolType|   Ulong1
 *  +--------+--------+--------+--------+
 * </pre>
 */
public final class POOL_HEADER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: the four bit fields as one word. */
    public static final long ULONG1_OFFSET = X64.offset("Ulong1");
    /** ULONG: the allocation's tag (four characters, little-endian). */
    public static final long POOL_TAG_OFFSET = X64.offset("PoolTag");
    /** PEPROCESS: the process charged for quota (0 when no quota was charged). */
    public static final long PROCESS_BILLED_OFFSET = X64.offset("ProcessBilled");
    /** Bit offset of PreviousSize in Ulong1 (x64; width {@link #PREVIOUS_SIZE_BITS}). */
    public static final int PREVIOUS_SIZE_SHIFT = ulong1Shift("PreviousSize");
    /** Bit offset of PoolIndex in Ulong1 (x64). */
    public static final int POOL_INDEX_SHIFT = ulong1Shift("PoolIndex");
    /** Bit offset of BlockSize in Ulong1 (x64: the second USHORT's bit 0 is Ulong1's bit 16). */
    public static final int BLOCK_SIZE_SHIFT = ulong1Shift("BlockSize");
    /** Bit offset of PoolType in Ulong1 (x64). */
    public static final int POOL_TYPE_SHIFT = ulong1Shift("PoolType");
    /** Width in bits of PreviousSize (x64). */
    public static final int PREVIOUS_SIZE_BITS = X64.field("PreviousSize").bitWidth();
    /** Width in bits of PoolIndex (x64). */
    public static final int POOL_INDEX_BITS = X64.field("PoolIndex").bitWidth();
    /** Width in bits of BlockSize (x64). */
    public static final int BLOCK_SIZE_BITS = X64.field("BlockSize").bitWidth();
    /** Width in bits of PoolType (x64). */
    public static final int POOL_TYPE_BITS = X64.field("PoolType").bitWidth();
    /**
     * {@code POOL_BLOCK_SHIFT} (x64): block granularity, the header's sizes count units of
     * {@code 1 << POOL_BLOCK_SHIFT} = sizeof(POOL_HEADER) bytes.
     */
    public static final int POOL_BLOCK_SHIFT = Long.numberOfTrailingZeros(X64.size());

    private POOL_HEADER() {
    }

    /** Bit offset in Ulong1 of the x64 bit field {@code name}: its unit's bit position plus its bit offset in the unit. */
    private static int ulong1Shift(String name) {
        return Byte.SIZE * (int) (X64.offset(name) - X64.offset("Ulong1")) + X64.field(name).bitOffset();
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        int small = abi == Abi.X64 ? 8 : 9;
        int big = abi == Abi.X64 ? 8 : 7;
        CStruct.Builder b = CStruct.opaque("POOL_HEADER", abi)
                .union(null, u -> u
                        .struct(null, s -> s
                                .bits(CType.USHORT, "PreviousSize", small, "PoolIndex", big)
                                .bits(CType.USHORT, "BlockSize", small, "PoolType", big))
                        .field("Ulong1", CType.ULONG));
        if (abi == Abi.X64) {
            b.field("PoolTag", CType.ULONG).union(null, u -> u
                    .field("ProcessBilled", CType.pointer("PEPROCESS"))
                    .struct(null, s -> s.field("AllocatorBackTraceIndex", CType.USHORT)
                            .field("PoolTagHash", CType.USHORT)));
        } else {
            b.union(null, u -> u
                    .field("PoolTag", CType.ULONG)
                    .struct(null, s -> s.field("AllocatorBackTraceIndex", CType.USHORT)
                            .field("PoolTagHash", CType.USHORT)));
        }
        return b.build();
    }
}
