package dev.offkern.tests.fuzz;

import dev.offkern.nt.BugCheckCode;
import java.util.Map;
import java.util.Set;

/**
 * The routine families of the DDI surface and, per family, the bug checks its routines are documented
 * to raise: the fuzzer's table of allowed bug-check outcomes.
 *
 * <p>A bug check is allowed for a routine when its code is in {@link #COMMON} or in its family's
 * set; for BAD_POOL_CALLER (0xC2) and DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4), whose first
 * parameter is a subcode, the subcode must also be listed for the family. Sources: the bug-check
 * table of {@code spec/ddi-reference.md} §20 and the routines' javadoc (which name the codes and
 * subcodes offkern raises). {@link #BUGCHECK} allows every code: {@code KeBugCheckEx} raises the
 * code it is given.
 */
enum Family {
    POOL, SLIST, LOOKASIDE, RUNDOWN, FAST_MUTEX, GUARDED_MUTEX, REGION, SPIN_LOCK, IRQL, BUGCHECK,
    DISPATCHER, BITMAP, RUN_ONCE, PROCESSOR_STATE, DPC_TIMER, SECURITY, OBJECTS, IO, WORK_ITEMS, INTERRUPTS;

    /**
     * Codes any routine may raise: a pointer outside every mapped region (0x50), an access the
     * verifier attributes to the caller's IRQL (0x0A, 0xD1), special-pool style block-exact
     * findings (0xC1, 0xD6, and 0xD5 for a pointer into a freed block: docs/memory-checks.md),
     * corrupted links (0x139), and the IRQL-rule subcodes of 0xC4 below.
     */
    static final Set<Integer> COMMON = Set.of(
            BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA,
            BugCheckCode.IRQL_NOT_LESS_OR_EQUAL,
            BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL,
            BugCheckCode.SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION,
            BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION,
            BugCheckCode.DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
            BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE);

    /**
     * 0xC4 subcodes any routine may raise: 0xE5 (an API called at the wrong IRQL); 0x30/0x31 (the
     * IRQL a routine raises to or lowers back to is invalid: a corrupted saved OldIrql).
     */
    private static final Set<Long> COMMON_C4 = Set.of(0xE5L, 0x30L, 0x31L);

    private static final Set<Long> POOL_C2 = Set.of(0x00L, 0x01L, 0x02L, 0x04L, 0x06L, 0x07L, 0x08L, 0x09L,
            0x0AL, 0x40L, 0x41L, 0x42L, 0x43L, 0x44L, 0x46L, 0x47L, 0x48L, 0x50L, 0x99L, 0x9AL, 0x9BL, 0x9CL,
            0x9DL, 0x41286L);
    private static final Set<Long> POOL_C4 = Set.of(0x00L, 0x01L, 0x02L, 0x10L, 0x11L, 0x12L, 0x13L, 0x14L, 0x16L);
    private static final Set<Long> LOCK_C4 = Set.of(0x32L, 0x35L, 0x36L, 0x40L, 0x41L, 0x42L,
            0x1000L, 0x1001L, 0x1002L, 0x1003L, 0x1004L, 0x1005L, 0x1006L, 0x1007L, 0x1008L, 0x1009L, 0x100AL, 0x100BL);
    private static final Set<Long> MUTEX_C4 = Set.of(0x33L, 0x34L, 0x39L, 0x3AL,
            0x1000L, 0x1001L, 0x1002L, 0x1003L, 0x1004L, 0x1005L, 0x1006L, 0x1007L, 0x1008L, 0x1009L, 0x100AL, 0x100BL);

    private static final Set<Long> IO_C4 = union(LOCK_C4, POOL_C4);

    private static Set<Long> union(Set<Long> a, Set<Long> b) {
        java.util.HashSet<Long> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return Set.copyOf(u);
    }

