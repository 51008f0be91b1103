package dev.offkern.ddi;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.nt.ObjectTypeProcedures;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ob.ObRoutines;
import dev.offkern.runtime.ob.ObSecurityRoutines;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;

/**
 * Object-manager routines ({@code Ob*}) under their verbatim names with C parameters in C order,
 * each a thin delegation into {@code dev.offkern.runtime.ob} ({@link ObjectManager} has the
 * semantics: headers, counts, handle tables, names, the verifier's checks). A HANDLE is a
 * {@code long}; a POBJECT_TYPE a segment over the OBJECT_TYPE (what {@code *PsProcessType} and the
 * other type routines return); a PVOID object the segment or address of the body.
 */
public final class Ob {
    private Ob() {
    }

    /** KPROCESSOR_MODE KernelMode. */
    public static final int KernelMode = ObjectManager.KernelMode;
    /** KPROCESSOR_MODE UserMode. */
    public static final int UserMode = ObjectManager.UserMode;

    /**
     * {@code LONG_PTR ObReferenceObject(PVOID Object)} (ObfReferenceObject): PointerCount + 1; the
     * return value is reserved (offkern: the new count). IRQL: ≤ DISPATCH_LEVEL.
     */
    public static long ObReferenceObject(MemorySegment Object) {
        try {
            return objects().reference(Object.address());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code LONG_PTR ObDereferenceObject(PVOID Object)} (ObfDereferenceObject): PointerCount − 1; at 0
     * the type's delete procedure runs and the memory returns to its pool. Below 0:
     * REFERENCE_BY_POINTER (0x18). IRQL: ≤ DISPATCH_LEVEL.
     */
    public static long ObDereferenceObject(MemorySegment Object) {
        try {
            return objects().dereference(Object.address());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess, POBJECT_TYPE
     * ObjectType, KPROCESSOR_MODE AccessMode)}: STATUS_SUCCESS (one more reference) or
     * STATUS_OBJECT_TYPE_MISMATCH. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static int ObReferenceObjectByPointer(MemorySegment Object, int DesiredAccess, MemorySegment ObjectType, int AccessMode) {
        try {
            return ObRoutines.referenceObjectByPointer(objects(), Object, DesiredAccess, ObjectType, AccessMode);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE
     * ObjectType, KPROCESSOR_MODE AccessMode, PVOID *Object, POBJECT_HANDLE_INFORMATION
     * HandleInformation)}: STATUS_SUCCESS ({@code *Object} := the body, referenced; HandleInformation,
     * if not NULL, filled), STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED
     * (UserMode only: DesiredAccess, generic rights mapped, beyond what the handle was granted when it
     * was opened). {@code *Object} is NULL after a failure. IRQL: ≤ APC_LEVEL.
     */
    public static int ObReferenceObjectByHandle(long Handle, int DesiredAccess, MemorySegment ObjectType, int AccessMode,
                                                MemorySegment Object, MemorySegment HandleInformation) {
        try {
            return ObRoutines.referenceObjectByHandle(objects(), Handle, DesiredAccess, ObjectType, AccessMode, Object,
                    HandleInformation, HandleInformation == null || HandleInformation.address() == 0 ? null : new long[1]);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes, PACCESS_STATE
     * PassedAccessState, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
     * PHANDLE Handle)}: a new handle (OBJ_KERNEL_HANDLE: in the system process's table). AccessMode
     * UserMode (or OBJ_FORCE_ACCESS_CHECK) runs SeAccessCheck for the caller's subject context against
     * the object's descriptor and the handle gets what it grants (MAXIMUM_ALLOWED and generic rights
     * through the type's GENERIC_MAPPING): STATUS_ACCESS_DENIED, STATUS_PRIVILEGE_NOT_HELD; KernelMode
     * gets the rights asked for. IRQL: PASSIVE_LEVEL.
     */
    public static int ObOpenObjectByPointer(MemorySegment Object, int HandleAttributes, MemorySegment PassedAccessState,
                                            int DesiredAccess, MemorySegment ObjectType, int AccessMode, MemorySegment Handle) {
        try {
            return ObRoutines.openObjectByPointer(objects(), Object, HandleAttributes, PassedAccessState, DesiredAccess, ObjectType,
                    AccessMode, Handle);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code POBJECT_TYPE ObGetObjectType(PVOID Object)}: the object's type. IRQL: any. */
    public static MemorySegment ObGetObjectType(MemorySegment Object) {
        try {
            return objects().objectType(Object.address()).segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ObReferenceObjectByName(PUNICODE_STRING ObjectName, ULONG Attributes,
     * PACCESS_STATE AccessState, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE
     * AccessMode, PVOID ParseContext, PVOID *Object)}: the named object, referenced (through its
     * prefix's parse procedure when the name continues inside an object). AccessMode UserMode (or
     * OBJ_FORCE_ACCESS_CHECK) needs DesiredAccess granted by the object's security descriptor:
     * STATUS_ACCESS_DENIED, STATUS_PRIVILEGE_NOT_HELD. IRQL: PASSIVE_LEVEL.
     */
    public static int ObReferenceObjectByName(MemorySegment ObjectName, int Attributes, MemorySegment AccessState, int DesiredAccess,
                                              MemorySegment ObjectType, int AccessMode, MemorySegment ParseContext, MemorySegment Object) {
        try {
            return ObRoutines.referenceObjectByName(objects(), ObjectName, Attributes, DesiredAccess, ObjectType, AccessMode, Object);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ObCreateObjectType(PUNICODE_STRING TypeName, POBJECT_TYPE_INITIALIZER
     * ObjectTypeInitializer, PSECURITY_DESCRIPTOR Reserved, POBJECT_TYPE *ObjectType)}: a new object
     * type (its procedure fields NULL or stubs of Java procedures). STATUS_OBJECT_NAME_COLLISION for a
     * type name in use; STATUS_INVALID_PARAMETER for a bad initializer. IRQL: PASSIVE_LEVEL.
     */
    public static int ObCreateObjectType(MemorySegment TypeName, MemorySegment ObjectTypeInitializer, MemorySegment Reserved,
                                         MemorySegment ObjectType) {
        return ObCreateObjectType(TypeName, ObjectTypeInitializer, Reserved, ObjectType, null);
    }

    /**
     * {@link #ObCreateObjectType(MemorySegment, MemorySegment, MemorySegment, MemorySegment)} with the
     * type's open, close, delete, parse and security procedures written in Java (their upcall stubs go
     * into the type's OBJECT_TYPE_INITIALIZER).
     */
    public static int ObCreateObjectType(MemorySegment TypeName, MemorySegment ObjectTypeInitializer, MemorySegment Reserved,
                                         MemorySegment ObjectType, ObjectTypeProcedures Procedures) {
        try {
            return ObRoutines.createObjectType(objects(), TypeName, ObjectTypeInitializer, Reserved, ObjectType, Procedures);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ObCreateObject(KPROCESSOR_MODE ProbeMode, POBJECT_TYPE ObjectType,
     * POBJECT_ATTRIBUTES ObjectAttributes, KPROCESSOR_MODE OwnershipMode, PVOID ParseContext, ULONG
     * ObjectBodySize, ULONG PagedPoolCharge, ULONG NonPagedPoolCharge, PVOID *Object)}: a zeroed body
     * of ObjectBodySize bytes after a new OBJECT_HEADER, in the type's pool under its Key, with one
     * reference. IRQL: ≤ APC_LEVEL.
     */
    public static int ObCreateObject(int ProbeMode, MemorySegment ObjectType, MemorySegment ObjectAttributes, int OwnershipMode,
                                     MemorySegment ParseContext, int ObjectBodySize, int PagedPoolCharge, int NonPagedPoolCharge,
                                     MemorySegment Object) {
        try {
            return ObRoutines.createObject(objects(), ProbeMode, ObjectType, ObjectAttributes, OwnershipMode,
                    Integer.toUnsignedLong(ObjectBodySize), Object);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ObInsertObject(PVOID Object, PACCESS_STATE PassedAccessState, ACCESS_MASK
     * DesiredAccess, ULONG ObjectPointerBias, PVOID *NewObject, PHANDLE Handle)}: names the object,
     * then enters a handle to it (the creation reference becomes the handle's); STATUS_OBJECT_NAME_EXISTS
     * (OBJ_OPENIF opened the existing object), STATUS_OBJECT_NAME_COLLISION; on failure the object is
     * deleted. IRQL: PASSIVE_LEVEL.
     */
    public static int ObInsertObject(MemorySegment Object, MemorySegment PassedAccessState, int DesiredAccess, int ObjectPointerBias,
                                     MemorySegment NewObject, MemorySegment Handle) {
        try {
            return ObRoutines.insertObject(objects(), Object, PassedAccessState, DesiredAccess, ObjectPointerBias, NewObject, Handle);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID InitializeObjectAttributes(POBJECT_ATTRIBUTES p, PUNICODE_STRING n, ULONG a, HANDLE r,
     * PSECURITY_DESCRIPTOR s)} (the ntdef.h macro): Length, RootDirectory, Attributes, ObjectName,
     * SecurityDescriptor, SecurityQualityOfService := NULL.
     *
     * @throws IllegalArgumentException if {@code p} is smaller than OBJECT_ATTRIBUTES
     */
    public static void InitializeObjectAttributes(MemorySegment p, MemorySegment n, int a, long r, MemorySegment s) {
        try {
            if (p.byteSize() < OBJECT_ATTRIBUTES.X64.size()) {
                throw new IllegalArgumentException("InitializeObjectAttributes: the segment is " + p.byteSize()
                        + " bytes; OBJECT_ATTRIBUTES needs " + OBJECT_ATTRIBUTES.X64.size());
            }
            p.set(JAVA_INT_UNALIGNED, OBJECT_ATTRIBUTES.LENGTH_OFFSET, (int) OBJECT_ATTRIBUTES.X64.size());
            p.set(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.ROOT_DIRECTORY_OFFSET, r);
            p.set(JAVA_INT_UNALIGNED, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET, a);
            p.set(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.OBJECT_NAME_OFFSET, n == null ? 0 : n.address());
            p.set(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.SECURITY_DESCRIPTOR_OFFSET, s == null ? 0 : s.address());
            p.set(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.SECURITY_QUALITY_OF_SERVICE_OFFSET, 0L);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ObGetObjectSecurity(PVOID Object, PSECURITY_DESCRIPTOR *SecurityDescriptor, PBOOLEAN
     * MemoryAllocated)}: {@code *SecurityDescriptor} := the object's self-relative descriptor (NULL if
     * it has none), referenced ({@code *MemoryAllocated} FALSE) or, for a type with its own security
     * procedure, a pool copy ({@code *MemoryAllocated} TRUE); give it back with ObReleaseObjectSecurity.
     * STATUS_SUCCESS, STATUS_INSUFFICIENT_RESOURCES, the type's security procedure's status. IRQL: PASSIVE_LEVEL.
     */
    public static int ObGetObjectSecurity(MemorySegment Object, MemorySegment SecurityDescriptor, MemorySegment MemoryAllocated) {
        try {
            return ObSecurityRoutines.getObjectSecurity(objects(), Object, SecurityDescriptor, MemoryAllocated);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID ObReleaseObjectSecurity(PSECURITY_DESCRIPTOR SecurityDescriptor, BOOLEAN MemoryAllocated)}:
     * gives back what ObGetObjectSecurity returned (NULL: nothing); a pointer it did not return is an
     * IllegalArgumentException. IRQL: PASSIVE_LEVEL.
     */
    public static void ObReleaseObjectSecurity(MemorySegment SecurityDescriptor, boolean MemoryAllocated) {
        try {
            ObSecurityRoutines.releaseObjectSecurity(objects(), SecurityDescriptor, MemoryAllocated);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ObSetSecurityObjectByPointer(PVOID Object, SECURITY_INFORMATION SecurityInformation,
     * PSECURITY_DESCRIPTOR SecurityDescriptor)}: the parts SecurityInformation names (OWNER_, GROUP_,
     * DACL_, SACL_SECURITY_INFORMATION) replaced with SecurityDescriptor's, generic rights mapped
     * (SeSetSecurityDescriptorInfo); handles opened earlier keep their access. STATUS_SUCCESS,
     * STATUS_ACCESS_VIOLATION (NULL descriptor), STATUS_NO_SECURITY_ON_OBJECT (the object has none), STATUS_INVALID_SECURITY_DESCR, STATUS_INVALID_OWNER,
     * STATUS_INVALID_PRIMARY_GROUP, STATUS_INSUFFICIENT_RESOURCES. IRQL: PASSIVE_LEVEL.
     */
    public static int ObSetSecurityObjectByPointer(MemorySegment Object, int SecurityInformation, MemorySegment SecurityDescriptor) {
        try {
            return ObSecurityRoutines.setSecurityObjectByPointer(objects(), Object, SecurityInformation, SecurityDescriptor);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** The calling thread's kernel's object manager. */
    static ObjectManager objects() {
        return Kernel.current().objects();
    }

    /**
     * {@code VOID ObMakeTemporaryObject(PVOID Object)}: an OBJ_PERMANENT object becomes temporary: its
     * name goes with its last handle (now, if it has none, and with it the name's reference, which may
     * delete the object). No effect on a temporary object. IRQL: PASSIVE_LEVEL.
     */
    public static void ObMakeTemporaryObject(MemorySegment Object) {
        try {
            ObRoutines.makeTemporaryObject(objects(), Object);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }
}
