package dev.offkern.runtime.ke;

import dev.offkern.runtime.verifier.VerifierCheck;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;

/**
 * The verifier's reusable IRQL and usage checks for routines. Each check reads the calling
 * thread's IRQL, runs only when the check family is on for the thread's kernel (and the JVM master
 * switch {@link dev.offkern.runtime.verifier.Verifier#ENABLED} is on), and raises the documented bug check through the kernel
 * (callbacks, dump, then HALT or THROW).
 *
 * <p>Use as the first statements of a routine, passing the thread state it already holds (a second
 * {@link ThreadState#current()} per check cost the lock pairs ~10 ns with the JVM switch on and the kernel's
 * verifier off; docs/performance.md, "The verifier's JVM-wide switch"):
 * <pre>{@code
 * ThreadState t = ThreadState.current();
 * if (Verifier.ENABLED) {
 *     IrqlChecks.requireAtMost(t, Irql.DISPATCH_LEVEL, lockAddress, IrqlChecks.WRITE, "KeAcquireSpinLock");
 * }
 * }</pre>
 * The two {@code requireAtMost} forms without a state look it up, for routines that have none at hand.
 *
 * <p>Parameters raised (where the documentation gives columns; where offkern has no value — a
 * Java routine has no instruction address — it passes 0 and names the routine in the detail):
 * <ul>
 *   <li>{@link #requireAtMost(int, long, int, String)}: DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1):
 *       P1 memory referenced, P2 current IRQL, P3 0 read / 1 write / 8 execute, P4 0.</li>
 *   <li>{@link #requireAtMostSystem}: IRQL_NOT_LESS_OR_EQUAL (0x0A), same parameters, for
 *       violations attributed to the kernel rather than a driver.</li>
 *   <li>{@link #requireAtMost(int, int, long, long, String)}, {@link #requireExactly},
 *       {@link #requireAtLeast}: DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) with the routine's
 *       subcode: P1 subcode, P2 current IRQL, P3/P4 as the subcode documents (e.g. 0x32
 *       KeReleaseSpinLock not at DISPATCH: P3 the lock; 0x40 KeAcquireSpinLockAtDpcLevel below
 *       DISPATCH: P3 the lock).</li>
 *   <li>{@link #requireWaitAllowed}: 0xC4 0x120 (wait above DISPATCH), 0x121 (wait at DISPATCH
 *       with a NULL timeout), 0x122 (wait at DISPATCH with a non-zero timeout): P2 current IRQL,
 *       P3 the object waited on, P4 the timeout (100 ns units; 0 for NULL).</li>
 * </ul>
 */
public final class IrqlChecks {
    /** P3 of 0xD1/0x0A: read access. */
    public static final int READ = 0;
    /** P3 of 0xD1/0x0A: write access. */
    public static final int WRITE = 1;
    /** P3 of 0xD1/0x0A: execute access. */
    public static final int EXECUTE = 8;

    /** 0xC4 subcode: wait above DISPATCH_LEVEL. */
    public static final int DV_WAIT_ABOVE_DISPATCH = 0x120;
    /** 0xC4 subcode: wait at DISPATCH_LEVEL with a NULL timeout. */
    public static final int DV_WAIT_AT_DISPATCH_NULL_TIMEOUT = 0x121;
    /** 0xC4 subcode: wait at DISPATCH_LEVEL with a non-zero timeout. */
    public static final int DV_WAIT_AT_DISPATCH_NONZERO_TIMEOUT = 0x122;

    private IrqlChecks() {
    }

    /**
     * Requires IRQL ≤ {@code maxIrql} for a routine touching memory at {@code address};
     * else DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1: address, IRQL, access, 0).
     */
    public static void requireAtMost(int maxIrql, long address, int access, String routine) {
        requireAtMost(ThreadState.current(), maxIrql, address, access, routine);
    }