    /** The codes documented for this family beyond {@link #COMMON}. */
    Set<Integer> codes() {
        return switch (this) {
            // 0xC7: freeing a block that holds a set timer or a queued DPC (verifier, docs/timers.md).
            // 0xE4/0: freeing a block that holds a queued work item (verifier, docs/work-items.md).
            case POOL -> Set.of(BugCheckCode.BAD_POOL_CALLER, BugCheckCode.BAD_POOL_HEADER,
                    BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, BugCheckCode.DRIVER_CORRUPTED_EXPOOL,
                    BugCheckCode.TIMER_OR_DPC_INVALID, BugCheckCode.WORKER_INVALID);
            // ExWorkItem / IoWorkItem javadoc: an item queued twice, a queue type or routine that is none, a
            // queued item freed, an invalid I/O object (0xE4); a corrupt queue (0x96); the object references of
            // I/O work items (0x18, 0xC4/0x3F); IoFreeWorkItem frees pool (0xC2, 0x19).
            case WORK_ITEMS -> Set.of(BugCheckCode.WORKER_INVALID, BugCheckCode.INVALID_WORK_QUEUE_ITEM,
                    BugCheckCode.WORKER_THREAD_RETURNED_AT_BAD_IRQL, BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED,
                    BugCheckCode.ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY, BugCheckCode.REFERENCE_BY_POINTER,
                    BugCheckCode.BAD_POOL_CALLER, BugCheckCode.BAD_POOL_HEADER, BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION);
            case SLIST -> Set.of(BugCheckCode.BAD_POOL_HEADER);
            case LOOKASIDE -> Set.of(BugCheckCode.BAD_POOL_CALLER, BugCheckCode.BAD_POOL_HEADER,
                    BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, BugCheckCode.DRIVER_CORRUPTED_EXPOOL,
                    BugCheckCode.TIMER_OR_DPC_INVALID);
            case RUNDOWN -> Set.of(BugCheckCode.BAD_POOL_CALLER, BugCheckCode.BAD_POOL_HEADER,
                    BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION);
            case FAST_MUTEX, GUARDED_MUTEX -> Set.of(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION,
                    BugCheckCode.APC_INDEX_MISMATCH, BugCheckCode.THREAD_NOT_MUTEX_OWNER,
                    BugCheckCode.MUTEX_LEVEL_NUMBER_VIOLATION);
            case REGION -> Set.of(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, BugCheckCode.APC_INDEX_MISMATCH);
            case SPIN_LOCK -> Set.of(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION,
                    BugCheckCode.SPIN_LOCK_ALREADY_OWNED, BugCheckCode.SPIN_LOCK_NOT_OWNED,
                    BugCheckCode.IRQL_UNEXPECTED_VALUE);
            case IRQL -> Set.of(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL,
                    BugCheckCode.SPIN_LOCK_ALREADY_OWNED);
            case BUGCHECK -> Set.of();
            case DISPATCHER -> Set.of(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION,
                    BugCheckCode.MAXIMUM_WAIT_OBJECTS_EXCEEDED, BugCheckCode.ATTEMPTED_SWITCH_FROM_DPC);
            case BITMAP -> Set.of();
            // RtlFreeUnicodeString frees a pool block: a Buffer that is no pool block is BAD_POOL_CALLER/HEADER.
            // A raw pointer into freed special pool (0xD5: the verifier's block-exact check of SIDs and string buffers).
            case SECURITY -> Set.of(BugCheckCode.BAD_POOL_CALLER, BugCheckCode.BAD_POOL_HEADER,
                    BugCheckCode.DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL);
            case RUN_ONCE -> Set.of(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION);
            // The XSAVE area is a pool block the restore frees: a corrupted XSTATE_SAVE can make that free fail.
            // KeDpc/KeTimer javadoc: bad processor, re-initialized while queued/set, APC count changed (0xC7);
            // a routine returning at another IRQL (0xC8); an exception escaping it (0x1E); a routine
            // pointer into data (0xFC); the DPC routine's own IRQL violations (0xC4 0x31, common).
            case DPC_TIMER -> Set.of(BugCheckCode.TIMER_OR_DPC_INVALID, BugCheckCode.IRQL_UNEXPECTED_VALUE,
                    BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, BugCheckCode.ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY,
                    BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION);
            // ObjectManager / ObRoutines javadoc: a dead or non-object pointer (0x18), an invalid or protected
            // kernel handle under the verifier (0x93), an exception escaping a type procedure (0x1E), a
            // reference at count 0 (0xC4/0x3F); the Zw wait path's dispatcher codes.
            // BAD_POOL_CALLER: an object's pool allocation or free at a raised IRQL (the built-in types are
            // created on first use; a paged-pool type's object deleted above APC_LEVEL).
            // PsCreateSystemThread: a StartRoutine pointing into kernel data (0xFC; unmapped: 0x50, common).
            // KeStackAttachProcess / KeUnstackDetachProcess: an attach in a DPC routine or a system thread ending
            // attached (0x5), a detach without its attach (0x6).
            // BAD_POOL_HEADER: an object routine that drops the last reference frees the object's block
            // (ObDereferenceObject, ZwClose; every Ps routine reaps the ETHREADs of ended Java threads), and
            // the pool's free check refuses a header a stale pointer rewrote (fuzz: seed 0x7b05f5acc3da1542,
            // epoch 31: a FREED pointer used as an SLIST header pushed onto the ETHREAD's POOL_HEADER).
            case OBJECTS -> Set.of(BugCheckCode.REFERENCE_BY_POINTER, BugCheckCode.INVALID_KERNEL_HANDLE, BugCheckCode.BAD_POOL_CALLER,
                    BugCheckCode.BAD_POOL_HEADER,
                    BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION,
                    BugCheckCode.MAXIMUM_WAIT_OBJECTS_EXCEEDED, BugCheckCode.ATTEMPTED_SWITCH_FROM_DPC,
                    BugCheckCode.ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY,
                    BugCheckCode.INVALID_PROCESS_ATTACH_ATTEMPT, BugCheckCode.INVALID_PROCESS_DETACH_ATTEMPT);
            // KeInterrupt / IoInterrupts javadoc: an exception escaping an ISR (0x1E), a routine pointer into data
            // (0xFC), an ISR returning at another IRQL (0xC8), the interrupt lock's IRQL and ownership rules
            // (0x09 from the raise to SynchronizeIrql, 0x0F, 0x10, 0xC4 lock subcodes); connection allocates and
            // frees pool (0xC2, 0x19); IoRequestDpc is KeInsertQueueDpc (0xC7).
            case INTERRUPTS -> Set.of(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, BugCheckCode.ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY,
                    BugCheckCode.IRQL_UNEXPECTED_VALUE, BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, BugCheckCode.SPIN_LOCK_ALREADY_OWNED,
                    BugCheckCode.SPIN_LOCK_NOT_OWNED, BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, BugCheckCode.BAD_POOL_CALLER,
                    BugCheckCode.BAD_POOL_HEADER, BugCheckCode.TIMER_OR_DPC_INVALID);
            // runtime.io javadoc: no stack location left (0x35), an IRP completed or freed twice (0x44), the I/O
            // verifier's violations (0xC9), a routine pointer into data (0xFC) or an exception escaping a driver
            // routine (0x1E); objects (0x18: a deleted device or driver); the pool's free checks (IoFreeIrp and the
            // system buffers free pool blocks); the IRQL rules of the driver routines they call (0xC4, 0xC8);
            // the cancel spin lock's and a test queue lock's checks.
            // IoDeleteDriver: a driver unloading with a timer, DPC, work item or interrupt pending (0xCE); the
            // File routines (IoGetDeviceObjectPointer, ZwCreateFile, ZwDeviceIoControlFile, ZwReadFile, ZwWriteFile) reference handles and
            // objects as the object manager does (0x93 for a closed kernel handle under the verifier).
            case IO -> Set.of(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
                    BugCheckCode.NO_MORE_IRP_STACK_LOCATIONS, BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS,
                    BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, BugCheckCode.ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY,
                    BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, BugCheckCode.REFERENCE_BY_POINTER, BugCheckCode.BAD_POOL_HEADER,
                    BugCheckCode.BAD_POOL_CALLER, BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, BugCheckCode.IRQL_UNEXPECTED_VALUE,
                    BugCheckCode.SPIN_LOCK_ALREADY_OWNED, BugCheckCode.SPIN_LOCK_NOT_OWNED, BugCheckCode.INVALID_KERNEL_HANDLE);
            case PROCESSOR_STATE -> Set.of(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE,
                    BugCheckCode.INVALID_FLOATING_POINT_STATE, BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED,
                    BugCheckCode.BAD_POOL_CALLER, BugCheckCode.BAD_POOL_HEADER);
        };
    }

