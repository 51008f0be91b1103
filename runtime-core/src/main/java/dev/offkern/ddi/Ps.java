package dev.offkern.ddi;

import dev.offkern.nt.KSTART_ROUTINE;
import dev.offkern.nt.CREATE_PROCESS_NOTIFY_ROUTINE;
import dev.offkern.nt.CREATE_PROCESS_NOTIFY_ROUTINE_EX;
import dev.offkern.nt.CREATE_THREAD_NOTIFY_ROUTINE;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ps.ProcessManager;
import java.lang.foreign.MemorySegment;

/**
 * Process and thread routines ({@code Ps*}) under their verbatim names with C parameters in C order,
 * thin delegations into {@code dev.offkern.runtime.ps} ({@link ProcessManager} has the semantics).
 * Exported variables are zero-argument routines: C's {@code *PsProcessType} is
 * {@code PsProcessType()}, {@code PsInitialSystemProcess} is {@code PsInitialSystemProcess()}. A
 * PEPROCESS / PETHREAD is a segment over the EPROCESS / ETHREAD body (a Process / Thread object); a
 * HANDLE (process or thread id) a {@code long}.
 *
 * <p><b>Which process a Java thread belongs to:</b> every ordinary Java thread that calls into the
 * kernel belongs to the System process ({@code PsInitialSystemProcess}, id 4); its ETHREAD is made
 * on its first Ps call, with its own thread id, and ends when the thread's kernel state is collected
 * (or at kernel close). It runs in another process only while attached to it
 * ({@code Ke.KeStackAttachProcess}): PsGetCurrentProcess then returns that process and its
 * non-kernel handles live in that process's table, while PsGetCurrentProcessId stays 4. A thread
 * created by PsCreateSystemThread with a handle to a tenant process belongs to that tenant.
 *
 * <p><b>Tenants:</b> {@code PsCreateTenantProcess} (offkern's; NT has no documented driver routine
 * for it) makes a further process with its own handle table; {@code Zw.ZwTerminateProcess} ends it.
 */
public final class Ps {
    private Ps() {
    }

    static ProcessManager processes() {
        return Kernel.current().processes();
    }

