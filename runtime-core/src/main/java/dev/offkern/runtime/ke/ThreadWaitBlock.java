package dev.offkern.runtime.ke;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread's wait block: a small native block through which one thread blocks until another
 * signals it, and whose address can be stored in a kernel structure (the active EX_RUNDOWN_REF word,
 * the RTL_RUN_ONCE waiter list).
 *
 * <p>Windows builds such blocks on the waiter's stack ({@code EX_RUNDOWN_WAIT_BLOCK} = a count and
 * a KEVENT; RTL_RUN_ONCE's waiter nodes woken by keyed events). A Java stack has no address, so
 * offkern gives every thread that ever waits one block of its own, allocated once and registered in
 * the kernel's address space: the pointer stored in a structure is a real address that other threads
 * resolve through {@link dev.offkern.runtime.mm.AddressSpace#regionOf} (an address outside every
 * region is bug check 0x50, never a crash). A thread waits on at most one thing at a time, so one
 * block per thread suffices.
 *
 * <p>Layout (offkern-private, 64 bytes, 64-byte aligned):
 * <pre>
 *  0x00  ULONG_PTR Word        use-defined: the rundown wait block's Count, a run-once node's Next
 *  0x08  LONG      Signaled    the "event": 0 not signaled, 1 signaled (later: a KEVENT)
 *  0x0C  ULONG     WaiterSlot  index of the owning thread in the waiter table
 *  0x10  ...       reserved, zero
 * </pre>
 *
 * <p><b>Later: KEVENT.</b> When dispatcher objects exist, {@code Signaled} becomes a real
 * synchronization KEVENT and {@link #await()} becomes {@code KeWaitForSingleObject}. Until then the
 * waiter spins briefly, then parks with {@link LockSupport}; the signaller sets {@code Signaled} and
 * unparks the owner, found through the waiter table.
 *
 * <p>Progress: {@link #await()} is blocking; {@link #signal(long)} is wait-free (one volatile store
 * and an unpark). Neither allocates once a thread's block exists.
 */
public final class ThreadWaitBlock {

    /* Implementation overview
     *
     * Ownership: a block belongs to one thread for the thread's life; only the owner calls arm() and
     * await(). Any thread may call signal(address) on a block whose address it read from a structure,
     * and it must do so while the owner is still waiting (the protocols above guarantee it: the
     * rundown waiter cannot return before the last release signals it; the run-once waker unlinks a
     * node before signalling it). After the Signaled store the block may be re-armed by its owner at
     * any moment, so signal() reads the owner thread BEFORE that store and never touches the block
     * after it.
     *
     * Waiter table: slot -> Thread, a copy-on-write array grown under the class lock (rare: once per
     * new waiting thread). A slot whose thread has terminated is reused. The owner writes its slot
     * before publishing the block's address with a volatile CAS on the structure; the signaller
     * reads the structure (volatile) before reading the slot, so it sees the slot's thread.
     *
     * Kernels: a block is registered in the address space of the kernel the thread used when it first
     * waited; a thread that later waits under another kernel gets a new block registered there. A
     * block stays registered until its kernel is gone (64 bytes per waiting thread per kernel).
     */

    /** Bytes per block. */
    public static final long SIZE = 64;
    /** ULONG_PTR: use-defined word (rundown: outstanding holders; run-once: next node address). */
    public static final long WORD_OFFSET = 0;
    /** LONG: 0 = not signaled, 1 = signaled. */
    public static final long SIGNALED_OFFSET = 8;
    /** ULONG: index of the owner in the waiter table. */
    public static final long WAITER_SLOT_OFFSET = 12;

    /** Polls of {@code Signaled} before parking: long enough for a release already on its way. */
    private static final int SPIN_LIMIT = 256;

    private static final ThreadLocal<ThreadWaitBlock> CURRENT = new ThreadLocal<>();
    /** Slot -> owner thread; replaced whole on growth (copy-on-write), read without locking. */
    private static volatile Thread[] waiters = new Thread[16];

    private final Kernel kernel;
    private final MemorySegment block;
    private final long address;
    private final int slot;

    private ThreadWaitBlock(Kernel kernel) {
        this.kernel = kernel;
        this.block = Arena.ofAuto().allocate(SIZE, SIZE); // zeroed; lives while the region refers to it
        this.address = block.address();
        this.slot = claimSlot(Thread.currentThread());
        block.set(ValueLayout.JAVA_INT, WAITER_SLOT_OFFSET, slot);
        kernel.addressSpace().register(block, "wait block of thread " + Thread.currentThread().threadId());
    }

    /** The calling thread's wait block in {@code kernel}'s address space (created on first use). */
    public static ThreadWaitBlock of(Kernel kernel) {
        ThreadWaitBlock b = CURRENT.get();
        if (b == null || b.kernel != kernel) {
            b = new ThreadWaitBlock(kernel);
            CURRENT.set(b);
        }
        return b;
    }

    /** The block's address: what a structure stores. 64-byte aligned, so its low 6 bits are clear. */
    public long address() {
        return address;
    }

    /** The block's memory (owner only: for setting {@link #WORD_OFFSET} before publishing). */
    public MemorySegment segment() {
        return block;
    }

    /** Owner: clears {@code Signaled} and sets the word, before the address is published. */
    public void arm(long word) {
        block.set(ValueLayout.JAVA_LONG, WORD_OFFSET, word);
        // Plain-enough: both stores are published by the volatile CAS that stores the block's address.
        SIGNALED.setVolatile(block, SIGNALED_OFFSET, 0);
    }

    /**
     * Owner: blocks until {@link #signal(long)} sets {@code Signaled}; spins briefly first.
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

    /**
     * Signals the wait block at {@code address} (resolved in {@code kernel}'s address space) and wakes
     * its owner. The caller must know that the owner is still waiting on it.
     *
     * @throws dev.offkern.runtime.verifier.BugCheck PAGE_FAULT_IN_NONPAGED_AREA if no region holds the block
     */
    public static void signal(Kernel kernel, long address) {
        Region r = kernel.addressSpace().regionOf(address, SIZE);
        MemorySegment seg = r.segment();
        long off = r.offsetOf(address);
        int slot = seg.get(ValueLayout.JAVA_INT, off + WAITER_SLOT_OFFSET);
        Thread[] table = waiters; // volatile read; the slot was written before the address was published
        Thread owner = slot >= 0 && slot < table.length ? table[slot] : null;
        SIGNALED.setVolatile(seg, off + SIGNALED_OFFSET, 1); // release: the owner may return and reuse the block now
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
