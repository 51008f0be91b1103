package dev.offkern.ddi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.ke.KWAIT_BLOCK;
import dev.offkern.runtime.ke.BugCheckCallbacks;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.nt.KBUGCHECK_CALLBACK_ROUTINE;
import dev.offkern.nt.KBUGCHECK_REASON_CALLBACK_ROUTINE;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ke.KeEvent;
import dev.offkern.runtime.ke.KeExtendedState;
import dev.offkern.runtime.ke.KeFloatingState;
import dev.offkern.runtime.ke.KeGuardedMutex;
import dev.offkern.runtime.ke.KeRegion;
import dev.offkern.runtime.ke.KeQueuedSpinLock;
import dev.offkern.runtime.ke.KeSemaphore;
import dev.offkern.runtime.ke.KeWait;
import dev.offkern.runtime.ke.KeSpinLock;
import dev.offkern.layout.ke.PROCESSOR_NUMBER;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.pool.Pool;
import java.lang.foreign.MemorySegment;

/**
 * Kernel-core routines ({@code Ke*}) under their verbatim names with C parameters in C order.
 * Each is a thin delegation into {@code dev.offkern.runtime.ke}.
 */
public final class Ke {

    private Ke() {
    }

    // ===== IRQL and processors =====

    /** ALL_PROCESSOR_GROUPS for KeQueryActiveProcessorCountEx / KeQueryMaximumProcessorCountEx. */
    public static final int ALL_PROCESSOR_GROUPS = 0xFFFF;

    /** {@code KIRQL KeGetCurrentIrql(void)}. IRQL: any. */
    public static int KeGetCurrentIrql() {
        return Irql.current();
    }

    /**
     * {@code VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)}: the OldIrql is returned. IRQL: any,
     * NewIrql ≥ current (verifier: 0x09 / 0xC4-0x30, see {@link Irql}).
     */
    public static int KeRaiseIrql(int NewIrql) {
        return Irql.raise(NewIrql);
    }

    /** {@code VOID KeLowerIrql(KIRQL NewIrql)}. IRQL: any, NewIrql ≤ current (verifier: 0x0A / 0xC4-0x31). */
    public static void KeLowerIrql(int NewIrql) {
        Irql.lower(NewIrql);
    }

    /** {@code KIRQL KeRaiseIrqlToDpcLevel(void)}: raises to DISPATCH_LEVEL, returns the old IRQL. IRQL: ≤ DISPATCH_LEVEL. */
    public static int KeRaiseIrqlToDpcLevel() {
        return Irql.raise(Irql.DISPATCH_LEVEL);
    }

    /** {@code KIRQL KeRaiseIrqlToSynchLevel(void)}: raises to SYNCH_LEVEL (12 on x64), returns the old IRQL. */
    public static int KeRaiseIrqlToSynchLevel() {
        return Irql.raise(Irql.SYNCH_LEVEL);
    }

    /** {@code ULONG KeGetCurrentProcessorNumber(void)}. IRQL: any. */
    public static int KeGetCurrentProcessorNumber() {
        return ThreadState.current().processorNumber();
    }

    /**
     * {@code ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber)}: writes Group
     * (USHORT @0, always 0), Number (UCHAR @2) and Reserved (UCHAR @3, 0) when ProcNumber is not
     * NULL, and returns the system-wide processor index. IRQL: any.
     *
     * @throws IllegalArgumentException if ProcNumber is non-NULL and smaller than PROCESSOR_NUMBER (4 bytes)
     */
    public static int KeGetCurrentProcessorNumberEx(MemorySegment ProcNumber) {
        int n = ThreadState.current().processorNumber();
        if (ProcNumber != null && ProcNumber.address() != 0) {
            if (ProcNumber.byteSize() < PROCESSOR_NUMBER.LAYOUT.byteSize()) {
                throw new IllegalArgumentException("KeGetCurrentProcessorNumberEx: ProcNumber segment is "
                        + ProcNumber.byteSize() + " bytes; PROCESSOR_NUMBER needs " + PROCESSOR_NUMBER.LAYOUT.byteSize());
            }
            ProcNumber.set(JAVA_SHORT.withByteAlignment(1), PROCESSOR_NUMBER.GROUP_OFFSET, (short) 0);
            ProcNumber.set(JAVA_BYTE, PROCESSOR_NUMBER.NUMBER_OFFSET, (byte) n);
            ProcNumber.set(JAVA_BYTE, PROCESSOR_NUMBER.RESERVED_OFFSET, (byte) 0);
        }
        return n;
    }

