package dev.offkern.runtime.ob;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ob.OBJECT_HANDLE_INFORMATION;
import dev.offkern.layout.ob.OBJECT_HEADER;
import dev.offkern.layout.ob.OBJECT_TYPE;
import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.layout.se.GENERIC_MAPPING;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.OB_OPEN_METHOD;
import dev.offkern.nt.OB_PARSE_METHOD;
import dev.offkern.nt.OB_SECURITY_METHOD;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.ObjectTypeProcedures;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * The object manager's routines with their DDI contracts: each takes the caller's arguments as the
 * DDI passes them, validates them, and returns an NTSTATUS ({@link ObFailure}s raised inside are
 * returned as the status). The semantics are {@link ObjectManager}'s.
 *
 * <p>IRQL (verifier, family IRQL: DRIVER_IRQL_NOT_LESS_OR_EQUAL 0xD1) as documented per routine.
 */
public final class ObRoutines {
    private ObRoutines() {
    }

    // ===== types and objects =====

    /**
     * {@code ObCreateObjectType(TypeName, ObjectTypeInitializer, Reserved, ObjectType)}: writes the
     * new POBJECT_TYPE to {@code *ObjectType}.
     */
    public static int createObjectType(ObjectManager ob, MemorySegment typeName, MemorySegment initializer, MemorySegment reserved,
                                       MemorySegment objectType, ObjectTypeProcedures procedures) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ObCreateObjectType");
        }
        try {
            if (CallerArgs.isNull(typeName) || CallerArgs.isNull(initializer)) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
            String name = CallerArgs.unicodeString(ob.space, typeName.address(), "ObCreateObjectType");
            MemorySegment init = CallerArgs.bounded(ob.space, initializer, OBJECT_TYPE_INITIALIZER.X64.size());
            ObjectType t = ob.createType(name, init, procedures, 0, null);
            if (t == null) {
                return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
            }
            CallerArgs.writePointer(ob.space, objectType, t.address(), "ObCreateObjectType", "ObjectType");
            return NtStatus.STATUS_SUCCESS;
        } catch (ObFailure f) {
            return f.status();
        }
    }

    /**
     * {@code ObCreateObject(ProbeMode, ObjectType, ObjectAttributes, OwnershipMode, ParseContext,
     * ObjectBodySize, PagedPoolCharge, NonPagedPoolCharge, Object)}: a new object with one reference,
     * not yet in any handle table; {@code *Object} := its body.
     */
    public static int createObject(ObjectManager ob, int probeMode, MemorySegment objectType, MemorySegment objectAttributes,
                                   int ownershipMode, long bodySize, MemorySegment object) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, "ObCreateObject");
        }
        try {
            ObjectType t = type(ob, objectType, "ObCreateObject");
            if (t == null) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
            CallerArgs.Attributes a = CallerArgs.attributes(ob.space, objectAttributes, "ObCreateObject");
            long body = ob.createObject(t, a.attributes(), bodySize);
            if (body == 0) {
                return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
            }
            CallerArgs.writePointer(ob.space, object, body, "ObCreateObject", "Object");
            if (a.name() != null || a.securityDescriptor() != 0) {
                ob.pending.put(body, a); // ObInsertObject names it and assigns its security
            }
            return NtStatus.STATUS_SUCCESS;
        } catch (ObFailure f) {
            return f.status();
        }
    }


    /**
     * {@code ObInsertObject(Object, PassedAccessState, DesiredAccess, ObjectPointerBias, NewObject,
     * Handle)}: assigns its security descriptor ({@link ObSecurity}: named objects, SecurityRequired
     * types, an explicit OBJECT_ATTRIBUTES.SecurityDescriptor), names the object (its OBJECT_ATTRIBUTES
     * from ObCreateObject) and enters a handle; the creation reference becomes the handle's. On failure the object is dereferenced (so deleted). With OBJ_OPENIF and the name
     * taken by an object of the same type, the existing object is opened instead
     * (STATUS_OBJECT_NAME_EXISTS) and the new one deleted.
     */
    public static int insertObject(ObjectManager ob, MemorySegment object, MemorySegment passedAccessState, int desiredAccess,
                                   int objectPointerBias, MemorySegment newObject, MemorySegment handle) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ObInsertObject");
        }
        long body = object.address();
        ObjectType t = ob.objectType(body);
        CallerArgs.Attributes a = ob.pending.isEmpty() ? null : ob.pending.remove(body);
        if (a == null) {
            a = CallerArgs.Attributes.NONE;
        }
        Region r = ob.headerRegion(body);
        MemorySegment s = r.segment();
        long off = r.offsetOf(body - ObjectManager.HEADER_SIZE);
        int flags = s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + OBJECT_HEADER.FLAGS_OFFSET) & 0xFF;
        if ((flags & OBJECT_HEADER.OB_FLAG_NEW_OBJECT) == 0) {
            return NtStatus.STATUS_INVALID_PARAMETER; // inserted before
        }
        boolean kernel = (flags & OBJECT_HEADER.OB_FLAG_KERNEL_OBJECT) != 0;
        s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, off + OBJECT_HEADER.FLAGS_OFFSET, (byte) (flags & ~OBJECT_HEADER.OB_FLAG_NEW_OBJECT));
        try {
            return insert(ob, t, body, a, desiredAccess, objectPointerBias, newObject, handle, kernel, ob.previousMode(), "ObInsertObject");
        } catch (ObFailure f) {
            return f.status(); // insert consumed the creation reference
        }
    }

    /**
     * The common end of ObInsertObject and ZwCreate*: the name (if any), then the handle, consuming
     * the creation reference. Throws ObFailure with the creation reference consumed (the new object
     * dereferenced, so deleted) on every failure.
     */
    static int insert(ObjectManager ob, ObjectType t, long body, CallerArgs.Attributes a, int desiredAccess, int bias,
                      MemorySegment newObject, MemorySegment handleOut, boolean kernel, int mode, String routine) {
        boolean[] consumed = new boolean[1];
        try {
            return insertConsuming(ob, t, body, a, desiredAccess, bias, newObject, handleOut, kernel, mode, routine, consumed);
        } catch (ObFailure f) {
            if (!consumed[0]) {
                ob.dereference(body);
            }
            throw f;
        }
    }

    private static int insertConsuming(ObjectManager ob, ObjectType t, long body, CallerArgs.Attributes a, int desiredAccess, int bias,
                                       MemorySegment newObject, MemorySegment handleOut, boolean kernel, int mode, String routine,
                                       boolean[] consumed) {
        if (CallerArgs.isNull(handleOut)) {
            throw new ObFailure(NtStatus.STATUS_INVALID_PARAMETER, routine + ": Handle is NULL");
        }
        if (ObSecurity.needsDescriptor(t, a)) {
            ob.security.assign(t, body, a.securityDescriptor(), routine); // before the name publishes the object
        }
        int handleAttributes = kernel ? a.attributes() | ObjectAttributes.OBJ_KERNEL_HANDLE : a.attributes();
        int access = t.mapAccess(desiredAccess);
        int status = NtStatus.STATUS_SUCCESS;
        boolean countCharged = false;
        long target = body;
        if (a.name() != null) {
            if (!ObjectNamespace.isValid(a.name())) {
                throw new ObFailure(NtStatus.STATUS_OBJECT_NAME_INVALID, routine + ": '" + a.name() + "' is no absolute object name");
            }
            Region r = ob.headerRegion(body);
            MemorySegment s = r.segment();
            long off = r.offsetOf(body - ObjectManager.HEADER_SIZE);
            boolean permanent = (a.attributes() & ObjectAttributes.OBJ_PERMANENT) != 0;
            ObjectNamespace.Entry e = ob.names.insert(a.name(), body - ObjectManager.HEADER_SIZE, t, permanent, () -> {
                LONG.getAndAdd(s, off + OBJECT_HEADER.HANDLE_COUNT_OFFSET, 1L); // volatile add, under the namespace lock
                if (permanent) {
                    LONG.getAndAdd(s, off + OBJECT_HEADER.POINTER_COUNT_OFFSET, 1L); // volatile add: the name's reference (alive: the creation reference)
                }
            });
            if (e != null) {
                if ((a.attributes() & ObjectAttributes.OBJ_OPENIF) == 0) {
                    throw new ObFailure(NtStatus.STATUS_OBJECT_NAME_COLLISION, routine + ": the name " + a.name() + " is taken");
                }
                if (e.type() != t) {
                    throw new ObFailure(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, routine + ": " + a.name() + " names a " + e.type().name);
                }
                long other = openNamed(ob, a.name(), t);
                if (other == 0) {
                    throw new ObFailure(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, routine + ": " + a.name() + " went away meanwhile");
                }
                ob.dereference(body); // the new object is not needed: the creation reference was the only one
                consumed[0] = true;
                try {
                    access = ob.security.openAccess(t, other, desiredAccess, mode, a.attributes(), routine); // an open of the existing object
                } catch (ObFailure f) {
                    ob.dereference(other);
                    throw f;
                }
                target = other;
                status = NtStatus.STATUS_OBJECT_NAME_EXISTS;
            } else {
                countCharged = true;
            }
        }
        long h;
        try {
            h = ob.insertHandle(t, target, access, handleAttributes, status == NtStatus.STATUS_SUCCESS
                    ? OB_OPEN_METHOD.ObCreateHandle : OB_OPEN_METHOD.ObOpenHandle, mode, true, countCharged);
        } catch (ObFailure f) {
            if (countCharged && ob.names.remove(body - ObjectManager.HEADER_SIZE)) {
                ob.dereference(body); // the name's reference of a permanent object (the creation reference remains)
            }
            if (target != body) {
                ob.dereference(target); // the reference openNamed took; the new object is gone already
            }
            throw f;
        }
        if (bias > 0) {
            ob.charge(target - ObjectManager.HEADER_SIZE, bias);
        }
        if (!CallerArgs.isNull(newObject)) {
            ob.reference(target);
            CallerArgs.writePointer(ob.space, newObject, target, routine, "NewObject");
        }
        CallerArgs.writePointer(ob.space, handleOut, h, routine, "Handle");
        return status;
    }

    /**
     * A reference on the object named exactly {@code name} (of type {@code t}; null: any) for the
     * I/O manager's create path: its body, 0 if there is none, or a negative NTSTATUS
     * (STATUS_OBJECT_TYPE_MISMATCH). Runtime-internal.
     */
    public static long referenceByName(ObjectManager ob, String name, ObjectType t) {
        if (!ObjectNamespace.isValid(name)) {
            return NtStatus.STATUS_OBJECT_NAME_INVALID;
        }
        try {
            return openNamed(ob, name, t);
        } catch (ObFailure f) {
            return f.status();
        }
    }

    /** A reference on the object named {@code name} of type {@code t} (null: any), or 0 if there is none; type mismatch throws. */
    static long openNamed(ObjectManager ob, String name, ObjectType t) {
        long[] found = new long[1];
        ObjectNamespace.Entry e = ob.names.lookup(name, x -> {
            if (t == null || x.type() == t) {
                ob.charge(x.header(), 1); // under the namespace lock: its handle count is > 0, so it is alive
                found[0] = x.header() + ObjectManager.HEADER_SIZE;
            }
        });
        if (e != null && found[0] == 0) {
            throw new ObFailure(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, name + " names a " + e.type().name + ", not a " + t.name);
        }
        return found[0];
    }

    /**
     * Resolves {@code name} to a referenced object: an exact name, else the longest named prefix whose
     * type has a parse procedure (given the rest); returns the body, or throws ObFailure
     * (STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_TYPE_MISMATCH, or the
     * parse procedure's status).
     */
    static long lookup(ObjectManager ob, String name, ObjectType t, int attributes, int accessMode, String routine) {
        if (!ObjectNamespace.isValid(name)) {
            throw new ObFailure(NtStatus.STATUS_OBJECT_NAME_INVALID, routine + ": '" + name + "' is no absolute object name");
        }
        long body = openNamed(ob, name, t);
        if (body != 0) {
            return body;
        }
        for (int cut = name.lastIndexOf('\\'); cut > 0; cut = name.lastIndexOf('\\', cut - 1)) {
            String prefix = name.substring(0, cut);
            long parseObject = openNamed(ob, prefix, null);
            if (parseObject == 0) {
                continue;
            }
            try {
                ObjectType pt = ob.objectType(parseObject);
                OB_PARSE_METHOD parse = pt.procedures.ParseProcedure();
                if (parse == null) {
                    throw new ObFailure(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, routine + ": " + name + " not found ("
                            + prefix + " is a " + pt.name + ", which has no parse procedure)");
                }
                return parse(ob, parse, pt, parseObject, t, attributes, accessMode, name, name.substring(cut), routine);
            } finally {
                ob.dereference(parseObject);
            }
        }
        throw new ObFailure(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, routine + ": no object is named " + name);
    }

    private static long parse(ObjectManager ob, OB_PARSE_METHOD parse, ObjectType pt, long parseObject, ObjectType t, int attributes,
                              int accessMode, String complete, String remaining, String routine) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment completeName = unicode(arena, complete);
            MemorySegment remainingName = unicode(arena, remaining);
            MemorySegment out = arena.allocate(JAVA_LONG);
            int st;
            try {
                st = parse.call(ob.body(parseObject, 0), t == null ? MemorySegment.NULL : t.type, MemorySegment.NULL, accessMode, attributes,
                        completeName, remainingName, MemorySegment.NULL, MemorySegment.NULL, out);
            } catch (BugCheck | KernelHaltedException processed) {
                throw processed;
            } catch (RuntimeException e) {
                throw ob.core.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL,
                        ob.procAddress(pt, OBJECT_TYPE_INITIALIZER.PARSE_PROCEDURE_OFFSET), parseObject, 0,
                        "exception escaped the " + pt.name + " type's parse procedure: " + e);
            }
            if (!NtStatus.NT_SUCCESS(st)) {
                throw new ObFailure(st, routine + ": the parse procedure of " + pt.name + " failed");
            }
            long found = out.get(JAVA_LONG, 0);
            if (found == 0) {
                throw new ObFailure(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, routine + ": the parse procedure found nothing");
            }
            if (t != null && ob.objectType(found) != t) {
                ob.dereference(found);
                throw new ObFailure(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, routine + ": the parse procedure found no " + t.name);
            }
            return found;
        }
    }

    private static MemorySegment unicode(Arena arena, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_16LE);
        MemorySegment chars = arena.allocate(Math.max(2, b.length), 2);
        MemorySegment.copy(b, 0, chars, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, b.length);
        MemorySegment us = arena.allocate(UNICODE_STRING.LAYOUT);
        us.set(java.lang.foreign.ValueLayout.JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET, (short) b.length);
        us.set(java.lang.foreign.ValueLayout.JAVA_SHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) b.length);
        us.set(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET, chars.address());
        return us;
    }

    /**
     * {@code ObReferenceObjectByName(ObjectName, Attributes, AccessState, DesiredAccess, ObjectType,
     * AccessMode, ParseContext, Object)}: {@code *Object} := the referenced object. AccessMode UserMode
     * (or OBJ_FORCE_ACCESS_CHECK) needs DesiredAccess granted by the object's descriptor
     * (STATUS_ACCESS_DENIED, ...: see {@link ObSecurity}).
     */
    public static int referenceObjectByName(ObjectManager ob, MemorySegment objectName, int attributes, int desiredAccess,
                                            MemorySegment objectType, int accessMode, MemorySegment object) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ObReferenceObjectByName");
        }
        try {
            if (CallerArgs.isNull(objectName)) {
                return NtStatus.STATUS_OBJECT_NAME_INVALID;
            }
            ObjectType t = CallerArgs.isNull(objectType) ? null : type(ob, objectType, "ObReferenceObjectByName");
            String name = CallerArgs.unicodeString(ob.space, objectName.address(), "ObReferenceObjectByName");
            long body = lookup(ob, name, t, attributes, accessMode, "ObReferenceObjectByName");
            try {
                // ObpCheckObjectReference: a UserMode (or OBJ_FORCE_ACCESS_CHECK) caller must be granted DesiredAccess
                ob.security.openAccess(ob.objectType(body), body, desiredAccess, accessMode, attributes, "ObReferenceObjectByName");
            } catch (ObFailure f) {
                ob.dereference(body);
                throw f;
            }
            CallerArgs.writePointer(ob.space, object, body, "ObReferenceObjectByName", "Object");
            return NtStatus.STATUS_SUCCESS;
        } catch (ObFailure f) {
            return f.status();
        }
    }

    /** The type a POBJECT_TYPE names; STATUS_OBJECT_TYPE_MISMATCH (via ObFailure) for a pointer that is no type. */
    static ObjectType type(ObjectManager ob, MemorySegment objectType, String routine) {
        if (CallerArgs.isNull(objectType)) {
            return null;
        }
        ObjectType t = ob.typeAt(objectType.address());
        if (t == null) {
            throw new ObFailure(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, routine + ": 0x" + Long.toHexString(objectType.address())
                    + " is no object type of this kernel");
        }
        return t;
    }

    /** {@code ObMakeTemporaryObject(Object)}: see {@link ObjectManager#makeTemporary}. IRQL PASSIVE_LEVEL. */
    public static void makeTemporaryObject(ObjectManager ob, MemorySegment object) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ObMakeTemporaryObject");
        }
        if (CallerArgs.isNull(object)) {
            throw new IllegalArgumentException("ObMakeTemporaryObject: Object is NULL");
        }
        ob.makeTemporary(object.address());
    }

    /**
     * {@code ZwMakeTemporaryObject(Handle)}: the object the handle names made temporary; the handle
     * lookup's statuses (KernelMode: any access). IRQL PASSIVE_LEVEL.
     */
    public static int makeTemporaryObject(ObjectManager ob, long handle) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ZwMakeTemporaryObject");
        }
        long body = ob.referenceByHandle(handle, 0, null, ObjectManager.KernelMode, null);
        if (body < 0) {
            return (int) body;
        }
        try {
            ob.makeTemporary(body);
        } finally {
            ob.dereference(body);
        }
        return NtStatus.STATUS_SUCCESS;
    }

    // ===== references =====

    /**
     * {@code ObReferenceObjectByHandle(Handle, DesiredAccess, ObjectType, AccessMode, Object,
     * HandleInformation)}. IRQL ≤ APC_LEVEL.
     */
    public static int referenceObjectByHandle(ObjectManager ob, long handle, int desiredAccess, MemorySegment objectType,
                                              int accessMode, MemorySegment object, MemorySegment handleInformation, long[] scratch) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, "ObReferenceObjectByHandle");
        }
        if (CallerArgs.isNull(object)) {
            throw new IllegalArgumentException("ObReferenceObjectByHandle: Object is NULL");
        }
        MemorySegment out = CallerArgs.bounded(ob.space, object, 8);
        out.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, 0L); // *Object = NULL on every failure
        ObjectType t;
        try {
            t = type(ob, objectType, "ObReferenceObjectByHandle");
        } catch (ObFailure f) {
            return f.status();
        }
        boolean wantInfo = !CallerArgs.isNull(handleInformation);
        long body = ob.referenceByHandle(handle, desiredAccess, t, accessMode, wantInfo ? scratch : null);
        if (body < 0) {
            return (int) body;
        }
        out.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, body);
        if (wantInfo) {
            MemorySegment hi = CallerArgs.bounded(ob.space, handleInformation, OBJECT_HANDLE_INFORMATION.X64.size());
            hi.set(JAVA_INT_UNALIGNED, OBJECT_HANDLE_INFORMATION.HANDLE_ATTRIBUTES_OFFSET, (int) (scratch[0] >>> 32));
            hi.set(JAVA_INT_UNALIGNED, OBJECT_HANDLE_INFORMATION.GRANTED_ACCESS_OFFSET, (int) scratch[0]);
        }
        return NtStatus.STATUS_SUCCESS;
    }

    /** {@code ObReferenceObjectByPointer(Object, DesiredAccess, ObjectType, AccessMode)}. IRQL ≤ DISPATCH_LEVEL. */
    public static int referenceObjectByPointer(ObjectManager ob, MemorySegment object, int desiredAccess, MemorySegment objectType,
                                               int accessMode) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, "ObReferenceObjectByPointer");
        }
        try {
            ObjectType t = type(ob, objectType, "ObReferenceObjectByPointer");
            if (t != null && ob.objectType(object.address()) != t) {
                return NtStatus.STATUS_OBJECT_TYPE_MISMATCH;
            }
            ob.reference(object.address());
            return NtStatus.STATUS_SUCCESS;
        } catch (ObFailure f) {
            return f.status();
        }
    }

    /**
     * {@code ObOpenObjectByPointer(Object, HandleAttributes, PassedAccessState, DesiredAccess,
     * ObjectType, AccessMode, Handle)}: a new handle to a referenced object (the caller keeps its
     * reference). IRQL PASSIVE_LEVEL.
     */
    public static int openObjectByPointer(ObjectManager ob, MemorySegment object, int handleAttributes, MemorySegment passedAccessState,
                                          int desiredAccess, MemorySegment objectType, int accessMode, MemorySegment handle) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ObOpenObjectByPointer");
        }
        try {
            if (CallerArgs.isNull(handle)) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
            long body = object.address();
            ObjectType t = type(ob, objectType, "ObOpenObjectByPointer");
            ObjectType actual = ob.objectType(body);
            if (t != null && actual != t) {
                return NtStatus.STATUS_OBJECT_TYPE_MISMATCH;
            }
            ob.checkAttributes(actual, handleAttributes, "ObOpenObjectByPointer");
            int access = ob.security.openAccess(actual, body, desiredAccess, accessMode, handleAttributes, "ObOpenObjectByPointer");
            long h = ob.insertHandle(actual, body, access, handleAttributes & ~ObjectAttributes.OBJ_FORCE_ACCESS_CHECK,
                    OB_OPEN_METHOD.ObOpenHandle, accessMode, false, false);
            CallerArgs.writePointer(ob.space, handle, h, "ObOpenObjectByPointer", "Handle");
            return NtStatus.STATUS_SUCCESS;
        } catch (ObFailure f) {
            return f.status();
        }
    }

    /**
     * The open NtOpenProcess and NtOpenThread end with: {@code ObOpenObjectByPointer(Object,
     * ObjectAttributes->Attributes, &AccessState, 0, type, PreviousMode, Handle)}, the access state
     * asking for {@code desiredAccess} — or, {@code privileged} (the caller holds SeDebugPrivilege),
     * holding it as already granted (MAXIMUM_ALLOWED: every valid right), so no access check runs.
     * From user mode OBJ_KERNEL_HANDLE is ignored. The caller keeps its reference on the object.
     * STATUS_INVALID_PARAMETER (bad attributes), the access check's statuses, STATUS_INSUFFICIENT_RESOURCES.
     */
    public static int openForService(ObjectManager ob, long body, int attributes, int desiredAccess, boolean privileged, ObjectType t,
                                     int mode, MemorySegment handle, String routine) {
        try {
            int a = mode == ObjectManager.KernelMode ? attributes : attributes & ~ObjectAttributes.OBJ_KERNEL_HANDLE;
            ob.checkAttributes(t, a, routine);
            int access = ob.security.openAccess(t, body, desiredAccess, mode, a, privileged, routine);
            long h = ob.insertHandle(t, body, access, a & ~ObjectAttributes.OBJ_FORCE_ACCESS_CHECK, OB_OPEN_METHOD.ObOpenHandle, mode,
                    false, false);
            CallerArgs.writePointer(ob.space, handle, h, routine, "Handle");
            return NtStatus.STATUS_SUCCESS;
        } catch (ObFailure f) {
            return f.status();
        }
    }

    // ===== handles =====

    /** {@code NtClose(Handle)} with the given previous mode ({@code ZwClose}: KernelMode). IRQL PASSIVE_LEVEL. */
    public static int close(ObjectManager ob, long handle, int previousMode, String routine) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, routine);
        }
        return ob.close(handle, previousMode);
    }

    /**
     * {@code ZwDuplicateObject(SourceProcessHandle, SourceHandle, TargetProcessHandle, TargetHandle,
     * DesiredAccess, HandleAttributes, Options)}: SourceHandle is looked up in the source process's
     * table and the copy entered in the target process's (OBJ_KERNEL_HANDLE: the system table); each
     * process handle is NtCurrentProcess() (the process the caller runs in) or a handle to a process
     * with PROCESS_DUP_HANDLE (the lookup's statuses; STATUS_PROCESS_IS_TERMINATING for a process that
     * has ended). TargetHandle may be NULL only to close the source (DUPLICATE_CLOSE_SOURCE). IRQL PASSIVE_LEVEL.
     */
    public static int duplicate(ObjectManager ob, long sourceProcess, long sourceHandle, long targetProcess, MemorySegment targetHandle,
                                int desiredAccess, int handleAttributes, int options) {
        return duplicate(ob, sourceProcess, sourceHandle, targetProcess, targetHandle, desiredAccess, handleAttributes, options,
                ObjectManager.KernelMode, "ZwDuplicateObject");
    }

    /**
     * {@code NtDuplicateObject} / {@code ZwDuplicateObject} for a caller whose previous mode is
     * {@code mode}: a UserMode caller looks its handles up as user mode does (kernel handles are
     * invisible to it, OBJ_KERNEL_HANDLE is dropped) and, asking for rights beyond the source
     * handle's, gets what the access check grants against the object's descriptor (ObDuplicateObject's
     * access state: STATUS_ACCESS_DENIED, ...).
     */
    public static int duplicate(ObjectManager ob, long sourceProcess, long sourceHandle, long targetProcess, MemorySegment targetHandle,
                                int desiredAccess, int handleAttributes, int options, int mode, String routine) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, routine);
        }
        if (mode != ObjectManager.KernelMode) {
            handleAttributes &= ~ObjectAttributes.OBJ_KERNEL_HANDLE;
        }
        HandleTable source;
        HandleTable target;
        try {
            source = processTable(ob, sourceProcess, mode);
            target = processTable(ob, targetProcess, mode);
        } catch (ObFailure f) {
            return f.status();
        }
        int knownOptions = ObjectAttributes.DUPLICATE_CLOSE_SOURCE | ObjectAttributes.DUPLICATE_SAME_ACCESS
                | ObjectAttributes.DUPLICATE_SAME_ATTRIBUTES;
        if ((options & ~knownOptions) != 0 || (handleAttributes & ~ObjectManager.HANDLE_ATTRIBUTES) != 0
                || (handleAttributes & (ObjectAttributes.OBJ_PERMANENT | ObjectAttributes.OBJ_EXCLUSIVE)) != 0) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        long[] info = new long[1];
        long body = source == null ? ob.referenceByHandle(sourceHandle, 0, null, mode, info)
                : ob.referenceIn(source, sourceHandle, 0, null, mode, info);
        if (body < 0) {
            return (int) body;
        }
        int status = NtStatus.STATUS_SUCCESS;
        try {
            if (CallerArgs.isNull(targetHandle)) {
                if ((options & ObjectAttributes.DUPLICATE_CLOSE_SOURCE) == 0) {
                    status = NtStatus.STATUS_INVALID_PARAMETER;
                }
                return status;
            }
            ObjectType t = ob.objectType(body);
            int access = (options & ObjectAttributes.DUPLICATE_SAME_ACCESS) != 0 ? (int) info[0] : t.mapAccess(desiredAccess);
            if ((options & ObjectAttributes.DUPLICATE_SAME_ACCESS) == 0 && (access & ~(int) info[0]) != 0) {
                try {
                    access = ob.security.openAccess(t, body, desiredAccess, mode, 0, routine); // new rights: checked (UserMode)
                } catch (ObFailure f) {
                    return status = f.status();
                }
            }
            int attributes = ((options & ObjectAttributes.DUPLICATE_SAME_ATTRIBUTES) != 0 ? (int) (info[0] >>> 32) : handleAttributes & 7)
                    | (handleAttributes & ObjectAttributes.OBJ_KERNEL_HANDLE);
            long h;
            try {
                h = ob.insertHandle(target, t, body, access, attributes, OB_OPEN_METHOD.ObDuplicateHandle, mode, true,
                        false);
            } catch (ObFailure f) {
                ob.dereference(body);
                body = 0;
                return status = f.status();
            }
            body = 0; // the reference became the new handle's
            CallerArgs.writePointer(ob.space, targetHandle, h, routine, "TargetHandle");
            return status;
        } finally {
            if (body > 0) {
                ob.dereference(body);
            }
            if ((options & ObjectAttributes.DUPLICATE_CLOSE_SOURCE) != 0) {
                int st = ob.close(source, sourceHandle, mode);
                if (st != NtStatus.STATUS_SUCCESS && status == NtStatus.STATUS_SUCCESS) {
                    // the source was closed by another thread meanwhile: the duplicate stands
                }
            }
        }
    }

    /**
     * The handle table a process handle of ZwDuplicateObject names: null for NtCurrentProcess() (the
     * current process's table, resolved per lookup), else the table of the process the handle refers to.
     *
     * @throws ObFailure the handle lookup's status, or STATUS_PROCESS_IS_TERMINATING for a process whose
     *         table has been run down
     */
    private static HandleTable processTable(ObjectManager ob, long processHandle, int mode) {
        if (processHandle == ObjectAttributes.NtCurrentProcess) {
            return null;
        }
        long body = ob.referenceByHandle(processHandle, AccessMask.PROCESS_DUP_HANDLE, ob.processType(), mode, null);
        if (body < 0) {
            throw new ObFailure((int) body, "ZwDuplicateObject: process handle 0x" + Long.toHexString(processHandle));
        }
        HandleTable table;
        try {
            table = ob.tableOfProcess(body);
        } finally {
            ob.dereference(body);
        }
        if (table == null || table.isRunDown()) {
            throw new ObFailure(NtStatus.STATUS_PROCESS_IS_TERMINATING, "ZwDuplicateObject: the process has ended");
        }
        return table;
    }

    // ===== VarHandle mechanics =====
    /** OBJECT_HEADER.HandleCount: owned by ObjectManager; this is the same handle for the namespace insert's add. */
    private static final java.lang.invoke.VarHandle LONG = JAVA_LONG.varHandle();
}
