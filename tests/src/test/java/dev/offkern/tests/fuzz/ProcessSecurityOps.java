package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Se;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.ob.OBJECT_HANDLE_INFORMATION;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.SeConstants;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Processes and threads as securable objects: Zw/NtOpenProcess and Zw/NtOpenThread by client id
 * (own ids, ids of the other kind, ids never issued, mismatched pairs, names, no client id), from
 * kernel and user mode, maybe impersonating a random token, and ObOpenObjectByPointer on the System
 * process and the calling thread. What must hold whatever the token: a KernelMode open of an own id
 * succeeds, a UserMode one succeeds or is STATUS_ACCESS_DENIED, every grant lies within the type's
 * valid rights, a name or a missing client id is STATUS_INVALID_PARAMETER_MIX, an id that names
 * nothing of the kind STATUS_INVALID_CID.
 */
final class ProcessSecurityOps {
    private ProcessSecurityOps() {
    }

    static List<Op> ops() {
        return List.of(Op.of("ps.open", 2, ProcessSecurityOps::open, "ZwOpenProcess", "NtOpenProcess", "ZwOpenThread", "NtOpenThread",
                "ObOpenObjectByPointer", "PsGetCurrentProcessId", "PsGetCurrentThreadId", "PsProcessType", "PsThreadType",
                "PsImpersonateClient", "PsRevertToSelf", "ZwClose", "ObReferenceObjectByHandle"));
    }

    private static int access(Ctx c) {
        return switch (c.n(6)) {
            case 0 -> AccessMask.MAXIMUM_ALLOWED;
            case 1 -> AccessMask.GENERIC_READ;
            case 2 -> AccessMask.SYNCHRONIZE;
            case 3 -> AccessMask.PROCESS_QUERY_INFORMATION;
            case 4 -> 0;
            default -> c.anyInt();
        };
    }

    private interface OpenRoutine {
        int call(MemorySegment handle, int desired, MemorySegment oa, MemorySegment cid);
    }

    private static int user(java.util.function.Supplier<Integer> call) {
        return Kernel.current().objects().callFromUserMode(call);
    }