    /**
     * {@code ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors)}: the number of
     * processors; writes the affinity mask (bit n = processor n) when ActiveProcessors is not NULL.
     * IRQL: any.
     */
    public static int KeQueryActiveProcessorCount(MemorySegment ActiveProcessors) {
        int n = kernel().processors().count();
        if (ActiveProcessors != null && ActiveProcessors.address() != 0) {
            if (ActiveProcessors.byteSize() < 8) {
                throw new IllegalArgumentException("KeQueryActiveProcessorCount: ActiveProcessors segment is "
                        + ActiveProcessors.byteSize() + " bytes; KAFFINITY needs 8");
            }
            ActiveProcessors.set(JAVA_LONG.withByteAlignment(1), 0, n == 64 ? -1L : (1L << n) - 1);
        }
        return n;
    }

    /**
     * {@code ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber)}: processors in group
     * GroupNumber (offkern has one group, 0), or in all groups for ALL_PROCESSOR_GROUPS; 0 for a
     * group that does not exist. IRQL: any.
     */
    public static int KeQueryActiveProcessorCountEx(int GroupNumber) {
        int n = kernel().processors().count();
        int g = GroupNumber & 0xFFFF;
        return g == 0 || g == ALL_PROCESSOR_GROUPS ? n : 0;
    }

    /** {@code ULONG KeQueryMaximumProcessorCount(void)}: the configured processor count (no hot-add). IRQL: any. */
    public static int KeQueryMaximumProcessorCount() {
        return kernel().processors().count();
    }

    /** {@code ULONG KeQueryMaximumProcessorCountEx(USHORT GroupNumber)}: as KeQueryActiveProcessorCountEx. */
    public static int KeQueryMaximumProcessorCountEx(int GroupNumber) {
        return KeQueryActiveProcessorCountEx(GroupNumber);
    }

    /** The calling thread's kernel core (creating the thread's state, as every Ke routine needs it). */
    private static KernelCore kernel() {
        return ThreadState.current().kernel();
    }

    // ===== end IRQL and processors =====

    // ===== Bug checks =====

    /**
     * {@code DECLSPEC_NORETURN VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1..P4)}: runs the
     * callbacks, writes the dump, then halts (throws KernelHaltedException) or throws the
     * {@link dev.offkern.nt.BugCheck}, by the kernel's policy. Never returns. IRQL: any.
     */
    public static void KeBugCheckEx(int BugCheckCode, long BugCheckParameter1, long BugCheckParameter2,
                                    long BugCheckParameter3, long BugCheckParameter4) {
        KernelCore k = kernel();
        throw k.bugCheck(BugCheckCode, BugCheckParameter1, BugCheckParameter2, BugCheckParameter3, BugCheckParameter4,
                "KeBugCheckEx");
    }

    /** {@code VOID KeBugCheck(ULONG BugCheckCode)} ≡ KeBugCheckEx(code, 0, 0, 0, 0). Never returns. */
    public static void KeBugCheck(int BugCheckCode) {
        KernelCore k = kernel();
        throw k.bugCheck(BugCheckCode, 0, 0, 0, 0, "KeBugCheck");
    }

    /**
     * {@code KeInitializeCallbackRecord(CallbackRecord)} (a macro: State := BufferEmpty) on a
     * KBUGCHECK_CALLBACK_RECORD (a segment of at least its size; smaller is IllegalArgumentException).
     * A KBUGCHECK_REASON_CALLBACK_RECORD needs no call: {@link #KeRegisterBugCheckReasonCallback}
     * initialises it. IRQL: any.
     */
    public static void KeInitializeCallbackRecord(MemorySegment CallbackRecord) {
        BugCheckCallbacks.initializeCallbackRecord(CallbackRecord);
    }

