package dev.offkern.runtime.ps;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.layout.ps.EPROCESS;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.KeExitSignal;
import dev.offkern.runtime.ke.ListEntries;
import dev.offkern.runtime.ob.ObRoutines;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;

/**
 * Tenant processes: the further processes an embedder creates beside the System process, each with
 * its own handle table ({@code PsCreateTenantProcess}), and how any process but System ends
 * ({@code ZwTerminateProcess}, then its last thread).
 *
 * <h2>Life of a tenant</h2>
 * <ol>
 *   <li><b>Creation</b>: a Process object whose EPROCESS has a fresh UniqueProcessId (from the one
 *       client-id space), CreateTime, InheritedFromUniqueProcessId (the process the creating thread
 *       runs in), ImageFileName, an empty ThreadListHead, linked on PsActiveProcessHead and entered in
 *       the id table; a new, empty handle table. The process notify routines run (on the creating
 *       thread, PASSIVE_LEVEL, critical region); an Ex routine that stores an error status in
 *       CreationStatus fails the creation with that status (the process ends at once: the routines
 *       already called hear of its exit). Then the caller gets a handle.</li>
 *   <li><b>Use</b>: threads attach to it (KeStackAttachProcess) and so use its handle table; system
 *       threads are created in it (PsCreateSystemThread with a handle to it). A tenant with no threads
 *       lives until it is terminated.</li>
 *   <li><b>Termination</b>: ZwTerminateProcess records the exit status and refuses new threads
 *       (STATUS_PROCESS_IS_TERMINATING); offkern cannot stop a running Java thread, so the tenant's
 *       threads run on until they return (a system thread of the tenant that terminates its own process
 *       ends at once, as PsTerminateSystemThread ends it). When the last has ended — at once if none
 *       runs — the process <b>ends</b>: the notify routines hear of the exit, its handle table is run
 *       down (every handle closed, its references dropped), it leaves PsActiveProcessHead and the id
 *       table, it is signalled (its waiters wake), and the id table's reference is dropped: the object
 *       is freed when the last handle and reference go.</li>
 * </ol>
 * The System process never ends (ZwTerminateProcess on it: STATUS_ACCESS_DENIED). At kernel close a
 * tenant that was never terminated is treated as the System process is (its EPROCESS, held by the
 * kernel alone, is no leak); objects its handle table still holds are reported.
 *
 * <p>Progress: blocking (the list lock, the handle table's monitor, the notify routines).
 */
public final class Tenants {
    private Tenants() {
    }