    /** {@code PEPROCESS PsInitialSystemProcess}: the System process (id 4; lives as long as the kernel). IRQL: any. */
    public static MemorySegment PsInitialSystemProcess() {
        try {
            return processes().systemProcess();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PEPROCESS PsGetCurrentProcess(VOID)}: the caller's process; no reference taken. IRQL: any. */
    public static MemorySegment PsGetCurrentProcess() {
        try {
            return processes().currentProcess();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PETHREAD PsGetCurrentThread(VOID)}: the caller's ETHREAD (made on its first call); no reference taken. IRQL: any. */
    public static MemorySegment PsGetCurrentThread() {
        try {
            return processes().currentThread();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code HANDLE PsGetCurrentProcessId(VOID)}. IRQL: any. */
    public static long PsGetCurrentProcessId() {
        try {
            return processes().currentProcessId();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code HANDLE PsGetCurrentThreadId(VOID)}. IRQL: any. */
    public static long PsGetCurrentThreadId() {
        try {
            return processes().currentThreadId();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code HANDLE PsGetProcessId(PEPROCESS Process)}: EPROCESS.UniqueProcessId. Not a process:
     * IllegalArgumentException (REFERENCE_BY_POINTER 0x18 for an address that is no live object). IRQL: any.
     */
    public static long PsGetProcessId(MemorySegment Process) {
        try {
            return processes().processId(Process);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code HANDLE PsGetThreadId(PETHREAD Thread)}: ETHREAD.Cid.UniqueThread; errors as PsGetProcessId. IRQL: any. */
    public static long PsGetThreadId(MemorySegment Thread) {
        try {
            return processes().threadId(Thread);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code LONGLONG PsGetProcessCreateTimeQuadPart(PEPROCESS Process)}: EPROCESS.CreateTime (100 ns since 1601). IRQL: any. */
    public static long PsGetProcessCreateTimeQuadPart(MemorySegment Process) {
        try {
            return processes().processCreateTime(Process);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN PsIsSystemThread(PETHREAD Thread)}: TRUE for threads PsCreateSystemThread made and
     * the kernel's service threads; FALSE for the embedder's Java threads. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static boolean PsIsSystemThread(MemorySegment Thread) {
        try {
            return processes().isSystemThread(Thread);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsLookupProcessByProcessId(HANDLE ProcessId, PEPROCESS *Process)}: STATUS_SUCCESS
     * ({@code *Process} referenced: the caller dereferences it), STATUS_INVALID_CID (no such process),
     * STATUS_INVALID_PARAMETER (the id is a thread's). {@code *Process} is NULL after a failure. IRQL: ≤ APC_LEVEL.
     */
    public static int PsLookupProcessByProcessId(long ProcessId, MemorySegment Process) {
        try {
            return processes().lookupProcess(ProcessId, Process);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsLookupThreadByThreadId(HANDLE ThreadId, PETHREAD *Thread)}: STATUS_SUCCESS
     * ({@code *Thread} referenced), STATUS_INVALID_CID (no such thread, or it has terminated),
     * STATUS_INVALID_PARAMETER (the id is a process's). IRQL: ≤ APC_LEVEL.
     */
    public static int PsLookupThreadByThreadId(long ThreadId, MemorySegment Thread) {
        try {
            return processes().lookupThread(ThreadId, Thread);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsCreateTenantProcess(PHANDLE ProcessHandle, ACCESS_MASK DesiredAccess,
     * POBJECT_ATTRIBUTES ObjectAttributes, PCSTR ImageFileName)} (offkern's): a new process beside the
     * System process, with its own empty handle table, a fresh UniqueProcessId, CreateTime,
     * InheritedFromUniqueProcessId (the process the caller runs in) and ImageFileName (truncated to 14
     * characters), linked on the active-process list; the process notify routines are told (an Ex
     * routine may veto with CreationStatus: that status is returned). {@code *ProcessHandle}: a handle
     * to it in the caller's current process (OBJ_KERNEL_HANDLE: a kernel handle). It lives until
     * ZwTerminateProcess and the end of its threads. STATUS_INVALID_PARAMETER for a name in
     * ObjectAttributes, OBJ_PERMANENT, OBJ_EXCLUSIVE, OBJ_OPENIF or an empty ImageFileName. IRQL: PASSIVE_LEVEL.
     */
    public static int PsCreateTenantProcess(MemorySegment ProcessHandle, int DesiredAccess, MemorySegment ObjectAttributes,
                                            String ImageFileName) {
        try {
            return processes().createTenantProcess(ProcessHandle, DesiredAccess, ObjectAttributes, ImageFileName);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsGetProcessExitStatus(PEPROCESS Process)}: STATUS_PENDING until the process is
     * terminated, then the status ZwTerminateProcess gave it (the System process: always STATUS_PENDING). IRQL: any.
     */
    public static int PsGetProcessExitStatus(MemorySegment Process) {
        try {
            return processes().processExitStatus(Process);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsSetCreateProcessNotifyRoutineEx(PCREATE_PROCESS_NOTIFY_ROUTINE_EX NotifyRoutine,
     * BOOLEAN Remove)}: registers (Remove FALSE) or removes a routine told of every tenant process's
     * creation (with a PS_CREATE_NOTIFY_INFO whose CreationStatus it may set to veto) and exit (CreateInfo
     * NULL). STATUS_SUCCESS; STATUS_INVALID_PARAMETER (registered already, or 64 process routines are
     * registered); STATUS_PROCEDURE_NOT_FOUND (removing one that is not registered). A removal waits for
     * the routine's calls in progress. IRQL: PASSIVE_LEVEL.
     */
    public static int PsSetCreateProcessNotifyRoutineEx(CREATE_PROCESS_NOTIFY_ROUTINE_EX NotifyRoutine, boolean Remove) {
        try {
            return processes().setCreateProcessNotifyRoutineEx(NotifyRoutine, Remove);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsSetCreateProcessNotifyRoutine(PCREATE_PROCESS_NOTIFY_ROUTINE NotifyRoutine,
     * BOOLEAN Remove)}: as the Ex form, told (ParentId, ProcessId, Create) and unable to veto; the two
     * forms share the limit of 64. IRQL: PASSIVE_LEVEL.
     */
    public static int PsSetCreateProcessNotifyRoutine(CREATE_PROCESS_NOTIFY_ROUTINE NotifyRoutine, boolean Remove) {
        try {
            return processes().setCreateProcessNotifyRoutine(NotifyRoutine, Remove);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsSetCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine)}: a
     * routine told (ProcessId, ThreadId, Create) of every thread PsCreateSystemThread creates (on the
     * creating thread, before the new one runs) and ends (on the ending thread, after its start
     * routine). STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES when 64 are registered. IRQL: PASSIVE_LEVEL.
     */
    public static int PsSetCreateThreadNotifyRoutine(CREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine) {
        try {
            return processes().setCreateThreadNotifyRoutine(NotifyRoutine);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PSCREATETHREADNOTIFYTYPE PsCreateThreadNotifyNonSystem}. */
    public static final int PsCreateThreadNotifyNonSystem = 0;
    /** {@code PSCREATETHREADNOTIFYTYPE PsCreateThreadNotifySubsystems}. */
    public static final int PsCreateThreadNotifySubsystems = 1;

    /**
     * {@code NTSTATUS PsSetCreateThreadNotifyRoutineEx(PSCREATETHREADNOTIFYTYPE NotifyType, PVOID
     * NotifyInformation)}: PsCreateThreadNotifySubsystems routines are told as PsSetCreateThreadNotifyRoutine's;
     * PsCreateThreadNotifyNonSystem routines run on the new thread, for non-system threads only — every
     * thread offkern creates is a system thread, so they are never called. STATUS_SUCCESS;
     * STATUS_INSUFFICIENT_RESOURCES (64 thread routines); STATUS_INVALID_PARAMETER for another
     * NotifyType. Removed with PsRemoveCreateThreadNotifyRoutine. IRQL: PASSIVE_LEVEL.
     */
    public static int PsSetCreateThreadNotifyRoutineEx(int NotifyType, CREATE_THREAD_NOTIFY_ROUTINE NotifyInformation) {
        try {
            return processes().setCreateThreadNotifyRoutineEx(NotifyType, NotifyInformation);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsRemoveCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine)}:
     * STATUS_SUCCESS (after the routine's calls in progress returned); STATUS_PROCEDURE_NOT_FOUND if it
     * is not registered. IRQL: PASSIVE_LEVEL.
     */
    public static int PsRemoveCreateThreadNotifyRoutine(CREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine) {
        try {
            return processes().removeCreateThreadNotifyRoutine(NotifyRoutine);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code *PsProcessType}: the Process object type. IRQL: any. */
    public static MemorySegment PsProcessType() {
        try {
            return Ob.objects().processType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code *PsThreadType}: the Thread object type. IRQL: any. */
    public static MemorySegment PsThreadType() {
        try {
            return Ob.objects().threadType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES
     * ObjectAttributes, HANDLE ProcessHandle, PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine, PVOID
     * StartContext)}: a new thread in the System process (ProcessHandle NULL), in the process the caller
     * runs in (NtCurrentProcess()) or in the process a handle with PROCESS_CREATE_THREAD names (a tenant:
     * STATUS_PROCESS_IS_TERMINATING once ZwTerminateProcess ran) running {@code StartRoutine(StartContext)} at PASSIVE_LEVEL
     * in a critical region; {@code *ThreadHandle} a handle to its ETHREAD (OBJ_KERNEL_HANDLE in
     * ObjectAttributes: a kernel handle), {@code *ClientId} (optional) {process id, thread id}. Closing
     * the handle does not stop the thread. STATUS_INVALID_PARAMETER for OBJ_PERMANENT, OBJ_EXCLUSIVE,
     * OBJ_OPENIF or a name; the handle lookup's statuses for a bad ProcessHandle. IRQL: PASSIVE_LEVEL.
     */
    public static int PsCreateSystemThread(MemorySegment ThreadHandle, int DesiredAccess, MemorySegment ObjectAttributes,
                                           long ProcessHandle, MemorySegment ClientId, KSTART_ROUTINE StartRoutine,
                                           MemorySegment StartContext) {
        try {
            Kernel k = Kernel.current();
            if (StartRoutine == null) {
                throw new IllegalArgumentException("PsCreateSystemThread: StartRoutine is NULL");
            }
            return k.processes().createSystemThread(ThreadHandle, DesiredAccess, ObjectAttributes, ProcessHandle, ClientId, StartRoutine,
                    null, StartContext, k::attach);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PsCreateSystemThread} with a native StartRoutine (a function of a library registered with the kernel). */
    public static int PsCreateSystemThread(MemorySegment ThreadHandle, int DesiredAccess, MemorySegment ObjectAttributes,
                                           long ProcessHandle, MemorySegment ClientId, MemorySegment StartRoutine,
                                           MemorySegment StartContext) {
        try {
            Kernel k = Kernel.current();
            return k.processes().createSystemThread(ThreadHandle, DesiredAccess, ObjectAttributes, ProcessHandle, ClientId, null,
                    StartRoutine, StartContext, k::attach);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus)}: ends the calling system thread with
     * ExitStatus and does not return (it unwinds the start routine with an Error a Java routine must
     * not catch); STATUS_INVALID_PARAMETER if the caller is not a thread PsCreateSystemThread made.
     * IRQL: PASSIVE_LEVEL.
     */
    public static int PsTerminateSystemThread(int ExitStatus) {
        try {
            return processes().terminateSystemThread(ExitStatus);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN PsIsThreadTerminating(PETHREAD Thread)}: TRUE once the thread has ended or its
     * process has been terminated (ZwTerminateProcess; offkern does not stop running Java threads, so a
     * tenant's system threads poll this and return). Not a thread: as PsGetThreadId. IRQL: any.
     */
    public static boolean PsIsThreadTerminating(MemorySegment Thread) {
        try {
            return processes().isThreadTerminating(Thread);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsGetThreadExitStatus(PETHREAD Thread)}: STATUS_PENDING while the thread runs,
     * then the status it ended with (STATUS_SUCCESS when its start routine returned). IRQL: any.
     */
    public static int PsGetThreadExitStatus(MemorySegment Thread) {
        try {
            return processes().threadExitStatus(Thread);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== Tokens and impersonation (semantics: dev.offkern.runtime.srm.TokenManager) =====

    /** {@code PACCESS_TOKEN PsReferencePrimaryToken(PEPROCESS Process)}: the process's primary token, referenced (EPROCESS.Token's fast reference). IRQL: ≤ APC_LEVEL. */
    public static MemorySegment PsReferencePrimaryToken(MemorySegment Process) {
        try {
            return Se.token(Se.tokens().referencePrimaryToken(Process));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID PsDereferencePrimaryToken(PACCESS_TOKEN PrimaryToken)}: ObDereferenceObject. IRQL: ≤ DISPATCH_LEVEL. */
    public static void PsDereferencePrimaryToken(MemorySegment PrimaryToken) {
        try {
            Se.tokens().dereferenceToken(PrimaryToken.address(), "PsDereferencePrimaryToken");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PACCESS_TOKEN PsReferenceImpersonationToken(PETHREAD Thread, PBOOLEAN CopyOnOpen, PBOOLEAN
     * EffectiveOnly, PSECURITY_IMPERSONATION_LEVEL ImpersonationLevel)}: the thread's impersonation token,
     * referenced, or NULL; the three out values are written only when it impersonates. IRQL: ≤ APC_LEVEL.
     */
    public static MemorySegment PsReferenceImpersonationToken(MemorySegment Thread, MemorySegment CopyOnOpen, MemorySegment EffectiveOnly,
                                                              MemorySegment ImpersonationLevel) {
        try {
            return Se.token(Se.tokens().referenceImpersonationToken(Thread, CopyOnOpen, EffectiveOnly, ImpersonationLevel));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID PsDereferenceImpersonationToken(PACCESS_TOKEN ImpersonationToken)}: ObDereferenceObject if not NULL. IRQL: ≤ DISPATCH_LEVEL. */
    public static void PsDereferenceImpersonationToken(MemorySegment ImpersonationToken) {
        try {
            Se.tokens().dereferenceToken(ImpersonationToken == null ? 0 : ImpersonationToken.address(), "PsDereferenceImpersonationToken");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS PsImpersonateClient(PETHREAD Thread, PACCESS_TOKEN Token, BOOLEAN CopyOnOpen, BOOLEAN
     * EffectiveOnly, SECURITY_IMPERSONATION_LEVEL ImpersonationLevel)}: the thread impersonates Token
     * (referenced; NULL ends impersonation) at the level (never above an impersonation token's own);
     * STATUS_BAD_IMPERSONATION_LEVEL for a level outside 0..3. IRQL: PASSIVE_LEVEL.
     */
    public static int PsImpersonateClient(MemorySegment Thread, MemorySegment Token, boolean CopyOnOpen, boolean EffectiveOnly,
                                          int ImpersonationLevel) {
        try {
            return Se.tokens().impersonateClient(Thread, Token == null ? 0 : Token.address(), CopyOnOpen, EffectiveOnly, ImpersonationLevel);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID PsRevertToSelf(VOID)}: the calling thread stops impersonating. IRQL: PASSIVE_LEVEL. */
    public static void PsRevertToSelf() {
        try {
            Se.tokens().revertToSelf();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Tokens and impersonation =====
}
