package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.layout.io.IO_WORKITEM;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.IO_WORKITEM_ROUTINE;
import dev.offkern.nt.IO_WORKITEM_ROUTINE_EX;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.WORKER_THREAD_ROUTINE;
import dev.offkern.runtime.ex.ExWorkItem;
import dev.offkern.runtime.ex.ExWorkerThreads;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.KeDpc;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.RoutineTable;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.ob.ObjectType;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

/**
 * I/O work items on the byte-exact (opaque) {@code IO_WORKITEM}: {@code IoAllocateWorkItem},
 * {@code IoSizeofWorkItem}, {@code IoInitializeWorkItem}, {@code IoUninitializeWorkItem},
 * {@code IoQueueWorkItem}, {@code IoQueueWorkItemEx}, {@code IoFreeWorkItem}. One instance per
 * kernel (it owns the I/O manager's worker routine, so one upcall stub serves every item).
 *
 * <h2>How an item runs</h2>
 * The IO_WORKITEM embeds a WORK_QUEUE_ITEM whose WorkerRoutine is the I/O manager's worker (this
 * class's {@link #worker}) and whose Parameter is the IO_WORKITEM itself; queueing stores the
 * driver's routine (a real function pointer: the upcall stub of a Java routine, or a native
 * function of a registered library) in {@code Routine}, {@code Context}, and {@code Type}
 * ({@link IO_WORKITEM#TYPE_ROUTINE} or {@link IO_WORKITEM#TYPE_ROUTINE_EX}; 0 when idle), takes a
 * reference on {@code IoObject} (the device or driver object: its driver cannot unload while the
 * item is queued or running) and queues the WORK_QUEUE_ITEM to the system work queue
 * ({@code ExQueueWorkItem}'s path). The worker reads the fields, sets {@code Type} to 0 (so the
 * routine may queue the item again, uninitialize it or free it), calls the routine at
 * PASSIVE_LEVEL, then drops the reference.
 *
 * <h2>Checks</h2>
 * <ul>
 *   <li>IoObject must be a live Device or Driver object: else WORKER_INVALID (0xE4: 3, the item, the
 *       object, 0).</li>
 *   <li>Queueing an item that is queued (Type non-zero) is 0xE4 (1, the item, the queue type, 0);
 *       freeing or uninitializing it is 0xE4 (2, the item, its Routine, 0). Always on: a CAS on
 *       Type decides which of two racing queueings wins.</li>
 *   <li>A bad queue type or routine: ExQueueWorkItem's 0xE4 6 / 7 (the item is left idle, its
 *       object's reference dropped).</li>
 *   <li>Verifier, family IRQL: every routine above DISPATCH_LEVEL is DRIVER_IRQL_NOT_LESS_OR_EQUAL;
 *       IoUninitializeWorkItem/IoInitializeWorkItem are any-IRQL. Families IO and DPC: freeing pool
 *       that holds a queued item is 0xE4 (0, ...).</li>
 *   <li>An item that is not an 8-byte aligned native segment of IoSizeofWorkItem() bytes, or (to
 *       queue or free) was not initialized by IoAllocateWorkItem/IoInitializeWorkItem, is an
 *       IllegalArgumentException.</li>
 * </ul>
 * Progress: blocking only on the work queues' lock (ExWorkerThreads) and the pool.
 */
public final class IoWorkItems {
    /** IoSizeofWorkItem(): sizeof(IO_WORKITEM) on x64. */
    public static final long SIZE = IO_WORKITEM.X64.size();
    /** The pool tag of IoAllocateWorkItem's blocks. */
    public static final int TAG = PoolTags.tag("IoWk");

    private final KernelCore core;
    private final ObjectManager ob;
    private final Pool nonPaged;
    private final ExWorkerThreads queues;
    /** The I/O manager's worker routine: every IO_WORKITEM's WorkItem.WorkerRoutine. */
    private final WORKER_THREAD_ROUTINE worker;
    private volatile long workerStub;

