package dev.offkern.runtime.ex;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.WorkQueueType;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.ListEntries;
import dev.offkern.runtime.ke.LiveObjects;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A kernel's system work queues and their worker threads ({@code ExQueueWorkItem}'s back end): the
 * critical, delayed and hyper-critical queues, each a native {@code LIST_ENTRY} head that links the
 * queued items' {@code WORK_QUEUE_ITEM.List}, served by its own system worker threads — real system
 * threads of the System process (an ETHREAD each, made through the process manager's
 * {@code PsCreateSystemThread} path, see {@link Starter}) that run the items' routines at
 * PASSIVE_LEVEL with APCs enabled, in queue order per queue.
 *
 * <h2>Item states (Windows' rule)</h2>
 * An item is queued while its {@code List.Flink} is non-NULL: ExInitializeWorkItem sets it NULL,
 * queueing links it, and a worker that takes it off the queue sets it NULL again <i>before</i> it
 * calls the routine. So the routine may queue its own item again, or free it; queueing an item whose
 * Flink is non-NULL (it is queued, or was never initialized) is WORKER_INVALID (0xE4: 1, the item,
 * the queue type, 0) — checked always, because inserting a linked entry twice would corrupt the queue.
 * An item found on a queue with a NULL link (re-initialized while queued) is INVALID_WORK_QUEUE_ITEM
 * (0x96: the item, the queue head, the first queue head, the item's WorkerRoutine); a queue whose
 * links were overwritten is KERNEL_SECURITY_CHECK_FAILURE (0x139, from the list routines). Either
 * way the queue is emptied (its remaining items are lost, as a corrupt list's are) so the workers
 * keep serving.
 *
 * <h2>Workers</h2>
 * Each queue's threads start on the queue's first use (a kernel that never queues work has no
 * worker threads): {@code max(2, processors)} for the critical and delayed queues, one for the
 * hyper-critical queue. A worker leaves the critical region PsCreateSystemThread starts it in, then
 * loops: take the first item, call {@code WorkerRoutine(Parameter)}, check what the routine left:
 * an IRQL above PASSIVE_LEVEL, or APCs still disabled (a critical or guarded region left open, a
 * fast or guarded mutex still held) is WORKER_THREAD_RETURNED_AT_BAD_IRQL (0xE1: the routine, the
 * IRQL, the parameter, the item) — where offkern differs: Windows raises 0xE1 only for the IRQL and
 * re-enables APCs silently; here both are the bug check. The worker's IRQL and APC-disable counts
 * are restored first, so under the THROW policy it keeps serving. An exception escaping a Java
 * routine is KMODE_EXCEPTION_NOT_HANDLED (0x1E: STATUS_UNHANDLED_EXCEPTION, the routine, the
 * item, 0).
 *
 * <h2>Shutdown</h2>
 * {@link #stop()} (kernel close, before waits are aborted) marks the queues closed and wakes every
 * idle worker; queued items are dropped. {@link #awaitWorkers} (after waits were aborted, so a
 * routine blocked in a kernel wait has been woken) waits for every worker to end, bounded: a
 * routine that never returns cannot hang close (its thread, a daemon, is reported by the return
 * value). {@link #close()} then unmaps the queue heads.
 *
 * <p>Progress: queueing and taking are blocking on one lock per kernel (short critical sections:
 * one list insertion or removal); idle workers wait on a condition of that lock.
 */
public final class ExWorkerThreads {
    /*
     * Implementation overview.
     * One ReentrantLock guards all three list heads, every queued item's List, the Flink checks and
     * the closing flag: the Flink test-and-link of ExQueueWorkItem must be atomic against another
     * queueing of the same item to any queue, and against the dequeue that clears it. The heads are
     * in an Arena.ofShared segment registered in the kernel's address space (ListEntries resolves
     * every link through it, so a corrupt link is a bug check, never a wild access). Routines run
     * outside the lock. Counters are plain longs under the lock (read under it by the accessors).
     */

    /** Starts a system worker thread: a real system thread of the kernel's System process. */
    public interface Starter {
        /**
         * Starts a system thread that runs {@code body} at PASSIVE_LEVEL; if the thread is made but
         * cannot run it (the kernel closed first), {@code notRun} runs instead. Returns false (and
         * runs neither) if no thread could be made.
         */
        boolean start(Runnable body, Runnable notRun);
    }

    /** The three queues offkern serves. */
    public static final int CRITICAL = 0;
    public static final int DELAYED = 1;
    public static final int HYPER_CRITICAL = 2;
    private static final int QUEUES = 3;
    private static final long HEAD_SIZE = LIST_ENTRY.X64.size();
    private static final long ITEM_SIZE = WORK_QUEUE_ITEM.X64.size();
    private static final long FLINK = WORK_QUEUE_ITEM.LIST_OFFSET + LIST_ENTRY.FLINK_OFFSET;
    private static final long BLINK = WORK_QUEUE_ITEM.LIST_OFFSET + LIST_ENTRY.BLINK_OFFSET;

    private final KernelCore core;
    private final Starter starter;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment heads;
    private final Region headsRegion;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition[] nonEmpty = new Condition[QUEUES];
    /** Signalled when a worker ends (awaitWorkers). */
    private final Condition ended = lock.newCondition();
    private final int[] threadsWanted = new int[QUEUES];
    // ----- guarded by lock -----
    private final boolean[] started = new boolean[QUEUES];
    private final long[] queued = new long[QUEUES];
    private final long[] taken = new long[QUEUES];
    private final int[] liveThreads = new int[QUEUES];
    private boolean closing;

    public ExWorkerThreads(KernelCore core, Starter starter) {
        this.core = core;
        this.starter = starter;
        this.heads = arena.allocate(HEAD_SIZE * QUEUES, LIST_ENTRY.X64.align());
        this.headsRegion = core.addressSpace().register(heads, "system work queue heads");
        for (int q = 0; q < QUEUES; q++) {
            ListEntries.initializeHead(heads, q * HEAD_SIZE);
            nonEmpty[q] = lock.newCondition();
        }
        int n = Math.max(2, core.processorCount());
        threadsWanted[CRITICAL] = n;
        threadsWanted[DELAYED] = n;
        threadsWanted[HYPER_CRITICAL] = 1;
    }

    /** The queue serving WORK_QUEUE_TYPE {@code queueType}, or -1 if it is no queue type offkern serves. */
    public static int queueOf(int queueType) {
        return switch (queueType) {
            case WorkQueueType.CriticalWorkQueue, WorkQueueType.RealTimeWorkQueue, WorkQueueType.SuperCriticalWorkQueue -> CRITICAL;
            case WorkQueueType.DelayedWorkQueue, WorkQueueType.NormalWorkQueue, WorkQueueType.BackgroundWorkQueue -> DELAYED;
            case WorkQueueType.HyperCriticalWorkQueue -> HYPER_CRITICAL;
            default -> -1;
        };
    }

    /**
     * Links the WORK_QUEUE_ITEM at {@code item} (registered memory) to queue {@code q} and wakes a
     * worker. {@code queueType} is the caller's WORK_QUEUE_TYPE (for the bug check's parameter).
     *
     * @throws IllegalStateException if the kernel is closing
     */
    void insert(long item, int q, int queueType, String routine) {
        ensureWorkers(q);
        Region r = core.addressSpace().regionOf(item, ITEM_SIZE);
        MemorySegment s = r.segment();
        long off = r.offsetOf(item);
        long flink;
        lock.lock();
        try {
            if (closing) {
                throw KernelCore.closedException();
            }
            flink = s.get(JAVA_LONG, off + FLINK);
            if (flink == 0) {
                try {
                    ListEntries.insertTail(core, head(q), item);
                } catch (RuntimeException corrupt) {
                    ListEntries.initializeHead(heads, q * HEAD_SIZE); // the queue's links cannot be trusted: its items are lost
                    throw corrupt;
                }
                LiveObjects live = core.liveObjects();
                if (live != null && ThreadState.current().verifies(VerifierCheck.IO)) {
                    live.workItemQueued(item);
                }
                queued[q]++;
                nonEmpty[q].signal();
                return;
            }
        } finally {
            lock.unlock();
        }
        throw core.bugCheck(BugCheckCode.WORKER_INVALID, 1, item, queueType & 0xFFFFFFFFL, 0, routine + " of WORK_QUEUE_ITEM 0x"
                + Long.toHexString(item) + " whose List.Flink is 0x" + Long.toHexString(flink)
                + ": it is queued already (or was never initialized with ExInitializeWorkItem)");
    }

    /** The address of queue {@code q}'s LIST_ENTRY head. */
    long head(int q) {
        return heads.address() + q * HEAD_SIZE;
    }

    /** Starts queue {@code q}'s workers on its first use. */
    private void ensureWorkers(int q) {
        lock.lock();
        try {
            if (started[q] || closing) {
                return;
            }
            started[q] = true; // before the starts: a concurrent first use does not start a second set
        } finally {
            lock.unlock();
        }
        // PsCreateSystemThread runs at PASSIVE_LEVEL; ExQueueWorkItem may be called up to
        // DISPATCH_LEVEL. The kernel makes its own threads here on the caller's behalf, so the
        // caller's IRQL is set aside for the creation and restored after (no DPC runs in between).
        ThreadState t = ThreadState.current();
        int irql = t.irql();
        t.setIrql(Irql.PASSIVE_LEVEL);
        try {
            for (int i = 0; i < threadsWanted[q]; i++) {
                lock.lock();
                try {
                    liveThreads[q]++;
                } finally {
                    lock.unlock();
                }
                if (!starter.start(() -> serve(q), () -> workerEnded(q))) {
                    workerEnded(q);
                    throw new IllegalStateException("no system worker thread could be created for work queue " + q
                            + " (no nonpaged pool for its ETHREAD)");
                }
            }
        } finally {
            t.setIrql(irql);
        }
    }

    /** A worker's body: serves queue {@code q} until the kernel closes or halts. */
    private void serve(int q) {
        try {
            ThreadState ts = ThreadState.current();
            ts.addKernelApcDisable(1); // leave the critical region PsCreateSystemThread starts in: workers run with APCs enabled
            try {
                Taken item = new Taken();
                for (;;) {
                    try {
                        if (!take(q, item)) {
                            break;
                        }
                        runOne(ts, item);
                    } catch (BugCheck processed) {
                        // processed (callbacks, dump) where it was raised (a corrupt queue, or the routine's
                        // bug check); THROW policy: keep serving
                    }
                }
            } finally {
                ts.addKernelApcDisable(-1);
            }
        } catch (IllegalStateException closedOrHalted) { // KernelHaltedException included
            // the kernel halted or closed under the worker: it ends
        } finally {
            workerEnded(q);
        }
    }

    private void workerEnded(int q) {
        lock.lock();
        try {
            liveThreads[q]--;
            ended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** One dequeued item: what the worker calls. */
    static final class Taken {
        long item;
        long routine;
        long parameter;
    }

    /** Takes queue {@code q}'s first item into {@code out} (waiting for one); false when closing. */
    private boolean take(int q, Taken out) {
        long head = head(q);
        lock.lock();
        try {
            for (;;) {
                if (closing) {
                    return false;
                }
                core.ensureRunning(); // a halted kernel's workers end
                long first = heads.get(JAVA_LONG, q * HEAD_SIZE + LIST_ENTRY.FLINK_OFFSET);
                if (first != head) {
                    dequeue(q, head, first, out);
                    return true;
                }
                nonEmpty[q].awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Unlinks {@code first} from queue {@code q} (lock held) and clears its Flink. */
    private void dequeue(int q, long head, long first, Taken out) {
        try {
            Region r = core.find(first, ITEM_SIZE);
            if (r == null) {
                throw core.unmapped(first, ITEM_SIZE);
            }
            MemorySegment s = r.segment();
            long off = r.offsetOf(first);
            long routine = s.get(JAVA_LONG, off + WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET);
            if (s.get(JAVA_LONG, off + FLINK) == 0 || s.get(JAVA_LONG, off + BLINK) == 0) {
                throw core.bugCheck(BugCheckCode.INVALID_WORK_QUEUE_ITEM, first, head, heads.address(), routine,
                        "WORK_QUEUE_ITEM 0x" + Long.toHexString(first) + " on system work queue " + q
                                + " has a NULL link: it was re-initialized while queued");
            }
            ListEntries.remove(core, first);
            LiveObjects live = core.liveObjects();
            if (live != null) {
                live.workItemDequeued(first);
            }
            out.item = first;
            out.routine = routine;
            out.parameter = s.get(JAVA_LONG, off + WORK_QUEUE_ITEM.PARAMETER_OFFSET);
            s.set(JAVA_LONG, off + FLINK, 0L); // not queued any more: the routine may queue it again or free it
            taken[q]++;
        } catch (RuntimeException corrupt) {
            ListEntries.initializeHead(heads, q * HEAD_SIZE); // the queue's links cannot be trusted: its items are lost
            throw corrupt;
        }
    }

    /**
     * The WORK_QUEUE_ITEMs queued on the three system work queues now (a snapshot under the queues'
     * lock; a link outside kernel memory ends that queue's walk): the I/O manager's unload check.
     */
    public long[] queuedItems() {
        org.agrona.collections.LongArrayList out = new org.agrona.collections.LongArrayList();
        lock.lock();
        try {
            for (int q = 0; q < QUEUES; q++) {
                long head = head(q);
                long entry = heads.get(JAVA_LONG, q * HEAD_SIZE + LIST_ENTRY.FLINK_OFFSET);
                for (long seen = 0; entry != head && seen <= queued[q]; seen++) {
                    long item = entry - WORK_QUEUE_ITEM.LIST_OFFSET;
                    Region r = core.find(item, ITEM_SIZE);
                    if (r == null) {
                        break;
                    }
                    out.addLong(item);
                    entry = r.segment().get(JAVA_LONG, r.offsetOf(item) + FLINK);
                }
            }
        } finally {
            lock.unlock();
        }
        return out.toLongArray();
    }

    /** Calls one taken item's routine at PASSIVE_LEVEL and checks the state it returned in. */
    private void runOne(ThreadState ts, Taken it) {
        int owner = ts.enterRoutine(it.routine); // the routine's driver owns what it allocates and arms
        try {
            ExWorkItem.call(core, it.routine, it.parameter, it.item);
        } catch (BugCheck | KernelHaltedException processed) {
            restore(ts);
            throw processed;
        } catch (IllegalStateException e) {
            restore(ts);
            if (core.isClosed()) {
                throw e;
            }
            throw unhandled(it, e);
        } catch (Throwable e) {
            restore(ts);
            throw unhandled(it, e);
        } finally {
            ts.enterDriver(owner);
        }
        int irql = ts.irql();
        int kernelApc = ts.kernelApcDisable();
        int specialApc = ts.specialApcDisable();
        if (irql != Irql.PASSIVE_LEVEL || kernelApc != 0 || specialApc != 0) {
            restore(ts);
            throw core.bugCheck(BugCheckCode.WORKER_THREAD_RETURNED_AT_BAD_IRQL, it.routine, irql, it.parameter, it.item,
                    "worker routine 0x" + Long.toHexString(it.routine) + " of WORK_QUEUE_ITEM 0x" + Long.toHexString(it.item)
                            + " returned at " + Irql.name(irql) + " with KernelApcDisable " + kernelApc + ", SpecialApcDisable "
                            + specialApc + " (a worker routine must return at PASSIVE_LEVEL with APCs enabled)");
        }
    }

    private BugCheck unhandled(Taken it, Throwable e) {
        return core.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, dev.offkern.nt.NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL,
                it.routine, it.item, 0, "exception escaped worker routine 0x" + Long.toHexString(it.routine) + " of WORK_QUEUE_ITEM 0x"
                        + Long.toHexString(it.item) + ": " + e);
    }

    /** Puts the worker back at PASSIVE_LEVEL with APCs enabled (after a routine left it otherwise). */
    private static void restore(ThreadState ts) {
        ts.addKernelApcDisable(-ts.kernelApcDisable());
        ts.addSpecialApcDisable(-ts.specialApcDisable());
        if (ts.irql() != Irql.PASSIVE_LEVEL) {
            Irql.lowerUnchecked(ts, Irql.PASSIVE_LEVEL);
        }
    }

    // ===== diagnostics (tests) =====

    /** Items ever linked to queue {@code q}. */
    public long queuedCount(int q) {
        lock.lock();
        try {
            return queued[q];
        } finally {
            lock.unlock();
        }
    }

    /** Items ever taken off queue {@code q} by its workers. */
    public long takenCount(int q) {
        lock.lock();
        try {
            return taken[q];
        } finally {
            lock.unlock();
        }
    }

    /** Worker threads of queue {@code q} started and not yet ended. */
    public int workerCount(int q) {
        lock.lock();
        try {
            return liveThreads[q];
        } finally {
            lock.unlock();
        }
    }

    // ===== shutdown =====

    /** Kernel close, first step: no more items are taken or queued; idle workers wake and end. */
    public void stop() {
        lock.lock();
        try {
            closing = true;
            for (Condition c : nonEmpty) {
                c.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to {@code millis} for every worker to end; returns how many are still running (a
     * routine that did not return).
     */
    public int awaitWorkers(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        lock.lock();
        try {
            for (;;) {
                int live = 0;
                for (int n : liveThreads) {
                    live += n;
                }
                long left = deadline - System.nanoTime();
                if (live == 0 || left <= 0) {
                    return live;
                }
                ended.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } finally {
            lock.unlock();
        }
    }

    /** Unmaps the queue heads (after {@link #stop()} and {@link #awaitWorkers}). */
    public void close() {
        lock.lock();
        try {
            closing = true;
        } finally {
            lock.unlock();
        }
        try {
            core.addressSpace().unregister(headsRegion);
        } catch (IllegalArgumentException | IllegalStateException alreadyGone) {
            // the address space closed first
        }
        arena.close();
    }
}
