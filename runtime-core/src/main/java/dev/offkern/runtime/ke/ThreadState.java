package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The kernel state of one Java thread that calls into one kernel: what NT keeps in the KTHREAD and
 * the processor's control region for the running thread — the current IRQL, the processor it runs
 * on, the APC-disable counts of critical and guarded regions, the spin locks it owns (for the
 * verifier) — and the thread's KTHREAD itself: its Thread object's body (an ETHREAD, whose first
 * member is the KTHREAD, followed by offkern's {@link OFFKERN_THREAD_BLOCK}). The ETHREAD's address
 * is the thread's {@code PKTHREAD} value (what FAST_MUTEX.Owner, KWAIT_BLOCK.Thread and a spin lock's
 * owner bits store, what PsGetCurrentThread returns); the per-thread state Windows keeps in the
 * KTHREAD lives there at its Windows offsets (WaitBlock[], WaitStatus, WaitBlockList, State,
 * WaitIrql, WaitMode, KernelApcDisable, SpecialApcDisable, NextProcessor), the rest in the
 * OFFKERN_THREAD_BLOCK after the ETHREAD (the {@link WakeBlock}) or in Java fields (the mutexes held).
 *
 * <p>Any Java thread gets a state on its first call into a kernel ({@link #current()}); a
 * processor's service thread gets one bound to its processor when it starts.
 *
 * <h2>Processor assignment</h2>
 * A caller thread's processor is {@code threadId mod processorCount}, fixed for the thread's life
 * (NT would let a PASSIVE_LEVEL thread migrate; offkern keeps the mapping stable so that per-processor
 * structures touched by one thread stay on one processor). A processor's service thread always
 * runs on its own processor. Several Java threads may therefore run "on" one logical processor at
 * once: the IRQL is per thread, not per processor (see the implementation overview).
 *
 * <h2>Threading</h2>
 * A state is confined to its thread: only the owning thread reads or writes its fields (plain
 * fields, no fences). Other threads may read {@link #irqlForDiagnostics()} (opaque read) for
 * reports such as a dump, knowing the value may be stale.
 */
public final class ThreadState {
    /*
     * Implementation overview.
     *
     * Lookup: one static ThreadLocal (CURRENT) holds the calling thread's state strongly: it is what
     * keeps the state alive while its thread runs in the kernel, and the JVM clears it when the thread
     * ends. current() does not read it on the fast path: it reads the thread-id table CallerTable (thread
     * → id → entry; the entry's final owner compared with the calling thread, its kernel's run state
     * checked with one volatile int read, then the entry's weak reference to the state), ~1.5 ns where the
     * ThreadLocal hit and the state's kernel were a longer chain of dependent loads (docs/performance.md,
     * "Locks"). The entry holds the state weakly, so an ended thread's entry keeps neither the state nor its
     * ETHREAD (CallerTable's overview: why a state found there is always its thread's installed one). Every
     * change of CURRENT goes with a change of the thread's entry: install() puts the state's entry,
     * forget() removes it, the slow path puts it back after a miss. A miss (first call, a closed or halted
     * kernel, another thread in the slot) takes the slow path: the ThreadLocal, then the one kernel resolver
     * (KernelCore.resolve), which builds a new state; its exceptions are the ones current() always threw.
     *
     * IRQL per thread: NT keeps the IRQL per processor because one thread runs on a processor at a
     * time. Here many Java threads share a logical processor, so the IRQL belongs to the thread (as
     * if each thread had the processor to itself while it runs at raised IRQL). Consequence, and
     * where offkern differs from Windows: raising to DISPATCH_LEVEL excludes nothing by itself;
     * spin locks (not the IRQL) give mutual exclusion, which is also what correct NT code relies on.
     *
     * KTHREAD: the thread's Thread object body, from the kernel's ThreadObjects (the process
     * manager: the ETHREAD PsCreateSystemThread made, else a new one in the System process), in
     * nonpaged pool and so registered in the address space (wait blocks and wake blocks resolve like
     * any kernel memory) — in its segregated memory (pages that hold Thread objects only), so that no
     * caller's stale pointer to a block it freed ever names a KTHREAD. The state holds one object reference on it, dropped by a Cleaner when the
     * state becomes unreachable (its thread died or left the kernel); the memory returns to the pool
     * on the object's delete path. A thread waiting in the kernel holds its state, so a KTHREAD that a
     * wait list points at is never freed under it; a thread that ends owning a fast or guarded mutex
     * (its owned-mutex count non-zero) keeps its reference for ever, so the mutex's Owner
     * never names freed (or reused) memory. A caller's state is installed before its KTHREAD is made
     * (so the making may call into the kernel without recursing) and bound right after; a runtime
     * thread's (service, threaded DPC) is bound by the thread itself when it starts.
     *
     * The APC-disable counts are the KTHREAD's SHORTs, stored on every change from the thread's own
     * copy (read on the hot paths); the IRQL stays a Java field (Windows keeps it in the processor).
     *
     * Unchecked stores: the two counts change on every guarded-mutex acquire and release, and a store
     * through the block's segment runs the segment's checks (bounds, read-only, alignment, its arena
     * still open: ~1.75 ns each, bench-results/perf-locks2-*). They go through MEMORY instead, a
     * constant segment over all memory whose checks the JIT folds, at this state's own body address.
     * Safe because that memory stays mapped for as long as the state can run them: the state holds a
     * reference on its ETHREAD (the block is not freed while it lives, and freed pool memory stays
     * mapped), and its Thread object's pages are the pool's segregated memory, which the kernel's close
     * unregisters but unmaps only once every state that pinned it (ThreadObjects.create) is gone (its
     * Cleaner releases the pin): a thread between its run-state check and the store writes mapped
     * memory even while another thread closes the kernel. (The owned-mutex count stays an int[] the
     * Cleaner action holds: kept in the OFFKERN_THREAD_BLOCK the same way it cost the fast mutex 0.5-0.9
     * ns per pair, bench-results/locks-*.) A state stores only while it is its thread's
     * installed state (strongly reachable: its Cleaner cannot have run) and only once bound (address
     * non-zero: checked, else IllegalStateException as the checked segment's NullPointerException was).
     */

    private static final ThreadLocal<ThreadState> CURRENT = new ThreadLocal<>();
    /**
     * All of memory (offset = address; global scope): the constant segment of the unchecked stores
     * into this state's own Thread object body (implementation overview). Used for nothing else.
     */
    private static final MemorySegment MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final KernelCore kernel;
    private final Thread thread;
    private final long id;
    private final int processorNumber;
    private final boolean serviceThread;
    private final int verifierMask;
    /** This state's entry in {@link CallerTable} (made once: putting it back after a miss allocates nothing). */
    private final CallerTable.Entry entry;
    /**
     * The Thread object body (ETHREAD + OFFKERN_THREAD_BLOCK); null only while the state is being made.
     * Written once, by {@link #bind} (before the state is installed for any other thread to see, or
     * by the thread itself), then read-only.
     */
    private MemorySegment block;
    /** The KTHREAD part of {@link #block} (made once by {@link #bind}: KeGetCurrentThread allocates nothing). */
    private MemorySegment kthread;
    /**
     * {@code block.address()}, kept by {@link #bind} (the lock paths store it as the owner: one field
     * read instead of a segment's). Written with {@link #block}, then read-only.
     */
    private long address;
    /**
     * The region the thread's last in-stack queued spin lock handle resolved to, and the address
     * space's generation before that lookup ({@link KeQueuedSpinLock}'s memo: a handle in the same
     * region, with no region added or removed since, needs no table lookup). Thread-confined.
     */
    dev.offkern.runtime.mm.Region queueEntryRegion;
    long queueEntryGeneration;

    /** Current IRQL (KIRQL). Thread-confined. */
    int irql;
    /** The thread's copy of KTHREAD.KernelApcDisable (stored there on every change). Thread-confined. */
    private int kernelApcDisable;
    /** The thread's copy of KTHREAD.SpecialApcDisable (stored there on every change). Thread-confined. */
    private int specialApcDisable;
    /**
     * Fast and guarded mutexes held now (offkern-only: no KTHREAD field): element 0, written by the
     * thread only; read by its end — the process manager, once the state is unreachable or the thread
     * has left — through the same array, which the state's Cleaner action hands over (the array holds
     * no reference to the state).
     */
    private final int[] ownedMutexCount = new int[1];
    /**
     * A DPC was queued for this thread's processor while the thread ran at DISPATCH_LEVEL or above:
     * it runs when the thread lowers its IRQL below DISPATCH_LEVEL ({@link Irql#lower}). Thread-confined.
     */
    boolean dpcPending;
    /** DPC routines this thread is running now (nesting depth; 0 = none). Thread-confined. */
    int dpcRoutineDepth;
    /** Bug checks this thread is inside (0 = none): detects nested bug checks. Thread-confined. */
    private int bugCheckDepth;
    /** The TEB's LastErrorValue: the Win32 error the last failing advapi32-style routine left. Thread-confined. */
    private int lastWin32Error;
    /** Spin locks held (addresses), for the verifier's ownership checks. Thread-confined. */
    private long[] ownedLocks = new long[4];
    private int ownedLockCount;
    /**
     * In-stack queued spin locks held ({@link #queuedCount}): the handles' addresses and the KSPIN_LOCK
     * segments acquired, the newest in two fields (a thread rarely holds more than one: the usual
     * acquire and release touch no array, which measured ~6 ns per pair), the older ones in the arrays
     * (indexes 0 to queuedCount - 2, oldest first). Thread-confined.
     * When the last held lock is released its segment stays in {@code queuedTopLock} (only
     * {@code queuedCount} says what is held), so the usual cycle, the same lock acquired again, makes
     * no reference store: a reference store into this long-lived object runs G1's post-write barrier,
     * whose card check JDK 25 puts behind a StoreLoad fence when the card is not young. The stale
     * segment keeps only its Java object reachable, never the memory (an arena frees its memory when
     * closed, whoever holds its segments).
     */
    private long queuedTopHandle;
    private MemorySegment queuedTopLock;
    private long[] queuedHandles = new long[4];
    private MemorySegment[] queuedLocks = new MemorySegment[4];
    private int queuedCount;
    /** This thread's dispatcher waiter in this kernel ({@link KeWait}); null until its first wait. Thread-confined. */
    Waiter waiter;
    /** The executive's record of this thread (the process manager's ETHREAD record); null until first needed. Thread-confined. */
    private Object executive;
    /**
     * The driver whose code this thread runs now: the I/O manager's small owner id of the driver
     * (0: the kernel or the embedder). Pool blocks, routine stubs and connections made meanwhile
     * are attributed to it ({@link #enterDriver}; docs/io.md "Attribution"). Thread-confined.
     */
    private int driverOwner;
    /**
     * The pools' record of this thread in this kernel (a {@code pool.ThreadPools}: the kernel's pools and
     * the thread's cache in each), opaque here because the pool package sits above ke. The pool routines
     * find the record through their own thread-id table and come here on a miss, so that a state keeps
     * one record (docs/performance.md "Pool"); null until the thread's first pool routine. Thread-confined.
     */
    private Object pools;
    /** Extended / floating-point state saves (KeExtendedState, KeFloatingState); null until first used. Thread-confined. */
    private ProcessorStateSaves stateSaves;

    ThreadState(KernelCore kernel, Thread thread, long id, int processorNumber, boolean serviceThread,
                int verifierMask) {
        this.kernel = kernel;
        this.thread = thread;
        this.id = id;
        this.processorNumber = processorNumber;
        this.serviceThread = serviceThread;
        this.verifierMask = verifierMask;
        this.entry = new CallerTable.Entry(this, thread, kernel);
    }

    /**
     * Makes {@code body} (a Thread object body: ETHREAD + OFFKERN_THREAD_BLOCK, the ETHREAD's fields
     * filled by the process manager) this state's KTHREAD: the KTHREAD's scheduler fields and the
     * offkern block are initialised here. Once per state.
     */
    void bind(MemorySegment body) {
        if (block != null) {
            throw new IllegalStateException(this + " already has a KTHREAD");
        }
        if (body.byteSize() < OFFKERN_THREAD_BLOCK.THREAD_OBJECT_BODY_SIZE) {
            throw new IllegalArgumentException("a thread object body has 0x" + Long.toHexString(OFFKERN_THREAD_BLOCK.THREAD_OBJECT_BODY_SIZE)
                    + " bytes, not 0x" + Long.toHexString(body.byteSize()));
        }
        body.set(ValueLayout.JAVA_BYTE, ETHREAD.TCB_STATE_OFFSET, (byte) ETHREAD.Running);
        body.set(ValueLayout.JAVA_INT, ETHREAD.TCB_NEXT_PROCESSOR_OFFSET, processorNumber);
        body.set(ValueLayout.JAVA_LONG, ETHREAD.TCB_WAIT_STATUS_OFFSET, 0L);
        body.set(ValueLayout.JAVA_LONG, ETHREAD.TCB_WAIT_BLOCK_LIST_OFFSET, body.address() + ETHREAD.TCB_WAIT_BLOCK_OFFSET);
        long ext = OFFKERN_THREAD_BLOCK.OFFSET_IN_THREAD;
        body.set(ValueLayout.JAVA_LONG, ext + OFFKERN_THREAD_BLOCK.THREAD_ID_OFFSET, id);
        body.set(ValueLayout.JAVA_INT, ext + OFFKERN_THREAD_BLOCK.PROCESSOR_OFFSET, processorNumber);
        WakeBlock.initialize(body);
        kthread = body.asSlice(0, KTHREAD_SIZE);
        address = body.address();
        block = body;
    }

    /** Bytes of the KTHREAD ({@code ETHREAD.Tcb}). */
    private static final long KTHREAD_SIZE = ETHREAD.X64.field("Tcb").size();

    /** The KTHREAD ({@code KeGetCurrentThread}): the first {@link #KTHREAD_SIZE} bytes of {@link #block()}. */
    public MemorySegment kthread() {
        return kthread;
    }

    /** Whether the state has its KTHREAD (false only while it is being made). */
    boolean bound() {
        return block != null;
    }

    /**
     * The calling thread's state in its kernel (the attached one, else the only booted one),
     * created on first use.
     *
     * @throws dev.offkern.nt.KernelHaltedException if that kernel was halted by a bug check
     * @throws IllegalStateException if no kernel is available or it is closed
     */
    public static ThreadState current() {
        Thread t = Thread.currentThread();
        // Plain read of the racy table (CallerTable's overview): only an entry this thread wrote passes the
        // owner compare, and its referent is the state CURRENT holds (so get() is not null while it does).
        CallerTable.Entry e = CallerTable.BY_THREAD[CallerTable.slot(t)];
        if (e != null && e.owner == t && e.kernel.isRunningFast()) {
            ThreadState s = e.get();
            if (s != null) {
                return s;
            }
        }
        return currentSlow();
    }

    private static ThreadState currentSlow() {
        ThreadState s = CURRENT.get();
        if (s != null && !s.kernel.isClosed()) {
            s.kernel.ensureRunning(); // throws KernelHaltedException unless this thread owns the bug check
            CallerTable.put(s.entry); // back in the slot (another thread had taken it, or it was cleared)
            return s;
        }
        KernelCore k = KernelCore.resolve();
        k.ensureRunning();
        return k.processors().newCallerState(Thread.currentThread()); // installs it: CURRENT and the table
    }

    /** Makes {@code state} the calling thread's state (service threads, attach): its ThreadLocal and its table entry. */
    static void install(ThreadState state) {
        if (state.thread != Thread.currentThread()) {
            throw new IllegalStateException(state + " belongs to another thread");
        }
        CURRENT.set(state);
        CallerTable.put(state.entry);
    }

    /** Forgets the calling thread's state (its ThreadLocal and its table entry): its next call builds one for its (new) kernel. */
    public static void forget() {
        CURRENT.remove();
        CallerTable.remove();
    }

    /**
     * Drops every table entry of {@code closed} (it shuts down): the entries of idle and ended threads
     * would keep its core reachable. Their states are untouched (each thread's ThreadLocal still holds its
     * own, whose calls now fail as a closed kernel's).
     */
    static void forgetKernel(KernelCore closed) {
        CallerTable.forget(closed);
    }

    /** The state of the calling thread if it has one for a running kernel, else {@code null}; never creates one. */
    public static ThreadState peek() {
        ThreadState s = CURRENT.get();
        return s != null && !s.kernel.isClosed() ? s : null;
    }

    public KernelCore kernel() {
        return kernel;
    }

    /** This state's {@link CallerTable} entry. */
    CallerTable.Entry entry() {
        return entry;
    }

    public Thread thread() {
        return thread;
    }

    /** Stable id of this thread in its kernel (1, 2, ...; service threads included). */
    public long id() {
        return id;
    }

    /** The thread's {@code PKTHREAD} value: the address of its ETHREAD (whose first member is the KTHREAD; never 0). */
    public long address() {
        return address;
    }

    /** The thread's Thread object body: its ETHREAD (KTHREAD first), then its OFFKERN_THREAD_BLOCK. */
    public MemorySegment block() {
        return block;
    }

    /** The executive's record of this thread (set by the process manager), or null. */
    public Object executive() {
        return executive;
    }

    /** Records the executive's record of this thread (the process manager, on the thread itself). */
    public void setExecutive(Object record) {
        executive = record;
    }

    /** The pools' record of this thread in this kernel (set by the pool package on the thread itself), or null. */
    public Object pools() {
        return pools;
    }

    /** Records the pools' record of this thread (the pool package, on the thread itself). */
    public void setPools(Object record) {
        pools = record;
    }

    /** The built-in wait blocks (KTHREAD.WaitBlock). */
    public MemorySegment waitBlocks() {
        return block.asSlice(ETHREAD.TCB_WAIT_BLOCK_OFFSET, ETHREAD.TCB_WAIT_BLOCK_SIZE);
    }

    // ----- fast and guarded mutexes held -----

    /** Counts a fast or guarded mutex this thread now owns (plain: only this thread writes it). */
    void mutexAcquired() {
        ownedMutexCount[0]++;
    }

    /** Counts a release of a fast or guarded mutex by this thread. */
    void mutexReleased() {
        ownedMutexCount[0]--;
    }

    /** Fast and guarded mutexes this thread holds now. */
    public int ownedMutexes() {
        return ownedMutexCount[0];
    }

    /** The counter {@link #ownedMutexes()} reads, for the thread's end (its Cleaner action); holds nothing else. */
    int[] ownedMutexCounter() {
        return ownedMutexCount;
    }

    /**
     * The Thread object body's address, for the unchecked stores; IllegalStateException while the
     * state is being made (no body yet: nothing may be stored for it).
     */
    private long body() {
        long a = address;
        if (a == 0) {
            throw new IllegalStateException(this + " has no KTHREAD yet: it is being made");
        }
        return a;
    }

    public int processorNumber() {
        return processorNumber;
    }

    /** Whether this is a processor's service thread. */
    public boolean isServiceThread() {
        return serviceThread;
    }

    /** The owner id of the driver whose code this thread runs now (0: none). */
    public int driverOwner() {
        return driverOwner;
    }

    /**
     * Marks this thread as running the code of the driver with owner id {@code owner} (0: the
     * kernel's own) and tells the kernel's owner sink (the pools' per-thread owner) when that
     * changes. Returns the previous owner, which the caller restores with another call when the
     * driver's routine returns. Thread-confined: call it on this state's own thread only.
     */
    public int enterDriver(int owner) {
        int previous = driverOwner;
        if (previous != owner) {
            driverOwner = owner;
            kernel.ownerChanged(owner);
        }
        return previous;
    }

    /**
     * {@link #enterDriver} for the routine at {@code routine}: the owner its stub was made under
     * ({@link RoutineTable#ownerOf}), or, when it has none, the owner the thread has now (unchanged).
     * Returns the previous owner.
     */
    public int enterRoutine(long routine) {
        int owner = kernel.routines().ownerOf(routine);
        return owner == 0 ? driverOwner : enterDriver(owner);
    }

    /** Whether this thread is running a DPC routine now (normal or threaded). */
    public boolean inDpcRoutine() {
        return dpcRoutineDepth > 0;
    }

    /** The current IRQL. */
    public int irql() {
        return irql;
    }

    /** Sets the IRQL without any check (runtime-internal: bug check, service loop). */
    public void setIrql(int newIrql) {
        irql = newIrql;
    }

    /** The IRQL as another thread may see it (opaque read; possibly stale). */
    public int irqlForDiagnostics() {
        return (int) IRQL.getOpaque(this);
    }

    /**
     * Whether check family {@code check} runs for this thread: the JVM master switch and the
     * kernel's configuration. Callers put {@code Verifier.ENABLED &&} first so the JIT folds the
     * whole test away when the switch is off.
     */
    public boolean verifies(VerifierCheck check) {
        return Verifier.ENABLED && (verifierMask & check.bit()) != 0;
    }

    // ----- APC-disable counts (critical and guarded regions) -----

    // The counts are the KTHREAD's SHORTs. Only the thread itself changes them (as in Windows), so it
    // keeps its own copy in two int fields and stores every new value to the KTHREAD (plain stores: other
    // threads read the memory racily, for diagnostics): the memory always holds the current counts, and
    // the hot paths (a guarded region around every guarded mutex) read a field, not the segment. The
    // stores go through MEMORY, unchecked (implementation overview: the segment's checks were ~3.5 ns of
    // a guarded-mutex pair), with the unaligned SHORT layout: the KTHREAD is this state's own pool block
    // (16-byte aligned) and the SHORTs sit at the layout's even offsets.

    /** KernelApcDisable (0 outside critical regions, negative inside): KTHREAD.KernelApcDisable. */
    public int kernelApcDisable() {
        return kernelApcDisable;
    }

    /** SpecialApcDisable (0 outside guarded regions, negative inside): KTHREAD.SpecialApcDisable. */
    public int specialApcDisable() {
        return specialApcDisable;
    }

    /** Adds {@code delta} to KernelApcDisable and returns the new value (KeEnter/LeaveCriticalRegion: -1/+1). */
    public int addKernelApcDisable(int delta) {
        int v = (short) (kernelApcDisable + delta); // a SHORT: wraps as Windows' would
        kernelApcDisable = v;
        MEMORY.set(ValueLayout.JAVA_SHORT_UNALIGNED, body() + ETHREAD.TCB_KERNEL_APC_DISABLE_OFFSET, (short) v);
        return v;
    }

    /** Adds {@code delta} to SpecialApcDisable and returns the new value (KeEnter/LeaveGuardedRegion: -1/+1). */
    public int addSpecialApcDisable(int delta) {
        int v = (short) (specialApcDisable + delta);
        specialApcDisable = v;
        MEMORY.set(ValueLayout.JAVA_SHORT_UNALIGNED, body() + ETHREAD.TCB_SPECIAL_APC_DISABLE_OFFSET, (short) v);
        return v;
    }

    /** CombinedApcDisable as NT packs it: {@code SpecialApcDisable << 16 | KernelApcDisable & 0xFFFF} (KTHREAD.CombinedApcDisable). */
    public int combinedApcDisable() {
        return (specialApcDisable << 16) | (kernelApcDisable & 0xFFFF);
    }

    /** Whether normal kernel APCs are disabled: inside a critical or guarded region, or at APC_LEVEL or above. */
    public boolean apcsDisabled() {
        return kernelApcDisable != 0 || specialApcDisable != 0 || irql >= Irql.APC_LEVEL;
    }

    /** {@code RtlGetLastWin32Error}: the thread's last Win32 error (0 until a routine sets one). */
    public int lastWin32Error() {
        return lastWin32Error;
    }

    /** {@code RtlSetLastWin32Error}. */
    public void setLastWin32Error(int error) {
        lastWin32Error = error;
    }

    // ----- in-stack queued spin locks held (KeQueuedSpinLock's release finds its lock word here) -----

    /** Records that the queued lock {@code lock} is held through the handle at {@code handle}. */
    void pushQueuedLock(long handle, MemorySegment lock) {
        if (queuedCount != 0) { // rare: the newest so far moves into the arrays (kept out of line: the acquire inlines this)
            moveQueuedTopDown();
        }
        queuedTopHandle = handle;
        if (queuedTopLock != lock) { // see queuedTopLock: the usual re-acquire stores no reference
            queuedTopLock = lock;
        }
        queuedCount++;
    }

    /** Moves the newest held queued lock into the arrays (a second one is being acquired). */
    private void moveQueuedTopDown() {
        int deeper = queuedCount - 1; // entries below the newest, in the arrays
        if (deeper == queuedHandles.length) {
            queuedHandles = java.util.Arrays.copyOf(queuedHandles, deeper * 2);
            queuedLocks = java.util.Arrays.copyOf(queuedLocks, deeper * 2);
        }
        queuedHandles[deeper] = queuedTopHandle;
        queuedLocks[deeper] = queuedTopLock;
    }

    /**
     * Forgets the queued lock held through {@code handle} and returns the KSPIN_LOCK segment it was
     * acquired with, or null if this thread acquired nothing through that handle. Searches from the
     * newest (locks are usually released in reverse order).
     */
    MemorySegment popQueuedLock(long handle) {
        int n = queuedCount;
        if (n == 1 && queuedTopHandle == handle) { // the usual case: the only held lock released
            queuedCount = 0; // the segment stays in queuedTopLock, unheld: see there
            return queuedTopLock;
        }
        return popQueuedLockDeeper(handle); // kept out of line: the release inlines this
    }

    /** {@link #popQueuedLock} with more than one lock held, or a handle that is not the only one. */
    private MemorySegment popQueuedLockDeeper(long handle) {
        int n = queuedCount;
        if (n > 0 && queuedTopHandle == handle) { // last-in first-out
            MemorySegment lock = queuedTopLock;
            queuedCount = --n;
            if (n > 0) { // the next newest comes back from the arrays
                queuedTopHandle = queuedHandles[n - 1];
                queuedTopLock = queuedLocks[n - 1];
                queuedLocks[n - 1] = null;
            }
            return lock;
        }
        for (int i = n - 2; i >= 0; i--) { // the older entries: arrays [0, n - 2]
            if (queuedHandles[i] == handle) {
                MemorySegment lock = queuedLocks[i];
                int tail = n - 2 - i;
                System.arraycopy(queuedHandles, i + 1, queuedHandles, i, tail);
                System.arraycopy(queuedLocks, i + 1, queuedLocks, i, tail);
                queuedLocks[n - 2] = null;
                queuedCount = n - 1;
                return lock;
            }
        }
        return null;
    }

    // ----- owned spin locks (verifier) -----

    /** Records that this thread now holds the spin lock at {@code lockAddress}. */
    public void addOwnedLock(long lockAddress) {
        if (ownedLockCount == ownedLocks.length) {
            ownedLocks = java.util.Arrays.copyOf(ownedLocks, ownedLocks.length * 2);
        }
        ownedLocks[ownedLockCount++] = lockAddress;
    }

    /** Forgets the spin lock at {@code lockAddress}; returns whether it was held. */
    public boolean removeOwnedLock(long lockAddress) {
        for (int i = ownedLockCount - 1; i >= 0; i--) {
            if (ownedLocks[i] == lockAddress) {
                System.arraycopy(ownedLocks, i + 1, ownedLocks, i, ownedLockCount - i - 1);
                ownedLockCount--;
                return true;
            }
        }
        return false;
    }

    /** Whether this thread holds the spin lock at {@code lockAddress}. */
    public boolean ownsLock(long lockAddress) {
        for (int i = 0; i < ownedLockCount; i++) {
            if (ownedLocks[i] == lockAddress) {
                return true;
            }
        }
        return false;
    }

    /** The {@code index}-th spin lock held (in acquisition order), 0 ≤ index &lt; {@link #ownedLockCount()}. */
    public long ownedLock(int index) {
        if (index < 0 || index >= ownedLockCount) {
            throw new IndexOutOfBoundsException(index);
        }
        return ownedLocks[index];
    }

    /** Spin locks held now. */
    public int ownedLockCount() {
        return ownedLockCount;
    }

    // ----- processor state saves -----

    /** The thread's XSTATE_SAVE chain head and live KFLOATING_SAVE blocks, created on first use. */
    ProcessorStateSaves stateSaves() {
        ProcessorStateSaves s = stateSaves;
        return s != null ? s : (stateSaves = new ProcessorStateSaves());
    }

    // ----- bug checks -----

    /** Enters a bug check on this thread; returns the depth before (0 = not nested). */
    public int enterBugCheck() {
        return bugCheckDepth++;
    }

    public void leaveBugCheck() {
        bugCheckDepth--;
    }

    /** Whether this thread is inside a bug check now. */
    public boolean inBugCheck() {
        return bugCheckDepth > 0;
    }

    @Override
    public String toString() {
        return "ThreadState[id=" + id + ", thread=" + thread.getName() + ", processor=" + processorNumber
                + ", irql=" + irql + (serviceThread ? ", service" : "") + "]";
    }

    // ----- VarHandle mechanics -----
    private static final java.lang.invoke.VarHandle IRQL;

    static {
        try {
            IRQL = java.lang.invoke.MethodHandles.lookup().findVarHandle(ThreadState.class, "irql", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