    /** The 0xC4 subcodes documented for this family (beyond the IRQL-rule subcodes every family may raise). */
    private Set<Long> c4Subcodes() {
        return switch (this) {
            case POOL -> POOL_C4;
            case LOOKASIDE -> Set.of(0xCAL, 0xCBL, 0xCCL, 0xCDL, 0x00L, 0x01L, 0x02L, 0x10L, 0x11L, 0x12L, 0x13L, 0x14L, 0x16L);
            case SPIN_LOCK -> LOCK_C4;
            case FAST_MUTEX, GUARDED_MUTEX -> MUTEX_C4;
            case REGION -> Set.of(0x11AL, 0x11BL, 0x3EL);
            case IRQL -> Set.of(0x30L, 0x31L);
            case DISPATCHER -> Set.of(0x3BL, 0x120L, 0x121L, 0x122L);
            case OBJECTS -> Set.of(0x3FL, 0x3BL, 0x120L, 0x121L, 0x122L);
            case WORK_ITEMS -> Set.of(0x3FL);
            case INTERRUPTS -> LOCK_C4;
            case IO -> IO_C4;
            default -> Set.of();
        };
    }

    /**
     * Routines of a non-pool family that free a pool block of their own, so that the pool's free
     * checks (BAD_POOL_HEADER, BAD_POOL_CALLER with a pool subcode) are theirs too, as they would be
     * from ExFreePoolWithTag: ExDeleteTimer frees the EX_TIMER (docs/timers.md; a stray write
     * through a stale pointer can have corrupted its POOL_HEADER).
     */
    private static final Set<String> FREE_THEIR_BLOCK = Set.of("ExDeleteTimer");

