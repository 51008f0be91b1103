package dev.offkern.runtime;

import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.nt.DRIVER_INITIALIZE;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.NtStatusException;
import dev.offkern.runtime.io.IoDrivers;
import dev.offkern.runtime.io.IoManager;
import java.lang.foreign.MemorySegment;

import dev.offkern.nt.KernelHaltedException;
import dev.offkern.runtime.counters.CountersPublisher;
import dev.offkern.nt.AccessMask;
import dev.offkern.runtime.ex.ExTimers;
import dev.offkern.runtime.ex.ExWorkerThreads;
import dev.offkern.runtime.io.IoInterrupts;
import dev.offkern.runtime.io.IoWorkItems;
import dev.offkern.runtime.ke.InterruptController;
import dev.offkern.runtime.ex.LookasideRegistry;
import dev.offkern.runtime.ke.BugChecks;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.DumpContributor;
import dev.offkern.runtime.ke.Processors;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.ps.ProcessManager;
import dev.offkern.runtime.srm.TokenManager;
import dev.offkern.runtime.pool.LeakReport;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.runtime.pool.PoolMonitor;
import dev.offkern.runtime.pool.Pools;
import dev.offkern.runtime.pool.ThreadPools;
import dev.offkern.runtime.verifier.VerifierCheck;
import dev.offkern.nt.BugCheck;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * One booted offkern kernel: its address space, its non-paged and paged pools, and its
 * {@link KernelCore} (run state, logical processors with their PRCBs, DPC queues and the per-thread
 * states of the threads that call in, bug checks, the clock and timer table, the routine table) and
 * its object manager, and its system work queues (their worker threads start on first use). Boot with {@link #boot()} or {@link #boot(KernelConfig)} and
 * close it when done; memory from its pools is unmapped at close.
 *
 * <p>DDI calls find their kernel with {@link #current()}: the kernel the calling thread is
 * attached to ({@link #attach()}), else the single booted kernel.
 *
 * <p>Run states: RUNNING → (bug check under HALT) HALTED → CLOSED, or RUNNING → CLOSED. A halted
 * kernel refuses every call ({@link #ensureRunning()} throws {@link KernelHaltedException}) except
 * from the thread running the bug check, whose callbacks may still call in.
 */
public final class Kernel implements AutoCloseable {

    /** How long close() waits for the system worker threads to end (a routine that never returns cannot hang it). */
    private static final long WORKER_END_MILLIS = 5_000;
    private static final CopyOnWriteArrayList<Kernel> BOOTED = new CopyOnWriteArrayList<>();
    private static final ThreadLocal<Kernel> ATTACHED = new ThreadLocal<>();
    /** Whether any kernel was closed in this JVM, for the message of a call when none is booted; volatile: read by any thread. */
    private static volatile boolean anyClosed;
    /**
     * The answer of {@link #current()} for every thread while exactly one kernel is booted and every attached
     * thread is attached to it (the usual embedding), else null. It spares the DDI hot paths the attachment
     * {@code ThreadLocal}'s lookup. Written under {@code Kernel.class} by boot, close, attach and detach;
     * volatile: the fast path reads it without the lock, and an attaching thread's write of null (when it
     * attaches elsewhere) is ordered before its own later reads.
     */
    private static volatile Kernel sole;
    /** Threads attached now (attach minus detach, and minus the closing thread's own attachment); under {@code Kernel.class}. */
    private static int attachedThreads;
    /** Of {@link #attachedThreads}, those attached to this kernel; under {@code Kernel.class}. */
    private int attachments;

    static {
        // The one resolver: ThreadState's slow path (ke) finds the calling thread's kernel here.
        KernelCore.installResolver(() -> current().core);
    }

    private final KernelConfig config;
    private final AddressSpace addressSpace = new AddressSpace();
    private final Pools pools;
    private final LookasideRegistry lookasideLists;
    private final ExTimers exTimers;
    private final ObjectManager objects;
    private final ProcessManager processes;
    private final ExWorkerThreads workQueues;
    private final IoWorkItems ioWorkItems;
    private final InterruptController interrupts;
    private final IoInterrupts ioInterrupts;
    private final TokenManager tokens;
    private final IoManager io;
    private volatile Consumer<String> leakReportSink = System.err::print;
    private volatile LeakReport leakReport;
    private final KernelCore core;
    /** The live counters' publisher, or null when {@link KernelConfig#liveCounters()} is off; set in boot(). */
    private volatile CountersPublisher counters;

    private Kernel(KernelConfig config) {
        this.config = config;
        this.core = new KernelCore(addressSpace, config.processorCount(), config.verifierChecks(),
                config.bugCheckPolicy(), config.dumpDirectory(), config.threadedDpcs(), config.timeIncrement());
        this.pools = new Pools(addressSpace, core, config.nonPagedPoolLimit(), config.pagedPoolLimit(), config.poolChunkSize(),
                config.verifies(VerifierCheck.POOL));
        // Every dump carries the pools' per-tag accounting (lock-free reads of the tag counters).
        core.bugChecks().addDumpContributor(new DumpContributor(BugChecks.POOL_TAG_SUMMARY,
                () -> PoolMonitor.snapshot(pools.nonPaged(), pools.paged()).format()));
        pools.checkTimersAndDpcsOnFree(core.liveObjects()); // verifier, family DPC: freeing an armed timer or queued DPC is 0xC7
        this.lookasideLists = new LookasideRegistry(core, pools);
        this.exTimers = new ExTimers(core, pools);
        this.objects = new ObjectManager(core, pools); // allocates nothing until first used
        this.processes = new ProcessManager(core, objects, pools.nonPaged()); // the System process is made on first use
        core.setThreadObjects(processes); // every thread state's KTHREAD is an ETHREAD (the service threads' first, at start)
        this.workQueues = new ExWorkerThreads(core, this::startWorkerThread); // worker threads start on each queue's first use
        this.ioWorkItems = new IoWorkItems(core, objects, pools.nonPaged(), workQueues);
        this.interrupts = new InterruptController(core);
        this.ioInterrupts = new IoInterrupts(core, objects, pools.nonPaged(), interrupts);
        this.tokens = new TokenManager(core, objects, processes, pools);
        processes.setSecurity(tokens); // before the System process exists: it gets the SYSTEM token
        objects.setSecurity(new dev.offkern.runtime.srm.ObjectSecurityMethods(tokens)); // descriptors on objects, access checks at open
        this.io = new IoManager(core, objects, pools.nonPaged(), processes::currentThread);
        io.attach(pools, workQueues, ioInterrupts, ioWorkItems); // driver attribution and the unload check (docs/io.md)
        io.attachUnloadSources(lookasideLists, processes::runningCreatedThreads);
    }

    /** Boots a kernel with {@link KernelConfig#defaults()}. */
    public static Kernel boot() {
        return boot(KernelConfig.defaults());
    }

    /** Boots a kernel with {@code config}. */
    public static Kernel boot(KernelConfig config) {
        Kernel k = new Kernel(config);
        synchronized (Kernel.class) {
            BOOTED.add(k);
            updateSole();
        }
        k.core.start();
        if (config.liveCounters().enabled()) {
            try {
                k.counters = CountersPublisher.start(config.liveCounters().directory(), config.liveCounters().interval(),
                        k.core, k.pools, k.lookasideLists);
            } catch (RuntimeException e) {
                k.close();
                throw e;
            }
        }
        return k;
    }

    /**
     * The calling thread's kernel: the attached one, else the only booted one. Wait-free; in the usual case
     * (one kernel booted, every attached thread attached to it) one volatile field answers, with no
     * per-thread lookup and no read of the kernel's run state (docs/performance.md "Profiles", "The DDI's
     * dependent loads": every DDI routine heads its work with this call, and the SLIST routines pay each
     * dependent load after a {@code cmpxchg16b}).
     *
     * <p>{@link #close()} clears {@code sole} before any teardown. A call that read it just before may get the
     * closing kernel, and completes (or meets the teardown and reports the closed kernel) as one that found the
     * kernel running just before close would; a call after close has cleared it takes the slow path, which
     * refuses the closed kernel.
     *
     * @throws IllegalStateException if the thread is attached to a closed kernel, or none is booted
     *         (the message says so when kernels were booted and all are closed), or several are and
     *         the thread attached to none
     */
    public static Kernel current() {
        Kernel s = sole; // volatile read: an attaching thread recomputed it before attaching, so it never reads another kernel
        return s != null ? s : currentSlow();
    }

    /** {@link #current()} when {@link #sole} does not answer: the attachment, else the booted list. */
    private static Kernel currentSlow() {
        Kernel k = ATTACHED.get();
        if (k != null) {
            if (k.core.isClosed()) { // volatile read of the run state; another thread closed it
                throw KernelCore.closedException();
            }
            return k;
        }
        // size()/get() read the list's array without copying it: the DDI hot paths call current()
        // on every routine, and toArray() allocated an array per call.
        int booted = BOOTED.size();
        if (booted == 1) {
            try {
                return BOOTED.get(0);
            } catch (IndexOutOfBoundsException closedMeanwhile) {
                booted = 0;
            }
        }
        Object[] all = BOOTED.toArray();
        if (all.length == 1) {
            return (Kernel) all[0];
        }
        if (all.length == 0) {
            throw new IllegalStateException(anyClosed
                    ? "no offkern kernel is running: the kernel is closed (Kernel.close() has run) and no other is booted; call Kernel.boot() first"
                    : "no offkern kernel is booted: call Kernel.boot() first");
        }
        throw new IllegalStateException(all.length + " kernels are booted: attach the calling thread to one with kernel.attach()");
    }

    /**
     * Recomputes {@link #sole} from the booted list and the attachment counts; call under {@code Kernel.class}.
     * A thread that ends while attached is never subtracted: if it was attached to a kernel that is then
     * closed, {@code current()} keeps taking its slow path (correct, only slower) until the JVM ends.
     */
    private static void updateSole() {
        Kernel only = BOOTED.size() == 1 ? BOOTED.get(0) : null;
        // volatile write: publishes to the fast path; null while any thread is attached to another (closed) kernel
        sole = only != null && only.attachments == attachedThreads ? only : null;
    }

    /**
     * The calling thread's record of its kernel's pools, for the DDI's pool routines: one per-thread
     * lookup ({@link ThreadPools#cached()}: a thread-id table, and the kernel's run state), and on a miss
     * the thread's state ({@link ThreadState#current()}: the thread's kernel, checked running, as for every
     * routine that needs the state), which keeps the record (docs/performance.md "Pool").
     *
     * @throws IllegalStateException if no kernel is available for the thread or it is closed
     * @throws dev.offkern.nt.KernelHaltedException if it was halted by a bug check (except on the thread running it)
     */
    public static ThreadPools callerPools() {
        ThreadPools t = ThreadPools.cached();
        return t != null ? t : bindPools(ThreadState.current());
    }

    private static ThreadPools bindPools(ThreadState s) {
        for (Kernel k : BOOTED) {
            if (k.core == s.kernel()) {
                return ThreadPools.of(s, k.pools);
            }
        }
        throw KernelCore.closedException(); // the state's kernel was closed (and left BOOTED) since current() checked it
    }

    /** Makes this the calling thread's kernel until {@link #detach()}. */
    public Kernel attach() {
        ensureRunning();
        synchronized (Kernel.class) {
            Kernel before = ATTACHED.get();
            if (before == null) {
                attachedThreads++;
            } else {
                before.attachments--;
            }
            attachments++;
            updateSole(); // before the attachment: this thread never reads a sole other than this kernel
            ATTACHED.set(this);
        }
        ThreadState.forget();
        ThreadPools.forgetCallingThread();
        return this;
    }

    /** Forgets the calling thread's attachment. */
    public static void detach() {
        synchronized (Kernel.class) {
            Kernel before = ATTACHED.get();
            if (before != null) {
                ATTACHED.remove();
                before.attachments--;
                attachedThreads--;
                updateSole();
            }
        }
        ThreadState.forget();
        ThreadPools.forgetCallingThread();
    }

    public KernelConfig config() {
        return config;
    }

    /** The kernel's pools and their DDI policy (what {@code ExAllocatePool2} and family delegate to). */
    public Pools pools() {
        return pools;
    }

    /** The kernel's lookaside lists (what the lookaside routines of {@code Ex} delegate to). */
    public LookasideRegistry lookasideLists() {
        return lookasideLists;
    }

    /** The kernel's executive timers (what the EX_TIMER routines of {@code Ex} delegate to). */
    public ExTimers exTimers() {
        return exTimers;
    }

    /** The kernel's object manager: object types, headers, handle tables, names (what {@code Ob}, {@code Zw} delegate to). */
    public ObjectManager objects() {
        return objects;
    }

    /** The kernel's system work queues and worker threads (what {@code ExQueueWorkItem} and {@code IoQueueWorkItem} use). */
    public ExWorkerThreads workQueues() {
        return workQueues;
    }

    /**
     * The kernel's interrupt controller: give a device (its PDO) a line or messages, and deliver
     * interrupts on a vector or a device's message from the embedder, an emulator or a test
     * ({@link InterruptController#interrupt}, {@link InterruptController#message}).
     */
    public InterruptController interrupts() {
        return interrupts;
    }

    /** IoConnectInterruptEx / IoDisconnectInterruptEx and the device DPC routines of {@code Io}. */
    public IoInterrupts ioInterrupts() {
        return ioInterrupts;
    }

    /** The kernel's I/O work items (what the {@code IoAllocateWorkItem} family of {@code Io} delegates to). */
    public IoWorkItems ioWorkItems() {
        return ioWorkItems;
    }

    /**
     * Starts one system worker thread: a system thread of the System process (PsCreateSystemThread's
     * path: an ETHREAD, attached to this kernel) running {@code body}; its handle is closed at once
     * (the thread keeps its object). {@code notRun} runs instead of {@code body} if the kernel
     * closed before the thread could attach.
     */
    private boolean startWorkerThread(Runnable body, Runnable notRun) {
        // A queue's first use may be a driver's call: the worker is the kernel's, not that driver's
        // (its start routine, ETHREAD and handle are made with no driver owner; docs/io.md "Attribution").
        dev.offkern.runtime.ke.ThreadState caller = dev.offkern.runtime.ke.ThreadState.peek();
        int owner = caller == null ? 0 : caller.enterDriver(0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment handle = a.allocate(ValueLayout.JAVA_LONG);
            int st = processes.createSystemThread(handle, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, 0, MemorySegment.NULL,
                    context -> body.run(), null, MemorySegment.NULL, () -> {
                        try {
                            attach();
                        } catch (RuntimeException closed) {
                            notRun.run();
                            throw closed;
                        }
                    });
            if (st != dev.offkern.nt.NtStatus.STATUS_SUCCESS) {
                return false;
            }
            objects.close(handle.get(ValueLayout.JAVA_LONG, 0), ObjectManager.KernelMode);
            return true;
        } finally {
            if (caller != null) {
                caller.enterDriver(owner);
            }
        }
    }

    /** This kernel's process manager (the System process, the threads' ETHREADs, system threads). */
    public ProcessManager processes() {
        return processes;
    }

    /** This kernel's security manager for tokens, subject contexts and access checks. */
    public TokenManager tokens() {
        return tokens;
    }

    /** This kernel's I/O manager (drivers, devices, IRPs, cancel-safe queues: what {@code Io} delegates to). */
    public IoManager io() {
        return io;
    }

    /**
     * Loads a driver written in Java: {@code IoCreateDriver(name, entry)} on the calling thread, returning
     * the driver object (unload it with {@link #unloadDriver}).
     *
     * @param name  the driver's object name ({@code \Driver\Name}), or null for a generated one
     * @throws NtStatusException with the status IoCreateDriver returned, if it failed
     */
    public MemorySegment loadDriver(String name, DRIVER_INITIALIZE entry) {
        ensureRunning();
        long[] out = new long[1];
        int st = IoDrivers.create(io, name, entry, out);
        if (!NtStatus.NT_SUCCESS(st)) {
            throw new NtStatusException(st, "IoCreateDriver(" + name + ") failed");
        }
        return objects.body(out[0], DRIVER_OBJECT.X64.size());
    }

    /** Unloads a driver {@link #loadDriver} loaded ({@code IoDeleteDriver}: its DriverUnload runs). */
    public void unloadDriver(MemorySegment driverObject) {
        ensureRunning();
        IoDrivers.delete(io, driverObject);
    }

    /** The non-paged pool. */
    public Pool nonPagedPool() {
        return pools.nonPaged();
    }

    /** The paged pool. */
    public Pool pagedPool() {
        return pools.paged();
    }

    /**
     * The pool a {@code POOL_TYPE} selects (decoded by {@link dev.offkern.runtime.pool.DecodedPoolType}):
     * the paged pool for every paged type (PagedPool, PagedPoolCacheAligned, PagedPoolSession, ...),
     * else the non-paged pool. Modifier bits (POOL_RAISE_IF_ALLOCATION_FAILURE, ...) are ignored here.
     *
     * @throws IllegalArgumentException if {@code poolType} is no POOL_TYPE
     */
    public Pool pool(int poolType) {
        return pools.of(poolType);
    }

    /** The pool holding {@code address}, or null if it is in neither pool. */
    public Pool poolOf(long address) {
        return pools.owning(address);
    }

    /** Where {@link #close()} writes the leak report if anything leaked (default: System.err). */
    public Kernel leakReportSink(Consumer<String> sink) {
        this.leakReportSink = Objects.requireNonNull(sink, "sink");
        return this;
    }

    /** The leak report {@link #close()} made (null before close; empty if nothing leaked). */
    public LeakReport leakReport() {
        return leakReport;
    }

    /**
     * The kernel memory at [{@code address}, {@code address + size}) as a segment of that size: how
     * Java driver code follows a pointer it read from a structure (a DEVICE_OBJECT's extension, an
     * IRP's DriverContext). Checked as the kernel's own routines check what they dereference: memory
     * no region of this kernel holds is bug check PAGE_FAULT_IN_NONPAGED_AREA (0x50), never a read of
     * arbitrary memory. Unlike {@code MemorySegment.reinterpret} it needs no native access.
     */
    public java.lang.foreign.MemorySegment memory(long address, long size) {
        return addressSpace.resolve(address, size);
    }

    /** The kernel's address space: every region its routines may dereference. */
    public AddressSpace addressSpace() {
        return addressSpace;
    }

    /** The kernel's logical processors and per-thread states. */
    public Processors processors() {
        return core.processors();
    }

    /** The kernel proper: run state, processors, thread states and bug checks (what {@code ke} shares). */
    public KernelCore core() {
        return core;
    }

    /**
     * Loads the native library at {@code library} and registers its executable mappings: pointers to
     * its functions may then be stored in routine fields (KDPC.DeferredRoutine, ...) and the kernel
     * calls them through a downcall. A routine pointer that is neither a registered Java routine nor
     * in a registered library is a bug check, never a jump. Returns the library's symbols.
     */
    public java.lang.foreign.SymbolLookup registerNativeLibrary(java.nio.file.Path library) {
        ensureRunning();
        return core.routines().registerNativeLibrary(library);
    }

    /** Registers the executable mappings of the loaded library that defines {@code symbol} in {@code lookup}. */
    public void registerNativeLibrary(java.lang.foreign.SymbolLookup lookup, String symbol) {
        ensureRunning();
        core.routines().registerNativeLibrary(lookup, symbol);
    }

    /**
     * The file this kernel publishes its live counters in ({@code offkern stat --attach} reads its
     * directory), or null when live counters are off ({@link KernelConfig#liveCounters()}).
     */
    public java.nio.file.Path liveCountersFile() {
        CountersPublisher c = counters;
        return c == null ? null : c.file();
    }

    /** The kernel's bug-check machinery: callback lists, KeBugCheckEx, dumps. */
    public BugChecks bugChecks() {
        return core.bugChecks();
    }

    /**
     * Raises bug check {@code code} with its four parameters ({@code KeBugCheckEx}): runs the
     * registered callbacks, writes the dump, then applies the policy. Under THROW it returns the
     * exception for the caller to throw ({@code throw kernel.bugCheck(...)}), so that control flow
     * stays visible; under HALT it halts the kernel and throws {@link KernelHaltedException} itself.
     */
    public BugCheck bugCheck(int code, long p1, long p2, long p3, long p4, String detail) {
        return core.bugCheck(code, p1, p2, p3, p4, detail);
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed() {
        return core.isClosed();
    }

    /** Whether a bug check halted this kernel. */
    public boolean isHalted() {
        return core.isHalted();
    }

    /** The bug check that halted this kernel, or null. */
    public BugCheck haltedBy() {
        return core.haltedBy();
    }

    /** Fast path of the run-state check: true iff RUNNING (one volatile int load). */
    public boolean isRunningFast() {
        return core.isRunningFast();
    }

    /**
     * Fails fast unless the kernel accepts calls from this thread.
     *
     * @throws KernelHaltedException if a bug check halted the kernel (except on the thread running it)
     * @throws IllegalStateException if the kernel is closed
     */
    public void ensureRunning() {
        core.ensureRunning();
    }

    /**
     * Shuts the kernel down: later calls fail fast, the pools report the blocks still allocated
     * ({@link #leakReport()}, and written to the {@link #leakReportSink} when not empty), then every
     * pool chunk is unregistered from the address space and unmapped, and the address space is closed
     * (from then on no native routine dereferences memory registered in it). Idempotent.
     *
     * <p>Threads still blocked in a wait on this kernel ({@code KeWaitForSingleObject},
     * {@code KeWaitForMultipleObjects}, a mutex's slow path) are woken first — their wait blocks are
     * unlinked before any memory is unmapped — and their wait throws {@link IllegalStateException}
     * ("this offkern kernel is closed ..."). A bug check under the HALT policy does the same when
     * it completes, with {@link KernelHaltedException}.
     *
     * <p>System threads that have already ended (their thread objects are signalled) are given up to
     * five seconds to finish their end first, so that a caller which waits for its system thread and
     * then closes the kernel finds the thread's ETHREAD freed, not in the leak report.
     */
    @Override
    public void close() {
        if (core.isClosed()) {
            return;
        }
        // While the kernel still answers: system threads that have ended (their waiters may already have
        // woken) finish dropping their ETHREAD, so their frees are not refused by the close below.
        int ending = processes.awaitEndedSystemThreads(WORKER_END_MILLIS);
        if (ending > 0) {
            System.err.println("offkern: " + ending + " ended system thread(s) still releasing their ETHREAD at close");
        }
        if (!core.markClosed()) {
            return;
        }
        anyClosed = true;
        synchronized (Kernel.class) {
            BOOTED.remove(this);
            if (ATTACHED.get() == this) {
                ATTACHED.remove();
                attachments--;
                attachedThreads--;
            }
            updateSole(); // before any teardown: current()'s fast path reads no run state (see current())
        }
        // First, while everything is intact: the live counters' last publish, then the file is marked
        // CLOSED and deleted (a watcher with it mapped sees CLOSED).
        CountersPublisher c = counters;
        if (c != null) {
            c.close();
        }
        // Before anything is unmapped: unlink every pending wait of this kernel's threads from the
        // objects' wait lists and wake them (they throw IllegalStateException). After a HALT bug check
        // the halt has already ended them; this catches any left (e.g. close() during the bug check).
        workQueues.stop(); // idle workers wake and end; queued items are dropped
        core.shutdown();
        int stuck = workQueues.awaitWorkers(WORKER_END_MILLIS); // after the waits were aborted: a worker blocked in a wait has woken
        if (stuck > 0) {
            System.err.println("offkern: " + stuck + " system worker thread(s) still in a worker routine at close; left running (daemon)");
        }
        workQueues.close();
        lookasideLists.close();
        // Before the pools unmap: the shim stops dereferencing anything of this kernel, embedder regions
        // included (their owners may free them as soon as close() returns). Waits for shim calls in
        // flight; later ones report the kernel closed (IllegalStateException) instead of touching memory.
        processes.close(); // before the unmap: notes which process and thread objects only the kernel holds
        tokens.close(); // and the System process's token
        addressSpace.close();
        io.close();
        ThreadPools.forget(pools); // the DDI's per-thread records of these pools
        LeakReport report = pools.closeAndReport();
        report = objects.excludingTypes(report); // object types live as long as the kernel: not leaks
        report = processes.excludingOwn(report); // nor the System process and the ETHREADs of live threads
        report = tokens.excludingOwn(report); // nor the System process's token
        leakReport = report;
        String driversLeft = io.describeUnloadLeaks(); // objects, handles and EX_TIMERs unloaded drivers left (docs/io.md)
        if (!report.isEmpty() || !driversLeft.isEmpty()) {
            leakReportSink.accept((report.isEmpty() ? "" : report.toString()) + driversLeft);
        }
    }
}
