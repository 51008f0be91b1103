package dev.offkern.runtime.ke;

import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;

/**
 * Critical and guarded regions: the calling thread's {@code KernelApcDisable} (critical regions:
 * normal kernel APCs and user APCs off) and {@code SpecialApcDisable} (guarded regions: all APCs
 * off) counters, kept in its {@link ThreadState}. Both nest: enter subtracts one, leave adds one,
 * and APCs come back when the outermost region is left (offkern delivers no APCs yet, so leaving
 * has no further effect).
 *
 * <p>IRQL: ≤ APC_LEVEL for all four routines. Progress: wait-free (thread-confined counters).
 *
 * <h2>Verifier</h2>
 * <ul>
 *   <li>Enter above APC_LEVEL: 0xC4/0x11A; leave above APC_LEVEL: 0xC4/0x11B (P2 IRQL; documented
 *       for the critical-region routines, used for the guarded ones too).</li>
 *   <li>KeLeaveCriticalRegion without a matching enter: 0xC4/0x3E (P2 CombinedApcDisable as it
 *       would become, P3 the KTHREAD). The counter is left unchanged.</li>
 *   <li>KeLeaveGuardedRegion without a matching enter: APC_INDEX_MISMATCH (0x01): P1 0 (no
 *       system-call address), P2 0 (ApcStateIndex), P3 CombinedApcDisable as it would become (a
 *       positive SpecialApcDisable half: "enabled too often"), P4 0. Family REGIONS.</li>
 * </ul>
 */
public final class KeRegion {
    /** 0xC4 subcode: KeEnterCriticalRegion above APC_LEVEL. */
    public static final int DV_ENTER_REGION_IRQL = 0x11A;
    /** 0xC4 subcode: KeLeaveCriticalRegion above APC_LEVEL. */
    public static final int DV_LEAVE_REGION_IRQL = 0x11B;
    /** 0xC4 subcode: KeLeaveCriticalRegion without KeEnterCriticalRegion. */
    public static final int DV_LEAVE_CRITICAL_REGION_UNBALANCED = 0x3E;

    private KeRegion() {
    }

    /** {@code KeEnterCriticalRegion()}. */
    public static void enterCriticalRegion() {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.APC_LEVEL, DV_ENTER_REGION_IRQL, 0, 0, "KeEnterCriticalRegion");
        }
        t.addKernelApcDisable(-1);
    }

    /** {@code KeLeaveCriticalRegion()}. */
    public static void leaveCriticalRegion() {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.APC_LEVEL, DV_LEAVE_REGION_IRQL, 0, 0, "KeLeaveCriticalRegion");
            if (t.verifies(VerifierCheck.REGIONS) && t.kernelApcDisable() >= 0) {
                int wouldBe = (t.specialApcDisable() << 16) | ((t.kernelApcDisable() + 1) & 0xFFFF);
                throw IrqlChecks.violation(DV_LEAVE_CRITICAL_REGION_UNBALANCED, wouldBe & 0xFFFFFFFFL, t.address(), 0,
                        "KeLeaveCriticalRegion without a matching KeEnterCriticalRegion");
            }
        }
        t.addKernelApcDisable(1);
    }

    /** {@code KeEnterGuardedRegion()}. */
    public static void enterGuardedRegion() {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.APC_LEVEL, DV_ENTER_REGION_IRQL, 0, 0, "KeEnterGuardedRegion");
        }
        t.addSpecialApcDisable(-1);
    }

    /** {@code KeLeaveGuardedRegion()}. */
    public static void leaveGuardedRegion() {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.APC_LEVEL, DV_LEAVE_REGION_IRQL, 0, 0, "KeLeaveGuardedRegion");
        }
        leaveGuardedRegion(t);
    }

    /** Leaves a guarded region. */
    static void leaveGuardedRegion(ThreadState t) {
        checkLeaveGuardedRegion(t);
        t.addSpecialApcDisable(1);
    }

    /**
     * The verifier's check before a guarded region is left (shared with KeReleaseGuardedMutex, which
     * runs it before it releases the mutex): APC_INDEX_MISMATCH if no region is open.
     */
    static void checkLeaveGuardedRegion(ThreadState t) {
        if (Verifier.ENABLED && t.verifies(VerifierCheck.REGIONS) && t.specialApcDisable() >= 0) {
            int wouldBe = ((t.specialApcDisable() + 1) << 16) | (t.kernelApcDisable() & 0xFFFF);
            throw t.kernel().bugCheck(BugCheckCode.APC_INDEX_MISMATCH, 0, 0, wouldBe & 0xFFFFFFFFL, 0,
                    "KeLeaveGuardedRegion without a matching KeEnterGuardedRegion");
        }
    }
}
