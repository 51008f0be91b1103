package dev.offkern.runtime.ke;

import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;

/**
 * IRQL levels (x64 values) and the calling thread's IRQL: read, raise, lower.
 *
 * <p>x64 has 16 levels (CR8 holds 4 bits): PASSIVE 0, APC 1, DISPATCH 2, CMCI 5, device levels
 * 3..11, SYNCH 12, CLOCK 13, IPI/DRS/POWER 14, PROFILE/HIGH 15. (HIGH_LEVEL is 31 on x86;
 * offkern models x64. Values: wdm.h, and docs/layout-sources.md.)
 *
 * <p>The IRQL belongs to the calling thread's {@link ThreadState}; see there for why it is per
 * thread. Raising and lowering are plain field writes on the thread's own state: wait-free, no
 * allocation, no fences.
 *
 * <h2>Verifier (family {@link VerifierCheck#IRQL})</h2>
 * <ul>
 *   <li>{@link #raise}: NewIrql above HIGH_LEVEL (or negative) → DRIVER_VERIFIER_DETECTED_VIOLATION
 *       (0xC4) subcode 0x30 (P2 current IRQL, P3 requested IRQL, P4 0); NewIrql below the current
 *       IRQL → IRQL_NOT_GREATER_OR_EQUAL (0x09) with P1 current IRQL, P2 requested IRQL, P3 0, P4 9
 *       (the HAL's checked-build check, as ReactOS's HAL raises it; Driver Verifier would report
 *       0xC4/0x30 — see the report on the choice).</li>
 *   <li>{@link #lower}: NewIrql above HIGH_LEVEL (or negative) → 0xC4 subcode 0x31 (P2 current,
 *       P3 requested, P4 0); NewIrql above the current IRQL → IRQL_NOT_LESS_OR_EQUAL (0x0A) with P1
 *       current IRQL, P2 requested IRQL, P3 0, P4 9 (HAL checked build; ReactOS raises 0x0A here);
 *       lowering below DISPATCH_LEVEL inside a DPC routine (any thread running a DPC routine, or a
 *       processor's service thread while it runs a request) → 0xC4 subcode 0x31 with P4 1.</li>
 * </ul>
 * <ul>
 *   <li>{@link #lower} below DISPATCH_LEVEL while the thread holds a spin lock (family
 *       {@link VerifierCheck#LOCKS}): SPIN_LOCK_ALREADY_OWNED (0x0F) with P1 the first lock held —
 *       the lock could be taken again "on the same processor".</li>
 * </ul>
 * Raising to the current level and lowering to the current level are legal no-ops. With the
 * verifier off nothing is checked, as on a free build: the value is stored as given.
 */
public final class Irql {
    public static final int PASSIVE_LEVEL = 0;
    public static final int LOW_LEVEL = 0;
    public static final int APC_LEVEL = 1;
    public static final int DISPATCH_LEVEL = 2;
    public static final int CMCI_LEVEL = 5;
    public static final int SYNCH_LEVEL = 12;
    public static final int CLOCK_LEVEL = 13;
    public static final int IPI_LEVEL = 14;
    public static final int DRS_LEVEL = 14;
    public static final int POWER_LEVEL = 14;
    public static final int PROFILE_LEVEL = 15;
    public static final int HIGH_LEVEL = 15;

    /** DRIVER_VERIFIER_DETECTED_VIOLATION subcode: KeRaiseIrql to a lower or invalid IRQL. */
    public static final int DV_RAISE_IRQL_INVALID = 0x30;
    /** DRIVER_VERIFIER_DETECTED_VIOLATION subcode: KeLowerIrql to a higher or invalid IRQL. */
    public static final int DV_LOWER_IRQL_INVALID = 0x31;

    private Irql() {
    }

    /** The calling thread's IRQL ({@code KeGetCurrentIrql}). IRQL: any. Wait-free. */
    public static int current() {
        return ThreadState.current().irql;
    }

    /**
     * Raises the calling thread's IRQL to {@code newIrql} and returns the previous IRQL
     * ({@code KeRaiseIrql}/{@code KfRaiseIrql}). IRQL: any, newIrql ≥ current. Wait-free.
     */
    public static int raise(int newIrql) {
        ThreadState t = ThreadState.current();
        int old = t.irql;
        if (t.verifies(VerifierCheck.IRQL) && (newIrql < old || newIrql > HIGH_LEVEL || newIrql < 0)) {
            raiseViolation(t, old, newIrql);
        }
        t.irql = newIrql;
        return old;
    }

