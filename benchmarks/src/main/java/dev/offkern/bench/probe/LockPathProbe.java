package dev.offkern.bench.probe;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.KeGuardedMutex;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A plain-loop probe of the lock paths of issue 10 (uncontended, one thread) and their peers, in the
 * style of {@link MemoryPathProbe}: each case runs {@code probe.rounds} rounds of {@code probe.ops}
 * acquire+release pairs (each around a one-word critical section) and reports the fastest round in
 * ns per pair; the minimum filters out the other processes of a shared machine. Its DDI cases use only
 * routines that existed before the architecture change, so those compile against an old benchmarks jar
 * for an A/B comparison (the floor cases use today's layout constants). Run: {@code java -cp benchmarks/target/benchmarks.jar
 * dev.offkern.bench.probe.LockPathProbe [filter]} with the benchmarks' JVM options (verifier off:
 * {@code -Doffkern.verifier=false}).
 */
public final class LockPathProbe {
    private static final int OPS = ProbeCase.OPS;
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final ThreadLocal<int[]> PEER = ThreadLocal.withInitial(() -> new int[1]);

    private static long counter;
    /** Never set: the loops "as JMH's" test it on every pass, as JMH's measured loop tests its isDone flag. */
    private static volatile boolean stop;

    private LockPathProbe() {
    }

