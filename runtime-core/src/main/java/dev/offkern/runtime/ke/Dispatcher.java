package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.KWAIT_BLOCK;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.DatatypeMisalignmentException;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The dispatcher database: signal states of dispatcher objects (in their byte-exact
 * DISPATCHER_HEADERs), the native KWAIT_BLOCKs of waiting threads linked into each object's
 * {@code WaitListHead}, and the one lock that protects both. Events, semaphores, waits (and later
 * timers and DPC-signalled objects) go through here.
 *
 * <h2>What lives where</h2>
 * <ul>
 *   <li>Signal state: {@code DISPATCHER_HEADER.SignalState} of the object, written only under the
 *       dispatcher lock (read without it by the KeReadState* routines).</li>
 *   <li>Wait blocks: real x64 {@code KWAIT_BLOCK}s ({@link KWAIT_BLOCK}, Windows 8+ layout) in the
 *       waiting thread's identity block ({@link ThreadState#waitBlocks()}) or the caller's
 *       WaitBlockArray, linked into the object's {@code WaitListHead} (a real doubly linked
 *       LIST_ENTRY list in native memory, {@link ListEntries}, so a dump tool walking the header
 *       sees the waiters). Fields written: WaitListEntry, WaitType (WaitAll 0 / WaitAny 1),
 *       BlockState (WaitBlockActive while linked, WaitBlockInactive otherwise), WaitKey, Thread
 *       (the KTHREAD address), Object.</li>
 *   <li>Java side: a map from KTHREAD address to the thread's {@link Waiter} (status, Java thread
 *       to unpark), holding entries only while the thread waits (a {@code KeDelayExecutionThread}
 *       registers a waiter with no wait blocks, so that close and halt end it too).</li>
 * </ul>
 * Every object waited on and every wait block must be in memory registered in the kernel's
 * address space (pool memory): links are followed as addresses and resolved through the kernel
 * ({@link KernelCore} as a {@link ListEntries.Memory}), which raises PAGE_FAULT_IN_NONPAGED_AREA
 * for anything else, and KERNEL_SECURITY_CHECK_FAILURE (0x139/3) for links that disagree.
 *
 * <h2>Validate before mutate</h2>
 * A routine that changes dispatcher state first resolves and checks every address it will follow
 * ({@link #checkWaitList} before a signal, {@link #checkEnqueue} before linking, the links of every
 * block before unlinking one): a bad pointer fails the call with the objects, the wait lists and
 * the waiters exactly as they were.
 *
 * <h2>Invariant (outside the lock)</h2>
 * No WaitAny wait block is linked into the list of a signalled object, and no WaitAll waiter is
 * linked while all of its objects are signalled: every change that signals an object runs
 * {@link #wakeWaiters} before the lock is released. Hence a routine that finds an object already
 * signalled may skip the lock when it would only signal it again (KeSetEvent's fast path).
 *
 * <p>Progress: blocking (one lock, held for short bounded work: no allocation, no I/O, no
 * callbacks; waiters park outside it).
 */
public final class Dispatcher {
    /*
     * Implementation overview.
     *
     * One process-wide lock (as NT's old dispatcher-database lock; NT 6+ splits it into per-object
     * locks — a finer scheme would only pay off with many processors): a test-and-test-and-set word
     * alone on its cache lines (DispatcherLock); spinners follow the one Backoff policy. Waiters
     * never park while holding it.
     *
     * Wake-up protocol: the signaller, under the lock, satisfies the wait (auto-reset, decrement),
     * unlinks all of the waiter's blocks, removes it from the map, writes Waiter.status (volatile)
     * and unparks the thread. The waiter re-reads status after every park; a timeout or alert
     * takes the lock and cancels only if status is still PENDING. So every wait ends exactly once,
     * either satisfied or cancelled: no lost or doubled wake-ups. Kernel close/halt
     * (abortWaits) is one more such party: it ends the pending waits of that kernel the same way,
     * with a status below PENDING that KeWait turns into an exception.
     */

    /** DISPATCHER_HEADER.Type values: the kernel's KOBJECTS enumeration (docs/layout-sources.md). */
    public static final int EVENT_NOTIFICATION_OBJECT = 0;
    public static final int EVENT_SYNCHRONIZATION_OBJECT = 1;
    /** A process (KPROCESS.Header): signalled, and stays so, when the process has exited. */
    public static final int PROCESS_OBJECT = 3;
    /** A thread (KTHREAD.Header): signalled, and stays so, when the thread has terminated. */
    public static final int THREAD_OBJECT = 6;
    public static final int SEMAPHORE_OBJECT = 5;
    public static final int TIMER_NOTIFICATION_OBJECT = 8;
    public static final int TIMER_SYNCHRONIZATION_OBJECT = 9;

    /** Bytes of one KWAIT_BLOCK: the stride of a wait-block array. */
    private static final long WAIT_BLOCK_STRIDE = KWAIT_BLOCK.LAYOUT.byteSize();
    /** Bytes of a DISPATCHER_HEADER: what an object address must resolve to. */
    private static final long HEADER_BYTES = DISPATCHER_HEADER.LAYOUT.byteSize();

    /** Bug checks raised under the lock, run by {@link #unlock()} after the release; guarded by the lock. */
    private static BugChecks[] pendingOwners = new BugChecks[2];
    private static BugCheck[] pendingChecks = new BugCheck[2];
    private static int pendingCount;
    /** Threads whose waits the lock holder satisfied, to unpark at unlock; guarded by the lock. */
    private static final Thread[] deferred = new Thread[8];
    private static int deferredCount;
    /** Waiting threads by KTHREAD address; guarded by the dispatcher lock. */
    private static final Long2ObjectHashMap<Waiter> WAITERS = new Long2ObjectHashMap<>();

    private Dispatcher() {
    }

    // ----- the dispatcher lock -----

    /** Acquires the dispatcher lock (blocking: spins, then yields). */
    public static void lock() {
        DispatcherLock.LOCK.acquire();
    }

    /**
     * Releases the dispatcher lock, then unparks the thread whose wait the holder satisfied, if
     * exactly one (the common case: a synchronization event, a mutex hand-off) — outside the
     * lock, so the woken thread does not find the lock still held by its waker's unpark system
     * call. Several wake-ups are unparked under the lock (no allocation either way).
     *
     * <p>Then runs the bug checks the holder raised under the lock ({@link #deferBugCheck}): their
     * callbacks, dump and halt, with the lock free. Under HALT that throws the kernel's
     * {@link dev.offkern.nt.KernelHaltedException} out of this call (which replaces the bug check
     * the holder was throwing, as the raise itself would have done).
     */
    public static void unlock() {
        BugChecks[] owners = null;
        BugCheck[] checks = null;
        int bugChecks = pendingCount;
        if (bugChecks > 0) { // rare: only on the bug-check path
            owners = java.util.Arrays.copyOf(pendingOwners, bugChecks);
            checks = java.util.Arrays.copyOf(pendingChecks, bugChecks);
            java.util.Arrays.fill(pendingOwners, null);
            java.util.Arrays.fill(pendingChecks, null);
            pendingCount = 0;
        }
        Thread wake = null;
        int n = deferredCount;
        if (n == 1) {
            wake = deferred[0];
            deferred[0] = null;
        } else if (n > 1) {
            for (int i = 0; i < n; i++) {
                LockSupport.unpark(deferred[i]);
                deferred[i] = null;
            }
        }
        deferredCount = 0;
        DispatcherLock.LOCK.release();
        if (wake != null) {
            LockSupport.unpark(wake); // a late unpark is harmless: every park here re-checks its condition
        }
        for (int i = 0; i < bugChecks; i++) {
            owners[i].processDeferred(checks[i]);
        }
    }

    /** Whether the calling thread holds the dispatcher lock (a bug check raised under it is deferred). */
    static boolean heldByCurrentThread() {
        return DispatcherLock.LOCK.isHeldByCurrentThread();
    }

    /**
     * Records bug check {@code bc} of {@code owner}, raised by the lock holder under the lock, for
     * {@link #unlock()} to run once the lock is free (under the lock; allocates only when more than
     * two are pending in one hold).
     */
    static void deferBugCheck(BugChecks owner, BugCheck bc) {
        if (pendingCount == pendingChecks.length) {
            pendingOwners = java.util.Arrays.copyOf(pendingOwners, pendingCount * 2);
            pendingChecks = java.util.Arrays.copyOf(pendingChecks, pendingCount * 2);
        }
        pendingOwners[pendingCount] = owner;
        pendingChecks[pendingCount++] = bc;
    }

    /** Queues {@code thread} to be unparked by {@link #unlock()} (under the lock). */
    private static void deferUnpark(Thread thread) {
        if (deferredCount == deferred.length) {
            LockSupport.unpark(thread); // buffer full: unpark now, still under the lock
            return;
        }
        deferred[deferredCount++] = thread;
    }

    // ----- header access (under the lock unless stated) -----

    /** The object's type code (DISPATCHER_HEADER.Type). */
    static int type(MemorySegment seg, long off) {
        return seg.get(ValueLayout.JAVA_BYTE, off + DISPATCHER_HEADER.TYPE_OFFSET) & 0xFF;
    }

    /** SignalState of the object at offset {@code off} of {@code seg} (volatile read; for timers and DPCs too). */
    public static int signalState(MemorySegment seg, long off) {
        return (int) STATE.getVolatile(seg, off + DISPATCHER_HEADER.SIGNAL_STATE_OFFSET);
    }

    /** Writes SignalState (volatile: lock-free readers such as KeReadStateEvent see it at once). */
    public static void setSignalState(MemorySegment seg, long off, int value) {
        STATE.setVolatile(seg, off + DISPATCHER_HEADER.SIGNAL_STATE_OFFSET, value);
    }

    /** Whether waits on objects of {@code type} are supported. */
    static boolean waitable(int type) {
        return type == EVENT_NOTIFICATION_OBJECT || type == EVENT_SYNCHRONIZATION_OBJECT || type == SEMAPHORE_OBJECT
                || type == TIMER_NOTIFICATION_OBJECT || type == TIMER_SYNCHRONIZATION_OBJECT
                || type == PROCESS_OBJECT || type == THREAD_OBJECT;
    }

    /** Initializes {@code WaitListHead} of the object at {@code seg} to an empty list (Flink = Blink = itself). */
    public static void initializeWaitList(MemorySegment seg) {
        ListEntries.initializeHead(seg, DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET);
    }

    /** Whether the object's wait list is empty (a consistent read needs the lock). */
    public static boolean waitListEmpty(MemorySegment seg) {
        return waitListEmpty(seg, 0);
    }

    /** Whether the wait list of the object at offset {@code off} of {@code seg} is empty. */
    static boolean waitListEmpty(MemorySegment seg, long off) {
        return ListEntries.isEmpty(seg, off + DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET);
    }

    /** The region holding the DISPATCHER_HEADER at {@code object} (0x50 if none; STATUS_DATATYPE_MISALIGNMENT if not 8-byte aligned). */
    static Region resolveObject(KernelCore k, long object) {
        if ((object & (DISPATCHER_HEADER.X64.align() - 1)) != 0) {
            // a pointer no dispatcher object can have (a wait block's Object, an Object[] entry): refused
            // before anything is read through it
            throw new DatatypeMisalignmentException("dispatcher object (DISPATCHER_HEADER)", object, DISPATCHER_HEADER.X64.align());
        }
        Region r = k.find(object, HEADER_BYTES);
        if (r == null) {
            throw k.unmapped(object, HEADER_BYTES);
        }
        return r;
    }

    /** The address of wait block {@code i} of an array whose first block is at {@code first}. */
    static long waitBlock(long first, int i) {
        return first + i * WAIT_BLOCK_STRIDE;
    }

    private static long objectOf(MemorySegment blocks, long base, int i) {
        return blocks.get(ValueLayout.JAVA_LONG, base + i * WAIT_BLOCK_STRIDE + KWAIT_BLOCK.OBJECT_OFFSET);
    }

    private static void setBlockState(MemorySegment blocks, long base, int i, byte state) {
        blocks.set(ValueLayout.JAVA_BYTE, base + i * WAIT_BLOCK_STRIDE + KWAIT_BLOCK.BLOCK_STATE_OFFSET, state);
    }

    // ----- satisfaction -----

    private static boolean signalled(MemorySegment seg, long off) {
        return signalState(seg, off) > 0;
    }

    /** Applies the side effect of satisfying one wait on the object (auto-reset, decrement). */
    private static void satisfy(MemorySegment seg, long off) {
        switch (type(seg, off)) {
            case EVENT_SYNCHRONIZATION_OBJECT, TIMER_SYNCHRONIZATION_OBJECT -> setSignalState(seg, off, 0);
            case SEMAPHORE_OBJECT -> setSignalState(seg, off, signalState(seg, off) - 1);
            default -> { } // notification objects stay signalled
        }
    }

    /**
     * Tries to satisfy a wait described by {@code count} prepared wait blocks at once (under the
     * lock). Returns the WaitKey satisfied (WaitAny), 0 (WaitAll), or -1 if the wait must block.
     * Every object is resolved before any is satisfied.
     */
    static int trySatisfy(KernelCore k, MemorySegment blocks, long base, int count, boolean waitAll) {
        if (!waitAll) {
            for (int i = 0; i < count; i++) {
                long obj = objectOf(blocks, base, i);
                Region r = resolveObject(k, obj);
                long off = r.offsetOf(obj);
                if (signalled(r.segment(), off)) {
                    satisfy(r.segment(), off);
                    return i;
                }
            }
            return -1;
        }
        for (int i = 0; i < count; i++) {
            long obj = objectOf(blocks, base, i);
            Region r = resolveObject(k, obj);
            if (!signalled(r.segment(), r.offsetOf(obj))) {
                return -1;
            }
        }
        for (int i = 0; i < count; i++) {
            long obj = objectOf(blocks, base, i);
            Region r = resolveObject(k, obj); // resolved above: cannot fail
            satisfy(r.segment(), r.offsetOf(obj));
        }
        return 0;
    }

    /** Checks that {@link #enqueue} can link every one of the waiter's blocks (under the lock). Changes nothing. */
    static void checkEnqueue(KernelCore k, MemorySegment blocks, long base, long blocksAddress, int count) {
        for (int i = 0; i < count; i++) {
            ListEntries.resolve(k, waitBlock(blocksAddress, i)); // the block itself: others will follow links to it
            ListEntries.checkInsertable(k, objectOf(blocks, base, i) + DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET);
        }
    }

    /** Links the waiter's prepared blocks into their objects' wait lists and registers it (under the lock; checked first). */
    static void enqueue(KernelCore k, Waiter w) {
        checkEnqueue(k, w.blocks, w.blocksOffset, w.blocksAddress, w.count);
        for (int i = 0; i < w.count; i++) {
            long obj = objectOf(w.blocks, w.blocksOffset, i);
            ListEntries.insertTail(k, obj + DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET, waitBlock(w.blocksAddress, i));
            setBlockState(w.blocks, w.blocksOffset, i, KWAIT_BLOCK.WaitBlockActive);
        }
        WAITERS.put(w.kthread, w);
    }

    /** Checks that every one of the waiter's blocks is consistently linked (under the lock). Changes nothing. */
    private static void checkDequeue(KernelCore k, Waiter w) {
        for (int i = 0; i < w.count; i++) {
            ListEntries.checkLinked(k, waitBlock(w.blocksAddress, i));
        }
    }

    /** Unlinks all of the waiter's blocks and forgets it (under the lock; every block checked first). */
    static void dequeue(KernelCore k, Waiter w) {
        checkDequeue(k, w);
        unlink(k, w);
    }

    /** {@link #dequeue} after {@link #checkDequeue} passed. */
    private static void unlink(KernelCore k, Waiter w) {
        for (int i = 0; i < w.count; i++) {
            ListEntries.remove(k, waitBlock(w.blocksAddress, i));
            setBlockState(w.blocks, w.blocksOffset, i, KWAIT_BLOCK.WaitBlockInactive);
        }
        WAITERS.remove(w.kthread);
    }

    /**
     * Checks, before a signaller changes anything, that {@link #wakeWaiters} can run on the object at
     * {@code object}: the header resolves, and every wait block on its list resolves, is linked
     * back, belongs to a waiting thread whose blocks are all consistently linked. Under the lock;
     * O(blocks of the waiters on the list). Changes nothing.
     */
    public static void checkWaitList(KernelCore k, long object) {
        Region r = resolveObject(k, object);
        long head = object + DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET;
        long entry = ListEntries.flink(r.segment(), r.offsetOf(head));
        long prev = head;
        int guard = 0;
        while (entry != head) {
            Region er = ListEntries.resolve(k, entry);
            if (ListEntries.blink(er.segment(), er.offsetOf(entry)) != prev) {
                throw k.corrupt(entry, "wait block 0x" + Long.toHexString(entry) + " on object 0x" + Long.toHexString(object)
                        + " does not link back to 0x" + Long.toHexString(prev));
            }
            Waiter w = waiterOf(k, object, entry, er.segment(), er.offsetOf(entry));
            if (++guard > WAITERS.size() * KWAIT_BLOCK.MAXIMUM_WAIT_OBJECTS) {
                throw k.corrupt(entry, "wait list of object 0x" + Long.toHexString(object)
                        + " holds more blocks than the waiting threads have: the wait list is corrupt");
            }
            checkDequeue(k, w);
            prev = entry;
            entry = ListEntries.flink(er.segment(), er.offsetOf(entry));
        }
    }

    /**
     * The waiter that owns the wait block whose WaitListEntry is at {@code entry} (mapped at offset
     * {@code eo} of {@code es}), found on the wait list of {@code object} (under the lock): the
     * thread its {@code Thread} field names must be waiting, with this very block among the blocks
     * of its current wait, and the block must name {@code object}. A block that fails this is not
     * part of any wait in progress — left on the list by a wait that ended while a caller had the
     * list corrupted, in memory since reused (a caller's WaitBlockArray, or the built-in block of a
     * thread block recycled for a new thread, whose KTHREAD address the map now gives to another
     * wait) — and satisfying it would end that thread's unrelated wait and consume the signal meant
     * for this object's real waiter: KERNEL_SECURITY_CHECK_FAILURE (0x139/3) instead. Changes nothing.
     */
    private static Waiter waiterOf(KernelCore k, long object, long entry, MemorySegment es, long eo) {
        long kthread = es.get(ValueLayout.JAVA_LONG, eo - KWAIT_BLOCK.WAIT_LIST_ENTRY_OFFSET + KWAIT_BLOCK.THREAD_OFFSET);
        Waiter w = WAITERS.get(kthread);
        if (w == null) {
            throw k.corrupt(entry, "wait block 0x" + Long.toHexString(entry) + " on object 0x" + Long.toHexString(object)
                    + " has no waiting thread: the wait list is corrupt");
        }
        long index = entry - KWAIT_BLOCK.WAIT_LIST_ENTRY_OFFSET - w.blocksAddress;
        long named = es.get(ValueLayout.JAVA_LONG, eo - KWAIT_BLOCK.WAIT_LIST_ENTRY_OFFSET + KWAIT_BLOCK.OBJECT_OFFSET);
        if (index < 0 || index >= w.count * WAIT_BLOCK_STRIDE || index % WAIT_BLOCK_STRIDE != 0 || named != object) {
            throw k.corrupt(entry, "wait block 0x" + Long.toHexString(entry) + " on object 0x" + Long.toHexString(object)
                    + " is not a block of the current wait of thread 0x" + Long.toHexString(kthread)
                    + " on this object (a block left behind by an earlier wait): the wait list is corrupt");
        }
        return w;
    }

    /**
     * Satisfies every wait the now-signalled object at {@code object} (registered memory) can
     * satisfy, in wait-list order, until it is no longer signalled. Under the lock, after
     * {@link #checkWaitList} (which the signal routines call before they change the object).
     *
     * @return the number of waits satisfied
     */
    public static int wakeWaiters(KernelCore k, long object) {
        Region r = resolveObject(k, object);
        MemorySegment seg = r.segment();
        long off = r.offsetOf(object);
        long head = object + DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET;
        int woken = 0;
        long entry = ListEntries.flink(seg, off + DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET);
        while (entry != head && signalled(seg, off)) {
            Region er = ListEntries.resolve(k, entry);
            MemorySegment es = er.segment();
            long eo = er.offsetOf(entry);
            Waiter w = waiterOf(k, object, entry, es, eo); // checkWaitList checked it: cannot fail here
            int status;
            if (es.get(ValueLayout.JAVA_BYTE, eo + KWAIT_BLOCK.WAIT_TYPE_OFFSET) == KeWait.WaitAny) {
                checkDequeue(k, w); // before the object changes
                satisfy(seg, off);
                status = es.get(ValueLayout.JAVA_SHORT, eo + KWAIT_BLOCK.WAIT_KEY_OFFSET) & 0xFFFF;
            } else {
                checkDequeue(k, w);
                status = trySatisfy(k, w.blocks, w.blocksOffset, w.count, true);
                if (status < 0) {
                    entry = ListEntries.flink(es, eo); // this WaitAll waiter keeps waiting
                    continue;
                }
            }
            unlink(k, w); // checked above, before the object changed
            w.setStatus(status); // volatile write: the waiter's exit condition (linearization point of the wake)
            deferUnpark(w.thread);
            woken++;
            entry = ListEntries.flink(seg, off + DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET); // restart: the list changed
        }
        return woken;
    }

    /**
     * Signals the timer at offset {@code off} of {@code seg} (SignalState := 1) and satisfies the
     * waits it can: every waiter of a notification timer, one of a synchronization timer (which
     * that wait resets). Under the lock; the wait list is checked before anything changes. The
     * one entry point of timer expiry into the dispatcher.
     */
    public static void signalTimer(KernelCore k, MemorySegment seg, long off) {
        long object = seg.address() + off;
        if (!waitListEmpty(seg, off)) {
            checkWaitList(k, object);
        }
        setSignalState(seg, off, 1);
        if (!waitListEmpty(seg, off)) {
            wakeWaiters(k, object);
        }
    }

    // ----- kernel shutdown -----

    /**
     * Ends every wait still pending on {@code kernel}'s threads because the kernel closes
     * ({@code halted} false) or a bug check halted it ({@code halted} true): under the lock, each
     * such waiter's wait blocks are unlinked from their objects' wait lists (so nothing points into
     * memory about to be unmapped), its status becomes an internal "kernel gone" value and it is
     * unparked; its {@link KeWait} call then throws instead of returning a status. Waiters of other
     * kernels are untouched. The caller must have set the kernel's run state first: a wait checks
     * it under this lock before enqueueing, so no wait of the kernel can be enqueued afterwards.
     * Runtime-internal ({@link KernelCore#shutdown()}, {@code KernelCore.haltComplete(...)}).
     *
     * <p>Every wait ends, whatever the state of the lists: a block whose links a caller corrupted is
     * left where it is (the kernel is going away) rather than followed.
     *
     * <p>The registry is the waiter map every wait already joins under the lock (each
     * {@link Waiter} knows its kernel): the wait path does no extra work. This scan is O(waiting
     * threads of the process) per aborted wait, restarting after each removal — acceptable at
     * shutdown, where the number of waiting threads is small.
     *
     * @return the number of waits ended
     */
    static int abortWaits(KernelCore kernel, boolean halted) {
        int status = halted ? Waiter.KERNEL_HALTED : Waiter.KERNEL_CLOSED;
        int ended = 0;
        // A bug check raised under the lock (a bad pointer met while signalling or waiting) that halts
        // the kernel ends the waits from inside it: the state is as it was before that routine started
        // (validate before mutate), and the routine's own unlock unparks the waiters as it unwinds.
        boolean reentered = DispatcherLock.LOCK.isHeldByCurrentThread();
        if (!reentered) {
            lock();
        }
        try {
            Waiter found;
            do {
                found = null;
                for (Waiter w : WAITERS.values()) { // Agrona reuses its iterator: no allocation
                    if (w.kernel == kernel) {
                        found = w;
                        break;
                    }
                }
                if (found != null) {
                    abandon(kernel, found, status);
                    deferUnpark(found.thread);
                    ended++;
                }
            } while (found != null);
        } finally {
            if (!reentered) {
                unlock();
            }
        }
        return ended;
    }

    /**
     * Ends {@code w}'s wait with {@code status} whatever state its wait lists are in (under the
     * lock): every block whose links still agree is unlinked, a block on a list a caller corrupted
     * is left where it is rather than followed, and the waiter is forgotten, so that no stale entry
     * for its KTHREAD stays registered. Never raises. For shutdown and for a wait whose own
     * cancellation met a corrupt list.
     */
    static void abandon(KernelCore k, Waiter w, int status) {
        for (int i = 0; i < w.count; i++) {
            long wb = waitBlock(w.blocksAddress, i);
            if (ListEntries.isLinked(k, wb)) {
                ListEntries.remove(k, wb);
                setBlockState(w.blocks, w.blocksOffset, i, KWAIT_BLOCK.WaitBlockInactive);
            }
        }
        if (WAITERS.get(w.kthread) == w) {
            WAITERS.remove(w.kthread);
        }
        w.setStatus(status); // volatile write: the waiter's exit condition
    }

    /** Threads registered as waiting now (diagnostics, tests). */
    static int waitingThreads() {
        lock();
        try {
            return WAITERS.size();
        } finally {
            unlock();
        }
    }

    // ----- VarHandle mechanics -----
    /** DISPATCHER_HEADER.SignalState (LONG); written under the lock, read lock-free by KeReadState*. */
    private static final VarHandle STATE = ValueLayout.JAVA_INT.varHandle();
}