    /**
     * Lowers the calling thread's IRQL to {@code newIrql} ({@code KeLowerIrql}). IRQL: any,
     * newIrql ≤ current. Wait-free.
     */
    public static void lower(int newIrql) {
        lower(ThreadState.current(), newIrql);
    }

    /**
     * {@link #lower(int)} for the calling thread's state {@code t}, which the routine already holds (the
     * lock releases: no second thread-state lookup).
     */
    public static void lower(ThreadState t, int newIrql) {
        if (t.verifies(VerifierCheck.IRQL)) {
            checkLower(t, newIrql);
        }
        if (Verifier.ENABLED && newIrql < DISPATCH_LEVEL && t.ownedLockCount() > 0 && t.verifies(VerifierCheck.LOCKS)) {
            throw t.kernel().bugCheck(BugCheckCode.SPIN_LOCK_ALREADY_OWNED, t.ownedLock(0), 0, 0, 0,
                    "IRQL lowered to " + name(newIrql) + " while holding " + t.ownedLockCount() + " spin lock(s)");
        }
        lowerUnchecked(t, newIrql);
    }

    /**
     * Lowers {@code t}'s IRQL to {@code newIrql} without the verifier's checks (the spin-lock release
     * paths with the verifier off). Crossing below DISPATCH_LEVEL first runs the DPCs this thread
     * queued for its processor while at DISPATCH_LEVEL or above ({@link KeDpc}), as the DISPATCH_LEVEL
     * software interrupt does on Windows; the cost when none is pending is one field read.
     */
    public static void lowerUnchecked(ThreadState t, int newIrql) {
        if (newIrql < DISPATCH_LEVEL && t.dpcPending) {
            KeDpc.deliverPending(t);
        }
        t.irql = newIrql;
    }

    private static void raiseViolation(ThreadState t, int old, int newIrql) {
        if (newIrql > HIGH_LEVEL || newIrql < 0) {
            throw t.kernel().bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DV_RAISE_IRQL_INVALID,
                    old, newIrql & 0xFFFFFFFFL, 0, "KeRaiseIrql to invalid IRQL " + newIrql + " (HIGH_LEVEL is 15)");
        }
        throw t.kernel().bugCheck(BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, old, newIrql, 0, 9,
                "KeRaiseIrql(" + newIrql + ") below the current IRQL " + old);
    }

    private static void checkLower(ThreadState t, int newIrql) {
        int old = t.irql;
        if (newIrql > HIGH_LEVEL || newIrql < 0) {
            throw t.kernel().bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DV_LOWER_IRQL_INVALID,
                    old, newIrql & 0xFFFFFFFFL, 0, "KeLowerIrql to invalid IRQL " + newIrql + " (HIGH_LEVEL is 15)");
        }
        if (newIrql > old) {
            throw t.kernel().bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, old, newIrql, 0, 9,
                    "KeLowerIrql(" + newIrql + ") above the current IRQL " + old);
        }
        if (newIrql < DISPATCH_LEVEL && (t.inDpcRoutine() || (t.isServiceThread()
                && t.kernel().processors().get(t.processorNumber()).dpcRoutineActive()))) {
            throw t.kernel().bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DV_LOWER_IRQL_INVALID,
                    old, newIrql, 1, "KeLowerIrql(" + newIrql + ") below DISPATCH_LEVEL inside a DPC routine");
        }
    }

    /** Whether {@code irql} is a valid x64 IRQL (0..15). */
    public static boolean isValid(int irql) {
        return irql >= 0 && irql <= HIGH_LEVEL;
    }

    /** The level's name (PASSIVE_LEVEL, ..., HIGH_LEVEL) or {@code IRQL n}. */
    public static String name(int irql) {
        return switch (irql) {
            case PASSIVE_LEVEL -> "PASSIVE_LEVEL";
            case APC_LEVEL -> "APC_LEVEL";
            case DISPATCH_LEVEL -> "DISPATCH_LEVEL";
            case CMCI_LEVEL -> "CMCI_LEVEL";
            case SYNCH_LEVEL -> "SYNCH_LEVEL";
            case CLOCK_LEVEL -> "CLOCK_LEVEL";
            case IPI_LEVEL -> "IPI_LEVEL";
            case HIGH_LEVEL -> "HIGH_LEVEL";
            default -> "IRQL " + irql;
        };
    }
}