    /**
     * {@code BOOLEAN KeRegisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord,
     * PKBUGCHECK_CALLBACK_ROUTINE CallbackRoutine, PVOID Buffer, ULONG Length, PUCHAR Component)}:
     * FALSE if the record is not in BufferEmpty state. IRQL: any.
     */
    public static boolean KeRegisterBugCheckCallback(MemorySegment CallbackRecord, KBUGCHECK_CALLBACK_ROUTINE CallbackRoutine,
                                                     MemorySegment Buffer, int Length, MemorySegment Component) {
        return kernel().bugChecks().callbacks().register(CallbackRecord, CallbackRoutine, Buffer, Length, Component);
    }

    /** {@code BOOLEAN KeDeregisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord)}: FALSE if not registered. IRQL: any. */
    public static boolean KeDeregisterBugCheckCallback(MemorySegment CallbackRecord) {
        return kernel().bugChecks().callbacks().deregister(CallbackRecord);
    }

    /**
     * {@code BOOLEAN KeRegisterBugCheckReasonCallback(PKBUGCHECK_REASON_CALLBACK_RECORD CallbackRecord,
     * PKBUGCHECK_REASON_CALLBACK_ROUTINE CallbackRoutine, KBUGCHECK_CALLBACK_REASON Reason, PUCHAR Component)}:
     * initialises the record and links it; FALSE if it is already registered. IRQL: any.
     */
    public static boolean KeRegisterBugCheckReasonCallback(MemorySegment CallbackRecord,
                                                           KBUGCHECK_REASON_CALLBACK_ROUTINE CallbackRoutine,
                                                           int Reason, MemorySegment Component) {
        return kernel().bugChecks().callbacks().registerReason(CallbackRecord, CallbackRoutine, Reason, Component);
    }

    /** {@code BOOLEAN KeDeregisterBugCheckReasonCallback(PKBUGCHECK_REASON_CALLBACK_RECORD CallbackRecord)}. IRQL: any. */
    public static boolean KeDeregisterBugCheckReasonCallback(MemorySegment CallbackRecord) {
        return kernel().bugChecks().callbacks().deregisterReason(CallbackRecord);
    }

    // ===== end Bug checks =====

    // ===== Spin locks and in-stack queued spin locks =====

    /** {@code VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock)}: the word := 0. IRQL: any. */
    public static void KeInitializeSpinLock(MemorySegment SpinLock) {
        KeSpinLock.initialize(SpinLock);
    }

    /**
     * {@code VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)}: raises to
     * DISPATCH_LEVEL, acquires, and returns OldIrql. IRQL: ≤ DISPATCH_LEVEL. See {@link KeSpinLock}.
     */
    public static int KeAcquireSpinLock(MemorySegment SpinLock) {
        return KeSpinLock.acquire(SpinLock);
    }

    /** {@code KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)}: as KeAcquireSpinLock. */
    public static int KeAcquireSpinLockRaiseToDpc(MemorySegment SpinLock) {
        return KeSpinLock.acquire(SpinLock);
    }

    /** {@code VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)}. IRQL: DISPATCH_LEVEL. */
    public static void KeReleaseSpinLock(MemorySegment SpinLock, int NewIrql) {
        KeSpinLock.release(SpinLock, NewIrql);
    }

    /** {@code VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)}. IRQL: ≥ DISPATCH_LEVEL. */
    public static void KeAcquireSpinLockAtDpcLevel(MemorySegment SpinLock) {
        KeSpinLock.acquireAtDpcLevel(SpinLock);
    }

    /** {@code VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)}. IRQL: ≥ DISPATCH_LEVEL. */
    public static void KeReleaseSpinLockFromDpcLevel(MemorySegment SpinLock) {
        KeSpinLock.releaseFromDpcLevel(SpinLock);
    }

