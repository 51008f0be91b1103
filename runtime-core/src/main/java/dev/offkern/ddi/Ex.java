package dev.offkern.ddi;

import dev.offkern.layout.StructSpec;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ex.ALLOCATE_FUNCTION;
import dev.offkern.runtime.ex.ALLOCATE_FUNCTION_EX;
import dev.offkern.runtime.ex.ContainingRecord;
import dev.offkern.runtime.ex.ExLookaside;
import dev.offkern.runtime.ex.FREE_FUNCTION;
import dev.offkern.runtime.ex.FREE_FUNCTION_EX;
import dev.offkern.runtime.ex.ExSList;
import dev.offkern.runtime.mm.AddressSpace;
import java.lang.foreign.MemorySegment;

/**
 * Executive routines ({@code Ex*}) and their prefix-less families ({@code InitializeSListHead},
 * {@code InterlockedPushEntrySList}, ...), under their verbatim names with C parameters in C order.
 * Each is a thin delegation into {@code dev.offkern.runtime}.
 */
public final class Ex {

    private Ex() {
    }

    // ===== Pool: ExAllocatePool2, ExAllocatePoolWithTag, ExFreePoolWithTag, ... =====

    // ===== end Pool =====

    // ===== SLIST: InitializeSListHead, ExInterlockedPushEntrySList, ... =====
    // x64 SLIST_HEADER through the shim's cmpxchg16b (dev.offkern.runtime.ex.ExSList). Every header
    // and entry address is resolved in the calling kernel's address space first (bug check 0x50 if
    // unmapped) and must be 16-byte aligned (DatatypeMisalignmentException, an
    // IllegalArgumentException carrying STATUS_DATATYPE_MISALIGNMENT, otherwise). Routines returning
    // PSLIST_ENTRY return a segment of sizeof(SLIST_ENTRY) = 16 bytes (MemorySegment.NULL for NULL):
    // that wrapper is an allocation unless escape analysis removes it; ExSList's long-address forms
    // allocate nothing.

    /** {@code VOID InitializeSListHead(PSLIST_HEADER SListHead)}: empty list, Depth 0, Sequence 0. IRQL: any. */
    public static void InitializeSListHead(MemorySegment SListHead) {
        Kernel.current().addressSpace().regionOf(sListAddress(SListHead), ExSList.HEADER_SIZE);
        ExSList.initialize(SListHead);
    }

    /** {@code ExInitializeSListHead}: the wdm.h macro for {@link #InitializeSListHead}. */
    public static void ExInitializeSListHead(MemorySegment SListHead) {
        InitializeSListHead(SListHead);
    }

    /**
     * {@code PSLIST_ENTRY ExInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry,
     * PKSPIN_LOCK Lock)}: pushes ListEntry, returns the previous first entry (NULL if empty).
     * {@code Lock} is ignored, as the x64 macro discards it (pass {@code MemorySegment.NULL} or any
     * segment). IRQL: any. Progress: lock-free.
     */
    public static MemorySegment ExInterlockedPushEntrySList(MemorySegment ListHead, MemorySegment ListEntry, MemorySegment Lock) {
        return InterlockedPushEntrySList(ListHead, ListEntry);
    }

    /**
     * {@code PSLIST_ENTRY ExInterlockedPopEntrySList(PSLIST_HEADER ListHead, PKSPIN_LOCK Lock)}:
     * removes and returns the first entry, NULL if empty. {@code Lock} is ignored (x64).
     */
    public static MemorySegment ExInterlockedPopEntrySList(MemorySegment ListHead, MemorySegment Lock) {
        return InterlockedPopEntrySList(ListHead);
    }

    /**
     * {@code PSLIST_ENTRY ExInterlockedFlushSList(PSLIST_HEADER ListHead)}: empties the list and
     * returns the former first entry (the chain stays linked through Next), NULL if empty.
     */
    public static MemorySegment ExInterlockedFlushSList(MemorySegment ListHead) {
        return InterlockedFlushSList(ListHead);
    }

    /** {@code USHORT ExQueryDepthSList(PSLIST_HEADER SListHead)}: the entry count (stale at once). IRQL: ≤ DISPATCH_LEVEL. */
    public static int ExQueryDepthSList(MemorySegment SListHead) {
        return ExSList.depth(Kernel.current().addressSpace(), sListAddress(SListHead));
    }

