package dev.offkern.ddi;

import dev.offkern.runtime.ex.ExRundown;
import dev.offkern.runtime.ex.ExRundownCacheAware;
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

    // ===== end SLIST =====

    // ===== Lookaside lists: LOOKASIDE_LIST_EX, NPAGED_LOOKASIDE_LIST, PAGED_LOOKASIDE_LIST =====

    // ===== end Lookaside lists =====

    // ===== Rundown protection: EX_RUNDOWN_REF and the cache-aware family =====

    /** {@code VOID ExInitializeRundownProtection(PEX_RUNDOWN_REF RunRef)}. IRQL &le; APC_LEVEL. */
    public static void ExInitializeRundownProtection(MemorySegment RunRef) {
        ExRundown.initialize(RunRef);
    }

    /** {@code VOID ExReInitializeRundownProtection(PEX_RUNDOWN_REF RunRef)}: after a completed run-down. IRQL &le; APC_LEVEL. */
    public static void ExReInitializeRundownProtection(MemorySegment RunRef) {
        ExRundown.reInitialize(RunRef);
    }

    /** {@code BOOLEAN ExAcquireRundownProtection(PEX_RUNDOWN_REF RunRef)}: FALSE once run-down began. IRQL &le; DISPATCH_LEVEL. */
    public static boolean ExAcquireRundownProtection(MemorySegment RunRef) {
        return ExRundown.acquire(RunRef);
    }

    /** {@code BOOLEAN ExAcquireRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count)}. IRQL &le; DISPATCH_LEVEL. */
    public static boolean ExAcquireRundownProtectionEx(MemorySegment RunRef, int Count) {
        return ExRundown.acquireEx(RunRef, Count);
    }

    /** {@code VOID ExReleaseRundownProtection(PEX_RUNDOWN_REF RunRef)}. IRQL &le; DISPATCH_LEVEL. */
    public static void ExReleaseRundownProtection(MemorySegment RunRef) {
        ExRundown.release(RunRef);
    }

    /** {@code VOID ExReleaseRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count)}. IRQL &le; DISPATCH_LEVEL. */
    public static void ExReleaseRundownProtectionEx(MemorySegment RunRef, int Count) {
        ExRundown.releaseEx(RunRef, Count);
    }

    /** {@code VOID ExWaitForRundownProtectionRelease(PEX_RUNDOWN_REF RunRef)}: blocks until every holder released. IRQL &le; APC_LEVEL. */
    public static void ExWaitForRundownProtectionRelease(MemorySegment RunRef) {
        ExRundown.waitForRelease(RunRef);
    }

    /** {@code VOID ExRundownCompleted(PEX_RUNDOWN_REF RunRef)}: marks the reference run down for good. IRQL &le; APC_LEVEL. */
    public static void ExRundownCompleted(MemorySegment RunRef) {
        ExRundown.completed(RunRef);
    }

    /** {@code SIZE_T ExSizeOfRundownProtectionCacheAware(VOID)}: bytes for a caller-owned EX_RUNDOWN_REF_CACHE_AWARE. */
    public static long ExSizeOfRundownProtectionCacheAware() {
        return ExRundownCacheAware.sizeOf();
    }

    /** {@code VOID ExInitializeRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, SIZE_T RunRefSize)}. */
    public static void ExInitializeRundownProtectionCacheAware(MemorySegment RunRefCacheAware, long RunRefSize) {
        ExRundownCacheAware.initialize(RunRefCacheAware, RunRefSize);
    }

    /** {@code BOOLEAN ExAcquireRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)}. */
    public static boolean ExAcquireRundownProtectionCacheAware(MemorySegment RunRefCacheAware) {
        return ExRundownCacheAware.acquire(RunRefCacheAware);
    }

    /** {@code BOOLEAN ExAcquireRundownProtectionCacheAwareEx(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, ULONG Count)}. */
    public static boolean ExAcquireRundownProtectionCacheAwareEx(MemorySegment RunRefCacheAware, int Count) {
        return ExRundownCacheAware.acquireEx(RunRefCacheAware, Count);
    }

    /** {@code VOID ExReleaseRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)}. */
    public static void ExReleaseRundownProtectionCacheAware(MemorySegment RunRefCacheAware) {
        ExRundownCacheAware.release(RunRefCacheAware);
    }

    /** {@code VOID ExReleaseRundownProtectionCacheAwareEx(PEX_RUNDOWN_REF_CACHE_AWARE RunRef, ULONG Count)}. */
    public static void ExReleaseRundownProtectionCacheAwareEx(MemorySegment RunRef, int Count) {
        ExRundownCacheAware.releaseEx(RunRef, Count);
    }

    /** {@code VOID ExWaitForRundownProtectionReleaseCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRef)}. IRQL &le; APC_LEVEL. */
    public static void ExWaitForRundownProtectionReleaseCacheAware(MemorySegment RunRef) {
        ExRundownCacheAware.waitForRelease(RunRef);
    }

    /** {@code VOID ExRundownCompletedCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)}. */
    public static void ExRundownCompletedCacheAware(MemorySegment RunRefCacheAware) {
        ExRundownCacheAware.completed(RunRefCacheAware);
    }

    /** {@code VOID ExReInitializeRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)}. */
    public static void ExReInitializeRundownProtectionCacheAware(MemorySegment RunRefCacheAware) {
        ExRundownCacheAware.reInitialize(RunRefCacheAware);
    }

    // ===== end Rundown protection =====
}
