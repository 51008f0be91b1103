package dev.offkern.runtime.ke;

import dev.offkern.layout.ps.ETHREAD;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A thread's Java-side waiting state: which wait blocks it has linked, and how its wait ended
 * ({@link #status()}, mirrored in the thread's KTHREAD.WaitStatus). One per thread and kernel thread state, reused for
 * every wait (no allocation per wait). {@code blocks}/{@code count} are written by the owning thread
 * before it enqueues under the dispatcher lock and read by signallers under that lock; the status
 * is the hand-off.
 * {@code kernel} lets {@link Dispatcher#abortWaits} find the waits of a kernel that closes or
 * halts (the dispatcher's waiter map is the registry: no second structure to update per wait).
 */
final class Waiter {
    /** {@link #status()} while the wait is in progress. */
    static final int PENDING = -1;
    /** {@link #status} of a wait ended because its kernel halted (bug check, HALT policy); never an NTSTATUS. */
    static final int KERNEL_HALTED = -2;
    /** {@link #status} of a wait ended because its kernel closed; never an NTSTATUS. */
    static final int KERNEL_CLOSED = -3;

    final Thread thread;
    final long kthread;
    /** The kernel of the thread state this waiter belongs to. */
    final KernelCore kernel;
    /** Segment holding the wait blocks, the blocks' offset in it, and their address. */
    MemorySegment blocks;
    long blocksOffset;
    long blocksAddress;
    int count;
    /** The thread's KTHREAD (its Thread object body): WaitStatus holds the hand-off. */
    private final MemorySegment body;

    Waiter(Thread thread, MemorySegment body, KernelCore kernel) {
        this.thread = thread;
        this.body = body;
        this.kthread = body.address();
        this.kernel = kernel;
    }

    /**
     * The hand-off: PENDING, or the NTSTATUS the wait ended with (or an internal kernel-gone value).
     * KTHREAD.WaitStatus holds the same value; the waiter reads this Java copy because a close may
     * unmap its KTHREAD (pool memory) before it wakes to read the status.
     */
    private volatile int status = PENDING;

    /** The status (volatile read: pairs with {@link #setStatus}; the waiter's exit condition). */
    int status() {
        return status;
    }

    /**
     * Ends (or starts, with PENDING) the wait with {@code status}, under the dispatcher lock: first
     * KTHREAD.WaitStatus (plain: the volatile write below publishes it), then the hand-off (volatile
     * write: the linearization point of a wake).
     */
    void setStatus(int status) {
        WAIT_STATUS.set(body, ETHREAD.TCB_WAIT_STATUS_OFFSET, (long) status);
        this.status = status;
    }

    // ----- VarHandle mechanics -----
    /** KTHREAD.WaitStatus (LONGLONG): owned by this class's protocol. */
    private static final VarHandle WAIT_STATUS = ValueLayout.JAVA_LONG.varHandle();
}