    /** Whether a bug check {@code code} with first parameter {@code p1} is documented for {@code routine} of this family. */
    boolean documents(String routine, int code, long p1) {
        if (FREE_THEIR_BLOCK.contains(routine)
                && (code == BugCheckCode.BAD_POOL_HEADER || (code == BugCheckCode.BAD_POOL_CALLER && POOL_C2.contains(p1)))) {
            return true;
        }
        return documents(code, p1);
    }

    /** Whether a bug check {@code code} with first parameter {@code p1} is documented for a routine of this family. */
    boolean documents(int code, long p1) {
        if (this == BUGCHECK) {
            return true;
        }
        if (code == BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION) {
            // 0x2xxxx / 0x4xxxx: DDI-compliance rule ids (IRQL and lock rules), any family.
            return COMMON_C4.contains(p1) || c4Subcodes().contains(p1) || (p1 & ~0xFFFFL) == 0x20000L
                    || (p1 & ~0xFFFFL) == 0x40000L;
        }
        if (code == BugCheckCode.BAD_POOL_CALLER) {
            return codes().contains(code) && POOL_C2.contains(p1);
        }
        return COMMON.contains(code) || codes().contains(code);
    }

    /** Routine names that the name rules below would misfile. */
    private static final Map<String, Family> EXCEPTIONS = Map.of(
            "RtlFirstEntrySList", SLIST,
            "CONTAINING_RECORD", SLIST,
            "ExAllocateCacheAwareRundownProtection", RUNDOWN,
            "ExFreeCacheAwareRundownProtection", RUNDOWN,
            "RtlGetEnabledExtendedFeatures", PROCESSOR_STATE,
            "KeStackAttachProcess", OBJECTS,
            "KeUnstackDetachProcess", OBJECTS,
            "KeGetCurrentThread", OBJECTS, // the caller's ETHREAD: fuzzed with PsGetCurrentThread (ps.identity)
            "IoAcquireCancelSpinLock", SPIN_LOCK,
            "IoReleaseCancelSpinLock", SPIN_LOCK);

