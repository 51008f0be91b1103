package dev.offkern.runtime.ob;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.offkern.layout.se.SECURITY_DESCRIPTOR_RELATIVE;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.SeConstants;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;

/**
 * The object manager's security routines with their DDI contracts ({@code ObGetObjectSecurity},
 * {@code ObReleaseObjectSecurity}, {@code ObSetSecurityObjectByPointer}, {@code Zw/NtQuerySecurityObject},
 * {@code Zw/NtSetSecurityObject}); the semantics are {@link ObSecurity}'s. IRQL: PASSIVE_LEVEL
 * (verifier, family IRQL: 0xD1). Stateless.
 */
public final class ObSecurityRoutines {
    private ObSecurityRoutines() {
    }

    private static final int ALL_PARTS = SeConstants.OWNER_SECURITY_INFORMATION | SeConstants.GROUP_SECURITY_INFORMATION
            | SeConstants.DACL_SECURITY_INFORMATION | SeConstants.SACL_SECURITY_INFORMATION | SeConstants.LABEL_SECURITY_INFORMATION;

    /**
     * {@code ObGetObjectSecurity(Object, SecurityDescriptor, MemoryAllocated)}: {@code *SecurityDescriptor}
     * := the object's descriptor (NULL if it has none), {@code *MemoryAllocated} := whether it is a copy.
     */
    public static int getObjectSecurity(ObjectManager ob, MemorySegment object, MemorySegment securityDescriptor,
                                        MemorySegment memoryAllocated) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ObGetObjectSecurity");
        }
        String routine = "ObGetObjectSecurity";
        if (CallerArgs.isNull(object)) {
            throw new IllegalArgumentException(routine + ": Object is NULL");
        }
        if (CallerArgs.isNull(securityDescriptor) || CallerArgs.isNull(memoryAllocated)) {
            throw new IllegalArgumentException(routine + ": SecurityDescriptor and MemoryAllocated must not be NULL");
        }
        MemorySegment sdOut = CallerArgs.bounded(ob.space, securityDescriptor, 8);
        MemorySegment allocOut = CallerArgs.bounded(ob.space, memoryAllocated, 1);
        sdOut.set(JAVA_LONG_UNALIGNED, 0, 0L);
        allocOut.set(JAVA_BYTE, 0, (byte) 0);
        long body = object.address();
        ObjectType t = ob.objectType(body);
        boolean[] allocated = new boolean[1];
        long sd;
        try {
            sd = ob.security.get(t, body, allocated, routine);
        } catch (ObFailure f) {
            return f.status();
        }
        sdOut.set(JAVA_LONG_UNALIGNED, 0, sd);
        allocOut.set(JAVA_BYTE, 0, (byte) (allocated[0] ? 1 : 0));
        return NtStatus.STATUS_SUCCESS;
    }

    /** {@code ObReleaseObjectSecurity(SecurityDescriptor, MemoryAllocated)}: gives back what ObGetObjectSecurity returned (NULL: nothing). */
    public static void releaseObjectSecurity(ObjectManager ob, MemorySegment securityDescriptor, boolean memoryAllocated) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ObReleaseObjectSecurity");
        }
        ob.security.release(securityDescriptor == null ? 0 : securityDescriptor.address(), memoryAllocated);
    }

    /**
     * {@code ObSetSecurityObjectByPointer(Object, SecurityInformation, SecurityDescriptor)}: the parts
     * SecurityInformation names replaced with SecurityDescriptor's. STATUS_SUCCESS,
     * STATUS_ACCESS_VIOLATION (NULL descriptor), STATUS_NO_SECURITY_ON_OBJECT (the object has none), STATUS_INVALID_SECURITY_DESCR, STATUS_INVALID_OWNER,
     * STATUS_INVALID_PRIMARY_GROUP (a part named but absent; STATUS_INVALID_OWNER also for an owner the calling
     * thread's effective token may not assign without SeRestorePrivilege), STATUS_INSUFFICIENT_RESOURCES.
     */
    public static int setSecurityObjectByPointer(ObjectManager ob, MemorySegment object, int securityInformation,
                                                 MemorySegment securityDescriptor) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ObSetSecurityObjectByPointer");
        }
        if (CallerArgs.isNull(object)) {
            throw new IllegalArgumentException("ObSetSecurityObjectByPointer: Object is NULL");
        }
        long body = object.address();
        return set(ob, ob.objectType(body), body, securityInformation, securityDescriptor, "ObSetSecurityObjectByPointer");
    }

    private static int set(ObjectManager ob, ObjectType t, long body, int information, MemorySegment sd, String routine) {
        if (CallerArgs.isNull(sd)) {
            return NtStatus.STATUS_ACCESS_VIOLATION;
        }
        try {
            ob.security.set(t, body, information & ALL_PARTS, sd.address(), routine);
            return NtStatus.STATUS_SUCCESS;
        } catch (ObFailure f) {
            return f.status();
        }
    }

    /** SeSetSecurityAccessMask: the handle access setting {@code information}'s parts needs. */
    static int setAccess(int information) {
        int a = 0;
        if ((information & (SeConstants.OWNER_SECURITY_INFORMATION | SeConstants.GROUP_SECURITY_INFORMATION
                | SeConstants.LABEL_SECURITY_INFORMATION)) != 0) {
            a |= AccessMask.WRITE_OWNER;
        }
        if ((information & SeConstants.DACL_SECURITY_INFORMATION) != 0) {
            a |= AccessMask.WRITE_DAC;
        }
        if ((information & SeConstants.SACL_SECURITY_INFORMATION) != 0) {
            a |= AccessMask.ACCESS_SYSTEM_SECURITY;
        }
        return a;
    }

    /** SeQuerySecurityAccessMask: the handle access reading {@code information}'s parts needs. */
    static int queryAccess(int information) {
        int a = 0;
        if ((information & (SeConstants.OWNER_SECURITY_INFORMATION | SeConstants.GROUP_SECURITY_INFORMATION
                | SeConstants.DACL_SECURITY_INFORMATION | SeConstants.LABEL_SECURITY_INFORMATION)) != 0) {
            a |= AccessMask.READ_CONTROL;
        }
        if ((information & SeConstants.SACL_SECURITY_INFORMATION) != 0) {
            a |= AccessMask.ACCESS_SYSTEM_SECURITY;
        }
        return a;
    }

    /**
     * {@code NtSetSecurityObject(Handle, SecurityInformation, SecurityDescriptor)} for previous mode
     * {@code mode}: the handle needs WRITE_OWNER (owner, group), WRITE_DAC (DACL),
     * ACCESS_SYSTEM_SECURITY (SACL) when {@code mode} is UserMode; then as ObSetSecurityObjectByPointer.
     */
    public static int setSecurityObject(ObjectManager ob, long handle, int securityInformation, MemorySegment securityDescriptor,
                                        int mode, String routine) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, routine);
        }
        long body = ob.referenceByHandle(handle, setAccess(securityInformation), null, mode, null);
        if (body < 0) {
            return (int) body;
        }
        try {
            return set(ob, ob.objectType(body), body, securityInformation, securityDescriptor, routine);
        } finally {
            ob.dereference(body);
        }
    }

    /**
     * {@code NtQuerySecurityObject(Handle, SecurityInformation, SecurityDescriptor, Length, LengthNeeded)}
     * for previous mode {@code mode}: the parts SecurityInformation names, self-relative, in the
     * caller's buffer; the handle needs READ_CONTROL (owner, group, DACL) and ACCESS_SYSTEM_SECURITY
     * (SACL) when {@code mode} is UserMode. An object without a descriptor gives an empty one (20
     * bytes). STATUS_BUFFER_TOO_SMALL with {@code *LengthNeeded} when Length is short; the handle
     * lookup's statuses; STATUS_ACCESS_VIOLATION for a NULL LengthNeeded.
     */
    public static int querySecurityObject(ObjectManager ob, long handle, int securityInformation, MemorySegment securityDescriptor,
                                          int length, MemorySegment lengthNeeded, int mode, String routine) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, routine);
        }
        if (CallerArgs.isNull(lengthNeeded)) {
            return NtStatus.STATUS_ACCESS_VIOLATION;
        }
        MemorySegment needOut = CallerArgs.bounded(ob.space, lengthNeeded, 4);
        long body = ob.referenceByHandle(handle, queryAccess(securityInformation), null, mode, null);
        if (body < 0) {
            return (int) body;
        }
        try {
            ObjectType t = ob.objectType(body);
            ObjectSecurity srm = ob.security.srm();
            boolean[] allocated = new boolean[1];
            long sd = srm == null ? 0 : ob.security.get(t, body, allocated, routine);
            long selected = 0;
            try {
                selected = sd == 0 ? 0 : srm.select(sd, securityInformation & ALL_PARTS);
            } finally {
                ob.security.release(sd, allocated[0]);
            }
            try {
                long needed = selected == 0 ? SECURITY_DESCRIPTOR_RELATIVE.X64.size() : srm.length(selected);
                needOut.set(JAVA_INT_UNALIGNED, 0, (int) needed);
                if (Integer.toUnsignedLong(length) < needed) {
                    return NtStatus.STATUS_BUFFER_TOO_SMALL;
                }
                if (CallerArgs.isNull(securityDescriptor)) {
                    return NtStatus.STATUS_ACCESS_VIOLATION;
                }
                MemorySegment out = CallerArgs.bounded(ob.space, securityDescriptor, needed);
                if (selected == 0) {
                    out.asSlice(0, needed).fill((byte) 0);
                    out.set(JAVA_BYTE, SECURITY_DESCRIPTOR_RELATIVE.REVISION_OFFSET, (byte) 1);
                    out.set(JAVA_SHORT_UNALIGNED, SECURITY_DESCRIPTOR_RELATIVE.CONTROL_OFFSET,
                            (short) dev.offkern.runtime.se.RtlSecurityDescriptor.SE_SELF_RELATIVE);
                } else {
                    MemorySegment.copy(ob.space.resolve(selected, needed), 0, out, 0, needed);
                }
                return NtStatus.STATUS_SUCCESS;
            } finally {
                if (selected != 0) {
                    srm.deassign(selected);
                }
            }
        } catch (ObFailure f) {
            return f.status();
        } finally {
            ob.dereference(body);
        }
    }
}