    public IoWorkItems(KernelCore core, ObjectManager ob, Pool nonPaged, ExWorkerThreads queues) {
        this.core = core;
        this.ob = ob;
        this.nonPaged = nonPaged;
        this.queues = queues;
        this.worker = parameter -> process(parameter.address());
    }

    long workerStub() {
        long s = workerStub; // volatile read; a race makes the same stub twice (stubFor is idempotent per routine)
        if (s == 0) {
            s = ExWorkItem.stubOf(core, worker);
            workerStub = s;
        }
        return s;
    }

    // ===== allocation and initialisation =====

    /** {@code IoAllocateWorkItem(DeviceObject)}: a new, initialized item in nonpaged pool, or NULL. IRQL: ≤ DISPATCH_LEVEL. */
    public MemorySegment allocate(MemorySegment deviceObject) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, "IoAllocateWorkItem");
        }
        ThreadState.current();
        long object = checkObject(deviceObject, 0, "IoAllocateWorkItem");
        long a = nonPaged.allocate(SIZE, TAG, 0);
        if (a == 0) {
            return MemorySegment.NULL;
        }
        MemorySegment item = core.addressSpace().resolve(a, SIZE);
        initialize(object, item);
        return item;
    }

    /** {@code IoInitializeWorkItem(IoObject, IoWorkItem)} on caller-allocated memory of IoSizeofWorkItem() bytes. IRQL: any. */
    public void initialize(MemorySegment ioObject, MemorySegment ioWorkItem) {
        check(ioWorkItem, "IoInitializeWorkItem");
        ThreadState.current();
        initialize(checkObject(ioObject, ioWorkItem.address(), "IoInitializeWorkItem"), ioWorkItem);
    }

    private void initialize(long object, MemorySegment item) {
        item.asSlice(0, SIZE).fill((byte) 0);
        item.set(JAVA_LONG, IO_WORKITEM.WORK_ITEM_OFFSET + WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET, workerStub());
        item.set(JAVA_LONG, IO_WORKITEM.WORK_ITEM_OFFSET + WORK_QUEUE_ITEM.PARAMETER_OFFSET, item.address());
        item.set(JAVA_LONG, IO_WORKITEM.IO_OBJECT_OFFSET, object);
        TYPE.setVolatile(item, IO_WORKITEM.TYPE_OFFSET, 0); // volatile: publishes the initialized item
    }

    /** The address of {@code ioObject}, checked to be a live Device or Driver object (else 0xE4/3). */
    private long checkObject(MemorySegment ioObject, long item, String routine) {
        long a = ioObject == null ? 0 : ioObject.address();
        ObjectType t = a == 0 ? null : ob.typeIfObject(a);
        if (t != ob.deviceType() && t != ob.driverType()) {
            throw core.bugCheck(BugCheckCode.WORKER_INVALID, ExWorkItem.INVALID_IO_OBJECT, item, a, 0, routine + ": 0x"
                    + Long.toHexString(a) + " is " + (t == null ? "no live object" : "a " + t.name() + " object")
                    + ", not a device or driver object");
        }
        return a;
    }

    /** {@code IoUninitializeWorkItem(IoWorkItem)}: the item may be freed or reused afterwards. IRQL: any. */
    public void uninitialize(MemorySegment ioWorkItem) {
        check(ioWorkItem, "IoUninitializeWorkItem");
        ThreadState.current();
        requireIdle(ioWorkItem, "IoUninitializeWorkItem");
        ioWorkItem.set(JAVA_LONG, IO_WORKITEM.IO_OBJECT_OFFSET, 0L);
        ioWorkItem.set(JAVA_LONG, IO_WORKITEM.ROUTINE_OFFSET, 0L);
        ioWorkItem.set(JAVA_LONG, IO_WORKITEM.CONTEXT_OFFSET, 0L);
    }

    /** {@code IoFreeWorkItem(IoWorkItem)}: frees an item of IoAllocateWorkItem. IRQL: ≤ DISPATCH_LEVEL. */
    public void free(MemorySegment ioWorkItem) {
        check(ioWorkItem, "IoFreeWorkItem");
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, "IoFreeWorkItem");
        }
        ThreadState.current();
        requireIdle(ioWorkItem, "IoFreeWorkItem");
        nonPaged.free(ioWorkItem.address(), TAG);
    }

    private void requireIdle(MemorySegment item, String routine) {
        if ((int) TYPE.getVolatile(item, IO_WORKITEM.TYPE_OFFSET) != 0) { // volatile: pairs with the CAS in queue()
            long r = item.get(JAVA_LONG, IO_WORKITEM.ROUTINE_OFFSET);
            throw core.bugCheck(BugCheckCode.WORKER_INVALID, ExWorkItem.QUEUED_IO_ITEM_FREED, item.address(), r, 0,
                    routine + " of IO_WORKITEM 0x" + Long.toHexString(item.address()) + " while it is queued (routine 0x"
                            + Long.toHexString(r) + ")");
        }
    }

    // ===== queueing =====

    /** {@code IoQueueWorkItem(IoWorkItem, WorkerRoutine, QueueType, Context)} with a Java routine. IRQL: ≤ DISPATCH_LEVEL. */
    public void queue(MemorySegment item, IO_WORKITEM_ROUTINE routine, int queueType, MemorySegment context) {
        if (routine == null) {
            throw new IllegalArgumentException("IoQueueWorkItem: WorkerRoutine is NULL");
        }
        queue(item, core.routines().stubFor(routine, UPCALL.bindTo(routine).bindTo(core), UPCALL_DESCRIPTOR), queueType, context,
                IO_WORKITEM.TYPE_ROUTINE, "IoQueueWorkItem");
    }

    /** {@code IoQueueWorkItemEx(IoWorkItem, WorkerRoutine, QueueType, Context)} with a Java routine. IRQL: ≤ DISPATCH_LEVEL. */
    public void queueEx(MemorySegment item, IO_WORKITEM_ROUTINE_EX routine, int queueType, MemorySegment context) {
        if (routine == null) {
            throw new IllegalArgumentException("IoQueueWorkItemEx: WorkerRoutine is NULL");
        }
        queue(item, core.routines().stubFor(routine, UPCALL_EX.bindTo(routine).bindTo(core), UPCALL_EX_DESCRIPTOR), queueType,
                context, IO_WORKITEM.TYPE_ROUTINE_EX, "IoQueueWorkItemEx");
    }

    /** IoQueueWorkItem ({@code ex} false) or IoQueueWorkItemEx with a native routine of a registered library. */
    public void queueNative(MemorySegment item, MemorySegment routine, int queueType, MemorySegment context, boolean ex) {
        String name = ex ? "IoQueueWorkItemEx" : "IoQueueWorkItem";
        if (routine == null || routine.address() == 0) {
            throw new IllegalArgumentException(name + ": WorkerRoutine is NULL");
        }
        queue(item, routine.address(), queueType, context, ex ? IO_WORKITEM.TYPE_ROUTINE_EX : IO_WORKITEM.TYPE_ROUTINE, name);
    }

    private void queue(MemorySegment item, long routine, int queueType, MemorySegment context, int type, String name) {
        check(item, name);
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, name);
        }
        ThreadState.current();
        Region r = core.addressSpace().regionOf(item.address(), SIZE); // registered memory (else 0x50) before anything is written
        MemorySegment s = r.segment();
        long off = r.offsetOf(item.address());
        if (s.get(JAVA_LONG, off + IO_WORKITEM.WORK_ITEM_OFFSET + WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET) != workerStub()
                || s.get(JAVA_LONG, off + IO_WORKITEM.WORK_ITEM_OFFSET + WORK_QUEUE_ITEM.PARAMETER_OFFSET) != item.address()) {
            throw new IllegalArgumentException(name + ": 0x" + Long.toHexString(item.address())
                    + " is not an IO_WORKITEM initialized by IoAllocateWorkItem or IoInitializeWorkItem");
        }
        RoutineTable table = core.routines();
        if (table.routineAt(routine) == null && !table.isNativeCode(routine)) {
            throw core.bugCheck(BugCheckCode.WORKER_INVALID, ExWorkItem.INVALID_WORKER_ROUTINE, item.address(), queueType & 0xFFFFFFFFL, 0,
                    name + ": WorkerRoutine 0x" + Long.toHexString(routine) + " is neither a registered Java routine nor code of a"
                            + " registered native library");
        }
        // linearization point: the CAS that claims the idle item for this queueing
        if (!TYPE.compareAndSet(s, off + IO_WORKITEM.TYPE_OFFSET, 0, type)) {
            throw core.bugCheck(BugCheckCode.WORKER_INVALID, ExWorkItem.ACTIVE_ITEM_QUEUED, item.address(), queueType & 0xFFFFFFFFL, 0,
                    name + " of IO_WORKITEM 0x" + Long.toHexString(item.address()) + ", which is queued already");
        }
        long object = s.get(JAVA_LONG, off + IO_WORKITEM.IO_OBJECT_OFFSET);
        boolean referenced = false;
        boolean queued = false;
        try {
            if (object == 0) {
                throw new IllegalArgumentException(name + ": IO_WORKITEM 0x" + Long.toHexString(item.address())
                        + " has no IoObject (it was uninitialized)");
            }
            ob.reference(object); // the driver cannot unload while its item is queued or running
            referenced = true;
            s.set(JAVA_LONG, off + IO_WORKITEM.ROUTINE_OFFSET, routine);
            s.set(JAVA_LONG, off + IO_WORKITEM.CONTEXT_OFFSET, context == null ? 0 : context.address());
            s.set(JAVA_LONG, off + IO_WORKITEM.WORK_ON_BEHALF_THREAD_OFFSET, 0L);
            ExWorkItem.queue(queues, core, item.address() + IO_WORKITEM.WORK_ITEM_OFFSET, queueType, name);
            queued = true;
        } finally {
            if (!queued) {
                TYPE.setVolatile(s, off + IO_WORKITEM.TYPE_OFFSET, 0); // back to idle: the queueing failed
                if (referenced) {
                    ob.dereference(object);
                }
            }
        }
    }

    // ===== the I/O manager's worker =====

    /** Runs one IO_WORKITEM on a system worker thread (its WorkItem's routine, PASSIVE_LEVEL). */
    private void process(long item) {
        Region r = core.addressSpace().regionOf(item, SIZE);
        MemorySegment s = r.segment();
        long off = r.offsetOf(item);
        long routine = s.get(JAVA_LONG, off + IO_WORKITEM.ROUTINE_OFFSET);
        long context = s.get(JAVA_LONG, off + IO_WORKITEM.CONTEXT_OFFSET);
        long object = s.get(JAVA_LONG, off + IO_WORKITEM.IO_OBJECT_OFFSET);
        int type = (int) TYPE.getVolatile(s, off + IO_WORKITEM.TYPE_OFFSET);
        TYPE.setVolatile(s, off + IO_WORKITEM.TYPE_OFFSET, 0); // idle: the routine may queue it again or free it
        ThreadState ts = ThreadState.current();
        int owner = ts.enterRoutine(routine); // the routine's driver owns what it allocates and arms
        try {
            call(routine, type, object, context, item);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("worker routine 0x" + Long.toHexString(routine) + " of IO_WORKITEM 0x"
                    + Long.toHexString(item) + " failed: " + e, e);
        } finally {
            ts.enterDriver(owner);
            ob.dereference(object); // the queueing's reference: the driver may unload from now on
        }
    }

    private void call(long routine, int type, long object, long context, long item) throws Throwable {
        RoutineTable table = core.routines();
        Object j = table.routineAt(routine);
        if (type == IO_WORKITEM.TYPE_ROUTINE && j instanceof IO_WORKITEM_ROUTINE r) {
            r.call(MemorySegment.ofAddress(object), MemorySegment.ofAddress(context));
        } else if (type == IO_WORKITEM.TYPE_ROUTINE_EX && j instanceof IO_WORKITEM_ROUTINE_EX r) {
            r.call(MemorySegment.ofAddress(object), MemorySegment.ofAddress(context), core.addressSpace().resolve(item, SIZE));
        } else if (j == null && table.isNativeCode(routine)) {
            if (type == IO_WORKITEM.TYPE_ROUTINE_EX) {
                NATIVE_EX.invokeExact(MemorySegment.ofAddress(routine), object, context, item);
            } else {
                NATIVE.invokeExact(MemorySegment.ofAddress(routine), object, context);
            }
        } else if (j != null) {
            throw new IllegalStateException("Routine 0x" + Long.toHexString(routine) + " of IO_WORKITEM 0x" + Long.toHexString(item)
                    + " (Type " + type + ") is a " + j.getClass().getSimpleName() + "'s stub, not the routine type queued");
        } else {
            throw KeDpc.badRoutine(core, routine, item, "Routine of IO_WORKITEM 0x" + Long.toHexString(item));
        }
    }

    static void check(MemorySegment item, String routine) {
        if (item == null || !item.isNative() || item.address() == 0 || item.byteSize() < SIZE || (item.address() & 7) != 0) {
            throw new IllegalArgumentException(routine + ": an IO_WORKITEM must be an 8-byte aligned native segment of IoSizeofWorkItem() (0x"
                    + Long.toHexString(SIZE) + ") bytes or more, not " + item);
        }
    }

    // ===== upcalls: what native code calling Routine reaches =====

    private static void upcall(IO_WORKITEM_ROUTINE routine, KernelCore k, MemorySegment object, MemorySegment context) {
        try {
            routine.call(object, context);
        } catch (Throwable e) {
            unhandled(k, object, e);
        }
    }

    private static void upcallEx(IO_WORKITEM_ROUTINE_EX routine, KernelCore k, MemorySegment object, MemorySegment context,
                                 MemorySegment item) {
        try {
            routine.call(object, context, item);
        } catch (Throwable e) {
            unhandled(k, object, e);
        }
    }

    private static void unhandled(KernelCore k, MemorySegment object, Throwable e) {
        try {
            throw k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, 0,
                    object.address(), 0, "exception escaped an I/O work item routine called from native code: " + e);
        } catch (Throwable processed) {
            // nothing may propagate into native code
        }
    }

    private static final FunctionDescriptor UPCALL_DESCRIPTOR = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS);
    private static final FunctionDescriptor UPCALL_EX_DESCRIPTOR = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS);
    private static final MethodHandle UPCALL;
    private static final MethodHandle UPCALL_EX;
    /** {@code void (*)(PDEVICE_OBJECT, PVOID)} with the pointers as 64-bit integers. */
    private static final MethodHandle NATIVE = Linker.nativeLinker().downcallHandle(FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG));
    /** {@code void (*)(PVOID, PVOID, PIO_WORKITEM)}. */
    private static final MethodHandle NATIVE_EX = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG, JAVA_LONG));

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            UPCALL = l.findStatic(IoWorkItems.class, "upcall", MethodType.methodType(void.class, IO_WORKITEM_ROUTINE.class,
                    KernelCore.class, MemorySegment.class, MemorySegment.class));
            UPCALL_EX = l.findStatic(IoWorkItems.class, "upcallEx", MethodType.methodType(void.class, IO_WORKITEM_ROUTINE_EX.class,
                    KernelCore.class, MemorySegment.class, MemorySegment.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ----- VarHandle mechanics -----
    /** IO_WORKITEM.Type: 0 idle, TYPE_ROUTINE / TYPE_ROUTINE_EX while queued; CAS claims an idle item. */
    private static final VarHandle TYPE = ValueLayout.JAVA_INT.varHandle();
}
