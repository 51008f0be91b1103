package dev.offkern.runtime.ob;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.offkern.layout.ob.OBJECT_TYPE;
import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.layout.se.GENERIC_MAPPING;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.ObjectTypeProcedures;
import dev.offkern.runtime.pool.Pool;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * One object type: its byte-exact {@code OBJECT_TYPE} (itself the body of an object of type
 * "Type", in non-paged pool) and what the object manager needs from it on its paths, read once at
 * creation: the index in the type table ({@code OBJECT_TYPE.Index}, the {@code TypeIndex} of every
 * header of its objects), the pool tag of its objects ({@code OBJECT_TYPE.Key}), the pool they come
 * from ({@code TypeInfo.PoolType}), the generic mapping and valid access mask, and the Java
 * procedures (whose upcall stubs the {@code TypeInfo} procedure fields hold).
 *
 * <p>Immutable after creation except the four statistics of {@code OBJECT_TYPE}
 * (TotalNumberOfObjects/Handles and their high-water marks), which this class owns and updates with
 * atomic adds on the OBJECT_TYPE memory. Safe to share between threads.
 */
public final class ObjectType {
    /** ObjectTypeFlags bit SecurityRequired (bit 3). */
    public static final int SECURITY_REQUIRED = 0x08;
    final int index;
    final String name;
    final int key;
    final Pool pool;
    final int poolType;
    /** The OBJECT_TYPE (a segment over the Type object's body). */
    final MemorySegment type;
    final int genericRead;
    final int genericWrite;
    final int genericExecute;
    final int genericAll;
    final int validAccessMask;
    final int invalidAttributes;
    final boolean caseInsensitive;
    /** The type's GENERIC_MAPPING ({@code TypeInfo.GenericMapping}), sliced once. */
    final MemorySegment genericMapping;
    /** ObjectTypeFlags.SecurityRequired: every object of the type gets a security descriptor, named or not. */
    final boolean securityRequired;
    final ObjectTypeProcedures procedures;
    /** Bytes of the bodies this kernel's own routines create (0: the creator says, ObCreateObject). */
    final long bodySize;
    /** Runs inside deletion before the type's DeleteProcedure, for the built-in types (a timer is cancelled). */
    final java.util.function.Consumer<MemorySegment> builtInDelete;

    ObjectType(int index, String name, int key, Pool pool, int poolType, MemorySegment type, ObjectTypeProcedures procedures,
               long bodySize, java.util.function.Consumer<MemorySegment> builtInDelete) {
        this.index = index;
        this.name = name;
        this.key = key;
        this.pool = pool;
        this.poolType = poolType;
        this.type = type;
        long info = OBJECT_TYPE.TYPE_INFO_OFFSET;
        long gm = info + OBJECT_TYPE_INITIALIZER.GENERIC_MAPPING_OFFSET;
        this.genericRead = type.get(JAVA_INT, gm + GENERIC_MAPPING.GENERIC_READ_OFFSET);
        this.genericWrite = type.get(JAVA_INT, gm + GENERIC_MAPPING.GENERIC_WRITE_OFFSET);
        this.genericExecute = type.get(JAVA_INT, gm + GENERIC_MAPPING.GENERIC_EXECUTE_OFFSET);
        this.genericAll = type.get(JAVA_INT, gm + GENERIC_MAPPING.GENERIC_ALL_OFFSET);
        this.validAccessMask = type.get(JAVA_INT, info + OBJECT_TYPE_INITIALIZER.VALID_ACCESS_MASK_OFFSET);
        this.invalidAttributes = type.get(JAVA_INT, info + OBJECT_TYPE_INITIALIZER.INVALID_ATTRIBUTES_OFFSET);
        this.caseInsensitive = (type.get(java.lang.foreign.ValueLayout.JAVA_SHORT, info + OBJECT_TYPE_INITIALIZER.OBJECT_TYPE_FLAGS_OFFSET) & 1) != 0;
        this.genericMapping = type.asSlice(gm, GENERIC_MAPPING.X64.size());
        this.securityRequired = (type.get(java.lang.foreign.ValueLayout.JAVA_SHORT, info + OBJECT_TYPE_INITIALIZER.OBJECT_TYPE_FLAGS_OFFSET)
                & SECURITY_REQUIRED) != 0;
        this.procedures = procedures == null ? ObjectTypeProcedures.NONE : procedures;
        this.bodySize = bodySize;
        this.builtInDelete = builtInDelete;
    }

