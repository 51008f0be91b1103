package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.layout.io.IO_CSQ;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IRP;
import dev.offkern.nt.DRIVER_CANCEL;
import dev.offkern.nt.DRIVER_DISPATCH;
import dev.offkern.nt.IO_COMPLETION_ROUTINE;
import dev.offkern.nt.DatatypeMisalignmentException;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.ke.KeSpinLock;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A kernel's I/O manager: what {@code dev.offkern.ddi.Io} delegates to. It owns the global cancel
 * spin lock, the I/O database lock (driver device lists, device stacks), the Java-side records of
 * drivers and devices (the kernel handles that keep their names, the device a device is attached
 * to), and the kernel-lifetime stubs of the I/O manager's own routines (IopInvalidDeviceRequest, the
 * cancel-safe queues' cancel routine, IoSetCompletionRoutineEx's wrapper).
 *
 * <p>The mechanisms live in one class each: {@link IoDrivers} (IoCreateDriver/IoDeleteDriver),
 * {@link IoDevices} (devices and stacks), {@link IoIrp} (allocation and stack locations),
 * {@link IoCompletion} (IoCallDriver, IoCompleteRequest, completion routines), {@link IoCancel}
 * (cancellation), {@link IoBuild} (IoBuild* requests), {@link IoCsq} (cancel-safe queues).
 *
 * <p>Where offkern differs from Windows (one list, referenced from the classes):
 * <ul>
 *   <li>The completion stage Windows runs as a special kernel APC in the issuing thread runs inline
 *       at the end of IoCompleteRequest, on the completing thread.</li>
 *   <li>No MDLs: direct I/O requests carry the caller's buffer in UserBuffer, MdlAddress stays NULL.</li>
 *   <li>A driver-allocated IRP without an issuing thread (Tail.Overlay.Thread NULL) that completes to
 *       the top is left to its owner (IoFreeIrp or IoReuseIrp), after its UserIosb/UserEvent, if any,
 *       are filled and signalled; Windows would fault on the missing thread.</li>
 *   <li>Drivers and devices are named in the object namespace; the name is kept by a kernel handle
 *       the I/O manager holds until IoDeleteDriver/IoDeleteDevice (offkern has no OBJ_PERMANENT).</li>
 * </ul>
 */
public final class IoManager {
    /** Pool tag of IRPs ('Irp '). */
    public static final int TAG_IRP = PoolTags.tag("Irp ");
    /** Pool tag of system buffers of buffered requests ('IoBu'). */
    public static final int TAG_BUFFER = PoolTags.tag("IoBu");
    /** Pool tag of IoSetCompletionRoutineEx's contexts ('IoCr'). */
    public static final int TAG_COMPLETION_CONTEXT = PoolTags.tag("IoCr");
    static final long IRP_SIZE = IRP.X64.size();
    static final long STACK_LOCATION_SIZE = IO_STACK_LOCATION.X64.size();
    static final long DEVICE_OBJECT_SIZE = DEVICE_OBJECT.X64.size();
    static final long DRIVER_OBJECT_SIZE = DRIVER_OBJECT.X64.size();
    static final long IO_CSQ_SIZE = IO_CSQ.X64.size();

