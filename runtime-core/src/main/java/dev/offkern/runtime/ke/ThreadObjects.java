package dev.offkern.runtime.ke;

import java.lang.foreign.MemorySegment;

/**
 * Where a thread's KTHREAD comes from: the process manager's Thread objects. The kernel core asks
 * for one whenever it makes a thread state ({@link ThreadState}), so the address the locks and waits
 * store (FAST_MUTEX.Owner, KWAIT_BLOCK.Thread, a spin lock's owner bits) is the thread's real ETHREAD,
 * whose first member is its KTHREAD. Installed once by the composition root before the kernel starts
 * ({@link KernelCore#setThreadObjects}); {@code ke} does not know the object or process managers.
 *
 * <p>Lifetime: {@link #create} returns a body the new state holds one object reference on, in
 * memory pinned for the state ({@code Pool.pinSegregatedMemory}: mapped until the kernel is closed and
 * the state is gone, so the state may store into its KTHREAD without a scope check); the action
 * {@link #collected} returns runs when the state becomes unreachable (a Cleaner), drops that reference,
 * so the memory returns to its pool on the object's delete path, never while a state (a waiting
 * thread, a thread that owns a mutex) still uses it, and releases the pin.
 */
public interface ThreadObjects {
    /**
     * The Thread object body (ETHREAD followed by offkern's OFFKERN_THREAD_BLOCK,
     * {@code OFFKERN_THREAD_BLOCK.THREAD_OBJECT_BODY_SIZE} bytes) for {@code thread}, referenced once
     * for its new state: the ETHREAD PsCreateSystemThread made for it, else a new one in the System
     * process. Called on the slow path of the thread's first call (or for a runtime thread, by the
     * thread that starts it), with no thread state installed for the calling thread yet: it must not
     * call into the kernel through {@link ThreadState#current()}.
     *
     * @throws IllegalStateException if no ETHREAD can be made (nonpaged pool exhausted, kernel closed)
     */
    MemorySegment create(Thread thread, boolean serviceThread);

    /** Runs on the new thread once its state is installed (the process manager's bookkeeping). */
    void installed(ThreadState state);

    /**
     * The action to run when the state holding {@code kthread} has become unreachable (or could not be
     * bound): it must hold neither the state nor anything that keeps the kernel reachable, and it
     * releases the pin {@link #create} took. {@code ownedMutexes}[0] is the number of fast and guarded
     * mutexes the thread holds (written by the thread only): a thread that ends owning one keeps its
     * KTHREAD referenced.
     */
    Runnable collected(MemorySegment kthread, int[] ownedMutexes);

    /** Whether {@code kthread} is the KTHREAD of a live Thread object of this kernel. Wait-free apart from a map read. */
    boolean isThread(long kthread);
}