    /**
     * {@link #requireAtMost(int, long, int, String)} with the calling thread's state {@code t}, which the
     * routine already holds (no second lookup).
     */
    public static void requireAtMost(ThreadState t, int maxIrql, long address, int access, String routine) {
        if (t.verifies(VerifierCheck.IRQL) && t.irql() > maxIrql) {
            throw t.kernel().bugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, address, t.irql(), access, 0,
                    routine + " called at " + Irql.name(t.irql()) + "; it requires IRQL <= " + Irql.name(maxIrql));
        }
    }

    /** {@link #requireAtMost(int, long, int, String)} with no memory address (P1 0, read). */
    public static void requireAtMost(int maxIrql, String routine) {
        requireAtMost(maxIrql, 0, READ, routine);
    }

    /** {@link #requireAtMost(int, String)} for the calling thread's state {@code t}. */
    public static void requireAtMost(ThreadState t, int maxIrql, String routine) {
        requireAtMost(t, maxIrql, 0, READ, routine);
    }

    /** As {@link #requireAtMost(ThreadState, int, long, int, String)} but IRQL_NOT_LESS_OR_EQUAL (0x0A). */
    public static void requireAtMostSystem(ThreadState t, int maxIrql, long address, int access, String routine) {
        if (t.verifies(VerifierCheck.IRQL) && t.irql() > maxIrql) {
            throw t.kernel().bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, address, t.irql(), access, 0,
                    routine + " called at " + Irql.name(t.irql()) + "; it requires IRQL <= " + Irql.name(maxIrql));
        }
    }

    /** Requires IRQL ≤ {@code maxIrql}; else 0xC4 ({@code subcode}, current IRQL, p3, p4). */
    public static void requireAtMost(int maxIrql, int subcode, long p3, long p4, String routine) {
        requireAtMost(ThreadState.current(), maxIrql, subcode, p3, p4, routine);
    }

    /** {@link #requireAtMost(int, int, long, long, String)} with the calling thread's state {@code t}. */
    public static void requireAtMost(ThreadState t, int maxIrql, int subcode, long p3, long p4, String routine) {
        if (t.verifies(VerifierCheck.IRQL) && t.irql() > maxIrql) {
            throw violation(t, subcode, t.irql(), p3, p4,
                    routine + " called at " + Irql.name(t.irql()) + "; it requires IRQL <= " + Irql.name(maxIrql));
        }
    }

    /** Requires IRQL == {@code irql}; else 0xC4 ({@code subcode}, current IRQL, p3, p4). */
    public static void requireExactly(ThreadState t, int irql, int subcode, long p3, long p4, String routine) {
        if (t.verifies(VerifierCheck.IRQL) && t.irql() != irql) {
            throw violation(t, subcode, t.irql(), p3, p4,
                    routine + " called at " + Irql.name(t.irql()) + "; it requires " + Irql.name(irql));
        }
    }

    /** Requires IRQL ≥ {@code minIrql}; else 0xC4 ({@code subcode}, current IRQL, p3, p4). */
    public static void requireAtLeast(ThreadState t, int minIrql, int subcode, long p3, long p4, String routine) {
        if (t.verifies(VerifierCheck.IRQL) && t.irql() < minIrql) {
            throw violation(t, subcode, t.irql(), p3, p4,
                    routine + " called at " + Irql.name(t.irql()) + "; it requires IRQL >= " + Irql.name(minIrql));
        }
    }

    /**
     * Requires that the caller may wait on {@code object}: below DISPATCH_LEVEL, or at
     * DISPATCH_LEVEL with a zero timeout (a poll). Family {@link VerifierCheck#WAITS}.
     *
     * @param hasTimeout false for a NULL timeout (wait forever)
     * @param timeout    the timeout in 100 ns units when {@code hasTimeout}
     */
    public static void requireWaitAllowed(ThreadState t, long object, boolean hasTimeout, long timeout, String routine) {
        if (!t.verifies(VerifierCheck.WAITS)) {
            return;
        }
        int irql = t.irql();
        if (irql > Irql.DISPATCH_LEVEL) {
            throw violation(t, DV_WAIT_ABOVE_DISPATCH, irql, object, hasTimeout ? timeout : 0,
                    routine + " waits at " + Irql.name(irql));
        }
        if (irql == Irql.DISPATCH_LEVEL && !hasTimeout) {
            throw violation(t, DV_WAIT_AT_DISPATCH_NULL_TIMEOUT, irql, object, 0,
                    routine + " waits at DISPATCH_LEVEL with a NULL timeout");
        }
        if (irql == Irql.DISPATCH_LEVEL && timeout != 0) {
            throw violation(t, DV_WAIT_AT_DISPATCH_NONZERO_TIMEOUT, irql, object, timeout,
                    routine + " waits at DISPATCH_LEVEL with a non-zero timeout");
        }
    }

    /**
     * Raises DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) with {@code subcode} as P1; returns the
     * exception for {@code throw} (under HALT it throws KernelHaltedException itself).
     */
    public static BugCheck violation(int subcode, long p2, long p3, long p4, String detail) {
        return violation(ThreadState.current(), subcode, p2, p3, p4, detail);
    }

    private static BugCheck violation(ThreadState t, int subcode, long p2, long p3, long p4, String detail) {
        return t.kernel().bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, subcode & 0xFFFFFFFFL, p2, p3, p4, detail);
    }
}