    public static void main(String[] args) {
        String filter = args.length > 0 ? args[0] : "";
        try (Kernel kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false))) {
            kernel.attach();
            MemorySegment spinLock = kernel.nonPagedPool().allocate(64, 64);
            MemorySegment queuedLock = kernel.nonPagedPool().allocate(64, 64);
            MemorySegment handle = kernel.nonPagedPool().allocate(64, 64);
            MemorySegment fastMutex = kernel.nonPagedPool().allocate(64, 64);
            MemorySegment guardedMutex = kernel.nonPagedPool().allocate(64, 64);
            MemorySegment word = kernel.nonPagedPool().allocate(64, 64);
            Ke.KeInitializeSpinLock(spinLock);
            Ke.KeInitializeSpinLock(queuedLock);
            Ex.ExInitializeFastMutex(fastMutex);
            Ke.KeInitializeGuardedMutex(guardedMutex);
            ReentrantLock reentrantLock = new ReentrantLock();
            Object monitor = new Object();
            List<ProbeCase> cases = new ArrayList<>();
            cases.add(new ProbeCase("peer ReentrantLock lock+unlock", () -> loopReentrant(reentrantLock)));
            cases.add(new ProbeCase("peer synchronized", () -> loopSynchronized(monitor)));
            cases.add(new ProbeCase("peer ThreadLocal get+set (as IrqlBenchmark)", LockPathProbe::loopThreadLocal));
            cases.add(new ProbeCase("floor CAS+setRelease on the lock word", () -> loopRawCas(word)));
            MemorySegment mcsWord = kernel.nonPagedPool().allocate(64, 64);
            MemorySegment mcsHandle = kernel.nonPagedPool().allocate(64, 64);
            cases.add(new ProbeCase("floor MCS: XCHG+CAS and the handle's stores", () -> loopMcs(mcsWord, mcsHandle, false, null, false, false)));
            // The in-stack queued lock's additions to the floor, as the DDI pair makes them: the caller's thread state on
            // both calls, then also the check that the handle lies in registered memory (a successor follows its
            // address), memoized by the address space's generation as KeQueuedSpinLock does.
            cases.add(new ProbeCase("floor MCS + ThreadState.current() x2",
                    () -> loopMcs(mcsWord, mcsHandle, true, null, false, false)));
            cases.add(new ProbeCase("floor MCS + ThreadState.current() x2 + the handle's region check",
                    () -> loopMcs(mcsWord, mcsHandle, true, kernel.addressSpace(), false, false)));
            cases.add(new ProbeCase("floor MCS + lookups + handle check + IRQL to DISPATCH_LEVEL and back",
                    () -> loopMcs(mcsWord, mcsHandle, true, kernel.addressSpace(), true, false)));
            cases.add(new ProbeCase("floor MCS + lookups + handle check + IRQL + the arguments' segment checks",
                    () -> loopMcs(mcsWord, mcsHandle, true, kernel.addressSpace(), true, true)));
            MemorySegment floorMutex = kernel.nonPagedPool().allocate(64, 64);
            Ex.ExInitializeFastMutex(floorMutex);
            cases.add(new ProbeCase("floor FAST_MUTEX: CAS, xadd, Owner and OldIrql", () -> loopRawFastMutex(floorMutex)));
            cases.add(new ProbeCase("ThreadState.current() x2", LockPathProbe::loopCurrent));
            cases.add(new ProbeCase("KeRaiseIrql+KeLowerIrql", LockPathProbe::loopIrql));
            cases.add(new ProbeCase("KeAcquireSpinLock+KeReleaseSpinLock", () -> loopSpin(spinLock)));
            cases.add(new ProbeCase("KeAcquire/ReleaseInStackQueuedSpinLock", () -> loopQueued(queuedLock, handle)));
            cases.add(new ProbeCase("KeQueuedSpinLock.acquire/release (the routines without the Ke facade)",
                    () -> loopQueuedRuntime(queuedLock, handle)));
            cases.add(new ProbeCase("KeAcquireSpinLock+release, loop as JMH's", () -> loopSpinFlag(spinLock)));
            cases.add(new ProbeCase("peer ReentrantLock, loop as JMH's", () -> loopReentrantFlag(reentrantLock)));
            LockHolder holder = new LockHolder(spinLock);
            cases.add(new ProbeCase("KeAcquireSpinLock+release, lock read from a field", () -> loopSpinField(holder)));
            cases.add(new ProbeCase("ExAcquireFastMutex+ExReleaseFastMutex", () -> loopFast(fastMutex)));
            cases.add(new ProbeCase("KeAcquireGuardedMutex+KeReleaseGuardedMutex", () -> loopGuarded(guardedMutex)));
            ProbeCase.runAll(cases, filter);
        }
    }

    private static long loopReentrant(ReentrantLock lock) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            lock.lock();
            try {
                s += ++counter;
            } finally {
                lock.unlock();
            }
        }
        return s;
    }

    private static long loopSynchronized(Object monitor) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            synchronized (monitor) {
                s += ++counter;
            }
        }
        return s;
    }

    private static long loopThreadLocal() {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            int[] t = PEER.get();
            int old = t[0];
            t[0] = Irql.DISPATCH_LEVEL;
            PEER.get()[0] = old;
            s += old;
        }
        return s;
    }

    private static long loopRawCas(MemorySegment word) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            while (!WORD.compareAndSet(word, 0L, 0L, 1L)) {
                Thread.onSpinWait();
            }
            s += ++counter;
            WORD.setRelease(word, 0L, 0L);
        }
        return s;
    }


    /**
     * The in-stack queued lock's irreducible work, uncontended: what KeAcquire/ReleaseInStackQueuedSpinLock
     * write and the two locked instructions MCS needs (enqueue by exchange, leave by compare-and-swap),
     * on the same kind of memory; then, one at a time, what the routines add to it. With {@code lookups}, the
     * thread-state lookup of each call; when {@code space} is given, the handle's region check of the acquire (a
     * generation read, then the memoized region's range test, a lookup when it misses); with {@code irql}, the IRQL's
     * raise to DISPATCH_LEVEL and lower back (through {@code Irql.lowerUnchecked} both ways: its store, and the
     * lower's pending-DPC read); with {@code checks}, the tests the routines make of their segment arguments (live,
     * native, large enough, aligned) on each call. Run a case alone ({@code =name}): the cases share this loop.
     */
    private static long loopMcs(MemorySegment word, MemorySegment handle, boolean lookups, AddressSpace space,
            boolean irql, boolean checks) {
        long me = handle.address();
        long lock = word.address();
        Region memo = null;
        long memoGeneration = -1;
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            ThreadState t = lookups ? ThreadState.current() : null;
            if (checks) {
                requireUsable(word, 8);
                requireUsable(handle, 24);
            }
            if (space != null) {
                long generation = space.generation();
                if (memo == null || memoGeneration != generation || !memo.contains(me, 16)) {
                    memo = space.regionOf(me, 16);
                    memoGeneration = generation;
                }
            }
            WORD.set(handle, 0L, 0L); // Next := 0
            WORD.set(handle, 8L, lock | 2L); // Lock := the word | OWNER
            if ((long) WORD.getAndSet(word, 0L, me) != 0L) { // XCHG: enqueue
                throw new IllegalStateException("the floor's lock word was not free");
            }
            int old = lookups ? t.irql() : 0;
            handle.set(ValueLayout.JAVA_BYTE, 16L, (byte) old); // OldIrql
            if (irql) {
                Irql.lowerUnchecked(t, Irql.DISPATCH_LEVEL); // an unchecked store of the level: the raise's work
            }
            s += ++counter;
            ThreadState u = lookups ? ThreadState.current() : null;
            if (checks) {
                requireUsable(handle, 24);
            }
            long next = (long) WORD.getAcquire(handle, 0L);
            WORD.set(handle, 8L, lock); // clear OWNER
            if (next != 0L || !WORD.compareAndSet(word, 0L, me, 0L)) { // CAS: leave
                throw new IllegalStateException("the floor's queue had a successor");
            }
            if (irql) {
                Irql.lowerUnchecked(u, old);
            }
            if (lookups) {
                s += u.irql();
            }
        }
        return s;
    }

    /** The routines' test of a segment argument, as KeQueuedSpinLock.checkHandle makes it. */
    private static void requireUsable(MemorySegment s, long size) {
        if (!s.scope().isAlive() || !s.isNative() || s.address() == 0 || s.byteSize() < size || (s.address() & 7) != 0) {
            throw new IllegalArgumentException("not a usable segment: " + s);
        }
    }

    /**
     * The fast mutex's irreducible work, uncontended: what ExAcquireFastMutex and ExReleaseFastMutex must
     * do to the FAST_MUTEX in Windows' protocol — the CAS that takes Count from FM_LOCK_BIT to 0, the Owner
     * and OldIrql stores, the Owner clear and the locked add that gives FM_LOCK_BIT back (an add, not a
     * store: the release must see the waiters it has to wake) — on pool memory through checked segment
     * accesses, as the routines make them, without thread-state lookups, IRQL bookkeeping or argument
     * checks. The guarded mutex does the same minus OldIrql.
     */
    private static long loopRawFastMutex(MemorySegment mutex) {
        long owner = mutex.address(); // any non-zero KTHREAD-like value
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            if ((int) INT.compareAndExchange(mutex, FAST_MUTEX.COUNT_OFFSET, KeGuardedMutex.FM_LOCK_BIT, 0)
                    != KeGuardedMutex.FM_LOCK_BIT) {
                throw new IllegalStateException("the floor's mutex was not free");
            }
            WORD.set(mutex, FAST_MUTEX.OWNER_OFFSET, owner);
            INT.set(mutex, FAST_MUTEX.OLD_IRQL_OFFSET, Irql.PASSIVE_LEVEL);
            s += ++counter;
            s += (int) INT.get(mutex, FAST_MUTEX.OLD_IRQL_OFFSET);
            WORD.set(mutex, FAST_MUTEX.OWNER_OFFSET, 0L);
            if ((int) INT.getAndAdd(mutex, FAST_MUTEX.COUNT_OFFSET, KeGuardedMutex.FM_LOCK_BIT) != 0) {
                throw new IllegalStateException("the floor's mutex had waiters");
            }
        }
        return s;
    }

    private static long loopCurrent() {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            s += ThreadState.current().irql();
            s += ThreadState.current().irql();
        }
        return s;
    }

    private static long loopIrql() {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            int old = Ke.KeRaiseIrql(Irql.DISPATCH_LEVEL);
            Ke.KeLowerIrql(old);
            s += old;
        }
        return s;
    }

    private static long loopSpin(MemorySegment lock) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            int old = Ke.KeAcquireSpinLock(lock);
            s += ++counter;
            Ke.KeReleaseSpinLock(lock, old);
        }
        return s;
    }

    /**
     * loopSpin with a loop shaped as JMH's measured loop: a volatile flag read on every pass and a
     * separate pass counter, instead of a counted loop (see docs/performance.md, "Inlining").
     */
    private static long loopSpinFlag(MemorySegment lock) {
        long s = 0;
        int i = 0;
        do {
            int old = Ke.KeAcquireSpinLock(lock);
            s += ++counter;
            Ke.KeReleaseSpinLock(lock, old);
        } while (++i < OPS && !stop);
        return s;
    }

    /** A caller's object that holds its lock's segment in a field, as JMH's @State objects (and most callers) do. */
    private static final class LockHolder {
        MemorySegment lock;

        LockHolder(MemorySegment lock) {
            this.lock = lock;
        }
    }

    /**
     * loopSpin with the lock's segment read from a field on every pass: as the field may change, the JIT
     * cannot check the segment once for the whole loop (bounds, alignment, read-only, its arena), which it
     * can for the loop-invariant local of loopSpin.
     */
    private static long loopSpinField(LockHolder holder) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            int old = Ke.KeAcquireSpinLock(holder.lock);
            s += ++counter;
            Ke.KeReleaseSpinLock(holder.lock, old);
        }
        return s;
    }

    /** loopReentrant, shaped as loopSpinFlag. */
    private static long loopReentrantFlag(ReentrantLock lock) {
        long s = 0;
        int i = 0;
        do {
            lock.lock();
            try {
                s += ++counter;
            } finally {
                lock.unlock();
            }
        } while (++i < OPS && !stop);
        return s;
    }

    private static long loopQueuedRuntime(MemorySegment lock, MemorySegment handle) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            dev.offkern.runtime.ke.KeQueuedSpinLock.acquire(lock, handle);
            s += ++counter;
            dev.offkern.runtime.ke.KeQueuedSpinLock.release(handle);
        }
        return s;
    }

    private static long loopQueued(MemorySegment lock, MemorySegment handle) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            Ke.KeAcquireInStackQueuedSpinLock(lock, handle);
            s += ++counter;
            Ke.KeReleaseInStackQueuedSpinLock(handle);
        }
        return s;
    }

    private static long loopFast(MemorySegment mutex) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            Ex.ExAcquireFastMutex(mutex);
            s += ++counter;
            Ex.ExReleaseFastMutex(mutex);
        }
        return s;
    }

    private static long loopGuarded(MemorySegment mutex) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            Ke.KeAcquireGuardedMutex(mutex);
            s += ++counter;
            Ke.KeReleaseGuardedMutex(mutex);
        }
        return s;
    }
}
