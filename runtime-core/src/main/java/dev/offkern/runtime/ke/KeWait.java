package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.KWAIT_BLOCK;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.runtime.mm.LiveMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits on dispatcher objects: {@code KeWaitForSingleObject}, {@code KeWaitForMultipleObjects}
 * and {@code KeDelayExecutionThread}, over the {@link Dispatcher}.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Objects: events (notification, synchronization), semaphores, and (for later issues)
 *       timers — any other DISPATCHER_HEADER.Type is IllegalArgumentException. Objects and wait
 *       blocks must be in registered (pool) memory.</li>
 *   <li>Satisfying a wait on a synchronization event resets it; on a semaphore decrements it;
 *       a notification event stays signalled. WaitAll satisfies all objects atomically (under
 *       the dispatcher lock) and only when all are signalled at once.</li>
 *   <li>Timeout: a PLARGE_INTEGER segment in 100 ns units, {@code MemorySegment.NULL} for none
 *       (infinite). Negative: relative (monotonic clock); zero: poll; positive: absolute system
 *       time (100 ns since 1601-01-01 UTC), converted to a relative wait when the wait starts (a
 *       wall-clock change during the wait is not followed — offkern's simplification); an
 *       absolute time already past polls.</li>
 *   <li>Returns STATUS_WAIT_0 + index (WaitAny: the lowest index of a signalled object, as
 *       Windows scans), STATUS_WAIT_0 (WaitAll), STATUS_TIMEOUT, or STATUS_ALERTED (Alertable
 *       waits only: a Java {@link Thread#interrupt()} plays the role of KeAlertThread; the
 *       interrupt flag is consumed). A non-alertable wait ignores interrupts and re-asserts the
 *       flag when it returns. No APCs are delivered, so STATUS_USER_APC never occurs.</li>
 *   <li>Shutdown: if the kernel closes or halts while a thread waits (any timeout, infinite
 *       included; a {@code KeDelayExecutionThread} too), the wait ends by throwing — {@link IllegalStateException} ("this offkern
 *       kernel is closed ...") when {@code Kernel.close()} ran, the kernel's
 *       {@link dev.offkern.nt.KernelHaltedException} when a bug check halted it (HALT
 *       policy) — instead of returning a status; its wait blocks have been unlinked from the
 *       objects' wait lists before any memory was unmapped. A new wait on a closed or halted
 *       kernel throws the same way at once (except on the thread running the halting bug
 *       check). Waits of other kernels' threads are unaffected.</li>
 *   <li>WaitReason and WaitMode are recorded nowhere (no scheduler statistics yet).</li>
 *   <li>IRQL: ≤ APC_LEVEL, or DISPATCH_LEVEL with a zero timeout (verifier: 0xC4/0x120, 0x121,
 *       0x122 with P3 the first object, P4 the timeout).</li>
 *   <li>Count &gt; MAXIMUM_WAIT_OBJECTS (64), or &gt; THREAD_WAIT_OBJECTS (3) without a
 *       WaitBlockArray: MAXIMUM_WAIT_OBJECTS_EXCEEDED (0x0C), always (as Windows checks it on every
 *       build). Count 0 or a too-small Object/WaitBlockArray segment: IllegalArgumentException.</li>
 * </ul>
 * <p>The executive's own waits (run-down, run-once: {@link WakeBlock}) and the mutexes' slow paths
 * are waits of this kind too ({@link #waitInternal}), so the shutdown rule covers them.
 *
 * <p>Validate before mutate: every object and wait block is resolved, and every wait list it
 * will join checked, before anything is satisfied or linked; a bad pointer fails the call with
 * no state changed.
 *
 * <p>Progress: blocking. A waiter spins briefly ({@link Backoff#spin}) then parks; it allocates
 * nothing per wait.
 */
public final class KeWait {
    /*
     * Implementation overview.
     *
     * 1. Prepare the wait blocks (Object, WaitKey, WaitType, Thread; BlockState inactive) — outside
     *    the lock: they belong to the waiting thread.
     * 2. Lock; try to satisfy at once (Dispatcher.trySatisfy); if not and the timeout is zero,
     *    unlock and return STATUS_TIMEOUT; else link the blocks (Dispatcher.enqueue), unlock.
     * 3. Spin/park until Waiter.status != PENDING. On timeout or alert: lock, and if still PENDING
     *    dequeue and set the status ourselves; otherwise the signaller won the race and its status
     *    stands. Either way exactly one party ends the wait.
     */

    /** WAIT_TYPE WaitAll. */
    public static final int WaitAll = 0;
    /** WAIT_TYPE WaitAny. */
    public static final int WaitAny = 1;
    /** 100 ns intervals between 1601-01-01 and 1970-01-01. */
    static final long EPOCH_1601_TO_1970_100NS = 116_444_736_000_000_000L;

    private static final long INFINITE = Long.MAX_VALUE;

    private KeWait() {
    }

    /** The current system time ({@code KeQuerySystemTime}): 100 ns units since 1601-01-01 UTC. */
    public static long systemTime() {
        Instant now = Instant.now();
        return EPOCH_1601_TO_1970_100NS + now.getEpochSecond() * 10_000_000L + now.getNano() / 100;
    }

    /** {@code KeWaitForSingleObject(Object, WaitReason, WaitMode, Alertable, Timeout)}. */
    public static int waitForSingleObject(MemorySegment object, int waitReason, int waitMode, boolean alertable,
                                          MemorySegment timeout) {
        ThreadState t = ThreadState.current(); // first: a closed kernel says so
        LiveMemory.require(object, "KeWaitForSingleObject", "Object"); // a stale segment of an earlier kernel
        boolean hasTimeout = hasTimeout(timeout);
        long raw = hasTimeout ? readTimeout(timeout, "KeWaitForSingleObject", "Timeout") : 0;
        if (Verifier.ENABLED) {
            IrqlChecks.requireWaitAllowed(t, object.address(), hasTimeout, raw, "KeWaitForSingleObject");
        }
        Waiter w = waiter(t);
        MemorySegment blocks = t.block();
        prepare(t, blocks, ETHREAD.TCB_WAIT_BLOCK_OFFSET, 0, object.address(), WaitAny, t.address());
        return waitPrepared(t, w, blocks, ETHREAD.TCB_WAIT_BLOCK_OFFSET, 1, false, hasTimeout, raw, alertable, waitMode);
    }

    /**
     * {@code KeWaitForMultipleObjects(Count, Object[], WaitType, WaitReason, WaitMode, Alertable,
     * Timeout, WaitBlockArray)}; {@code objects} holds Count pointers.
     */
    public static int waitForMultipleObjects(int count, MemorySegment objects, int waitType, int waitReason, int waitMode,
                                             boolean alertable, MemorySegment timeout, MemorySegment waitBlockArray) {
        ThreadState t = ThreadState.current();
        boolean hasArray = waitBlockArray != null && waitBlockArray.address() != 0;
        if (count < 0 || count > KWAIT_BLOCK.MAXIMUM_WAIT_OBJECTS || (!hasArray && count > KWAIT_BLOCK.THREAD_WAIT_OBJECTS)) {
            throw t.kernel().bugCheck(BugCheckCode.MAXIMUM_WAIT_OBJECTS_EXCEEDED, 0, 0, 0, 0,
                    "KeWaitForMultipleObjects: Count " + Integer.toUnsignedString(count) + " exceeds "
                            + (hasArray ? "MAXIMUM_WAIT_OBJECTS (64)" : "THREAD_WAIT_OBJECTS (3) without a WaitBlockArray"));
        }
        if (count == 0) {
            throw new IllegalArgumentException("KeWaitForMultipleObjects: Count is 0");
        }
        if (waitType != WaitAll && waitType != WaitAny) {
            throw new IllegalArgumentException("KeWaitForMultipleObjects: WaitType " + waitType + " is neither WaitAll (0) nor WaitAny (1)");
        }
        if (objects == null || objects.address() == 0) {
            throw new IllegalArgumentException("KeWaitForMultipleObjects: Object[] is NULL");
        }
        // Object[] may be a sized segment or a raw pointer: resolved and checked before anything is read.
        objects = CallerMemory.structure(objects, ValueLayout.ADDRESS.byteSize() * count, 1, "KeWaitForMultipleObjects",
                "Object[]");
        long arrayBytes = KWAIT_BLOCK.LAYOUT.byteSize() * count;
        if (hasArray && (waitBlockArray.byteSize() < arrayBytes || !KWAIT_BLOCK.X64.isAligned(waitBlockArray.address())
                || !waitBlockArray.isNative())) {
            throw new IllegalArgumentException("KeWaitForMultipleObjects: WaitBlockArray must be an " + KWAIT_BLOCK.X64.align()
                    + "-byte aligned native array of " + count + " KWAIT_BLOCKs (0x" + Long.toHexString(KWAIT_BLOCK.LAYOUT.byteSize())
                    + " bytes each)");
        }
        boolean hasTimeout = hasTimeout(timeout);
        long raw = hasTimeout ? readTimeout(timeout, "KeWaitForMultipleObjects", "Timeout") : 0;
        if (Verifier.ENABLED) {
            IrqlChecks.requireWaitAllowed(t, objects.get(ValueLayout.JAVA_LONG_UNALIGNED, 0), hasTimeout, raw,
                    "KeWaitForMultipleObjects");
        }
        KernelCore k = t.kernel();
        if (hasArray) {
            // other threads reach these blocks through the objects' wait lists: they must resolve (0x50 otherwise),
            // checked before anything is linked
            k.addressSpace().regionOf(waitBlockArray.address(), arrayBytes);
        }
        MemorySegment blocks = hasArray ? waitBlockArray : t.block();
        long base = hasArray ? 0 : ETHREAD.TCB_WAIT_BLOCK_OFFSET;
        for (int i = 0; i < count; i++) {
            long obj = objects.get(ValueLayout.JAVA_LONG_UNALIGNED, 8L * i);
            if (waitType == WaitAll) {
                for (int j = 0; j < i; j++) {
                    if (objects.get(ValueLayout.JAVA_LONG_UNALIGNED, 8L * j) == obj) {
                        throw new IllegalArgumentException("KeWaitForMultipleObjects: object 0x" + Long.toHexString(obj)
                                + " appears twice in a WaitAll wait (entries " + j + " and " + i + ")");
                    }
                }
            }
            prepare(t, blocks, base, i, obj, waitType, t.address());
        }
        return waitPrepared(t, waiter(t), blocks, base, count, waitType == WaitAll, hasTimeout, raw, alertable, waitMode);
    }

    /**
     * {@code KeDelayExecutionThread(WaitMode, Alertable, Interval)}: sleeps for the interval
     * (same units and signs as a wait timeout). Returns STATUS_SUCCESS, or STATUS_ALERTED for an
     * interrupted alertable delay. IRQL: ≤ APC_LEVEL (DISPATCH_LEVEL only with a zero interval).
     * A delay is a dispatcher wait on no object (as Windows waits on the thread's own timer): the
     * thread joins the dispatcher's waiters for the interval, so {@code Kernel.close()} or a HALT
     * bug check ends it as it ends every wait (the call throws, see the class contract).
     */
    public static int delayExecutionThread(int waitMode, boolean alertable, MemorySegment interval) {
        ThreadState t = ThreadState.current();
        if (!hasTimeout(interval)) {
            throw new IllegalArgumentException("KeDelayExecutionThread: Interval must not be NULL");
        }
        long raw = readTimeout(interval, "KeDelayExecutionThread", "Interval");
        if (Verifier.ENABLED) {
            IrqlChecks.requireWaitAllowed(t, 0, true, raw, "KeDelayExecutionThread");
        }
        long deadline = deadline(raw);
        if (deadline == 0) {
            Thread.yield();
            return NtStatus.STATUS_SUCCESS;
        }
        KernelCore kernel = t.kernel();
        Waiter w = waiter(t);
        Dispatcher.lock();
        try {
            if (!kernel.isRunningFast()) {
                kernel.ensureRunning(); // under the lock, as waitPrepared: no delay starts after the abort
            }
            w.blocks = t.block();
            w.blocksOffset = ETHREAD.TCB_WAIT_BLOCK_OFFSET;
            w.blocksAddress = t.address() + ETHREAD.TCB_WAIT_BLOCK_OFFSET;
            w.count = 0; // no object: nothing is linked, only the waiter registered
            w.setStatus(Waiter.PENDING); // published by the unlock below
            Dispatcher.enqueue(kernel, w);
            markWaiting(t, w.blocksAddress, waitMode);
        } finally {
            Dispatcher.unlock();
        }
        int s = park(kernel, w, deadline, alertable);
        if (s < Waiter.PENDING) {
            throw kernelGone(kernel, s); // its KTHREAD may be unmapped already: nothing more is written there
        }
        markRunning(kernel, t);
        return s == NtStatus.STATUS_TIMEOUT ? NtStatus.STATUS_SUCCESS : s; // the interval elapsed
    }

    // ----- internals shared with the mutexes -----

    /**
     * Waits forever, non-alertably, on one object with no IRQL check (runtime-internal: the fast
     * and guarded mutexes' slow path waits on their embedded event at APC_LEVEL).
     */
    static void waitInternal(ThreadState t, long object) {
        MemorySegment blocks = t.block();
        prepare(t, blocks, ETHREAD.TCB_WAIT_BLOCK_OFFSET, 0, object, WaitAny, t.address());
        waitPrepared(t, waiter(t), blocks, ETHREAD.TCB_WAIT_BLOCK_OFFSET, 1, false, false, 0, false, KERNEL_MODE);
    }

    /** Reads a {@code PLARGE_INTEGER} timeout or interval (sized segment or raw pointer), checked first. */
    private static long readTimeout(MemorySegment timeout, String routine, String parameter) {
        return CallerMemory.structure(timeout, ValueLayout.JAVA_LONG.byteSize(), 1, routine, parameter)
                .get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    private static boolean hasTimeout(MemorySegment timeout) {
        return timeout != null && !(timeout.isNative() && timeout.address() == 0); // NULL is the native address 0
    }

    /** The System.nanoTime() deadline for a timeout value: 0 = poll, never INFINITE. */
    private static long deadline(long raw) {
        if (raw == 0) {
            return 0;
        }
        long relative100ns;
        if (raw < 0) {
            relative100ns = raw == Long.MIN_VALUE ? Long.MAX_VALUE : -raw;
        } else {
            relative100ns = raw - systemTime();
            if (relative100ns <= 0) {
                return 0;
            }
        }
        long nanos = relative100ns > Long.MAX_VALUE / 100 ? Long.MAX_VALUE / 2 : relative100ns * 100;
        long d = System.nanoTime() + Math.min(nanos, Long.MAX_VALUE / 2);
        return d == 0 ? 1 : d;
    }

    /**
     * The calling thread's waiter for {@code t}'s kernel: kept in the thread state (one per thread and
     * kernel, so its KTHREAD and kernel always match), not in a thread-local of its own, which would
     * keep a closed kernel reachable for as long as its thread lives.
     */
    private static Waiter waiter(ThreadState t) {
        Waiter w = t.waiter;
        if (w == null) {
            w = new Waiter(Thread.currentThread(), t.block(), t.kernel());
            t.waiter = w;
        }
        return w;
    }

    /** Writes wait block {@code index} (the waiting thread's own memory: no lock) after checking the object. */
    private static void prepare(ThreadState t, MemorySegment blocks, long base, int index, long object, int waitType,
                                long kthread) {
        KernelCore k = t.kernel();
        Region r = Dispatcher.resolveObject(k, object);
        if (Verifier.ENABLED && t.verifies(VerifierCheck.SPECIAL_POOL)) {
            // A raw object pointer (an Object[] entry) into a POOL_HEADER or past a block would make the
            // wait satisfy (write) a neighbour's memory: the header must lie inside one live block (0xD6/0xD5).
            k.addressSpace().checkLive(object, object, DISPATCHER_HEADER.LAYOUT.byteSize(), true);
        }
        int type = Dispatcher.type(r.segment(), r.offsetOf(object));
        if (!Dispatcher.waitable(type)) {
            throw new IllegalArgumentException("object 0x" + Long.toHexString(object) + " has DISPATCHER_HEADER.Type " + type
                    + ": offkern waits on events (0, 1), processes (3), semaphores (5), threads (6) and timers (8, 9)");
        }
        long b = base + index * KWAIT_BLOCK.LAYOUT.byteSize();
        ListEntries.initializeHead(blocks, b + KWAIT_BLOCK.WAIT_LIST_ENTRY_OFFSET); // unlinked: points at itself
        KWAIT_BLOCK.WAIT_TYPE.set(blocks, b, (byte) waitType);
        KWAIT_BLOCK.BLOCK_STATE.set(blocks, b, KWAIT_BLOCK.WaitBlockInactive);
        KWAIT_BLOCK.WAIT_KEY.set(blocks, b, (short) index);
        blocks.set(ValueLayout.JAVA_LONG, b + KWAIT_BLOCK.THREAD_OFFSET, kthread);
        KWAIT_BLOCK.OBJECT.set(blocks, b, object);
    }

    private static int waitPrepared(ThreadState t, Waiter w, MemorySegment blocks, long base, int count, boolean waitAll,
                                    boolean hasTimeout, long raw, boolean alertable, int waitMode) {
        KernelCore kernel = t.kernel();
        long deadline = hasTimeout ? deadline(raw) : INFINITE;
        Dispatcher.lock();
        try {
            if (!kernel.isRunningFast()) {
                // Checked under the lock: close()/haltComplete() set the run state before they take the lock
                // to abort the waits, so a wait either sees the new state here or is enqueued before the abort.
                kernel.ensureRunning(); // throws unless this thread is running the halting bug check
            }
            int key = Dispatcher.trySatisfy(kernel, blocks, base, count, waitAll);
            if (key >= 0) {
                return NtStatus.STATUS_WAIT_0 + key;
            }
            if (deadline == 0) {
                return NtStatus.STATUS_TIMEOUT;
            }
            w.blocks = blocks;
            w.blocksOffset = base;
            w.blocksAddress = blocks.address() + base;
            w.count = count;
            w.setStatus(Waiter.PENDING); // read under the lock by signallers, by the waiter after it
            Dispatcher.enqueue(kernel, w); // checks every block and wait list before linking any
            markWaiting(t, w.blocksAddress, waitMode);
        } finally {
            Dispatcher.unlock();
        }
        int s = park(kernel, w, deadline, alertable);
        if (s < Waiter.PENDING) {
            throw kernelGone(kernel, s); // its KTHREAD may be unmapped already: nothing more is written there
        }
        markRunning(kernel, t);
        return s;
    }

    /** KPROCESSOR_MODE KernelMode: the executive's own waits. */
    private static final int KERNEL_MODE = 0;

    /**
     * The KTHREAD fields of a thread about to block (its own memory: plain writes, read racily only by
     * diagnostics such as a dump): State Waiting, WaitIrql, WaitMode and WaitBlockList (the first block
     * of the wait: its built-in WaitBlock or the caller's WaitBlockArray).
     */
    private static void markWaiting(ThreadState t, long blockList, int waitMode) {
        MemorySegment k = t.block();
        k.set(ValueLayout.JAVA_LONG, ETHREAD.TCB_WAIT_BLOCK_LIST_OFFSET, blockList);
        k.set(ValueLayout.JAVA_BYTE, ETHREAD.TCB_WAIT_IRQL_OFFSET, (byte) t.irql());
        k.set(ValueLayout.JAVA_BYTE, ETHREAD.TCB_WAIT_MODE_OFFSET, (byte) waitMode);
        k.set(ValueLayout.JAVA_BYTE, ETHREAD.TCB_STATE_OFFSET, (byte) ETHREAD.Waiting);
    }

    /**
     * KTHREAD.State back to Running once the wait has ended (however it ended). A wait satisfied just
     * before {@code Kernel.close()} unmapped the kernel's memory finds its KTHREAD gone: the wait's
     * result stands (it was satisfied), there is nothing left to mark, and the thread's next call
     * fails as every call on a closed kernel does.
     */
    private static void markRunning(KernelCore kernel, ThreadState t) {
        try {
            t.block().set(ValueLayout.JAVA_BYTE, ETHREAD.TCB_STATE_OFFSET, (byte) ETHREAD.Running);
        } catch (IllegalStateException unmapped) {
            if (!kernel.isClosed()) {
                throw unmapped;
            }
        }
    }

    /** The exception a wait ended by {@link Dispatcher#abortWaits} throws. */
    private static RuntimeException kernelGone(KernelCore kernel, int status) {
        if (status == Waiter.KERNEL_HALTED) {
            return kernel.haltedException();
        }
        return new IllegalStateException("this offkern kernel is closed: the wait was abandoned when Kernel.close() ran");
    }

    private static int park(KernelCore k, Waiter w, long deadline, boolean alertable) {
        boolean interrupted = false;
        int round = 0;
        int s;
        while ((s = w.status()) == Waiter.PENDING) { // volatile read: pairs with the waker's write under the dispatcher lock
            if (Backoff.spin(round)) {
                round++;
                continue;
            }
            if (deadline == INFINITE) {
                LockSupport.park(w);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    s = cancel(k, w, NtStatus.STATUS_TIMEOUT);
                    break;
                }
                LockSupport.parkNanos(w, left);
            }
            if (Thread.interrupted()) {
                if (alertable) {
                    s = cancel(k, w, NtStatus.STATUS_ALERTED);
                    break;
                }
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return s;
    }

    /**
     * Ends the wait with {@code status} unless a signaller already ended it; returns the final
     * status. If the waiter's blocks cannot be unlinked (a caller corrupted a wait list: 0x139 or
     * 0x50 under THROW), the wait still ends — the waiter is forgotten and its blocks left where they
     * are — and the bug check propagates: no stale waiter stays registered.
     */
    private static int cancel(KernelCore k, Waiter w, int status) {
        Dispatcher.lock();
        try {
            if (w.status() == Waiter.PENDING) {
                try {
                    Dispatcher.dequeue(k, w);
                } catch (RuntimeException corrupt) {
                    Dispatcher.abandon(k, w, status);
                    throw corrupt;
                }
                w.setStatus(status);
            }
            return w.status();
        } finally {
            Dispatcher.unlock();
        }
    }
}
