package dev.offkern.nt;

/**
 * NTSTATUS values used by offkern's routines, with the Windows names (ntstatus.h). An NTSTATUS is
 * an {@code int}; {@link #NT_SUCCESS} tests it as the macro does.
 */
public final class NtStatus {
    public static final int STATUS_SUCCESS = 0x00000000;
    public static final int STATUS_WAIT_0 = 0x00000000;
    public static final int STATUS_ABANDONED_WAIT_0 = 0x00000080;
    public static final int STATUS_USER_APC = 0x000000C0;
    public static final int STATUS_ALERTED = 0x00000101;
    public static final int STATUS_TIMEOUT = 0x00000102;
    public static final int STATUS_PENDING = 0x00000103;
    public static final int STATUS_NOT_FOUND = 0xC0000225;
    public static final int STATUS_UNSUCCESSFUL = 0xC0000001;
    public static final int STATUS_NOT_IMPLEMENTED = 0xC0000002;
    public static final int STATUS_INVALID_PARAMETER = 0xC000000D;
    /** An invalid client id: PsLookupProcessByProcessId / PsLookupThreadByThreadId of an id that names nothing. */
    public static final int STATUS_INVALID_CID = 0xC000000B;
    /** The process is terminating: no thread or handle may be added to it (ZwTerminateProcess ran). */
    public static final int STATUS_PROCESS_IS_TERMINATING = 0xC000010A;
    /** The routine to remove was never registered (PsRemoveCreateThreadNotifyRoutine, PsSetCreateProcessNotifyRoutine* with Remove). */
    public static final int STATUS_PROCEDURE_NOT_FOUND = 0xC000007A;
    public static final int STATUS_ACCESS_VIOLATION = 0xC0000005;
    /** An unmasked SIMD floating-point exception (#XM) with trap semantics. */
    public static final int STATUS_FLOAT_MULTIPLE_TRAPS = 0xC00002B5;
    public static final int STATUS_NO_MEMORY = 0xC0000017;
    public static final int STATUS_INSUFFICIENT_RESOURCES = 0xC000009A;
    public static final int STATUS_INVALID_PARAMETER_1 = 0xC00000EF;
    /** The tenth parameter (member) is invalid (IoConnectInterruptEx: a ProcessorEnableMask naming no processor). */
    public static final int STATUS_INVALID_PARAMETER_10 = 0xC00000F8;
    public static final int STATUS_INVALID_PARAMETER_2 = 0xC00000F0;
    public static final int STATUS_INVALID_PARAMETER_3 = 0xC00000F1;
    public static final int STATUS_INVALID_PARAMETER_4 = 0xC00000F2;
    public static final int STATUS_INVALID_PARAMETER_5 = 0xC00000F3;
    public static final int STATUS_SEMAPHORE_LIMIT_EXCEEDED = 0xC0000047;
    public static final int STATUS_MUTANT_NOT_OWNED = 0xC0000046;
    public static final int STATUS_DATATYPE_MISALIGNMENT = 0x80000002;
    public static final int STATUS_BUFFER_TOO_SMALL = 0xC0000023;
    public static final int STATUS_DELETE_PENDING = 0xC0000056;
    public static final int STATUS_CANCELLED = 0xC0000120;
    /** A completion routine keeps the IRP: IoCompleteRequest stops (IO_COMPLETION_ROUTINE_RESULT StopCompletion). */
    public static final int STATUS_MORE_PROCESSING_REQUIRED = 0xC0000016;
    /** A completion routine lets completion continue (ContinueCompletion; the same value as STATUS_SUCCESS). */
    public static final int STATUS_CONTINUE_COMPLETION = 0x00000000;
    public static final int STATUS_INVALID_DEVICE_REQUEST = 0xC0000010;
    public static final int STATUS_NOT_SUPPORTED = 0xC00000BB;
    /** A caller's buffer cannot hold the whole result (a warning: NT_SUCCESS is false). */
    public static final int STATUS_BUFFER_OVERFLOW = 0x80000005;
    public static final int STATUS_UNKNOWN_REVISION = 0xC0000058;
    public static final int STATUS_REVISION_MISMATCH = 0xC0000059;
    public static final int STATUS_INVALID_ACL = 0xC0000077;
    public static final int STATUS_INVALID_SID = 0xC0000078;
    public static final int STATUS_INVALID_SECURITY_DESCR = 0xC0000079;
    /** A security descriptor is in the other form (absolute versus self-relative) than the routine needs. */
    public static final int STATUS_BAD_DESCRIPTOR_FORMAT = 0xC00000E7;
    public static final int STATUS_ALLOTTED_SPACE_EXCEEDED = 0xC0000099;

