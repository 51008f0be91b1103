package dev.offkern.ddi;

import dev.offkern.runtime.ke.Irql;

/**
 * Kernel-core routines ({@code Ke*}) under their verbatim names with C parameters in C order.
 * Each is a thin delegation into {@code dev.offkern.runtime.ke}.
 */
public final class Ke {

    private Ke() {
    }

    // ===== IRQL and processors =====

    /** {@code KIRQL KeGetCurrentIrql(void)}. IRQL: any. */
    public static int KeGetCurrentIrql() {
        return Irql.current();
    }

    // ===== end IRQL and processors =====
}
