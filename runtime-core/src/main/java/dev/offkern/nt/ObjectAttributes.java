package dev.offkern.nt;

/**
 * The OBJ_* attribute bits of {@code OBJECT_ATTRIBUTES.Attributes} and of handle attributes
 * (ntdef.h), and the DUPLICATE_* options of ZwDuplicateObject, with their Windows values.
 */
public final class ObjectAttributes {
    /** Handle attribute: ZwClose refuses the handle (STATUS_HANDLE_NOT_CLOSABLE). */
    public static final int OBJ_PROTECT_CLOSE = 0x00000001;
    /** The handle is inherited by child processes. */
    public static final int OBJ_INHERIT = 0x00000002;
    /** Audit the handle's close. */
    public static final int OBJ_AUDIT_OBJECT_CLOSE = 0x00000004;
    /** The object survives its last handle (not supported by offkern yet: STATUS_INVALID_PARAMETER). */
    public static final int OBJ_PERMANENT = 0x00000010;
    /** Only one handle may be open to the object. */
    public static final int OBJ_EXCLUSIVE = 0x00000020;
    /** Name lookups ignore case. */
    public static final int OBJ_CASE_INSENSITIVE = 0x00000040;
    /** Creating a named object that exists opens it (STATUS_OBJECT_NAME_EXISTS). */
    public static final int OBJ_OPENIF = 0x00000080;
    /** Open a symbolic link itself. */
    public static final int OBJ_OPENLINK = 0x00000100;
    /** The handle lives in the system process's table and is valid in kernel mode only. */
    public static final int OBJ_KERNEL_HANDLE = 0x00000200;
    /** Check access even for a kernel-mode caller. */
    public static final int OBJ_FORCE_ACCESS_CHECK = 0x00000400;
    /** Every attribute bit Windows defines (OBJ_VALID_ATTRIBUTES, with OBJ_IGNORE_IMPERSONATED_DEVICEMAP and OBJ_DONT_REPARSE). */
    public static final int OBJ_VALID_ATTRIBUTES = 0x00001FF2;

    /** ZwDuplicateObject option: close the source handle (even when the duplication fails). */
    public static final int DUPLICATE_CLOSE_SOURCE = 0x00000001;
    /** ZwDuplicateObject option: the new handle gets the source's granted access (DesiredAccess ignored). */
    public static final int DUPLICATE_SAME_ACCESS = 0x00000002;
    /** ZwDuplicateObject option: the new handle gets the source's attributes (HandleAttributes ignored). */
    public static final int DUPLICATE_SAME_ATTRIBUTES = 0x00000004;

    /** {@code NtCurrentProcess()}: the pseudo handle of the calling thread's process. */
    public static final long NtCurrentProcess = -1L;
    /** {@code NtCurrentThread()}: the pseudo handle of the calling thread. */
    public static final long NtCurrentThread = -2L;

    private ObjectAttributes() {
    }
}