    /** The granted access of an own handle, checked against the type's valid rights, then closed. */
    private static void check(MemorySegment b, long handle, boolean process, String how) {
        MemorySegment type = process ? Ps.PsProcessType() : Ps.PsThreadType();
        if (Ob.ObReferenceObjectByHandle(handle, 0, type, Ob.KernelMode, b.asSlice(200, 8), b.asSlice(208, 8)) != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException(how + ": the new handle does not resolve to a " + (process ? "process" : "thread"));
        }
        Ob.ObDereferenceObject(MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 200)));
        int g = b.get(JAVA_INT_UNALIGNED, 208 + OBJECT_HANDLE_INFORMATION.GRANTED_ACCESS_OFFSET);
        int valid = (process ? AccessMask.PROCESS_ALL_ACCESS : AccessMask.THREAD_ALL_ACCESS) | AccessMask.ACCESS_SYSTEM_SECURITY;
        if ((g & ~valid) != 0) {
            throw new FuzzInvariantException(how + " granted 0x" + Integer.toHexString(g) + ", beyond the type's valid rights");
        }
        Zw.ZwClose(handle);
    }

    /** What a UserMode access check may answer: denied, a privilege missing (ACCESS_SYSTEM_SECURITY), a token below SecurityImpersonation. */
    private static boolean checkFailure(int st) {
        return st == NtStatus.STATUS_ACCESS_DENIED || st == NtStatus.STATUS_PRIVILEGE_NOT_HELD || st == NtStatus.STATUS_BAD_IMPERSONATION_LEVEL;
    }

    static void open(Ctx c) {
        MemorySegment b = TokenOps.scratch(c, 1200);
        long pid = Ps.PsGetCurrentProcessId();
        long tid = Ps.PsGetCurrentThreadId();
        if (c.p(0.5)) {
            long token = TokenOps.createToken(c, b, SeConstants.TokenImpersonation, c.n(4));
            if (Ob.ObReferenceObjectByHandle(token, 0, Se.SeTokenObjectType(), Ob.KernelMode, b.asSlice(400, 8), MemorySegment.NULL)
                    != NtStatus.STATUS_SUCCESS) {
                throw new FuzzInvariantException("the new token's handle does not resolve");
            }
            MemorySegment t = MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 400));
            c.after.add(x -> Ob.ObDereferenceObject(t));
            Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), t, false, false, c.n(4));
            c.after.add(x -> Ps.PsRevertToSelf());
        }
        MemorySegment oa = b.asSlice(500, 0x30);
        MemorySegment name = b.asSlice(560, 24);
        MemorySegment cid = b.asSlice(600, 16);
        MemorySegment h = b.asSlice(620, 8);
        for (int i = 0; i < 1 + c.n(6); i++) {
            boolean process = c.p(0.5);
            boolean userMode = c.p(0.5);
            boolean named = c.p(0.1);
            boolean noCid = c.p(0.1);
            if (named) {
                name.set(JAVA_LONG_UNALIGNED, 0, 0x0002_0002L); // Length 2, MaximumLength 2
                name.set(JAVA_LONG_UNALIGNED, 8, name.address() + 16);
                name.set(JAVA_INT_UNALIGNED, 16, '\\');
            }
            Ob.InitializeObjectAttributes(oa, named ? name : MemorySegment.NULL, c.p(0.5) ? ObjectAttributes.OBJ_KERNEL_HANDLE : 0, 0,
                    MemorySegment.NULL);
            int kind = c.n(5); // 0: own ids, 1: the other kind's id, 2: never issued, 3: mismatched pair, 4: random
            long p = kind == 2 ? 0x7FFFFFF0L : kind == 4 ? c.anyInt() & 0xFFFCL : pid;
            long t = kind == 2 ? 0x7FFFFFF4L : kind == 4 ? c.anyInt() & 0xFFFCL : tid;
            if (kind == 3) {
                p = 0x7FFFFFF0L; // never issued: the thread is not in it
            }
            boolean viaThread = !process || c.p(0.4) || kind == 3;
            cid.set(JAVA_LONG_UNALIGNED, 0, kind == 1 ? (process ? tid : pid) : (viaThread && process && kind != 3 && c.p(0.5) ? 0 : p));
            cid.set(JAVA_LONG_UNALIGNED, 8, kind == 1 ? (process ? 0 : pid) : (viaThread ? t : 0));
            int desired = access(c);
            OpenRoutine r = process ? (userMode ? Zw::NtOpenProcess : Zw::ZwOpenProcess) : (userMode ? Zw::NtOpenThread : Zw::ZwOpenThread);
            MemorySegment cidArg = noCid ? MemorySegment.NULL : cid;
            int st = userMode ? user(() -> r.call(h, desired, oa, cidArg)) : r.call(h, desired, oa, cidArg);
            String how = (process ? "" : "thread ") + (userMode ? "NtOpen" : "ZwOpen") + " kind " + kind;
            if (named || noCid) {
                if (st != NtStatus.STATUS_INVALID_PARAMETER_MIX) {
                    throw new FuzzInvariantException(how + " with a name or no client id returned 0x" + Integer.toHexString(st));
                }
                continue;
            }
            if (st == NtStatus.STATUS_SUCCESS) {
                check(b, h.get(JAVA_LONG_UNALIGNED, 0), process, how);
            } else if (kind == 0 && (!userMode || !checkFailure(st))) {
                throw new FuzzInvariantException(how + " of the caller's own ids returned 0x" + Integer.toHexString(st));
            } else if ((kind == 1 || kind == 2 || kind == 3) && st != NtStatus.STATUS_INVALID_CID) {
                throw new FuzzInvariantException(how + " of an id that names nothing of the kind returned 0x" + Integer.toHexString(st));
            }
        }
        MemorySegment target = c.p(0.5) ? Ps.PsInitialSystemProcess() : Ps.PsGetCurrentThread();
        boolean isProcess = target.equals(Ps.PsInitialSystemProcess());
        int mode = c.n(2);
        int desired = access(c);
        int st = mode == Ob.UserMode
                ? user(() -> Ob.ObOpenObjectByPointer(target, 0, MemorySegment.NULL, desired, isProcess ? Ps.PsProcessType() : Ps.PsThreadType(),
                        Ob.UserMode, h))
                : Ob.ObOpenObjectByPointer(target, ObjectAttributes.OBJ_KERNEL_HANDLE, MemorySegment.NULL, desired,
                        isProcess ? Ps.PsProcessType() : Ps.PsThreadType(), Ob.KernelMode, h);
        if (st == NtStatus.STATUS_SUCCESS) {
            check(b, h.get(JAVA_LONG_UNALIGNED, 0), isProcess, "ObOpenObjectByPointer");
        } else if (mode == Ob.KernelMode || !checkFailure(st)) {
            throw new FuzzInvariantException("ObOpenObjectByPointer(mode " + mode + ") of a process or thread returned 0x" + Integer.toHexString(st));
        }
    }
}
