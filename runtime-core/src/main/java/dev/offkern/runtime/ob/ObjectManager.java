package dev.offkern.runtime.ob;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.ke.KSEMAPHORE;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.layout.ob.OBJECT_HEADER;
import dev.offkern.layout.ob.OBJECT_TYPE;
import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.layout.ps.EPROCESS;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.layout.se.GENERIC_MAPPING;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.OB_OPEN_METHOD;
import dev.offkern.nt.OB_SECURITY_METHOD;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.ObjectTypeProcedures;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.ke.KeTimer;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.BlockMap;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.pool.LeakReport;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.runtime.pool.Pools;
import dev.offkern.runtime.verifier.VerifierCheck;
import dev.offkern.nt.BugCheck;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A kernel's object manager: the type table, object headers and their two counts, the handle tables
 * (the system process's, holding the kernel handles, and any a process manager creates), and the
 * namespace of named objects.
 *
 * <h2>Objects</h2>
 * Every object is one pool block of its type's pool, tagged with its type's {@code Key}: a
 * byte-exact {@link OBJECT_HEADER} (0x38 bytes on x64; the body starts at {@code Body}, 0x30)
 * followed by the body. {@code TypeIndex} is the type's index in {@link #types} (Windows 10 XORs it
 * with a boot cookie and an address byte; offkern stores it plain). No optional headers precede the
 * header ({@code InfoMask} 0): names live in the {@link ObjectNamespace}.
 *
 * <h2>Counts</h2>
 * {@code PointerCount} counts references: each handle's own reference, the references a handle
 * caches ({@link HandleTable}, Windows 8+'s design), and those taken with ObReferenceObject*. The
 * object dies when it drops to 0 (the decrement that reaches 0 is the one deletion); the type's
 * delete procedure runs, then the block returns to its pool. {@code HandleCount} counts open
 * handles. Both change only by atomic adds on the header (this class owns them). A dereference
 * below 0 is REFERENCE_BY_POINTER (0x18: the object's type, the object, the pointer count found, the
 * handle count), always. A deleted object's header gets TypeIndex 1 (no type) before its block is
 * freed, so a later reference or dereference of it is 0x18 too (P1 0: no type), always, unless the
 * block was reused meanwhile; under the verifier (family OBJECTS) the block's liveness is checked
 * first (0x18 for a freed block), and ObReferenceObject on an object whose count is 0 (inside its
 * delete procedure) is DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4: 0x3F, the object, 1, the count).
 *
 * <h2>Handles</h2>
 * See {@link HandleTable}. An OBJ_KERNEL_HANDLE handle lives in the system process's table and its
 * value has the kernel bits; other handles live in the table of the process the calling thread runs
 * in (the system process's, unless the process manager attached the thread to a tenant or made it
 * a tenant's thread: {@link #attach}); a tenant's table is run down when the tenant ends
 * ({@link #rundown}). NtCurrentProcess() and NtCurrentThread() resolve through the process manager
 * ({@link #setPseudoHandles}). Under the
 * verifier a kernel-mode close or kernel-mode lookup of an invalid kernel handle, a close of a
 * kernel handle from user mode, and a kernel-mode close of a protected kernel handle are
 * INVALID_KERNEL_HANDLE (0x93: the handle, 0 protected / 1 invalid, 0, 0); without it they return
 * STATUS_INVALID_HANDLE / STATUS_HANDLE_NOT_CLOSABLE.
 *
 * <p>Where offkern differs from Windows: deletion runs inline on the thread that drops the last
 * reference, at any IRQL (Windows defers it to a worker above PASSIVE_LEVEL), so a type in paged
 * pool must have its last reference dropped at ≤ APC_LEVEL; security descriptors and the access
 * check at open are {@link ObSecurity}'s (an object without a descriptor grants every valid right);
 * OBJ_EXCLUSIVE is refused with STATUS_INVALID_PARAMETER; OBJ_PERMANENT (Flags' OB_FLAG_PERMANENT_OBJECT)
 * keeps a named object and its name without handles until ObMakeTemporaryObject ({@link #makeTemporary};
 * an unnamed object ignores it; one left permanent at kernel close is in the leak report); there are no directory
 * or symbolic-link objects (RootDirectory must be NULL).
 *
 * <p>Progress: reference, dereference and handle lookups are lock-free (see {@link HandleTable} for
 * its refill); handle creation and close take their table's monitor; names take the namespace's
 * monitor; type creation takes this object's monitor.
 */
public final class ObjectManager {
    /** Bytes from an OBJECT_HEADER to its body (OBJECT_HEADER.Body). */
    public static final long HEADER_SIZE = OBJECT_HEADER.BODY_OFFSET;
    /** KPROCESSOR_MODE KernelMode. */
    public static final int KernelMode = 0;
    /** KPROCESSOR_MODE UserMode. */
    public static final int UserMode = 1;
    /** 0xC4 subcode: ObReferenceObject on an object whose reference count is 0. */
    public static final int DV_REFERENCE_AT_ZERO = 0x3F;
    /** The TypeIndex a deleted object's header gets before its block is freed (no type has it). */
    static final int DEAD_TYPE_INDEX = 1;
    /** 0x93 P2: a protected handle was closed. */
    public static final int HANDLE_PROTECTED = 0;
    /** 0x93 P2: an invalid handle was used or closed. */
    public static final int HANDLE_INVALID = 1;

    final KernelCore core;
    final Pools pools;
    final AddressSpace space;
    /** Whether the verifier's OBJECTS family runs in this kernel (fixed at boot). */
    final boolean verify;
    private final ObjectType[] types = new ObjectType[256];
    private int nextTypeIndex = 2; // Windows keeps 0 and 1 unused
    private final List<ObjectType> typeList = new ArrayList<>();
    /** POBJECT_TYPE → type: copy-on-write (replaced whole under this object's monitor), read lock-free. */
    private volatile org.agrona.collections.Long2ObjectHashMap<ObjectType> typesByAddress = new org.agrona.collections.Long2ObjectHashMap<>();
    final ObjectNamespace names = new ObjectNamespace();
    /** The OBJECT_ATTRIBUTES of created, not yet inserted objects (what ObjectCreateInfo holds on Windows). */
    final java.util.concurrent.ConcurrentHashMap<Long, CallerArgs.Attributes> pending = new java.util.concurrent.ConcurrentHashMap<>();
    private final HandleTable systemTable;
    private final ThreadLocal<HandleTable> attached = new ThreadLocal<>();
    private final ThreadLocal<int[]> previousMode = ThreadLocal.withInitial(() -> new int[1]);
    /** Whether any thread ever attached to a table other than the system one (a lock-free fast path); volatile. */
    private volatile boolean anyAttached;

    // The built-in types: created on first use (a kernel that never uses objects maps no pool for
    // them), under this object's monitor; published by the volatile write of typesReady.
    private ObjectType typeType;
    private ObjectType processType;
    private ObjectType threadType;
    private ObjectType eventType;
    private ObjectType semaphoreType;
    private ObjectType timerType;
    private ObjectType fileType;
    private ObjectType deviceType;
    private ObjectType driverType;
    private ObjectType tokenType;
    private volatile boolean typesReady;

    public ObjectManager(KernelCore core, Pools pools) {
        this.core = core;
        this.pools = pools;
        this.space = core.addressSpace();
        this.verify = core.verifies(VerifierCheck.OBJECTS);
        this.systemTable = new HandleTable(this, true);
        this.security = new ObSecurity(this);
        this.driverObjects = new DriverObjects(core);
    }

    /** The objects and System-process handles drivers made (docs/io.md "Attribution"). */
    private final DriverObjects driverObjects;

    /**
     * Whether objects of type {@code t} (and handles to them) are attributed to the driver whose code
     * creates them: all but Type, Device, Driver, Thread, Process and Token ({@link DriverObjects}).
     */
    private boolean attributed(ObjectType t) {
        return t != typeType && t != deviceType && t != driverType && t != threadType && t != processType && t != tokenType;
    }

    /**
     * The objects the driver with owner id {@code owner} created that are still alive, and forgets
     * them (IoDeleteDriver reports them once).
     */
    public List<DriverObjects.LeftObject> takeDriverObjects(int owner) {
        return driverObjects.takeObjects(this, owner);
    }

    /**
     * The handles the driver with owner id {@code owner} entered in the System process's table and
     * did not close, and forgets them (IoDeleteDriver reports them once).
     */
    public List<DriverObjects.LeftHandle> takeDriverHandles(int owner) {
        return driverObjects.takeHandles(this, systemTable, owner);
    }

    /** The object manager's security paths (descriptors on objects, access checks at open). */
    final ObSecurity security;

    /** Installs the security reference monitor's side of the object manager's paths (the kernel does, at boot). */
    public void setSecurity(ObjectSecurity s) {
        security.install(s);
    }

    /**
     * Assigns the new object at {@code body} its security descriptor as ObInsertObject does (see
     * {@link ObSecurity}): for routines that create objects of their own (ZwCreateToken).
     *
     * @throws ObFailure SeAssignSecurity's status, the type's security procedure's, STATUS_INSUFFICIENT_RESOURCES
     */
    public void assignSecurity(long body, long explicitDescriptor, String routine) {
        security.assign(objectType(body), body, explicitDescriptor, routine);
    }

    /**
     * Assigns a new process or thread object at {@code body} its security descriptor from
     * {@code primaryToken} (the subject's primary token; see {@link ObjectSecurity#assignForToken}):
     * the process manager's objects, made without ObInsertObject, some while a thread's kernel state
     * is being made (no subject context can be captured then).
     *
     * @throws ObFailure SeAssignSecurity's status, STATUS_INSUFFICIENT_RESOURCES
     */
    public void assignSecurity(long body, long explicitDescriptor, long primaryToken, String routine) {
        if (primaryToken == 0) {
            throw new IllegalArgumentException(routine + ": no primary token to assign the new object's descriptor from");
        }
        security.assign(objectType(body), body, explicitDescriptor, primaryToken, routine);
    }

    /** The pool tag of the blocks holding objects' security descriptors ('ObSc'). */
    public static final int SECURITY_DESCRIPTOR_TAG = HeaderSecurity.TAG;

    /**
     * The requested size of the object's security-descriptor block ('ObSc') if only its header holds
     * it, else 0 (close-time accounting of what the kernel alone holds).
     */
    public long securityBlockHeldByObjectOnly(long body) {
        return security.blockHeldByHeaderOnly(body);
    }

    /**
     * The access a handle to {@code body} opened by a caller in {@code mode} gets (see {@link ObSecurity#openAccess}).
     *
     * @throws ObFailure the access check's status
     */
    public int openAccess(long body, int desiredAccess, int mode, int attributes, String routine) {
        return security.openAccess(objectType(body), body, desiredAccess, mode, attributes, routine);
    }

    /** Creates the built-in types if they are not yet (idempotent: a failed attempt is resumed by the next). */
    private void ensureTypes() {
        if (!typesReady) { // volatile read: pairs with the write below
            createBuiltInTypes();
        }
    }

    private synchronized void createBuiltInTypes() {
        if (typesReady) {
            return;
        }
        int np = PoolType.NonPagedPoolNx;
        if (typeType == null) {
            typeType = builtIn("Type", np, AccessMask.OBJECT_TYPE_ALL_ACCESS, mapping(0x20000, 0x20000, 0x20000, AccessMask.OBJECT_TYPE_ALL_ACCESS), 0, null);
        }
        if (processType == null) {
            processType = builtIn("Process", np, AccessMask.PROCESS_ALL_ACCESS, mapping(0x20410, 0x20BEA, 0x121000, AccessMask.PROCESS_ALL_ACCESS), EPROCESS.X64.size(),
                    body -> executiveDelete(body), true);
        }
        if (threadType == null) {
            threadType = builtIn("Thread", np, AccessMask.THREAD_ALL_ACCESS, mapping(0x20048, 0x20037, 0x121800, AccessMask.THREAD_ALL_ACCESS), ETHREAD.X64.size(),
                    body -> executiveDelete(body), true);
        }
        int[] sync = mapping(0x20001, 0x20002, 0x120000, AccessMask.EVENT_ALL_ACCESS);
        if (eventType == null) {
            eventType = builtIn("Event", np, AccessMask.EVENT_ALL_ACCESS, sync, KEVENT.X64.size(), null);
        }
        if (semaphoreType == null) {
            semaphoreType = builtIn("Semaphore", np, AccessMask.SEMAPHORE_ALL_ACCESS, sync, KSEMAPHORE.X64.size(), null);
        }
        if (timerType == null) {
            timerType = builtIn("Timer", np, AccessMask.TIMER_ALL_ACCESS, sync, KTIMER.X64.size(),
                    body -> KeTimer.cancel(body)); // a deleted timer must not stay in the timer table
        }
        int[] file = mapping(0x120089, 0x120116, 0x1200A0, AccessMask.FILE_ALL_ACCESS);
        if (fileType == null) {
            fileType = builtIn("File", np, AccessMask.FILE_ALL_ACCESS, file, 0, body -> fileDelete(body),
                    (process, object, access, processCount, systemCount) -> fileClose(object, systemCount), false);
        }
        if (deviceType == null) {
            deviceType = builtIn("Device", np, AccessMask.FILE_ALL_ACCESS, file, 0, body -> ioDelete(body));
        }
        if (driverType == null) {
            driverType = builtIn("Driver", np, AccessMask.FILE_ALL_ACCESS, file, 0, null);
        }
        if (tokenType == null) {
            tokenType = builtIn("Token", np, AccessMask.TOKEN_ALL_ACCESS, mapping(0x20008, 0x200E0, 0x20000, AccessMask.TOKEN_ALL_ACCESS), 0, null, true);
        }
        typesReady = true; // volatile write: publishes every built-in type
    }

    /** The process manager's delete procedure for Process and Thread objects (null: none yet); volatile. */
    private volatile Consumer<MemorySegment> executiveDelete;

    /** Installs the process manager's delete procedure for Process and Thread objects (PspProcessDelete / PspThreadDelete). */
    public void setExecutiveDelete(Consumer<MemorySegment> delete) {
        executiveDelete = delete;
    }

    private void executiveDelete(MemorySegment body) {
        Consumer<MemorySegment> d = executiveDelete; // volatile read
        if (d != null) {
            d.accept(body);
        }
    }

    /** The I/O manager's close and delete procedures for File objects (IopCloseFile / IopDeleteFile; null: none yet); volatile. */
    private volatile java.util.function.ObjLongConsumer<MemorySegment> fileClose;
    private volatile Consumer<MemorySegment> fileDelete;

    /** Installs the I/O manager's procedures for File objects: the close one gets the handle count before the close. */
    public void setFileProcedures(java.util.function.ObjLongConsumer<MemorySegment> close, Consumer<MemorySegment> delete) {
        fileClose = close;
        fileDelete = delete;
    }

    private void fileClose(MemorySegment body, long systemHandleCount) {
        java.util.function.ObjLongConsumer<MemorySegment> c = fileClose; // volatile read
        if (c != null) {
            c.accept(body, systemHandleCount);
        }
    }

    private void fileDelete(MemorySegment body) {
        Consumer<MemorySegment> d = fileDelete; // volatile read
        if (d != null) {
            d.accept(body);
        }
    }

    /** The I/O manager's delete procedure for Device objects (IopDeleteDevice; null: none yet); volatile. */
    private volatile Consumer<MemorySegment> ioDelete;

    /** Installs the I/O manager's delete procedure for Device objects. */
    public void setIoDelete(Consumer<MemorySegment> delete) {
        ioDelete = delete;
    }

    private void ioDelete(MemorySegment body) {
        Consumer<MemorySegment> d = ioDelete; // volatile read
        if (d != null) {
            d.accept(body);
        }
    }

    private static int[] mapping(int read, int write, int execute, int all) {
        return new int[] {read, write, execute, all};
    }

    // ===== types =====

    private ObjectType builtIn(String name, int poolType, int validAccess, int[] mapping, long bodySize, Consumer<MemorySegment> delete) {
        return builtIn(name, poolType, validAccess, mapping, bodySize, delete, null, false);
    }

    private ObjectType builtIn(String name, int poolType, int validAccess, int[] mapping, long bodySize, Consumer<MemorySegment> delete,
                               boolean securityRequired) {
        return builtIn(name, poolType, validAccess, mapping, bodySize, delete, null, securityRequired);
    }

    private ObjectType builtIn(String name, int poolType, int validAccess, int[] mapping, long bodySize, Consumer<MemorySegment> delete,
                               dev.offkern.nt.OB_CLOSE_METHOD close, boolean securityRequired) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment init = a.allocate(OBJECT_TYPE_INITIALIZER.LAYOUT);
            init.set(JAVA_SHORT, OBJECT_TYPE_INITIALIZER.LENGTH_OFFSET, (short) OBJECT_TYPE_INITIALIZER.X64.size());
            init.set(JAVA_SHORT, OBJECT_TYPE_INITIALIZER.OBJECT_TYPE_FLAGS_OFFSET, (short) (0x11 | (securityRequired ? ObjectType.SECURITY_REQUIRED : 0))); // CaseInsensitive, MaintainHandleCount (, SecurityRequired)
            long gm = OBJECT_TYPE_INITIALIZER.GENERIC_MAPPING_OFFSET;
            init.set(JAVA_INT, gm + GENERIC_MAPPING.GENERIC_READ_OFFSET, mapping[0]);
            init.set(JAVA_INT, gm + GENERIC_MAPPING.GENERIC_WRITE_OFFSET, mapping[1]);
            init.set(JAVA_INT, gm + GENERIC_MAPPING.GENERIC_EXECUTE_OFFSET, mapping[2]);
            init.set(JAVA_INT, gm + GENERIC_MAPPING.GENERIC_ALL_OFFSET, mapping[3]);
            init.set(JAVA_INT, OBJECT_TYPE_INITIALIZER.VALID_ACCESS_MASK_OFFSET, validAccess);
            init.set(JAVA_INT, OBJECT_TYPE_INITIALIZER.POOL_TYPE_OFFSET, poolType);
            init.set(JAVA_INT, OBJECT_TYPE_INITIALIZER.INVALID_ATTRIBUTES_OFFSET, ObjectAttributes.OBJ_EXCLUSIVE);
            ObjectType t = createTypeLocked(name, init, close == null ? ObjectTypeProcedures.NONE
                    : new ObjectTypeProcedures(null, close, null, null, null), bodySize, delete);
            if (t == null) {
                throw new IllegalStateException("no pool memory for the built-in object type " + name);
            }
            return t;
        }
    }

    /**
     * Creates an object type ({@code ObCreateObjectType}): a Type object whose body is the
     * OBJECT_TYPE, filled from {@code initializer} (a segment over an OBJECT_TYPE_INITIALIZER; its
     * procedure fields must be NULL or stubs of Java procedures) and {@code procedures} (which take
     * precedence). Returns null if the pool is exhausted.
     *
     * @throws ObFailure STATUS_OBJECT_NAME_COLLISION for a name already used by a type,
     *         STATUS_INSUFFICIENT_RESOURCES when all 254 type indexes are used,
     *         STATUS_INVALID_PARAMETER for a bad name, Length, PoolType or procedure field
     */
    public ObjectType createType(String name, MemorySegment initializer, ObjectTypeProcedures procedures,
                                 long bodySize, Consumer<MemorySegment> builtInDelete) {
        ensureTypes();
        return createTypeLocked(name, initializer, procedures, bodySize, builtInDelete);
    }

    private synchronized ObjectType createTypeLocked(String name, MemorySegment initializer, ObjectTypeProcedures procedures,
                                                     long bodySize, Consumer<MemorySegment> builtInDelete) {
        if (name == null || name.isEmpty() || name.length() > 0x7FFF / 2 || name.indexOf('\\') >= 0) {
            throw new ObFailure(NtStatus.STATUS_INVALID_PARAMETER, "ObCreateObjectType: bad type name");
        }
        for (ObjectType t : typeList) {
            if (t.name.equalsIgnoreCase(name)) {
                throw new ObFailure(NtStatus.STATUS_OBJECT_NAME_COLLISION, "ObCreateObjectType: a type named " + name + " exists");
            }
        }
        if (nextTypeIndex > 0xFF) {
            throw new ObFailure(NtStatus.STATUS_INSUFFICIENT_RESOURCES, "ObCreateObjectType: the type table is full (254 types)");
        }
        int length = Short.toUnsignedInt(initializer.get(JAVA_SHORT, OBJECT_TYPE_INITIALIZER.LENGTH_OFFSET));
        if (length != OBJECT_TYPE_INITIALIZER.X64.size()) {
            throw new ObFailure(NtStatus.STATUS_INVALID_PARAMETER, "ObCreateObjectType: ObjectTypeInitializer.Length is " + length
                    + ", not sizeof(OBJECT_TYPE_INITIALIZER) = " + OBJECT_TYPE_INITIALIZER.X64.size());
        }
        int poolType = initializer.get(JAVA_INT, OBJECT_TYPE_INITIALIZER.POOL_TYPE_OFFSET);
        Pool pool;
        try {
            pool = pools.of(poolType);
        } catch (IllegalArgumentException e) {
            throw new ObFailure(NtStatus.STATUS_INVALID_PARAMETER, "ObCreateObjectType: PoolType " + poolType + " is no POOL_TYPE");
        }
        ObjectTypeProcedures fromFields;
        try {
            fromFields = TypeProcedures.read(core.routines(), initializer, 0);
        } catch (IllegalArgumentException e) {
            throw new ObFailure(NtStatus.STATUS_INVALID_PARAMETER, "ObCreateObjectType: " + e.getMessage());
        }
        ObjectTypeProcedures procs = TypeProcedures.merge(procedures == null ? ObjectTypeProcedures.NONE : procedures, fromFields);
        int index = nextTypeIndex;
        byte[] chars = name.getBytes(StandardCharsets.UTF_16LE);
        long typeSize = OBJECT_TYPE.X64.size();
        ObjectType self = typeType; // null while creating "Type" itself
        Pool typePool = self == null ? pools.nonPaged() : self.pool;
        int typeKey = self == null ? keyOf("Type") : self.key;
        long header = typePool.allocate(HEADER_SIZE + typeSize + chars.length, typeKey, 0);
        if (header == 0) {
            return null;
        }
        Region r = space.regionOf(header, HEADER_SIZE + typeSize + chars.length);
        MemorySegment block = r.segment().asSlice(r.offsetOf(header), HEADER_SIZE + typeSize + chars.length);
        initHeader(block, 0, self == null ? index : self.index, 0);
        MemorySegment type = block.asSlice(HEADER_SIZE, typeSize + chars.length);
        long body = type.address();
        type.set(JAVA_LONG, OBJECT_TYPE.TYPE_LIST_OFFSET + LIST_ENTRY.FLINK_OFFSET, body + OBJECT_TYPE.TYPE_LIST_OFFSET);
        type.set(JAVA_LONG, OBJECT_TYPE.TYPE_LIST_OFFSET + LIST_ENTRY.BLINK_OFFSET, body + OBJECT_TYPE.TYPE_LIST_OFFSET);
        type.set(JAVA_SHORT, OBJECT_TYPE.NAME_OFFSET + UNICODE_STRING.LENGTH_OFFSET, (short) chars.length);
        type.set(JAVA_SHORT, OBJECT_TYPE.NAME_OFFSET + UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) chars.length);
        type.set(JAVA_LONG, OBJECT_TYPE.NAME_OFFSET + UNICODE_STRING.BUFFER_OFFSET, body + typeSize);
        MemorySegment.copy(chars, 0, type, JAVA_BYTE, typeSize, chars.length);
        type.set(JAVA_BYTE, OBJECT_TYPE.INDEX_OFFSET, (byte) index);
        long info = OBJECT_TYPE.TYPE_INFO_OFFSET;
        MemorySegment.copy(initializer, 0, type, info, OBJECT_TYPE_INITIALIZER.X64.size());
        type.set(JAVA_INT, info + OBJECT_TYPE_INITIALIZER.OBJECT_TYPE_CODE_OFFSET, index);
        int key = keyOf(name);
        type.set(JAVA_INT, OBJECT_TYPE.KEY_OFFSET, key);
        type.set(JAVA_LONG, OBJECT_TYPE.CALLBACK_LIST_OFFSET + LIST_ENTRY.FLINK_OFFSET, body + OBJECT_TYPE.CALLBACK_LIST_OFFSET);
        type.set(JAVA_LONG, OBJECT_TYPE.CALLBACK_LIST_OFFSET + LIST_ENTRY.BLINK_OFFSET, body + OBJECT_TYPE.CALLBACK_LIST_OFFSET);
        try {
            TypeProcedures.install(core.routines(), type, info, procs);
        } catch (RuntimeException e) {
            typePool.free(header, typeKey);
            throw e;
        }
        ObjectType t = new ObjectType(index, name, key, pool, poolType, type, procs, bodySize, builtInDelete);
        types[index] = t; // published to other threads by the kernel's publication of this manager, or by the caller's handoff of the POBJECT_TYPE
        VarHandle.releaseFence(); // release: the ObjectType's fields before any reader that finds the index in a header
        typeList.add(t);
        org.agrona.collections.Long2ObjectHashMap<ObjectType> byAddress = new org.agrona.collections.Long2ObjectHashMap<>(typesByAddress);
        byAddress.put(t.type.address(), t);
        typesByAddress = byAddress; // volatile write: publishes the complete map (and the type) to lock-free readers
        nextTypeIndex++;
        (self == null ? t : self).objectCreated();
        return t;
    }

    /** Windows' Key: the type name's first four characters (padded with blanks) as a pool tag. */
    static int keyOf(String name) {
        String four = (name + "    ").substring(0, 4);
        return PoolTags.tag(four);
    }

    /** The type at {@code index}, or null. */
    public ObjectType type(int index) {
        return types[index & 0xFF];
    }

    /** The type whose OBJECT_TYPE is at {@code address}, or null. O(1), wait-free (one volatile read, one hash lookup). */
    public ObjectType typeAt(long address) {
        return address == 0 ? null : typesByAddress.get(address);
    }

    public ObjectType typeType() {
        ensureTypes();
        return typeType;
    }

    public ObjectType processType() {
        ensureTypes();
        return processType;
    }

    public ObjectType threadType() {
        ensureTypes();
        return threadType;
    }

    public ObjectType eventType() {
        ensureTypes();
        return eventType;
    }

    public ObjectType semaphoreType() {
        ensureTypes();
        return semaphoreType;
    }

    public ObjectType timerType() {
        ensureTypes();
        return timerType;
    }

    public ObjectType fileType() {
        ensureTypes();
        return fileType;
    }

    public ObjectType deviceType() {
        ensureTypes();
        return deviceType;
    }

    public ObjectType driverType() {
        ensureTypes();
        return driverType;
    }

    public ObjectType tokenType() {
        ensureTypes();
        return tokenType;
    }

    // ===== objects =====

    private static void initHeader(MemorySegment s, long off, int typeIndex, int flags) {
        s.set(JAVA_LONG, off + OBJECT_HEADER.POINTER_COUNT_OFFSET, 1L);
        s.set(JAVA_LONG, off + OBJECT_HEADER.HANDLE_COUNT_OFFSET, 0L);
        s.set(JAVA_BYTE, off + OBJECT_HEADER.TYPE_INDEX_OFFSET, (byte) typeIndex);
        s.set(JAVA_BYTE, off + OBJECT_HEADER.FLAGS_OFFSET, (byte) flags);
    }

    /**
     * {@code ObCreateObject}: a new object of type {@code t} with a {@code bodySize}-byte zeroed body
     * and one reference (the creator's; ObInsertObject turns it into the handle's). Returns the
     * body's address, or 0 when the pool is exhausted.
     */
    public long createObject(ObjectType t, int attributes, long bodySize) {
        if (bodySize < 0 || bodySize > 0x7FFFFFFFL) {
            throw new ObFailure(NtStatus.STATUS_INVALID_PARAMETER, "ObCreateObject: ObjectBodySize " + bodySize + " is out of range");
        }
        checkAttributes(t, attributes, "ObCreateObject");
        // Thread objects come from segregated pool memory (pages of their own): a Thread object's body is
        // its thread's KTHREAD, made implicitly on every thread's first call and reused constantly, and no
        // caller's stale pointer to a block it freed may ever name one (see Pool#allocateSegregated). A
        // caller's ObCreateObject of the type with a body too large for a small block gets ordinary pool.
        long header = t == threadType && HEADER_SIZE + bodySize <= Pool.MAX_SEGREGATED_BYTES
                ? t.pool.allocateSegregated(HEADER_SIZE + bodySize, t.key)
                : t.pool.allocate(HEADER_SIZE + bodySize, t.key, 0);
        if (header == 0) {
            return 0;
        }
        Region r = space.regionOf(header, HEADER_SIZE);
        int flags = OBJECT_HEADER.OB_FLAG_NEW_OBJECT
                | ((attributes & ObjectAttributes.OBJ_KERNEL_HANDLE) != 0 ? OBJECT_HEADER.OB_FLAG_KERNEL_OBJECT : 0)
                | ((attributes & ObjectAttributes.OBJ_PERMANENT) != 0 ? OBJECT_HEADER.OB_FLAG_PERMANENT_OBJECT : 0);
        initHeader(r.segment(), r.offsetOf(header), t.index, flags);
        t.objectCreated();
        int owner = driverObjects.callerOwner();
        if (owner != 0 && attributed(t)) {
            driverObjects.created(header + HEADER_SIZE, owner);
        }
        return header + HEADER_SIZE;
    }

    /** OBJ_* bits a handle or object may be given: OBJ_VALID_ATTRIBUTES and the handle-only OBJ_PROTECT_CLOSE, OBJ_AUDIT_OBJECT_CLOSE. */
    static final int HANDLE_ATTRIBUTES = ObjectAttributes.OBJ_VALID_ATTRIBUTES | ObjectAttributes.OBJ_PROTECT_CLOSE
            | ObjectAttributes.OBJ_AUDIT_OBJECT_CLOSE;

    void checkAttributes(ObjectType t, int attributes, String routine) {
        if ((attributes & ~HANDLE_ATTRIBUTES) != 0 || (attributes & t.invalidAttributes) != 0
                || (attributes & ObjectAttributes.OBJ_EXCLUSIVE) != 0) {
            throw new ObFailure(NtStatus.STATUS_INVALID_PARAMETER, routine + ": attributes 0x" + Integer.toHexString(attributes)
                    + " are invalid for type " + t.name + " (offkern does not support OBJ_EXCLUSIVE)");
        }
    }

    /** The region holding the header of the object whose body is at {@code body}: PAGE_FAULT_IN_NONPAGED_AREA (0x50) if none. */
    Region headerRegion(long body) {
        long header = body - HEADER_SIZE;
        Region r = body < HEADER_SIZE ? null : space.find(header, HEADER_SIZE);
        if (r == null) {
            throw core.unmapped(body, 1);
        }
        return r;
    }

    /** The type of the object at {@code header}; 0x18 if its TypeIndex names no type (not an object). */
    ObjectType typeOf(MemorySegment s, long off, long body) {
        ObjectType t = types[s.get(JAVA_BYTE, off + OBJECT_HEADER.TYPE_INDEX_OFFSET) & 0xFF];
        if (t == null) {
            throw core.bugCheck(BugCheckCode.REFERENCE_BY_POINTER, 0, body, s.get(JAVA_LONG, off + OBJECT_HEADER.POINTER_COUNT_OFFSET),
                    s.get(JAVA_LONG, off + OBJECT_HEADER.HANDLE_COUNT_OFFSET),
                    "0x" + Long.toHexString(body) + " is no live object: its header's TypeIndex names no object type"
                            + " (a dereference after the last one deleted it, or a pointer that never was an object)");
        }
        return t;
    }

    /**
     * The type of the object at {@code body} if it is one — its header mapped, in a live block, its
     * TypeIndex naming a type — else null; raises nothing. For parameter checks that answer a bad
     * object with a status (IoConnectInterruptEx's PhysicalDeviceObject, an I/O work item's object).
     */
    public ObjectType typeIfObject(long body) {
        long header = body - HEADER_SIZE;
        Region r = body < HEADER_SIZE ? null : space.find(header, HEADER_SIZE);
        if (r == null) {
            return null;
        }
        BlockMap blocks = r.blocks();
        if (blocks != null && blocks.liveBytesAt(header) < HEADER_SIZE) {
            return null;
        }
        return types[r.segment().get(JAVA_BYTE, r.offsetOf(header) + OBJECT_HEADER.TYPE_INDEX_OFFSET) & 0xFF];
    }

    /** Verifier: the header must be in a live block (not freed). */
    private void verifyLive(Region r, long header, long body, String routine) {
        BlockMap blocks = r.blocks();
        if (blocks != null && blocks.liveBytesAt(header) < HEADER_SIZE) {
            throw core.bugCheck(BugCheckCode.REFERENCE_BY_POINTER, 0, body, 0, 0,
                    routine + ": 0x" + Long.toHexString(body) + " is no live object (its memory is free or not an object's block)");
        }
    }

    /** {@code ObReferenceObject}: PointerCount + 1; returns the new count. */
    public long reference(long body) {
        Region r = headerRegion(body);
        MemorySegment s = r.segment();
        long off = r.offsetOf(body - HEADER_SIZE);
        if (verify) {
            verifyLive(r, body - HEADER_SIZE, body, "ObReferenceObject");
        }
        ObjectType t = typeOf(s, off, body);
        long old = (long) LONG.getAndAdd(s, off + OBJECT_HEADER.POINTER_COUNT_OFFSET, 1L); // volatile add: Interlocked
        if (verify && old <= 0) {
            LONG.getAndAdd(s, off + OBJECT_HEADER.POINTER_COUNT_OFFSET, -1L); // undo: the object is dying or dead
            throw core.bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DV_REFERENCE_AT_ZERO, body, 1, old,
                    "ObReferenceObject on 0x" + Long.toHexString(body) + " (" + t.name + ") whose reference count is " + old);
        }
        return old + 1;
    }

    /** {@code ObDereferenceObject}: PointerCount − 1, deleting the object at 0; returns the new count. */
    public long dereference(long body) {
        Region r = headerRegion(body);
        long header = body - HEADER_SIZE;
        if (verify) {
            verifyLive(r, header, body, "ObDereferenceObject");
        }
        return drop(r.segment(), r.offsetOf(header), body, 1, "ObDereferenceObject");
    }

    /** Drops one reference of the object at {@code header} (a handle lookup's give-back). */
    void dereferenceHeader(long header) {
        Region r = space.regionOf(header, HEADER_SIZE);
        drop(r.segment(), r.offsetOf(header), header + HEADER_SIZE, 1, "ObDereferenceObject");
    }

    /** Charges {@code n} references to the object at {@code header} (a handle's cache refill; the object is alive). */
    void charge(long header, int n) {
        Region r = space.regionOf(header, HEADER_SIZE);
        LONG.getAndAdd(r.segment(), r.offsetOf(header) + OBJECT_HEADER.POINTER_COUNT_OFFSET, (long) n); // volatile add
    }

    private long drop(MemorySegment s, long off, long body, int n, String routine) {
        ObjectType t = typeOf(s, off, body);
        long old = (long) LONG.getAndAdd(s, off + OBJECT_HEADER.POINTER_COUNT_OFFSET, (long) -n); // volatile add: the decrement reaching 0 deletes
        long now = old - n;
        if (now < 0) {
            throw core.bugCheck(BugCheckCode.REFERENCE_BY_POINTER, t.type.address(), body, old,
                    s.get(JAVA_LONG, off + OBJECT_HEADER.HANDLE_COUNT_OFFSET),
                    routine + ": the reference count of 0x" + Long.toHexString(body) + " (" + t.name + ") went from " + old + " to " + now);
        }
        if (now == 0) {
            delete(t, s, off, body);
        }
        return now;
    }

    private void delete(ObjectType t, MemorySegment s, long off, long body) {
        long header = body - HEADER_SIZE;
        long live = t.pool.liveBytesAt(header);
        MemorySegment bodySeg = s.asSlice(off + HEADER_SIZE, Math.max(0, live - HEADER_SIZE));
        Throwable failure = null;
        long failedProc = 0;
        try {
            long sd = s.get(JAVA_LONG, off + OBJECT_HEADER.SECURITY_DESCRIPTOR_OFFSET);
            OB_SECURITY_METHOD sec = t.procedures.SecurityProcedure();
            if (sec == null) {
                security.deleted(s, off, header);
            } else if (sd != 0) {
                failedProc = procAddress(t, OBJECT_TYPE_INITIALIZER.SECURITY_PROCEDURE_OFFSET);
                sec.call(bodySeg, OB_SECURITY_METHOD.DeleteSecurityDescriptor, MemorySegment.NULL, MemorySegment.ofAddress(sd),
                        MemorySegment.NULL, s.asSlice(off + OBJECT_HEADER.SECURITY_DESCRIPTOR_OFFSET, 8), t.poolType,
                        t.type.asSlice(OBJECT_TYPE.TYPE_INFO_OFFSET + OBJECT_TYPE_INITIALIZER.GENERIC_MAPPING_OFFSET, GENERIC_MAPPING.X64.size()));
            }
            if (t.builtInDelete != null) {
                failedProc = 0;
                t.builtInDelete.accept(bodySeg);
            }
            if (t.procedures.DeleteProcedure() != null) {
                failedProc = procAddress(t, OBJECT_TYPE_INITIALIZER.DELETE_PROCEDURE_OFFSET);
                t.procedures.DeleteProcedure().call(bodySeg);
            }
        } catch (BugCheck | KernelHaltedException processed) {
            failure = processed;
        } catch (Throwable e) {
            failure = e;
        } finally {
            if (!pending.isEmpty()) {
                pending.remove(body);
            }
            driverObjects.deleted(body);
            t.objectDeleted();
            // Poison: index 1 names no type (Windows keeps 0 and 1 unused), so a later reference or
            // dereference of this dead object is REFERENCE_BY_POINTER, not a change to freed memory.
            s.set(JAVA_BYTE, off + OBJECT_HEADER.TYPE_INDEX_OFFSET, (byte) DEAD_TYPE_INDEX);
            t.pool.free(header, t.key);
        }
        if (failure instanceof RuntimeException re && (failure instanceof BugCheck || failure instanceof KernelHaltedException)) {
            throw re;
        }
        if (failure != null) {
            throw core.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, failedProc,
                    body, 0, "exception escaped the " + t.name + " type's delete/security procedure for 0x" + Long.toHexString(body)
                            + ": " + failure);
        }
    }

    long procAddress(ObjectType t, long field) {
        return t.type.get(JAVA_LONG, OBJECT_TYPE.TYPE_INFO_OFFSET + field);
    }

    /** The type of the object at {@code body} ({@code ObGetObjectType}). */
    public ObjectType objectType(long body) {
        Region r = headerRegion(body);
        long off = r.offsetOf(body - HEADER_SIZE);
        if (verify) {
            verifyLive(r, body - HEADER_SIZE, body, "ObGetObjectType");
        }
        return typeOf(r.segment(), off, body);
    }

    /** The object's PointerCount (diagnostics and tests). */
    public long pointerCount(long body) {
        Region r = headerRegion(body);
        return (long) LONG.getVolatile(r.segment(), r.offsetOf(body - HEADER_SIZE) + OBJECT_HEADER.POINTER_COUNT_OFFSET);
    }

    /** The object's HandleCount (diagnostics and tests). */
    public long handleCount(long body) {
        Region r = headerRegion(body);
        return (long) LONG.getVolatile(r.segment(), r.offsetOf(body - HEADER_SIZE) + OBJECT_HEADER.HANDLE_COUNT_OFFSET);
    }

    /** A segment over the body of the object at {@code body} ({@code size} bytes). */
    public MemorySegment body(long body, long size) {
        Region r = headerRegion(body);
        return r.segment().asSlice(r.offsetOf(body), size);
    }

    // ===== handle tables =====

    /** The system process's table (kernel handles). */
    public HandleTable systemTable() {
        return systemTable;
    }

    /** A new, empty handle table for a process. */
    public HandleTable newHandleTable() {
        return new HandleTable(this, false);
    }

    /** Makes {@code table} the calling thread's process's table (null: the system process's again). */
    public void attach(HandleTable table) {
        if (table != null && table != systemTable) {
            anyAttached = true;
        }
        if (table == null || table == systemTable) {
            attached.remove();
        } else {
            attached.set(table);
        }
    }

    /** The calling thread's process's handle table. */
    public HandleTable currentTable() {
        if (!anyAttached) {
            return systemTable;
        }
        HandleTable t = attached.get();
        return t == null ? systemTable : t;
    }

    /** The calling thread's previous mode (what NtClose checks): KernelMode unless inside {@link #callFromUserMode}. */
    public int previousMode() {
        return previousMode.get()[0];
    }

    /** Runs {@code call} as a system service called from user mode (PreviousMode = UserMode), as a system call would. */
    public <T> T callFromUserMode(java.util.function.Supplier<T> call) {
        int[] m = previousMode.get();
        int saved = m[0];
        m[0] = UserMode;
        try {
            return call.get();
        } finally {
            m[0] = saved;
        }
    }

    /** The table a handle value refers to for a caller in {@code mode}, or null if none may. */
    HandleTable tableFor(long handle) {
        return HandleTable.isKernelHandle(handle) ? systemTable : currentTable();
    }

    /**
     * Enters a handle to the object at {@code body} of type {@code t} in the system process's table
     * (OBJ_KERNEL_HANDLE in {@code attributes}: a kernel handle) or the current process's. With
     * {@code transfer} the caller's reference becomes the handle's; otherwise the handle charges its
     * own. Runs the type's open procedure first. Returns the handle value.
     *
     * @throws ObFailure with the open procedure's status, or STATUS_INSUFFICIENT_RESOURCES (table full);
     *         the caller's reference is untouched then
     */
    long insertHandle(ObjectType t, long body, int access, int attributes, int reason, int mode,
                      boolean transfer, boolean handleCountCharged) {
        return insertHandle(null, t, body, access, attributes, reason, mode, transfer, handleCountCharged);
    }

    /** {@link #insertHandle} into {@code target}'s table (null: the current process's) unless OBJ_KERNEL_HANDLE. */
    long insertHandle(HandleTable target, ObjectType t, long body, int access, int attributes, int reason, int mode,
                      boolean transfer, boolean handleCountCharged) {
        boolean kernelHandle = (attributes & ObjectAttributes.OBJ_KERNEL_HANDLE) != 0;
        HandleTable table = kernelHandle ? systemTable : target != null ? target : currentTable();
        Region r = headerRegion(body);
        MemorySegment s = r.segment();
        long off = r.offsetOf(body - HEADER_SIZE);
        OB_OPEN_METHOD open = t.procedures.OpenProcedure();
        if (open != null) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment granted = a.allocate(JAVA_INT);
                granted.set(JAVA_INT, 0, access);
                long handles = (long) LONG.getVolatile(s, off + OBJECT_HEADER.HANDLE_COUNT_OFFSET) - (handleCountCharged ? 1 : 0);
                int st;
                try {
                    st = open.call(reason, mode, MemorySegment.NULL, body(body, 0), granted, (int) handles);
                } catch (BugCheck | KernelHaltedException processed) {
                    throw processed;
                } catch (RuntimeException e) {
                    throw core.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL,
                            procAddress(t, OBJECT_TYPE_INITIALIZER.OPEN_PROCEDURE_OFFSET), body, 0,
                            "exception escaped the " + t.name + " type's open procedure: " + e);
                }
                if (!NtStatus.NT_SUCCESS(st)) {
                    if (handleCountCharged) {
                        LONG.getAndAdd(s, off + OBJECT_HEADER.HANDLE_COUNT_OFFSET, -1L); // volatile add: undo
                    }
                    throw new ObFailure(st, t.name + " open procedure refused the handle");
                }
                access = granted.get(JAVA_INT, 0);
            }
        }
        if (!handleCountCharged) {
            LONG.getAndAdd(s, off + OBJECT_HEADER.HANDLE_COUNT_OFFSET, 1L); // volatile add: before the handle exists, so its close never sees 0
        }
        if (!transfer) {
            LONG.getAndAdd(s, off + OBJECT_HEADER.POINTER_COUNT_OFFSET, 1L); // volatile add: the handle's own reference (the caller holds one: alive)
        }
        int index = table.create(body - HEADER_SIZE, access, attributes & 7, t.index);
        if (index <= 0) {
            LONG.getAndAdd(s, off + OBJECT_HEADER.HANDLE_COUNT_OFFSET, -1L); // volatile add: undo
            if (!transfer) {
                LONG.getAndAdd(s, off + OBJECT_HEADER.POINTER_COUNT_OFFSET, -1L); // volatile add: undo (the caller still holds one)
            }
            throw index == 0 ? new ObFailure(NtStatus.STATUS_INSUFFICIENT_RESOURCES, "the handle table is full")
                    : new ObFailure(NtStatus.STATUS_PROCESS_IS_TERMINATING, "the handle table's process has ended");
        }
        t.handleCreated();
        long handle = table.handleOf(index, kernelHandle);
        if (table == systemTable && attributed(t)) {
            int owner = driverObjects.callerOwner();
            if (owner != 0) {
                driverObjects.handleCreated(index, body - HEADER_SIZE, handle, owner);
            }
        }
        return handle;
    }

    /**
     * Closes {@code handle} as NtClose does for a caller whose previous mode is {@code mode}.
     * Returns STATUS_SUCCESS, STATUS_INVALID_HANDLE or STATUS_HANDLE_NOT_CLOSABLE (verifier: 0x93).
     */
    public int close(long handle, int mode) {
        return close(null, handle, mode);
    }

    /** {@link #close(long, int)} in {@code process}'s table (null: the current process's; kernel handles: the system table). */
    int close(HandleTable process, long handle, int mode) {
        boolean kernelHandle = HandleTable.isKernelHandle(handle);
        if (kernelHandle && mode != KernelMode) {
            if (verify) {
                throw core.bugCheck(BugCheckCode.INVALID_KERNEL_HANDLE, handle, HANDLE_INVALID, 0, 0,
                        "NtClose of kernel handle 0x" + Long.toHexString(handle) + " from user mode");
            }
            return NtStatus.STATUS_INVALID_HANDLE;
        }
        HandleTable table = kernelHandle ? systemTable : process != null ? process : currentTable();
        int index = HandleTable.indexOf(handle);
        HandleTable.Closed c = index < 0 ? null : table.close(index, true);
        if (c == null) {
            if (verify && kernelHandle) {
                throw core.bugCheck(BugCheckCode.INVALID_KERNEL_HANDLE, handle, HANDLE_INVALID, 0, 0,
                        "NtClose of kernel handle 0x" + Long.toHexString(handle) + ", which is not open (closed already, or never opened)");
            }
            return NtStatus.STATUS_INVALID_HANDLE;
        }
        if (c == HandleTable.PROTECTED) {
            if (verify && kernelHandle) {
                throw core.bugCheck(BugCheckCode.INVALID_KERNEL_HANDLE, handle, HANDLE_PROTECTED, 0, 0,
                        "NtClose of protected kernel handle 0x" + Long.toHexString(handle) + " (OBJ_PROTECT_CLOSE)");
            }
            return NtStatus.STATUS_HANDLE_NOT_CLOSABLE;
        }
        if (table == systemTable) {
            driverObjects.handleClosed(index);
        }
        finishClose(c);
        return NtStatus.STATUS_SUCCESS;
    }

    /** After a handle left its table: handle count − 1 (the name goes with the last handle), close procedure, references dropped. */
    void finishClose(HandleTable.Closed c) {
        long header = c.header();
        long body = header + HEADER_SIZE;
        Region r = space.regionOf(header, HEADER_SIZE);
        MemorySegment s = r.segment();
        long off = r.offsetOf(header);
        ObjectType t = typeOf(s, off, body);
        boolean[] namespaceReference = new boolean[1];
        long old = names.mayBeNamed()
                ? names.closeHandle(header, () -> (long) LONG.getAndAdd(s, off + OBJECT_HEADER.HANDLE_COUNT_OFFSET, -1L), namespaceReference)
                : (long) LONG.getAndAdd(s, off + OBJECT_HEADER.HANDLE_COUNT_OFFSET, -1L); // volatile add
        t.handleClosed();
        RuntimeException failure = null;
        if (t.procedures.CloseProcedure() != null) {
            try {
                t.procedures.CloseProcedure().call(MemorySegment.NULL, body(body, 0), c.grantedAccess(), old, old);
            } catch (BugCheck | KernelHaltedException processed) {
                failure = processed;
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        drop(s, off, body, c.references() + (namespaceReference[0] ? 1 : 0), "NtClose"); // + the name's reference of a permanent object made temporary
        if (failure instanceof BugCheck || failure instanceof KernelHaltedException) {
            throw failure;
        }
        if (failure != null) {
            throw core.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL,
                    procAddress(t, OBJECT_TYPE_INITIALIZER.CLOSE_PROCEDURE_OFFSET), body, 0,
                    "exception escaped the " + t.name + " type's close procedure: " + failure);
        }
    }

    /**
     * {@code ObReferenceObjectByHandle}: a reference on the object {@code handle} names, type-checked
     * against {@code type} (null: any) and, for UserMode, access-checked. Returns the body's address
     * (positive) or an NTSTATUS (negative). {@code info}, if not null, receives the handle's access
     * (low 32 bits) and attributes (high 32 bits).
     */
    public long referenceByHandle(long handle, int desiredAccess, ObjectType type, int mode, long[] info) {
        if (handle < 0 && handle >= ObjectAttributes.NtCurrentThread) {
            return referencePseudo(handle, type, info); // NtCurrentProcess() / NtCurrentThread()
        }
        return referenceIn(null, handle, desiredAccess, type, mode, info);
    }

    /** {@link #referenceByHandle} in {@code process}'s table (null: the current process's; kernel handles: the system table). */
    long referenceIn(HandleTable process, long handle, int desiredAccess, ObjectType type, int mode, long[] info) {
        boolean kernelHandle = HandleTable.isKernelHandle(handle);
        int index = HandleTable.indexOf(handle);
        if (kernelHandle && mode != KernelMode) {
            return NtStatus.STATUS_INVALID_HANDLE; // kernel handles are invisible to user mode
        }
        HandleTable table = kernelHandle ? systemTable : process != null ? process : currentTable();
        long header = index < 0 ? NtStatus.STATUS_INVALID_HANDLE
                : table.reference(index, desiredAccess, mode != KernelMode, type == null ? -1 : type.index, info);
        if (header < 0) {
            if (verify && kernelHandle && header == NtStatus.STATUS_INVALID_HANDLE) {
                throw core.bugCheck(BugCheckCode.INVALID_KERNEL_HANDLE, handle, HANDLE_INVALID, 0, 0,
                        "ObReferenceObjectByHandle of kernel handle 0x" + Long.toHexString(handle)
                                + " in kernel mode, which is not open (used after its close, or never opened)");
            }
            return header;
        }
        return header + HEADER_SIZE;
    }

    /**
     * {@code ObMakeTemporaryObject(Object)}: clears OB_FLAG_PERMANENT_OBJECT; a named object without
     * handles loses its name now and the namespace's reference is dropped (the object may be deleted).
     */
    public void makeTemporary(long body) {
        Region r = headerRegion(body);
        MemorySegment s = r.segment();
        long off = r.offsetOf(body - HEADER_SIZE);
        if (verify) {
            verifyLive(r, body - HEADER_SIZE, body, "ObMakeTemporaryObject");
        }
        typeOf(s, off, body); // 0x18 for a dead object
        boolean drop = names.makeTemporary(body - HEADER_SIZE,
                () -> (long) LONG.getVolatile(s, off + OBJECT_HEADER.HANDLE_COUNT_OFFSET),
                () -> s.set(JAVA_BYTE, off + OBJECT_HEADER.FLAGS_OFFSET,
                        (byte) (s.get(JAVA_BYTE, off + OBJECT_HEADER.FLAGS_OFFSET) & ~OBJECT_HEADER.OB_FLAG_PERMANENT_OBJECT)));
        if (drop) {
            dereference(body); // the name's reference: may delete the object
        }
    }

    /** The process manager's map from an EPROCESS body to its process's handle table; volatile. */
    private volatile java.util.function.LongFunction<HandleTable> processTables;

    /** Installs the process manager's map from an EPROCESS body to its handle table (null for a process that has ended). */
    public void setProcessTables(java.util.function.LongFunction<HandleTable> tables) {
        processTables = tables;
    }

    /** The handle table of the process whose EPROCESS is at {@code body}, or null (no process manager, or no such live process). */
    HandleTable tableOfProcess(long body) {
        java.util.function.LongFunction<HandleTable> f = processTables; // volatile read
        return f == null ? null : f.apply(body);
    }

    /** The process manager's answers to NtCurrentProcess() and NtCurrentThread() (body addresses); volatile. */
    private volatile java.util.function.LongSupplier currentProcessBody;
    private volatile java.util.function.LongSupplier currentThreadBody;

    /** Installs what the pseudo handles NtCurrentProcess() and NtCurrentThread() resolve to (the process manager's current process and thread). */
    public void setPseudoHandles(java.util.function.LongSupplier process, java.util.function.LongSupplier thread) {
        currentProcessBody = process;
        currentThreadBody = thread;
    }

    /**
     * A reference on the object a pseudo handle names, with all access (as Windows grants it): the
     * process the caller runs in (attached or its own) for NtCurrentProcess(), its thread for
     * NtCurrentThread(); STATUS_INVALID_HANDLE before a process manager answers them.
     */
    private long referencePseudo(long handle, ObjectType type, long[] info) {
        java.util.function.LongSupplier s = handle == ObjectAttributes.NtCurrentProcess ? currentProcessBody : currentThreadBody; // volatile read
        if (s == null) {
            return NtStatus.STATUS_INVALID_HANDLE;
        }
        long body = s.getAsLong();
        ObjectType t = objectType(body);
        if (type != null && t != type) {
            return NtStatus.STATUS_OBJECT_TYPE_MISMATCH;
        }
        reference(body);
        if (info != null) {
            info[0] = t.validAccessMask & 0xFFFFFFFFL;
        }
        return body;
    }

    /**
     * Runs {@code table} down (its process ended): every handle closed as by NtClose (OBJ_PROTECT_CLOSE
     * ignored: nothing outlives the process), later insertions refused with STATUS_PROCESS_IS_TERMINATING.
     */
    public void rundown(HandleTable table) {
        if (table == systemTable) {
            throw new IllegalArgumentException("the system process's handle table is never run down");
        }
        RuntimeException first = null;
        for (HandleTable.Closed c : table.rundown()) {
            try {
                finishClose(c);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e; // a close procedure's bug check: the other handles are still closed
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Whether the object at {@code body} is of {@code type}. */
    boolean isOfType(long body, ObjectType type) {
        return objectType(body) == type;
    }

    // ===== shutdown =====

    /**
     * {@code report} without the blocks of the object types (each type is an object of type "Type"
     * that lives as long as the kernel, as on Windows: they are not leaks). Objects still alive are.
     */
    public synchronized LeakReport excludingTypes(LeakReport report) {
        java.util.Map<Long, Integer> typeBlocks = new java.util.HashMap<>();
        for (ObjectType t : typeList) {
            long size = HEADER_SIZE + OBJECT_TYPE.X64.size() + 2L * t.name.length();
            typeBlocks.merge(size, 1, Integer::sum);
        }
        List<LeakReport.Leak> left = new ArrayList<>();
        for (LeakReport.Leak l : report.leaks()) {
            Integer n = typeType != null && l.tag() == typeType.key ? typeBlocks.remove(l.size()) : null;
            long count = n == null ? l.count() : l.count() - n;
            if (count > 0) {
                left.add(new LeakReport.Leak(l.tag(), l.poolType(), l.size(), count, l.driver()));
            }
        }
        return new LeakReport(left);
    }

    // ===== VarHandle mechanics =====
    /** OBJECT_HEADER.PointerCount and HandleCount (LONG_PTR): owned here; every change is a volatile add. */
    private static final VarHandle LONG = JAVA_LONG.varHandle();
}
