package dev.offkern.runtime.ob;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import dev.offkern.layout.ke.KEVENT;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.KeEvent;
import dev.offkern.runtime.ke.KeWait;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;

/**
 * Event objects through handles ({@code ZwCreateEvent}, {@code ZwOpenEvent}, {@code ZwSetEvent})
 * and the handle → object → dispatcher wait path ({@code ZwWaitForSingleObject}): an Event object's
 * body is a KEVENT, so the existing {@link KeEvent} and {@link KeWait} routines act on it. The Zw
 * routines run with previous mode KernelMode (no access check on the handle, as on Windows).
 * IRQL: PASSIVE_LEVEL (verifier, family IRQL: 0xD1). Stateless.
 */
public final class ObEvents {
    private ObEvents() {
    }

    /** {@code ZwCreateEvent(EventHandle, DesiredAccess, ObjectAttributes, EventType, InitialState)}. */
    public static int create(ObjectManager ob, MemorySegment eventHandle, int desiredAccess, MemorySegment objectAttributes,
                             int eventType, boolean initialState) {
        return create(ob, eventHandle, desiredAccess, objectAttributes, eventType, initialState, ObjectManager.KernelMode, "ZwCreateEvent");
    }

    /**
     * {@code NtCreateEvent} / {@code ZwCreateEvent} with the caller's previous mode {@code mode}: with
     * OBJ_OPENIF and the name taken, opening the existing event runs the access check for a UserMode
     * caller (or OBJ_FORCE_ACCESS_CHECK).
     */
    public static int create(ObjectManager ob, MemorySegment eventHandle, int desiredAccess, MemorySegment objectAttributes,
                             int eventType, boolean initialState, int mode, String routine) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, routine);
        }
        try {
            if (eventType != KeEvent.NotificationEvent && eventType != KeEvent.SynchronizationEvent) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
            if (CallerArgs.isNull(eventHandle)) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
            CallerArgs.Attributes a = userModeAttributes(CallerArgs.attributes(ob.space, objectAttributes, routine), mode);
            ObjectType t = ob.eventType();
            long body = ob.createObject(t, a.attributes(), KEVENT.X64.size());
            if (body == 0) {
                return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
            }
            KeEvent.initialize(ob.body(body, KEVENT.X64.size()), eventType, initialState);
            clearNew(ob, body);
            return ObRoutines.insert(ob, t, body, a, desiredAccess, 0, MemorySegment.NULL, eventHandle, false, mode, routine);
        } catch (ObFailure f) {
            return f.status();
        }
    }

    /** A UserMode caller's attributes: OBJ_KERNEL_HANDLE dropped (user mode makes no kernel handles, as on Windows). */
    static CallerArgs.Attributes userModeAttributes(CallerArgs.Attributes a, int mode) {
        if (mode == ObjectManager.KernelMode || (a.attributes() & dev.offkern.nt.ObjectAttributes.OBJ_KERNEL_HANDLE) == 0) {
            return a;
        }
        return new CallerArgs.Attributes(a.name(), a.attributes() & ~dev.offkern.nt.ObjectAttributes.OBJ_KERNEL_HANDLE, a.securityDescriptor());
    }

    private static void clearNew(ObjectManager ob, long body) {
        var r = ob.headerRegion(body);
        long off = r.offsetOf(body - ObjectManager.HEADER_SIZE) + dev.offkern.layout.ob.OBJECT_HEADER.FLAGS_OFFSET;
        r.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, off,
                (byte) (r.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, off) & ~dev.offkern.layout.ob.OBJECT_HEADER.OB_FLAG_NEW_OBJECT));
    }

    /** {@code ZwOpenEvent(EventHandle, DesiredAccess, ObjectAttributes)}: a handle to the named event. */
    public static int open(ObjectManager ob, MemorySegment eventHandle, int desiredAccess, MemorySegment objectAttributes) {
        return open(ob, eventHandle, desiredAccess, objectAttributes, ObjectManager.KernelMode, "ZwOpenEvent");
    }

    /**
     * {@code NtOpenEvent} / {@code ZwOpenEvent} with the caller's previous mode {@code mode}: a UserMode
     * caller (or OBJ_FORCE_ACCESS_CHECK) gets what the access check grants against the event's
     * descriptor (STATUS_ACCESS_DENIED, ... otherwise).
     */
    public static int open(ObjectManager ob, MemorySegment eventHandle, int desiredAccess, MemorySegment objectAttributes, int mode,
                           String routine) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, routine);
        }
        try {
            if (CallerArgs.isNull(eventHandle)) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
            CallerArgs.Attributes a = userModeAttributes(CallerArgs.attributes(ob.space, objectAttributes, routine), mode);
            if (a.name() == null) {
                return NtStatus.STATUS_OBJECT_NAME_INVALID;
            }
            ob.checkAttributes(ob.eventType(), a.attributes(), routine);
            ObjectType t = ob.eventType();
            long body = ObRoutines.lookup(ob, a.name(), t, a.attributes(), mode, routine);
            long h;
            try {
                int access = ob.security.openAccess(t, body, desiredAccess, mode, a.attributes(), routine);
                h = ob.insertHandle(t, body, access, a.attributes(), dev.offkern.nt.OB_OPEN_METHOD.ObOpenHandle, mode, true, false);
            } catch (ObFailure f) {
                ob.dereference(body);
                return f.status();
            }
            CallerArgs.writePointer(ob.space, eventHandle, h, routine, "EventHandle");
            return NtStatus.STATUS_SUCCESS;
        } catch (ObFailure f) {
            return f.status();
        }
    }

    /** {@code ZwSetEvent(EventHandle, PreviousState)}: the handle needs EVENT_MODIFY_STATE (checked for user-mode callers only). */
    public static int set(ObjectManager ob, long eventHandle, MemorySegment previousState) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ZwSetEvent");
        }
        long body = ob.referenceByHandle(eventHandle, AccessMask.EVENT_MODIFY_STATE, ob.eventType(), ObjectManager.KernelMode, null);
        if (body < 0) {
            return (int) body;
        }
        try {
            int old = KeEvent.set(ob.body(body, KEVENT.X64.size()), 0, false);
            if (!CallerArgs.isNull(previousState)) {
                CallerArgs.bounded(ob.space, previousState, 4).set(JAVA_INT_UNALIGNED, 0, old);
            }
            return NtStatus.STATUS_SUCCESS;
        } finally {
            ob.dereference(body);
        }
    }

    /**
     * {@code ZwWaitForSingleObject(Handle, Alertable, Timeout)}: the object the handle names must be a
     * dispatcher object (an event, semaphore, timer, process or thread: STATUS_OBJECT_TYPE_MISMATCH otherwise); waits
     * as KeWaitForSingleObject (UserRequest, KernelMode) with the object referenced throughout.
     */
    public static int waitForSingleObject(ObjectManager ob, long handle, boolean alertable, MemorySegment timeout) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ZwWaitForSingleObject");
        }
        long body = ob.referenceByHandle(handle, AccessMask.SYNCHRONIZE, null, ObjectManager.KernelMode, null);
        if (body < 0) {
            return (int) body;
        }
        try {
            ObjectType t = ob.objectType(body);
            if (t != ob.eventType() && t != ob.semaphoreType() && t != ob.timerType() && t != ob.processType() && t != ob.threadType()) {
                return NtStatus.STATUS_OBJECT_TYPE_MISMATCH;
            }
            return KeWait.waitForSingleObject(ob.body(body, t.bodySize), 6 /* UserRequest */, ObjectManager.KernelMode, alertable,
                    timeout == null ? MemorySegment.NULL : timeout);
        } finally {
            ob.dereference(body);
        }
    }
}