    final KernelCore core;
    final ObjectManager ob;
    final Pool pool;
    final AddressSpace space;
    /** The calling thread's ETHREAD (the process manager's), for IRPs' Tail.Overlay.Thread. */
    final Supplier<MemorySegment> currentThread;
    /** Whether the verifier's IO family runs in this kernel (fixed at boot). */
    final boolean verify;
    /** The I/O database lock: drivers' device lists, AttachedDevice links, the records below. */
    final Object database = new Object();
    /** DRIVER_OBJECT / DEVICE_OBJECT address → the kernel handle keeping its name (guarded by database). */
    final java.util.Map<Long, Long> nameHandles = new java.util.HashMap<>();
    /** DEVICE_OBJECT address → the device it is attached to (DEVOBJ_EXTENSION.AttachedTo on Windows; guarded by database). */
    final java.util.Map<Long, Long> attachedTo = new java.util.HashMap<>();
    /** File objects whose IRP_MJ_CREATE succeeded and whose IRP_MJ_CLOSE is still to be sent (IoFiles); concurrent. */
    final java.util.Set<Long> openFiles = IoFiles.newOpenSet();
    /** Deleted devices still referenced (DOE_DELETE_PENDING on Windows); concurrent. */
    final java.util.Set<Long> deletePending = ConcurrentHashMap.newKeySet();
    /** Stubs of Java routines already made (IoRoutines' cache; values are its Stub records). */
    final ConcurrentHashMap<Object, Object> stubs = new ConcurrentHashMap<>();
    /** Drivers created and not yet deleted (guarded by database). */
    final java.util.Set<Long> liveDrivers = new java.util.HashSet<>();
    /** DRIVER_OBJECT → the driver's owner id (docs/io.md "Attribution"; guarded by database). */
    final java.util.Map<Long, Integer> driverOwners = new java.util.HashMap<>();
    /** Owner id → the driver's name, for reports on any thread (an unloaded driver that leaked keeps its id and name). */
    private final ConcurrentHashMap<Integer, String> ownerNames = new ConcurrentHashMap<>();
    /** Owner ids given back by drivers that unloaded clean (guarded by database). */
    private final java.util.ArrayDeque<Integer> freeOwners = new java.util.ArrayDeque<>();
    /** The next owner id never given out (guarded by database); ids are 1..65535 (the pool records them as a char). */
    private int nextOwner = 1;
    /** Pool leaked by drivers at their unload, in unload order. */
    private final java.util.List<DriverLeak> unloadLeaks = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Where the unload check looks for pending operations; set once at boot ({@link #attach}). */
    dev.offkern.runtime.pool.Pools pools;
    dev.offkern.runtime.ex.ExWorkerThreads workQueues;
    IoInterrupts interrupts;
    IoWorkItems workItems;
    private final Arena arena = Arena.ofShared();
    /** IopInvalidDeviceRequest, the default MajorFunction[] entry. */
    private final DRIVER_DISPATCH invalidRequest = (device, irp) -> IoDrivers.invalidDeviceRequest(this, device, irp);
    /** IoSetCompletionRoutineEx's wrapper (IopUnloadSafeCompletion). */
    private final IO_COMPLETION_ROUTINE unloadSafe = (device, irp, context) -> IoCompletion.unloadSafeCompletion(this, device, irp, context);
    /** The cancel routine IoCsqInsertIrp arms (IopCsqCancelRoutine). */
    private final DRIVER_CANCEL csqCancel = (device, irp) -> IoCsq.cancelRoutine(this, irp);
    /** Their stubs, made on first use; volatile: read without a lock on every IRP. */
    private volatile long invalidRequestStub;
    private volatile long unloadSafeStub;
    private volatile long csqCancelStub;
    /** The global cancel spin lock (IopCancelSpinLock): a KSPIN_LOCK word of the I/O manager. */
    final MemorySegment cancelLock = arena.allocate(8, 8);
    private int driverNumber;

    public IoManager(KernelCore core, ObjectManager ob, Pool nonPaged, Supplier<MemorySegment> currentThread) {
        this.core = core;
        this.ob = ob;
        this.pool = nonPaged;
        this.space = core.addressSpace();
        this.currentThread = currentThread;
        this.verify = core.verifies(VerifierCheck.IO);
        KeSpinLock.initialize(cancelLock);
        ob.setIoDelete(body -> deletePending.remove(body.address())); // IopDeleteDevice: the address may be reused now
        ob.setFileProcedures((body, handles) -> IoFiles.closeProcedure(this, body, handles), body -> IoFiles.deleteProcedure(this, body));
    }

    /**
     * What a driver left allocated at its unload.
     *
     * @param driver the driver's name
     * @param leaks  its blocks still allocated, by tag, pool type and size
     */
    public record DriverLeak(String driver, dev.offkern.runtime.pool.LeakReport leaks,
                             java.util.List<dev.offkern.runtime.ob.DriverObjects.LeftObject> objects,
                             java.util.List<dev.offkern.runtime.ob.DriverObjects.LeftHandle> handles,
                             java.util.List<String> others) {
        public DriverLeak {
            objects = java.util.List.copyOf(objects);
            handles = java.util.List.copyOf(handles);
            others = java.util.List.copyOf(others);
        }

        /** Pool only. */
        public DriverLeak(String driver, dev.offkern.runtime.pool.LeakReport leaks) {
            this(driver, leaks, java.util.List.of(), java.util.List.of(), java.util.List.of());
        }

        /**
         * The report: the pool table (if any block leaked), then the objects still alive, the
         * handles still open and the other things (EX_TIMERs) the driver left, one per line.
         */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            if (!leaks.isEmpty()) {
                sb.append(leaks.describe("at the unload of " + driver));
            }
            for (Object o : objects) {
                sb.append(driver).append(" left ").append(o).append(" alive\n");
            }
            for (Object h : handles) {
                sb.append(driver).append(" left ").append(h).append(" open\n");
            }
            for (String o : others) {
                sb.append(driver).append(" left ").append(o).append('\n');
            }
            return sb.toString();
        }
    }

    /** The kernel's live lookaside lists (the unload check looks for a driver's; null: none checked). */
    dev.offkern.runtime.ex.LookasideRegistry lookasides;
    /** The running threads PsCreateSystemThread made, {ETHREAD, StartAddress} (the unload check; null: none checked). */
    java.util.function.Supplier<long[][]> systemThreads;

    /** Wires the lookaside lists and system threads the unload check also looks at (boot, once). */
    public void attachUnloadSources(dev.offkern.runtime.ex.LookasideRegistry lookasides, java.util.function.Supplier<long[][]> systemThreads) {
        this.lookasides = lookasides;
        this.systemThreads = systemThreads;
    }

    /**
     * Wires the managers the unload check asks for pending operations and makes the pools record
     * and name the driver each thread runs (boot, once, before any driver loads).
     */
    public void attach(dev.offkern.runtime.pool.Pools pools, dev.offkern.runtime.ex.ExWorkerThreads workQueues,
                       IoInterrupts interrupts, IoWorkItems workItems) {
        this.pools = pools;
        this.workQueues = workQueues;
        this.interrupts = interrupts;
        this.workItems = workItems;
        pools.setOwnerNames(this::ownerName);
        core.setOwnerSink(pools::setThreadOwner);
        deferredDereferenceStub = dev.offkern.runtime.ex.ExWorkItem.stubOf(core, deferredDereference); // at boot: no driver owns it
        // The I/O manager's own routines get their stubs now, owned by no driver (made lazily inside a
        // driver's call they would be that driver's code: RoutineTable.ownerOf).
        invalidRequestStub();
        unloadSafeStub();
        csqCancelStub();
        if (workItems != null) {
            workItems.workerStub();
        }
    }

    /** Gives the new driver {@code body} an owner id (0 when all 65535 are in use: its allocations are then not attributed). */
    int newOwner(long body, String name) {
        synchronized (database) {
            Integer id = freeOwners.poll();
            int owner = id != null ? id : nextOwner <= 0xFFFF ? nextOwner++ : 0;
            if (owner != 0) {
                driverOwners.put(body, owner);
                ownerNames.put(owner, name);
            }
            return owner;
        }
    }

    /** The owner id of the driver {@code body} (0: none). */
    int ownerOf(long body) {
        synchronized (database) {
            Integer id = driverOwners.get(body);
            return id == null ? 0 : id;
        }
    }

    /**
     * Ends {@code body}'s owner id at its unload: given back for reuse if the driver left nothing
     * allocated, else kept so that the leak stays attributed. Either way the id keeps the driver's
     * name, marked unloaded ({@code \Driver\X (unloaded)}), for the reports that still see it
     * (poolmon's Driver column remembers the drivers that allocated each tag) until a new driver
     * takes the id over.
     */
    void retireOwner(long body, int owner, boolean leaked) {
        if (owner == 0) {
            return;
        }
        synchronized (database) {
            driverOwners.remove(body);
            if (leaked) {
                ownerNames.computeIfPresent(owner, (k, v) -> v.endsWith(" (unloaded)") ? v : v + " (unloaded)");
                return;
            }
            ownerNames.computeIfPresent(owner, (k, v) -> v.endsWith(" (unloaded)") ? v : v + " (unloaded)");
            core.routines().forgetOwner(owner);
            freeOwners.add(owner);
        }
    }

    /** The name reports give owner id {@code owner}: its driver's name. */
    public String ownerName(int owner) {
        String n = ownerNames.get(owner);
        return n != null ? n : "driver #" + owner;
    }

    void recordLeak(DriverLeak leak) {
        unloadLeaks.add(leak);
    }

    /**
     * What the unloaded drivers left, as text (the kernel appends it to its leak report at close), or
     * "" if no driver left anything.
     */
    public String describeUnloadLeaks() {
        StringBuilder sb = new StringBuilder();
        for (DriverLeak l : unloadLeaks) {
            if (!l.objects().isEmpty() || !l.handles().isEmpty() || !l.others().isEmpty()) {
                sb.append(l.describe());
            }
        }
        return sb.length() == 0 ? "" : "offkern I/O: what drivers left at their unload\n" + sb;
    }

    /** What each unloaded driver left (pool, objects, handles, EX_TIMERs), in unload order (empty: no driver leaked). */
    public java.util.List<DriverLeak> unloadLeaks() {
        return java.util.List.copyOf(unloadLeaks);
    }

    /** The kernel this manager belongs to. */
    public KernelCore core() {
        return core;
    }

    /** A name for a driver created without one ({@code \Driver\OffkernNNNN}). */
    synchronized String nextDriverName() {
        return "\\Driver\\Offkern" + (++driverNumber);
    }

    /** A bounded segment over {@code size} bytes at {@code address}; NULL for 0; PAGE_FAULT_IN_NONPAGED_AREA if unmapped. */
    MemorySegment seg(long address, long size) {
        return address == 0 ? MemorySegment.NULL : resolve(aligned(address, "a structure"), size);
    }

    /**
     * The calling thread's cache of segments it resolved (the hot paths resolve the same IRP, device
     * and queue on every request; a cached segment saves the slice's allocation) and its KIRQL slots.
     */
    private final ThreadLocal<ThreadCache> threadCache = ThreadLocal.withInitial(ThreadCache::new);

    /**
     * One thread's resolved segments: a direct-mapped table of {@link #SLOTS} (address, size) →
     * segment entries, valid for one address-space generation (a region registered or removed
     * empties it, so a cached segment is always what {@code AddressSpace.resolve} would return now:
     * a slice of the region that maps the address). And {@link #IRQL_SLOTS} native KIRQL slots, one
     * per nesting level of CsqAcquireLock calls. Thread-confined: no synchronization.
     */
    static final class ThreadCache {
        static final int SLOTS = 32;
        static final int IRQL_SLOTS = 8;
        final long[] address = new long[SLOTS];
        final long[] size = new long[SLOTS];
        final MemorySegment[] segment = new MemorySegment[SLOTS];
        long generation = -1;
        final MemorySegment[] irql = new MemorySegment[IRQL_SLOTS];
        int irqlDepth;

        ThreadCache() {
            MemorySegment block = Arena.ofAuto().allocate(8L * IRQL_SLOTS, 8); // freed with this cache (its thread gone)
            for (int i = 0; i < IRQL_SLOTS; i++) {
                irql[i] = block.asSlice(8L * i, 8);
            }
        }
    }

    /** The calling thread's cache. */
    ThreadCache threadCache() {
        return threadCache.get();
    }

    /**
     * {@code space.resolve(address, size)} through the calling thread's cache: the same segment
     * object for the same (address, size) while no region changed. PAGE_FAULT_IN_NONPAGED_AREA if
     * unmapped (never cached).
     */
    MemorySegment resolve(long address, long size) {
        ThreadCache c = threadCache.get();
        long g = space.generation(); // volatile read: a region change since the entry was made invalidates it
        if (c.generation != g) {
            java.util.Arrays.fill(c.segment, null);
            c.generation = g;
        }
        int i = (int) ((address >>> 3) ^ (address >>> 11) ^ size) & (ThreadCache.SLOTS - 1);
        MemorySegment s = c.segment[i];
        if (s != null && c.address[i] == address && c.size[i] == size) {
            return s;
        }
        s = space.resolve(address, size);
        c.address[i] = address;
        c.size[i] = size;
        c.segment[i] = s;
        return s;
    }

    /**
     * {@code address}, if 8-byte aligned (every structure the I/O manager reads has pointer members;
     * IRPs and DEVICE_OBJECTs are even 16-aligned); else DatatypeMisalignmentException.
     */
    static long aligned(long address, String what) {
        if ((address & 7) != 0) {
            throw new DatatypeMisalignmentException(what, address, 8);
        }
        return address;
    }

    /** A bounded segment over {@code size} bytes at an 8-aligned {@code address} (a pointer read from memory or given by a caller). */
    MemorySegment res(long address, long size) {
        return resolve(aligned(address, "a pointer to a structure"), size);
    }

    /** The fixed part of the IRP at {@code address} (0x50 if unmapped, DatatypeMisalignmentException if misaligned). */
    MemorySegment irpHeader(long address, String routine) {
        if ((address & 7) != 0) {
            throw new DatatypeMisalignmentException(routine + ": Irp", address, 8);
        }
        return resolve(address, IRP_SIZE);
    }

    /**
     * The IRP at {@code address}, bounded by its Size (the fixed part when Size is smaller):
     * PAGE_FAULT_IN_NONPAGED_AREA (0x50) if the memory is not mapped.
     */
    MemorySegment irpSegment(long address, String routine) {
        if (address == 0) {
            throw new IllegalArgumentException(routine + ": Irp is NULL");
        }
        MemorySegment fixed = irpHeader(address, routine);
        int size = Short.toUnsignedInt(fixed.get(JAVA_SHORT, IRP.SIZE_OFFSET));
        if (Verifier.ENABLED) {
            requireOneBlock(address, Math.max(size, IRP_SIZE), routine);
        }
        return size > IRP_SIZE ? resolve(address, size) : fixed;
    }

    /**
     * An IRP in pool memory must lie in one live block: a pointer to a freed IRP's recycled memory, or
     * into a block smaller than an IRP, would have the routine write into a neighbouring block (the
     * fuzzer's BYSTANDER finding after IoCancelIrp set Cancel 0x44 bytes into a 0x30-byte block).
     * IllegalStateException, as for any non-IRP. Memory outside the pools (an embedder's region) is not
     * checked. Verifier builds only (Verifier.ENABLED): a block-map lookup per resolution.
     */
    private void requireOneBlock(long address, long length, String routine) {
        dev.offkern.runtime.mm.Region r = space.find(address, 1);
        dev.offkern.runtime.mm.BlockMap blocks = r == null ? null : r.blocks();
        if (blocks != null) {
            long live = blocks.liveBytesAt(address);
            if (live < length) {
                throw new IllegalStateException(routine + ": 0x" + Long.toHexString(address) + " is no IRP: its 0x" + Long.toHexString(length)
                        + " bytes do not lie in one live pool block (" + (live > 0 ? live + " bytes left in its block" : "freed or no block")
                        + ")");
            }
        }
    }

    MemorySegment irpSegmentOrNull(long address) {
        return address == 0 ? MemorySegment.NULL : irpSegment(address, "IRP");
    }

    long invalidRequestStub() {
        long s = invalidRequestStub; // volatile read: pairs with the write below (the stub is the same on every thread)
        if (s == 0) {
            s = IoRoutines.stub(this, invalidRequest);
            invalidRequestStub = s;
        }
        return s;
    }

    long unloadSafeStub() {
        long s = unloadSafeStub; // volatile read: as invalidRequestStub
        if (s == 0) {
            s = IoRoutines.stub(this, unloadSafe);
            unloadSafeStub = s;
        }
        return s;
    }

    long csqCancelStub() {
        long s = csqCancelStub; // volatile read: as invalidRequestStub
        if (s == 0) {
            s = IoRoutines.stub(this, csqCancel);
            csqCancelStub = s;
        }
        return s;
    }

    /** Pool tag of a deferred file-object dereference's WORK_QUEUE_ITEM ('IoDf'). */
    static final int TAG_DEFER = PoolTags.tag("IoDf");
    /** The deferred dereference's worker routine (ObpDeferObjectDeletion's part here): Parameter is its block. */
    private final dev.offkern.nt.WORKER_THREAD_ROUTINE deferredDereference = this::deferredDereference;

    private void deferredDereference(MemorySegment block) {
        long b = block.address();
        long file = space.resolve(b + dev.offkern.runtime.ex.ExWorkItem.WORK_QUEUE_ITEM_SIZE, 8).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
        pool.free(b, TAG_DEFER);
        ob.dereference(file);
    }

    private volatile long deferredDereferenceStub;

    /**
     * Drops a request's own reference on its file object at completion (IopCompleteRequest's
     * ObDereferenceObjectDeferDelete): at PASSIVE_LEVEL at once; above it (a completion from a DPC or
     * an ISR's DPC) a system worker drops it, so that the last reference's IRP_MJ_CLOSE is sent at
     * PASSIVE_LEVEL. Without pool for the work item (or with the worker queues stopped at close) it is
     * dropped at once.
     */
    void dereferenceFile(long file) {
        if (dev.offkern.runtime.ke.Irql.current() == dev.offkern.runtime.ke.Irql.PASSIVE_LEVEL || workQueues == null) {
            ob.dereference(file);
            return;
        }
        long size = dev.offkern.runtime.ex.ExWorkItem.WORK_QUEUE_ITEM_SIZE;
        long b = pool.allocate(size + 8, TAG_DEFER, 0);
        if (b == 0) {
            ob.dereference(file);
            return;
        }
        long stub = deferredDereferenceStub; // volatile read: written once at attach (boot)
        MemorySegment item = space.resolve(b, size + 8);
        item.set(java.lang.foreign.ValueLayout.JAVA_LONG, size, file);
        item.set(java.lang.foreign.ValueLayout.JAVA_LONG, dev.offkern.layout.ex.WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET, stub);
        item.set(java.lang.foreign.ValueLayout.JAVA_LONG, dev.offkern.layout.ex.WORK_QUEUE_ITEM.PARAMETER_OFFSET, b);
        item.set(java.lang.foreign.ValueLayout.JAVA_LONG, dev.offkern.layout.ex.WORK_QUEUE_ITEM.LIST_OFFSET, 0L);
        dev.offkern.runtime.ex.ExWorkItem.queue(workQueues, core, b, dev.offkern.nt.WorkQueueType.DelayedWorkQueue, "IoCompleteRequest");
    }

    /** Frees the I/O manager's own memory (kernel close). */
    public void close() {
        arena.close();
    }
}
