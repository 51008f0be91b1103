package dev.offkern.ddi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.ke.KWAIT_BLOCK;
import dev.offkern.runtime.ke.BugCheckCallbacks;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.nt.KBUGCHECK_CALLBACK_ROUTINE;
import dev.offkern.nt.KBUGCHECK_REASON_CALLBACK_ROUTINE;
import dev.offkern.runtime.ke.KeClock;
import dev.offkern.runtime.ke.KeDpc;
import dev.offkern.runtime.ke.KeEvent;
import dev.offkern.runtime.ke.KeTimer;
import dev.offkern.nt.KDEFERRED_ROUTINE;
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
import dev.offkern.nt.KSYNCHRONIZE_ROUTINE;
import dev.offkern.runtime.ke.KeInterrupt;
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
        try {
            return Irql.current();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)}: the OldIrql is returned. IRQL: any,
     * NewIrql ≥ current (verifier: 0x09 / 0xC4-0x30, see {@link Irql}).
     */
    public static int KeRaiseIrql(int NewIrql) {
        try {
            return Irql.raise(NewIrql);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeLowerIrql(KIRQL NewIrql)}. IRQL: any, NewIrql ≤ current (verifier: 0x0A / 0xC4-0x31). */
    public static void KeLowerIrql(int NewIrql) {
        try {
            Irql.lower(NewIrql);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code KIRQL KeRaiseIrqlToDpcLevel(void)}: raises to DISPATCH_LEVEL, returns the old IRQL. IRQL: ≤ DISPATCH_LEVEL. */
    public static int KeRaiseIrqlToDpcLevel() {
        try {
            return Irql.raise(Irql.DISPATCH_LEVEL);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code KIRQL KeRaiseIrqlToSynchLevel(void)}: raises to SYNCH_LEVEL (12 on x64), returns the old IRQL. */
    public static int KeRaiseIrqlToSynchLevel() {
        try {
            return Irql.raise(Irql.SYNCH_LEVEL);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PKTHREAD KeGetCurrentThread(VOID)}: the calling thread's KTHREAD — the {@code Tcb} at the
     * start of its ETHREAD, so the address is PsGetCurrentThread's and what FAST_MUTEX.Owner and
     * KWAIT_BLOCK.Thread store; a segment of the KTHREAD's size (0x430). No reference taken. IRQL: any.
     */
    public static MemorySegment KeGetCurrentThread() {
        try {
            return ThreadState.current().kthread();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG KeGetCurrentProcessorNumber(void)}. IRQL: any. */
    public static int KeGetCurrentProcessorNumber() {
        try {
            return ThreadState.current().processorNumber();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber)}: writes Group
     * (USHORT @0, always 0), Number (UCHAR @2) and Reserved (UCHAR @3, 0) when ProcNumber is not
     * NULL, and returns the system-wide processor index. IRQL: any.
     *
     * @throws IllegalArgumentException if ProcNumber is non-NULL and smaller than PROCESSOR_NUMBER (4 bytes)
     */
    public static int KeGetCurrentProcessorNumberEx(MemorySegment ProcNumber) {
        try {
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
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors)}: the number of
     * processors; writes the affinity mask (bit n = processor n) when ActiveProcessors is not NULL.
     * IRQL: any.
     */
    public static int KeQueryActiveProcessorCount(MemorySegment ActiveProcessors) {
        try {
            int n = kernel().processors().count();
            if (ActiveProcessors != null && ActiveProcessors.address() != 0) {
                if (ActiveProcessors.byteSize() < 8) {
                    throw new IllegalArgumentException("KeQueryActiveProcessorCount: ActiveProcessors segment is "
                            + ActiveProcessors.byteSize() + " bytes; KAFFINITY needs 8");
                }
                ActiveProcessors.set(JAVA_LONG.withByteAlignment(1), 0, n == 64 ? -1L : (1L << n) - 1);
            }
            return n;
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber)}: processors in group
     * GroupNumber (offkern has one group, 0), or in all groups for ALL_PROCESSOR_GROUPS; 0 for a
     * group that does not exist. IRQL: any.
     */
    public static int KeQueryActiveProcessorCountEx(int GroupNumber) {
        try {
            int n = kernel().processors().count();
            int g = GroupNumber & 0xFFFF;
            return g == 0 || g == ALL_PROCESSOR_GROUPS ? n : 0;
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG KeQueryMaximumProcessorCount(void)}: the configured processor count (no hot-add). IRQL: any. */
    public static int KeQueryMaximumProcessorCount() {
        try {
            return kernel().processors().count();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG KeQueryMaximumProcessorCountEx(USHORT GroupNumber)}: as KeQueryActiveProcessorCountEx. */
    public static int KeQueryMaximumProcessorCountEx(int GroupNumber) {
        try {
            return KeQueryActiveProcessorCountEx(GroupNumber);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
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
        try {
            KernelCore k = kernel();
            throw k.bugCheck(BugCheckCode, BugCheckParameter1, BugCheckParameter2, BugCheckParameter3, BugCheckParameter4,
                    "KeBugCheckEx");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeBugCheck(ULONG BugCheckCode)} ≡ KeBugCheckEx(code, 0, 0, 0, 0). Never returns. */
    public static void KeBugCheck(int BugCheckCode) {
        try {
            KernelCore k = kernel();
            throw k.bugCheck(BugCheckCode, 0, 0, 0, 0, "KeBugCheck");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code KeInitializeCallbackRecord(CallbackRecord)} (a macro: State := BufferEmpty) on a
     * KBUGCHECK_CALLBACK_RECORD (a segment of at least its size; smaller is IllegalArgumentException).
     * A KBUGCHECK_REASON_CALLBACK_RECORD needs no call: {@link #KeRegisterBugCheckReasonCallback}
     * initialises it. IRQL: any.
     */
    public static void KeInitializeCallbackRecord(MemorySegment CallbackRecord) {
        try {
            BugCheckCallbacks.initializeCallbackRecord(CallbackRecord);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN KeRegisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord,
     * PKBUGCHECK_CALLBACK_ROUTINE CallbackRoutine, PVOID Buffer, ULONG Length, PUCHAR Component)}:
     * FALSE if the record is not in BufferEmpty state. IRQL: any.
     */
    public static boolean KeRegisterBugCheckCallback(MemorySegment CallbackRecord, KBUGCHECK_CALLBACK_ROUTINE CallbackRoutine,
                                                     MemorySegment Buffer, int Length, MemorySegment Component) {
        try {
            return kernel().bugChecks().callbacks().register(CallbackRecord, CallbackRoutine, Buffer, Length, Component);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN KeDeregisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord)}: FALSE if not registered. IRQL: any. */
    public static boolean KeDeregisterBugCheckCallback(MemorySegment CallbackRecord) {
        try {
            return kernel().bugChecks().callbacks().deregister(CallbackRecord);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN KeRegisterBugCheckReasonCallback(PKBUGCHECK_REASON_CALLBACK_RECORD CallbackRecord,
     * PKBUGCHECK_REASON_CALLBACK_ROUTINE CallbackRoutine, KBUGCHECK_CALLBACK_REASON Reason, PUCHAR Component)}:
     * initialises the record and links it; FALSE if it is already registered. IRQL: any.
     */
    public static boolean KeRegisterBugCheckReasonCallback(MemorySegment CallbackRecord,
                                                           KBUGCHECK_REASON_CALLBACK_ROUTINE CallbackRoutine,
                                                           int Reason, MemorySegment Component) {
        try {
            return kernel().bugChecks().callbacks().registerReason(CallbackRecord, CallbackRoutine, Reason, Component);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN KeDeregisterBugCheckReasonCallback(PKBUGCHECK_REASON_CALLBACK_RECORD CallbackRecord)}. IRQL: any. */
    public static boolean KeDeregisterBugCheckReasonCallback(MemorySegment CallbackRecord) {
        try {
            return kernel().bugChecks().callbacks().deregisterReason(CallbackRecord);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Bug checks =====

    // ===== Spin locks and in-stack queued spin locks =====

    /** {@code VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock)}: the word := 0. IRQL: any. */
    public static void KeInitializeSpinLock(MemorySegment SpinLock) {
        try {
            KeSpinLock.initialize(SpinLock);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)}: raises to
     * DISPATCH_LEVEL, acquires, and returns OldIrql. IRQL: ≤ DISPATCH_LEVEL. See {@link KeSpinLock}.
     */
    public static int KeAcquireSpinLock(MemorySegment SpinLock) {
        try {
            return KeSpinLock.acquire(SpinLock);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)}: as KeAcquireSpinLock. */
    public static int KeAcquireSpinLockRaiseToDpc(MemorySegment SpinLock) {
        try {
            return KeSpinLock.acquire(SpinLock);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)}. IRQL: DISPATCH_LEVEL. */
    public static void KeReleaseSpinLock(MemorySegment SpinLock, int NewIrql) {
        try {
            KeSpinLock.release(SpinLock, NewIrql);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)}. IRQL: ≥ DISPATCH_LEVEL. */
    public static void KeAcquireSpinLockAtDpcLevel(MemorySegment SpinLock) {
        try {
            KeSpinLock.acquireAtDpcLevel(SpinLock);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)}. IRQL: ≥ DISPATCH_LEVEL. */
    public static void KeReleaseSpinLockFromDpcLevel(MemorySegment SpinLock) {
        try {
            KeSpinLock.releaseFromDpcLevel(SpinLock);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)}. IRQL: ≥ DISPATCH_LEVEL. */
    public static boolean KeTryToAcquireSpinLockAtDpcLevel(MemorySegment SpinLock) {
        try {
            return KeSpinLock.tryAcquireAtDpcLevel(SpinLock);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock)}: TRUE if the lock is free now. IRQL: any. */
    public static boolean KeTestSpinLock(MemorySegment SpinLock) {
        try {
            return KeSpinLock.test(SpinLock);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)}.
     * IRQL: ≤ DISPATCH_LEVEL. Both must be in registered memory; see {@link KeQueuedSpinLock}.
     */
    public static void KeAcquireInStackQueuedSpinLock(MemorySegment SpinLock, MemorySegment LockHandle) {
        try {
            KeQueuedSpinLock.acquire(SpinLock, LockHandle);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)}. IRQL: ≥ DISPATCH_LEVEL. */
    public static void KeAcquireInStackQueuedSpinLockAtDpcLevel(MemorySegment SpinLock, MemorySegment LockHandle) {
        try {
            KeQueuedSpinLock.acquireAtDpcLevel(SpinLock, LockHandle);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)}. IRQL: DISPATCH_LEVEL. */
    public static void KeReleaseInStackQueuedSpinLock(MemorySegment LockHandle) {
        try {
            KeQueuedSpinLock.release(LockHandle);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)}. IRQL: ≥ DISPATCH_LEVEL. */
    public static void KeReleaseInStackQueuedSpinLockFromDpcLevel(MemorySegment LockHandle) {
        try {
            KeQueuedSpinLock.releaseFromDpcLevel(LockHandle);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
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
        try {
            KeEvent.initialize(Event, Type, State);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)}: the previous state. IRQL: ≤ DISPATCH_LEVEL. */
    public static int KeSetEvent(MemorySegment Event, int Increment, boolean Wait) {
        try {
            return KeEvent.set(Event, Increment, Wait);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code LONG KeResetEvent(PRKEVENT Event)}: the previous state. IRQL: ≤ DISPATCH_LEVEL. */
    public static int KeResetEvent(MemorySegment Event) {
        try {
            return KeEvent.reset(Event);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeClearEvent(PRKEVENT Event)}. IRQL: any. */
    public static void KeClearEvent(MemorySegment Event) {
        try {
            KeEvent.clear(Event);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code LONG KeReadStateEvent(PRKEVENT Event)}. IRQL: any. */
    public static int KeReadStateEvent(MemorySegment Event) {
        try {
            return KeEvent.readState(Event);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code LONG KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)}: the previous state. IRQL: ≤ DISPATCH_LEVEL. */
    public static int KePulseEvent(MemorySegment Event, int Increment, boolean Wait) {
        try {
            return KeEvent.pulse(Event, Increment, Wait);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit)}. IRQL: any. See {@link KeSemaphore}. */
    public static void KeInitializeSemaphore(MemorySegment Semaphore, int Count, int Limit) {
        try {
            KeSemaphore.initialize(Semaphore, Count, Limit);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait)}:
     * the previous count; raises STATUS_SEMAPHORE_LIMIT_EXCEEDED. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static int KeReleaseSemaphore(MemorySegment Semaphore, int Increment, int Adjustment, boolean Wait) {
        try {
            return KeSemaphore.release(Semaphore, Increment, Adjustment, Wait);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore)}. IRQL: any. */
    public static int KeReadStateSemaphore(MemorySegment Semaphore) {
        try {
            return KeSemaphore.readState(Semaphore);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
     * BOOLEAN Alertable, PLARGE_INTEGER Timeout)}: STATUS_SUCCESS, STATUS_TIMEOUT or STATUS_ALERTED.
     * Timeout {@code MemorySegment.NULL} waits forever. See {@link KeWait}.
     */
    public static int KeWaitForSingleObject(MemorySegment Object, int WaitReason, int WaitMode, boolean Alertable,
                                            MemorySegment Timeout) {
        try {
            return KeWait.waitForSingleObject(Object, WaitReason, WaitMode, Alertable, Timeout);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
     * KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
     * PKWAIT_BLOCK WaitBlockArray)}: Object is a native array of Count pointers; WaitBlockArray
     * {@code MemorySegment.NULL} uses the thread's built-in blocks (Count ≤ 3).
     */
    public static int KeWaitForMultipleObjects(int Count, MemorySegment Object, int WaitType, int WaitReason, int WaitMode,
                                               boolean Alertable, MemorySegment Timeout, MemorySegment WaitBlockArray) {
        try {
            return KeWait.waitForMultipleObjects(Count, Object, WaitType, WaitReason, WaitMode, Alertable, Timeout, WaitBlockArray);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)}. */
    public static int KeDelayExecutionThread(int WaitMode, boolean Alertable, MemorySegment Interval) {
        try {
            return KeWait.delayExecutionThread(WaitMode, Alertable, Interval);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Events, semaphores and waits =====

    // ===== Guarded mutexes, critical and guarded regions =====

    /** {@code VOID KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex)}. IRQL: ≤ APC_LEVEL. See {@link KeGuardedMutex}. */
    public static void KeInitializeGuardedMutex(MemorySegment Mutex) {
        try {
            KeGuardedMutex.initialize(Mutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)}: enters a guarded region, then acquires. IRQL: ≤ APC_LEVEL. */
    public static void KeAcquireGuardedMutex(MemorySegment Mutex) {
        try {
            KeGuardedMutex.acquire(Mutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)}. IRQL: ≤ APC_LEVEL. */
    public static boolean KeTryToAcquireGuardedMutex(MemorySegment Mutex) {
        try {
            return KeGuardedMutex.tryAcquire(Mutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex)}: releases, then leaves the guarded region. IRQL: ≤ APC_LEVEL. */
    public static void KeReleaseGuardedMutex(MemorySegment Mutex) {
        try {
            KeGuardedMutex.release(Mutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex)}: caller at APC_LEVEL or with APCs disabled. */
    public static void KeAcquireGuardedMutexUnsafe(MemorySegment FastMutex) {
        try {
            KeGuardedMutex.acquireUnsafe(FastMutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex)}. */
    public static void KeReleaseGuardedMutexUnsafe(MemorySegment FastMutex) {
        try {
            KeGuardedMutex.releaseUnsafe(FastMutex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeEnterGuardedRegion(VOID)}: SpecialApcDisable − 1. IRQL: ≤ APC_LEVEL. See {@link KeRegion}. */
    public static void KeEnterGuardedRegion() {
        try {
            KeRegion.enterGuardedRegion();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeLeaveGuardedRegion(VOID)}: SpecialApcDisable + 1. IRQL: ≤ APC_LEVEL. */
    public static void KeLeaveGuardedRegion() {
        try {
            KeRegion.leaveGuardedRegion();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID KeStackAttachProcess(PRKPROCESS Process, PRKAPC_STATE ApcState)}: the calling thread
     * runs in {@code Process} (PsGetCurrentProcess, NtCurrentProcess() and its non-kernel handles) until
     * the matching KeUnstackDetachProcess; {@code *ApcState} (a KAPC_STATE, 0x30 bytes) receives what
     * that call needs: Process NULL (first attach), the process left (nested attach) or 1 (already in
     * Process). Attaching inside a DPC routine: INVALID_PROCESS_ATTACH_ATTEMPT (0x5). The caller keeps
     * Process referenced meanwhile. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void KeStackAttachProcess(MemorySegment Process, MemorySegment ApcState) {
        try {
            Ps.processes().stackAttachProcess(Process, ApcState);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID KeUnstackDetachProcess(PRKAPC_STATE ApcState)}: undoes the latest KeStackAttachProcess,
     * given the buffer it filled. A thread that is not attached, a buffer that is not the latest
     * attach's, or one whose Process changed: INVALID_PROCESS_DETACH_ATTEMPT (0x6: the buffer, the
     * process the thread runs in, ApcStateIndex, the latest attach's buffer). IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void KeUnstackDetachProcess(MemorySegment ApcState) {
        try {
            Ps.processes().unstackDetachProcess(ApcState);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeEnterCriticalRegion(VOID)}: KernelApcDisable − 1. IRQL: ≤ APC_LEVEL. */
    public static void KeEnterCriticalRegion() {
        try {
            KeRegion.enterCriticalRegion();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeLeaveCriticalRegion(VOID)}: KernelApcDisable + 1. IRQL: ≤ APC_LEVEL. */
    public static void KeLeaveCriticalRegion() {
        try {
            KeRegion.leaveCriticalRegion();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Guarded mutexes, critical and guarded regions =====

    // ===== DPCs =====

    /** KDPC_IMPORTANCE LowImportance. */
    public static final int LowImportance = KeDpc.LowImportance;
    /** KDPC_IMPORTANCE MediumImportance (the default). */
    public static final int MediumImportance = KeDpc.MediumImportance;
    /** KDPC_IMPORTANCE HighImportance. */
    public static final int HighImportance = KeDpc.HighImportance;
    /** KDPC_IMPORTANCE MediumHighImportance. */
    public static final int MediumHighImportance = KeDpc.MediumHighImportance;

    /**
     * {@code VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)}
     * with a Java routine (DeferredRoutine holds its upcall stub). IRQL: any. See {@link KeDpc}.
     */
    public static void KeInitializeDpc(MemorySegment Dpc, KDEFERRED_ROUTINE DeferredRoutine, MemorySegment DeferredContext) {
        try {
            KeDpc.initialize(Dpc, DeferredRoutine, DeferredContext);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code KeInitializeDpc} with a native function pointer (of a library registered with the kernel). */
    public static void KeInitializeDpc(MemorySegment Dpc, MemorySegment DeferredRoutine, MemorySegment DeferredContext) {
        try {
            KeDpc.initialize(Dpc, DeferredRoutine, DeferredContext);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeInitializeThreadedDpc(PKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)}. IRQL: any. */
    public static void KeInitializeThreadedDpc(MemorySegment Dpc, KDEFERRED_ROUTINE DeferredRoutine, MemorySegment DeferredContext) {
        try {
            KeDpc.initializeThreaded(Dpc, DeferredRoutine, DeferredContext);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code KeInitializeThreadedDpc} with a native function pointer. */
    public static void KeInitializeThreadedDpc(MemorySegment Dpc, MemorySegment DeferredRoutine, MemorySegment DeferredContext) {
        try {
            KeDpc.initializeThreaded(Dpc, DeferredRoutine, DeferredContext);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2)}: FALSE if
     * already queued (the first call's arguments stay). IRQL: any.
     */
    public static boolean KeInsertQueueDpc(MemorySegment Dpc, MemorySegment SystemArgument1, MemorySegment SystemArgument2) {
        try {
            return KeDpc.insertQueueDpc(Dpc, SystemArgument1 == null ? 0 : SystemArgument1.address(),
                    SystemArgument2 == null ? 0 : SystemArgument2.address());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)}: TRUE if it was queued. IRQL: any. */
    public static boolean KeRemoveQueueDpc(MemorySegment Dpc) {
        try {
            return KeDpc.removeQueueDpc(Dpc);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance)}. IRQL: any. */
    public static void KeSetImportanceDpc(MemorySegment Dpc, int Importance) {
        try {
            KeDpc.setImportance(Dpc, Importance);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number)}. IRQL: any. */
    public static void KeSetTargetProcessorDpc(MemorySegment Dpc, int Number) {
        try {
            KeDpc.setTargetProcessor(Dpc, Number);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber)}. IRQL: any. */
    public static int KeSetTargetProcessorDpcEx(MemorySegment Dpc, MemorySegment ProcNumber) {
        try {
            return KeDpc.setTargetProcessorEx(Dpc, ProcNumber);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeFlushQueuedDpcs(VOID)}: returns once every queued DPC has run. IRQL: PASSIVE_LEVEL. */
    public static void KeFlushQueuedDpcs() {
        try {
            KeDpc.flushQueuedDpcs();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end DPCs =====

    // ===== Clock =====

    /** {@code VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime)}: the value is returned (100 ns since 1601, UTC). IRQL: any. */
    public static long KeQuerySystemTime() {
        try {
            return clock().systemTime();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)}: the value is returned. IRQL: any. */
    public static long KeQuerySystemTimePrecise() {
        try {
            return clock().systemTimePrecise();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONGLONG KeQueryInterruptTime(VOID)}: 100 ns since boot, at the last tick. IRQL: any. */
    public static long KeQueryInterruptTime() {
        try {
            return clock().interruptTime();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG64 KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp)}: the precise interrupt time is returned. IRQL: any. */
    public static long KeQueryInterruptTimePrecise() {
        try {
            return clock().interruptTimePrecise();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeQueryTickCount(PLARGE_INTEGER CurrentCount)}: the tick count is returned. IRQL: any. */
    public static long KeQueryTickCount() {
        try {
            return clock().tickCount();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG KeQueryTimeIncrement(VOID)}: the clock tick in 100 ns units. IRQL: any. */
    public static int KeQueryTimeIncrement() {
        try {
            return (int) clock().timeIncrement();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeStallExecutionProcessor(ULONG MicroSeconds)}: busy-waits. IRQL: any. */
    public static void KeStallExecutionProcessor(int MicroSeconds) {
        try {
            clock().stall(MicroSeconds);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    private static KeClock clock() {
        return kernel().clock();
    }

    // ===== end Clock =====

    // ===== Timers =====

    /** TIMER_TYPE NotificationTimer. */
    public static final int NotificationTimer = KeTimer.NotificationTimer;
    /** TIMER_TYPE SynchronizationTimer. */
    public static final int SynchronizationTimer = KeTimer.SynchronizationTimer;

    /** {@code VOID KeInitializeTimer(PKTIMER Timer)}: a notification timer. IRQL: ≤ DISPATCH_LEVEL. See {@link KeTimer}. */
    public static void KeInitializeTimer(MemorySegment Timer) {
        try {
            KeTimer.initialize(Timer);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type)}. IRQL: ≤ DISPATCH_LEVEL. */
    public static void KeInitializeTimerEx(MemorySegment Timer, int Type) {
        try {
            KeTimer.initializeEx(Timer, Type);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)}: TRUE if the timer was
     * already set. DueTime &lt; 0 relative (100 ns), &gt; 0 absolute system time. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static boolean KeSetTimer(MemorySegment Timer, long DueTime, MemorySegment Dpc) {
        try {
            return KeTimer.set(Timer, DueTime, Dpc);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)}: Period in ms. */
    public static boolean KeSetTimerEx(MemorySegment Timer, long DueTime, int Period, MemorySegment Dpc) {
        try {
            return KeTimer.setEx(Timer, DueTime, Period, Dpc);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN KeSetCoalescableTimer(PKTIMER Timer, LARGE_INTEGER DueTime, ULONG Period,
     * ULONG TolerableDelay, PKDPC Dpc)}. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static boolean KeSetCoalescableTimer(MemorySegment Timer, long DueTime, int Period, int TolerableDelay,
                                                MemorySegment Dpc) {
        try {
            return KeTimer.setCoalescable(Timer, DueTime, Period, TolerableDelay, Dpc);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN KeCancelTimer(PKTIMER Timer)}: TRUE if it was set. IRQL: ≤ DISPATCH_LEVEL. */
    public static boolean KeCancelTimer(MemorySegment Timer) {
        try {
            return KeTimer.cancel(Timer);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN KeReadStateTimer(PKTIMER Timer)}: TRUE if signalled. IRQL: any. */
    public static boolean KeReadStateTimer(MemorySegment Timer) {
        try {
            return KeTimer.readState(Timer);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Timers =====

    // ===== Extended and floating-point processor state =====

    /**
     * {@code NTSTATUS KeSaveExtendedProcessorState(ULONG64 Mask, PXSTATE_SAVE XStateSave)}: XSAVE of
     * the components in Mask into a cache-aligned non-paged pool area recorded in XStateSave, linked
     * into the thread's chain. STATUS_SUCCESS or STATUS_INSUFFICIENT_RESOURCES. IRQL: ≤ DISPATCH_LEVEL.
     * Mask bits from {@link dev.offkern.nt.XStateMask}; see {@link KeExtendedState} for the 0x131 checks.
     */
    public static int KeSaveExtendedProcessorState(long Mask, MemorySegment XStateSave) {
        try {
            Pool pool = Kernel.current().nonPagedPool();
            return KeExtendedState.save(Mask, XStateSave, pool::allocate, pool::free);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID KeRestoreExtendedProcessorState(PXSTATE_SAVE XStateSave)}: XRSTOR of the thread's
     * innermost save, on its thread and at its level; frees the area. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void KeRestoreExtendedProcessorState(MemorySegment XStateSave) {
        try {
            KeExtendedState.restore(XStateSave, Kernel.current().nonPagedPool()::free);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS KeSaveFloatingPointState(PKFLOATING_SAVE FloatSave)}: MXCSR into the x64
     * block's Dummy, then a fresh context (MXCSR 0x1F80). STATUS_SUCCESS. IRQL: ≤ DISPATCH_LEVEL.
     * See {@link KeFloatingState}.
     */
    public static int KeSaveFloatingPointState(MemorySegment FloatSave) {
        try {
            return KeFloatingState.save(FloatSave);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS KeRestoreFloatingPointState(PKFLOATING_SAVE FloatSave)}: MXCSR from the
     * thread's innermost save, at its IRQL. STATUS_SUCCESS. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static int KeRestoreFloatingPointState(MemorySegment FloatSave) {
        try {
            return KeFloatingState.restore(FloatSave);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Extended and floating-point processor state =====
    // ===== io-work: interrupt spin locks (KINTERRUPT) — see dev.offkern.runtime.ke.KeInterrupt =====

    /**
     * {@code KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt)}: raises to the interrupt's
     * SynchronizeIrql and acquires its spin lock (its ISR cannot run meanwhile); returns the old
     * IRQL. IRQL: ≤ SynchronizeIrql.
     */
    public static int KeAcquireInterruptSpinLock(MemorySegment Interrupt) {
        try {
            return KeInterrupt.acquireInterruptSpinLock(Interrupt);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql)}. IRQL: SynchronizeIrql. */
    public static void KeReleaseInterruptSpinLock(MemorySegment Interrupt, int OldIrql) {
        try {
            KeInterrupt.releaseInterruptSpinLock(Interrupt, OldIrql);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE
     * SynchronizeRoutine, PVOID SynchronizeContext)}: runs the routine at SynchronizeIrql holding
     * the interrupt's lock and returns its result. IRQL: ≤ SynchronizeIrql.
     */
    public static boolean KeSynchronizeExecution(MemorySegment Interrupt, KSYNCHRONIZE_ROUTINE SynchronizeRoutine,
                                                 MemorySegment SynchronizeContext) {
        try {
            return KeInterrupt.synchronizeExecution(Interrupt, SynchronizeRoutine, SynchronizeContext);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end io-work: interrupt spin locks =====
}
