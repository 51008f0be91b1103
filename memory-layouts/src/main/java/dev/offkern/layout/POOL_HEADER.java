package dev.offkern.layout;

import java.lang.foreign.StructLayout;

/**
 * The header Windows puts before every small pool block (x64: 16 bytes; x86: 8). Not in any public
 * header: Windows 10 22H2's layout from its symbols. Sizes are in pool units (16 bytes on x64, 8
 * on x86).
 * <pre>
 * x64:  0        8         16        24        32                    64
 *      +--------+---------+---------+---------+---------------------+
 *      |PrevSize|PoolIndex|BlockSize|PoolType | PoolTag             |
 *      +--------+---------+---------+---------+---------------------+
 *      | ProcessBilled, or AllocatorBackTraceIndex + PoolTagHash    |
 *      +------------------------------------------------------------+
 * </pre>
 * <pre>{@code
 * #if defined(_AMD64_)
 * typedef struct _POOL_HEADER {
 *   union {
 *     struct {
 *       USHORT PreviousSize : 8;
 *       USHORT PoolIndex : 8;
 *       USHORT BlockSize : 8;
 *       USHORT PoolType : 8;
 *     };
 *     ULONG Ulong1;
 *   };
 *   ULONG PoolTag;
 *   union {
 *     struct _EPROCESS *ProcessBilled;
 *     struct {
 *       USHORT AllocatorBackTraceIndex;
 *       USHORT PoolTagHash;
 *     };
 *   };
 * } POOL_HEADER;
 * #else
 * typedef struct _POOL_HEADER {
 *   union {
 *     struct {
 *       USHORT PreviousSize : 9;
 *       USHORT PoolIndex : 7;
 *       USHORT BlockSize : 9;
 *       USHORT PoolType : 7;
 *     };
 *     ULONG Ulong1;
 *   };
 *   union {
 *     ULONG PoolTag;
 *     struct {
 *       USHORT AllocatorBackTraceIndex;
 *       USHORT PoolTagHash;
 *     };
 *   };
 * } POOL_HEADER;
 * #endif
 * }</pre>
 */
public final class POOL_HEADER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** USHORT:8 (x86 :9), pool units: the size of the previous block in the page. */
    public static final long PREVIOUS_SIZE_OFFSET = X64.offset("PreviousSize");
    /** USHORT:8 (x86 :7): the pool descriptor index. */
    public static final long POOL_INDEX_OFFSET = X64.offset("PoolIndex");
    /** USHORT:8 (x86 :9), pool units: this block's size including the header. */
    public static final long BLOCK_SIZE_OFFSET = X64.offset("BlockSize");
    /** USHORT:8 (x86 :7): the pool type + 1, 0 for a free block. */
    public static final long POOL_TYPE_OFFSET = X64.offset("PoolType");
    /** ULONG: the four fields above as one word. */
    public static final long ULONG1_OFFSET = X64.offset("Ulong1");
    /** ULONG: the allocation's tag. */
    public static final long POOL_TAG_OFFSET = X64.offset("PoolTag");
    /** PEPROCESS: the process charged (quota allocations, x64). */
    public static final long PROCESS_BILLED_OFFSET = X64.offset("ProcessBilled");

    private POOL_HEADER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        int sizeBits = abi == Abi.X64 ? 8 : 9;
        CStruct.Builder b = CStruct.struct("POOL_HEADER", abi)
                .union(null, u -> u
                        .struct(null, s -> s
                                .bits(CType.USHORT, "PreviousSize", sizeBits, "PoolIndex", 16 - sizeBits)
                                .bits(CType.USHORT, "BlockSize", sizeBits, "PoolType", 16 - sizeBits))
                        .field("Ulong1", CType.ULONG));
        if (abi == Abi.X64) {
            return b.field("PoolTag", CType.ULONG)
                    .union(null, u -> u.field("ProcessBilled", CType.pointer("PEPROCESS"))
                            .struct(null, s -> s.field("AllocatorBackTraceIndex", CType.USHORT)
                                    .field("PoolTagHash", CType.USHORT)))
                    .build();
        }
        return b.union(null, u -> u.field("PoolTag", CType.ULONG)
                        .struct(null, s -> s.field("AllocatorBackTraceIndex", CType.USHORT)
                                .field("PoolTagHash", CType.USHORT)))
                .build();
    }
}
