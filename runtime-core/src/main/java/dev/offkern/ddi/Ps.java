package dev.offkern.ddi;

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
 * (or at kernel close).
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
}
