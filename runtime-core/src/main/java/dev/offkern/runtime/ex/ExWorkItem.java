package dev.offkern.runtime.ex;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.WORKER_THREAD_ROUTINE;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.KeDpc;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.RoutineTable;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Executive work items on the byte-exact {@code WORK_QUEUE_ITEM}: {@code ExInitializeWorkItem} and
 * {@code ExQueueWorkItem}; the queues and their system worker threads are {@link ExWorkerThreads}'s.
 *
 * <p>{@code WorkerRoutine} holds a real function pointer: the upcall stub of a Java
 * {@link WORKER_THREAD_ROUTINE} (one per routine object for the kernel's lifetime, from the kernel's
 * {@link RoutineTable}) or a function of a registered native library; the worker calls a Java
 * routine directly and a native one through a downcall.
 *
 * <h2>Checks</h2>
 * <ul>
 *   <li>An item must be an 8-byte aligned native segment of at least sizeof(WORK_QUEUE_ITEM) (0x20
 *       bytes), in registered memory when queued (else PAGE_FAULT_IN_NONPAGED_AREA).</li>
 *   <li>ExQueueWorkItem: a QueueType offkern serves no queue for is WORKER_INVALID (0xE4: 6, the
 *       item, the type, 0); a WorkerRoutine that is no routine (neither a registered Java routine's
 *       stub nor code of a registered library) is 0xE4 (7, the item, the type, 0); an item already
 *       queued is 0xE4 (1, the item, the type, 0). These are always on.</li>
 *   <li>Verifier, family IRQL: ExQueueWorkItem above DISPATCH_LEVEL is DRIVER_IRQL_NOT_LESS_OR_EQUAL /
 *       0xC4 (the IRQL rules every routine follows). Families IO and DPC: freeing pool that holds a
 *       queued item is 0xE4 (0, the item, the block's start, its end).</li>
 * </ul>
 * Stateless.
 */
public final class ExWorkItem {
    /** sizeof(WORK_QUEUE_ITEM) on x64. */
    public static final long WORK_QUEUE_ITEM_SIZE = WORK_QUEUE_ITEM.X64.size();
    /** WORKER_INVALID P1: an active work item was freed. */
    public static final int ACTIVE_ITEM_FREED = 0;
    /** WORKER_INVALID P1: an active (queued) work item was queued. */
    public static final int ACTIVE_ITEM_QUEUED = 1;
    /** WORKER_INVALID P1: a queued I/O work item was freed. */
    public static final int QUEUED_IO_ITEM_FREED = 2;
    /** WORKER_INVALID P1: an I/O work item was initialized with an invalid object. */
    public static final int INVALID_IO_OBJECT = 3;
    /** WORKER_INVALID P1: an invalid queue type. */
    public static final int INVALID_QUEUE_TYPE = 6;
    /** WORKER_INVALID P1: an invalid worker routine address. */
    public static final int INVALID_WORKER_ROUTINE = 7;

    private ExWorkItem() {
    }

    /** {@code ExInitializeWorkItem(Item, Routine, Parameter)} with a Java routine. IRQL: any. */
    public static void initialize(MemorySegment item, WORKER_THREAD_ROUTINE routine, MemorySegment parameter) {
        check(item, "ExInitializeWorkItem");
        if (routine == null) {
            throw new IllegalArgumentException("ExInitializeWorkItem: Routine is NULL");
        }
        initialize(item, stubOf(ThreadState.current().kernel(), routine), parameter);
    }

    /** {@code ExInitializeWorkItem} with a native routine pointer (a function of a registered native library). IRQL: any. */
    public static void initialize(MemorySegment item, MemorySegment nativeRoutine, MemorySegment parameter) {
        check(item, "ExInitializeWorkItem");
        ThreadState.current(); // a closed or halted kernel says so before memory is touched
        if (nativeRoutine == null || nativeRoutine.address() == 0) {
            throw new IllegalArgumentException("ExInitializeWorkItem: Routine is NULL");
        }
        initialize(item, nativeRoutine.address(), parameter);
    }

    /** As the ExInitializeWorkItem macro: WorkerRoutine, Parameter, List.Flink = NULL (Blink untouched). */
    private static void initialize(MemorySegment item, long routine, MemorySegment parameter) {
        item.set(JAVA_LONG, WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET, routine);
        item.set(JAVA_LONG, WORK_QUEUE_ITEM.PARAMETER_OFFSET, parameter == null ? 0 : parameter.address());
        item.set(JAVA_LONG, WORK_QUEUE_ITEM.LIST_OFFSET + LIST_ENTRY.FLINK_OFFSET, 0L);
    }

    /** The stub address of a Java worker routine in {@code k}'s routine table (runtime-internal: the I/O manager's worker). */
    public static long stubOf(KernelCore k, WORKER_THREAD_ROUTINE routine) {
        return k.routines().stubFor(routine, UPCALL.bindTo(routine).bindTo(k), UPCALL_DESCRIPTOR);
    }

    /**
     * {@code ExQueueWorkItem(WorkItem, QueueType)}: links the item to the queue and returns; one of
     * the queue's worker threads calls its routine at PASSIVE_LEVEL. IRQL: ≤ DISPATCH_LEVEL.
     * Progress: blocking (the queues' lock, briefly).
     */
    public static void queue(ExWorkerThreads queues, MemorySegment item, int queueType) {
        check(item, "ExQueueWorkItem");
        ThreadState t = ThreadState.current();
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.DISPATCH_LEVEL, "ExQueueWorkItem");
        }
        queue(queues, t.kernel(), item.address(), queueType, "ExQueueWorkItem");
    }

    /** Queues the WORK_QUEUE_ITEM at {@code address} (runtime-internal: IoQueueWorkItem's path too). */
    public static void queue(ExWorkerThreads queues, KernelCore k, long address, int queueType, String routineName) {
        Region r = k.addressSpace().regionOf(address, WORK_QUEUE_ITEM_SIZE);
        int q = ExWorkerThreads.queueOf(queueType);
        if (q < 0) {
            throw k.bugCheck(BugCheckCode.WORKER_INVALID, INVALID_QUEUE_TYPE, address, queueType & 0xFFFFFFFFL, 0,
                    routineName + ": QueueType " + queueType + " is no WORK_QUEUE_TYPE offkern serves (CriticalWorkQueue 0 .."
                            + " SuperCriticalWorkQueue 6)");
        }
        long routine = r.segment().get(JAVA_LONG, r.offsetOf(address) + WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET);
        RoutineTable table = k.routines();
        if (table.routineAt(routine) == null && !table.isNativeCode(routine)) {
            throw k.bugCheck(BugCheckCode.WORKER_INVALID, INVALID_WORKER_ROUTINE, address, queueType & 0xFFFFFFFFL, 0,
                    routineName + ": WorkerRoutine 0x" + Long.toHexString(routine) + " of WORK_QUEUE_ITEM 0x" + Long.toHexString(address)
                            + " is neither a registered Java routine nor code of a registered native library");
        }
        queues.insert(address, q, queueType, routineName);
    }

    /** Calls the worker routine at {@code routine} with {@code parameter} (a worker thread, PASSIVE_LEVEL). */
    static void call(KernelCore k, long routine, long parameter, long item) throws Throwable {
        RoutineTable table = k.routines();
        Object r = table.routineAt(routine);
        if (r instanceof WORKER_THREAD_ROUTINE j) {
            j.call(MemorySegment.ofAddress(parameter));
            return;
        }
        if (r == null && table.isNativeCode(routine)) {
            NATIVE_WORKER.invokeExact(MemorySegment.ofAddress(routine), parameter);
            return;
        }
        if (r != null) {
            throw new IllegalStateException("WorkerRoutine 0x" + Long.toHexString(routine) + " of WORK_QUEUE_ITEM 0x"
                    + Long.toHexString(item) + " is a " + r.getClass().getSimpleName() + "'s stub, not a WORKER_THREAD_ROUTINE");
        }
        throw KeDpc.badRoutine(k, routine, item, "WorkerRoutine of WORK_QUEUE_ITEM 0x" + Long.toHexString(item));
    }

    static void check(MemorySegment item, String routine) {
        if (item == null || !item.isNative() || item.address() == 0 || item.byteSize() < WORK_QUEUE_ITEM_SIZE
                || (item.address() & 7) != 0) {
            throw new IllegalArgumentException(routine + ": a WORK_QUEUE_ITEM must be an 8-byte aligned native segment of 0x"
                    + Long.toHexString(WORK_QUEUE_ITEM_SIZE) + " bytes or more, not " + item);
        }
    }

    /** Upcall target of a Java routine's stub: what native code calling WorkerRoutine reaches. */
    private static void upcall(WORKER_THREAD_ROUTINE routine, KernelCore k, MemorySegment parameter) {
        try {
            routine.call(parameter);
        } catch (Throwable e) {
            try {
                throw k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, 0,
                        parameter.address(), 0, "exception escaped a worker routine called from native code: " + e);
            } catch (Throwable processed) {
                // nothing may propagate into native code
            }
        }
    }

    private static final FunctionDescriptor UPCALL_DESCRIPTOR = FunctionDescriptor.ofVoid(ADDRESS);
    private static final MethodHandle UPCALL;
    /** {@code void (*)(PVOID)} with the pointer as a 64-bit integer. */
    private static final MethodHandle NATIVE_WORKER = Linker.nativeLinker().downcallHandle(FunctionDescriptor.ofVoid(JAVA_LONG));

    static {
        try {
            UPCALL = MethodHandles.lookup().findStatic(ExWorkItem.class, "upcall",
                    MethodType.methodType(void.class, WORKER_THREAD_ROUTINE.class, KernelCore.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
