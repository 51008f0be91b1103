package dev.offkern.runtime.pool;

import dev.offkern.runtime.ke.ThreadState;
import java.lang.foreign.MemorySegment;

/**
 * One thread's record of its kernel's two pools, for the pool routines of the DDI
 * ({@code ExAllocatePool2} and family, {@code ExFreePoolWithTag}): the kernel's {@link Pools}, the
 * thread's {@link ThreadState} in that kernel, and the thread's {@link ThreadCache} of each pool. It hangs
 * off the thread's state ({@link ThreadState#pools()}), so a routine that has found the state (one
 * per-thread lookup: {@link ThreadState#current()}, which also checks that the kernel runs) reaches the
 * pools, its caches and, for the verifier's IRQL checks, its IRQL without another lookup. The methods
 * are {@link Pools}' DDI methods with the same policy and checks.
 *
 * <p>Implementation overview. The caches are the ones {@link Pool}'s own lookup finds for the thread
 * (the pool's table and ThreadLocal), fetched once on first use of each pool: one cache per thread and
 * pool whichever way it is reached, so the per-thread tag counters, the driver owner
 * ({@link Pool#setThreadOwner}) and the reclaim of a dead thread's blocks are unchanged. A record is
 * made per state ({@link #of}); a thread that re-attaches gets a new state and a new record with the
 * same caches. Nothing but the state refers to a record: the caches do not (a pool keeps every cache in
 * its list of caches, and a reference from there would keep the state, and its KTHREAD, alive).
 *
 * <p>Thread-confined: only the state's thread uses its record.
 */
public final class ThreadPools {
    private final Pools pools;
    private final ThreadState state;
    /** The thread's cache of the non-paged and of the paged pool; null until that pool is first used here. */
    private ThreadCache nonPaged;
    private ThreadCache paged;

    private ThreadPools(Pools pools, ThreadState state) {
        this.pools = pools;
        this.state = state;
    }

    /**
     * The record of {@code pools} that {@code state} holds, made and stored there on first use. Call on
     * the state's own thread, with the pools of the state's kernel.
     */
    public static ThreadPools of(ThreadState state, Pools pools) {
        if (state.pools() instanceof ThreadPools t && t.pools == pools) {
            return t;
        }
        if (state.thread() != Thread.currentThread()) {
            throw new IllegalStateException(state + " belongs to another thread");
        }
        ThreadPools t = new ThreadPools(pools, state);
        state.setPools(t);
        return t;
    }

    /** The kernel's pools. */
    public Pools pools() {
        return pools;
    }

    /** The thread's state (whose IRQL the verifier's checks read). */
    ThreadState state() {
        return state;
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
