package dev.offkern.ddi;

import dev.offkern.runtime.ob.ObEvents;
import dev.offkern.runtime.ob.ObRoutines;
import dev.offkern.runtime.ob.ObSecurityRoutines;
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
     * {@code NTSTATUS ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
     * PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess, ULONG
     * CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength)} for a device ({@code \Device\X} or
     * {@code \Device\X\rest}): a FILE_OBJECT, IRP_MJ_CREATE down the device's stack, a handle; ZwClose of its last handle
     * sends IRP_MJ_CLEANUP, its last reference's release IRP_MJ_CLOSE. STATUS_INVALID_PARAMETER, the statuses of
     * IoGetDeviceObjectPointer, the driver's. IRQL: PASSIVE_LEVEL. See {@link dev.offkern.runtime.io.IoFiles}.
     */
    public static int ZwCreateFile(MemorySegment FileHandle, int DesiredAccess, MemorySegment ObjectAttributes,
                                   MemorySegment IoStatusBlock, MemorySegment AllocationSize, int FileAttributes, int ShareAccess,
                                   int CreateDisposition, int CreateOptions, MemorySegment EaBuffer, int EaLength) {
        try {
            return dev.offkern.runtime.io.IoFiles.createFile(Io.io(), FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock,
                    AllocationSize, FileAttributes, ShareAccess, CreateDisposition, CreateOptions, EaBuffer, EaLength);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwDeviceIoControlFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
     * PIO_STATUS_BLOCK IoStatusBlock, ULONG IoControlCode, PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer,
     * ULONG OutputBufferLength)}: an IRP_MJ_DEVICE_CONTROL carrying the file object, sent to the top of its device's stack
     * (buffered as IoBuildDeviceIoControlRequest buffers); a synchronous file waits for it. STATUS_INVALID_PARAMETER,
     * STATUS_NOT_SUPPORTED (an ApcRoutine), STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_FILE_CLOSED,
     * STATUS_PENDING, the driver's. IRQL: PASSIVE_LEVEL. See {@link dev.offkern.runtime.io.IoFiles}.
     */
    public static int ZwDeviceIoControlFile(long FileHandle, long Event, MemorySegment ApcRoutine, MemorySegment ApcContext,
                                            MemorySegment IoStatusBlock, int IoControlCode, MemorySegment InputBuffer,
                                            int InputBufferLength, MemorySegment OutputBuffer, int OutputBufferLength) {
        try {
            return dev.offkern.runtime.io.IoFiles.deviceIoControlFile(Io.io(), FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock,
                    IoControlCode, InputBuffer, InputBufferLength, OutputBuffer, OutputBufferLength);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
     * PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key)}: an IRP_MJ_READ
     * carrying the file object, sent to the top of its device's stack (a DO_BUFFERED_IO device reads into a system
     * buffer copied out at completion); a synchronous file reads at its CurrentByteOffset when ByteOffset is NULL and
     * waits. STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED (an ApcRoutine), STATUS_INVALID_HANDLE,
     * STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED (no FILE_READ_DATA), STATUS_FILE_CLOSED, STATUS_PENDING, the
     * driver's (STATUS_END_OF_FILE). IRQL: PASSIVE_LEVEL. See {@link dev.offkern.runtime.io.IoFiles#transfer}.
     */
    public static int ZwReadFile(long FileHandle, long Event, MemorySegment ApcRoutine, MemorySegment ApcContext,
                                 MemorySegment IoStatusBlock, MemorySegment Buffer, int Length, MemorySegment ByteOffset,
                                 MemorySegment Key) {
        try {
            return dev.offkern.runtime.io.IoFiles.readFile(Io.io(), FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer,
                    Length, ByteOffset, Key);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
     * PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key)}: an
     * IRP_MJ_WRITE, as ZwReadFile; {-1, FILE_WRITE_TO_END_OF_FILE} (or a handle with FILE_APPEND_DATA only) writes at
     * the end of the file. STATUS_ACCESS_DENIED without FILE_WRITE_DATA or FILE_APPEND_DATA; otherwise ZwReadFile's
     * statuses. IRQL: PASSIVE_LEVEL. See {@link dev.offkern.runtime.io.IoFiles#transfer}.
     */
    public static int ZwWriteFile(long FileHandle, long Event, MemorySegment ApcRoutine, MemorySegment ApcContext,
                                  MemorySegment IoStatusBlock, MemorySegment Buffer, int Length, MemorySegment ByteOffset,
                                  MemorySegment Key) {
        try {
            return dev.offkern.runtime.io.IoFiles.writeFile(Io.io(), FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer,
                    Length, ByteOffset, Key);
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

    // ===== Object security and user-mode services (semantics: dev.offkern.runtime.ob.ObSecurity) =====

    /**
     * {@code NTSTATUS ZwQuerySecurityObject(HANDLE Handle, SECURITY_INFORMATION SecurityInformation,
     * PSECURITY_DESCRIPTOR SecurityDescriptor, ULONG Length, PULONG LengthNeeded)}: the parts of the
     * object's descriptor SecurityInformation names (OWNER_, GROUP_, DACL_, SACL_SECURITY_INFORMATION),
     * self-relative, in the caller's buffer; an object without a descriptor gives an empty one (20
     * bytes). STATUS_SUCCESS, STATUS_BUFFER_TOO_SMALL ({@code *LengthNeeded} := the size needed),
     * STATUS_ACCESS_VIOLATION (NULL LengthNeeded, or NULL buffer with enough Length), the handle
     * lookup's statuses. Previous mode KernelMode: no handle access needed. IRQL: PASSIVE_LEVEL.
     */
    public static int ZwQuerySecurityObject(long Handle, int SecurityInformation, MemorySegment SecurityDescriptor, int Length,
                                            MemorySegment LengthNeeded) {
        try {
            return ObSecurityRoutines.querySecurityObject(Ob.objects(), Handle, SecurityInformation, SecurityDescriptor, Length,
                    LengthNeeded, ObjectManager.KernelMode, "ZwQuerySecurityObject");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS NtQuerySecurityObject(...)}: as ZwQuerySecurityObject with the calling thread's
     * previous mode: from user mode ({@code ObjectManager.callFromUserMode}) the handle needs
     * READ_CONTROL (owner, group, DACL) and ACCESS_SYSTEM_SECURITY (SACL): STATUS_ACCESS_DENIED. IRQL: PASSIVE_LEVEL.
     */
    public static int NtQuerySecurityObject(long Handle, int SecurityInformation, MemorySegment SecurityDescriptor, int Length,
                                            MemorySegment LengthNeeded) {
        try {
            ObjectManager ob = Ob.objects();
            return ObSecurityRoutines.querySecurityObject(ob, Handle, SecurityInformation, SecurityDescriptor, Length, LengthNeeded,
                    ob.previousMode(), "NtQuerySecurityObject");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwSetSecurityObject(HANDLE Handle, SECURITY_INFORMATION SecurityInformation,
     * PSECURITY_DESCRIPTOR SecurityDescriptor)}: ObSetSecurityObjectByPointer on the object the handle
     * names; the handle lookup's statuses. Previous mode KernelMode. IRQL: PASSIVE_LEVEL.
     */
    public static int ZwSetSecurityObject(long Handle, int SecurityInformation, MemorySegment SecurityDescriptor) {
        try {
            return ObSecurityRoutines.setSecurityObject(Ob.objects(), Handle, SecurityInformation, SecurityDescriptor,
                    ObjectManager.KernelMode, "ZwSetSecurityObject");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS NtSetSecurityObject(...)}: as ZwSetSecurityObject with the calling thread's previous
     * mode: from user mode the handle needs WRITE_OWNER (owner, group), WRITE_DAC (DACL),
     * ACCESS_SYSTEM_SECURITY (SACL): STATUS_ACCESS_DENIED. IRQL: PASSIVE_LEVEL.
     */
    public static int NtSetSecurityObject(long Handle, int SecurityInformation, MemorySegment SecurityDescriptor) {
        try {
            ObjectManager ob = Ob.objects();
            return ObSecurityRoutines.setSecurityObject(ob, Handle, SecurityInformation, SecurityDescriptor, ob.previousMode(),
                    "NtSetSecurityObject");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS NtOpenEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES
     * ObjectAttributes)}: as ZwOpenEvent with the calling thread's previous mode: from user mode
     * ({@code ObjectManager.callFromUserMode}) the handle gets what SeAccessCheck grants the caller's
     * subject context against the event's descriptor (STATUS_ACCESS_DENIED, STATUS_PRIVILEGE_NOT_HELD),
     * and OBJ_KERNEL_HANDLE is ignored. IRQL: PASSIVE_LEVEL.
     */
    public static int NtOpenEvent(MemorySegment EventHandle, int DesiredAccess, MemorySegment ObjectAttributes) {
        try {
            ObjectManager ob = Ob.objects();
            return ObEvents.open(ob, EventHandle, DesiredAccess, ObjectAttributes, ob.previousMode(), "NtOpenEvent");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS NtCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES
     * ObjectAttributes, EVENT_TYPE EventType, BOOLEAN InitialState)}: as ZwCreateEvent with the calling
     * thread's previous mode (from user mode: OBJ_OPENIF's open of an existing event is access-checked,
     * OBJ_KERNEL_HANDLE ignored). IRQL: PASSIVE_LEVEL.
     */
    public static int NtCreateEvent(MemorySegment EventHandle, int DesiredAccess, MemorySegment ObjectAttributes, int EventType,
                                    boolean InitialState) {
        try {
            ObjectManager ob = Ob.objects();
            return ObEvents.create(ob, EventHandle, DesiredAccess, ObjectAttributes, EventType, InitialState, ob.previousMode(),
                    "NtCreateEvent");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS NtDuplicateObject(...)}: as ZwDuplicateObject with the calling thread's previous
     * mode: from user mode kernel handles are invisible (STATUS_INVALID_HANDLE), OBJ_KERNEL_HANDLE is
     * ignored, and rights beyond the source handle's are access-checked against the object's
     * descriptor (STATUS_ACCESS_DENIED). IRQL: PASSIVE_LEVEL.
     */
    public static int NtDuplicateObject(long SourceProcessHandle, long SourceHandle, long TargetProcessHandle, MemorySegment TargetHandle,
                                        int DesiredAccess, int HandleAttributes, int Options) {
        try {
            ObjectManager ob = Ob.objects();
            return ObRoutines.duplicate(ob, SourceProcessHandle, SourceHandle, TargetProcessHandle, TargetHandle, DesiredAccess,
                    HandleAttributes, Options, ob.previousMode(), "NtDuplicateObject");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Object security and user-mode services =====

    // ===== Tokens (semantics: dev.offkern.runtime.srm.TokenManager) =====

    /**
     * {@code NTSTATUS ZwCreateToken(PHANDLE TokenHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES
     * ObjectAttributes, TOKEN_TYPE Type, PLUID AuthenticationId, PLARGE_INTEGER ExpirationTime, PTOKEN_USER
     * User, PTOKEN_GROUPS Groups, PTOKEN_PRIVILEGES Privileges, PTOKEN_OWNER Owner, PTOKEN_PRIMARY_GROUP
     * PrimaryGroup, PTOKEN_DEFAULT_DACL DefaultDacl, PTOKEN_SOURCE Source)}: a new token and a handle to
     * it. STATUS_BAD_TOKEN_TYPE; STATUS_BAD_IMPERSONATION_LEVEL (an impersonation token without a
     * SecurityQualityOfService, or a level outside 0..3); STATUS_INVALID_SID; STATUS_INVALID_GROUP_ATTRIBUTES
     * (unknown SE_GROUP_* bits, enabled and deny-only at once, user attributes other than deny-only);
     * STATUS_NO_SUCH_PRIVILEGE (a LUID outside 2..36); STATUS_INVALID_OWNER (Owner is neither the user nor
     * an SE_GROUP_OWNER group); STATUS_INVALID_PRIMARY_GROUP (neither the user nor a group);
     * STATUS_INVALID_ACL; STATUS_INVALID_PARAMETER (a NULL required pointer, a named token, a bad
     * OBJECT_ATTRIBUTES.Length); Owner and DefaultDacl may be NULL. IRQL: PASSIVE_LEVEL.
     */
    public static int ZwCreateToken(MemorySegment TokenHandle, int DesiredAccess, MemorySegment ObjectAttributes, int Type,
                                    MemorySegment AuthenticationId, MemorySegment ExpirationTime, MemorySegment User, MemorySegment Groups,
                                    MemorySegment Privileges, MemorySegment Owner, MemorySegment PrimaryGroup, MemorySegment DefaultDacl,
                                    MemorySegment Source) {
        try {
            return Se.tokens().createToken(TokenHandle, DesiredAccess, ObjectAttributes, Type, AuthenticationId, ExpirationTime, User,
                    Groups, Privileges, Owner, PrimaryGroup, DefaultDacl, Source);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwOpenProcessTokenEx(HANDLE ProcessHandle, ACCESS_MASK DesiredAccess, ULONG
     * HandleAttributes, PHANDLE TokenHandle)}: a handle to the process's primary token (NtCurrentProcess()
     * for the caller's); the handle lookup's statuses for a bad ProcessHandle. IRQL: PASSIVE_LEVEL.
     */
    public static int ZwOpenProcessTokenEx(long ProcessHandle, int DesiredAccess, int HandleAttributes, MemorySegment TokenHandle) {
        try {
            return Se.tokens().openProcessToken(ProcessHandle, DesiredAccess, HandleAttributes, TokenHandle);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }


    /**
     * {@code NTSTATUS ZwOpenThreadTokenEx(HANDLE ThreadHandle, ACCESS_MASK DesiredAccess, BOOLEAN
     * OpenAsSelf, ULONG HandleAttributes, PHANDLE TokenHandle)}: a handle to the thread's impersonation
     * token (NtCurrentThread for the caller's); STATUS_NO_TOKEN when it does not impersonate,
     * STATUS_CANT_OPEN_ANONYMOUS at SecurityAnonymous. IRQL: PASSIVE_LEVEL.
     */
    public static int ZwOpenThreadTokenEx(long ThreadHandle, int DesiredAccess, boolean OpenAsSelf, int HandleAttributes,
                                          MemorySegment TokenHandle) {
        try {
            return Se.tokens().openThreadToken(ThreadHandle, DesiredAccess, OpenAsSelf, HandleAttributes, TokenHandle);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS ZwDuplicateToken(HANDLE ExistingTokenHandle, ACCESS_MASK DesiredAccess,
     * POBJECT_ATTRIBUTES ObjectAttributes, BOOLEAN EffectiveOnly, TOKEN_TYPE TokenType, PHANDLE
     * NewTokenHandle)}: a copy of the token as TokenType, an impersonation copy at the
     * SecurityQualityOfService's level (none: SecurityAnonymous); EffectiveOnly drops the disabled groups
     * and privileges. STATUS_BAD_TOKEN_TYPE; STATUS_BAD_IMPERSONATION_LEVEL (raising an impersonation
     * token's level, or a primary copy of one below SecurityImpersonation); the handle lookup's statuses.
     * IRQL: PASSIVE_LEVEL.
     */
    public static int ZwDuplicateToken(long ExistingTokenHandle, int DesiredAccess, MemorySegment ObjectAttributes, boolean EffectiveOnly,
                                       int TokenType, MemorySegment NewTokenHandle) {
        try {
            return Se.tokens().duplicateToken(ExistingTokenHandle, DesiredAccess, ObjectAttributes, EffectiveOnly, TokenType, NewTokenHandle);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Tokens =====
}
