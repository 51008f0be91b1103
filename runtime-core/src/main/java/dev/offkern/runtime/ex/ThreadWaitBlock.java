package dev.offkern.runtime.ex;

import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.nt.PoolTags;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * A wait block: a small native block through which one thread blocks until another signals it, and
 * whose address can be stored in a kernel structure (the active EX_RUNDOWN_REF word, the
 * RTL_RUN_ONCE waiter list).
 *
 * <p>Windows builds such blocks on the waiter's stack ({@code EX_RUNDOWN_WAIT_BLOCK} = a count and
 * a KEVENT; RTL_RUN_ONCE's waiter nodes woken by keyed events). A Java stack has no address, so
 * offkern takes the block from the kernel's non-paged pool for the duration of one wait (tag
 * {@code OkWb}, 64 bytes, cache aligned) and frees it when the wait is over: the pointer stored in a
 * structure is a real pool address that other threads resolve through
 * {@link dev.offkern.runtime.mm.AddressSpace#regionOf} (an address outside every region is bug check
 * 0x50, never a crash).
 *
 * <p>Layout (offkern-private, 64 bytes, 64-byte aligned so the low bits of its address are free for
 * the structures' state bits):
 * <pre>
 *  0x00  ULONG_PTR Word        use-defined: the rundown wait block's Count, a run-once node's Next
 *  0x08  LONG      Signaled    the "event": 0 not signaled, 1 signaled (later: a KEVENT)
 *  0x0C  ULONG     WaiterSlot  index of the waiting thread in the waiter table
 *  0x10  ...       reserved, zero
 * </pre>
 *
 * <p><b>Later: KEVENT.</b> When dispatcher objects exist, {@code Signaled} becomes a real
 * synchronization KEVENT and {@link #await()} becomes {@code KeWaitForSingleObject}. Until then the
 * waiter spins briefly, then parks with {@link LockSupport}; the signaller sets {@code Signaled} and
 * unparks the owner, found through the waiter table.
 *
 * <p>Progress: {@link #await()} is blocking; {@link #signal} is wait-free (one volatile store and an
 * unpark). Allocation (one pool block and this small object per wait) happens only on the blocking
 * slow paths.
 */
public final class ThreadWaitBlock implements AutoCloseable {

    /* Implementation overview
     *
     * Ownership: a block belongs to the thread that allocated it, for one wait; only the owner calls
     * arm(), await() and close(). Any thread may call signal(address) on a block whose address it read
     * from a structure, and it must do so while the owner is still waiting (the protocols guarantee
     * it: the rundown waiter cannot return before the last release signals it; the run-once waker
     * detaches the list before signalling). After the Signaled store the owner may return and free
     * the block at any moment, so signal() reads the owner thread BEFORE that store and never touches
     * the block after it.
     *
     * Waiter table: slot -> Thread, a copy-on-write array grown under the class lock; each thread
     * claims a slot once (cached in a ThreadLocal) and a slot whose thread has terminated is reused.
     * The owner writes its slot into the block before publishing the block's address with a volatile
     * CAS on the structure; the signaller reads the structure (volatile) before reading the slot.
     */

    /** Bytes per block. */
    public static final long SIZE = 64;
    /** ULONG_PTR: use-defined word (rundown: outstanding holders; run-once: next node address). */
    public static final long WORD_OFFSET = 0;
    /** LONG: 0 = not signaled, 1 = signaled. */
    public static final long SIGNALED_OFFSET = 8;
    /** ULONG: index of the owner in the waiter table. */
    public static final long WAITER_SLOT_OFFSET = 12;
    /** Pool tag of wait blocks: 'OkWb'. */
    public static final int TAG = PoolTags.tag("OkWb");

    /** Polls of {@code Signaled} before parking: long enough for a release already on its way. */
    private static final int SPIN_LIMIT = 256;

    private static final ThreadLocal<int[]> SLOT = ThreadLocal.withInitial(() -> new int[] {claimSlot(Thread.currentThread())});
    /** Slot -> owner thread; replaced whole on growth (copy-on-write), read without locking. */
    private static volatile Thread[] waiters = new Thread[16];

    private final Pool pool;
    private final long address;
    private final MemorySegment block;

    private ThreadWaitBlock(Pool pool, long address, MemorySegment block) {
        this.pool = pool;
        this.address = address;
        this.block = block;
    }

    /**
     * A wait block for the calling thread, from {@code kernel}'s non-paged pool. Close it when the
     * wait is over.
     *
     * @throws dev.offkern.nt.NtStatusException STATUS_INSUFFICIENT_RESOURCES if the pool is exhausted
     */
    public static ThreadWaitBlock allocate(Kernel kernel) {
        Pool pool = kernel.nonPagedPool();
        long a = pool.allocate(SIZE, TAG, PoolFlags.POOL_FLAG_CACHE_ALIGNED | PoolFlags.POOL_FLAG_RAISE_ON_FAILURE);
        MemorySegment seg = pool.segmentOf(a); // zeroed by the pool
        seg.set(ValueLayout.JAVA_INT, WAITER_SLOT_OFFSET, SLOT.get()[0]);
        return new ThreadWaitBlock(pool, a, seg);
    }

    /** The block's address: what a structure stores. 64-byte aligned, so its low 6 bits are clear. */
    public long address() {
        return address;
    }

    /** The block's memory (owner only). */
    public MemorySegment segment() {
        return block;
    }

    /** Owner: clears {@code Signaled} and sets the word, before the address is published. */
    public void arm(long word) {
        block.set(ValueLayout.JAVA_LONG, WORD_OFFSET, word);
        // Both stores are published by the volatile CAS that stores the block's address.
        SIGNALED.setVolatile(block, SIGNALED_OFFSET, 0);
    }

    /**
     * Owner: blocks until {@link #signal} sets {@code Signaled}; spins briefly first.
     * Non-alertable, as {@code KeWaitForSingleObject(..., KernelMode, FALSE, NULL)}: an interrupt does
     * not end the wait; the thread's interrupt status is restored on return.
     */
    public void await() {
        for (int i = 0; i < SPIN_LIMIT; i++) {
            if ((int) SIGNALED.getVolatile(block, SIGNALED_OFFSET) != 0) { // acquire: pairs with signal's volatile store
                return;
            }
            Thread.onSpinWait();
        }
        boolean interrupted = false;
        while ((int) SIGNALED.getVolatile(block, SIGNALED_OFFSET) == 0) { // acquire: pairs with signal's volatile store
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true; // non-alertable: keep waiting, report the interrupt afterwards
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Owner: returns the block to the pool (the wait is over; nobody refers to it any more). */
    @Override
    public void close() {
        pool.free(address, TAG);
    }

    /**
     * Signals the wait block at {@code address} (resolved in {@code kernel}'s address space) and wakes
     * its owner. The caller must know that the owner is still waiting on it.
     *
     * @throws dev.offkern.nt.BugCheck PAGE_FAULT_IN_NONPAGED_AREA if no region holds the block
     */
    public static void signal(Kernel kernel, long address) {
        Region r = kernel.addressSpace().regionOf(address, SIZE);
        MemorySegment seg = r.segment();
        long off = r.offsetOf(address);
        int slot = seg.get(ValueLayout.JAVA_INT, off + WAITER_SLOT_OFFSET);
        Thread[] table = waiters; // volatile read; the slot was written before the address was published
        Thread owner = slot >= 0 && slot < table.length ? table[slot] : null;
        SIGNALED.setVolatile(seg, off + SIGNALED_OFFSET, 1); // release: the owner may return and free the block now
        if (owner != null) {
            LockSupport.unpark(owner); // a stale unpark after the owner returned is harmless (park loops)
        }
    }

    private static synchronized int claimSlot(Thread t) {
        Thread[] table = waiters;
        for (int i = 0; i < table.length; i++) {
            if (table[i] == null || !table[i].isAlive()) {
                Thread[] next = table.clone();
                next[i] = t;
                waiters = next; // volatile write: publish the new table
                return i;
            }
        }
        Thread[] next = Arrays.copyOf(table, table.length * 2);
        next[table.length] = t;
        waiters = next; // volatile write: publish the grown table
        return table.length;
    }

    // ===== VarHandle mechanics =====

    /** LONG Signaled, (MemorySegment, long offset) coordinates; volatile mode on both sides. */
    private static final VarHandle SIGNALED = ValueLayout.JAVA_INT.varHandle();
}
