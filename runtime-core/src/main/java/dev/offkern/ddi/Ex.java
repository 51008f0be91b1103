package dev.offkern.ddi;

import dev.offkern.nt.PoolFlags;
import dev.offkern.layout.ex.EX_TIMER;
import dev.offkern.nt.EXT_CALLBACK;
import dev.offkern.nt.EXT_DELETE_CALLBACK;
import dev.offkern.runtime.ex.ExTimer;
import dev.offkern.runtime.ex.ExWorkItem;
import dev.offkern.nt.WORKER_THREAD_ROUTINE;
import dev.offkern.nt.WorkQueueType;
import dev.offkern.layout.StructSpec;
import dev.offkern.runtime.Kernel;
import dev.offkern.nt.ALLOCATE_FUNCTION;
import dev.offkern.nt.ALLOCATE_FUNCTION_EX;
import dev.offkern.runtime.ex.ContainingRecord;
import dev.offkern.runtime.ex.ExFastMutex;
import dev.offkern.runtime.ex.ExLookaside;
import dev.offkern.runtime.ex.ExRundown;
import dev.offkern.runtime.ex.ExRundownCacheAware;
import dev.offkern.runtime.ex.ExSList;
import dev.offkern.nt.FREE_FUNCTION;
import dev.offkern.nt.FREE_FUNCTION_EX;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.runtime.pool.Pools;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.verifier.Verifier;
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

    /**
     * {@code PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)}: a block from
     * the paged ({@link PoolFlags#POOL_FLAG_PAGED}) or non-paged ({@link PoolFlags#POOL_FLAG_NON_PAGED},
     * {@link PoolFlags#POOL_FLAG_NON_PAGED_EXECUTE}) pool, zeroed unless
     * {@link PoolFlags#POOL_FLAG_UNINITIALIZED}, 16-byte aligned (64 with
     * {@link PoolFlags#POOL_FLAG_CACHE_ALIGNED}, a page from 4 KiB on).
     *
     * <p>Returns NULL, as Windows does, for: Tag 0; no pool flag, or both paged and non-paged; a
     * required flag that is unknown, reserved ({@code RESERVED1..3}) or unsatisfiable
     * ({@code POOL_FLAG_SESSION}); an exhausted pool. With {@link PoolFlags#POOL_FLAG_RAISE_ON_FAILURE}
     * each of these raises instead: {@code STATUS_INVALID_PARAMETER} for the parameter errors,
     * {@code STATUS_INSUFFICIENT_RESOURCES} for exhaustion. Unknown optional flags (high 32 bits) and
     * {@code POOL_FLAG_SPECIAL_POOL} are ignored; {@code POOL_FLAG_USE_QUOTA} is accepted but charges
     * nothing (no process model yet).
     *
     * <p>IRQL: ≤ DISPATCH_LEVEL, paged pool ≤ APC_LEVEL (verifier: BAD_POOL_CALLER 0x08).
     * NumberOfBytes 0: verifier BAD_POOL_CALLER (0x00, 0, pool type, tag).
     *
     * @return a segment of exactly NumberOfBytes, or {@code MemorySegment.NULL}
     */
    public static MemorySegment ExAllocatePool2(long Flags, long NumberOfBytes, int Tag) {
        try {
            return Kernel.callerPools().allocatePool2(Flags, NumberOfBytes, Tag);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PVOID ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
     * PCPOOL_EXTENDED_PARAMETER ExtendedParameters, ULONG ExtendedParametersCount)}: as
     * {@link #ExAllocatePool2} with an array of 16-byte POOL_EXTENDED_PARAMETERs
     * ({@code ULONG64 Type:8, Optional:1, Reserved:55} then a 64-bit value). Supported:
     * an empty list (NULL or count 0); {@code PoolExtendedParameterPriority} (accepted: offkern's
     * pools have no low-resource tiers, every priority behaves as NormalPoolPriority);
     * {@code PoolExtendedParameterNumaNode} with node 0 or MM_ANY_NODE_OK (one node). Any other type,
     * secure pool included, fails the allocation (NULL or raise) unless its Optional bit is set,
     * in which case it is ignored, as Windows ignores unsatisfiable optional parameters.
     */
    public static MemorySegment ExAllocatePool3(long Flags, long NumberOfBytes, int Tag,
                                                MemorySegment ExtendedParameters, int ExtendedParametersCount) {
        try {
            return Kernel.callerPools().allocatePool3(Flags, NumberOfBytes, Tag, ExtendedParameters, ExtendedParametersCount);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** MM_ANY_NODE_OK: any NUMA node will do. */
    public static final int MM_ANY_NODE_OK = Pools.MM_ANY_NODE_OK;

    /**
     * {@code PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)}: as
     * {@link #ExAllocatePoolWithTag} but the memory is zeroed.
     */
    public static MemorySegment ExAllocatePoolZero(int PoolType, long NumberOfBytes, int Tag) {
        try {
            return Kernel.callerPools().allocateWithTag(PoolType, NumberOfBytes, Tag, true, true);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)}
     * (deprecated on Windows in favour of ExAllocatePool2). PoolType is a
     * {@link dev.offkern.nt.PoolType} value (paged types select the paged pool; Nx and
     * session variants behave as their base type; CacheAligned types give a 64-byte aligned block),
     * optionally OR'ed with POOL_RAISE_IF_ALLOCATION_FAILURE (raise STATUS_INSUFFICIENT_RESOURCES
     * instead of returning NULL), POOL_QUOTA_FAIL_INSTEAD_OF_RAISE or POOL_COLD_ALLOCATION (hints).
     *
     * <p><b>Not zeroed</b>, as on Windows: a recycled block holds what its last owner left (fresh pool
     * memory happens to be zero). offkern keeps Windows' behaviour because ported code must not come
     * to rely on zeroing it will not get on Windows; use ExAllocatePoolZero or ExAllocatePool2.
     *
     * <p>Verifier checks: MustSucceed types (2, 6): BAD_POOL_CALLER (0x9A, pool type, bytes, tag);
     * Tag 0: (0x9B, pool type, bytes, 0); tag "BIG ": (0x9C, pool type, bytes, 0); a tag with no
     * letter or digit: (0x9D, tag, pool type, 0) (offkern has no caller address: 0); bad IRQL: 0x08;
     * zero bytes: 0x00. DontUseThisType (3), MaxPoolType (7) and other non-POOL_TYPE values:
     * IllegalArgumentException.
     */
    public static MemorySegment ExAllocatePoolWithTag(int PoolType, long NumberOfBytes, int Tag) {
        try {
            return Kernel.callerPools().allocateWithTag(PoolType, NumberOfBytes, Tag, false, true);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)}: tag 'None', as Windows. */
    public static MemorySegment ExAllocatePool(int PoolType, long NumberOfBytes) {
        try {
            return Kernel.callerPools().allocateWithTag(PoolType, NumberOfBytes, PoolTags.NONE, false, true);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID ExFreePoolWithTag(PVOID P, ULONG Tag)}: frees a block of either pool; Tag must be
     * the allocation's tag (0 skips the check, except for a PROTECTED_POOL tag). The bug checks are
     * listed at {@link Pool#free}; an address in neither pool is BAD_POOL_CALLER (0x42, address, 0, 0).
     *
     * <p>IRQL: ≤ DISPATCH_LEVEL for non-paged, ≤ APC_LEVEL for paged blocks.
     */
    public static void ExFreePoolWithTag(MemorySegment P, int Tag) {
        try {
            Kernel.callerPools().free(P.address(), Tag);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExFreePool(PVOID P)}: {@link #ExFreePoolWithTag} without the tag check. */
    public static void ExFreePool(MemorySegment P) {
        try {
            Kernel.callerPools().free(P.address(), 0);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Pool =====

    // ===== SLIST: InitializeSListHead, ExInterlockedPushEntrySList, ... =====
    // x64 SLIST_HEADER through the shim's cmpxchg16b (dev.offkern.runtime.ex.ExSList). Headers and
    // entries must be 16-byte aligned (DatatypeMisalignmentException, an IllegalArgumentException
    // carrying STATUS_DATATYPE_MISALIGNMENT, otherwise). Every address an operation dereferences (the
    // header, the entry pushed, each entry a pop or push list follows) is checked by the shim against
    // the calling kernel's address space immediately before the access: one outside it is bug check
    // PAGE_FAULT_IN_NONPAGED_AREA (0x50) with that address, through the kernel's bug-check path. Routines returning
    // PSLIST_ENTRY return a segment of sizeof(SLIST_ENTRY) = 16 bytes (MemorySegment.NULL for NULL):
    // that wrapper is an allocation unless escape analysis removes it; ExSList's long-address forms
    // allocate nothing.

    /** {@code VOID InitializeSListHead(PSLIST_HEADER SListHead)}: empty list, Depth 0, Sequence 0. IRQL: any. */
    public static void InitializeSListHead(MemorySegment SListHead) {
        try {
            Kernel.current().addressSpace().regionOf(sListAddress(SListHead), ExSList.HEADER_SIZE);
            ExSList.initialize(SListHead);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ExInitializeSListHead}: the wdm.h macro for {@link #InitializeSListHead}. */
    public static void ExInitializeSListHead(MemorySegment SListHead) {
        try {
            InitializeSListHead(SListHead);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PSLIST_ENTRY ExInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry,
     * PKSPIN_LOCK Lock)}: pushes ListEntry, returns the previous first entry (NULL if empty).
     * {@code Lock} is ignored, as the x64 macro discards it (pass {@code MemorySegment.NULL} or any
     * segment). IRQL: any. Progress: lock-free.
     */
    public static MemorySegment ExInterlockedPushEntrySList(MemorySegment ListHead, MemorySegment ListEntry, MemorySegment Lock) {
        try {
            return InterlockedPushEntrySList(ListHead, ListEntry);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PSLIST_ENTRY ExInterlockedPopEntrySList(PSLIST_HEADER ListHead, PKSPIN_LOCK Lock)}:
     * removes and returns the first entry, NULL if empty. {@code Lock} is ignored (x64).
     */
    public static MemorySegment ExInterlockedPopEntrySList(MemorySegment ListHead, MemorySegment Lock) {
        try {
            return InterlockedPopEntrySList(ListHead);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PSLIST_ENTRY ExInterlockedFlushSList(PSLIST_HEADER ListHead)}: empties the list and
     * returns the former first entry (the chain stays linked through Next), NULL if empty.
     */
    public static MemorySegment ExInterlockedFlushSList(MemorySegment ListHead) {
        try {
            return InterlockedFlushSList(ListHead);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code USHORT ExQueryDepthSList(PSLIST_HEADER SListHead)}: the entry count (stale at once). IRQL: ≤ DISPATCH_LEVEL. */
    public static int ExQueryDepthSList(MemorySegment SListHead) {
        try {
            if (Verifier.ENABLED) {
                IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, SListHead.address(), IrqlChecks.READ, "ExQueryDepthSList");
            }
            return ExSList.depth(Kernel.current().addressSpace(), sListAddress(SListHead));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PSLIST_ENTRY RtlFirstEntrySList(const SLIST_HEADER *ListHead)}: the first entry or
     * NULL; a peek, not atomic with respect to concurrent push/pop.
     */
    public static MemorySegment RtlFirstEntrySList(MemorySegment ListHead) {
        try {
            AddressSpace space = Kernel.current().addressSpace();
            return sListEntry(space, ExSList.firstEntry(space, sListAddress(ListHead)));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code FirstEntrySList}: the wdm.h name of {@link #RtlFirstEntrySList}. */
    public static MemorySegment FirstEntrySList(MemorySegment SListHead) {
        try {
            return RtlFirstEntrySList(SListHead);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)}. */
    public static MemorySegment InterlockedPushEntrySList(MemorySegment ListHead, MemorySegment ListEntry) {
        try {
            AddressSpace space = Kernel.current().addressSpace();
            return sListEntry(space, ExSList.push(space, sListAddress(ListHead), sListAddress(ListEntry)));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PSLIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER ListHead)}. */
    public static MemorySegment InterlockedPopEntrySList(MemorySegment ListHead) {
        try {
            AddressSpace space = Kernel.current().addressSpace();
            return sListEntry(space, ExSList.pop(space, sListAddress(ListHead)));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PSLIST_ENTRY InterlockedFlushSList(PSLIST_HEADER ListHead)}. */
    public static MemorySegment InterlockedFlushSList(MemorySegment ListHead) {
        try {
            AddressSpace space = Kernel.current().addressSpace();
            return sListEntry(space, ExSList.flush(space, sListAddress(ListHead)));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PSLIST_ENTRY InterlockedPushListSListEx(PSLIST_HEADER ListHead, PSLIST_ENTRY List,
     * PSLIST_ENTRY ListEnd, ULONG Count)}: pushes the chain List .. ListEnd (linked by the caller
     * through Next; Count entries) in one atomic step; returns the previous first entry.
     */
    public static MemorySegment InterlockedPushListSListEx(MemorySegment ListHead, MemorySegment List, MemorySegment ListEnd, int Count) {
        try {
            AddressSpace space = Kernel.current().addressSpace();
            return sListEntry(space, ExSList.pushList(space, sListAddress(ListHead), sListAddress(List), sListAddress(ListEnd), Count));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code CONTAINING_RECORD(Address, Type, Field)}: the structure of type {@code Type} containing
     * the member {@code Field} at {@code Address}, as a segment of exactly sizeof(Type) bytes resolved
     * through the kernel's address space (bug check 0x50 if it is not inside one region).
     */
    public static MemorySegment CONTAINING_RECORD(MemorySegment Address, StructSpec Type, String Field) {
        try {
            return ContainingRecord.of(Kernel.current().addressSpace(), Address, Type, Field);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
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
        try {
            return ExLookaside.initializeEx(Kernel.current().lookasideLists(), ExLookaside.argumentAddress(Lookaside), Allocate, Free, PoolType, Flags, Size, Tag, Depth);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PVOID ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)}: a cached or new block, or NULL. */
    public static MemorySegment ExAllocateFromLookasideListEx(MemorySegment Lookaside) {
        try {
            return ExLookaside.allocateSegment(Kernel.current().lookasideLists(), Lookaside);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry)}. */
    public static void ExFreeToLookasideListEx(MemorySegment Lookaside, MemorySegment Entry) {
        try {
            ExLookaside.freeSegment(Kernel.current().lookasideLists(), Lookaside, Entry);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)}: frees every cached block. */
    public static void ExFlushLookasideListEx(MemorySegment Lookaside) {
        try {
            ExLookaside.flush(Kernel.current().lookasideLists(), ExLookaside.argumentAddress(Lookaside));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)}: frees every cached block and forgets the list. */
    public static void ExDeleteLookasideListEx(MemorySegment Lookaside) {
        try {
            ExLookaside.delete(Kernel.current().lookasideLists(), ExLookaside.argumentAddress(Lookaside));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION
     * Allocate, PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)}: Flags 0,
     * POOL_RAISE_IF_ALLOCATION_FAILURE or POOL_NX_ALLOCATION. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void ExInitializeNPagedLookasideList(MemorySegment Lookaside, ALLOCATE_FUNCTION Allocate, FREE_FUNCTION Free,
            int Flags, long Size, int Tag, int Depth) {
        try {
            ExLookaside.initializeLegacy(Kernel.current().lookasideLists(), ExLookaside.argumentAddress(Lookaside), false, Allocate, Free, Flags, Size, Tag, Depth);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)}. */
    public static MemorySegment ExAllocateFromNPagedLookasideList(MemorySegment Lookaside) {
        try {
            return ExLookaside.allocateSegment(Kernel.current().lookasideLists(), Lookaside);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)}. */
    public static void ExFreeToNPagedLookasideList(MemorySegment Lookaside, MemorySegment Entry) {
        try {
            ExLookaside.freeSegment(Kernel.current().lookasideLists(), Lookaside, Entry);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)}. */
    public static void ExDeleteNPagedLookasideList(MemorySegment Lookaside) {
        try {
            ExLookaside.delete(Kernel.current().lookasideLists(), ExLookaside.argumentAddress(Lookaside));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION
     * Allocate, PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)}: entries from
     * paged pool; the structure itself must still be nonpaged. IRQL: ≤ APC_LEVEL.
     */
    public static void ExInitializePagedLookasideList(MemorySegment Lookaside, ALLOCATE_FUNCTION Allocate, FREE_FUNCTION Free,
            int Flags, long Size, int Tag, int Depth) {
        try {
            ExLookaside.initializeLegacy(Kernel.current().lookasideLists(), ExLookaside.argumentAddress(Lookaside), true, Allocate, Free, Flags, Size, Tag, Depth);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)}. */
    public static MemorySegment ExAllocateFromPagedLookasideList(MemorySegment Lookaside) {
        try {
            return ExLookaside.allocateSegment(Kernel.current().lookasideLists(), Lookaside);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)}. */
    public static void ExFreeToPagedLookasideList(MemorySegment Lookaside, MemorySegment Entry) {
        try {
            ExLookaside.freeSegment(Kernel.current().lookasideLists(), Lookaside, Entry);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)}. */
    public static void ExDeletePagedLookasideList(MemorySegment Lookaside) {
        try {
            ExLookaside.delete(Kernel.current().lookasideLists(), ExLookaside.argumentAddress(Lookaside));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Lookaside lists =====

    // ===== Rundown protection: EX_RUNDOWN_REF and the cache-aware family =====

    /** {@code VOID ExInitializeRundownProtection(PEX_RUNDOWN_REF RunRef)}. IRQL &le; APC_LEVEL. */
    public static void ExInitializeRundownProtection(MemorySegment RunRef) {
        try {
            ExRundown.initialize(RunRef);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExReInitializeRundownProtection(PEX_RUNDOWN_REF RunRef)}: after a completed run-down. IRQL &le; APC_LEVEL. */
    public static void ExReInitializeRundownProtection(MemorySegment RunRef) {
        try {
            ExRundown.reInitialize(RunRef);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN ExAcquireRundownProtection(PEX_RUNDOWN_REF RunRef)}: FALSE once run-down began. IRQL &le; DISPATCH_LEVEL. */
    public static boolean ExAcquireRundownProtection(MemorySegment RunRef) {
        try {
            return ExRundown.acquire(RunRef);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN ExAcquireRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count)}. IRQL &le; DISPATCH_LEVEL. */
    public static boolean ExAcquireRundownProtectionEx(MemorySegment RunRef, int Count) {
        try {
            return ExRundown.acquireEx(RunRef, Count);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExReleaseRundownProtection(PEX_RUNDOWN_REF RunRef)}. IRQL &le; DISPATCH_LEVEL. */
    public static void ExReleaseRundownProtection(MemorySegment RunRef) {
        try {
            ExRundown.release(RunRef);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExReleaseRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count)}. IRQL &le; DISPATCH_LEVEL. */
    public static void ExReleaseRundownProtectionEx(MemorySegment RunRef, int Count) {
        try {
            ExRundown.releaseEx(RunRef, Count);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExWaitForRundownProtectionRelease(PEX_RUNDOWN_REF RunRef)}: blocks until every holder released. IRQL &le; APC_LEVEL. */
    public static void ExWaitForRundownProtectionRelease(MemorySegment RunRef) {
        try {
            ExRundown.waitForRelease(RunRef);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExRundownCompleted(PEX_RUNDOWN_REF RunRef)}: marks the reference run down for good. IRQL &le; APC_LEVEL. */
    public static void ExRundownCompleted(MemorySegment RunRef) {
        try {
            ExRundown.completed(RunRef);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PEX_RUNDOWN_REF_CACHE_AWARE ExAllocateCacheAwareRundownProtection(POOL_TYPE PoolType, ULONG PoolTag)}:
     * allocated from the pool and initialized; NULL when the pool is exhausted. IRQL &le; APC_LEVEL.
     */
    public static MemorySegment ExAllocateCacheAwareRundownProtection(int PoolType, int PoolTag) {
        try {
            return ExRundownCacheAware.allocate(PoolType, PoolTag, Ex::ExAllocatePoolWithTag);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExFreeCacheAwareRundownProtection(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)}: only for allocated ones. */
    public static void ExFreeCacheAwareRundownProtection(MemorySegment RunRefCacheAware) {
        try {
            ExRundownCacheAware.free(RunRefCacheAware, Ex::ExFreePool);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code SIZE_T ExSizeOfRundownProtectionCacheAware(VOID)}: bytes for a caller-owned EX_RUNDOWN_REF_CACHE_AWARE. */
    public static long ExSizeOfRundownProtectionCacheAware() {
        try {
            return ExRundownCacheAware.sizeOf();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExInitializeRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, SIZE_T RunRefSize)}. */
    public static void ExInitializeRundownProtectionCacheAware(MemorySegment RunRefCacheAware, long RunRefSize) {
        try {
            ExRundownCacheAware.initialize(RunRefCacheAware, RunRefSize);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN ExAcquireRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)}. */
    public static boolean ExAcquireRundownProtectionCacheAware(MemorySegment RunRefCacheAware) {
        try {
            return ExRundownCacheAware.acquire(RunRefCacheAware);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN ExAcquireRundownProtectionCacheAwareEx(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, ULONG Count)}. */
    public static boolean ExAcquireRundownProtectionCacheAwareEx(MemorySegment RunRefCacheAware, int Count) {
        try {
            return ExRundownCacheAware.acquireEx(RunRefCacheAware, Count);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExReleaseRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)}. */
    public static void ExReleaseRundownProtectionCacheAware(MemorySegment RunRefCacheAware) {
        try {
            ExRundownCacheAware.release(RunRefCacheAware);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExReleaseRundownProtectionCacheAwareEx(PEX_RUNDOWN_REF_CACHE_AWARE RunRef, ULONG Count)}. */
    public static void ExReleaseRundownProtectionCacheAwareEx(MemorySegment RunRef, int Count) {
        try {
            ExRundownCacheAware.releaseEx(RunRef, Count);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExWaitForRundownProtectionReleaseCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRef)}. IRQL &le; APC_LEVEL. */
    public static void ExWaitForRundownProtectionReleaseCacheAware(MemorySegment RunRef) {
        try {
            ExRundownCacheAware.waitForRelease(RunRef);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExRundownCompletedCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)}. */
    public static void ExRundownCompletedCacheAware(MemorySegment RunRefCacheAware) {
        try {
            ExRundownCacheAware.completed(RunRefCacheAware);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExReInitializeRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)}. */
    public static void ExReInitializeRundownProtectionCacheAware(MemorySegment RunRefCacheAware) {
        try {
            ExRundownCacheAware.reInitialize(RunRefCacheAware);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Rundown protection =====

    // ===== Fast mutexes: ExInitializeFastMutex, ExAcquireFastMutex, ... =====

    /** {@code VOID ExInitializeFastMutex(PFAST_MUTEX FastMutex)}. IRQL: ≤ DISPATCH_LEVEL. See {@link ExFastMutex}. */
    public static void ExInitializeFastMutex(MemorySegment FastMutex) {
        try {
            ExFastMutex.initialize(FastMutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExAcquireFastMutex(PFAST_MUTEX FastMutex)}: raises to APC_LEVEL, saves OldIrql. IRQL: ≤ APC_LEVEL. */
    public static void ExAcquireFastMutex(MemorySegment FastMutex) {
        try {
            ExFastMutex.acquire(FastMutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)}. IRQL: ≤ APC_LEVEL. */
    public static boolean ExTryToAcquireFastMutex(MemorySegment FastMutex) {
        try {
            return ExFastMutex.tryAcquire(FastMutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExReleaseFastMutex(PFAST_MUTEX FastMutex)}: lowers to OldIrql. IRQL: APC_LEVEL. */
    public static void ExReleaseFastMutex(MemorySegment FastMutex) {
        try {
            ExFastMutex.release(FastMutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)}: APC_LEVEL or a critical region; no IRQL change. */
    public static void ExAcquireFastMutexUnsafe(MemorySegment FastMutex) {
        try {
            ExFastMutex.acquireUnsafe(FastMutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex)}. */
    public static void ExReleaseFastMutexUnsafe(MemorySegment FastMutex) {
        try {
            ExFastMutex.releaseUnsafe(FastMutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Fast mutexes =====

    // ===== Executive timers: ExAllocateTimer, ExSetTimer, ExCancelTimer, ExDeleteTimer =====

    /** ExAllocateTimer attribute: high-resolution timer. */
    public static final int EX_TIMER_HIGH_RESOLUTION = EX_TIMER.EX_TIMER_HIGH_RESOLUTION;
    /** ExAllocateTimer attribute: no-wake timer. */
    public static final int EX_TIMER_NO_WAKE = EX_TIMER.EX_TIMER_NO_WAKE;
    /** ExAllocateTimer attribute: notification timer (default: synchronization). */
    public static final int EX_TIMER_NOTIFICATION = EX_TIMER.EX_TIMER_NOTIFICATION;
    /** EXT_SET_PARAMETERS.NoWakeTolerance: never wake the processor. */
    public static final long EX_TIMER_UNLIMITED_TOLERANCE = EX_TIMER.EX_TIMER_UNLIMITED_TOLERANCE;

    /**
     * {@code PEX_TIMER ExAllocateTimer(PEXT_CALLBACK Callback, PVOID CallbackContext, ULONG Attributes)}
     * with a Java callback (null for none): a new, not-set timer, or NULL. IRQL: ≤ DISPATCH_LEVEL.
     * See {@link ExTimer}.
     */
    public static MemorySegment ExAllocateTimer(EXT_CALLBACK Callback, MemorySegment CallbackContext, int Attributes) {
        try {
            return ExTimer.allocate(Kernel.current().exTimers(), Callback, CallbackContext, Attributes);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ExAllocateTimer} with a native callback pointer (of a registered library), or NULL for none. */
    public static MemorySegment ExAllocateTimer(MemorySegment Callback, MemorySegment CallbackContext, int Attributes) {
        try {
            return ExTimer.allocate(Kernel.current().exTimers(), Callback, CallbackContext, Attributes);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN ExSetTimer(PEX_TIMER Timer, LONGLONG DueTime, LONGLONG Period, PEXT_SET_PARAMETERS
     * Parameters)}: TRUE if a pending expiry was replaced. DueTime and Period in 100 ns units.
     * IRQL: ≤ DISPATCH_LEVEL.
     */
    public static boolean ExSetTimer(MemorySegment Timer, long DueTime, long Period, MemorySegment Parameters) {
        try {
            return ExTimer.set(Timer, DueTime, Period, Parameters);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN ExCancelTimer(PEX_TIMER Timer, PEXT_CANCEL_PARAMETERS Parameters)}: Parameters must be NULL. IRQL: ≤ DISPATCH_LEVEL. */
    public static boolean ExCancelTimer(MemorySegment Timer, MemorySegment Parameters) {
        try {
            return ExTimer.cancel(Timer, Parameters);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN ExDeleteTimer(PEX_TIMER Timer, BOOLEAN Cancel, BOOLEAN Wait, PEXT_DELETE_PARAMETERS
     * Parameters)}: TRUE only if Cancel removed a pending expiry. IRQL: ≤ APC_LEVEL with Wait, else
     * ≤ DISPATCH_LEVEL.
     */
    public static boolean ExDeleteTimer(MemorySegment Timer, boolean Cancel, boolean Wait, MemorySegment Parameters) {
        try {
            return ExTimer.delete(Kernel.current().exTimers(), Timer, Cancel, Wait, Parameters);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExInitializeSetTimerParameters(PEXT_SET_PARAMETERS Parameters)}: zeroes it. IRQL: any. */
    public static void ExInitializeSetTimerParameters(MemorySegment Parameters) {
        try {
            ExTimer.initializeSetParameters(Parameters);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID ExInitializeDeleteTimerParameters(PEXT_DELETE_PARAMETERS Parameters)}: zeroes it. IRQL: any. */
    public static void ExInitializeDeleteTimerParameters(MemorySegment Parameters) {
        try {
            ExTimer.initializeDeleteParameters(Parameters);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code ExInitializeDeleteTimerParameters}, then {@code Parameters->DeleteCallback = DeleteCallback;
     * Parameters->DeleteContext = DeleteContext;} with a Java delete callback (stored as its stub).
     */
    public static void ExInitializeDeleteTimerParameters(MemorySegment Parameters, EXT_DELETE_CALLBACK DeleteCallback,
                                                         MemorySegment DeleteContext) {
        try {
            ExTimer.initializeDeleteParameters(Parameters, DeleteCallback, DeleteContext);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Executive timers =====

    // ===== Object types =====

    /** {@code *ExEventObjectType}: the Event object type (ZwCreateEvent's objects). IRQL: any. */
    public static MemorySegment ExEventObjectType() {
        try {
            return Kernel.current().objects().eventType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code *ExSemaphoreObjectType}: the Semaphore object type. IRQL: any. */
    public static MemorySegment ExSemaphoreObjectType() {
        try {
            return Kernel.current().objects().semaphoreType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Object types =====
    // ===== System worker threads (WORK_QUEUE_ITEM) =====

    /** WORK_QUEUE_TYPE CriticalWorkQueue. */
    public static final int CriticalWorkQueue = WorkQueueType.CriticalWorkQueue;
    /** WORK_QUEUE_TYPE DelayedWorkQueue. */
    public static final int DelayedWorkQueue = WorkQueueType.DelayedWorkQueue;
    /** WORK_QUEUE_TYPE HyperCriticalWorkQueue. */
    public static final int HyperCriticalWorkQueue = WorkQueueType.HyperCriticalWorkQueue;

    /**
     * {@code VOID ExInitializeWorkItem(PWORK_QUEUE_ITEM Item, PWORKER_THREAD_ROUTINE Routine, PVOID
     * Parameter)}: sets WorkerRoutine (a real function pointer: the routine's upcall stub), Parameter,
     * and List.Flink = NULL (not queued). IRQL: any. See {@link ExWorkItem}.
     */
    public static void ExInitializeWorkItem(MemorySegment Item, WORKER_THREAD_ROUTINE Routine, MemorySegment Parameter) {
        try {
            ExWorkItem.initialize(Item, Routine, Parameter);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ExInitializeWorkItem} with a native routine pointer (a function of a library registered with the kernel). */
    public static void ExInitializeWorkItem(MemorySegment Item, MemorySegment Routine, MemorySegment Parameter) {
        try {
            ExWorkItem.initialize(Item, Routine, Parameter);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType)}: one of the
     * queue's system worker threads calls the item's routine at PASSIVE_LEVEL. The item may be queued
     * again once its routine has started, and the routine may free it. Queueing it while queued, an
     * unknown QueueType or a WorkerRoutine that is no routine is WORKER_INVALID (0xE4); a routine
     * returning at raised IRQL or with APCs disabled is WORKER_THREAD_RETURNED_AT_BAD_IRQL (0xE1).
     * IRQL: ≤ DISPATCH_LEVEL. See {@link ExWorkItem}, {@link dev.offkern.runtime.ex.ExWorkerThreads}.
     */
    public static void ExQueueWorkItem(MemorySegment WorkItem, int QueueType) {
        try {
            ExWorkItem.queue(Kernel.current().workQueues(), WorkItem, QueueType);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end System worker threads =====
}
