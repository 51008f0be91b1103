package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
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
 *   <li>Signal state: {@code DISPATCHER_HEADER.SignalState} (LONG @4) of the object, written only
 *       under the dispatcher lock (read without it by the KeReadState* routines).</li>
 *   <li>Wait blocks: real x64 {@code KWAIT_BLOCK}s (0x30 bytes) in the waiting thread's identity
 *       block ({@link ThreadState#waitBlocks()}) or the caller's WaitBlockArray, linked into the
 *       object's {@code WaitListHead} (a real doubly linked LIST_ENTRY list in native memory, so a
 *       dump tool walking the header sees the waiters). Fields written: WaitListEntry @0,
 *       WaitType @0x10 (WaitAll 0 / WaitAny 1), BlockState @0x11 (WaitBlockActive 4 while
 *       linked, WaitBlockInactive 5 otherwise), WaitKey @0x12, Thread @0x18 (the KTHREAD
 *       address), Object @0x20.</li>
 *   <li>Java side: a map from KTHREAD address to the thread's {@link Waiter} (status, Java thread
 *       to unpark), holding entries only while the thread waits.</li>
 * </ul>
 * Every object waited on and every wait block must be in memory registered in the kernel's
 * address space (pool memory): links are followed as addresses and resolved through
 * {@link AddressSpace#regionOf}, which raises PAGE_FAULT_IN_NONPAGED_AREA for anything else.
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
     * locks — a finer scheme would only pay off with many processors). The lock is a test-and-test-
     * and-set word in a padded Java object; spinners yield after a bounded spin. Waiters never park
     * while holding it.
     *
     * Wake-up protocol: the signaller, under the lock, satisfies the wait (auto-reset, decrement),
     * unlinks all of the waiter's blocks, removes it from the map, writes Waiter.status (volatile)
     * and unparks the thread. The waiter re-reads status after every park; a timeout or alert
     * takes the lock and cancels only if status is still PENDING. So every wait ends exactly once,
     * either satisfied or cancelled: no lost or doubled wake-ups. Kernel close/halt
     * (abortWaits) is one more such party: it ends the pending waits of that kernel the same way,
     * with a status below PENDING that KeWait turns into an exception.
     */

    // KWAIT_BLOCK (x64, Windows 10/11) has no layout class yet: its offsets are kept here.
    /** KWAIT_BLOCK size on x64. */
    public static final int KWAIT_BLOCK_SIZE = 0x30;
    /** KWAIT_BLOCK.WaitListEntry (LIST_ENTRY) offset. */
    static final long WB_WAIT_LIST_ENTRY = 0x00;
    /** KWAIT_BLOCK.WaitType (UCHAR: WaitAll 0, WaitAny 1) offset. */
    static final long WB_WAIT_TYPE = 0x10;
    /** KWAIT_BLOCK.BlockState (UCHAR, KWAIT_BLOCK_STATE) offset. */
    static final long WB_BLOCK_STATE = 0x11;
    /** KWAIT_BLOCK.WaitKey (USHORT) offset. */
    static final long WB_WAIT_KEY = 0x12;
    /** KWAIT_BLOCK.Thread (PKTHREAD) offset. */
    static final long WB_THREAD = 0x18;
    /** KWAIT_BLOCK.Object (PVOID) offset. */
    static final long WB_OBJECT = 0x20;
    /** KWAIT_BLOCK_STATE WaitBlockActive. */
    static final byte WAIT_BLOCK_ACTIVE = 4;
    /** KWAIT_BLOCK_STATE WaitBlockInactive. */
    static final byte WAIT_BLOCK_INACTIVE = 5;

    /** DISPATCHER_HEADER.Type values (ddi-reference §1.3). */
    public static final int EVENT_NOTIFICATION_OBJECT = 0;
    public static final int EVENT_SYNCHRONIZATION_OBJECT = 1;
    public static final int SEMAPHORE_OBJECT = 5;
    public static final int TIMER_NOTIFICATION_OBJECT = 8;
    public static final int TIMER_SYNCHRONIZATION_OBJECT = 9;

    static final long TYPE = DISPATCHER_HEADER.TYPE_OFFSET;
    static final long SIGNAL_STATE = DISPATCHER_HEADER.SIGNAL_STATE_OFFSET;
    static final long WAIT_LIST_HEAD = DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET;
    /** sizeof(DISPATCHER_HEADER) on x64. */
    public static final long HEADER_SIZE = DISPATCHER_HEADER.X64.size();

    private static final Dispatcher LOCK = new Dispatcher();
    /** Threads whose waits the lock holder satisfied, to unpark at unlock; guarded by the lock. */
    private static final Thread[] deferred = new Thread[8];
    private static int deferredCount;
    /** Waiting threads by KTHREAD address; guarded by the dispatcher lock. */
    private static final Long2ObjectHashMap<Waiter> WAITERS = new Long2ObjectHashMap<>();

    // padding on both sides of the lock word: it is the hottest shared line of the dispatcher
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
    /** 0 free, 1 held. */
    private volatile int held;
    @SuppressWarnings("unused")
    private long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

    private Dispatcher() {
    }

    // ----- the dispatcher lock -----

    /** Acquires the dispatcher lock (blocking: spins, then yields). */
    public static void lock() {
        if (!HELD.compareAndSet(LOCK, 0, 1)) { // volatile CAS: acquire edge for everything under the lock
            lockSlow();
        }
    }

    private static void lockSlow() {
        int spins = 0;
        for (;;) {
            while (LOCK.held != 0) { // volatile read (plain load on x64): test before test-and-set
                if (++spins < KeSpinLock.SPIN_LIMIT) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            if (HELD.compareAndSet(LOCK, 0, 1)) {
                return;
            }
        }
    }

    /**
     * Releases the dispatcher lock, then unparks the thread whose wait the holder satisfied, if
     * exactly one (the common case: a synchronization event, a mutex hand-off) — outside the
     * lock, so the woken thread does not find the lock still held by its waker's unpark system
     * call. Several wake-ups are unparked under the lock (no allocation either way).
     */
    public static void unlock() {
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
        HELD.setRelease(LOCK, 0); // release: pairs with the next lock()'s CAS
        if (wake != null) {
            LockSupport.unpark(wake); // a late unpark is harmless: every park here re-checks its condition
        }
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
        return seg.get(ValueLayout.JAVA_BYTE, off + TYPE) & 0xFF;
    }

    /** SignalState of the object at offset {@code off} of {@code seg} (volatile read; for timers and DPCs too). */
    public static int signalState(MemorySegment seg, long off) {
        return (int) STATE.getVolatile(seg, off + SIGNAL_STATE);
    }

    /** Writes SignalState (volatile: lock-free readers such as KeReadStateEvent see it at once). */
    public static void setSignalState(MemorySegment seg, long off, int value) {
        STATE.setVolatile(seg, off + SIGNAL_STATE, value);
    }

    /** Whether waits on objects of {@code type} are supported. */
    static boolean waitable(int type) {
        return type == EVENT_NOTIFICATION_OBJECT || type == EVENT_SYNCHRONIZATION_OBJECT || type == SEMAPHORE_OBJECT
                || type == TIMER_NOTIFICATION_OBJECT || type == TIMER_SYNCHRONIZATION_OBJECT;
    }

    /** Initializes {@code WaitListHead} of the object at {@code seg} to an empty list (Flink = Blink = itself). */
    public static void initializeWaitList(MemorySegment seg) {
        long head = seg.address() + WAIT_LIST_HEAD;
        seg.set(ValueLayout.JAVA_LONG, WAIT_LIST_HEAD, head);
        seg.set(ValueLayout.JAVA_LONG, WAIT_LIST_HEAD + 8, head);
    }

    /** Whether the object's wait list is empty (a consistent read needs the lock). */
    public static boolean waitListEmpty(MemorySegment seg) {
        return waitListEmpty(seg, 0);
    }

    /** Whether the wait list of the object at offset {@code off} of {@code seg} is empty. */
    static boolean waitListEmpty(MemorySegment seg, long off) {
        return seg.get(ValueLayout.JAVA_LONG, off + WAIT_LIST_HEAD) == seg.address() + off + WAIT_LIST_HEAD;
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
     */
    static int trySatisfy(AddressSpace as, MemorySegment blocks, long base, int count, boolean waitAll) {
        if (!waitAll) {
            for (int i = 0; i < count; i++) {
                long obj = blocks.get(ValueLayout.JAVA_LONG, base + (long) i * KWAIT_BLOCK_SIZE + WB_OBJECT);
                Region r = as.regionOf(obj, HEADER_SIZE);
                long off = r.offsetOf(obj);
                if (signalled(r.segment(), off)) {
                    satisfy(r.segment(), off);
                    return i;
                }
            }
            return -1;
        }
        for (int i = 0; i < count; i++) {
            long obj = blocks.get(ValueLayout.JAVA_LONG, base + (long) i * KWAIT_BLOCK_SIZE + WB_OBJECT);
            Region r = as.regionOf(obj, HEADER_SIZE);
            if (!signalled(r.segment(), r.offsetOf(obj))) {
                return -1;
            }
        }
        for (int i = 0; i < count; i++) {
            long obj = blocks.get(ValueLayout.JAVA_LONG, base + (long) i * KWAIT_BLOCK_SIZE + WB_OBJECT);
            Region r = as.regionOf(obj, HEADER_SIZE);
            satisfy(r.segment(), r.offsetOf(obj));
        }
        return 0;
    }

    /** Links the waiter's prepared blocks into their objects' wait lists and registers it (under the lock). */
    static void enqueue(AddressSpace as, Waiter w) {
        for (int i = 0; i < w.count; i++) {
            long wb = w.blocksAddress + (long) i * KWAIT_BLOCK_SIZE;
            long obj = w.blocks.get(ValueLayout.JAVA_LONG, w.blocksOffset + (long) i * KWAIT_BLOCK_SIZE + WB_OBJECT);
            insertTail(as, obj + WAIT_LIST_HEAD, wb);
            w.blocks.set(ValueLayout.JAVA_BYTE, w.blocksOffset + (long) i * KWAIT_BLOCK_SIZE + WB_BLOCK_STATE, WAIT_BLOCK_ACTIVE);
        }
        WAITERS.put(w.kthread, w);
    }

    /** Unlinks all of the waiter's blocks and forgets it (under the lock). */
    static void dequeue(AddressSpace as, Waiter w) {
        for (int i = 0; i < w.count; i++) {
            long wb = w.blocksAddress + (long) i * KWAIT_BLOCK_SIZE;
            removeEntry(as, wb);
            w.blocks.set(ValueLayout.JAVA_BYTE, w.blocksOffset + (long) i * KWAIT_BLOCK_SIZE + WB_BLOCK_STATE, WAIT_BLOCK_INACTIVE);
        }
        WAITERS.remove(w.kthread);
    }

    /**
     * Satisfies every wait the now-signalled object at {@code object} (registered memory) can
     * satisfy, in wait-list order, until it is no longer signalled. Under the lock.
     *
     * @return the number of waits satisfied
     */
    public static int wakeWaiters(AddressSpace as, long object) {
        Region r = as.regionOf(object, HEADER_SIZE);
        MemorySegment seg = r.segment();
        long off = r.offsetOf(object);
        long head = object + WAIT_LIST_HEAD;
        int woken = 0;
        long entry = seg.get(ValueLayout.JAVA_LONG, off + WAIT_LIST_HEAD);
        while (entry != head && signalled(seg, off)) {
            Region er = as.regionOf(entry, KWAIT_BLOCK_SIZE);
            MemorySegment es = er.segment();
            long eo = er.offsetOf(entry);
            Waiter w = WAITERS.get(es.get(ValueLayout.JAVA_LONG, eo + WB_THREAD));
            if (w == null) {
                throw new IllegalStateException("wait block 0x" + Long.toHexString(entry) + " on object 0x"
                        + Long.toHexString(object) + " has no waiting thread: the wait list is corrupt");
            }
            int status;
            if (es.get(ValueLayout.JAVA_BYTE, eo + WB_WAIT_TYPE) == 1) { // WaitAny
                satisfy(seg, off);
                status = es.get(ValueLayout.JAVA_SHORT, eo + WB_WAIT_KEY) & 0xFFFF;
            } else {
                status = trySatisfy(as, w.blocks, w.blocksOffset, w.count, true);
                if (status < 0) {
                    entry = es.get(ValueLayout.JAVA_LONG, eo); // Flink: this WaitAll waiter keeps waiting
                    continue;
                }
            }
            complete(as, w, status);
            woken++;
            entry = seg.get(ValueLayout.JAVA_LONG, off + WAIT_LIST_HEAD); // restart: the list changed
        }
        return woken;
    }

    /** Ends {@code w}'s wait with {@code status}: unlink, publish, unpark (at unlock). Under the lock. */
    static void complete(AddressSpace as, Waiter w, int status) {
        dequeue(as, w);
        w.status = status; // volatile write: the waiter's exit condition (linearization point of the wake)
        deferUnpark(w.thread);
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
     * Runtime-internal ({@code Kernel.close()}, {@code Kernel.haltComplete(...)}).
     *
     * <p>The registry is the waiter map every wait already joins under the lock (each
     * {@link Waiter} knows its kernel): the wait path does no extra work. This scan is O(waiting
     * threads of the process) per aborted wait, restarting after each removal — acceptable at
     * shutdown, where the number of waiting threads is small.
     *
     * @return the number of waits ended
     */
    public static int abortWaits(KernelCore kernel, boolean halted) {
        int status = halted ? Waiter.KERNEL_HALTED : Waiter.KERNEL_CLOSED;
        AddressSpace as = kernel.addressSpace();
        int ended = 0;
        lock();
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
                    complete(as, found, status); // removes it from WAITERS: the scan restarts
                    ended++;
                }
            } while (found != null);
        } finally {
            unlock();
        }
        return ended;
    }

    // ----- native LIST_ENTRY operations (addresses resolved through the address space) -----

    private static long getLong(AddressSpace as, long address) {
        Region r = as.regionOf(address, 8);
        return r.segment().get(ValueLayout.JAVA_LONG, r.offsetOf(address));
    }

    private static void setLong(AddressSpace as, long address, long value) {
        Region r = as.regionOf(address, 8);
        r.segment().set(ValueLayout.JAVA_LONG, r.offsetOf(address), value);
    }

    /** InsertTailList(head, entry). */
    static void insertTail(AddressSpace as, long head, long entry) {
        long blink = getLong(as, head + 8);
        setLong(as, entry, head);
        setLong(as, entry + 8, blink);
        setLong(as, blink, entry);
        setLong(as, head + 8, entry);
    }

    /** RemoveEntryList(entry); the entry's own links are left pointing at itself. */
    static void removeEntry(AddressSpace as, long entry) {
        long flink = getLong(as, entry);
        long blink = getLong(as, entry + 8);
        setLong(as, blink, flink);
        setLong(as, flink + 8, blink);
        setLong(as, entry, entry);
        setLong(as, entry + 8, entry);
    }

    // ----- VarHandle mechanics -----
    private static final VarHandle HELD;
    /** DISPATCHER_HEADER.SignalState (LONG); written under the lock, read lock-free by KeReadState*. */
    private static final VarHandle STATE = ValueLayout.JAVA_INT.varHandle();

    static {
        try {
            HELD = MethodHandles.lookup().findVarHandle(Dispatcher.class, "held", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