    /** {@code BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)}. IRQL: ≥ DISPATCH_LEVEL. */
    public static boolean KeTryToAcquireSpinLockAtDpcLevel(MemorySegment SpinLock) {
        return KeSpinLock.tryAcquireAtDpcLevel(SpinLock);
    }

    /** {@code BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock)}: TRUE if the lock is free now. IRQL: any. */
    public static boolean KeTestSpinLock(MemorySegment SpinLock) {
        return KeSpinLock.test(SpinLock);
    }

    /**
     * {@code VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)}.
     * IRQL: ≤ DISPATCH_LEVEL. Both must be in registered memory; see {@link KeQueuedSpinLock}.
     */
    public static void KeAcquireInStackQueuedSpinLock(MemorySegment SpinLock, MemorySegment LockHandle) {
        KeQueuedSpinLock.acquire(SpinLock, LockHandle);
    }

    /** {@code VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)}. IRQL: ≥ DISPATCH_LEVEL. */
    public static void KeAcquireInStackQueuedSpinLockAtDpcLevel(MemorySegment SpinLock, MemorySegment LockHandle) {
        KeQueuedSpinLock.acquireAtDpcLevel(SpinLock, LockHandle);
    }

    /** {@code VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)}. IRQL: DISPATCH_LEVEL. */
    public static void KeReleaseInStackQueuedSpinLock(MemorySegment LockHandle) {
        KeQueuedSpinLock.release(LockHandle);
    }

    /** {@code VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)}. IRQL: ≥ DISPATCH_LEVEL. */
    public static void KeReleaseInStackQueuedSpinLockFromDpcLevel(MemorySegment LockHandle) {
        KeQueuedSpinLock.releaseFromDpcLevel(LockHandle);
    }

    // ===== end Spin locks and in-stack queued spin locks =====

    // ===== Events, semaphores and waits =====

    /** EVENT_TYPE NotificationEvent. */
    public static final int NotificationEvent = KeEvent.NotificationEvent;
    /** EVENT_TYPE SynchronizationEvent. */
    public static final int SynchronizationEvent = KeEvent.SynchronizationEvent;
    /** WAIT_TYPE WaitAll. */
    public static final int WaitAll = KeWait.WaitAll;
    /** WAIT_TYPE WaitAny. */
    public static final int WaitAny = KeWait.WaitAny;
    /** KWAIT_REASON Executive. */
    public static final int Executive = 0;
    /** KWAIT_REASON UserRequest. */
    public static final int UserRequest = 6;
    /** KPROCESSOR_MODE KernelMode. */
    public static final int KernelMode = 0;
    /** KPROCESSOR_MODE UserMode. */
    public static final int UserMode = 1;
    /** THREAD_WAIT_OBJECTS (3). */
    public static final int THREAD_WAIT_OBJECTS = KWAIT_BLOCK.THREAD_WAIT_OBJECTS;
    /** MAXIMUM_WAIT_OBJECTS (64). */
    public static final int MAXIMUM_WAIT_OBJECTS = KWAIT_BLOCK.MAXIMUM_WAIT_OBJECTS;
    /** Priority increments (accepted, no effect: offkern has no scheduler priorities). */
    public static final int IO_NO_INCREMENT = 0;
    public static final int EVENT_INCREMENT = 1;
    public static final int SEMAPHORE_INCREMENT = 1;

    /** {@code VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)}. IRQL: any. See {@link KeEvent}. */
    public static void KeInitializeEvent(MemorySegment Event, int Type, boolean State) {
        KeEvent.initialize(Event, Type, State);
    }

    /** {@code LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)}: the previous state. IRQL: ≤ DISPATCH_LEVEL. */
    public static int KeSetEvent(MemorySegment Event, int Increment, boolean Wait) {
        return KeEvent.set(Event, Increment, Wait);
    }

