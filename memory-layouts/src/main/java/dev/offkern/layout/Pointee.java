package dev.offkern.layout;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a pointer type points to, as the WDK headers (and Microsoft's symbols) declare it:
 * {@code PKDPC} is {@code struct _KDPC *}, {@code PKDEFERRED_ROUTINE} a routine pointer,
 * {@code PUCHAR} {@code UCHAR *}, and {@code PVOID}, {@code HANDLE}, {@code PSID},
 * {@code PACCESS_TOKEN} and {@code PSECURITY_DESCRIPTOR} are {@code void *}.
 *
 * <p>The catalogue below covers every pointer type offkern's layouts use; a pointer type it does not
 * know is {@link Kind#UNKNOWN} (rendered as {@code void *}), and memory-layouts' tests fail on any
 * registered layout that has one.
 *
 * @param kind   what kind of thing is pointed to
 * @param name   for {@link Kind#STRUCT}: the typedef name ({@code KDPC}, which may or may not be one of
 *               offkern's layouts); for {@link Kind#SCALAR}: the scalar type's name; for
 *               {@link Kind#POINTER}: the pointed-to pointer type's name; for {@link Kind#UNKNOWN}: the
 *               pointer's own name; otherwise null
 * @param scalar for {@link Kind#SCALAR}: the scalar type; otherwise null
 */
public record Pointee(Kind kind, String name, CType scalar) {

    /** What kind of thing a pointer points to. */
    public enum Kind {
        /** {@code void *}. */
        VOID,
        /** A routine. */
        FUNCTION,
        /** An integer ({@code UCHAR *}, {@code WCHAR *}, {@code KSPIN_LOCK *}). */
        SCALAR,
        /** A structure or union called {@link #name()}. */
        STRUCT,
        /** Another pointer, of type {@link #name()} ({@code PKINTERRUPT *}): see {@link #next()}. */
        POINTER,
        /** A pointer type missing from the catalogue. */
        UNKNOWN
    }

    private static final Pointee VOID = new Pointee(Kind.VOID, null, null);
    private static final Pointee FUNCTION = new Pointee(Kind.FUNCTION, null, null);
    private static final Map<String, Pointee> CATALOGUE = catalogue();

    /** What {@code pointer} points to. */
    public static Pointee of(CType pointer) {
        return of(pointer.name());
    }

    /** What the pointer type called {@code pointerName} points to ({@code X*} points to a pointer of type X). */
    public static Pointee of(String pointerName) {
        if (pointerName.endsWith("*")) {
            return new Pointee(Kind.POINTER, pointerName.substring(0, pointerName.length() - 1), null);
        }
        Pointee p = CATALOGUE.get(pointerName);
        return p != null ? p : new Pointee(Kind.UNKNOWN, pointerName, null);
    }

    /** For {@link Kind#POINTER}: what the pointed-to pointer points to. */
    public Pointee next() {
        if (kind != Kind.POINTER) {
            throw new IllegalStateException(kind + " is not a pointer to a pointer");
        }
        return of(name);
    }

    private static Map<String, Pointee> catalogue() {
        Map<String, Pointee> m = new HashMap<>();
        for (String v : List.of("PVOID", "HANDLE", "PSID", "PACCESS_TOKEN", "PSECURITY_DESCRIPTOR")) {
            m.put(v, VOID);
        }
        for (String f : List.of("fnptr", "OB_CLOSE_METHOD", "OB_DELETE_METHOD", "OB_DUMP_METHOD",
                "OB_OKAYTOCLOSE_METHOD", "OB_OPEN_METHOD", "OB_PARSE_METHOD", "OB_PARSE_METHOD_EX",
                "OB_QUERYNAME_METHOD", "OB_SECURITY_METHOD", "PALLOCATE_FUNCTION", "PALLOCATE_FUNCTION_EX",
                "PFREE_FUNCTION", "PFREE_FUNCTION_EX", "PDRIVER_CANCEL", "PEXT_CALLBACK", "PEXT_DELETE_CALLBACK",
                "PIO_APC_ROUTINE", "PIO_COMPLETION_ROUTINE", "PIO_CSQ_ACQUIRE_LOCK", "PIO_CSQ_COMPLETE_CANCELED_IRP",
                "PIO_CSQ_INSERT_IRP", "PIO_CSQ_PEEK_NEXT_IRP", "PIO_CSQ_RELEASE_LOCK", "PIO_CSQ_REMOVE_IRP",
                "PKBUGCHECK_CALLBACK_ROUTINE", "PKBUGCHECK_REASON_CALLBACK_ROUTINE", "PKDEFERRED_ROUTINE",
                "PKKERNEL_ROUTINE", "PKMESSAGE_SERVICE_ROUTINE", "PKNORMAL_ROUTINE", "PKRUNDOWN_ROUTINE",
                "PKSERVICE_ROUTINE", "PWORKER_THREAD_ROUTINE", "PDRIVER_CONTROL", "PDRIVER_ADD_DEVICE", "PDRIVER_INITIALIZE",
                "PDRIVER_STARTIO", "PDRIVER_UNLOAD", "PDRIVER_DISPATCH")) {
            m.put(f, FUNCTION);
        }
        for (CType s : List.of(CType.CHAR, CType.UCHAR, CType.ULONG, CType.WCHAR, CType.KSPIN_LOCK)) {
            String pointer = s == CType.WCHAR ? "PWSTR" : "P" + s.name();
            m.put(pointer, new Pointee(Kind.SCALAR, s.name(), s));
        }
        // struct _X * typedef'd as PX: offkern's own layouts and kernel types it does not lay out.
        for (String t : List.of("ACL", "CM_RESOURCE_LIST", "ERESOURCE", "SID_AND_ATTRIBUTES", "SEP_LOGON_SESSION_REFERENCES", "DEVICE_CAPABILITIES", "DEVICE_OBJECT", "EPROCESS",
                "ETHREAD", "FILE_GET_QUOTA_INFORMATION", "FILE_OBJECT", "GUID", "HANDLE_TABLE", "INTERFACE",
                "INTERRUPT_CONNECTION_DATA", "IO_CSQ", "IO_INTERRUPT_MESSAGE_INFO", "KINTERRUPT",
                "POOL_EXTENDED_PARAMS_SECURE_POOL", "KQUEUE", "EX_RUNDOWN_REF",
                "MAILSLOT_CREATE_PARAMETERS", "NAMED_PIPE_CREATE_PARAMETERS", "IO_RESOURCE_REQUIREMENTS_LIST", "IO_SECURITY_CONTEXT",
                "IO_STACK_LOCATION", "IO_STATUS_BLOCK", "IRP", "KDPC", "KEVENT", "KSPIN_LOCK_QUEUE", "KTHREAD", "KWAIT_BLOCK",
                "KTRAP_FRAME", "KPROCESS", "LARGE_INTEGER", "LIST_ENTRY", "MDL", "OBJECT_CREATE_INFORMATION", "PEB",
                "POWER_SEQUENCE", "SCSI_REQUEST_BLOCK", "SINGLE_LIST_ENTRY", "SLIST_ENTRY", "UNICODE_STRING",
                "VPB", "XSAVE_AREA", "XSTATE_SAVE", "DRIVER_OBJECT", "DRIVER_EXTENSION", "DEVOBJ_EXTENSION", "IO_TIMER",
                "FAST_IO_DISPATCH", "SECTION_OBJECT_POINTERS", "IO_COMPLETION_CONTEXT")) {
            m.put("P" + t, new Pointee(Kind.STRUCT, t, null));
        }
        m.put("PCUNICODE_STRING", new Pointee(Kind.STRUCT, "UNICODE_STRING", null)); // const UNICODE_STRING *
        return Map.copyOf(m);
    }
}
