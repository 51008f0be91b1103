package dev.offkern.nt;

import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;

/** Bug check (stop) codes with their Windows names, as bugcodes.h defines them. */
public final class BugCheckCode {
    public static final int IRQL_NOT_GREATER_OR_EQUAL = 0x09;
    public static final int IRQL_NOT_LESS_OR_EQUAL = 0x0A;
    public static final int NO_MORE_IRP_STACK_LOCATIONS = 0x35;
    /** An IRP was completed (IoCompleteRequest) or freed again: P1 the IRP. */
    public static final int MULTIPLE_IRP_COMPLETE_REQUESTS = 0x44;
    public static final int PAGE_FAULT_IN_NONPAGED_AREA = 0x50;
    public static final int BAD_POOL_HEADER = 0x19;
    public static final int MEMORY_MANAGEMENT = 0x1A;
    public static final int SPIN_LOCK_ALREADY_OWNED = 0x0F;
    public static final int SPIN_LOCK_NOT_OWNED = 0x10;
    public static final int DRIVER_IRQL_NOT_LESS_OR_EQUAL = 0xD1;
    public static final int BAD_POOL_CALLER = 0xC2;
    public static final int DRIVER_VERIFIER_DETECTED_VIOLATION = 0xC4;
    public static final int DRIVER_CORRUPTED_EXPOOL = 0xC5;
    public static final int DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS = 0xCE;
    public static final int MANUALLY_INITIATED_CRASH = 0xE2;
    public static final int SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION = 0xC1;
    /** A driver touched memory past the end of its pool allocation (Driver Verifier's special pool; P1 address, P2 0 read / 1 write). */
    public static final int DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION = 0xD6;
    /** A driver touched pool memory that was freed (Driver Verifier's special pool; P1 address, P2 0 read / 1 write). */
    public static final int DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL = 0xD5;
    public static final int POOL_CORRUPTION_IN_FILE_AREA = 0xDE;
    public static final int MUTEX_LEVEL_NUMBER_VIOLATION = 0x0D;
    public static final int MAXIMUM_WAIT_OBJECTS_EXCEEDED = 0x0C;
    public static final int INVALID_DATA_ACCESS_TRAP = 0x04;
    public static final int KERNEL_APC_PENDING_DURING_EXIT = 0x20;
    public static final int THREAD_NOT_MUTEX_OWNER = 0x11;
    public static final int APC_INDEX_MISMATCH = 0x01;
    public static final int KMODE_EXCEPTION_NOT_HANDLED = 0x1E;
    public static final int SYSTEM_SERVICE_EXCEPTION = 0x3B;
    public static final int ATTEMPTED_SWITCH_FROM_DPC = 0xB8;
    public static final int IRQL_UNEXPECTED_VALUE = 0xC8;
    public static final int IRQL_GT_ZERO_AT_SYSTEM_SERVICE = 0x4A;
    public static final int TIMER_OR_DPC_INVALID = 0xC7;
    /** A thread attached to a process where that is not allowed, or ended attached (P1 target/original process, P2 attached process, P3 ApcStateIndex, P4 DPC active / thread). */
    public static final int INVALID_PROCESS_ATTACH_ATTEMPT = 0x05;
    /** KeUnstackDetachProcess without a matching attach (Windows gives no parameters; offkern's: see KeUnstackDetachProcess). */
    public static final int INVALID_PROCESS_DETACH_ATTEMPT = 0x06;
    public static final int ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY = 0xFC;
    public static final int DRIVER_VERIFIER_IOMANAGER_VIOLATION = 0xC9;
    public static final int DPC_WATCHDOG_VIOLATION = 0x133;
    public static final int KERNEL_SECURITY_CHECK_FAILURE = 0x139;
    /** A thread's saved floating-point state is invalid (KeRestoreFloatingPointState). */
    public static final int INVALID_FLOATING_POINT_STATE = 0xE7;
    /** Bad parameters saving or restoring extended processor state (Ke*ExtendedProcessorState). */
    public static final int INVALID_EXTENDED_PROCESSOR_STATE = 0x131;

    /** A reference count went negative (ObDereferenceObject once too often), or a dead object was referenced: P1 the object's type, P2 the object, P3 the pointer count found, P4 the handle count. */
    public static final int REFERENCE_BY_POINTER = 0x18;
    /** An invalid or protected handle reached NtClose / a kernel-mode handle lookup: P1 the handle, P2 0 protected / 1 invalid. */
    public static final int INVALID_KERNEL_HANDLE = 0x93;

    private static final Map<Integer, String> NAMES = new HashMap<>();

    static {
        for (java.lang.reflect.Field f : BugCheckCode.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                try {
                    NAMES.putIfAbsent(f.getInt(null), f.getName());
                } catch (IllegalAccessException e) {
                    throw new ExceptionInInitializerError(e);
                }
            }
        }
    }

    private BugCheckCode() {
    }

    /** The Windows name of {@code code}, or {@code UNKNOWN_BUGCHECK_0x...}. */
    public static String name(int code) {
        String n = NAMES.get(code);
        return n != null ? n : "UNKNOWN_BUGCHECK_0x" + Integer.toHexString(code).toUpperCase(java.util.Locale.ROOT);
    }
}
