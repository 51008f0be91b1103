package dev.offkern.runtime.ex;

import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.KeGuardedMutex;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Fast mutexes ({@code FAST_MUTEX}, 0x38 bytes on x64): {@code ExInitializeFastMutex},
 * {@code ExAcquireFastMutex}, {@code ExTryToAcquireFastMutex}, {@code ExReleaseFastMutex} and the
 * {@code Unsafe} pair. The lock itself is the core shared with guarded mutexes
 * ({@link KeGuardedMutex}: layout, Count encoding, waiting on the embedded event); this class adds
 * what is particular to fast mutexes: the IRQL.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>ExAcquireFastMutex / ExTryToAcquireFastMutex: IRQL ≤ APC_LEVEL; raise to APC_LEVEL, then
 *       acquire (blocking) / try once; the previous IRQL is stored in {@code OldIrql} (@0x30). A
 *       failed try restores the IRQL and returns FALSE.</li>
 *   <li>ExReleaseFastMutex: IRQL = APC_LEVEL; release (wakes one waiter), then lower to OldIrql.</li>
 *   <li>ExAcquire/ReleaseFastMutexUnsafe: caller at APC_LEVEL, or below with APCs disabled
 *       (critical or guarded region); no IRQL change, OldIrql untouched.</li>
 *   <li>ExInitializeFastMutex: IRQL ≤ DISPATCH_LEVEL.</li>
 * </ul>
 * Verifier: acquire/try above APC_LEVEL 0xC4/0x33, release at IRQL ≠ APC_LEVEL 0xC4/0x34 (P2
 * IRQL, P3 the mutex); Unsafe with APCs enabled 0xC4/0x39 / 0x3A; recursion and foreign
 * releases as {@link KeGuardedMutex} documents (0xC4/0x1000, 0x1004, 0x1007).
 * Validate before mutate: the IRQL is raised only once the lock is taken (and lowered after the
 * release), so an acquire that fails — a misaligned or unregistered mutex — leaves the thread's
 * IRQL as it was.
 * Progress: blocking. Memory consistency: a release happens-before the next acquire.
 */
public final class ExFastMutex {
    /** 0xC4 subcode: fast mutex acquire above APC_LEVEL. */
    public static final int DV_ACQUIRE_FAST_MUTEX_IRQL = 0x33;
    /** 0xC4 subcode: fast mutex release at IRQL ≠ APC_LEVEL. */
    public static final int DV_RELEASE_FAST_MUTEX_IRQL = 0x34;

    private ExFastMutex() {
    }

    /** {@code ExInitializeFastMutex(FastMutex)}. */
    public static void initialize(MemorySegment fastMutex) {
        KeGuardedMutex.check(fastMutex, "ExInitializeFastMutex");
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, fastMutex.address(), IrqlChecks.WRITE, "ExInitializeFastMutex");
        }
        KeGuardedMutex.initializeCore(fastMutex);
    }

    /** {@code ExAcquireFastMutex(FastMutex)}. */
    public static void acquire(MemorySegment fastMutex) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            KeGuardedMutex.check(fastMutex, "ExAcquireFastMutex");
            IrqlChecks.requireAtMost(t, Irql.APC_LEVEL, DV_ACQUIRE_FAST_MUTEX_IRQL, fastMutex.address(), 0, "ExAcquireFastMutex");
            KeGuardedMutex.checkRecursion(t, fastMutex);
        }
        int old = t.irql();
        KeGuardedMutex.acquireCore(t, fastMutex);
        if (old < Irql.APC_LEVEL) {
            t.setIrql(Irql.APC_LEVEL); // after the lock is ours (offkern delivers no APCs while it waits)
        }
        fastMutex.set(ValueLayout.JAVA_INT, FAST_MUTEX.OLD_IRQL_OFFSET, old); // owner-only field
    }

    /** {@code ExTryToAcquireFastMutex(FastMutex)}. */
    public static boolean tryAcquire(MemorySegment fastMutex) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            KeGuardedMutex.check(fastMutex, "ExTryToAcquireFastMutex");
            IrqlChecks.requireAtMost(t, Irql.APC_LEVEL, DV_ACQUIRE_FAST_MUTEX_IRQL, fastMutex.address(), 0,
                    "ExTryToAcquireFastMutex");
        }
        int old = t.irql();
        if (KeGuardedMutex.tryAcquireCore(t, fastMutex)) {
            if (old < Irql.APC_LEVEL) {
                t.setIrql(Irql.APC_LEVEL);
            }
            fastMutex.set(ValueLayout.JAVA_INT, FAST_MUTEX.OLD_IRQL_OFFSET, old);
            return true;
        }
        return false;
    }

    /** {@code ExReleaseFastMutex(FastMutex)}: releases, then lowers to the saved OldIrql. */
    public static void release(MemorySegment fastMutex) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            KeGuardedMutex.check(fastMutex, "ExReleaseFastMutex");
            IrqlChecks.requireExactly(t, Irql.APC_LEVEL, DV_RELEASE_FAST_MUTEX_IRQL, fastMutex.address(), 0, "ExReleaseFastMutex");
            KeGuardedMutex.checkOwner(t, fastMutex);
        }
        int old = fastMutex.get(ValueLayout.JAVA_INT, FAST_MUTEX.OLD_IRQL_OFFSET); // read before the lock is free
        KeGuardedMutex.releaseCore(t, fastMutex);
        if (Verifier.ENABLED) {
            Irql.lower(t, old); // with its verifier checks
        } else {
            t.setIrql(old); // what Irql.lower does without checks, minus a second thread-state lookup
        }
    }

    /** {@code ExAcquireFastMutexUnsafe(FastMutex)}. */
    public static void acquireUnsafe(MemorySegment fastMutex) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            KeGuardedMutex.check(fastMutex, "ExAcquireFastMutexUnsafe");
            KeGuardedMutex.checkUnsafe(t, fastMutex, KeGuardedMutex.DV_UNSAFE_ACQUIRE, "ExAcquireFastMutexUnsafe");
            KeGuardedMutex.checkRecursion(t, fastMutex);
        }
        KeGuardedMutex.acquireCore(t, fastMutex);
    }

    /** {@code ExReleaseFastMutexUnsafe(FastMutex)}. */
    public static void releaseUnsafe(MemorySegment fastMutex) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            KeGuardedMutex.check(fastMutex, "ExReleaseFastMutexUnsafe");
            KeGuardedMutex.checkUnsafe(t, fastMutex, KeGuardedMutex.DV_UNSAFE_RELEASE, "ExReleaseFastMutexUnsafe");
            KeGuardedMutex.checkOwner(t, fastMutex);
        }
        KeGuardedMutex.releaseCore(t, fastMutex);
    }
}
