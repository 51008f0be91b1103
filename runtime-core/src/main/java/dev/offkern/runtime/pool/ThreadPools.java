package dev.offkern.runtime.pool;

import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.ThreadState;
import java.lang.foreign.MemorySegment;

/**
 * One thread's record of one kernel's two pools, for the pool routines of the DDI
 * ({@code ExAllocatePool2} and family, {@code ExFreePoolWithTag}): the kernel's {@link Pools} and the
 * thread's {@link ThreadCache} of each pool. A routine finds it with one per-thread lookup,
 * {@link #cached()} (a table indexed by thread id, then the kernel's run state), and only on a miss
 * through the thread's {@link ThreadState} ({@link #of}), which keeps the record for its kernel. The
 * methods are {@link Pools}' DDI methods with the same policy and checks.
 *
 * <p>Implementation overview.
 * <ul>
 *   <li>Why a table: a {@code ThreadLocal} hit measured ~9 ns per call inside the DDI pair (its chain of
 *   dependent loads: thread → map → table → entry → value, on the critical path of everything after it),
 *   against ~4 ns for the thread-id table (thread → id → entry, owner compared);
 *   docs/performance.md "Pool".</li>
 *   <li>Validity: an entry is used only by the thread that made it ({@link #owner}, final; the table is
 *   read and written with plain accesses, so another thread's entry, or a stale one, is just a miss), and
 *   only while its kernel runs ({@link KernelCore#isRunningFast}: a closed or halted kernel sends the call
 *   to {@link ThreadState#current()}, which reports it or lets the bug check's own thread through). A thread
 *   changes kernels only through {@code Kernel.attach()}/{@code detach()}, which drop its entry
 *   ({@link #forgetCallingThread}); {@code Kernel.close()} drops every entry of its pools ({@link #forget}).</li>
 *   <li>No reference to the thread's state: an entry of an ended thread stays until another thread takes its
 *   slot, and a state reachable from it would keep the thread's KTHREAD (its ETHREAD) alive. The verifier's
 *   IRQL checks therefore read the IRQL through {@link ThreadState#current()} (their second lookup, only
 *   under the verifier). The state refers to the record (the slow path's reuse), not the other way round.</li>
 *   <li>The caches are the ones {@link Pool}'s own lookup finds for the thread, fetched on first use of each
 *   pool: one cache per thread and pool whichever way it is reached, so the per-thread tag counters, the
 *   driver owner ({@link Pool#setThreadOwner}) and the reclaim of an ended thread's blocks are unchanged.</li>
 * </ul>
 *
 * <p>Thread-confined: only {@link #owner} uses its record.
 */
public final class ThreadPools {
    /** Entries of the table: a power of two (thread ids are dense, mostly). */
    private static final int TABLE_SIZE = 1024;
    /**
     * Thread id (mod {@link #TABLE_SIZE}) to that thread's record for its current kernel: a racy hint
     * (plain reads and writes; see the overview). JVM-wide: the kernel is what the lookup finds.
     */
    private static final ThreadPools[] BY_THREAD = new ThreadPools[TABLE_SIZE];

    private final Thread owner;
    private final KernelCore kernel;
    private final Pools pools;
    /** The thread's cache of the non-paged and of the paged pool; null until that pool is first used here. */
    private ThreadCache nonPaged;
    private ThreadCache paged;

    private ThreadPools(Thread owner, KernelCore kernel, Pools pools) {
        this.owner = owner;
        this.kernel = kernel;
        this.pools = pools;
    }

    /**
     * The calling thread's record for its kernel if the table holds it and the kernel runs, else null
     * (then: {@link ThreadState#current()} and {@link #of}).
     */
    public static ThreadPools cached() {
        Thread t = Thread.currentThread();
        ThreadPools r = BY_THREAD[slot(t)];
        return r != null && r.owner == t && r.kernel.isRunningFast() ? r : null;
    }

    /**
     * The record of {@code pools} that {@code state} keeps, made and kept there on first use, and entered
     * in the table for the calling thread. Call on the state's own thread, with the pools of the state's
     * kernel.
     *
     * @throws IllegalStateException if {@code state} belongs to another thread
     */
    public static ThreadPools of(ThreadState state, Pools pools) {
        Thread t = Thread.currentThread();
        if (state.thread() != t) {
            throw new IllegalStateException(state + " belongs to another thread");
        }
        ThreadPools r;
        if (state.pools() instanceof ThreadPools kept && kept.pools == pools) {
            r = kept;
        } else {
            r = new ThreadPools(t, state.kernel(), pools);
            state.setPools(r);
        }
        BY_THREAD[slot(t)] = r; // plain: a hint (see the overview)
        return r;
    }

    /** Drops the calling thread's table entry (it attaches to, or detaches from, a kernel). */
    public static void forgetCallingThread() {
        Thread t = Thread.currentThread();
        int i = slot(t);
        ThreadPools r = BY_THREAD[i];
        if (r != null && r.owner == t) {
            BY_THREAD[i] = null; // plain: only this thread uses the entry
        }
    }

    /**
     * Drops every table entry of {@code closed} (its kernel is closing: the entries' run-state checks
     * already fail; this releases the kernel's objects the entries of idle or ended threads would keep).
     * Plain writes: a thread that still read an entry finds its kernel not running.
     */
    public static void forget(Pools closed) {
        for (int i = 0; i < TABLE_SIZE; i++) {
            ThreadPools r = BY_THREAD[i];
            if (r != null && r.pools == closed) {
                BY_THREAD[i] = null;
            }
        }
    }

    private static int slot(Thread t) {
        return (int) t.threadId() & (TABLE_SIZE - 1);
    }

    /** The kernel's pools. */
    public Pools pools() {
        return pools;
    }

    /** The thread's cache of {@code pool}, one of {@link #pools}' two. */
    ThreadCache cache(Pool pool) {
        if (pool == pools.nonPaged()) {
            ThreadCache c = nonPaged;
            return c != null ? c : (nonPaged = pool.cache());
        }
        ThreadCache c = paged;
        return c != null ? c : (paged = pool.cache());
    }

    /** {@code ExAllocatePool2}: {@link Pools#allocatePool2} for this thread. */
    public MemorySegment allocatePool2(long flags, long bytes, int tag) {
        return pools.allocatePool2(this, flags, bytes, tag);
    }

    /** {@code ExAllocatePool3}: {@link Pools#allocatePool3} for this thread. */
    public MemorySegment allocatePool3(long flags, long bytes, int tag, MemorySegment parameters, int count) {
        return pools.allocatePool3(this, flags, bytes, tag, parameters, count);
    }

    /** {@code ExAllocatePoolWithTag}, {@code ExAllocatePoolZero}, {@code ExAllocatePool}: {@link Pools#allocateWithTag} for this thread. */
    public MemorySegment allocateWithTag(int poolType, long bytes, int tag, boolean zero, boolean driver) {
        return pools.allocateWithTag(this, poolType, bytes, tag, zero, driver);
    }

    /** {@code ExFreePoolWithTag}, {@code ExFreePool}: {@link Pools#free} for this thread. */
    public void free(long address, int tag) {
        pools.free(this, address, tag);
    }
}
