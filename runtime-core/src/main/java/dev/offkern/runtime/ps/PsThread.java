package dev.offkern.runtime.ps;

import dev.offkern.nt.NtStatus;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The process manager's Java-side record of one thread: its ETHREAD object (a Thread object whose
 * body holds Cid, CreateTime, StartAddress and the other modelled fields at their Windows offsets),
 * its owning process, and what the ETHREAD layout does not model — the exit status, whether the
 * thread's kernel state still holds its reference on the ETHREAD (the ETHREAD is the thread's
 * KTHREAD: the locks and waits store its address).
 *
 * <p>Termination happens exactly once ({@link #ended}'s CAS); {@link #exitStatus} is written before
 * it (volatile) and is STATUS_PENDING while the thread runs.
 */
final class PsThread {
    final MemorySegment ethread;
    final long id;
    final PsProcess process;
    /** Created by PsCreateSystemThread (or a kernel service thread): what PsIsSystemThread reports. */
    final boolean system;
    /** Created by PsCreateSystemThread: the only threads PsTerminateSystemThread may end. */
    final boolean created;
    /** Whether a kernel state holds a reference on this ETHREAD (its KTHREAD); cleared once, when that reference is dropped. */
    final AtomicBoolean stateReference = new AtomicBoolean();
    /** The kernel state's count of fast and guarded mutexes held (element 0; written by the thread), or null before it has one. */
    volatile int[] ownedMutexes;
    /**
     * The release of the kernel state's pin on the Thread objects' memory ({@code Pool.pinSegregatedMemory}),
     * taken by {@code create} and handed to the state's Cleaner action by {@code collected}; null before.
     */
    volatile Runnable memoryPin;
    /** NTSTATUS the thread ended with; STATUS_PENDING while it runs. Volatile: read by any thread. */
    volatile int exitStatus = NtStatus.STATUS_PENDING;
    /**
     * The process the thread runs in: its own, or the one it is attached to (KTHREAD.ApcState.Process).
     * Read and written by the thread itself only (attach and detach run on it).
     */
    PsProcess current;
    /** Attachments made and not yet undone: the caller's KAPC_STATE address and the process it left, per level. Owner thread only. */
    long[] attachBuffers = new long[4];
    PsProcess[] attachPrevious = new PsProcess[4];
    int attachDepth;
    /** Set once by the termination path (CAS): unlinked, signalled, its registry reference dropped. */
    final AtomicBoolean ended = new AtomicBoolean();

    PsThread(MemorySegment ethread, long id, PsProcess process, boolean system, boolean created) {
        this.ethread = ethread;
        this.id = id;
        this.process = process;
        this.system = system;
        this.created = created;
        this.current = process;
    }

    long address() {
        return ethread.address();
    }
}
