package dev.offkern.ddi;

import dev.offkern.runtime.ob.ObEvents;
import dev.offkern.runtime.ob.ObRoutines;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;

/**
 * NT's system services as kernel-mode callers use them ({@code Zw*}: previous mode KernelMode, so no
 * access check on handles) and {@code NtClose} (the calling thread's previous mode), under their
 * verbatim names with C parameters in C order; thin delegations into {@code dev.offkern.runtime.ob}.
 * A HANDLE is a {@code long}; a PHANDLE an 8-byte segment the handle is written to.
 */
public final class Zw {
    private Zw() {
    }

    /** {@code NtCurrentProcess()} / {@code ZwCurrentProcess()}: the pseudo handle (HANDLE)-1. */
    public static final long NtCurrentProcess = dev.offkern.nt.ObjectAttributes.NtCurrentProcess;

    /** {@code NtCurrentThread()} / {@code ZwCurrentThread()}: the pseudo handle (HANDLE)-2. */
    public static final long NtCurrentThread = dev.offkern.nt.ObjectAttributes.NtCurrentThread;

    /**
     * {@code NTSTATUS ZwClose(HANDLE Handle)}: STATUS_SUCCESS, STATUS_INVALID_HANDLE,
     * STATUS_HANDLE_NOT_CLOSABLE (OBJ_PROTECT_CLOSE); verifier: INVALID_KERNEL_HANDLE (0x93) for a kernel
     * handle that is not open or is protected. IRQL: PASSIVE_LEVEL.
     */
    public static int ZwClose(long Handle) {
        try {
            return ObRoutines.close(Ob.objects(), Handle, ObjectManager.KernelMode, "ZwClose");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS NtClose(HANDLE Handle)}: as ZwClose with the calling thread's previous mode: from
     * user mode ({@code ObjectManager.callFromUserMode}) a kernel handle is STATUS_INVALID_HANDLE, and
     * under the verifier INVALID_KERNEL_HANDLE (0x93: the handle, 1). IRQL: PASSIVE_LEVEL.
     */
    public static int NtClose(long Handle) {
        try {
            ObjectManager ob = Ob.objects();
            return ObRoutines.close(ob, Handle, ob.previousMode(), "NtClose");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus)}: ends a tenant
     * process (PsCreateTenantProcess) once its threads have ended — at once if none runs: its exit
     * status recorded (PsGetProcessExitStatus), notify routines told, handle table closed, removed from
     * the process list and the id table, signalled. STATUS_SUCCESS; the handle lookup's statuses
     * (NtCurrentProcess(): the process the caller runs in); STATUS_PROCESS_IS_TERMINATING if it was
     * terminated already; STATUS_ACCESS_DENIED for the System process. A system thread of the process
     * that terminates it ends at once (does not return). IRQL: PASSIVE_LEVEL.
     */
    public static int ZwTerminateProcess(long ProcessHandle, int ExitStatus) {
        try {
            return Ps.processes().terminateProcess(ProcessHandle, ExitStatus);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwDuplicateObject(HANDLE SourceProcessHandle, HANDLE SourceHandle, HANDLE
     * TargetProcessHandle, PHANDLE TargetHandle, ACCESS_MASK DesiredAccess, ULONG HandleAttributes,
     * ULONG Options)}: SourceHandle looked up in the source process's table, the copy entered in the
     * target's; each process handle is NtCurrentProcess() (the process the caller runs in) or a handle
     * to a process (a tenant, or System) with PROCESS_DUP_HANDLE (the lookup's statuses;
     * STATUS_PROCESS_IS_TERMINATING once it has ended); DUPLICATE_CLOSE_SOURCE,
     * DUPLICATE_SAME_ACCESS, DUPLICATE_SAME_ATTRIBUTES; OBJ_KERNEL_HANDLE puts the copy in the system
     * process's table. IRQL: PASSIVE_LEVEL.
     */
    public static int ZwDuplicateObject(long SourceProcessHandle, long SourceHandle, long TargetProcessHandle, MemorySegment TargetHandle,
                                        int DesiredAccess, int HandleAttributes, int Options) {
        try {
            return ObRoutines.duplicate(Ob.objects(), SourceProcessHandle, SourceHandle, TargetProcessHandle, TargetHandle, DesiredAccess,
                    HandleAttributes, Options);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES
     * ObjectAttributes, EVENT_TYPE EventType, BOOLEAN InitialState)}: a new Event object (its body a
     * KEVENT), named if ObjectAttributes names it. IRQL: PASSIVE_LEVEL.
     */
    public static int ZwCreateEvent(MemorySegment EventHandle, int DesiredAccess, MemorySegment ObjectAttributes, int EventType,
                                    boolean InitialState) {
        try {
            return ObEvents.create(Ob.objects(), EventHandle, DesiredAccess, ObjectAttributes, EventType, InitialState);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwOpenEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES
     * ObjectAttributes)}: a handle to the event ObjectAttributes names; STATUS_OBJECT_NAME_NOT_FOUND,
     * STATUS_OBJECT_TYPE_MISMATCH (the name is not an event's). IRQL: PASSIVE_LEVEL.
     */
    public static int ZwOpenEvent(MemorySegment EventHandle, int DesiredAccess, MemorySegment ObjectAttributes) {
        try {
            return ObEvents.open(Ob.objects(), EventHandle, DesiredAccess, ObjectAttributes);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS ZwSetEvent(HANDLE EventHandle, PLONG PreviousState)}. IRQL: PASSIVE_LEVEL. */
    public static int ZwSetEvent(long EventHandle, MemorySegment PreviousState) {
        try {
            return ObEvents.set(Ob.objects(), EventHandle, PreviousState);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout)}:
     * handle → object → KeWaitForSingleObject; STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_ALERTED,
     * STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH (not a dispatcher object). IRQL: PASSIVE_LEVEL.
     */
    public static int ZwWaitForSingleObject(long Handle, boolean Alertable, MemorySegment Timeout) {
        try {
            return ObEvents.waitForSingleObject(Ob.objects(), Handle, Alertable, Timeout);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwMakeTemporaryObject(HANDLE Handle)}: ObMakeTemporaryObject on the object the handle
     * names; STATUS_SUCCESS or the handle lookup's status. IRQL: PASSIVE_LEVEL.
     */
    public static int ZwMakeTemporaryObject(long Handle) {
        try {
            return ObRoutines.makeTemporaryObject(Ob.objects(), Handle);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }
}
