package dev.offkern.tests.fuzz;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Spin locks, in-stack queued spin locks, fast and guarded mutexes, critical and guarded regions.
 *
 * <p>Shared locks see only balanced, valid use from both threads (real contention, and no thread
 * can be left waiting forever on a lock another leaked). Misuse — recursion, releases of locks not
 * held, the wrong IRQL, unsafe variants outside their region, queue handles scribbled or reused,
 * pointers that are no lock — goes to the calling thread's private locks, which are re-initialized
 * after the step; a blocking acquire is only ever given a hostile pointer it must refuse at once.
 */
final class LockOps {
    private LockOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("spin.balanced", 6, LockOps::spinBalanced, "KeAcquireSpinLock", "KeReleaseSpinLock",
                        "KeAcquireSpinLockRaiseToDpc", "KeAcquireSpinLockAtDpcLevel", "KeReleaseSpinLockFromDpcLevel",
                        "KeTryToAcquireSpinLockAtDpcLevel", "KeTestSpinLock", "KeRaiseIrqlToDpcLevel", "KeLowerIrql"),
                Op.of("spin.queued", 5, LockOps::spinQueued, "KeAcquireInStackQueuedSpinLock",
                        "KeReleaseInStackQueuedSpinLock", "KeAcquireInStackQueuedSpinLockAtDpcLevel",
                        "KeReleaseInStackQueuedSpinLockFromDpcLevel", "KeRaiseIrqlToDpcLevel", "KeLowerIrql"),
                Op.of("spin.misuse", 4, LockOps::spinMisuse, "KeInitializeSpinLock", "KeAcquireSpinLock",
                        "KeReleaseSpinLock", "KeAcquireSpinLockAtDpcLevel", "KeReleaseSpinLockFromDpcLevel",
                        "KeTryToAcquireSpinLockAtDpcLevel", "KeTestSpinLock", "KeAcquireInStackQueuedSpinLock",
                        "KeReleaseInStackQueuedSpinLock", "KeReleaseInStackQueuedSpinLockFromDpcLevel",
                        "KeAcquireInStackQueuedSpinLockAtDpcLevel", "KeLowerIrql"),
                Op.of("fastMutex.balanced", 4, LockOps::fastBalanced, "ExAcquireFastMutex", "ExReleaseFastMutex",
                        "ExTryToAcquireFastMutex", "ExAcquireFastMutexUnsafe", "ExReleaseFastMutexUnsafe",
                        "KeEnterCriticalRegion", "KeLeaveCriticalRegion"),
                Op.of("guardedMutex.balanced", 4, LockOps::guardedBalanced, "KeAcquireGuardedMutex",
                        "KeReleaseGuardedMutex", "KeTryToAcquireGuardedMutex", "KeAcquireGuardedMutexUnsafe",
                        "KeReleaseGuardedMutexUnsafe", "KeEnterGuardedRegion", "KeLeaveGuardedRegion"),
                Op.of("mutex.misuse", 4, LockOps::mutexMisuse, "ExInitializeFastMutex", "ExAcquireFastMutex",
                        "ExReleaseFastMutex", "ExTryToAcquireFastMutex", "ExAcquireFastMutexUnsafe",
                        "ExReleaseFastMutexUnsafe", "KeInitializeGuardedMutex", "KeAcquireGuardedMutex",
                        "KeReleaseGuardedMutex", "KeTryToAcquireGuardedMutex", "KeAcquireGuardedMutexUnsafe",
                        "KeReleaseGuardedMutexUnsafe"),
                Op.of("region.unbalanced", 2, LockOps::regions, "KeEnterCriticalRegion", "KeLeaveCriticalRegion",
                        "KeEnterGuardedRegion", "KeLeaveGuardedRegion"));
    }

    /** Ops that must not be preceded by a random IRQL raise: they take shared locks and must release them. */
    static final List<String> BALANCED = List.of("spin.balanced", "spin.queued", "fastMutex.balanced", "guardedMutex.balanced");

    static MemorySegment lock(Ctx c) {
        return c.p(0.7) ? c.shared(Kind.SPIN_LOCK) : c.own(Kind.SPIN_LOCK);
    }

    static void spinBalanced(Ctx c) {
        MemorySegment lock = lock(c);
        c.note("lock " + Ctx.describe(lock));
        boolean[] held = {false};
        // A release that failed would leave a shared lock held for ever: free it after the step
        // (the failure itself is classified like any outcome).
        c.after.add(x -> {
            if (held[0]) {
                Ke.KeInitializeSpinLock(lock);
            }
        });
        switch (c.n(5)) {
            case 0 -> {
                int old = Ke.KeAcquireSpinLock(lock);
                held[0] = true;
                Ke.KeReleaseSpinLock(lock, old);
                held[0] = false;
            }
            case 1 -> {
                int old = Ke.KeAcquireSpinLockRaiseToDpc(lock);
                held[0] = true;
                Ke.KeReleaseSpinLock(lock, old);
                held[0] = false;
            }
            case 2 -> {
                int old = Ke.KeRaiseIrqlToDpcLevel();
                Ke.KeAcquireSpinLockAtDpcLevel(lock);
                held[0] = true;
                Ke.KeReleaseSpinLockFromDpcLevel(lock);
                held[0] = false;
                Ke.KeLowerIrql(old);
            }
            case 3 -> {
                int old = Ke.KeRaiseIrqlToDpcLevel();
                if (Ke.KeTryToAcquireSpinLockAtDpcLevel(lock)) {
                    held[0] = true;
                    Ke.KeReleaseSpinLockFromDpcLevel(lock);
                    held[0] = false;
                }
                Ke.KeLowerIrql(old);
            }
            default -> Ke.KeTestSpinLock(c.arg(Kind.SPIN_LOCK, 8, 0.3));
        }
    }

    static void spinQueued(Ctx c) {
        MemorySegment lock = lock(c);
        MemorySegment handle = c.own(Kind.QUEUE_HANDLE);
        c.note("lock " + Ctx.describe(lock) + " handle " + Ctx.describe(handle));
        boolean[] held = {false};
        c.after.add(x -> {
            if (held[0]) {
                Ke.KeInitializeSpinLock(lock);
            }
        });
        if (c.p(0.5)) {
            Ke.KeAcquireInStackQueuedSpinLock(lock, handle);
            held[0] = true;
            Ke.KeReleaseInStackQueuedSpinLock(handle);
            held[0] = false;
        } else {
            int old = Ke.KeRaiseIrqlToDpcLevel();
            Ke.KeAcquireInStackQueuedSpinLockAtDpcLevel(lock, handle);
            held[0] = true;
            Ke.KeReleaseInStackQueuedSpinLockFromDpcLevel(handle);
            held[0] = false;
            Ke.KeLowerIrql(old);
        }
    }

    static void spinMisuse(Ctx c) {
        MemorySegment lock = c.own(Kind.SPIN_LOCK);
        MemorySegment handle = c.own(Kind.QUEUE_HANDLE);
        c.dirty = true;
        c.after.add(x -> Ke.KeInitializeSpinLock(lock));
        Ke.KeInitializeSpinLock(lock);
        switch (c.n(12)) {
            case 0 -> {
                Ke.KeAcquireSpinLock(lock);
                Ke.KeAcquireSpinLock(lock); // recursive: SPIN_LOCK_ALREADY_OWNED
            }
            case 1 -> Ke.KeReleaseSpinLock(lock, 0); // not held
            case 2 -> {
                Ke.KeAcquireSpinLock(lock);
                Ke.KeLowerIrql(0); // below DISPATCH_LEVEL while holding it
            }
            case 3 -> Ke.KeAcquireSpinLockAtDpcLevel(lock); // at PASSIVE_LEVEL
            case 4 -> {
                int old = Ke.KeAcquireSpinLock(lock);
                Ke.KeReleaseSpinLock(lock, old);
                Ke.KeReleaseSpinLock(lock, old); // twice
            }
            case 5 -> Ke.KeInitializeSpinLock(c.hostile(Kind.SPIN_LOCK, 8, false));
            case 6 -> Ke.KeTryToAcquireSpinLockAtDpcLevel(c.hostile(Kind.SPIN_LOCK, 8, false));
            case 7 -> Ke.KeReleaseSpinLockFromDpcLevel(c.hostile(Kind.SPIN_LOCK, 8, false));
            case 8 -> {
                MemorySegment bad = c.blockingArg(lock, Kind.SPIN_LOCK, 8, 1.0);
                c.note("acquire " + Ctx.describe(bad));
                Ke.KeReleaseSpinLock(bad, Ke.KeAcquireSpinLock(bad));
            }
            case 9 -> {
                // A queue handle scribbled between acquire and release.
                Ke.KeAcquireInStackQueuedSpinLock(lock, handle);
                c.scribble(handle);
                c.after.add(x -> c.randomize(handle));
                Ke.KeReleaseInStackQueuedSpinLock(handle);
            }
            case 10 -> {
                // A handle that was never used to acquire, or a hostile one.
                MemorySegment h = c.p(0.5) ? handle : c.hostile(Kind.QUEUE_HANDLE, 24, false);
                if (h == handle) {
                    c.scribble(handle);
                }
                if (c.p(0.5)) {
                    Ke.KeReleaseInStackQueuedSpinLock(h);
                } else {
                    Ke.KeReleaseInStackQueuedSpinLockFromDpcLevel(h);
                }
            }
            default -> {
                MemorySegment bad = c.blockingArg(lock, Kind.SPIN_LOCK, 8, 0.6);
                MemorySegment h = c.p(0.5) ? handle : c.hostile(Kind.QUEUE_HANDLE, 24, true);
                c.note("queued acquire " + Ctx.describe(bad) + " " + Ctx.describe(h));
                if (c.p(0.5)) {
                    Ke.KeAcquireInStackQueuedSpinLock(bad, h);
                } else {
                    Ke.KeAcquireInStackQueuedSpinLockAtDpcLevel(bad, h);
                }
                Ke.KeReleaseInStackQueuedSpinLock(h);
            }
        }
    }

    static MemorySegment mutex(Ctx c, Kind kind) {
        return c.p(0.6) ? c.shared(kind) : c.own(kind);
    }

    static void fastBalanced(Ctx c) {
        MemorySegment m = mutex(c, Kind.FAST_MUTEX);
        c.note("fast mutex " + Ctx.describe(m));
        switch (c.n(3)) {
            case 0 -> {
                Ex.ExAcquireFastMutex(m);
                Ex.ExReleaseFastMutex(m);
            }
            case 1 -> {
                if (Ex.ExTryToAcquireFastMutex(m)) {
                    Ex.ExReleaseFastMutex(m);
                }
            }
            default -> {
                Ke.KeEnterCriticalRegion();
                Ex.ExAcquireFastMutexUnsafe(m);
                Ex.ExReleaseFastMutexUnsafe(m);
                Ke.KeLeaveCriticalRegion();
            }
        }
    }

    static void guardedBalanced(Ctx c) {
        MemorySegment m = mutex(c, Kind.GUARDED_MUTEX);
        c.note("guarded mutex " + Ctx.describe(m));
        switch (c.n(3)) {
            case 0 -> {
                Ke.KeAcquireGuardedMutex(m);
                Ke.KeReleaseGuardedMutex(m);
            }
            case 1 -> {
                if (Ke.KeTryToAcquireGuardedMutex(m)) {
                    Ke.KeReleaseGuardedMutex(m);
                }
            }
            default -> {
                Ke.KeEnterGuardedRegion();
                Ke.KeAcquireGuardedMutexUnsafe(m);
                Ke.KeReleaseGuardedMutexUnsafe(m);
                Ke.KeLeaveGuardedRegion();
            }
        }
    }

    static void mutexMisuse(Ctx c) {
        boolean fast = c.p(0.5);
        MemorySegment m = c.own(fast ? Kind.FAST_MUTEX : Kind.GUARDED_MUTEX);
        c.dirty = true;
        c.after.add(x -> {
            if (fast) {
                Ex.ExInitializeFastMutex(m);
            } else {
                Ke.KeInitializeGuardedMutex(m);
            }
        });
        if (fast) {
            Ex.ExInitializeFastMutex(m);
        } else {
            Ke.KeInitializeGuardedMutex(m);
        }
        int which = c.n(9);
        c.note((fast ? "fast" : "guarded") + " misuse #" + which);
        switch (which) {
            case 0 -> { // recursion: a self-deadlock the verifier must report instead of blocking
                acquire(fast, m);
                acquire(fast, m);
            }
            case 1 -> release(fast, m); // not held
            case 2 -> {
                acquire(fast, m);
                release(fast, m);
                release(fast, m); // twice
            }
            case 3 -> { // unsafe variants at PASSIVE_LEVEL outside any region
                if (fast) {
                    Ex.ExAcquireFastMutexUnsafe(m);
                    Ex.ExReleaseFastMutexUnsafe(m);
                } else {
                    Ke.KeAcquireGuardedMutexUnsafe(m);
                    Ke.KeReleaseGuardedMutexUnsafe(m);
                }
            }
            case 4 -> { // acquire at DISPATCH_LEVEL
                Ke.KeRaiseIrqlToDpcLevel();
                acquire(fast, m);
            }
            case 5 -> { // hostile pointers to the initializers and the non-blocking routines
                MemorySegment bad = c.hostile(fast ? Kind.FAST_MUTEX : Kind.GUARDED_MUTEX, 0x38, false);
                switch (c.n(3)) {
                    case 0 -> {
                        if (fast) {
                            Ex.ExInitializeFastMutex(bad);
                        } else {
                            Ke.KeInitializeGuardedMutex(bad);
                        }
                    }
                    case 1 -> {
                        if (fast ? Ex.ExTryToAcquireFastMutex(bad) : Ke.KeTryToAcquireGuardedMutex(bad)) {
                            release(fast, bad);
                        }
                    }
                    default -> release(fast, bad);
                }
            }
            case 6 -> { // blocking acquire of a pointer that is no mutex: refused before any wait
                MemorySegment bad = c.blockingArg(m, fast ? Kind.FAST_MUTEX : Kind.GUARDED_MUTEX, 0x38, 1.0);
                acquire(fast, bad);
                release(fast, bad);
            }
            case 7 -> { // scribbled, then try-acquire and release (never a blocking acquire)
                c.scribble(m);
                if (fast ? Ex.ExTryToAcquireFastMutex(m) : Ke.KeTryToAcquireGuardedMutex(m)) {
                    release(fast, m);
                }
            }
            default -> { // released by the unsafe variant after a safe acquire
                acquire(fast, m);
                if (fast) {
                    Ex.ExReleaseFastMutexUnsafe(m);
                } else {
                    Ke.KeReleaseGuardedMutexUnsafe(m);
                }
            }
        }
    }

    private static void acquire(boolean fast, MemorySegment m) {
        if (fast) {
            Ex.ExAcquireFastMutex(m);
        } else {
            Ke.KeAcquireGuardedMutex(m);
        }
    }

    private static void release(boolean fast, MemorySegment m) {
        if (fast) {
            Ex.ExReleaseFastMutex(m);
        } else {
            Ke.KeReleaseGuardedMutex(m);
        }
    }

    static void regions(Ctx c) {
        c.dirty = true;
        for (int i = 0; i < 1 + c.n(4); i++) {
            switch (c.n(4)) {
                case 0 -> Ke.KeEnterCriticalRegion();
                case 1 -> Ke.KeLeaveCriticalRegion();
                case 2 -> Ke.KeEnterGuardedRegion();
                default -> Ke.KeLeaveGuardedRegion();
            }
        }
    }
}
