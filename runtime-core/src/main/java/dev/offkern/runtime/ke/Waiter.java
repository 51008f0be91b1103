package dev.offkern.runtime.ke;

import java.lang.foreign.MemorySegment;

/**
 * A thread's Java-side waiting state: which wait blocks it has linked, and how its wait ended.
 * One per thread and kernel thread state, reused for every wait (no allocation per wait).
 * {@code blocks}/{@code count} are written by the owning thread before it enqueues under the
 * dispatcher lock and read by signallers under that lock; {@code status} is the hand-off.
 */
final class Waiter {
    /** {@link #status} while the wait is in progress. */
    static final int PENDING = -1;

    final Thread thread;
    final long kthread;
    /** Segment holding the wait blocks, the blocks' offset in it, and their address. */
    MemorySegment blocks;
    long blocksOffset;
    long blocksAddress;
    int count;
    /** PENDING, or the NTSTATUS the wait ended with (written under the dispatcher lock). */
    volatile int status = PENDING;

    Waiter(Thread thread, long kthread) {
        this.thread = thread;
        this.kthread = kthread;
    }
}
