package dev.offkern.ddi;

/**
 * Run-time library routines ({@code Rtl*}) under their verbatim names with C parameters in C order.
 * Each is a thin delegation into {@code dev.offkern.runtime.rtl}.
 */
public final class Rtl {

    private Rtl() {
    }

    // ===== RTL_BITMAP =====

    // ===== end RTL_BITMAP =====

    // ===== RTL_RUN_ONCE =====

    // ===== end RTL_RUN_ONCE =====
}
