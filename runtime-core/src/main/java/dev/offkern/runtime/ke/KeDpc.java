package dev.offkern.runtime.ke;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KDPC_DATA;
import dev.offkern.layout.ke.OFFKERN_PRCB;
import dev.offkern.layout.ke.PROCESSOR_NUMBER;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KDEFERRED_ROUTINE;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * Deferred procedure calls on the byte-exact {@code KDPC}: {@code KeInitializeDpc},
 * {@code KeInitializeThreadedDpc}, {@code KeInsertQueueDpc}, {@code KeRemoveQueueDpc},
 * {@code KeSetImportanceDpc}, {@code KeSetTargetProcessorDpc(Ex)}, {@code KeFlushQueuedDpcs}, and
 * the running of queued DPCs on their processor.
 *
 * <h2>When a DPC runs (Windows' timing, which drivers rely on)</h2>
 * <ul>
 *   <li>A DPC for the caller's own processor inserted below DISPATCH_LEVEL has run when
 *       KeInsertQueueDpc returns: the inserting thread drains its processor's queue itself, at
 *       DISPATCH_LEVEL, as the DISPATCH_LEVEL software interrupt does on Windows.</li>
 *   <li>Inserted at DISPATCH_LEVEL or above, it runs when that thread lowers its IRQL below
 *       DISPATCH_LEVEL ({@link Irql#lower}, the spin-lock releases). Where offkern differs: a
 *       logical processor is shared by several Java threads, so the processor's service thread may
 *       drain the queue earlier if another insertion asks it to.</li>
 *   <li>A DPC targeted at another processor runs on that processor's service thread (woken by
 *       {@link Processor#requestDpcDrain()}); KeInsertQueueDpc does not wait for it.</li>
 *   <li>A threaded DPC runs at PASSIVE_LEVEL on its processor's threaded-DPC thread (started on
 *       first use), or as a normal DPC when threaded DPCs are disabled (KernelConfig, the PRCB's
 *       {@code ThreadDpcEnable}).</li>
 * </ul>
 * The DPCs of one processor never run concurrently: whoever drains a processor's normal queue
 * first claims {@code OFFKERN_PRCB.DpcDrainOwner} (a CAS from NULL to its KTHREAD address); the
 * threaded queue has exactly one drainer, its thread. Routines run at DISPATCH_LEVEL (threaded:
 * PASSIVE_LEVEL) with the processor's number as the current processor.
 *
 * <h2>KDPC fields</h2>
 * Type DpcObject (0x13) or ThreadedDpcObject (0x18); Importance (LowImportance 0 ..
 * MediumHighImportance 3; HighImportance queues at the head, the others at the tail — offkern
 * runs a LowImportance DPC as promptly as the others); Number 0 (the inserting thread's processor)
 * or processor + MAXIMUM_PROCESSORS (64) when targeted; DeferredRoutine a real function pointer
 * (an upcall stub of a Java routine, or a native function of a library registered with
 * {@link RoutineTable}); DpcData non-NULL exactly while queued (see {@link DpcQueue}).
 *
 * <h2>Checks</h2>
 * <ul>
 *   <li>A DPC must be an 8-byte aligned native segment of at least sizeof(KDPC) (0x40 bytes);
 *       KeInsertQueueDpc/KeRemoveQueueDpc also need it in registered memory (else
 *       PAGE_FAULT_IN_NONPAGED_AREA) and an initialized Type (else IllegalArgumentException).</li>
 *   <li>A DeferredRoutine that is neither a registered Java routine's stub nor inside a registered
 *       native library's executable mapping is never called: ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY
 *       (0xFC: the pointer, 0, 0, 0) when it points into the kernel's (data) address space, else
 *       PAGE_FAULT_IN_NONPAGED_AREA (0x50: the pointer, 0x10 execute, the KDPC, 0).</li>
 *   <li>A target processor outside the kernel's (a corrupted Number): TIMER_OR_DPC_INVALID (0xC7:
 *       3, the KDPC, the processor, the processor count). Initializing a DPC that is queued: 0xC7 (1,
 *       the KDPC, the KDPC, its end). A queue whose links were overwritten: KERNEL_SECURITY_CHECK_FAILURE
 *       (0x139: 3, the KDPC_DATA, the bad link), and the queue is emptied.</li>
 *   <li>Verifier, family IRQL: a routine returning at an IRQL other than the one it was called at is
 *       IRQL_UNEXPECTED_VALUE (0xC8: current &lt;&lt; 16 | expected &lt;&lt; 8, the routine, the KDPC,
 *       0); KeFlushQueuedDpcs above PASSIVE_LEVEL is DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1).
 *       Family DPC: a routine that changes the thread's APC-disable count is TIMER_OR_DPC_INVALID
 *       (0xC7: 4, the routine, count before, count after; 5 for a timer's DPC).</li>
 *   <li>An exception escaping a Java routine is KMODE_EXCEPTION_NOT_HANDLED (0x1E:
 *       STATUS_UNHANDLED_EXCEPTION, the routine, the KDPC, 0).</li>
 * </ul>
 * Progress: insert/remove are blocking on the queue's DpcLock (short); an insertion below
 * DISPATCH_LEVEL for the own processor waits for the processor's running DPCs to finish.
 */
public final class KeDpc {
    /*
     * Implementation overview.
     *
     * Drain token and lost wake-ups. A thread drains a processor's normal queue only while it owns
     * DpcDrainOwner. A drainer that fails to get the token may leave (the owner drains what it
     * finds) because the owner, after releasing the token with a volatile store, re-reads
     * DpcQueueDepth with a volatile load and drains again if it is non-zero; an inserter increments
     * the depth (volatile store) before it tries the token (volatile CAS). Both sides use
     * sequentially consistent accesses, so at least one of them sees the other (Dekker): no DPC is
     * left queued with nobody coming for it. An inserter that must see its DPC run before it
     * returns (below DISPATCH_LEVEL, own processor) waits for the token instead of leaving: once it
     * holds it, every earlier drainer has finished, so its DPC either ran or is still queued.
     *
     * Exceptions. A bug check raised by or for a routine propagates to the drainer's caller (the
     * inserter, the lowering thread, or the service thread's loop, which keeps serving); the token
     * is released first and, if DPCs remain, the service thread is asked to drain them.
     */

    /** KOBJECTS DpcObject. */
    public static final int DpcObject = 0x13;
    /** KOBJECTS ThreadedDpcObject. */
    public static final int ThreadedDpcObject = 0x18;
    /** KDPC_IMPORTANCE LowImportance. */
    public static final int LowImportance = 0;
    /** KDPC_IMPORTANCE MediumImportance (the default). */
    public static final int MediumImportance = 1;
    /** KDPC_IMPORTANCE HighImportance: queued at the head. */
    public static final int HighImportance = 2;
    /** KDPC_IMPORTANCE MediumHighImportance. */
    public static final int MediumHighImportance = 3;
    /** wdm.h MAXIMUM_PROCESSORS on x64 (MAXIMUM_PROC_PER_GROUP): added to a targeted DPC's Number. */
    public static final int MAXIMUM_PROCESSORS = 64;
    /** sizeof(KDPC) on x64. */
    public static final long KDPC_SIZE = KDPC.X64.size();
    /** PAGE_FAULT_IN_NONPAGED_AREA P2 for an execute access (x64, Windows 10). */
    public static final int FAULT_EXECUTE = 0x10;
    /** PAGE_FAULT_IN_NONPAGED_AREA P2 for a write access (x64, Windows 10). */
    public static final int FAULT_WRITE = 0x2;
    /** TIMER_OR_DPC_INVALID P1: a DPC object found where it is not permitted (re-initialized while queued). */
    public static final int DPC_INVALID_MEMORY = 1;
    /** TIMER_OR_DPC_INVALID P1: a DPC's processor number is not a processor of the kernel. */
    public static final int DPC_INVALID_PROCESSOR = 3;
    /** TIMER_OR_DPC_INVALID P1: a DPC routine changed the APC-disable count. */
    public static final int DPC_APC_DISABLE_CHANGED = 4;
    /** TIMER_OR_DPC_INVALID P1: a timer's DPC routine changed the APC-disable count. */
    public static final int TIMER_DPC_APC_DISABLE_CHANGED = 5;

    private KeDpc() {
    }

    // ===== initialisation and settings =====

    /** {@code KeInitializeDpc(Dpc, DeferredRoutine, DeferredContext)} with a Java routine. IRQL: any. */
    public static void initialize(MemorySegment dpc, KDEFERRED_ROUTINE routine, MemorySegment context) {
        initialize(dpc, javaRoutine(routine, "KeInitializeDpc"), context, DpcObject, "KeInitializeDpc");
    }

    /** {@code KeInitializeDpc} with a native function pointer (a function of a registered native library). */
    public static void initialize(MemorySegment dpc, MemorySegment nativeRoutine, MemorySegment context) {
        initialize(dpc, nativePointer(nativeRoutine, "KeInitializeDpc"), context, DpcObject, "KeInitializeDpc");
    }

    /** {@code KeInitializeThreadedDpc(Dpc, DeferredRoutine, DeferredContext)} with a Java routine. IRQL: any. */
    public static void initializeThreaded(MemorySegment dpc, KDEFERRED_ROUTINE routine, MemorySegment context) {
        initialize(dpc, javaRoutine(routine, "KeInitializeThreadedDpc"), context, ThreadedDpcObject, "KeInitializeThreadedDpc");
    }

    /** {@code KeInitializeThreadedDpc} with a native function pointer. */
    public static void initializeThreaded(MemorySegment dpc, MemorySegment nativeRoutine, MemorySegment context) {
        initialize(dpc, nativePointer(nativeRoutine, "KeInitializeThreadedDpc"), context, ThreadedDpcObject,
                "KeInitializeThreadedDpc");
    }

    private static void initialize(MemorySegment dpc, long routine, MemorySegment context, int type, String name) {
        check(dpc, name);
        KernelCore k = ThreadState.current().kernel(); // a closed or halted kernel says so before its memory is touched
        long queuedOn = DpcQueue.dpcData(dpc, 0);
        if (queuedOn != 0 && DpcQueue.isQueueOf(k, queuedOn)) {
            // re-initializing a queued DPC would unlink nothing and corrupt the queue
            throw k.bugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, DPC_INVALID_MEMORY, dpc.address(), dpc.address(),
                    dpc.address() + KDPC_SIZE, name + " of KDPC 0x" + Long.toHexString(dpc.address()) + " while it is queued");
        }
        dpc.set(ValueLayout.JAVA_BYTE, KDPC.TYPE_OFFSET, (byte) type);
        dpc.set(ValueLayout.JAVA_BYTE, KDPC.IMPORTANCE_OFFSET, (byte) MediumImportance);
        dpc.set(ValueLayout.JAVA_SHORT, KDPC.NUMBER_OFFSET, (short) 0);
        dpc.set(JAVA_LONG, KDPC.DPC_LIST_ENTRY_OFFSET, 0L);
        dpc.set(JAVA_LONG, KDPC.PROCESSOR_HISTORY_OFFSET, 0L);
        dpc.set(JAVA_LONG, KDPC.DEFERRED_ROUTINE_OFFSET, routine);
        dpc.set(JAVA_LONG, KDPC.DEFERRED_CONTEXT_OFFSET, address(context));
        dpc.set(JAVA_LONG, KDPC.SYSTEM_ARGUMENT1_OFFSET, 0L);
        dpc.set(JAVA_LONG, KDPC.SYSTEM_ARGUMENT2_OFFSET, 0L);
        LONG.setVolatile(dpc, KDPC.DPC_DATA_OFFSET, 0L); // volatile: publishes the initialized DPC
    }

    /** The stub address of a Java DPC routine in the calling thread's kernel's routine table. */
    static long javaRoutine(KDEFERRED_ROUTINE routine, String name) {
        if (routine == null) {
            throw new IllegalArgumentException(name + ": DeferredRoutine is NULL");
        }
        KernelCore k = ThreadState.current().kernel();
        return k.routines().stubFor(routine, UPCALL.bindTo(routine).bindTo(k), UPCALL_DESCRIPTOR);
    }

    private static long nativePointer(MemorySegment routine, String name) {
        if (routine == null || routine.address() == 0) {
            throw new IllegalArgumentException(name + ": DeferredRoutine is NULL");
        }
        return routine.address();
    }

    /** {@code KeSetImportanceDpc(Dpc, Importance)}: takes effect at the next insertion. IRQL: any. */
    public static void setImportance(MemorySegment dpc, int importance) {
        check(dpc, "KeSetImportanceDpc");
        ThreadState.current(); // a closed or halted kernel says so before its memory is touched
        if (importance < LowImportance || importance > MediumHighImportance) {
            throw new IllegalArgumentException("KeSetImportanceDpc: Importance " + importance
                    + " is not a KDPC_IMPORTANCE (LowImportance 0 .. MediumHighImportance 3)");
        }
        dpc.set(ValueLayout.JAVA_BYTE, KDPC.IMPORTANCE_OFFSET, (byte) importance);
    }

    /**
     * {@code KeSetTargetProcessorDpc(Dpc, Number)}: targets processor {@code number} of group 0 if it
     * exists; otherwise, as Windows 7+ documents, the target is left unchanged. IRQL: any.
     */
    public static void setTargetProcessor(MemorySegment dpc, int number) {
        check(dpc, "KeSetTargetProcessorDpc");
        int n = (byte) number; // CCHAR
        if (n >= 0 && n < ThreadState.current().kernel().processorCount()) {
            NUMBER.setVolatile(dpc, KDPC.NUMBER_OFFSET, (short) (n + MAXIMUM_PROCESSORS)); // volatile USHORT Number
        }
    }

    /**
     * {@code KeSetTargetProcessorDpcEx(Dpc, ProcNumber)}: STATUS_SUCCESS, or STATUS_INVALID_PARAMETER
     * when ProcNumber names no processor of the kernel (a group other than 0, a number at or above
     * the processor count). IRQL: any.
     */
    public static int setTargetProcessorEx(MemorySegment dpc, MemorySegment procNumber) {
        check(dpc, "KeSetTargetProcessorDpcEx");
        KernelCore k = ThreadState.current().kernel(); // a closed or halted kernel says so before its memory is touched
        if (procNumber == null || procNumber.address() == 0 || procNumber.byteSize() < PROCESSOR_NUMBER.LAYOUT.byteSize()) {
            throw new IllegalArgumentException("KeSetTargetProcessorDpcEx: ProcNumber must be a PROCESSOR_NUMBER (4 bytes), not "
                    + procNumber);
        }
        int group = procNumber.get(ValueLayout.JAVA_SHORT_UNALIGNED, PROCESSOR_NUMBER.GROUP_OFFSET) & 0xFFFF;
        int number = procNumber.get(ValueLayout.JAVA_BYTE, PROCESSOR_NUMBER.NUMBER_OFFSET) & 0xFF;
        if (group != 0 || number >= k.processorCount()) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        NUMBER.setVolatile(dpc, KDPC.NUMBER_OFFSET, (short) (number + MAXIMUM_PROCESSORS));
        return NtStatus.STATUS_SUCCESS;
    }

    // ===== queueing =====

    /**
     * {@code KeInsertQueueDpc(Dpc, SystemArgument1, SystemArgument2)}: TRUE if queued, FALSE if the
     * DPC was already queued (its first insertion's arguments stay). IRQL: any.
     */
    public static boolean insertQueueDpc(MemorySegment dpc, long systemArgument1, long systemArgument2) {
        check(dpc, "KeInsertQueueDpc");
        ThreadState t = ThreadState.current();
        Region r = t.kernel().addressSpace().regionOf(dpc.address(), KDPC_SIZE);
        return insert(t, r.segment(), r.offsetOf(dpc.address()), systemArgument1, systemArgument2, t.processorNumber(), true);
    }

    /**
     * Queues the DPC at {@code off} of {@code seg} (registered memory). {@code defaultProcessor}
     * receives an untargeted DPC; {@code mayRunHere} lets the calling thread run it at once (or when
     * it lowers its IRQL) when that is its own processor — false for the clock thread, which only
     * asks the target processor's service thread. Runtime-internal (timers use it).
     */
    static boolean insert(ThreadState t, MemorySegment seg, long off, long arg1, long arg2, int defaultProcessor,
                          boolean mayRunHere) {
        KernelCore k = t.kernel();
        int type = seg.get(ValueLayout.JAVA_BYTE, off + KDPC.TYPE_OFFSET) & 0xFF;
        if (type != DpcObject && type != ThreadedDpcObject) {
            throw new IllegalArgumentException("KeInsertQueueDpc: 0x" + Long.toHexString(seg.address() + off)
                    + " is not an initialized KDPC (Type 0x" + Integer.toHexString(type) + ")");
        }
        int number = (short) NUMBER.getVolatile(seg, off + KDPC.NUMBER_OFFSET) & 0xFFFF;
        int target = number >= MAXIMUM_PROCESSORS ? number - MAXIMUM_PROCESSORS : defaultProcessor;
        if (target >= k.processorCount()) {
            throw k.bugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, DPC_INVALID_PROCESSOR, seg.address() + off, target,
                    k.processorCount(), "KDPC 0x" + Long.toHexString(seg.address() + off) + " targets processor " + target
                            + " of a kernel with " + k.processorCount());
        }
        Processor p = k.processors().get(target);
        boolean threaded = type == ThreadedDpcObject && Prcb.threadDpcEnable(p.prcb());
        boolean high = (seg.get(ValueLayout.JAVA_BYTE, off + KDPC.IMPORTANCE_OFFSET) & 0xFF) == HighImportance;
        if (!DpcQueue.insert(k.addressSpace(), k.liveObjects(), p.prcb(), threaded ? KDPC_DATA.DPC_THREADED : KDPC_DATA.DPC_NORMAL,
                seg, off, arg1, arg2, high)) {
            return false;
        }
        if (threaded) {
            p.signalThreadedDpcs();
        } else if (!mayRunHere || target != t.processorNumber() || t.isServiceThread()) {
            p.requestDpcDrain();
        } else if (t.irql < Irql.DISPATCH_LEVEL) {
            drain(t, p, true); // has run when KeInsertQueueDpc returns
        } else {
            t.dpcPending = true; // runs when this thread lowers below DISPATCH_LEVEL
        }
        return true;
    }

    /** {@code KeRemoveQueueDpc(Dpc)}: TRUE if the DPC was queued and is now not. IRQL: any. */
    public static boolean removeQueueDpc(MemorySegment dpc) {
        check(dpc, "KeRemoveQueueDpc");
        KernelCore k = ThreadState.current().kernel();
        AddressSpace as = k.addressSpace();
        Region r = as.regionOf(dpc.address(), KDPC_SIZE);
        return DpcQueue.remove(as, k.liveObjects(), r.segment(), r.offsetOf(dpc.address()));
    }

    /** Whether the DPC is queued now (DpcData non-NULL; a volatile read). IRQL: any. */
    public static boolean isQueued(MemorySegment dpc) {
        check(dpc, "KeIsQueuedDpc");
        ThreadState.current();
        return DpcQueue.dpcData(dpc, 0) != 0;
    }

    /**
     * {@code KeFlushQueuedDpcs()}: returns once every DPC queued on any processor when it was called
     * (normal and threaded) has run. IRQL: PASSIVE_LEVEL. Blocking.
     */
    public static void flushQueuedDpcs() {
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.PASSIVE_LEVEL, "KeFlushQueuedDpcs");
        }
        KernelCore k = t.kernel();
        Processors ps = k.processors();
        for (int i = 0; i < ps.count(); i++) {
            Processor p = ps.get(i);
            if (DpcQueue.depth(p.prcb(), KDPC_DATA.DPC_NORMAL) > 0) {
                p.requestDpcDrain();
            }
            if (DpcQueue.depth(p.prcb(), KDPC_DATA.DPC_THREADED) > 0) {
                p.signalThreadedDpcs();
            }
        }
        for (int i = 0; i < ps.count(); i++) {
            Processor p = ps.get(i);
            int spins = 0;
            while (!quiet(p.prcb())) {
                k.ensureRunning(); // a halted kernel's processors have stopped: fail instead of waiting forever
                if (++spins < 64) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(20_000);
                }
            }
        }
    }

    /**
     * The DPC bookkeeping of every processor of {@code k}, one line each (queue depths, the normal
     * queue's drain owner, each queue's ActiveDpc, the threaded-DPC thread's activity flag): what
     * a report of a KeFlushQueuedDpcs that does not return needs to name the condition it waits on.
     * Plain volatile reads; diagnostic only.
     */
    public static String describeQueues(KernelCore k) {
        StringBuilder sb = new StringBuilder();
        Processors ps = k.processors();
        for (int i = 0; i < ps.count(); i++) {
            MemorySegment prcb = ps.get(i).prcb();
            sb.append(String.format("processor %d: normal depth %d active 0x%x drainOwner 0x%x; threaded depth %d active 0x%x threadActive %d%n",
                    i, DpcQueue.depth(prcb, KDPC_DATA.DPC_NORMAL), DpcQueue.activeDpc(prcb, KDPC_DATA.DPC_NORMAL), drainOwner(prcb),
                    DpcQueue.depth(prcb, KDPC_DATA.DPC_THREADED), DpcQueue.activeDpc(prcb, KDPC_DATA.DPC_THREADED),
                    (int) INT.getVolatile(prcb, OFFKERN_PRCB.DPC_THREAD_ACTIVE_OFFSET)));
        }
        return sb.toString();
    }

    /** No DPC queued on the processor, none running (depth read before the activity flags). */
    private static boolean quiet(MemorySegment prcb) {
        return DpcQueue.depth(prcb, KDPC_DATA.DPC_NORMAL) == 0
                && DpcQueue.depth(prcb, KDPC_DATA.DPC_THREADED) == 0
                && drainOwner(prcb) == 0
                && DpcQueue.activeDpc(prcb, KDPC_DATA.DPC_THREADED) == 0;
    }

    // ===== draining =====

    /** Runs the DPCs queued while {@code t} was at DISPATCH_LEVEL or above (it is lowering below it). */
    static void deliverPending(ThreadState t) {
        t.dpcPending = false;
        Processor p = t.kernel().processors().get(t.processorNumber());
        if (drainOwner(p.prcb()) == t.address()) {
            return; // inside this thread's own drain: the drain loop runs them
        }
        drain(t, p, true);
    }

    /** The service thread's drain routine ({@link Processor#setDpcDrain}). */
    static void drainOnServiceThread(Processor p) {
        drain(p.serviceThreadState(), p, false);
    }

    /**
     * Drains {@code p}'s normal queue on the calling thread {@code t} (which runs on {@code p}). If
     * another thread holds the drain token: waits for it ({@code mustRun}) or leaves it to the owner.
     */
    static void drain(ThreadState t, Processor p, boolean mustRun) {
        MemorySegment prcb = p.prcb();
        long me = t.address();
        int spins = 0;
        for (;;) {
            // volatile CAS: acquires the token; pairs with the volatile release below
            if (!LONG.compareAndSet(prcb, OFFKERN_PRCB.DPC_DRAIN_OWNER_OFFSET, 0L, me)) {
                if (!mustRun) {
                    return; // the owner re-reads the depth after releasing (Dekker, see the overview)
                }
                spins = Backoff.spinOrYield(spins);
                continue;
            }
            boolean completed = false;
            try {
                runQueue(t, p);
                completed = true;
            } finally {
                LONG.setVolatile(prcb, OFFKERN_PRCB.DPC_DRAIN_OWNER_OFFSET, 0L); // volatile: Dekker with inserters
                if (!completed && DpcQueue.depth(prcb, KDPC_DATA.DPC_NORMAL) > 0) {
                    p.requestDpcDrain(); // a bug check stopped this drain: the service thread finishes it
                }
            }
            if (DpcQueue.depth(prcb, KDPC_DATA.DPC_NORMAL) == 0) { // volatile read after the volatile release
                return;
            }
        }
    }

    /** Runs every DPC of {@code p}'s normal queue at DISPATCH_LEVEL (the caller holds the token). */
    private static void runQueue(ThreadState t, Processor p) {
        MemorySegment prcb = p.prcb();
        KernelCore k = t.kernel();
        int saved = t.irql;
        DpcQueue.Call c = new DpcQueue.Call();
        Prcb.setDpcRoutineActive(prcb, 1);
        try {
            while (DpcQueue.pop(k.addressSpace(), k.liveObjects(), prcb, KDPC_DATA.DPC_NORMAL, c)) {
                runOne(t, k, prcb, KDPC_DATA.DPC_NORMAL, c, Irql.DISPATCH_LEVEL, p.number());
            }
            t.dpcPending = false;
        } finally {
            Prcb.setDpcRoutineActive(prcb, 0);
            t.irql = saved;
        }
    }

    /** Runs {@code p}'s threaded queue at PASSIVE_LEVEL (its threaded-DPC thread only). */
    static void runThreadedQueue(ThreadState t, Processor p) {
        MemorySegment prcb = p.prcb();
        KernelCore k = t.kernel();
        DpcQueue.Call c = new DpcQueue.Call();
        while (DpcQueue.pop(k.addressSpace(), k.liveObjects(), prcb, KDPC_DATA.DPC_THREADED, c)) {
            INT.setVolatile(prcb, OFFKERN_PRCB.DPC_THREAD_ACTIVE_OFFSET, 1);
            try {
                runOne(t, k, prcb, KDPC_DATA.DPC_THREADED, c, Irql.PASSIVE_LEVEL, p.number());
            } finally {
                INT.setVolatile(prcb, OFFKERN_PRCB.DPC_THREAD_ACTIVE_OFFSET, 0);
            }
        }
    }

    /** Calls one dequeued DPC at {@code irql} and checks what it left behind. */
    private static void runOne(ThreadState t, KernelCore k, MemorySegment prcb, int q, DpcQueue.Call c, int irql, int number) {
        t.irql = irql;
        int apcBefore = t.kernelApcDisable();
        t.dpcRoutineDepth++;
        int owner = t.enterRoutine(c.routine); // the routine's driver owns what it allocates and arms
        try {
            // Inside the try whose finally clears ActiveDpc: if the KDPC's memory fails here, the
            // queue must not stay "running" for ever (KeFlushQueuedDpcs would wait on it).
            markProcessorHistory(k, c, number);
            call(k, c);
        } catch (BugCheck processed) {
            throw processed; // callbacks and dump ran where it was raised
        } catch (Throwable e) {
            if (e instanceof KernelHaltedException halted && k.isHalted()) {
                throw halted; // this kernel halted: its processors' threads stop with it
            }
            // Anything else, another kernel's halt included (a routine that called into a second,
            // halted kernel), is this routine's unhandled exception: it must not stop this processor.
            t.irql = irql;
            throw k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL,
                    c.routine, c.dpc, 0, "exception escaped DPC routine 0x" + Long.toHexString(c.routine) + " of KDPC 0x"
                            + Long.toHexString(c.dpc) + ": " + e);
        } finally {
            t.enterDriver(owner);
            t.dpcRoutineDepth--;
            DpcQueue.finished(prcb, q);
        }
        if (t.verifies(VerifierCheck.IRQL) && t.irql != irql) {
            int found = t.irql;
            t.irql = irql;
            throw k.bugCheck(BugCheckCode.IRQL_UNEXPECTED_VALUE, ((long) found << 16) | ((long) irql << 8), c.routine, c.dpc, 0,
                    "DPC routine 0x" + Long.toHexString(c.routine) + " returned at " + Irql.name(found) + ", not " + Irql.name(irql));
        }
        if (t.verifies(VerifierCheck.DPC) && t.kernelApcDisable() != apcBefore) {
            int after = t.kernelApcDisable();
            t.addKernelApcDisable(apcBefore - after);
            throw k.bugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, DPC_APC_DISABLE_CHANGED, c.routine, apcBefore & 0xFFFFFFFFL,
                    after & 0xFFFFFFFFL, "DPC routine 0x" + Long.toHexString(c.routine) + " changed KernelApcDisable from "
                            + apcBefore + " to " + after);
        }
    }

    /**
     * ORs {@code number}'s bit into the dequeued KDPC's ProcessorHistory. The KDPC's memory was
     * checked when it was popped; if it has gone since (its region unmapped), that is the page
     * fault the write would take: PAGE_FAULT_IN_NONPAGED_AREA (0x50: the KDPC, 2 write, 0, 0).
     */
    private static void markProcessorHistory(KernelCore k, DpcQueue.Call c, int number) {
        try {
            LONG.getAndBitwiseOr(c.dpcSegment, c.dpcOffset + KDPC.PROCESSOR_HISTORY_OFFSET, 1L << number); // atomic OR: the DPC may be re-queued concurrently
        } catch (IllegalStateException | IndexOutOfBoundsException gone) {
            throw k.bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, c.dpc, FAULT_WRITE, 0, 0,
                    "the memory of dequeued KDPC 0x" + Long.toHexString(c.dpc) + " went away before its routine ran: " + gone);
        }
    }

    /** Calls the routine behind {@code c.routine}: a Java routine directly, a native one by downcall, else a bug check. */
    private static void call(KernelCore k, DpcQueue.Call c) throws Throwable {
        RoutineTable table = k.routines();
        Object r = table.routineAt(c.routine);
        if (r instanceof KDEFERRED_ROUTINE j) {
            j.call(c.dpcSegment.asSlice(c.dpcOffset, KDPC_SIZE), MemorySegment.ofAddress(c.context),
                    MemorySegment.ofAddress(c.arg1), MemorySegment.ofAddress(c.arg2));
            return;
        }
        if (r == null && table.isNativeCode(c.routine)) {
            NATIVE_DEFERRED.invokeExact(MemorySegment.ofAddress(c.routine), c.dpc, c.context, c.arg1, c.arg2);
            return;
        }
        if (r != null) {
            throw new IllegalStateException("DeferredRoutine 0x" + Long.toHexString(c.routine) + " of KDPC 0x"
                    + Long.toHexString(c.dpc) + " is a " + r.getClass().getSimpleName() + "'s stub, not a KDEFERRED_ROUTINE");
        }
        throw badRoutine(k, c.routine, c.dpc, "DeferredRoutine of KDPC 0x" + Long.toHexString(c.dpc));
    }

    /**
     * The bug check for calling {@code routine}, which is no routine: 0xFC when it points into the
     * kernel's data (registered memory), else 0x50 with the execute access. Runtime-internal.
     */
    public static BugCheck badRoutine(KernelCore k, long routine, long referencedBy, String what) {
        if (k.addressSpace().find(routine, 1) != null) {
            return k.bugCheck(BugCheckCode.ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY, routine, 0, 0, 0,
                    what + " 0x" + Long.toHexString(routine) + " points into kernel data, not code");
        }
        return k.bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, routine, FAULT_EXECUTE, referencedBy, 0,
                what + " 0x" + Long.toHexString(routine) + " is neither a registered Java routine nor code of a registered native library");
    }

    /**
     * The KDPCs queued on every processor's normal and threaded queues now (a snapshot, each queue
     * under its DpcLock): the I/O manager's unload check. Runtime-internal.
     */
    public static long[] queuedDpcs(KernelCore k) {
        org.agrona.collections.LongArrayList out = new org.agrona.collections.LongArrayList();
        for (int n = 0; n < k.processors().count(); n++) {
            MemorySegment prcb = k.processors().get(n).prcb();
            DpcQueue.collect(k.addressSpace(), prcb, KDPC_DATA.DPC_NORMAL, out);
            DpcQueue.collect(k.addressSpace(), prcb, KDPC_DATA.DPC_THREADED, out);
        }
        return out.toLongArray();
    }

    /** The thread draining the processor's normal queue (its KTHREAD address), 0 if none. */
    static long drainOwner(MemorySegment prcb) {
        return (long) LONG.getVolatile(prcb, OFFKERN_PRCB.DPC_DRAIN_OWNER_OFFSET);
    }

    // ===== helpers =====

    static void check(MemorySegment dpc, String routine) {
        if (dpc == null || !dpc.isNative() || dpc.address() == 0 || dpc.byteSize() < KDPC_SIZE || (dpc.address() & 7) != 0) {
            throw new IllegalArgumentException(routine + ": a KDPC must be an 8-byte aligned native segment of 0x"
                    + Long.toHexString(KDPC_SIZE) + " bytes or more, not " + dpc);
        }
    }

    private static long address(MemorySegment s) {
        return s == null ? 0 : s.address();
    }

    /** Upcall target of a Java routine's stub: what native code calling DeferredRoutine reaches. */
    private static void upcall(KDEFERRED_ROUTINE routine, KernelCore k, MemorySegment dpc, MemorySegment context,
                               MemorySegment arg1, MemorySegment arg2) {
        try {
            MemorySegment bounded = k.addressSpace().isValid(dpc.address(), KDPC_SIZE)
                    ? k.addressSpace().resolve(dpc.address(), KDPC_SIZE) : dpc;
            routine.call(bounded, context, arg1, arg2);
        } catch (Throwable e) {
            // An exception must not unwind into native code (it would end the JVM): it is the bug
            // check an unhandled exception in a DPC is, raised here and then swallowed.
            try {
                throw k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL,
                        0, dpc.address(), 0, "exception escaped a DPC routine called from native code: " + e);
            } catch (Throwable processed) {
                // processed (callbacks, dump, policy); nothing may propagate into native code
            }
        }
    }

    private static final FunctionDescriptor UPCALL_DESCRIPTOR = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, ADDRESS);
    private static final MethodHandle UPCALL;
    /** {@code void (*)(PKDPC, PVOID, PVOID, PVOID)} with the pointers as 64-bit integers (the same registers). */
    private static final MethodHandle NATIVE_DEFERRED = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));

    static {
        try {
            UPCALL = MethodHandles.lookup().findStatic(KeDpc.class, "upcall", MethodType.methodType(void.class,
                    KDEFERRED_ROUTINE.class, KernelCore.class, MemorySegment.class, MemorySegment.class, MemorySegment.class,
                    MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ----- VarHandle mechanics -----
    /** KDPC.DpcData, ProcessorHistory, OFFKERN_PRCB.DpcDrainOwner: by byte offset in their segments. */
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    /** OFFKERN_PRCB.DpcThreadActive. */
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    /** KDPC.Number (volatile USHORT). */
    private static final VarHandle NUMBER = ValueLayout.JAVA_SHORT.varHandle();
}
