package dev.offkern.ddi;

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

    // ===== end Rundown protection =====
}
