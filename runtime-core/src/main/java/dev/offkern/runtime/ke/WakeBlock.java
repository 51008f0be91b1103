package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.MemorySegment;

/**
 * A thread's wake block: the {@code WakeBlock} of its {@link OFFKERN_THREAD_BLOCK} (which follows
 * its ETHREAD in the Thread object body; Windows has no KTHREAD field for it) — one
 * pointer-sized word and a SynchronizationEvent — through which the executive's own waits block:
 * {@code ExWaitForRundownProtectionRelease} (the word is an EX_RUNDOWN_WAIT_BLOCK's Count) and a
 * {@code RtlRunOnceBeginInitialize} that meets an initialization in progress (the word links the
 * next waiter's node). A structure stores the block's address (with its state bits) so that the
 * thread that ends the wait finds it; Windows keeps the same block on the waiter's stack.
 *
 * <h2>One wait mechanism</h2>
 * The waiter sleeps with {@link #await}: an ordinary dispatcher wait ({@link KeWait}) on the
 * block's event, through the thread's own KWAIT_BLOCK. So these waits end as every dispatcher wait
 * does when the kernel goes away: {@code Kernel.close()} or a HALT bug check unlinks the wait and
 * the waiter throws ({@link IllegalStateException} "this offkern kernel is closed ...", or the
 * kernel's {@link dev.offkern.nt.KernelHaltedException}). The waker calls {@link #signal}, which is
 * {@code KeSetEvent} on the event.
 *
 * <h2>Protocol the users keep</h2>
 * <ul>
 *   <li>One executive wait per thread at a time (a thread waits on one thing at a time), so one
 *       block suffices; the event is initialised once, with the thread's state, and every
 *       completed wait leaves it not signalled (a synchronization event resets when it satisfies
 *       the wait).</li>
 *   <li>Exactly one {@link #signal} per {@link #await}, and the signaller must know the owner is
 *       still in (or about to enter) that wait: the rundown's last release, the run-once completer
 *       that detached the waiter list. A signal before the await leaves the event set and the await
 *       returns at once.</li>
 *   <li>The block lives as long as its thread's state (the waiting thread holds it), so a signaller
 *       never writes into freed memory; after the signal the owner may reuse the block for its next
 *       wait, so the signaller reads everything it needs from the word before signalling.</li>
 * </ul>
 * Progress: {@link #await} blocking; {@link #signal} blocking on the dispatcher lock (bounded).
 */
public final class WakeBlock {
    /** Offset of the event from the start of the wake block (the same in both views). */
    private static final long EVENT_IN_BLOCK = OFFKERN_THREAD_BLOCK.WAKE_EVENT_OFFSET - OFFKERN_THREAD_BLOCK.WAKE_BLOCK_OFFSET;
    /** Offset of the wake block from the thread's KTHREAD (its ETHREAD's address). */
    public static final long IN_KTHREAD = OFFKERN_THREAD_BLOCK.OFFSET_IN_THREAD + OFFKERN_THREAD_BLOCK.WAKE_BLOCK_OFFSET;
    /** Offset of the wake block's run-down view (EX_RUNDOWN_WAIT_BLOCK) from the thread's KTHREAD. */
    public static final long RUNDOWN_WAIT_BLOCK_IN_KTHREAD = OFFKERN_THREAD_BLOCK.OFFSET_IN_THREAD + OFFKERN_THREAD_BLOCK.RUNDOWN_WAIT_BLOCK_OFFSET;
    /** Offset of the wake event from the thread's KTHREAD. */
    private static final long EVENT_IN_KTHREAD = OFFKERN_THREAD_BLOCK.OFFSET_IN_THREAD + OFFKERN_THREAD_BLOCK.WAKE_EVENT_OFFSET;

    private WakeBlock() {
    }

    /** The address of {@code t}'s wake block: what a structure's word stores (16-byte aligned). */
    public static long address(ThreadState t) {
        return t.address() + IN_KTHREAD;
    }

    /** Initialises the wake event of a new thread object body: a SynchronizationEvent, not signalled. */
    static void initialize(MemorySegment threadBody) {
        long size = KEVENT.LAYOUT.byteSize();
        KeEvent.initializeHeader(threadBody.asSlice(EVENT_IN_KTHREAD, size),
                KeEvent.SynchronizationEvent, (int) (size / Integer.BYTES), 0);
    }

    /**
     * Blocks the calling thread {@code t} until its wake block is signalled: a non-alertable,
     * untimed dispatcher wait on the block's event (no IRQL check: the caller checked its own).
     *
     * @throws IllegalStateException if the kernel closes during the wait
     * @throws dev.offkern.nt.KernelHaltedException if a bug check halts the kernel during the wait
     */
    public static void await(ThreadState t) {
        KeWait.waitInternal(t, t.address() + EVENT_IN_KTHREAD);
    }

    /**
     * The region holding the wake block at {@code address}, checked to be a thread's wake block of
     * {@code t}'s kernel (what a structure's word may point at) before anything is written to it.
     *
     * @param what the structure whose word held the address, for the error
     * @throws dev.offkern.nt.BugCheck PAGE_FAULT_IN_NONPAGED_AREA if no region holds the address
     * @throws IllegalStateException if the address is mapped but is not a thread's wake block
     */
    public static Region resolve(ThreadState t, long address, String what) {
        KernelCore k = t.kernel();
        Region r = k.addressSpace().regionOf(address, OFFKERN_THREAD_BLOCK.WAKE_BLOCK_SIZE);
        if (!k.processors().isWakeBlock(r, address)) {
            throw new IllegalStateException(what + " holds 0x" + Long.toHexString(address)
                    + ", which is not a waiting thread's wake block: the structure is corrupt");
        }
        return r;
    }

    /**
     * Signals the wake block at {@code address} (already {@link #resolve resolved} to {@code r}):
     * {@code KeSetEvent} on its event, waking the owner.
     */
    public static void signal(ThreadState t, Region r, long address) {
        KeEvent.setEmbedded(t, r.segment(), r.offsetOf(address) + EVENT_IN_BLOCK);
    }
}
