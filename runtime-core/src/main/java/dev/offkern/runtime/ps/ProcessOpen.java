package dev.offkern.runtime.ps;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.layout.Abi;
import dev.offkern.layout.OpaqueParts;
import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ob.ObRoutines;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.ob.ObjectType;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * {@code NtOpenProcess} / {@code ZwOpenProcess} and {@code NtOpenThread} / {@code ZwOpenThread}: a handle
 * to a process or thread named by its CLIENT_ID, as Windows' PsOpenProcess / PsOpenThread make it.
 *
 * <h2>Steps</h2>
 * <ol>
 *   <li>ObjectAttributes is required; a name in it, or no ClientId, is STATUS_INVALID_PARAMETER_MIX
 *       (processes and threads have no names).</li>
 *   <li>The object: for a process, the thread ClientId.UniqueThread names (when not 0; its process must
 *       be ClientId.UniqueProcess unless that is 0) or else the process ClientId.UniqueProcess names;
 *       for a thread, the thread ClientId.UniqueThread names, in process ClientId.UniqueProcess unless
 *       that is 0. An id that names nothing live, or an object of the other kind, is STATUS_INVALID_CID.</li>
 *   <li>A caller holding SeDebugPrivilege (SeSinglePrivilegeCheck with the previous mode: always for
 *       KernelMode) gets what it asks (MAXIMUM_ALLOWED: every valid right) without the access check;
 *       else the handle is ObOpenObjectByPointer's with the previous mode: a UserMode caller (or
 *       OBJ_FORCE_ACCESS_CHECK) is checked against the object's descriptor (STATUS_ACCESS_DENIED), and
 *       OBJ_KERNEL_HANDLE is ignored from user mode.</li>
 * </ol>
 * The Zw forms run with previous mode KernelMode. IRQL: PASSIVE_LEVEL. Stateless.
 */
public final class ProcessOpen {
    private static final long CLIENT_ID_SIZE = OpaqueParts.clientId(Abi.X64).size();
    private static final long UNIQUE_PROCESS = OpaqueParts.clientId(Abi.X64).offset("UniqueProcess");
    private static final long UNIQUE_THREAD = OpaqueParts.clientId(Abi.X64).offset("UniqueThread");

    private ProcessOpen() {
    }

    /** {@code NtOpenProcess(ProcessHandle, DesiredAccess, ObjectAttributes, ClientId)} with previous mode {@code mode}. */
    public static int openProcess(ProcessManager pm, MemorySegment processHandle, int desiredAccess, MemorySegment objectAttributes,
                                  MemorySegment clientId, int mode, String routine) {
        return open(pm, processHandle, desiredAccess, objectAttributes, clientId, mode, true, routine);
    }

    /** {@code NtOpenThread(ThreadHandle, DesiredAccess, ObjectAttributes, ClientId)} with previous mode {@code mode}. */
    public static int openThread(ProcessManager pm, MemorySegment threadHandle, int desiredAccess, MemorySegment objectAttributes,
                                 MemorySegment clientId, int mode, String routine) {
        return open(pm, threadHandle, desiredAccess, objectAttributes, clientId, mode, false, routine);
    }

    private static int open(ProcessManager pm, MemorySegment handle, int desiredAccess, MemorySegment objectAttributes,
                            MemorySegment clientId, int mode, boolean process, String routine) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, routine);
        }
        if (isNull(handle) || isNull(objectAttributes)) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        MemorySegment oa = bounded(pm, objectAttributes, OBJECT_ATTRIBUTES.X64.size());
        int attributes = oa.get(JAVA_INT_UNALIGNED, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET);
        if (oa.get(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.OBJECT_NAME_OFFSET) != 0 || isNull(clientId)) {
            return NtStatus.STATUS_INVALID_PARAMETER_MIX;
        }
        MemorySegment cid = bounded(pm, clientId, CLIENT_ID_SIZE);
        long processId = cid.get(JAVA_LONG_UNALIGNED, UNIQUE_PROCESS);
        long threadId = cid.get(JAVA_LONG_UNALIGNED, UNIQUE_THREAD);
        long body = process ? processByCid(pm, processId, threadId) : threadByCid(pm, processId, threadId);
        if (body < 0) {
            return (int) body;
        }
        try {
            ProcessSecurity sec = pm.security();
            boolean privileged = mode != ObjectManager.KernelMode && sec != null && sec.debugPrivilege(mode);
            ObjectType t = process ? pm.ob.processType() : pm.ob.threadType();
            return ObRoutines.openForService(pm.ob, body, attributes, desiredAccess, privileged, t, mode, handle, routine);
        } finally {
            pm.ob.dereference(body);
        }
    }

    /** The referenced EPROCESS the client id names, or STATUS_INVALID_CID (negative). */
    private static long processByCid(ProcessManager pm, long processId, long threadId) {
        if (threadId != 0) {
            long thread = threadByCid(pm, processId, threadId);
            if (thread < 0) {
                return thread;
            }
            try {
                processId = pm.ob.body(thread, ETHREAD.X64.size()).get(JAVA_LONG, ETHREAD.CID_OFFSET); // Cid.UniqueProcess
            } finally {
                pm.ob.dereference(thread);
            }
        }
        return lookup(pm, processId, true);
    }

    /** The referenced ETHREAD the client id names (in process {@code processId} unless 0), or STATUS_INVALID_CID. */
    private static long threadByCid(ProcessManager pm, long processId, long threadId) {
        long thread = lookup(pm, threadId, false);
        if (thread < 0 || processId == 0) {
            return thread;
        }
        if (pm.ob.body(thread, ETHREAD.X64.size()).get(JAVA_LONG, ETHREAD.CID_OFFSET) != processId) {
            pm.ob.dereference(thread);
            return NtStatus.STATUS_INVALID_CID;
        }
        return thread;
    }

    private static long lookup(ProcessManager pm, long id, boolean process) {
        try (Arena a = Arena.ofConfined()) { // native: the lookup refuses a segment at address 0 (a heap segment's)
            MemorySegment out = a.allocate(JAVA_LONG);
            int st = process ? pm.lookupProcess(id, out) : pm.lookupThread(id, out);
            if (st != NtStatus.STATUS_SUCCESS) {
                return NtStatus.STATUS_INVALID_CID; // nothing live, or an id of the other kind
            }
            return out.get(JAVA_LONG, 0);
        }
    }

    private static boolean isNull(MemorySegment s) {
        return s == null || s.address() == 0;
    }

    private static MemorySegment bounded(ProcessManager pm, MemorySegment s, long size) {
        return s.byteSize() >= size ? s : pm.core.addressSpace().resolve(s.address(), size);
    }
}