    /** {@code LONG KeResetEvent(PRKEVENT Event)}: the previous state. IRQL: ≤ DISPATCH_LEVEL. */
    public static int KeResetEvent(MemorySegment Event) {
        return KeEvent.reset(Event);
    }

    /** {@code VOID KeClearEvent(PRKEVENT Event)}. IRQL: any. */
    public static void KeClearEvent(MemorySegment Event) {
        KeEvent.clear(Event);
    }

    /** {@code LONG KeReadStateEvent(PRKEVENT Event)}. IRQL: any. */
    public static int KeReadStateEvent(MemorySegment Event) {
        return KeEvent.readState(Event);
    }

    /** {@code LONG KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)}: the previous state. IRQL: ≤ DISPATCH_LEVEL. */
    public static int KePulseEvent(MemorySegment Event, int Increment, boolean Wait) {
        return KeEvent.pulse(Event, Increment, Wait);
    }

    /** {@code VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit)}. IRQL: any. See {@link KeSemaphore}. */
    public static void KeInitializeSemaphore(MemorySegment Semaphore, int Count, int Limit) {
        KeSemaphore.initialize(Semaphore, Count, Limit);
    }

    /**
     * {@code LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait)}:
     * the previous count; raises STATUS_SEMAPHORE_LIMIT_EXCEEDED. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static int KeReleaseSemaphore(MemorySegment Semaphore, int Increment, int Adjustment, boolean Wait) {
        return KeSemaphore.release(Semaphore, Increment, Adjustment, Wait);
    }

    /** {@code LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore)}. IRQL: any. */
    public static int KeReadStateSemaphore(MemorySegment Semaphore) {
        return KeSemaphore.readState(Semaphore);
    }

    /**
     * {@code NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
     * BOOLEAN Alertable, PLARGE_INTEGER Timeout)}: STATUS_SUCCESS, STATUS_TIMEOUT or STATUS_ALERTED.
     * Timeout {@code MemorySegment.NULL} waits forever. See {@link KeWait}.
     */
    public static int KeWaitForSingleObject(MemorySegment Object, int WaitReason, int WaitMode, boolean Alertable,
                                            MemorySegment Timeout) {
        return KeWait.waitForSingleObject(Object, WaitReason, WaitMode, Alertable, Timeout);
    }

    /**
     * {@code NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
     * KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
     * PKWAIT_BLOCK WaitBlockArray)}: Object is a native array of Count pointers; WaitBlockArray
     * {@code MemorySegment.NULL} uses the thread's built-in blocks (Count ≤ 3).
     */
    public static int KeWaitForMultipleObjects(int Count, MemorySegment Object, int WaitType, int WaitReason, int WaitMode,
                                               boolean Alertable, MemorySegment Timeout, MemorySegment WaitBlockArray) {
        return KeWait.waitForMultipleObjects(Count, Object, WaitType, WaitReason, WaitMode, Alertable, Timeout, WaitBlockArray);
    }

    /** {@code NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)}. */
    public static int KeDelayExecutionThread(int WaitMode, boolean Alertable, MemorySegment Interval) {
        return KeWait.delayExecutionThread(WaitMode, Alertable, Interval);
    }

    // ===== end Events, semaphores and waits =====

    // ===== Guarded mutexes, critical and guarded regions =====

    /** {@code VOID KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex)}. IRQL: ≤ APC_LEVEL. See {@link KeGuardedMutex}. */
    public static void KeInitializeGuardedMutex(MemorySegment Mutex) {
        KeGuardedMutex.initialize(Mutex);
    }

    /** {@code VOID KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)}: enters a guarded region, then acquires. IRQL: ≤ APC_LEVEL. */
    public static void KeAcquireGuardedMutex(MemorySegment Mutex) {
        KeGuardedMutex.acquire(Mutex);
    }

    /** {@code BOOLEAN KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)}. IRQL: ≤ APC_LEVEL. */
    public static boolean KeTryToAcquireGuardedMutex(MemorySegment Mutex) {
        return KeGuardedMutex.tryAcquire(Mutex);
    }

