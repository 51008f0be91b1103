package dev.offkern.runtime.verifier;

/**
 * The verifier's named check families. A kernel runs the checks of the families in
 * {@link dev.offkern.runtime.KernelConfig#verifierChecks()} (all by default), and only when the
 * JVM-wide master switch {@link Verifier#ENABLED} is on: with the switch off every check is
 * compiled away whatever the configuration says.
 *
 * <p>Each routine states which family its checks belong to; a family is a unit of Driver
 * Verifier's options (IRQL checking, pool tracking, deadlock/lock checking, ...).
 */
public enum VerifierCheck {
    /** Caller-IRQL rules of every routine; KeRaiseIrql/KeLowerIrql direction and range. */
    IRQL,
    /** Pool allocation and free rules (sizes, tags, double frees, IRQL of paged pool). */
    POOL,
    /** Spin locks, queued spin locks, fast and guarded mutexes: ownership and recursion. */
    LOCKS,
    /** Waits: IRQL of waits, wait-block counts, timeouts at DISPATCH_LEVEL. */
    WAITS,
    /** Critical and guarded regions: balanced enter/leave (KernelApcDisable/SpecialApcDisable). */
    REGIONS,
    /** DPCs and timers: routines, target processors, state left behind by DPC routines. */
    DPC,
    /** I/O: IRPs, cancel-safe queues, work items. */
    IO,
    /** Objects and handles: reference counts, handle validity. */
    OBJECTS,
    /**
     * Block-exact pointer checks, as Driver Verifier's Special Pool option: a range a routine follows
     * must lie inside one live pool block (caller-registered memory: inside its region), so an
     * overrun, a pointer into a freed block or into a POOL_HEADER is a bug check (0xD5, 0xD6) before
     * anything is touched. Used by the RTL_BITMAP routines (the buffer), the SLIST routines (headers
     * and entries) and lookaside frees (the block must hold the list's Size and must not already be
     * in the list: 0xD6, BAD_POOL_CALLER 0x07). The always-on checks (the range lies in registered
     * memory, in the region of the object followed: 0x50) do not depend on it.
     */
    SPECIAL_POOL;

    /** The bit of this check in a {@link #mask} word. */
    public int bit() {
        return 1 << ordinal();
    }

    /** The checks in {@code checks} as a bit mask (bit {@code ordinal()} per check). */
    public static int mask(Iterable<VerifierCheck> checks) {
        int m = 0;
        for (VerifierCheck c : checks) {
            m |= c.bit();
        }
        return m;
    }
}
