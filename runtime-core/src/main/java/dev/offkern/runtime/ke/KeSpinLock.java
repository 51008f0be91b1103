package dev.offkern.runtime.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CType;
import dev.offkern.runtime.mm.LiveMemory;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Executive spin locks: the pointer-sized {@code KSPIN_LOCK} word in native memory and the
 * {@code Ke*SpinLock*} routines that acquire and release it.
 *
 * <h2>Lock word</h2>
 * <pre>
 *  63                                                     1   0
 * +--------------------------------------------------------+---+
 * |     owner's KTHREAD address bits 63..1 (0 when free)   | 1 |   held
 * +--------------------------------------------------------+---+
 * |                            0                               |   free
 * +------------------------------------------------------------+
 * </pre>
 * offkern always stores what Windows' checked builds store, {@code CurrentThread | 1} (the
 * calling thread's {@link ThreadState#address()}, which is 64-byte aligned): free-build code only
 * tests "non-zero = held", exactly as on Windows, and the verifier can tell the owner apart,
 * which is how it detects SPIN_LOCK_ALREADY_OWNED (0x0F) on a recursive acquire and
 * SPIN_LOCK_NOT_OWNED (0x10) on a release by another thread or of a free lock.
 *
 * <h2>Which calls may run concurrently</h2>
 * Every routine on one KSPIN_LOCK may run concurrently with every other on it, from any threads,
 * except KeInitializeSpinLock, which must complete before any other call and must not run while the
 * structure is in use (as on Windows).
 *
 * <h2>Contract</h2>
 * IRQL: KeAcquireSpinLock/KeAcquireSpinLockRaiseToDpc ≤ DISPATCH_LEVEL (leave the caller at
 * DISPATCH_LEVEL); KeReleaseSpinLock at DISPATCH_LEVEL; the AtDpcLevel/FromDpcLevel/TryTo
 * variants at ≥ DISPATCH_LEVEL, no IRQL change; KeInitializeSpinLock and KeTestSpinLock any.
 * Progress: acquire is blocking (it spins), release and the try/test routines are wait-free.
 * Memory consistency: a release happens-before the next successful acquire of the same word.
 *
 * <h2>Verifier</h2>
 * <ul>
 *   <li>KeAcquireSpinLock / KeAcquireSpinLockRaiseToDpc above DISPATCH_LEVEL: 0xC4/0x42
 *       (P2 IRQL, P3 lock, P4 0).</li>
 *   <li>KeReleaseSpinLock at an IRQL other than DISPATCH_LEVEL: 0xC4/0x32 (P2 IRQL, P3 lock).</li>
 *   <li>AtDpcLevel / TryTo...AtDpcLevel below DISPATCH_LEVEL: 0xC4/0x40; FromDpcLevel: 0xC4/0x41
 *       (P2 IRQL, P3 lock).</li>
 *   <li>Recursive acquire: SPIN_LOCK_ALREADY_OWNED (0x0F) with P1 the lock address (the
 *       parameters ReactOS's checked build passes; Microsoft documents none).</li>
 *   <li>Release of a free lock or one held by another thread: SPIN_LOCK_NOT_OWNED (0x10), P1 the
 *       lock address. The word is left unchanged.</li>
 *   <li>The word must be native, 8-byte aligned and 8 bytes long: otherwise
 *       IllegalArgumentException, always (a structural precondition).</li>
 * </ul>
 */
public final class KeSpinLock {
    /*
     * Implementation overview.
     *
     * Test-and-test-and-set: a plain (opaque) read first, the CAS only when the word looked free,
     * so waiting threads spin in their own cache rather than bouncing the line with failed CASes.
     * Spinners follow the runtime's one spin policy (Backoff.spinOrYield): after
     * Backoff.SPIN_LIMIT rounds of Thread.onSpinWait() they also Thread.yield(): on an
     * over-committed host (two vCPUs, many JVM threads) the owner may have been descheduled, and
     * a pure spin would burn the owner's time slice. That differs from Windows (where the owner
     * runs at DISPATCH_LEVEL and cannot be preempted) only in being kinder to the host.
     *
     * Linearization points: acquire at the successful CAS (volatile: a full fence, as
     * InterlockedBitTestAndSet is); release at the setRelease of 0 (pairs with the acquiring CAS:
     * every write inside the critical section is visible to the next owner).
     *
     * Validate before mutate: the IRQL is raised once the lock word has been taken (Windows raises
     * first and spins at DISPATCH_LEVEL; the difference is invisible, as the IRQL is the thread's
     * own), so an acquire on a bad word — misaligned, too small, which the CAS rejects when the
     * verifier's structural check is compiled out — leaves the thread's IRQL unchanged. The
     * release lowers after the word is free, as Windows does.
     */

    /** Subcode 0xC4/0x32: KeReleaseSpinLock at IRQL ≠ DISPATCH_LEVEL. */
    public static final int DV_RELEASE_SPIN_LOCK_IRQL = 0x32;
    /** Subcode 0xC4/0x40: an AtDpcLevel acquire below DISPATCH_LEVEL. */
    public static final int DV_ACQUIRE_AT_DPC_LEVEL_IRQL = 0x40;
    /** Subcode 0xC4/0x41: a FromDpcLevel release below DISPATCH_LEVEL. */
    public static final int DV_RELEASE_FROM_DPC_LEVEL_IRQL = 0x41;
    /** Subcode 0xC4/0x42: KeAcquireSpinLock above DISPATCH_LEVEL. */
    public static final int DV_ACQUIRE_SPIN_LOCK_IRQL = 0x42;

    private KeSpinLock() {
    }

    /** {@code KeInitializeSpinLock}: the word := 0 (free). IRQL: any. Wait-free. */
    public static void initialize(MemorySegment spinLock) {
        checkWord(spinLock);
        WORD.setRelease(spinLock, 0L, 0L); // release: publishes the free state to whoever reads the word next
    }

    /**
     * {@code KeAcquireSpinLockRaiseToDpc} (and the x64 expansion of {@code KeAcquireSpinLock}):
     * raises to DISPATCH_LEVEL, acquires, returns the previous IRQL.
     */
    public static int acquire(MemorySegment spinLock) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            checkWord(spinLock);
            IrqlChecks.requireAtMost(t, Irql.DISPATCH_LEVEL, DV_ACQUIRE_SPIN_LOCK_IRQL, spinLock.address(), 0,
                    "KeAcquireSpinLock");
        }
        int old = t.irql;
        acquireAtDpc(t, spinLock);
        if (old < Irql.DISPATCH_LEVEL) { // above DISPATCH (a verifier error) the IRQL is never lowered
            t.irql = Irql.DISPATCH_LEVEL;
        }
        return old;
    }

    /** {@code KeReleaseSpinLock(SpinLock, NewIrql)}: releases, then lowers the IRQL to NewIrql. */
    public static void release(MemorySegment spinLock, int newIrql) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            checkWord(spinLock);
            IrqlChecks.requireExactly(t, Irql.DISPATCH_LEVEL, DV_RELEASE_SPIN_LOCK_IRQL, spinLock.address(), 0,
                    "KeReleaseSpinLock");
        }
        releaseAtDpc(t, spinLock);
        if (Verifier.ENABLED) {
            Irql.lower(t, newIrql); // with its verifier checks
        } else {
            Irql.lowerUnchecked(t, newIrql); // what Irql.lower does without checks, minus a second thread-state lookup
        }
    }

    /** {@code KeAcquireSpinLockAtDpcLevel}: acquires without changing the IRQL (caller at ≥ DISPATCH_LEVEL). */
    public static void acquireAtDpcLevel(MemorySegment spinLock) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            checkWord(spinLock);
            IrqlChecks.requireAtLeast(t, Irql.DISPATCH_LEVEL, DV_ACQUIRE_AT_DPC_LEVEL_IRQL, spinLock.address(), 0,
                    "KeAcquireSpinLockAtDpcLevel");
        }
        acquireAtDpc(t, spinLock);
    }

    /** {@code KeReleaseSpinLockFromDpcLevel}: releases without changing the IRQL. */
    public static void releaseFromDpcLevel(MemorySegment spinLock) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            checkWord(spinLock);
            IrqlChecks.requireAtLeast(t, Irql.DISPATCH_LEVEL, DV_RELEASE_FROM_DPC_LEVEL_IRQL, spinLock.address(), 0,
                    "KeReleaseSpinLockFromDpcLevel");
        }
        releaseAtDpc(t, spinLock);
    }

    /**
     * {@code KeTryToAcquireSpinLockAtDpcLevel}: one attempt; TRUE if the lock is now held by the
     * caller, FALSE (nothing changed) if it was held. Wait-free.
     */
    public static boolean tryAcquireAtDpcLevel(MemorySegment spinLock) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            checkWord(spinLock);
            IrqlChecks.requireAtLeast(t, Irql.DISPATCH_LEVEL, DV_ACQUIRE_AT_DPC_LEVEL_IRQL, spinLock.address(), 0,
                    "KeTryToAcquireSpinLockAtDpcLevel");
        }
        long mine = t.address() | 1L;
        long seen = (long) WORD.getOpaque(spinLock, 0L); // opaque: a hint only; the CAS decides
        if (seen == 0L && WORD.compareAndSet(spinLock, 0L, 0L, mine)) { // volatile CAS: acquire edge
            noteAcquired(t, spinLock);
            return true;
        }
        if (Verifier.ENABLED && seen == mine && t.verifies(VerifierCheck.LOCKS)) {
            throw alreadyOwned(t, spinLock, "KeTryToAcquireSpinLockAtDpcLevel");
        }
        return false;
    }

    /**
     * {@code KeTestSpinLock}: TRUE if the lock is currently free (a later acquire would probably
     * not spin), FALSE if it is held. Reads only (no ownership change, no fence beyond an acquire
     * read); used to spin without writing. IRQL: any. Wait-free.
     */
    public static boolean test(MemorySegment spinLock) {
        if (Verifier.ENABLED) {
            checkWord(spinLock);
        } else {
            LiveMemory.require(spinLock, "KeTestSpinLock", "SpinLock"); // a closed kernel's lock says so, verifier or not
        }
        return (long) WORD.getAcquire(spinLock, 0L) == 0L; // acquire: a caller acting on "free" sees the last release's writes
    }

    /** The raw word (0 = free, else owner KTHREAD | 1). For diagnostics and tests. */
    public static long word(MemorySegment spinLock) {
        return (long) WORD.getVolatile(spinLock, 0L);
    }

    // ----- core -----

    static void acquireAtDpc(ThreadState t, MemorySegment spinLock) {
        long mine = t.address() | 1L;
        if (!WORD.compareAndSet(spinLock, 0L, 0L, mine)) { // volatile CAS: the acquire's linearization point
            acquireSlow(t, spinLock, mine);
        }
        noteAcquired(t, spinLock);
    }

    private static void acquireSlow(ThreadState t, MemorySegment spinLock, long mine) {
        if (Verifier.ENABLED && t.verifies(VerifierCheck.LOCKS) && (long) WORD.getOpaque(spinLock, 0L) == mine) {
            throw alreadyOwned(t, spinLock, "spin lock acquire");
        }
        int round = 0;
        for (;;) {
            // test: opaque reads until the word looks free (no writes while waiting)
            while ((long) WORD.getOpaque(spinLock, 0L) != 0L) {
                round = Backoff.spinOrYield(round);
            }
            if (WORD.compareAndSet(spinLock, 0L, 0L, mine)) { // volatile CAS: linearization point
                return;
            }
        }
    }

    static void releaseAtDpc(ThreadState t, MemorySegment spinLock) {
        if (Verifier.ENABLED && t.verifies(VerifierCheck.LOCKS)) {
            long seen = (long) WORD.getVolatile(spinLock, 0L);
            if (seen != (t.address() | 1L)) {
                throw t.kernel().bugCheck(BugCheckCode.SPIN_LOCK_NOT_OWNED, spinLock.address(), 0, 0, 0,
                        seen == 0 ? "release of a free spin lock"
                                : "release of a spin lock held by thread 0x" + Long.toHexString(seen & ~1L));
            }
            t.removeOwnedLock(spinLock.address());
        }
        WORD.setRelease(spinLock, 0L, 0L); // release: pairs with the next owner's CAS; linearization point
    }

    private static void noteAcquired(ThreadState t, MemorySegment spinLock) {
        if (Verifier.ENABLED && t.verifies(VerifierCheck.LOCKS)) {
            t.addOwnedLock(spinLock.address());
        }
    }

    private static RuntimeException alreadyOwned(ThreadState t, MemorySegment spinLock, String routine) {
        return t.kernel().bugCheck(BugCheckCode.SPIN_LOCK_ALREADY_OWNED, spinLock.address(), 0, 0, 0,
                routine + ": recursive acquisition of the spin lock at 0x" + Long.toHexString(spinLock.address()));
    }

    static void checkWord(MemorySegment spinLock) {
        LiveMemory.require(spinLock, "KSPIN_LOCK", "SpinLock");
        if (spinLock == null || !spinLock.isNative() || spinLock.address() == 0 || spinLock.byteSize() < KSPIN_LOCK_BYTES
                || (spinLock.address() & (KSPIN_LOCK_BYTES - 1)) != 0) {
            throw new IllegalArgumentException("a KSPIN_LOCK must be an 8-byte aligned native ULONG_PTR, not " + spinLock);
        }
    }

    /** sizeof(KSPIN_LOCK) on x64 (a ULONG_PTR: also its alignment). */
    static final long KSPIN_LOCK_BYTES = CType.KSPIN_LOCK.size(Abi.X64);

    // ----- VarHandle mechanics -----
    /** The KSPIN_LOCK word (ULONG_PTR at offset 0). */
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();
}
