package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A lookaside list's common part, cache-aligned ({@code DECLSPEC_CACHEALIGN}, 64 bytes) on both
 * ABIs: 0x80 bytes on x64 and on x86 (x86's members end at 0x48). mingw-w64 declares the alignment
 * on x64 only; Windows (its PDBs: 0x80 on x86) wins.
 * <pre>{@code
 * typedef struct DECLSPEC_CACHEALIGN _GENERAL_LOOKASIDE {
 *   union {
 *     SLIST_HEADER ListHead;
 *     SINGLE_LIST_ENTRY SingleListHead;
 *   };
 *   USHORT Depth;
 *   USHORT MaximumDepth;
 *   ULONG TotalAllocates;
 *   union { ULONG AllocateMisses; ULONG AllocateHits; };
 *   ULONG TotalFrees;
 *   union { ULONG FreeMisses; ULONG FreeHits; };
 *   POOL_TYPE Type;
 *   ULONG Tag;
 *   ULONG Size;
 *   union { PALLOCATE_FUNCTION_EX AllocateEx; PALLOCATE_FUNCTION Allocate; };
 *   union { PFREE_FUNCTION_EX FreeEx; PFREE_FUNCTION Free; };
 *   LIST_ENTRY ListEntry;
 *   ULONG LastTotalAllocates;
 *   union { ULONG LastAllocateMisses; ULONG LastAllocateHits; };
 *   ULONG Future[2];
 * } GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;
 * }</pre>
 */
public final class GENERAL_LOOKASIDE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** SLIST_HEADER: the free entries. */
    public static final long LIST_HEAD_OFFSET = X64.offset("ListHead");
    /** USHORT, entries: the current maximum number of free entries kept. */
    public static final long DEPTH_OFFSET = X64.offset("Depth");
    /** USHORT, entries: the ceiling of Depth. */
    public static final long MAXIMUM_DEPTH_OFFSET = X64.offset("MaximumDepth");
    /** ULONG, count: allocations. */
    public static final long TOTAL_ALLOCATES_OFFSET = X64.offset("TotalAllocates");
    /** ULONG, count: allocations the list could not satisfy. */
    public static final long ALLOCATE_MISSES_OFFSET = X64.offset("AllocateMisses");
    /** ULONG, count: frees. */
    public static final long TOTAL_FREES_OFFSET = X64.offset("TotalFrees");
    /** ULONG, count: frees that went back to the pool. */
    public static final long FREE_MISSES_OFFSET = X64.offset("FreeMisses");
    /** POOL_TYPE (enum): the pool the entries come from. */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** ULONG: the pool tag. */
    public static final long TAG_OFFSET = X64.offset("Tag");
    /** ULONG, bytes: the entry size. */
    public static final long SIZE_OFFSET = X64.offset("Size");
    /** PALLOCATE_FUNCTION_EX (or PALLOCATE_FUNCTION): allocates an entry on a miss. */
    public static final long ALLOCATE_EX_OFFSET = X64.offset("AllocateEx");
    /** PFREE_FUNCTION_EX (or PFREE_FUNCTION): frees an entry past Depth. */
    public static final long FREE_EX_OFFSET = X64.offset("FreeEx");
    /** LIST_ENTRY: link in the system's lookaside-list list. */
    public static final long LIST_ENTRY_OFFSET = X64.offset("ListEntry");
    /** ULONG, count: TotalAllocates at the last depth adjustment. */
    public static final long LAST_TOTAL_ALLOCATES_OFFSET = X64.offset("LastTotalAllocates");
    /** ULONG, count: AllocateMisses at the last depth adjustment. */
    public static final long LAST_ALLOCATE_MISSES_OFFSET = X64.offset("LastAllocateMisses");
    /** ULONG[2]: reserved. */
    public static final long FUTURE_OFFSET = X64.offset("Future");
    /** SYSTEM_CACHE_ALIGNMENT_SIZE on x86 and x64: DECLSPEC_CACHEALIGN's alignment. */
    public static final int SYSTEM_CACHE_ALIGNMENT_SIZE = 64;

    private GENERAL_LOOKASIDE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return GENERAL_LOOKASIDE_POOL.members(CStruct.struct("GENERAL_LOOKASIDE", abi))
                .alignAs(SYSTEM_CACHE_ALIGNMENT_SIZE)
                .build();
    }
}