    /** The handle is not valid in the table consulted (closed, never opened, or a kernel handle from user mode). */
    public static final int STATUS_INVALID_HANDLE = 0xC0000008;
    /** The object is not of the type the caller asked for. */
    public static final int STATUS_OBJECT_TYPE_MISMATCH = 0xC0000024;
    /** The handle's granted access does not cover the access requested. */
    public static final int STATUS_ACCESS_DENIED = 0xC0000022;
    /** The object name is malformed (not absolute, empty component, too long). */
    public static final int STATUS_OBJECT_NAME_INVALID = 0xC0000033;
    /** No object has that name. */
    public static final int STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034;
    /** An object with that name already exists. */
    public static final int STATUS_OBJECT_NAME_COLLISION = 0xC0000035;
    /** Success: OBJ_OPENIF opened an existing object of that name. */
    public static final int STATUS_OBJECT_NAME_EXISTS = 0x40000000;
    /** The handle is protected from close (OBJ_PROTECT_CLOSE). */
    public static final int STATUS_HANDLE_NOT_CLOSABLE = 0xC0000235;

    private NtStatus() {
    }

    /** {@code NT_SUCCESS(Status)}: success and informational values (the sign bit clear). */
    public static boolean NT_SUCCESS(int status) {
        return status >= 0;
    }

    /** An exception was not handled (the P1 of KMODE_EXCEPTION_NOT_HANDLED for a Java exception). */
    public static final int STATUS_UNHANDLED_EXCEPTION = 0xC0000144;

    // ===== security (tokens, access checks) =====
    /** STATUS_INVALID_INFO_CLASS: an information class the routine does not support. */
    public static final int STATUS_INVALID_INFO_CLASS = 0xC0000003;
    /** STATUS_INVALID_OWNER: the SID may not be the owner of an object (not the user nor an SE_GROUP_OWNER group). */
    public static final int STATUS_INVALID_OWNER = 0xC000005A;
    /** STATUS_INVALID_PRIMARY_GROUP: the SID may not be a primary group (not the user nor a group of the token). */
    public static final int STATUS_INVALID_PRIMARY_GROUP = 0xC000005B;
    /** STATUS_NO_SECURITY_ON_OBJECT: setting security on an object that has no security descriptor. */
    public static final int STATUS_NO_SECURITY_ON_OBJECT = 0xC00000D7;
    /** STATUS_NO_IMPERSONATION_TOKEN: an impersonation token was required. */
    public static final int STATUS_NO_IMPERSONATION_TOKEN = 0xC000005C;
    /** STATUS_NO_SUCH_PRIVILEGE: a LUID that names no privilege. */
    public static final int STATUS_NO_SUCH_PRIVILEGE = 0xC0000060;
    /** STATUS_PRIVILEGE_NOT_HELD: a required privilege is not held (or not enabled). */
    public static final int STATUS_PRIVILEGE_NOT_HELD = 0xC0000061;
    /** STATUS_NO_TOKEN: the thread is not impersonating (ZwOpenThreadTokenEx). */
    public static final int STATUS_NO_TOKEN = 0xC000007C;
    /** STATUS_INVALID_GROUP_ATTRIBUTES: SE_GROUP_* attributes that contradict each other or are unknown. */
    public static final int STATUS_INVALID_GROUP_ATTRIBUTES = 0xC00000A4;
    /** STATUS_BAD_IMPERSONATION_LEVEL: the impersonation level is out of range or too low for the request. */
    public static final int STATUS_BAD_IMPERSONATION_LEVEL = 0xC00000A5;
    /** STATUS_CANT_OPEN_ANONYMOUS: the thread impersonates at SecurityAnonymous: its token cannot be opened. */
    public static final int STATUS_CANT_OPEN_ANONYMOUS = 0xC00000A6;
    /** STATUS_BAD_TOKEN_TYPE: a TOKEN_TYPE that is neither TokenPrimary nor TokenImpersonation, or the wrong one. */
    public static final int STATUS_BAD_TOKEN_TYPE = 0xC00000A8;
    /** STATUS_GENERIC_NOT_MAPPED: an access mask still holds generic rights after the mapping. */
    public static final int STATUS_GENERIC_NOT_MAPPED = 0xC00000E6;

    /** STATUS_NO_SUCH_DEVICE: the device does not exist (or is being initialized, deleted or unloaded). */
    public static final int STATUS_NO_SUCH_DEVICE = 0xC000000E;
    /** STATUS_OBJECT_PATH_SYNTAX_BAD: the object path is malformed (or relative where it must be absolute). */
    public static final int STATUS_OBJECT_PATH_SYNTAX_BAD = 0xC000003B;
    /** STATUS_END_OF_FILE: a read at or beyond the end of the file (a driver's status, passed through). */
    public static final int STATUS_END_OF_FILE = 0xC0000011;
    /** STATUS_FILE_CLOSED: the file object's handle was closed (its IRP_MJ_CLEANUP was sent). */
    public static final int STATUS_FILE_CLOSED = 0xC0000128;
}
