package dev.offkern.runtime.ke;

import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import dev.offkern.runtime.mm.LiveMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Guarded mutexes ({@code KGUARDED_MUTEX}) and the lock core they share with fast mutexes
 * ({@code FAST_MUTEX}, {@link dev.offkern.runtime.ex.ExFastMutex}): since Windows 8 both are one
 * implementation over one 0x38-byte layout, and so they are here ("no twins").
 *
 * <h2>Layout (x64, FAST_MUTEX = KGUARDED_MUTEX on Windows 8+)</h2>
 * <pre>
 * +0x00 LONG     Count       lock word, below
 * +0x08 PVOID    Owner       KTHREAD of the holder (its ETHREAD, PsGetCurrentThread), NULL when free
 * +0x10 ULONG    Contention  number of slow-path (contended) acquisitions
 * +0x18 KEVENT   Event       SynchronizationEvent the contended waiters block on (KGATE in the
 *                            pre-Win8 guarded mutex: also a bare DISPATCHER_HEADER)
 * +0x30 ULONG    OldIrql     FAST_MUTEX: the IRQL before ExAcquireFastMutex (guarded mutexes
 *                            leave it alone; pre-Win8 it held CombinedApcDisable)
 *
 * Count:  31                               2   1   0
 *        +----------------------------------+---+---+
 *        |      waiters (FM_LOCK_WAITER_INC = 4)| W | L |   L = FM_LOCK_BIT, 1 = FREE
 *        +----------------------------------+---+---+   W = FM_LOCK_WAITER_WOKEN
 * </pre>
 *
 * <h2>Which calls may run concurrently</h2>
 * Every routine on one mutex may run concurrently with every other on it, from any threads,
 * except KeInitializeGuardedMutex / ExInitializeFastMutex, which must complete before any other call and must not run while the
 * structure is in use (as on Windows).
 *
 * <h2>Contract</h2>
 * KeInitializeGuardedMutex: IRQL ≤ APC_LEVEL; free, no owner, Contention 0, event not signalled.
 * KeAcquireGuardedMutex / KeTryToAcquireGuardedMutex / KeReleaseGuardedMutex: IRQL ≤ APC_LEVEL;
 * acquire enters a guarded region (SpecialApcDisable − 1) then takes the lock (blocking on the
 * event when contended); a failed try leaves the region again; release frees the lock, wakes one
 * waiter, and leaves the region. The Unsafe variants neither enter nor leave a region: the
 * caller must be at APC_LEVEL or have APCs disabled (critical or guarded region).
 * Not recursive: a recursive acquire deadlocks on Windows.
 * Progress: blocking; release is lock-free (one RMW plus, with waiters, one CAS and an event set).
 * Memory consistency: a release happens-before the next acquire.
 *
 * <h2>Verifier</h2>
 * (family LOCKS unless stated; parameters are offkern's choice where Microsoft gives none)
 * <ul>
 *   <li>Recursive acquire (Owner is the caller): 0xC4/0x1000 (self-deadlock), P2 the mutex,
 *       P3 the owning KTHREAD.</li>
 *   <li>Release by a thread that is not the owner: 0xC4/0x1004 (resource released by the wrong
 *       thread), P2 the mutex, P3 the owner, P4 the caller; release of a mutex nobody owns:
 *       0xC4/0x1007 (released without being acquired), P2 the mutex, P3 0, P4 the caller.</li>
 *   <li>IRQL (family IRQL): guarded routines above APC_LEVEL: DRIVER_IRQL_NOT_LESS_OR_EQUAL
 *       (0xD1: mutex, IRQL, 1, 0); Unsafe acquire/release without APCs disabled: 0xC4/0x39 and
 *       0x3A (P2 IRQL, P3 mutex), the fast-mutex codes, as the implementation is shared.</li>
 * </ul>
 */
public final class KeGuardedMutex {
    /*
     * Implementation overview (the algorithm ReactOS documents for KiAcquireGuardedMutex /
     * KxReleaseGuardedMutex, which Windows 8+ uses for both mutex kinds).
     *
     * Acquire fast path: one CAS of Count from FM_LOCK_BIT (free, nobody waiting or being woken) to 0:
     *   the uncontended case, and the linearization point of such an acquire. Any other witness falls
     *   back to what Windows does, the atomic bit-test-and-reset of FM_LOCK_BIT (getAndBitwiseAnd(~1):
     *   if the bit was set the lock was free and is now ours) — except a witness showing the lock held,
     *   which goes straight to the slow path (the bit-test-and-reset would fail as well). The CAS comes
     *   first because it needs no prior load of Count (getAndBitwiseAnd compiles to a load and a CAS
     *   loop): 1.1 ns per fast-mutex pair, 0.4 per guarded (bench-results/perf-locks2-*). Count,
     *   Contention and the linearization points are as with the bit-test-and-reset alone.
     * Acquire slow path: Contention += 1; loop: if free, CAS away (LOCK_BIT [| WOKEN if we were
     *   woken]) -> owned; else CAS in (+WAITER_INC, or +WOKEN after a wake-up, which turns the
     *   woken flag back into one waiter count by carry) and wait on the event; repeat.
     * Release: Owner := NULL; old := getAndAdd(LOCK_BIT) (linearization point: the lock is free);
     *   if waiters were counted and none is being woken, CAS (waiters − 1, WOKEN set) and, if it
     *   won, set the event — exactly one waiter is released per such CAS; a barging acquirer may
     *   take the lock first, the woken waiter then re-registers itself.
     * The event is a synchronization event: a set with no waiter parked yet stays pending, so a
     *   waiter that registered in Count but has not parked yet cannot miss its wake-up.
     *
     * Validate before mutate: a contended acquire resolves the embedded event (the address other
     *   threads will follow) before it registers in Count, and a release resolves it before it claims
     *   the right to wake; the guarded-region count changes only once the lock is taken or released,
     *   so a mutex in unregistered memory, or a misaligned one, fails a call with nothing changed.
     */

    /** FM_LOCK_BIT / GM_LOCK_BIT: set = free. */
    public static final int FM_LOCK_BIT = 0x1;
    /** FM_LOCK_BIT_V: the bit number. */
    public static final int FM_LOCK_BIT_V = 0;
    /** FM_LOCK_WAITER_WOKEN: a waiter has been signalled and not yet run. */
    public static final int FM_LOCK_WAITER_WOKEN = 0x2;
    /** FM_LOCK_WAITER_INC: one waiter. */
    public static final int FM_LOCK_WAITER_INC = 0x4;

    /** 0xC4 subcodes (Driver Verifier deadlock detection): self-deadlock. */
    public static final int DV_SELF_DEADLOCK = 0x1000;
    /** 0xC4: resource released by the wrong thread. */
    public static final int DV_RELEASED_BY_WRONG_THREAD = 0x1004;
    /** 0xC4: resource released without having been acquired. */
    public static final int DV_RELEASED_UNACQUIRED = 0x1007;
    /** 0xC4: an Unsafe mutex acquire with APCs enabled. */
    public static final int DV_UNSAFE_ACQUIRE = 0x39;
    /** 0xC4: an Unsafe mutex release with APCs enabled. */
    public static final int DV_UNSAFE_RELEASE = 0x3A;

    private KeGuardedMutex() {
    }

    // ----- KGUARDED_MUTEX routines -----

    /** {@code KeInitializeGuardedMutex(Mutex)}. */
    public static void initialize(MemorySegment mutex) {
        check(mutex, "KeInitializeGuardedMutex");
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, mutex.address(), IrqlChecks.WRITE, "KeInitializeGuardedMutex");
        }
        initializeCore(mutex);
    }

    /** {@code KeAcquireGuardedMutex(Mutex)}: enters a guarded region, then acquires. */
    public static void acquire(MemorySegment mutex) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            check(mutex, "KeAcquireGuardedMutex");
            IrqlChecks.requireAtMost(t, Irql.APC_LEVEL, mutex.address(), IrqlChecks.WRITE, "KeAcquireGuardedMutex");
            checkRecursion(t, mutex);
        }
        acquireCore(t, mutex);
        t.addSpecialApcDisable(-1); // after the lock is ours: a failed acquire leaves the thread as it was
    }

    /** {@code KeTryToAcquireGuardedMutex(Mutex)}: TRUE = acquired (inside a guarded region until release). */
    public static boolean tryAcquire(MemorySegment mutex) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            check(mutex, "KeTryToAcquireGuardedMutex");
            IrqlChecks.requireAtMost(t, Irql.APC_LEVEL, mutex.address(), IrqlChecks.WRITE, "KeTryToAcquireGuardedMutex");
        }
        if (tryAcquireCore(t, mutex)) {
            t.addSpecialApcDisable(-1);
            return true;
        }
        return false;
    }

    /** {@code KeReleaseGuardedMutex(Mutex)}: releases, then leaves the guarded region. */
    public static void release(MemorySegment mutex) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            check(mutex, "KeReleaseGuardedMutex");
            IrqlChecks.requireAtMost(t, Irql.APC_LEVEL, mutex.address(), IrqlChecks.WRITE, "KeReleaseGuardedMutex");
            checkOwner(t, mutex);
        }
        KeRegion.checkLeaveGuardedRegion(t); // before the release: a failure changes nothing
        releaseCore(t, mutex);
        t.addSpecialApcDisable(1);
    }

    /** {@code KeAcquireGuardedMutexUnsafe(FastMutex)}: no region; caller at APC_LEVEL or with APCs disabled. */
    public static void acquireUnsafe(MemorySegment mutex) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            check(mutex, "KeAcquireGuardedMutexUnsafe");
            checkUnsafe(t, mutex, DV_UNSAFE_ACQUIRE, "KeAcquireGuardedMutexUnsafe");
            checkRecursion(t, mutex);
        }
        acquireCore(t, mutex);
    }

    /** {@code KeReleaseGuardedMutexUnsafe(FastMutex)}. */
    public static void releaseUnsafe(MemorySegment mutex) {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            check(mutex, "KeReleaseGuardedMutexUnsafe");
            checkUnsafe(t, mutex, DV_UNSAFE_RELEASE, "KeReleaseGuardedMutexUnsafe");
            checkOwner(t, mutex);
        }
        releaseCore(t, mutex);
    }

    // ----- the shared core (FAST_MUTEX uses these too) -----

    /** Count := FM_LOCK_BIT, Owner := NULL, Contention := 0, Event := unsignalled SynchronizationEvent. */
    public static void initializeCore(MemorySegment mutex) {
        mutex.asSlice(0, FAST_MUTEX.LAYOUT.byteSize()).fill((byte) 0); // Owner, Contention, OldIrql, padding
        long eventSize = KEVENT.LAYOUT.byteSize();
        KeEvent.initializeHeader(mutex.asSlice(FAST_MUTEX.EVENT_OFFSET, eventSize), KeEvent.SynchronizationEvent,
                (int) (eventSize / Integer.BYTES), 0);
        COUNT.setVolatile(mutex, FAST_MUTEX.COUNT_OFFSET, FM_LOCK_BIT); // volatile: publishes the initialized mutex
    }

    /** Acquires the lock (blocking) and records the owner. */
    public static void acquireCore(ThreadState t, MemorySegment mutex) {
        if (!takeFree(mutex)) {
            acquireSlow(t, mutex);
        }
        OWNER.set(mutex, FAST_MUTEX.OWNER_OFFSET, t.address()); // plain: read by the owner and, racily, by diagnostics
        t.mutexAcquired(); // the KTHREAD Owner names stays referenced while the thread owns a mutex
    }

    /** One attempt; true if the lock is now held by the caller. */
    public static boolean tryAcquireCore(ThreadState t, MemorySegment mutex) {
        if (takeFree(mutex)) {
            OWNER.set(mutex, FAST_MUTEX.OWNER_OFFSET, t.address());
            t.mutexAcquired();
            return true;
        }
        return false;
    }

    /**
     * Takes the lock if it is free (FM_LOCK_BIT set), without waiting; false if it is held. The
     * uncontended case (Count = FM_LOCK_BIT exactly) is one CAS to 0; a free lock with waiters
     * registered or a waiter being woken is taken by InterlockedBitTestAndReset, as Windows does.
     */
    private static boolean takeFree(MemorySegment mutex) {
        // volatile CAS: free and nobody waiting -> held; linearization point of the uncontended acquire
        int witness = (int) COUNT.compareAndExchange(mutex, FAST_MUTEX.COUNT_OFFSET, FM_LOCK_BIT, 0);
        if (witness == FM_LOCK_BIT) {
            return true;
        }
        if ((witness & FM_LOCK_BIT) == 0) {
            return false; // held at the CAS: the bit-test-and-reset would fail too (linearization point of the failure)
        }
        // volatile RMW: InterlockedBitTestAndReset(&Count, FM_LOCK_BIT_V); linearization point
        return ((int) COUNT.getAndBitwiseAnd(mutex, FAST_MUTEX.COUNT_OFFSET, ~FM_LOCK_BIT) & FM_LOCK_BIT) != 0;
    }

    private static void acquireSlow(ThreadState t, MemorySegment mutex) {
        long event = mutex.address() + FAST_MUTEX.EVENT_OFFSET;
        Dispatcher.resolveObject(t.kernel(), event); // the waits below and the waker follow it: 0x50 now, before Count changes
        CONTENTION.getAndAdd(mutex, FAST_MUTEX.CONTENTION_OFFSET, 1); // volatile RMW: exact count (Windows increments it plainly)
        int bitsToRemove = FM_LOCK_BIT;
        int bitsToAdd = FM_LOCK_WAITER_INC;
        for (;;) {
            int old = (int) COUNT.getVolatile(mutex, FAST_MUTEX.COUNT_OFFSET);
            for (;;) {
                if ((old & FM_LOCK_BIT) != 0) { // free: take it
                    int witness = (int) COUNT.compareAndExchange(mutex, FAST_MUTEX.COUNT_OFFSET, old, old ^ bitsToRemove); // volatile CAS
                    if (witness == old) {
                        return;
                    }
                    old = witness;
                } else { // held: register as a waiter (or re-register after a wake-up)
                    int witness = (int) COUNT.compareAndExchange(mutex, FAST_MUTEX.COUNT_OFFSET, old, old + bitsToAdd); // volatile CAS
                    if (witness == old) {
                        break;
                    }
                    old = witness;
                }
            }
            KeWait.waitInternal(t, event);
            bitsToRemove = FM_LOCK_BIT | FM_LOCK_WAITER_WOKEN;
            bitsToAdd = FM_LOCK_WAITER_WOKEN;
        }
    }

    /** Releases the lock and wakes one waiter if one is registered and none is being woken. */
    public static void releaseCore(ThreadState t, MemorySegment mutex) {
        OWNER.set(mutex, FAST_MUTEX.OWNER_OFFSET, 0L); // plain: ordered before the releasing RMW below
        int old = (int) COUNT.getAndAdd(mutex, FAST_MUTEX.COUNT_OFFSET, FM_LOCK_BIT); // volatile RMW: linearization point
        t.mutexReleased(); // after the RMW: no store of ours waits in front of the locked instruction (1.4 ns per fast-mutex pair)
        if (old != 0 && (old & FM_LOCK_WAITER_WOKEN) == 0) {
            // a waiter registered, so its acquire resolved the event; resolve it here too before claiming the wake
            Dispatcher.resolveObject(t.kernel(), mutex.address() + FAST_MUTEX.EVENT_OFFSET);
            old += FM_LOCK_BIT;
            int next = old + FM_LOCK_WAITER_WOKEN - FM_LOCK_WAITER_INC;
            if (COUNT.compareAndSet(mutex, FAST_MUTEX.COUNT_OFFSET, old, next)) { // volatile CAS: claim the right to wake one
                KeEvent.setEmbedded(t, mutex, FAST_MUTEX.EVENT_OFFSET);
            }
        }
    }

    /** Owner (KTHREAD address, 0 if free). */
    public static long owner(MemorySegment mutex) {
        return (long) OWNER.getOpaque(mutex, FAST_MUTEX.OWNER_OFFSET);
    }

    /** Count. */
    public static int count(MemorySegment mutex) {
        return (int) COUNT.getVolatile(mutex, FAST_MUTEX.COUNT_OFFSET);
    }

    /** Contention. */
    public static int contention(MemorySegment mutex) {
        return (int) CONTENTION.getVolatile(mutex, FAST_MUTEX.CONTENTION_OFFSET);
    }

    // ----- verifier helpers (shared with ExFastMutex) -----

    /** Self-deadlock check: the caller already owns the mutex. */
    public static void checkRecursion(ThreadState t, MemorySegment mutex) {
        if (t.verifies(VerifierCheck.LOCKS) && owner(mutex) == t.address()) {
            throw t.kernel().bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DV_SELF_DEADLOCK, mutex.address(),
                    t.address(), 0, "recursive acquisition of the mutex at 0x" + Long.toHexString(mutex.address()));
        }
    }

    /** Ownership check before a release. */
    public static void checkOwner(ThreadState t, MemorySegment mutex) {
        if (!t.verifies(VerifierCheck.LOCKS)) {
            return;
        }
        long owner = owner(mutex);
        if (owner == t.address()) {
            return;
        }
        BugCheck bc = owner == 0
                ? t.kernel().bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DV_RELEASED_UNACQUIRED, mutex.address(),
                        0, t.address(), "release of the mutex at 0x" + Long.toHexString(mutex.address()) + ", which nobody owns")
                : t.kernel().bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DV_RELEASED_BY_WRONG_THREAD,
                        mutex.address(), owner, t.address(), "release of the mutex at 0x" + Long.toHexString(mutex.address())
                                + " by a thread that does not own it (owner 0x" + Long.toHexString(owner) + ")");
        throw bc;
    }

    /** The Unsafe variants' precondition: IRQL ≤ APC_LEVEL and APCs disabled (APC_LEVEL, critical or guarded region). */
    public static void checkUnsafe(ThreadState t, MemorySegment mutex, int subcode, String routine) {
        if (t.verifies(VerifierCheck.IRQL) && (t.irql() > Irql.APC_LEVEL || !t.apcsDisabled())) {
            throw IrqlChecks.violation(subcode, t.irql(), mutex.address(), 0,
                    routine + " at " + Irql.name(t.irql()) + (t.apcsDisabled() ? "" : " with APCs enabled")
                            + ": it requires APC_LEVEL or a critical/guarded region");
        }
    }

    /** Structural precondition: mapped memory (a closed kernel's mutex says so), an 8-byte aligned native segment of 0x38 bytes. */
    public static void check(MemorySegment mutex, String routine) {
        LiveMemory.require(mutex, routine, "Mutex");
        if (mutex == null || !mutex.isNative() || mutex.address() == 0 || mutex.byteSize() < FAST_MUTEX.LAYOUT.byteSize()
                || !FAST_MUTEX.X64.isAligned(mutex.address())) {
            throw new IllegalArgumentException(routine + ": the mutex must be an 8-byte aligned native segment of 0x38 bytes or more, not "
                    + mutex);
        }
    }

    // ----- VarHandle mechanics -----
    /** Count (LONG): the lock word. */
    private static final VarHandle COUNT = ValueLayout.JAVA_INT.varHandle();
    /** Contention (ULONG). */
    private static final VarHandle CONTENTION = ValueLayout.JAVA_INT.varHandle();
    /** Owner (PKTHREAD). */
    private static final VarHandle OWNER = ValueLayout.JAVA_LONG.varHandle();
}
