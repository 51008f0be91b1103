package dev.offkern.runtime.ke;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.BugCheckSink;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The kernel proper ({@code ke}): what every thread-level routine of one booted kernel shares —
 * its run state, address space, logical processors (with the per-thread states) and bug-check
 * machinery. {@code dev.offkern.runtime.Kernel} composes one core with the pools and the executive
 * managers; the managers below {@code Kernel} see only this core (or narrower parts of it), so no
 * manager depends on the composition root.
 *
 * <p>Run states: RUNNING → (bug check under HALT) HALTED → CLOSED, or RUNNING → CLOSED. A halted
 * core refuses every call ({@link #ensureRunning()} throws {@link KernelHaltedException}) except
 * from the thread running the bug check, whose callbacks may still call in.
 *
 * <p>Finding the core of the calling thread: {@link ThreadState#current()} caches it per thread;
 * its slow path asks the one resolver {@code Kernel} installs ({@link #installResolver}), which is
 * {@code Kernel.current()}: the kernel is resolved in exactly one place.
 */
public final class KernelCore implements BugCheckSink, ListEntries.Memory {
    /** KERNEL_SECURITY_CHECK_FAILURE's P1 for a corrupt LIST_ENTRY ({@code FAST_FAIL_CORRUPT_LIST_ENTRY}). */
    public static final int FAST_FAIL_CORRUPT_LIST_ENTRY = 3;

    private static final int RUNNING = 0;
    private static final int HALTED = 1;
    private static final int CLOSED = 2;

    /** The one kernel resolver (installed by {@code dev.offkern.runtime.Kernel}'s class initialiser). */
    private static volatile Supplier<KernelCore> resolver = () -> {
        throw new IllegalStateException("no offkern kernel is booted: call Kernel.boot() first");
    };

    private final int processorCount;
    private final Set<VerifierCheck> verifierChecks;
    private final BugCheckPolicy bugCheckPolicy;
    private final Path dumpDirectory;
    private final AddressSpace addressSpace;
    private final boolean threadedDpcs;
    private final long timeIncrement;
    private final RoutineTable routines = new RoutineTable();
    /**
     * Told, on the thread itself, when a thread starts or stops running a driver's code
     * ({@link ThreadState#enterDriver}): the pools record the owner per thread. Set once at boot.
     */
    private volatile java.util.function.IntConsumer ownerSink = owner -> { };
    private final Processors processors;
    private final BugChecks bugChecks;
    /** The verifier's registry of armed timers and queued DPCs (family DPC), else null. */
    private final LiveObjects liveObjects;
    private final KeClock clock;
    /** RUNNING, HALTED or CLOSED; volatile: every thread's fast path reads it (a plain load on x64). */
    private volatile int runState = RUNNING;
    /** The thread running the halting bug check (may still call in), set before runState := HALTED. */
    private volatile Thread haltOwner;
    private volatile BugCheck haltedBy;
    private volatile String haltDump;

    /**
     * A core over {@code addressSpace} with {@code processorCount} processors, the verifier families
     * {@code verifierChecks}, the policy applied after a bug check and the dump directory.
     */
    public KernelCore(AddressSpace addressSpace, int processorCount, Set<VerifierCheck> verifierChecks,
                      BugCheckPolicy bugCheckPolicy, Path dumpDirectory) {
        this(addressSpace, processorCount, verifierChecks, bugCheckPolicy, dumpDirectory, true, 10_000);
    }

    /**
     * As above, with threaded DPCs on their own threads ({@code threadedDpcs}) or run as normal DPCs,
     * and the clock tick {@code timeIncrement} (100 ns units).
     */
    public KernelCore(AddressSpace addressSpace, int processorCount, Set<VerifierCheck> verifierChecks,
                      BugCheckPolicy bugCheckPolicy, Path dumpDirectory, boolean threadedDpcs, long timeIncrement) {
        this.threadedDpcs = threadedDpcs;
        this.timeIncrement = timeIncrement;
        this.addressSpace = addressSpace;
        this.processorCount = processorCount;
        this.verifierChecks = Set.copyOf(verifierChecks);
        if (verifies(VerifierCheck.SPECIAL_POOL)) {
            addressSpace.runSpecialPoolChecks(); // the SLIST routines' entry checks ask the space, not the thread
        }
        this.bugCheckPolicy = bugCheckPolicy;
        this.dumpDirectory = dumpDirectory;
        this.liveObjects = verifies(VerifierCheck.DPC) ? new LiveObjects(this) : null;
        this.processors = new Processors(this);
        this.bugChecks = new BugChecks(this);
        this.clock = new KeClock(this, timeIncrement);
        addressSpace.bugCheckSink(this);
    }

    /** Where thread states get their KTHREAD (the process manager's Thread objects); set once before {@link #start}. */
    private volatile ThreadObjects threadObjects;

    /** Installs where thread states get their KTHREAD (by the composition root, before {@link #start}). */
    public void setThreadObjects(ThreadObjects objects) {
        threadObjects = objects;
    }

    /** Where thread states get their KTHREAD. */
    ThreadObjects threadObjects() {
        ThreadObjects o = threadObjects; // volatile read
        if (o == null) {
            throw new IllegalStateException("this kernel core has no thread objects installed (KernelCore.setThreadObjects)");
        }
        return o;
    }

    /** Starts the processors' service threads and the clock (once the kernel is fully built). */
    public void start() {
        processors.start();
        clock.start();
    }

    /** Installs the resolver {@link ThreadState#current()} falls back to (once, by {@code Kernel}). */
    public static void installResolver(Supplier<KernelCore> kernelOfCallingThread) {
        resolver = kernelOfCallingThread;
    }

    /** The calling thread's kernel core, through the installed resolver. */
    static KernelCore resolve() {
        return resolver.get();
    }

    public int processorCount() {
        return processorCount;
    }

    public Set<VerifierCheck> verifierChecks() {
        return verifierChecks;
    }

    /**
     * Whether this kernel runs verifier family {@code check}: the JVM switch {@link Verifier#ENABLED} and the
     * kernel's configuration (fixed at boot). For a component deciding at construction whether its checks run;
     * a routine on a thread asks its {@link ThreadState#verifies}, which holds the same answer.
     */
    public boolean verifies(VerifierCheck check) {
        return Verifier.ENABLED && verifierChecks.contains(check);
    }

    public BugCheckPolicy bugCheckPolicy() {
        return bugCheckPolicy;
    }

    /** Where dumps are written, or null for none. */
    public Path dumpDirectory() {
        return dumpDirectory;
    }

    /** Every region this kernel's routines may dereference. */
    public AddressSpace addressSpace() {
        return addressSpace;
    }

    /** The logical processors and per-thread states. */
    public Processors processors() {
        return processors;
    }

    /** Whether threaded DPCs run on each processor's DPC thread (else as normal DPCs). */
    public boolean threadedDpcs() {
        return threadedDpcs;
    }

    /** The clock tick in 100 ns units (KeQueryTimeIncrement). */
    public long timeIncrement() {
        return timeIncrement;
    }

    /** The one routine table: Java routines' stubs and registered native libraries. */
    /**
     * The verifier's registry of armed timers and queued DPCs, which pool frees consult
     * (TIMER_OR_DPC_INVALID); null unless the kernel runs the verifier's DPC family.
     */
    public LiveObjects liveObjects() {
        return liveObjects;
    }

    public RoutineTable routines() {
        return routines;
    }

    /** Sets who is told of a thread's change of driver owner (the kernel's pools; once, at boot). */
    public void setOwnerSink(java.util.function.IntConsumer sink) {
        this.ownerSink = sink;
    }

    void ownerChanged(int owner) {
        ownerSink.accept(owner); // volatile read: set once at boot, before any driver runs
    }

    /** The kernel clock: time queries and the timer wheel's expiry thread. */
    public KeClock clock() {
        return clock;
    }

    /** The bug-check machinery: callback lists, KeBugCheckEx, dumps. */
    public BugChecks bugChecks() {
        return bugChecks;
    }

    @Override
    public BugCheck bugCheck(int code, long p1, long p2, long p3, long p4, String detail) {
        return bugChecks.bugCheck(code, p1, p2, p3, p4, detail);
    }

    // ----- ListEntries.Memory: native lists in this kernel's address space -----

    /** The region of this kernel's address space holding {@code [address, address + size)}, or null. */
    @Override
    public Region find(long address, long size) {
        return addressSpace.find(address, size);
    }

    /** PAGE_FAULT_IN_NONPAGED_AREA (0x50: address, 0 = read, 0, 0), the address space's fault. */
    @Override
    public RuntimeException unmapped(long address, long size) {
        return bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, address, 0, 0, 0,
                "no region holds [0x" + Long.toHexString(address) + ", +" + size + ")");
    }

    /**
     * KERNEL_SECURITY_CHECK_FAILURE (0x139) with P1 = FAST_FAIL_CORRUPT_LIST_ENTRY (3), as Windows 8+'s
     * list routines fail fast; P2 is the entry (offkern's choice: it has no trap frame to report).
     */
    @Override
    public RuntimeException corrupt(long entry, String detail) {
        return bugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, FAST_FAIL_CORRUPT_LIST_ENTRY, entry, 0, 0, detail);
    }

    /** Whether the kernel is closed. */
    public boolean isClosed() {
        return runState == CLOSED;
    }

    /** {@link BugCheckSink#closed()}: {@link #isClosed()}. */
    @Override
    public boolean closed() {
        return isClosed();
    }

    /** Whether a bug check halted the kernel. */
    public boolean isHalted() {
        return runState == HALTED;
    }

    /** The bug check that halted the kernel, or null. */
    public BugCheck haltedBy() {
        return haltedBy;
    }

    /** Fast path of the run-state check: true iff RUNNING (one volatile int load). */
    public boolean isRunningFast() {
        return runState == RUNNING;
    }

    /**
     * Fails fast unless the kernel accepts calls from this thread.
     *
     * @throws KernelHaltedException if a bug check halted the kernel (except on the thread running it)
     * @throws IllegalStateException if the kernel is closed
     */
    public void ensureRunning() {
        if (runState != RUNNING) {
            ensureRunningSlow();
        }
    }

    private void ensureRunningSlow() {
        int s = runState;
        if (s == CLOSED) {
            throw closedException();
        }
        if (s == HALTED && haltOwner != Thread.currentThread()) {
            throw new KernelHaltedException(haltedBy, haltDump);
        }
    }

    /** The exception a call into a closed kernel gets. */
    public static IllegalStateException closedException() {
        return new IllegalStateException("this offkern kernel is closed: Kernel.close() has run");
    }

    /** Halts the kernel on behalf of the calling thread's bug check (HALT policy). */
    void halt(BugCheck cause) {
        haltedBy = cause;
        haltOwner = Thread.currentThread();
        runState = HALTED; // volatile write after haltedBy/haltOwner: readers that see HALTED see them
    }

    /** Records the halting bug check's dump file, releases the halt owner and ends every wait. */
    void haltComplete(String dumpFile) {
        haltDump = dumpFile;
        haltOwner = null; // before the abort: the former owner's own later waits fail too
        Dispatcher.abortWaits(this, true); // waiters throw KernelHaltedException (with the dump file)
        clock.stop();
        processors.stopServiceThreads();
    }

    /** The exception every call gets once halted. */
    public KernelHaltedException haltedException() {
        return new KernelHaltedException(haltedBy, haltDump);
    }

    /**
     * Marks the core closed; returns false if it already was. Later calls fail fast.
     */
    public synchronized boolean markClosed() {
        if (runState == CLOSED) {
            return false;
        }
        runState = CLOSED;
        return true;
    }

    /**
     * Ends every pending wait (they throw {@link IllegalStateException}), then closes the bug-check
     * machinery and the processors. Call after {@link #markClosed()}, before any memory is unmapped.
     */
    public void shutdown() {
        ThreadState.forget();
        ThreadState.forgetKernel(this); // every thread's table entry of this kernel (their run-state checks already fail)
        Dispatcher.abortWaits(this, false);
        clock.stop();
        bugChecks.close();
        processors.close();
        clock.close();
        routines.close();
        threadObjects = null; // a thread state that outlives its kernel (in a thread-local) must not reach the managers
    }
}