    /** A segment over the type's GENERIC_MAPPING ({@code TypeInfo.GenericMapping}). */
    MemorySegment genericMapping() {
        return genericMapping;
    }

    /** The type's index in the type table. */
    public int index() {
        return index;
    }

    /** The type's name ("Event", "Process", ...). */
    public String name() {
        return name;
    }

    /** The pool tag of objects of this type. */
    public int key() {
        return key;
    }

    /** The address of the OBJECT_TYPE (the POBJECT_TYPE value). */
    public long address() {
        return type.address();
    }

    /** A segment over the OBJECT_TYPE. */
    public MemorySegment segment() {
        return type;
    }

    /** {@code desired} with its GENERIC_* bits replaced by this type's mapping (RtlMapGenericMask); other bits kept. */
    int mapGeneric(int desired) {
        int m = desired & ~(AccessMask.GENERIC_READ | AccessMask.GENERIC_WRITE | AccessMask.GENERIC_EXECUTE | AccessMask.GENERIC_ALL);
        if ((desired & AccessMask.GENERIC_READ) != 0) {
            m |= genericRead;
        }
        if ((desired & AccessMask.GENERIC_WRITE) != 0) {
            m |= genericWrite;
        }
        if ((desired & AccessMask.GENERIC_EXECUTE) != 0) {
            m |= genericExecute;
        }
        if ((desired & AccessMask.GENERIC_ALL) != 0) {
            m |= genericAll;
        }
        return m;
    }

    /**
     * {@code DesiredAccess} with its GENERIC_* bits replaced by this type's mapping and
     * MAXIMUM_ALLOWED by every valid right (RtlMapGenericMask, then what an object without a security
     * descriptor grants), restricted to the valid rights and ACCESS_SYSTEM_SECURITY.
     */
    int mapAccess(int desired) {
        int m = mapGeneric(desired & ~AccessMask.MAXIMUM_ALLOWED);
        if ((desired & AccessMask.MAXIMUM_ALLOWED) != 0) {
            m |= validAccessMask;
        }
        return m & (validAccessMask | AccessMask.ACCESS_SYSTEM_SECURITY);
    }

    // ----- statistics (OBJECT_TYPE's counters; owned here) -----

    void objectCreated() {
        int now = (int) COUNT.getAndAdd(type, OBJECT_TYPE.TOTAL_NUMBER_OF_OBJECTS_OFFSET, 1) + 1; // volatile add: exact under concurrency
        raiseHighWater(OBJECT_TYPE.HIGH_WATER_NUMBER_OF_OBJECTS_OFFSET, now);
    }

    void objectDeleted() {
        COUNT.getAndAdd(type, OBJECT_TYPE.TOTAL_NUMBER_OF_OBJECTS_OFFSET, -1); // volatile add, as objectCreated
    }

    void handleCreated() {
        int now = (int) COUNT.getAndAdd(type, OBJECT_TYPE.TOTAL_NUMBER_OF_HANDLES_OFFSET, 1) + 1; // volatile add
        raiseHighWater(OBJECT_TYPE.HIGH_WATER_NUMBER_OF_HANDLES_OFFSET, now);
    }

    void handleClosed() {
        COUNT.getAndAdd(type, OBJECT_TYPE.TOTAL_NUMBER_OF_HANDLES_OFFSET, -1); // volatile add
    }

    /** Live objects of this type (TotalNumberOfObjects). */
    public int totalNumberOfObjects() {
        return (int) COUNT.getVolatile(type, OBJECT_TYPE.TOTAL_NUMBER_OF_OBJECTS_OFFSET);
    }

    /** Open handles to objects of this type (TotalNumberOfHandles). */
    public int totalNumberOfHandles() {
        return (int) COUNT.getVolatile(type, OBJECT_TYPE.TOTAL_NUMBER_OF_HANDLES_OFFSET);
    }

    private void raiseHighWater(long offset, int now) {
        int high = (int) COUNT.getVolatile(type, offset);
        while (now > high) {
            // volatile CAS: a monotonic maximum; a lost race retries against the newer maximum
            if (COUNT.compareAndSet(type, offset, high, now)) {
                return;
            }
            high = (int) COUNT.getVolatile(type, offset);
        }
    }

    @Override
    public String toString() {
        return "ObjectType[" + index + " " + name + " @0x" + Long.toHexString(type.address()) + "]";
    }

    // ===== VarHandle mechanics =====
    private static final VarHandle COUNT = JAVA_INT.varHandle();
}