    /** {@code VOID KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex)}: releases, then leaves the guarded region. IRQL: ≤ APC_LEVEL. */
    public static void KeReleaseGuardedMutex(MemorySegment Mutex) {
        KeGuardedMutex.release(Mutex);
    }

    /** {@code VOID KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex)}: caller at APC_LEVEL or with APCs disabled. */
    public static void KeAcquireGuardedMutexUnsafe(MemorySegment FastMutex) {
        KeGuardedMutex.acquireUnsafe(FastMutex);
    }

    /** {@code VOID KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex)}. */
    public static void KeReleaseGuardedMutexUnsafe(MemorySegment FastMutex) {
        KeGuardedMutex.releaseUnsafe(FastMutex);
    }

    /** {@code VOID KeEnterGuardedRegion(VOID)}: SpecialApcDisable − 1. IRQL: ≤ APC_LEVEL. See {@link KeRegion}. */
    public static void KeEnterGuardedRegion() {
        KeRegion.enterGuardedRegion();
    }

    /** {@code VOID KeLeaveGuardedRegion(VOID)}: SpecialApcDisable + 1. IRQL: ≤ APC_LEVEL. */
    public static void KeLeaveGuardedRegion() {
        KeRegion.leaveGuardedRegion();
    }

    /** {@code VOID KeEnterCriticalRegion(VOID)}: KernelApcDisable − 1. IRQL: ≤ APC_LEVEL. */
    public static void KeEnterCriticalRegion() {
        KeRegion.enterCriticalRegion();
    }

    /** {@code VOID KeLeaveCriticalRegion(VOID)}: KernelApcDisable + 1. IRQL: ≤ APC_LEVEL. */
    public static void KeLeaveCriticalRegion() {
        KeRegion.leaveCriticalRegion();
    }

    // ===== end Guarded mutexes, critical and guarded regions =====

    // ===== Extended and floating-point processor state =====

    /**
     * {@code NTSTATUS KeSaveExtendedProcessorState(ULONG64 Mask, PXSTATE_SAVE XStateSave)}: XSAVE of
     * the components in Mask into a cache-aligned non-paged pool area recorded in XStateSave, linked
     * into the thread's chain. STATUS_SUCCESS or STATUS_INSUFFICIENT_RESOURCES. IRQL: ≤ DISPATCH_LEVEL.
     * Mask bits from {@link dev.offkern.nt.XStateMask}; see {@link KeExtendedState} for the 0x131 checks.
     */
    public static int KeSaveExtendedProcessorState(long Mask, MemorySegment XStateSave) {
        Pool pool = Kernel.current().nonPagedPool();
        return KeExtendedState.save(Mask, XStateSave, pool::allocate, pool::free);
    }

    /**
     * {@code VOID KeRestoreExtendedProcessorState(PXSTATE_SAVE XStateSave)}: XRSTOR of the thread's
     * innermost save, on its thread and at its level; frees the area. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void KeRestoreExtendedProcessorState(MemorySegment XStateSave) {
        KeExtendedState.restore(XStateSave, Kernel.current().nonPagedPool()::free);
    }

    /**
     * {@code NTSTATUS KeSaveFloatingPointState(PKFLOATING_SAVE FloatSave)}: MXCSR into the x64
     * block's Dummy, then a fresh context (MXCSR 0x1F80). STATUS_SUCCESS. IRQL: ≤ DISPATCH_LEVEL.
     * See {@link KeFloatingState}.
     */
    public static int KeSaveFloatingPointState(MemorySegment FloatSave) {
        return KeFloatingState.save(FloatSave);
    }

    /**
     * {@code NTSTATUS KeRestoreFloatingPointState(PKFLOATING_SAVE FloatSave)}: MXCSR from the
     * thread's innermost save, at its IRQL. STATUS_SUCCESS. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static int KeRestoreFloatingPointState(MemorySegment FloatSave) {
        return KeFloatingState.restore(FloatSave);
    }

    // ===== end Extended and floating-point processor state =====
}