    /**
     * The family of a DDI routine, by its name; {@code null} for a name no rule covers (the surface
     * coverage test fails then, so a new manager must extend these rules).
     */
    static Family of(String routine) {
        Family f = EXCEPTIONS.get(routine);
        if (f != null) {
            return f;
        }
        if (routine.contains("WorkItem")) {
            return WORK_ITEMS;
        }
        if (routine.equals("ZwCreateFile") || routine.equals("ZwDeviceIoControlFile") || routine.equals("ZwReadFile")
                || routine.equals("ZwWriteFile")) {
            return IO; // they send IRPs to a driver: the I/O manager's bug checks, not the object manager's alone
        }
        if ((routine.contains("Interrupt") && !routine.startsWith("KeQuery")) || routine.equals("KeSynchronizeExecution") || routine.equals("IoRequestDpc")
                || routine.equals("IoInitializeDpcRequest")) {
            return INTERRUPTS;
        }
        if (routine.startsWith("Ob") || routine.startsWith("Zw") || routine.startsWith("Nt") || routine.startsWith("Ps")
                || routine.endsWith("ObjectType") || routine.startsWith("Se")
                || routine.equals("InitializeObjectAttributes")) {
            return OBJECTS;
        }
        if (routine.startsWith("Io")) {
            return IO;
        }
        if (routine.startsWith("RtlRunOnce")) {
            return RUN_ONCE;
        }
        if (routine.startsWith("Rtl") && (routine.contains("Sid") || routine.contains("Acl") || routine.contains("Ace")
                || routine.contains("SecurityDescriptor") || routine.contains("UnicodeString")
                || routine.contains("GenericMask") || routine.endsWith("SD") || routine.contains("Win32Error"))
                || routine.startsWith("Convert")) {
            return SECURITY;
        }
        if (routine.startsWith("Rtl")) {
            return BITMAP;
        }
        if (routine.contains("Lookaside")) {
            return LOOKASIDE;
        }
        if (routine.contains("SList")) {
            return SLIST;
        }
        if (routine.contains("Rundown")) {
            return RUNDOWN;
        }
        if (routine.startsWith("ExAllocatePool") || routine.startsWith("ExFreePool")) {
            return POOL;
        }
        if (routine.contains("FastMutex")) {
            return FAST_MUTEX;
        }
        if (routine.contains("GuardedMutex")) {
            return GUARDED_MUTEX;
        }
        if (routine.endsWith("Region")) {
            return REGION;
        }
        if (routine.contains("SpinLock")) {
            return SPIN_LOCK;
        }
        if ((routine.contains("Dpc") && !routine.contains("Irql")) || routine.contains("Timer")
                || routine.equals("KeStallExecutionProcessor")
                || (routine.startsWith("KeQuery") && (routine.contains("Time") || routine.contains("Tick")))) {
            return DPC_TIMER;
        }
        if (routine.contains("ProcessorState") || routine.contains("FloatingPointState")) {
            return PROCESSOR_STATE;
        }
        if (routine.contains("Irql") || routine.contains("Processor")) {
            return IRQL;
        }
        if (routine.contains("BugCheck") || routine.contains("CallbackRecord")) {
            return BUGCHECK;
        }
        if (routine.contains("Event") || routine.contains("Semaphore") || routine.startsWith("KeWait")
                || routine.equals("KeDelayExecutionThread")) {
            return DISPATCHER;
        }
        return null;
    }
}
