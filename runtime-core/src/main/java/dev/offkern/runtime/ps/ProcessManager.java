package dev.offkern.runtime.ps;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.layout.ke.KAPC_STATE;
import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.layout.ps.EPROCESS;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.ke.Dispatcher;
import dev.offkern.runtime.ke.KeExitSignal;
import dev.offkern.runtime.ke.KeWait;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.ListEntries;
import dev.offkern.runtime.ke.ThreadObjects;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.ob.ObjectType;
import dev.offkern.runtime.pool.Pool;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A kernel's process manager: the System process, the ETHREADs of the threads that call in, the
 * client-id table (process and thread ids) and the list of active processes; tenants ({@link Tenants}), attachment ({@link ProcessAttach}) and
 * notify routines ({@link PsNotify}) have their own classes.
 *
 * <h2>The System process and the Java threads</h2>
 * The System process ({@code PsInitialSystemProcess}, id 4, image name "System") is made on first
 * use and lives as long as the kernel. <b>Every ordinary Java thread that calls into the kernel
 * belongs to the System process</b> (as on Windows the kernel's own threads do): its ETHREAD is made
 * with its kernel state, on its first call into the kernel ({@link #create}: this manager is the
 * kernel's {@code ThreadObjects}), with a fresh thread id, linked into the System process's
 * ThreadListHead; that ETHREAD is the thread's KTHREAD (the address the locks and waits store). It
 * ends (terminated with STATUS_SUCCESS, signalled, unlinked) when the thread's kernel state is
 * collected (the Java thread died or left the kernel), at the next Ps call or first call of any
 * thread, which also drops the state's reference on it; at kernel close it is simply left to the
 * pools' unmap (not a leak). Threads created by PsCreateSystemThread
 * and the kernel's service threads are system threads ({@code PsIsSystemThread} TRUE); the
 * embedder's Java threads are not: they model the kernel's callers. A Java thread runs in another
 * process only while attached to it (KeStackAttachProcess, {@link ProcessAttach}): PsGetCurrentProcess
 * and its non-kernel handles follow the attachment, PsGetCurrentProcessId stays 4. Threads that
 * PsCreateSystemThread creates with a handle to a tenant ({@link Tenants}) belong to the tenant.
 *
 * <h2>Objects and fields</h2>
 * A process is a Process object ({@code PsProcessType}) whose body is a byte-exact EPROCESS: Pcb's
 * DISPATCHER_HEADER (ProcessObject, signalled at exit), UniqueProcessId, ActiveProcessLinks (linked
 * into the kernel's PsActiveProcessHead, a LIST_ENTRY in nonpaged pool), CreateTime, ImageFileName,
 * ThreadListHead. ObjectTable stays NULL: the process's handle table is the object manager's
 * {@code HandleTable}, runtime-private Java memory (the System process's is the kernel-handle table).
 * A thread is a Thread object ({@code PsThreadType}) whose body is an ETHREAD: Tcb's
 * DISPATCHER_HEADER (ThreadObject, signalled at termination), CreateTime, StartAddress,
 * Cid {UniqueProcess, UniqueThread}, Win32StartAddress, ThreadListEntry, and the KTHREAD's wait and
 * lock fields (written by {@code ke}); offkern's OFFKERN_THREAD_BLOCK follows the ETHREAD in the same
 * body. The exit status is kept in the Java record ({@link PsThread}). Thread objects live in
 * segregated nonpaged pool memory (the object manager asks {@code Pool.allocateSegregated} for them:
 * pages of their own), so a freed ETHREAD is only reused as another ETHREAD and a caller's stale
 * pointer to a block it freed never names a live KTHREAD. Each kernel state pins that memory for as
 * long as it lives ({@code Pool.pinSegregatedMemory}, taken by {@link #create}, released by the
 * state's Cleaner action): the kernel's close unmaps it only once no state may still store into its
 * KTHREAD.
 *
 * <p>References on an ETHREAD: the id table's while the thread lives, its kernel state's while that
 * state exists ({@link #releaseState}: never, for a thread that ended owning a fast or guarded
 * mutex), and whatever callers take.
 *
 * <h2>Ids and references</h2>
 * Process and thread ids come from one counter (one client-id space, as Windows' PspCidTable):
 * multiples of 4, 4 for the System process, never reused while the kernel lives. The id table holds
 * the object's creation reference while the process or thread lives; PsLookup* takes its reference
 * inside the table's per-id critical section ({@code computeIfPresent}), and the termination removes
 * the id before it drops that reference, so a lookup never references a dying object.
 *
 * <p>Progress: PsGetCurrentThread and the field readers are wait-free after a thread's first call;
 * lookups lock one bin of the id table; creation and termination take the list lock and the
 * dispatcher lock.
 */
public final class ProcessManager implements ThreadObjects {
    /** The System process's id. */
    public static final long SYSTEM_PROCESS_ID = 4;
    /** Bytes of a Thread object's body: the ETHREAD, then offkern's per-thread block. */
    static final long THREAD_BODY_SIZE = OFFKERN_THREAD_BLOCK.THREAD_OBJECT_BODY_SIZE;

    final KernelCore core;
    final ObjectManager ob;
    final Pool nonPaged;
    /** Process and thread records by id; each holds its object's creation reference while listed. */
    final ConcurrentHashMap<Long, Object> cids = new ConcurrentHashMap<>();
    /** Records by EPROCESS / ETHREAD address, until the object is deleted (its delete procedure removes them). */
    private final ConcurrentHashMap<Long, Object> byAddress = new ConcurrentHashMap<>();
    /** Threads not yet terminated (kernel close terminates them). */
    private final java.util.Set<PsThread> liveThreads = ConcurrentHashMap.newKeySet();
    /** Threads whose last dereference failed because the kernel closed under it (their blocks stay); guarded by this. */
    private final List<PsThread> orphans = new ArrayList<>();
    /** Threads whose kernel state was collected: their state's reference dropped (adopted ones terminated) by the next reap. */
    private final ConcurrentLinkedQueue<PsThread> dead = new ConcurrentLinkedQueue<>();
    /** ETHREADs PsCreateSystemThread made whose Java thread has not yet made its kernel state ({@link #create} binds them). */
    final ConcurrentHashMap<Thread, PsThread> pending = new ConcurrentHashMap<>();
    /**
     * The Java threads of system threads (PsCreateSystemThread) still running, start to the last
     * statement of their end: kernel close lets those already ended finish releasing their ETHREAD.
     */
    final ConcurrentHashMap<PsThread, Thread> systemThreadsRunning = new ConcurrentHashMap<>();
    /** Threads whose kernel state holds a reference on the ETHREAD (its KTHREAD), for close's accounting. */
    private final java.util.Set<PsThread> stateHeld = ConcurrentHashMap.newKeySet();
    final AtomicLong nextId = new AtomicLong(SYSTEM_PROCESS_ID + 4);
    /** Tenant processes created and not yet ended (kernel close accounts for them). */
    final java.util.Set<PsProcess> liveProcesses = ConcurrentHashMap.newKeySet();
    /** The registered process and thread notify routines. */
    final PsNotify notify = new PsNotify(this);
    /** Guards the active-process list and every process's thread list (PspActiveProcessLock's role). */
    final Object lists = new Object();
    private static final int HEAD_TAG = PoolTags.tag("PsAh");
    /** Set once under this object's monitor; volatile: read lock-free by every Ps routine. */
    private volatile PsProcess system;
    long activeHead;
    /** Set by close (under this object's monitor); volatile: creation checks it lock-free. */
    volatile boolean closed;

    /** The security manager's hooks (null: processes get no token); volatile: set once by the kernel at boot. */
    private volatile ProcessSecurity security;

    /** The security manager's hooks (null: none installed). */
    ProcessSecurity security() {
        return security; // volatile read
    }

    /** Installs the security manager's hooks (before the System process is made). */
    public void setSecurity(ProcessSecurity security) {
        this.security = security;
    }

    /**
     * The EPROCESS at {@code process}, checked as PsGetProcessId checks it (for other managers' Ps
     * routines): IllegalArgumentException for NULL or another object type, 0x18 for no live object.
     */
    public MemorySegment checkedProcess(MemorySegment process, String routine) {
        return process(process, routine);
    }

    /** The ETHREAD at {@code thread}, checked as PsGetThreadId checks it. */
    public MemorySegment checkedThread(MemorySegment thread, String routine) {
        return thread(thread, routine).ethread;
    }

    public ProcessManager(KernelCore core, ObjectManager ob, Pool nonPaged) {
        this.core = core;
        this.ob = ob;
        this.nonPaged = nonPaged;
    }

    // ===== processes =====

    /** The System process ({@code PsInitialSystemProcess}), made on first use. */
    public MemorySegment systemProcess() {
        return system().eprocess();
    }

    PsProcess system() {
        PsProcess s = system; // volatile read
        return s != null ? s : createSystem();
    }

    private synchronized PsProcess createSystem() {
        if (system != null) {
            return system;
        }
        if (closed) {
            throw new IllegalStateException("this offkern kernel is closed");
        }
        ob.setExecutiveDelete(body -> {
            Object record = byAddress.remove(body.address());
            ProcessSecurity sec = security; // volatile read
            if (sec != null) {
                if (record instanceof PsProcess) {
                    sec.processDeleted(body);
                } else if (record instanceof PsThread) {
                    sec.threadDeleted(body);
                }
            }
        });
        long head = nonPaged.allocate(LIST_ENTRY.X64.size(), HEAD_TAG, 0);
        if (head == 0) {
            throw new IllegalStateException("no nonpaged pool for PsActiveProcessHead");
        }
        ListEntries.initializeHead(core.find(head, LIST_ENTRY.X64.size()).segment(),
                core.find(head, LIST_ENTRY.X64.size()).offsetOf(head));
        activeHead = head;
        PsProcess p = newProcess(SYSTEM_PROCESS_ID, "System", ob.systemTable(), 0);
        ob.setPseudoHandles(() -> current().current.address(), () -> current().address());
        ob.setProcessTables(body -> byAddress.get(body) instanceof PsProcess q && !q.ended.get() ? q.handles : null);
        system = p; // volatile write: publishes the record and the EPROCESS it describes
        return p;
    }

    /** A new process with id {@code id}: its EPROCESS filled, linked into PsActiveProcessHead and the id table. */
    PsProcess newProcess(long id, String image, dev.offkern.runtime.ob.HandleTable table, long parentId) {
        ObjectType t = ob.processType();
        long body = ob.createObject(t, 0, EPROCESS.X64.size());
        if (body == 0) {
            throw new IllegalStateException("no nonpaged pool for an EPROCESS");
        }
        MemorySegment e = ob.body(body, EPROCESS.X64.size());
        KeExitSignal.initialize(e, Dispatcher.PROCESS_OBJECT, EPROCESS.PROCESS_LOCK_OFFSET); // KPROCESS ends where ProcessLock starts
        e.set(JAVA_LONG, EPROCESS.UNIQUE_PROCESS_ID_OFFSET, id);
        e.set(JAVA_LONG, EPROCESS.CREATE_TIME_OFFSET, KeWait.systemTime());
        e.set(JAVA_LONG, EPROCESS.OBJECT_TABLE_OFFSET, 0L); // the handle table is Java memory (see the class comment)
        e.set(JAVA_LONG, EPROCESS.INHERITED_FROM_UNIQUE_PROCESS_ID_OFFSET, parentId);
        byte[] name = image.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < Math.min(name.length, EPROCESS.IMAGE_FILE_NAME_LENGTH - 1); i++) {
            e.set(JAVA_BYTE, EPROCESS.IMAGE_FILE_NAME_OFFSET + i, name[i]);
        }
        ListEntries.initializeHead(e, EPROCESS.THREAD_LIST_HEAD_OFFSET);
        ProcessSecurity sec = security; // volatile read
        if (sec != null) {
            sec.processCreated(e); // EPROCESS.Token (InheritedFromUniqueProcessId names the parent)
        }
        PsProcess p = new PsProcess(e, id, table, parentId);
        byAddress.put(body, p);
        synchronized (lists) {
            ListEntries.insertTail(core, activeHead, body + EPROCESS.ACTIVE_PROCESS_LINKS_OFFSET);
        }
        cids.put(id, p); // the creation reference is now the id table's
        return p;
    }

    /** The address of the kernel's PsActiveProcessHead (the LIST_ENTRY every EPROCESS.ActiveProcessLinks is on). */
    public long activeProcessHead() {
        system();
        return activeHead;
    }

    // ===== threads =====

    /** The calling thread's record (its ETHREAD was made with its kernel state). */
    PsThread current() {
        ThreadState ts = ThreadState.current();
        if (ts.executive() instanceof PsThread p) {
            return p;
        }
        if (byAddress.get(ts.address()) instanceof PsThread p) { // a runtime thread's first Ps call
            ts.setExecutive(p);
            return p;
        }
        throw new IllegalStateException("the calling thread's KTHREAD 0x" + Long.toHexString(ts.address()) + " has no ETHREAD record");
    }

    // ===== the KTHREADs of the kernel's thread states (ThreadObjects) =====

    /**
     * The Thread object body for a new thread state: the ETHREAD PsCreateSystemThread made for
     * {@code thread}, else a new one in the System process (system thread if {@code systemThread});
     * referenced once for the state. Makes the System process on first use.
     */
    @Override
    public MemorySegment create(Thread thread, boolean systemThread) {
        PsThread p = pending.remove(thread);
        if (p == null) {
            p = newThread(system(), systemThread, false, 0);
            if (p == null) {
                throw new IllegalStateException("the System process is terminating: no thread may join it");
            }
        }
        // The state's pin on the Thread objects' memory (segregated nonpaged pool, the thread type's pool):
        // mapped until the kernel is closed and the state is gone, released by the state's Cleaner action.
        // Before the reference: a kernel closed meanwhile refuses the pin, and nothing is left to undo.
        p.memoryPin = nonPaged.pinSegregatedMemory();
        ob.reference(p.address()); // the state's reference: dropped by releaseState when the state is gone
        p.stateReference.set(true);
        stateHeld.add(p);
        return ob.body(p.address(), THREAD_BODY_SIZE);
    }

    @Override
    public void installed(ThreadState state) {
        reap(); // the record is cached in the state by the thread's first Ps call (current()), not here
    }

    @Override
    public Runnable collected(MemorySegment kthread, int[] ownedMutexes) {
        PsThread known = byAddress.get(kthread.address()) instanceof PsThread p ? p : null;
        if (known != null) {
            known.ownedMutexes = ownedMutexes; // read by releaseState (the thread's end)
        }
        // The action captures neither the state (it must stay collectable) nor anything that reaches this
        // manager (a pending action is reachable from the static Cleaner for as long as its state lives —
        // the state of a thread that outlives its kernel, say — and must not keep a closed kernel
        // reachable): only weak references to the queue (this manager holds it) and to the record
        // (byAddress holds it until the object is deleted, never before the state's reference is dropped),
        // and the pin's release (it holds only the pinned memory's arena).
        java.lang.ref.WeakReference<ConcurrentLinkedQueue<PsThread>> queue = new java.lang.ref.WeakReference<>(dead);
        java.lang.ref.WeakReference<PsThread> record = new java.lang.ref.WeakReference<>(known);
        Runnable unpin = known != null ? known.memoryPin : null;
        return () -> {
            ConcurrentLinkedQueue<PsThread> q = queue.get();
            PsThread gone = record.get();
            if (q != null && gone != null) {
                q.add(gone);
            }
            if (unpin != null) {
                unpin.run(); // the state is gone: nothing stores unchecked into the memory for it any more
            }
        };
    }

    @Override
    public boolean isThread(long kthread) {
        return byAddress.get(kthread) instanceof PsThread p && p.stateReference.get();
    }

    /**
     * Ends the threads whose kernel state was collected: an adopted thread (a Java thread, a runtime
     * thread) terminates with STATUS_SUCCESS; each drops its state's reference.
     */
    void reap() {
        PsThread d;
        while ((d = dead.poll()) != null) {
            if (!d.created) {
                terminate(d, NtStatus.STATUS_SUCCESS);
            }
            releaseState(d);
        }
    }

    /**
     * Drops the reference {@code t}'s kernel state held on its ETHREAD (once; the state is gone or its
     * thread has left the kernel). A thread that ended owning a fast or guarded mutex keeps it for
     * ever: the mutex's Owner must never name freed or reused memory (close counts it as the kernel's).
     */
    void releaseState(PsThread t) {
        if (!t.stateReference.get()) {
            return;
        }
        synchronized (this) { // against close(): the reference is either counted there or dropped here
            if (closed || core.isClosed()) {
                return;
            }
            int[] owned = t.ownedMutexes;
            if (owned != null && owned[0] != 0) {
                return; // abandoned mutex: the KTHREAD stays referenced
            }
            if (!t.stateReference.compareAndSet(true, false)) {
                return;
            }
            stateHeld.remove(t);
            ob.dereference(t.address());
        }
    }

    /**
     * A new ETHREAD in {@code process}, with a fresh id, linked into the process's thread list and the
     * id table; null if the process is terminating (no thread may join it then).
     */
    PsThread newThread(PsProcess process, boolean systemThread, boolean created, long startAddress) {
        if (closed) {
            throw new IllegalStateException("this offkern kernel is closed");
        }
        synchronized (lists) { // with terminateProcess: a thread either counts before the process terminates, or is refused
            if (process.terminating) {
                return null;
            }
            process.liveThreads++;
        }
        ObjectType t = ob.threadType();
        long body;
        try {
            body = ob.createObject(t, 0, THREAD_BODY_SIZE); // the ETHREAD, then offkern's per-thread block
        } catch (RuntimeException e) {
            threadGone(process);
            throw e;
        }
        if (body == 0) {
            threadGone(process);
            throw new IllegalStateException("no nonpaged pool for an ETHREAD");
        }
        long id = nextId.getAndAdd(4);
        MemorySegment e = ob.body(body, ETHREAD.X64.size());
        KeExitSignal.initialize(e, Dispatcher.THREAD_OBJECT, ETHREAD.CREATE_TIME_OFFSET); // KTHREAD ends where CreateTime starts
        e.set(JAVA_LONG, ETHREAD.CREATE_TIME_OFFSET, KeWait.systemTime());
        e.set(JAVA_LONG, ETHREAD.START_ADDRESS_OFFSET, startAddress);
        e.set(JAVA_LONG, ETHREAD.WIN32_START_ADDRESS_OFFSET, startAddress);
        e.set(JAVA_LONG, ETHREAD.CID_OFFSET, process.id()); // CLIENT_ID.UniqueProcess
        e.set(JAVA_LONG, ETHREAD.CID_UNIQUE_THREAD_OFFSET, id);
        e.set(JAVA_LONG, ETHREAD.TCB_PROCESS_OFFSET, process.address());
        ListEntries.initializeHead(e, ETHREAD.TCB_APC_STATE_OFFSET + KAPC_STATE.APC_LIST_HEAD_OFFSET); // KernelMode queue
        ListEntries.initializeHead(e, ETHREAD.TCB_APC_STATE_OFFSET + KAPC_STATE.APC_LIST_HEAD_OFFSET + KAPC_STATE.APC_LIST_HEAD_SIZE);
        e.set(JAVA_LONG, ETHREAD.TCB_APC_STATE_OFFSET + KAPC_STATE.PROCESS_OFFSET, process.address());
        e.set(JAVA_BYTE, ETHREAD.TCB_APC_STATE_INDEX_OFFSET, (byte) ProcessAttach.ORIGINAL_APC_ENVIRONMENT);
        ProcessSecurity sec = security; // volatile read
        if (sec != null) {
            try {
                sec.threadCreated(e, process.eprocess()); // its security descriptor, from the process's token
            } catch (RuntimeException x) {
                if (closed || core.isClosed()) { // the kernel closed under the making: its memory is gone, nothing to undo
                    throw new IllegalStateException("this offkern kernel is closed", x);
                }
                threadGone(process);
                ob.dereference(body);
                throw x;
            }
        }
        PsThread p = new PsThread(e, id, process, systemThread, created);
        byAddress.put(body, p);
        synchronized (lists) {
            ListEntries.insertTail(core, process.address() + EPROCESS.THREAD_LIST_HEAD_OFFSET, body + ETHREAD.THREAD_LIST_ENTRY_OFFSET);
        }
        liveThreads.add(p);
        cids.put(id, p); // the creation reference is now the id table's
        return p;
    }

    /**
     * Terminates {@code t} once: exit status, unlinked from its process, signalled (its waiters
     * wake), its id retired, the id table's reference dropped. Returns false if it had ended already.
     */
    boolean terminate(PsThread t, int status) {
        if (!t.ended.compareAndSet(false, true)) {
            return false;
        }
        t.exitStatus = status; // volatile write: before the signal a waiter returns on
        boolean processEnds;
        synchronized (lists) {
            ListEntries.remove(core, t.address() + ETHREAD.THREAD_LIST_ENTRY_OFFSET);
            processEnds = --t.process.liveThreads == 0 && t.process.terminating;
        }
        cids.remove(t.id); // retired before its reference goes: lookups find it referenced or not at all
        t.ethread.set(JAVA_BYTE, ETHREAD.TCB_STATE_OFFSET, (byte) ETHREAD.Terminated); // KTHREAD.State (plain: read racily by diagnostics)
        KeExitSignal.signal(core, t.ethread);
        synchronized (this) { // against close(): a thread is either counted there (still live) or dereferenced here
            if (closed || core.isClosed()) {
                return true; // the kernel is closing: close() counts it (still live), nothing is freed any more
            }
            try {
                ob.dereference(t.address());
            } catch (RuntimeException closedMeanwhile) {
                orphans.add(t); // the kernel closed under the free: the block stays, close() counts it
                throw closedMeanwhile;
            } finally {
                liveThreads.remove(t);
            }
        }
        if (processEnds) {
            Tenants.end(this, t.process); // its last thread ended after ZwTerminateProcess
        }
        return true;
    }

    /** A thread that never became one (its ETHREAD could not be made) leaves its process's count. */
    private void threadGone(PsProcess process) {
        boolean ends;
        synchronized (lists) {
            ends = --process.liveThreads == 0 && process.terminating;
        }
        if (ends) {
            Tenants.end(this, process);
        }
    }

    // ===== the Ps routines' semantics =====

    /** {@code PsGetCurrentThread}: the caller's ETHREAD (no reference taken). */
    public MemorySegment currentThread() {
        return current().ethread;
    }

    /**
     * {@code PsGetCurrentProcess}: the process the caller runs in (no reference taken) — the one it is
     * attached to (KeStackAttachProcess), else its own. PsGetCurrentProcessId stays the owner's id.
     */
    public MemorySegment currentProcess() {
        return current().current.eprocess();
    }

    /** {@code PsGetCurrentThreadId}. */
    public long currentThreadId() {
        return current().id;
    }

    /** {@code PsGetCurrentProcessId}. */
    public long currentProcessId() {
        return current().process.id();
    }

    /** The EPROCESS at {@code process}, checked: a live Process object of this kernel. */
    MemorySegment process(MemorySegment process, String routine) {
        long a = address(process, routine, "Process");
        ObjectType t = ob.objectType(a); // 0x18 for an address that is no live object
        if (t != ob.processType() || !(byAddress.get(a) instanceof PsProcess p)) {
            throw new IllegalArgumentException(routine + ": 0x" + Long.toHexString(a) + " is a " + t.name() + " object, not a process (PEPROCESS)");
        }
        return p.eprocess();
    }

    /** The record of the EPROCESS at {@code process}, checked as {@link #process}. */
    PsProcess processRecord(MemorySegment process, String routine) {
        long a = address(process, routine, "Process");
        ObjectType t = ob.objectType(a); // 0x18 for an address that is no live object
        if (t != ob.processType() || !(byAddress.get(a) instanceof PsProcess p)) {
            throw new IllegalArgumentException(routine + ": 0x" + Long.toHexString(a) + " is a " + t.name() + " object, not a process (PEPROCESS)");
        }
        return p;
    }

    /** The record of a process object at body address {@code body} (a Process object of this kernel), or null. */
    PsProcess processAt(long body) {
        return byAddress.get(body) instanceof PsProcess p ? p : null;
    }

    /** The record of the ETHREAD at {@code thread}, checked: a live Thread object of this kernel. */
    PsThread thread(MemorySegment thread, String routine) {
        long a = address(thread, routine, "Thread");
        ObjectType t = ob.objectType(a);
        if (t != ob.threadType() || !(byAddress.get(a) instanceof PsThread p)) {
            throw new IllegalArgumentException(routine + ": 0x" + Long.toHexString(a) + " is a " + t.name() + " object, not a thread (PETHREAD)");
        }
        return p;
    }

    private static long address(MemorySegment s, String routine, String name) {
        if (s == null || s.address() == 0) {
            throw new IllegalArgumentException(routine + ": " + name + " is NULL");
        }
        return s.address();
    }

    /** {@code PsGetProcessId(Process)}: EPROCESS.UniqueProcessId. */
    public long processId(MemorySegment process) {
        return process(process, "PsGetProcessId").get(JAVA_LONG, EPROCESS.UNIQUE_PROCESS_ID_OFFSET);
    }

    /** {@code PsGetThreadId(Thread)}: ETHREAD.Cid.UniqueThread. */
    public long threadId(MemorySegment thread) {
        return thread(thread, "PsGetThreadId").ethread.get(JAVA_LONG, ETHREAD.CID_UNIQUE_THREAD_OFFSET);
    }

    /** {@code PsGetProcessCreateTimeQuadPart(Process)}: EPROCESS.CreateTime. */
    public long processCreateTime(MemorySegment process) {
        return process(process, "PsGetProcessCreateTimeQuadPart").get(JAVA_LONG, EPROCESS.CREATE_TIME_OFFSET);
    }

    /** {@code PsIsSystemThread(Thread)}. */
    public boolean isSystemThread(MemorySegment thread) {
        return thread(thread, "PsIsSystemThread").system;
    }

    /**
     * {@code PsIsThreadTerminating(Thread)}: TRUE once the thread has ended or its process has been
     * terminated (ZwTerminateProcess: offkern cannot stop a running Java thread, so a tenant's threads
     * poll this to return).
     */
    public boolean isThreadTerminating(MemorySegment thread) {
        PsThread t = thread(thread, "PsIsThreadTerminating");
        return t.ended.get() || t.process.terminating;
    }

    /** {@code PsGetThreadExitStatus(Thread)}: STATUS_PENDING while the thread runs. */
    public int threadExitStatus(MemorySegment thread) {
        return thread(thread, "PsGetThreadExitStatus").exitStatus;
    }

    /**
     * {@code PsLookupProcessByProcessId(ProcessId, Process)}: STATUS_SUCCESS with {@code *Process}
     * referenced; STATUS_INVALID_CID for an id that names nothing (never issued, or its process is
     * gone); STATUS_INVALID_PARAMETER for a thread's id.
     */
    public int lookupProcess(long processId, MemorySegment out) {
        return lookup(processId, out, true, "PsLookupProcessByProcessId", "Process");
    }

    /** {@code PsLookupThreadByThreadId(ThreadId, Thread)}: as {@link #lookupProcess}, for a live thread. */
    public int lookupThread(long threadId, MemorySegment out) {
        return lookup(threadId, out, false, "PsLookupThreadByThreadId", "Thread");
    }

    private int lookup(long id, MemorySegment out, boolean process, String routine, String outName) {
        if (out == null || out.address() == 0) {
            throw new IllegalArgumentException(routine + ": " + outName + " is NULL");
        }
        MemorySegment target = out.byteSize() >= 8 ? out : core.addressSpace().resolve(out.address(), 8);
        system();
        reap();
        long[] found = new long[1];
        boolean[] wrongKind = new boolean[1];
        cids.computeIfPresent(id, (k, v) -> { // the bin's lock: termination removes the id before dropping its reference
            boolean isProcess = v instanceof PsProcess;
            if (isProcess != process) {
                wrongKind[0] = true;
                return v;
            }
            long a = isProcess ? ((PsProcess) v).address() : ((PsThread) v).address();
            ob.reference(a);
            found[0] = a;
            return v;
        });
        if (found[0] == 0) {
            target.set(JAVA_LONG_UNALIGNED, 0, 0L);
            return wrongKind[0] ? NtStatus.STATUS_INVALID_PARAMETER : NtStatus.STATUS_INVALID_CID;
        }
        target.set(JAVA_LONG_UNALIGNED, 0, found[0]);
        return NtStatus.STATUS_SUCCESS;
    }

    /** {@code PsCreateSystemThread}: see {@link SystemThreads#create}. */
    public int createSystemThread(MemorySegment threadHandle, int desiredAccess, MemorySegment objectAttributes, long processHandle,
                                  MemorySegment clientId, dev.offkern.nt.KSTART_ROUTINE javaRoutine, MemorySegment nativeRoutine,
                                  MemorySegment startContext, Runnable attach) {
        return SystemThreads.create(this, threadHandle, desiredAccess, objectAttributes, processHandle, clientId, javaRoutine,
                nativeRoutine, startContext, attach);
    }

    /** {@code PsTerminateSystemThread}: see {@link SystemThreads#terminate}. */
    public int terminateSystemThread(int exitStatus) {
        return SystemThreads.terminate(this, exitStatus);
    }

    /** {@code PsCreateTenantProcess}: see {@link Tenants#create}. */
    public int createTenantProcess(MemorySegment processHandle, int desiredAccess, MemorySegment objectAttributes, String imageFileName) {
        return Tenants.create(this, processHandle, desiredAccess, objectAttributes, imageFileName);
    }

    /** {@code ZwTerminateProcess}: see {@link Tenants#terminate}. */
    public int terminateProcess(long processHandle, int exitStatus) {
        return Tenants.terminate(this, processHandle, exitStatus);
    }

    /** {@code PsGetProcessExitStatus}: see {@link Tenants#exitStatus}. */
    public int processExitStatus(MemorySegment process) {
        return Tenants.exitStatus(this, process);
    }

    /** {@code KeStackAttachProcess}: see {@link ProcessAttach#attach}. */
    public void stackAttachProcess(MemorySegment process, MemorySegment apcState) {
        ProcessAttach.attach(this, process, apcState);
    }

    /** {@code KeUnstackDetachProcess}: see {@link ProcessAttach#detach}. */
    public void unstackDetachProcess(MemorySegment apcState) {
        ProcessAttach.detach(this, apcState);
    }

    /** {@code PsSetCreateProcessNotifyRoutineEx}: see {@link PsNotify}. */
    public int setCreateProcessNotifyRoutineEx(dev.offkern.nt.CREATE_PROCESS_NOTIFY_ROUTINE_EX routine, boolean remove) {
        return notify.setProcessRoutine(routine, remove, "PsSetCreateProcessNotifyRoutineEx");
    }

    /** {@code PsSetCreateProcessNotifyRoutine}: see {@link PsNotify}. */
    public int setCreateProcessNotifyRoutine(dev.offkern.nt.CREATE_PROCESS_NOTIFY_ROUTINE routine, boolean remove) {
        return notify.setProcessRoutine(routine, remove, "PsSetCreateProcessNotifyRoutine");
    }

    /** {@code PsSetCreateThreadNotifyRoutine}: see {@link PsNotify}. */
    public int setCreateThreadNotifyRoutine(dev.offkern.nt.CREATE_THREAD_NOTIFY_ROUTINE routine) {
        return notify.addThreadRoutine(routine);
    }

    /** {@code PsSetCreateThreadNotifyRoutineEx}: see {@link PsNotify}. */
    public int setCreateThreadNotifyRoutineEx(int notifyType, dev.offkern.nt.CREATE_THREAD_NOTIFY_ROUTINE routine) {
        return notify.addThreadRoutineEx(notifyType, routine);
    }

    /** {@code PsRemoveCreateThreadNotifyRoutine}: see {@link PsNotify}. */
    public int removeCreateThreadNotifyRoutine(dev.offkern.nt.CREATE_THREAD_NOTIFY_ROUTINE routine) {
        return notify.removeThreadRoutine(routine);
    }

    /** Tenant processes created and not yet ended (diagnostics, tests); a process counts as ended once it is signalled. */
    public int liveTenantCount() {
        int n = 0;
        for (PsProcess p : liveProcesses) {
            if (!p.ended.get()) {
                n++;
            }
        }
        return n;
    }

    /**
     * Tenant records whose end has not completed (its id-table reference not yet dropped): the end
     * runs on the thread that causes it, just after the process is signalled (diagnostics, tests).
     */
    public synchronized int pendingTenantRecords() {
        return liveProcesses.size();
    }

    /** Live threads of this kernel (diagnostics, tests). */
    public int liveThreadCount() {
        return liveThreads.size();
    }

    /**
     * The threads PsCreateSystemThread made that have not ended: {ETHREAD, StartAddress} pairs, a
     * racy snapshot (read-only: the I/O manager's unload check looks for a driver's running threads).
     */
    public long[][] runningCreatedThreads() {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        for (PsThread t : liveThreads) {
            if (t.created && !t.ended.get()) {
                long start = t.ethread.get(JAVA_LONG, ETHREAD.START_ADDRESS_OFFSET);
                if (!t.ended.get()) { // read while it ran: its ETHREAD was not freed yet
                    out.add(new long[] {t.address(), start});
                }
            }
        }
        return out.toArray(new long[0][]);
    }

    // ===== shutdown =====

    /**
     * Before kernel close: waits, at most {@code millis} in all, for the system threads that have
     * already ended (terminated and signalled) to finish their end, which drops their kernel state's
     * reference and so frees their ETHREAD. A waiter on a thread object wakes at the signal, before
     * that release; without this wait, a caller that waits for its system thread and then closes the
     * kernel would race the release, and a free refused by the closed kernel would leave the ETHREAD
     * in the leak report. A thread still in its start routine is not waited for (close ends its
     * waits instead); neither is the calling thread. Returns how many ended threads were still
     * running when the time ran out.
     */
    public int awaitEndedSystemThreads(long millis) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        int stuck = 0;
        for (java.util.Map.Entry<PsThread, Thread> e : systemThreadsRunning.entrySet()) {
            Thread t = e.getValue();
            if (!e.getKey().ended.get() || t == Thread.currentThread()) {
                continue;
            }
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    t.join(java.time.Duration.ofNanos(left));
                }
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt(); // close goes on; the report may then show the thread
                return stuck + 1;
            }
            if (t.isAlive()) {
                stuck++;
            }
        }
        return stuck;
    }

    /** The blocks {@link #close()} found held by the kernel alone: (tag, requested size) → count. */
    private final java.util.Map<Long, Long> ownBlocks = new java.util.HashMap<>();

    /**
     * Kernel close (calls are refused by now; before the address space closes): counts the objects
     * the kernel alone holds — the System process and the ETHREADs of threads still live, each with
     * its one creation reference and no handle — and the PsActiveProcessHead block. They live as
     * long as the kernel, as the object types do, so {@link #excludingOwn} drops them from the leak
     * report. An object some caller still references or holds a handle to is not counted: the report
     * shows it. Nothing is freed (the pools check the caller's IRQL, which a closed kernel no longer
     * answers); the pools' unmap reclaims it all.
     */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        dead.clear(); // nothing is reaped any more; the records must not stay reachable through it
        PsProcess s = system;
        if (s == null) {
            return;
        }
        for (PsThread t : orphans) {
            if (!t.stateReference.get()) {
                ownBlocks.merge(key(ob.threadType().key(), ObjectManager.HEADER_SIZE + THREAD_BODY_SIZE), 1L, Long::sum);
            }
        }
        java.util.Set<PsThread> threads = new java.util.HashSet<>(liveThreads);
        threads.addAll(stateHeld);
        for (PsThread t : threads) { // the id table's reference while it lives, its kernel state's while that exists
            long expected = (liveThreads.contains(t) ? 1 : 0) + (t.stateReference.get() ? 1 : 0);
            own(t.address(), ob.threadType().key(), THREAD_BODY_SIZE, expected);
        }
        own(s.address(), ob.processType().key(), EPROCESS.X64.size(), 1);
        for (PsProcess p : liveProcesses) {
            own(p.address(), ob.processType().key(), EPROCESS.X64.size(), 1); // a tenant never terminated: the kernel's, as System
        }
        ownBlocks.merge(key(HEAD_TAG, LIST_ENTRY.X64.size()), 1L, Long::sum);
    }

    private void own(long body, int tag, long bodySize, long references) {
        try {
            if (ob.pointerCount(body) == references && ob.handleCount(body) == 0) {
                ownBlocks.merge(key(tag, ObjectManager.HEADER_SIZE + bodySize), 1L, Long::sum);
                long sd = ob.securityBlockHeldByObjectOnly(body); // its security descriptor lives as long as it
                if (sd != 0) {
                    ownBlocks.merge(key(ObjectManager.SECURITY_DESCRIPTOR_TAG, sd), 1L, Long::sum);
                }
            }
        } catch (RuntimeException unreadable) {
            // a header the caller's code overwrote or unmapped: the report shows the block
        }
    }

    private static long key(int tag, long size) {
        return ((long) tag << 32) | size;
    }

    /** {@code report} without the blocks {@link #close()} found held by the kernel alone. */
    public synchronized dev.offkern.runtime.pool.LeakReport excludingOwn(dev.offkern.runtime.pool.LeakReport report) {
        if (ownBlocks.isEmpty()) {
            return report;
        }
        java.util.Map<Long, Long> left = new java.util.HashMap<>(ownBlocks);
        List<dev.offkern.runtime.pool.LeakReport.Leak> out = new ArrayList<>();
        for (dev.offkern.runtime.pool.LeakReport.Leak l : report.leaks()) {
            Long n = left.remove(key(l.tag(), l.size()));
            long count = n == null ? l.count() : l.count() - n;
            if (count > 0) {
                out.add(new dev.offkern.runtime.pool.LeakReport.Leak(l.tag(), l.poolType(), l.size(), count, l.driver()));
            }
        }
        return new dev.offkern.runtime.pool.LeakReport(out);
    }
}