    /**
     * {@code PSLIST_ENTRY RtlFirstEntrySList(const SLIST_HEADER *ListHead)}: the first entry or
     * NULL; a peek, not atomic with respect to concurrent push/pop.
     */
    public static MemorySegment RtlFirstEntrySList(MemorySegment ListHead) {
        AddressSpace space = Kernel.current().addressSpace();
        return sListEntry(space, ExSList.firstEntry(space, sListAddress(ListHead)));
    }

    /** {@code FirstEntrySList}: the wdm.h name of {@link #RtlFirstEntrySList}. */
    public static MemorySegment FirstEntrySList(MemorySegment SListHead) {
        return RtlFirstEntrySList(SListHead);
    }

    /** {@code PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)}. */
    public static MemorySegment InterlockedPushEntrySList(MemorySegment ListHead, MemorySegment ListEntry) {
        AddressSpace space = Kernel.current().addressSpace();
        return sListEntry(space, ExSList.push(space, sListAddress(ListHead), sListAddress(ListEntry)));
    }

    /** {@code PSLIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER ListHead)}. */
    public static MemorySegment InterlockedPopEntrySList(MemorySegment ListHead) {
        AddressSpace space = Kernel.current().addressSpace();
        return sListEntry(space, ExSList.pop(space, sListAddress(ListHead)));
    }

    /** {@code PSLIST_ENTRY InterlockedFlushSList(PSLIST_HEADER ListHead)}. */
    public static MemorySegment InterlockedFlushSList(MemorySegment ListHead) {
        AddressSpace space = Kernel.current().addressSpace();
        return sListEntry(space, ExSList.flush(space, sListAddress(ListHead)));
    }

    /**
     * {@code PSLIST_ENTRY InterlockedPushListSListEx(PSLIST_HEADER ListHead, PSLIST_ENTRY List,
     * PSLIST_ENTRY ListEnd, ULONG Count)}: pushes the chain List .. ListEnd (linked by the caller
     * through Next; Count entries) in one atomic step; returns the previous first entry.
     */
    public static MemorySegment InterlockedPushListSListEx(MemorySegment ListHead, MemorySegment List, MemorySegment ListEnd, int Count) {
        AddressSpace space = Kernel.current().addressSpace();
        return sListEntry(space, ExSList.pushList(space, sListAddress(ListHead), sListAddress(List), sListAddress(ListEnd), Count));
    }

    /**
     * {@code CONTAINING_RECORD(Address, Type, Field)}: the structure of type {@code Type} containing
     * the member {@code Field} at {@code Address}, as a segment of exactly sizeof(Type) bytes resolved
     * through the kernel's address space (bug check 0x50 if it is not inside one region).
     */
    public static MemorySegment CONTAINING_RECORD(MemorySegment Address, StructSpec Type, String Field) {
        return ContainingRecord.of(Kernel.current().addressSpace(), Address, Type, Field);
    }

    private static long sListAddress(MemorySegment s) {
        if (s == null) {
            throw new NullPointerException("SLIST argument is null (use MemorySegment.NULL for NULL)");
        }
        return s.address();
    }

    private static MemorySegment sListEntry(AddressSpace space, long address) {
        return address == 0 ? MemorySegment.NULL : space.resolve(address, ExSList.ENTRY_SIZE);
    }

    // ===== end SLIST =====

    // ===== Lookaside lists: LOOKASIDE_LIST_EX, NPAGED_LOOKASIDE_LIST, PAGED_LOOKASIDE_LIST =====
    // One implementation (dev.offkern.runtime.ex.ExLookaside) behind all three families. The list
    // structure must be 16-byte aligned inside the kernel's address space (nonpaged memory, even for
    // paged lists). Returned blocks are segments of the list's Size bytes (MemorySegment.NULL for
    // NULL); ExLookaside's long-address forms allocate nothing.

    /**
     * {@code NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX
     * Allocate, PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT
     * Depth)}: Allocate/Free may be null (the pool). Returns STATUS_SUCCESS, STATUS_INVALID_PARAMETER_4
     * (bad PoolType) or STATUS_INVALID_PARAMETER_5 (bad Flags). Depth is reserved and ignored.
     * IRQL: ≤ DISPATCH_LEVEL.
     */
    public static int ExInitializeLookasideListEx(MemorySegment Lookaside, ALLOCATE_FUNCTION_EX Allocate, FREE_FUNCTION_EX Free,
            int PoolType, int Flags, long Size, int Tag, int Depth) {
        return ExLookaside.initializeEx(Kernel.current(), lookasideAddress(Lookaside), Allocate, Free, PoolType, Flags, Size, Tag, Depth);
    }

