package dev.offkern.layout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of every structure offkern lays out, in a stable order: what {@code offkern layouts}
 * prints and what the WDK oracle checks.
 */
public final class Structures {

    private static final Map<String, Function<Abi, StructSpec>> ALL = new LinkedHashMap<>();

    static {
        // ===== Public structures (WDK headers; checked by the oracle) =====
        register("LIST_ENTRY", LIST_ENTRY::of);
        register("SINGLE_LIST_ENTRY", SINGLE_LIST_ENTRY::of);
        register("SLIST_ENTRY", SLIST_ENTRY::of);
        register("SLIST_HEADER", SLIST_HEADER::of);
        register("LARGE_INTEGER", LARGE_INTEGER::of);
        register("GUID", GUID::of);
        register("UNICODE_STRING", UNICODE_STRING::of);
        register("DISPATCHER_HEADER", DISPATCHER_HEADER::of);
        register("KEVENT", KEVENT::of);
        register("KGATE", KGATE::of);
        register("KSEMAPHORE", KSEMAPHORE::of);
        register("KTIMER", KTIMER::of);
        register("KDPC", KDPC::of);
        register("KSPIN_LOCK_QUEUE", KSPIN_LOCK_QUEUE::of);
        register("KLOCK_QUEUE_HANDLE", KLOCK_QUEUE_HANDLE::of);
        register("FAST_MUTEX", FAST_MUTEX::of);
        register("KGUARDED_MUTEX", KGUARDED_MUTEX::of);
        register("EX_RUNDOWN_REF", EX_RUNDOWN_REF::of);
        register("RTL_BITMAP", RTL_BITMAP::of);
        register("RTL_BITMAP_RUN", RTL_BITMAP_RUN::of);
        register("RTL_RUN_ONCE", RTL_RUN_ONCE::of);
        register("GENERAL_LOOKASIDE", GENERAL_LOOKASIDE::of);
        register("GENERAL_LOOKASIDE_POOL", GENERAL_LOOKASIDE_POOL::of);
        register("LOOKASIDE_LIST_EX", LOOKASIDE_LIST_EX::of);
        register("NPAGED_LOOKASIDE_LIST", NPAGED_LOOKASIDE_LIST::of);
        register("PAGED_LOOKASIDE_LIST", PAGED_LOOKASIDE_LIST::of);
        register("XSTATE_CONTEXT", XSTATE_CONTEXT::of);
        register("XSTATE_SAVE", XSTATE_SAVE::of);
        register("KFLOATING_SAVE", KFLOATING_SAVE::of);
        register("KBUGCHECK_CALLBACK_RECORD", KBUGCHECK_CALLBACK_RECORD::of);
        register("KBUGCHECK_REASON_CALLBACK_RECORD", KBUGCHECK_REASON_CALLBACK_RECORD::of);
        register("KBUGCHECK_SECONDARY_DUMP_DATA", KBUGCHECK_SECONDARY_DUMP_DATA::of);
        register("KBUGCHECK_DUMP_IO", KBUGCHECK_DUMP_IO::of);
        register("KBUGCHECK_ADD_PAGES", KBUGCHECK_ADD_PAGES::of);
        register("WORK_QUEUE_ITEM", WORK_QUEUE_ITEM::of);
        register("KDEVICE_QUEUE_ENTRY", KDEVICE_QUEUE_ENTRY::of);
        register("KAPC", KAPC::of);
        register("IO_STATUS_BLOCK", IO_STATUS_BLOCK::of);
        register("IRP", IRP::of);
        register("IO_STACK_LOCATION", IO_STACK_LOCATION::of);
        register("IO_CSQ", IO_CSQ::of);
        register("IO_CSQ_IRP_CONTEXT", IO_CSQ_IRP_CONTEXT::of);
        register("IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS::of);
        register("IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS", IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS::of);
        register("IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS", IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS::of);
        register("IO_CONNECT_INTERRUPT_PARAMETERS", IO_CONNECT_INTERRUPT_PARAMETERS::of);
        register("LUID", LUID::of);
        register("LUID_AND_ATTRIBUTES", LUID_AND_ATTRIBUTES::of);
        register("SID_IDENTIFIER_AUTHORITY", SID_IDENTIFIER_AUTHORITY::of);
        register("SID", SID::of);
        register("SID_AND_ATTRIBUTES", SID_AND_ATTRIBUTES::of);
        register("ACL", ACL::of);
        register("ACE_HEADER", ACE_HEADER::of);
        register("ACCESS_ALLOWED_ACE", ACCESS_ALLOWED_ACE::of);
        register("ACCESS_DENIED_ACE", ACCESS_DENIED_ACE::of);
        register("SECURITY_DESCRIPTOR", SECURITY_DESCRIPTOR::of);
        register("SECURITY_DESCRIPTOR_RELATIVE", SECURITY_DESCRIPTOR_RELATIVE::of);
        register("GENERIC_MAPPING", GENERIC_MAPPING::of);
        register("PRIVILEGE_SET", PRIVILEGE_SET::of);
        register("INITIAL_PRIVILEGE_SET", INITIAL_PRIVILEGE_SET::of);
        register("SECURITY_SUBJECT_CONTEXT", SECURITY_SUBJECT_CONTEXT::of);
        register("ACCESS_STATE", ACCESS_STATE::of);

        // ===== end Public structures =====

        // ===== Opaque objects (offkern's layouts at Windows 10 22H2 offsets) =====
        register("EPROCESS", EPROCESS::of);
        register("ETHREAD", ETHREAD::of);
        register("OBJECT_HEADER", OBJECT_HEADER::of);
        register("OBJECT_TYPE", OBJECT_TYPE::of);
        register("OBJECT_TYPE_INITIALIZER", OBJECT_TYPE_INITIALIZER::of);
        register("EX_TIMER", EX_TIMER::of);
        register("IO_WORKITEM", IO_WORKITEM::of);
        register("KINTERRUPT", KINTERRUPT::of);
        register("POOL_HEADER", POOL_HEADER::of);

        // ===== end Opaque objects =====
    }

    private Structures() {
    }

    private static void register(String name, Function<Abi, StructSpec> factory) {
        ALL.put(name, factory);
    }

    /** Every structure's name, in registry order. */
    public static List<String> names() {
        return List.copyOf(ALL.keySet());
    }

    /** Every structure under {@code abi}, in registry order. */
    public static List<StructSpec> all(Abi abi) {
        List<StructSpec> specs = new ArrayList<>();
        for (Function<Abi, StructSpec> f : ALL.values()) {
            specs.add(f.apply(abi));
        }
        return Collections.unmodifiableList(specs);
    }

    /** The structure called {@code name} (case-insensitive); the error lists the valid names. */
    public static StructSpec get(String name, Abi abi) {
        Function<Abi, StructSpec> f = ALL.get(name.toUpperCase(Locale.ROOT));
        if (f == null) {
            throw new IllegalArgumentException("unknown structure '" + name + "' (valid: " + String.join(", ", ALL.keySet()) + ")");
        }
        return f.apply(abi);
    }
}
