package dev.offkern.layout;

import dev.offkern.layout.ex.EX_RUNDOWN_REF;
import dev.offkern.layout.ex.EX_RUNDOWN_REF_CACHE_AWARE;
import dev.offkern.layout.ex.EX_RUNDOWN_WAIT_BLOCK;
import dev.offkern.layout.ex.EX_TIMER;
import dev.offkern.layout.ex.EXT_DELETE_PARAMETERS;
import dev.offkern.layout.ex.EXT_SET_PARAMETERS;
import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.layout.ex.GENERAL_LOOKASIDE;
import dev.offkern.layout.ex.GENERAL_LOOKASIDE_POOL;
import dev.offkern.layout.ex.LOOKASIDE_LIST_EX;
import dev.offkern.layout.ex.NPAGED_LOOKASIDE_LIST;
import dev.offkern.layout.ex.PAGED_LOOKASIDE_LIST;
import dev.offkern.layout.ex.SLIST_ENTRY;
import dev.offkern.layout.ex.SLIST_HEADER;
import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.DEVOBJ_EXTENSION;
import dev.offkern.layout.io.DRIVER_EXTENSION;
import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.layout.io.FILE_OBJECT;
import dev.offkern.layout.io.IO_CSQ;
import dev.offkern.layout.io.IO_CSQ_IRP_CONTEXT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IO_WORKITEM;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.io.WAIT_CONTEXT_BLOCK;
import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.KAPC;
import dev.offkern.layout.ke.KAPC_STATE;
import dev.offkern.layout.ke.KBUGCHECK_ADD_PAGES;
import dev.offkern.layout.ke.KBUGCHECK_CALLBACK_RECORD;
import dev.offkern.layout.ke.KBUGCHECK_DUMP_IO;
import dev.offkern.layout.ke.KBUGCHECK_REASON_CALLBACK_RECORD;
import dev.offkern.layout.ke.KBUGCHECK_SECONDARY_DUMP_DATA;
import dev.offkern.layout.ke.KDEVICE_QUEUE;
import dev.offkern.layout.ke.KDEVICE_QUEUE_ENTRY;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KDPC_DATA;
import dev.offkern.layout.ke.KDPC_LIST;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.ke.KFLOATING_SAVE;
import dev.offkern.layout.ke.KGATE;
import dev.offkern.layout.ke.KGUARDED_MUTEX;
import dev.offkern.layout.ke.KINTERRUPT;
import dev.offkern.layout.ke.KLOCK_QUEUE_HANDLE;
import dev.offkern.layout.ke.KSEMAPHORE;
import dev.offkern.layout.ke.KSPIN_LOCK_QUEUE;
import dev.offkern.layout.ke.PROCESSOR_NUMBER;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.layout.ke.KWAIT_BLOCK;
import dev.offkern.layout.ke.XSTATE_CONTEXT;
import dev.offkern.layout.ke.XSTATE_SAVE;
import dev.offkern.layout.ke.M128A;
import dev.offkern.layout.ke.XSAVE_AREA;
import dev.offkern.layout.ke.XSAVE_AREA_HEADER;
import dev.offkern.layout.ke.XSAVE_FORMAT;
import dev.offkern.layout.mm.POOL_HEADER;
import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.layout.ob.OBJECT_HANDLE_INFORMATION;
import dev.offkern.layout.ob.OBJECT_HEADER;
import dev.offkern.layout.ob.OBJECT_TYPE;
import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.layout.ps.EPROCESS;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.layout.ps.PS_CREATE_NOTIFY_INFO;
import dev.offkern.layout.rtl.GUID;
import dev.offkern.layout.rtl.LARGE_INTEGER;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.layout.rtl.RTL_BITMAP;
import dev.offkern.layout.rtl.RTL_BITMAP_RUN;
import dev.offkern.layout.rtl.RTL_RUN_ONCE;
import dev.offkern.layout.rtl.SINGLE_LIST_ENTRY;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.layout.se.ACCESS_ALLOWED_ACE;
import dev.offkern.layout.se.ACCESS_ALLOWED_CALLBACK_ACE;
import dev.offkern.layout.se.ACCESS_ALLOWED_OBJECT_ACE;
import dev.offkern.layout.se.ACCESS_DENIED_ACE;
import dev.offkern.layout.se.ACCESS_STATE;
import dev.offkern.layout.se.ACE_HEADER;
import dev.offkern.layout.se.ACL;
import dev.offkern.layout.se.GENERIC_MAPPING;
import dev.offkern.layout.se.INITIAL_PRIVILEGE_SET;
import dev.offkern.layout.se.LUID;
import dev.offkern.layout.se.LUID_AND_ATTRIBUTES;
import dev.offkern.layout.se.PRIVILEGE_SET;
import dev.offkern.layout.se.SECURITY_DESCRIPTOR;
import dev.offkern.layout.se.SYSTEM_AUDIT_ACE;
import dev.offkern.layout.se.SYSTEM_MANDATORY_LABEL_ACE;
import dev.offkern.layout.se.SECURITY_DESCRIPTOR_RELATIVE;
import dev.offkern.layout.se.SECURITY_SUBJECT_CONTEXT;
import dev.offkern.layout.se.SID;
import dev.offkern.layout.se.SID_AND_ATTRIBUTES;
import dev.offkern.layout.se.SID_IDENTIFIER_AUTHORITY;
import dev.offkern.layout.se.SECURITY_QUALITY_OF_SERVICE;
import dev.offkern.layout.se.TOKEN;
import dev.offkern.layout.se.TOKEN_DEFAULT_DACL;
import dev.offkern.layout.se.TOKEN_GROUPS;
import dev.offkern.layout.se.TOKEN_OWNER;
import dev.offkern.layout.se.TOKEN_PRIMARY_GROUP;
import dev.offkern.layout.se.TOKEN_PRIVILEGES;
import dev.offkern.layout.se.TOKEN_SOURCE;
import dev.offkern.layout.se.TOKEN_USER;

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
        register("KWAIT_BLOCK", KWAIT_BLOCK::of);
        register("KTIMER", KTIMER::of);
        register("KDPC", KDPC::of);
        register("KSPIN_LOCK_QUEUE", KSPIN_LOCK_QUEUE::of);
        register("PROCESSOR_NUMBER", PROCESSOR_NUMBER::of);
        register("KLOCK_QUEUE_HANDLE", KLOCK_QUEUE_HANDLE::of);
        register("FAST_MUTEX", FAST_MUTEX::of);
        register("KGUARDED_MUTEX", KGUARDED_MUTEX::of);
        register("EX_RUNDOWN_REF", EX_RUNDOWN_REF::of);
        register("EXT_SET_PARAMETERS", EXT_SET_PARAMETERS::of);
        register("EXT_DELETE_PARAMETERS", EXT_DELETE_PARAMETERS::of);
        register("RTL_BITMAP", RTL_BITMAP::of);
        register("RTL_BITMAP_RUN", RTL_BITMAP_RUN::of);
        register("RTL_RUN_ONCE", RTL_RUN_ONCE::of);
        register("GENERAL_LOOKASIDE", GENERAL_LOOKASIDE::of);
        register("GENERAL_LOOKASIDE_POOL", GENERAL_LOOKASIDE_POOL::of);
        register("LOOKASIDE_LIST_EX", LOOKASIDE_LIST_EX::of);
        register("NPAGED_LOOKASIDE_LIST", NPAGED_LOOKASIDE_LIST::of);
        register("PAGED_LOOKASIDE_LIST", PAGED_LOOKASIDE_LIST::of);
        register("M128A", M128A::of);
        register("XSAVE_FORMAT", XSAVE_FORMAT::of);
        register("XSAVE_AREA_HEADER", XSAVE_AREA_HEADER::of);
        register("XSAVE_AREA", XSAVE_AREA::of);
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
        register("KAPC_STATE", KAPC_STATE::of);
        register("PS_CREATE_NOTIFY_INFO", PS_CREATE_NOTIFY_INFO::of);
        register("IO_STATUS_BLOCK", IO_STATUS_BLOCK::of);
        register("IRP", IRP::of);
        register("IO_STACK_LOCATION", IO_STACK_LOCATION::of);
        register("KDEVICE_QUEUE", KDEVICE_QUEUE::of);
        register("WAIT_CONTEXT_BLOCK", WAIT_CONTEXT_BLOCK::of);
        register("DRIVER_EXTENSION", DRIVER_EXTENSION::of);
        register("DRIVER_OBJECT", DRIVER_OBJECT::of);
        register("DEVOBJ_EXTENSION", DEVOBJ_EXTENSION::of);
        register("DEVICE_OBJECT", DEVICE_OBJECT::of);
        register("FILE_OBJECT", FILE_OBJECT::of);
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
        register("SYSTEM_AUDIT_ACE", SYSTEM_AUDIT_ACE::of);
        register("SYSTEM_MANDATORY_LABEL_ACE", SYSTEM_MANDATORY_LABEL_ACE::of);
        register("ACCESS_ALLOWED_OBJECT_ACE", ACCESS_ALLOWED_OBJECT_ACE::of);
        register("ACCESS_ALLOWED_CALLBACK_ACE", ACCESS_ALLOWED_CALLBACK_ACE::of);
        register("SECURITY_DESCRIPTOR", SECURITY_DESCRIPTOR::of);
        register("SECURITY_DESCRIPTOR_RELATIVE", SECURITY_DESCRIPTOR_RELATIVE::of);
        register("GENERIC_MAPPING", GENERIC_MAPPING::of);
        register("PRIVILEGE_SET", PRIVILEGE_SET::of);
        register("INITIAL_PRIVILEGE_SET", INITIAL_PRIVILEGE_SET::of);
        register("SECURITY_SUBJECT_CONTEXT", SECURITY_SUBJECT_CONTEXT::of);
        register("ACCESS_STATE", ACCESS_STATE::of);
        register("TOKEN_USER", TOKEN_USER::of);
        register("TOKEN_GROUPS", TOKEN_GROUPS::of);
        register("TOKEN_PRIVILEGES", TOKEN_PRIVILEGES::of);
        register("TOKEN_OWNER", TOKEN_OWNER::of);
        register("TOKEN_PRIMARY_GROUP", TOKEN_PRIMARY_GROUP::of);
        register("TOKEN_DEFAULT_DACL", TOKEN_DEFAULT_DACL::of);
        register("TOKEN_SOURCE", TOKEN_SOURCE::of);
        register("SECURITY_QUALITY_OF_SERVICE", SECURITY_QUALITY_OF_SERVICE::of);
        register("OBJECT_ATTRIBUTES", OBJECT_ATTRIBUTES::of);
        register("OBJECT_HANDLE_INFORMATION", OBJECT_HANDLE_INFORMATION::of);

        // ===== end Public structures =====

        // ===== Opaque objects (offkern's layouts at Windows 10 22H2 offsets) =====
        register("EPROCESS", EPROCESS::of);
        register("ETHREAD", ETHREAD::of);
        register("TOKEN", TOKEN::of);
        register("OBJECT_HEADER", OBJECT_HEADER::of);
        register("OBJECT_TYPE", OBJECT_TYPE::of);
        register("OBJECT_TYPE_INITIALIZER", OBJECT_TYPE_INITIALIZER::of);
        register("EX_TIMER", EX_TIMER::of);
        register("IO_WORKITEM", IO_WORKITEM::of);
        register("KINTERRUPT", KINTERRUPT::of);
        register("POOL_HEADER", POOL_HEADER::of);
        register("KDPC_LIST", KDPC_LIST::of);
        register("KDPC_DATA", KDPC_DATA::of);
        register("EX_RUNDOWN_WAIT_BLOCK", EX_RUNDOWN_WAIT_BLOCK::of);
        register("EX_RUNDOWN_REF_CACHE_AWARE", EX_RUNDOWN_REF_CACHE_AWARE::of);

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