    /** {@code PVOID ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)}: a cached or new block, or NULL. */
    public static MemorySegment ExAllocateFromLookasideListEx(MemorySegment Lookaside) {
        return lookasideAllocate(Lookaside);
    }

    /** {@code VOID ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry)}. */
    public static void ExFreeToLookasideListEx(MemorySegment Lookaside, MemorySegment Entry) {
        ExLookaside.free(Kernel.current(), lookasideAddress(Lookaside), lookasideAddress(Entry));
    }

    /** {@code VOID ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)}: frees every cached block. */
    public static void ExFlushLookasideListEx(MemorySegment Lookaside) {
        ExLookaside.flush(Kernel.current(), lookasideAddress(Lookaside));
    }

    /** {@code VOID ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)}: frees every cached block and forgets the list. */
    public static void ExDeleteLookasideListEx(MemorySegment Lookaside) {
        ExLookaside.delete(Kernel.current(), lookasideAddress(Lookaside));
    }

    /**
     * {@code VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION
     * Allocate, PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)}: Flags 0,
     * POOL_RAISE_IF_ALLOCATION_FAILURE or POOL_NX_ALLOCATION. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void ExInitializeNPagedLookasideList(MemorySegment Lookaside, ALLOCATE_FUNCTION Allocate, FREE_FUNCTION Free,
            int Flags, long Size, int Tag, int Depth) {
        ExLookaside.initializeLegacy(Kernel.current(), lookasideAddress(Lookaside), false, Allocate, Free, Flags, Size, Tag, Depth);
    }

    /** {@code PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)}. */
    public static MemorySegment ExAllocateFromNPagedLookasideList(MemorySegment Lookaside) {
        return lookasideAllocate(Lookaside);
    }

    /** {@code VOID ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)}. */
    public static void ExFreeToNPagedLookasideList(MemorySegment Lookaside, MemorySegment Entry) {
        ExLookaside.free(Kernel.current(), lookasideAddress(Lookaside), lookasideAddress(Entry));
    }

    /** {@code VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)}. */
    public static void ExDeleteNPagedLookasideList(MemorySegment Lookaside) {
        ExLookaside.delete(Kernel.current(), lookasideAddress(Lookaside));
    }

    /**
     * {@code VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION
     * Allocate, PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)}: entries from
     * paged pool; the structure itself must still be nonpaged. IRQL: ≤ APC_LEVEL.
     */
    public static void ExInitializePagedLookasideList(MemorySegment Lookaside, ALLOCATE_FUNCTION Allocate, FREE_FUNCTION Free,
            int Flags, long Size, int Tag, int Depth) {
        ExLookaside.initializeLegacy(Kernel.current(), lookasideAddress(Lookaside), true, Allocate, Free, Flags, Size, Tag, Depth);
    }

    /** {@code PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)}. */
    public static MemorySegment ExAllocateFromPagedLookasideList(MemorySegment Lookaside) {
        return lookasideAllocate(Lookaside);
    }

    /** {@code VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)}. */
    public static void ExFreeToPagedLookasideList(MemorySegment Lookaside, MemorySegment Entry) {
        ExLookaside.free(Kernel.current(), lookasideAddress(Lookaside), lookasideAddress(Entry));
    }

    /** {@code VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)}. */
    public static void ExDeletePagedLookasideList(MemorySegment Lookaside) {
        ExLookaside.delete(Kernel.current(), lookasideAddress(Lookaside));
    }

    private static MemorySegment lookasideAllocate(MemorySegment Lookaside) {
        Kernel k = Kernel.current();
        long list = lookasideAddress(Lookaside);
        long block = ExLookaside.allocate(k, list);
        return block == 0 ? MemorySegment.NULL : k.addressSpace().resolve(block, Math.max(ExLookaside.blockSize(k, list), 1));
    }

    private static long lookasideAddress(MemorySegment s) {
        if (s == null) {
            throw new NullPointerException("lookaside argument is null (use MemorySegment.NULL for NULL)");
        }
        return s.address();
    }

    // ===== end Lookaside lists =====

    // ===== Rundown protection: EX_RUNDOWN_REF and the cache-aware family =====

    // ===== end Rundown protection =====
}