    /**
     * {@code PsCreateTenantProcess(ProcessHandle, DesiredAccess, ObjectAttributes, ImageFileName)}:
     * see the class comment. STATUS_INVALID_PARAMETER for a named ObjectAttributes, OBJ_PERMANENT,
     * OBJ_EXCLUSIVE or OBJ_OPENIF, or an empty image name; a notify routine's CreationStatus.
     */
    public static int create(ProcessManager pm, MemorySegment processHandle, int desiredAccess, MemorySegment objectAttributes,
                             String imageFileName) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "PsCreateTenantProcess");
        }
        if (processHandle == null || processHandle.address() == 0) {
            throw new IllegalArgumentException("PsCreateTenantProcess: ProcessHandle is NULL");
        }
        if (imageFileName == null) {
            throw new IllegalArgumentException("PsCreateTenantProcess: ImageFileName is NULL");
        }
        if (imageFileName.isEmpty()) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        int attributes = 0;
        if (objectAttributes != null && objectAttributes.address() != 0) {
            MemorySegment oa = objectAttributes.byteSize() >= OBJECT_ATTRIBUTES.X64.size() ? objectAttributes
                    : pm.core.addressSpace().resolve(objectAttributes.address(), OBJECT_ATTRIBUTES.X64.size());
            attributes = oa.get(JAVA_INT_UNALIGNED, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET);
            if ((attributes & (ObjectAttributes.OBJ_PERMANENT | ObjectAttributes.OBJ_EXCLUSIVE | ObjectAttributes.OBJ_OPENIF)) != 0
                    || oa.get(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.OBJECT_NAME_OFFSET) != 0) {
                return NtStatus.STATUS_INVALID_PARAMETER; // processes have no names
            }
        }
        PsThread creator = pm.current();
        long parentId = creator.current.id;
        PsProcess p = pm.newProcess(pm.nextId.getAndAdd(4), imageFileName, pm.ob.newHandleTable(), parentId);
        pm.liveProcesses.add(p);
        int st = pm.notify.processCreated(p, parentId, creator, imageFileName);
        if (st == NtStatus.STATUS_SUCCESS) {
            st = ObRoutines.openObjectByPointer(pm.ob, p.eprocess, attributes, MemorySegment.NULL, desiredAccess, MemorySegment.NULL,
                    ObjectManager.KernelMode, processHandle);
            if (st == NtStatus.STATUS_SUCCESS) {
                return st;
            }
            pm.notify.processEnded(p); // every routine heard of the creation
        }
        synchronized (pm.lists) {
            p.terminating = true;
            p.exitStatus = st;
        }
        endQuietly(pm, p);
        return st;
    }

    /**
     * {@code ZwTerminateProcess(ProcessHandle, ExitStatus)}: STATUS_SUCCESS; the handle lookup's
     * statuses (a handle without PROCESS_TERMINATE is still accepted: Zw is KernelMode);
     * STATUS_PROCESS_IS_TERMINATING if it was terminated before; STATUS_ACCESS_DENIED for the System
     * process. A created system thread terminating its own process ends at once (does not return).
     */
    public static int terminate(ProcessManager pm, long processHandle, int exitStatus) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ZwTerminateProcess");
        }
        long body = pm.ob.referenceByHandle(processHandle, AccessMask.PROCESS_TERMINATE, pm.ob.processType(), ObjectManager.KernelMode, null);
        if (body < 0) {
            return (int) body;
        }
        PsProcess p = pm.processAt(body);
        pm.ob.dereference(body); // the process lives on: the id table holds it until it ends
        if (p == null || p == pm.system()) {
            return NtStatus.STATUS_ACCESS_DENIED;
        }
        boolean endNow;
        synchronized (pm.lists) {
            if (p.terminating) {
                return NtStatus.STATUS_PROCESS_IS_TERMINATING;
            }
            p.exitStatus = exitStatus; // volatile write: before terminating (readers of the flag see the status)
            p.terminating = true;
            endNow = p.liveThreads == 0;
        }
        if (endNow) {
            end(pm, p);
        }
        PsThread caller = pm.current();
        if (caller.process == p && caller.created) {
            throw new SystemThreads.Termination(exitStatus); // the caller is one of the process's threads: it ends too
        }
        return NtStatus.STATUS_SUCCESS;
    }

    /** {@code PsGetProcessExitStatus(Process)}: STATUS_PENDING until the process is terminated. */
    public static int exitStatus(ProcessManager pm, MemorySegment process) {
        return pm.processRecord(process, "PsGetProcessExitStatus").exitStatus;
    }

    /** Ends {@code p} once (terminating, no live thread): see the class comment. */
    static void end(ProcessManager pm, PsProcess p) {
        if (p.ended.get()) {
            return;
        }
        pm.notify.processEnded(p);
        endQuietly(pm, p);
    }

    /** The end without the exit notification (a creation that failed after notifying, or before). */
    private static void endQuietly(ProcessManager pm, PsProcess p) {
        if (!p.ended.compareAndSet(false, true)) {
            return;
        }
        RuntimeException failure = null;
        try {
            pm.ob.rundown(p.handles);
        } catch (RuntimeException e) {
            failure = e; // a close procedure's bug check: the process still ends
        }
        synchronized (pm.lists) {
            ListEntries.remove(pm.core, p.address() + EPROCESS.ACTIVE_PROCESS_LINKS_OFFSET);
        }
        pm.cids.remove(p.id); // retired before its reference goes: lookups find it referenced or not at all
        KeExitSignal.signal(pm.core, p.eprocess);
        synchronized (pm) { // against close(): a process is either counted there (still live) or dereferenced here
            if (!pm.closed && !pm.core.isClosed()) {
                try {
                    pm.ob.dereference(p.address());
                } finally {
                    pm.liveProcesses.remove(p); // after the dereference: pendingTenantRecords() == 0 means every end is complete
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
