package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.ps.PS_CREATE_NOTIFY_INFO;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.CREATE_PROCESS_NOTIFY_ROUTINE;
import dev.offkern.nt.CREATE_PROCESS_NOTIFY_ROUTINE_EX;
import dev.offkern.nt.CREATE_THREAD_NOTIFY_ROUTINE;
import dev.offkern.nt.KSTART_ROUTINE;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.PoolFlags;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Processes and threads: each thread reads its own ETHREAD and process (ids, create time, the
 * system-thread flag) and looks up its own, the System process's and arbitrary ids, dereferencing
 * every object a lookup returned before the step ends. Hostile steps pass ids nobody holds, objects
 * of the wrong kind, and pointers that are no object (unmapped, or a fuzz block whose TypeIndex byte
 * names no type): a status, an IllegalArgumentException, or REFERENCE_BY_POINTER / 0x50.
 */
final class ProcessOps {
    private ProcessOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("ps.identity", 4, ProcessOps::identity, "PsGetCurrentThread", "PsGetCurrentProcess", "PsGetCurrentThreadId",
                        "PsGetCurrentProcessId", "PsGetThreadId", "PsGetProcessId", "PsGetProcessCreateTimeQuadPart", "PsIsSystemThread",
                        "PsInitialSystemProcess", "PsLookupProcessByProcessId", "PsLookupThreadByThreadId", "ObDereferenceObject",
                        "PsIsThreadTerminating", "KeGetCurrentThread"),
                Op.of("ps.hostile", 2, ProcessOps::hostile, "PsLookupProcessByProcessId", "PsLookupThreadByThreadId", "PsGetProcessId",
                        "PsGetThreadId", "PsGetProcessCreateTimeQuadPart", "PsIsSystemThread", "ObDereferenceObject",
                        "PsTerminateSystemThread", "PsCreateSystemThread", "PsGetThreadExitStatus", "PsIsThreadTerminating"),
                Op.of("ps.systemThreads", 3, ProcessOps::systemThreads, "PsCreateSystemThread", "PsTerminateSystemThread",
                        "PsGetThreadExitStatus", "ZwWaitForSingleObject", "ZwClose", "ObReferenceObjectByHandle", "ObDereferenceObject",
                        "PsLookupThreadByThreadId", "PsThreadType", "InitializeObjectAttributes"),
                Op.of("ps.tenants", 3, ProcessOps::tenants, "PsCreateTenantProcess", "KeStackAttachProcess", "KeUnstackDetachProcess",
                        "ZwTerminateProcess", "PsGetProcessExitStatus", "ZwCreateEvent", "ZwClose", "ObReferenceObjectByHandle",
                        "ObDereferenceObject", "PsGetCurrentProcess", "PsProcessType", "ZwWaitForSingleObject", "ZwDuplicateObject"),
                Op.of("ps.notify", 2, ProcessOps::notifyRoutines, "PsSetCreateProcessNotifyRoutineEx", "PsSetCreateProcessNotifyRoutine",
                        "PsSetCreateThreadNotifyRoutine", "PsSetCreateThreadNotifyRoutineEx", "PsRemoveCreateThreadNotifyRoutine",
                        "PsCreateTenantProcess", "ZwTerminateProcess",
                        "PsCreateSystemThread", "ZwWaitForSingleObject", "ZwClose"),
                Op.of("ps.attachHostile", 1, ProcessOps::attachHostile, "KeStackAttachProcess", "KeUnstackDetachProcess",
                        "ZwTerminateProcess", "PsGetProcessExitStatus", "PsCreateTenantProcess"));
    }

    /** The status a vetoing notify routine of {@link #notifyRoutines} stores: tenant creations may fail with it. */
    private static final int VETO = NtStatus.STATUS_ACCESS_DENIED;

    private static long tenant(Ctx c, MemorySegment out) {
        return tenant(c, out, MemorySegment.NULL);
    }

    /** A tenant; {@code oa} (OBJECT_ATTRIBUTES or NULL) says whether its handle is a kernel handle. 0 if a notify routine vetoed it. */
    private static long tenant(Ctx c, MemorySegment out, MemorySegment oa) {
        int st = Ps.PsCreateTenantProcess(out, AccessMask.PROCESS_ALL_ACCESS, oa, "fuzz-" + c.n(100));
        if (st == VETO) {
            return 0; // another thread's notify routine vetoed it
        }
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException("PsCreateTenantProcess returned 0x" + Integer.toHexString(st));
        }
        long h = out.get(JAVA_LONG, 0);
        c.after.add(x -> Zw.ZwClose(h));
        return h;
    }

    /**
     * Tenants: create one or two, attach (nested, sometimes to the same process twice), create handles
     * there and check they resolve only there, detach in reverse order (always, even after a failure),
     * terminate, wait for the end, check its exit status and that the current process is System again.
     */
    static void tenants(Ctx c) {
        MemorySegment b = scratch(c);
        MemorySegment guard = b.asSlice(200, 8);
        guard.set(JAVA_LONG, 0, -100_000_000L);
        int n = 1 + c.n(2);
        long[] handles = new long[n];
        MemorySegment[] processes = new MemorySegment[n];
        MemorySegment kernelHandle = b.asSlice(208, 48); // the process handles are used while attached elsewhere
        Ob.InitializeObjectAttributes(kernelHandle, MemorySegment.NULL, ObjectAttributes.OBJ_KERNEL_HANDLE, 0, MemorySegment.NULL);
        for (int i = 0; i < n; i++) {
            handles[i] = tenant(c, b.asSlice(0, 8), kernelHandle);
            if (handles[i] == 0) {
                return;
            }
            if (Ob.ObReferenceObjectByHandle(handles[i], 0, Ps.PsProcessType(), Ob.KernelMode, b.asSlice(8, 8), MemorySegment.NULL)
                    != NtStatus.STATUS_SUCCESS) {
                throw new FuzzInvariantException("a new tenant's handle does not resolve");
            }
            MemorySegment p = MemorySegment.ofAddress(b.get(JAVA_LONG, 8));
            processes[i] = p;
            c.after.add(x -> Ob.ObDereferenceObject(p));
        }
        MemorySegment system = Ps.PsInitialSystemProcess();
        int depth = 0;
        MemorySegment[] states = {b.asSlice(16, 48), b.asSlice(64, 48), b.asSlice(112, 48)};
        try {
            for (int level = 0; level < 1 + c.n(3); level++) {
                MemorySegment target = processes[c.n(n)];
                c.note("attach level " + level + " to 0x" + Long.toHexString(target.address()));
                Ke.KeStackAttachProcess(target, states[depth]);
                depth++;
                if (!Ps.PsGetCurrentProcess().equals(target)) {
                    throw new FuzzInvariantException("PsGetCurrentProcess is not the process just attached to");
                }
                if (Zw.ZwCreateEvent(b.asSlice(176, 8), AccessMask.EVENT_ALL_ACCESS, MemorySegment.NULL, 0, false) == NtStatus.STATUS_SUCCESS) {
                    long ev = b.get(JAVA_LONG, 176);
                    if (c.p(0.3)) { // a copy into another tenant's table (its end closes it)
                        int st = Zw.ZwDuplicateObject(Zw.NtCurrentProcess, ev, handles[c.n(n)], b.asSlice(184, 8), 0, 0,
                                ObjectAttributes.DUPLICATE_SAME_ACCESS);
                        if (st != NtStatus.STATUS_SUCCESS) {
                            throw new FuzzInvariantException("ZwDuplicateObject into a live tenant returned 0x" + Integer.toHexString(st));
                        }
                    }
                    if (c.p(0.5) && Zw.ZwClose(ev) != NtStatus.STATUS_SUCCESS) {
                        throw new FuzzInvariantException("closing an event in the attached process failed");
                    }
                    // else left open: the tenant's end closes it
                }
            }
        } finally {
            while (depth > 0) {
                Ke.KeUnstackDetachProcess(states[--depth]);
            }
        }
        if (!Ps.PsGetCurrentProcess().equals(system)) {
            throw new FuzzInvariantException("after the detaches the current process is not System");
        }
        for (int i = 0; i < n; i++) {
            int status = 0x100 + c.n(50);
            int st = Zw.ZwTerminateProcess(handles[i], status);
            if (st != NtStatus.STATUS_SUCCESS) {
                throw new FuzzInvariantException("ZwTerminateProcess of a thread-less tenant returned 0x" + Integer.toHexString(st));
            }
            if (Zw.ZwWaitForSingleObject(handles[i], false, guard) != NtStatus.STATUS_SUCCESS) {
                throw new FuzzInvariantException("a terminated thread-less tenant is not signalled");
            }
            if (Ps.PsGetProcessExitStatus(processes[i]) != status) {
                throw new FuzzInvariantException("a tenant's exit status is not the one it was terminated with");
            }
        }
    }

    /** Notify routines: registered and removed within the step; some veto (with {@link #VETO}) the creations they see. */
    static void notifyRoutines(Ctx c) {
        MemorySegment b = scratch(c);
        MemorySegment guard = b.asSlice(200, 8);
        guard.set(JAVA_LONG, 0, -100_000_000L);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        boolean veto = c.p(0.2);
        CREATE_PROCESS_NOTIFY_ROUTINE_EX ex = (p, id, info) -> {
            calls.incrementAndGet();
            if (veto && info.address() != 0) {
                info.reinterpret(PS_CREATE_NOTIFY_INFO.X64.size()).set(java.lang.foreign.ValueLayout.JAVA_INT,
                        PS_CREATE_NOTIFY_INFO.CREATION_STATUS_OFFSET, VETO);
            }
        };
        CREATE_PROCESS_NOTIFY_ROUTINE legacy = (parent, id, create) -> calls.incrementAndGet();
        CREATE_THREAD_NOTIFY_ROUTINE thread = (process, id, create) -> calls.incrementAndGet();
        int exSt = Ps.PsSetCreateProcessNotifyRoutineEx(ex, false);
        int legacySt = c.p(0.5) ? Ps.PsSetCreateProcessNotifyRoutine(legacy, false) : NtStatus.STATUS_UNSUCCESSFUL;
        int threadSt = c.p(0.5) ? Ps.PsSetCreateThreadNotifyRoutine(thread)
                : Ps.PsSetCreateThreadNotifyRoutineEx(c.n(2), thread);
        try {
            if (exSt == NtStatus.STATUS_SUCCESS && Ps.PsSetCreateProcessNotifyRoutineEx(ex, false) != NtStatus.STATUS_INVALID_PARAMETER) {
                throw new FuzzInvariantException("registering a process notify routine twice did not fail");
            }
            long h = tenant(c, b.asSlice(0, 8));
            if (h != 0) {
                int st = Ps.PsCreateSystemThread(b.asSlice(8, 8), AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, h, MemorySegment.NULL,
                        RETURNS, MemorySegment.NULL);
                if (st == NtStatus.STATUS_SUCCESS) {
                    long th = b.get(JAVA_LONG, 8);
                    c.after.add(x -> Zw.ZwClose(th));
                    Zw.ZwWaitForSingleObject(th, false, guard);
                }
                Zw.ZwTerminateProcess(h, 0);
            }
        } finally {
            if (exSt == NtStatus.STATUS_SUCCESS && Ps.PsSetCreateProcessNotifyRoutineEx(ex, true) != NtStatus.STATUS_SUCCESS) {
                throw new FuzzInvariantException("removing a registered Ex routine failed");
            }
            if (legacySt == NtStatus.STATUS_SUCCESS && Ps.PsSetCreateProcessNotifyRoutine(legacy, true) != NtStatus.STATUS_SUCCESS) {
                throw new FuzzInvariantException("removing a registered routine failed");
            }
            if (threadSt == NtStatus.STATUS_SUCCESS && Ps.PsRemoveCreateThreadNotifyRoutine(thread) != NtStatus.STATUS_SUCCESS) {
                throw new FuzzInvariantException("removing a registered thread routine failed");
            }
        }
        int before = calls.get();
        if (Ps.PsRemoveCreateThreadNotifyRoutine(thread) != NtStatus.STATUS_PROCEDURE_NOT_FOUND
                || Ps.PsSetCreateProcessNotifyRoutineEx(ex, true) != NtStatus.STATUS_PROCEDURE_NOT_FOUND) {
            throw new FuzzInvariantException("removing a routine twice did not fail with STATUS_PROCEDURE_NOT_FOUND");
        }
        long h = tenant(c, b.asSlice(0, 8));
        if (h != 0) {
            Zw.ZwTerminateProcess(h, 0);
        }
        if (calls.get() != before) {
            throw new FuzzInvariantException("a removed notify routine was called");
        }
    }

    /** Misuse: detaching without an attach (0x6), attaching to what is no process, terminating what is no tenant. */
    static void attachHostile(Ctx c) {
        MemorySegment b = scratch(c);
        switch (c.n(4)) {
            case 0 -> {
                long process = switch (c.n(3)) {
                    case 0 -> 0L;
                    case 1 -> 1L; // what an attach to the current process stores: returns at once
                    default -> c.r.nextLong();
                };
                b.set(JAVA_LONG, 32, process); // KAPC_STATE.Process
                Ke.KeUnstackDetachProcess(b.asSlice(0, 48)); // not attached: 0x6 unless Process is 1
            }
            case 1 -> {
                MemorySegment p = c.p(0.5) ? Ps.PsGetCurrentThread() : MemorySegment.ofAddress(c.unmappedAddress());
                Ke.KeStackAttachProcess(p, b.asSlice(0, 48));
                Ke.KeUnstackDetachProcess(b.asSlice(0, 48)); // not reached for a non-process
            }
            case 2 -> {
                int st = Zw.ZwTerminateProcess(c.p(0.5) ? Zw.NtCurrentProcess : c.r.nextLong(), c.anyInt());
                if (st == NtStatus.STATUS_SUCCESS) {
                    throw new FuzzInvariantException("ZwTerminateProcess ended the System process or a stray handle's process");
                }
            }
            default -> {
                Ps.PsGetProcessExitStatus(c.p(0.5) ? Ps.PsInitialSystemProcess() : MemorySegment.ofAddress(c.unmappedAddress()));
                Ps.PsCreateTenantProcess(b.asSlice(0, 8), c.anyInt(), MemorySegment.NULL, c.p(0.5) ? "" : null);
            }
        }
    }

    /** Start routines (one instance each: a kernel keeps one upcall stub per routine). Odd contexts terminate with that status. */
    private static final KSTART_ROUTINE RETURNS = ctx -> Ps.PsGetCurrentThreadId();
    private static final KSTART_ROUTINE TERMINATES = ctx -> {
        Ps.PsTerminateSystemThread((int) ctx.address());
        throw new IllegalStateException("PsTerminateSystemThread returned in a system thread");
    };

    static void systemThreads(Ctx c) {
        MemorySegment b = scratch(c);
        MemorySegment guard = b.asSlice(200, 8);
        guard.set(JAVA_LONG, 0, -100_000_000L); // 10 s relative: a correct run never waits that long
        int n = 1 + c.n(3);
        long[] handles = new long[n];
        int[] expected = new int[n];
        for (int i = 0; i < n; i++) {
            boolean terminate = c.p(0.5);
            int status = terminate ? 0x1001 + 2 * c.n(8) : NtStatus.STATUS_SUCCESS;
            MemorySegment oa = MemorySegment.NULL;
            if (c.p(0.5)) {
                oa = b.asSlice(64, 48);
                Ob.InitializeObjectAttributes(oa, MemorySegment.NULL, c.p(0.8) ? ObjectAttributes.OBJ_KERNEL_HANDLE : ObjectAttributes.OBJ_OPENIF,
                        0, MemorySegment.NULL);
            }
            c.note("create terminate=" + terminate);
            int st = Ps.PsCreateSystemThread(b.asSlice(0, 8), c.p(0.8) ? AccessMask.THREAD_ALL_ACCESS : c.anyInt(), oa,
                    c.p(0.8) ? 0 : Zw.NtCurrentProcess, c.p(0.5) ? b.asSlice(16, 16) : MemorySegment.NULL,
                    terminate ? TERMINATES : RETURNS, MemorySegment.ofAddress(terminate ? status : 0));
            if (st != NtStatus.STATUS_SUCCESS) {
                handles[i] = 0;
                continue;
            }
            handles[i] = b.get(JAVA_LONG, 0);
            expected[i] = status;
        }
        for (int i = 0; i < n; i++) {
            if (handles[i] == 0) {
                continue;
            }
            long h = handles[i];
            c.after.add(x -> Zw.ZwClose(h));
            int w = Zw.ZwWaitForSingleObject(h, false, guard);
            if (w != NtStatus.STATUS_SUCCESS) {
                throw new FuzzInvariantException("waiting for a system thread returned 0x" + Integer.toHexString(w));
            }
            if (Ob.ObReferenceObjectByHandle(h, 0, Ps.PsThreadType(), Ob.KernelMode, b.asSlice(32, 8), MemorySegment.NULL)
                    == NtStatus.STATUS_SUCCESS) {
                MemorySegment t = MemorySegment.ofAddress(b.get(JAVA_LONG, 32));
                int exit = Ps.PsGetThreadExitStatus(t);
                long tid = Ps.PsGetThreadId(t);
                Ob.ObDereferenceObject(t);
                if (exit != expected[i]) {
                    throw new FuzzInvariantException("system thread " + tid + " ended with 0x" + Integer.toHexString(exit) + ", not 0x"
                            + Integer.toHexString(expected[i]));
                }
                if (Ps.PsLookupThreadByThreadId(tid, b.asSlice(40, 8)) != NtStatus.STATUS_INVALID_CID) {
                    throw new FuzzInvariantException("the id of ended system thread " + tid + " still resolves");
                }
            }
        }
    }

    private static MemorySegment scratch(Ctx c) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 256, World.TAG);
        if (b.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("fuzzer: no pool for a scratch block");
        }
        c.after.add(x -> Ex.ExFreePool(b));
        return b;
    }

    /** Any id: own thread's, the System process's, a small multiple of 4, or garbage. */
    private static long anyId(Ctx c) {
        return switch (c.n(6)) {
            case 0 -> Ps.PsGetCurrentThreadId();
            case 1 -> Ps.PsGetCurrentProcessId();
            case 2 -> 4L * c.n(64);
            case 3 -> c.anyInt() & 0xFFFFFFFFL;
            case 4 -> c.r.nextLong();
            default -> 4L * c.n(64) + 1 + c.n(3);
        };
    }

    static void identity(Ctx c) {
        MemorySegment b = scratch(c);
        MemorySegment me = Ps.PsGetCurrentThread();
        long tid = Ps.PsGetCurrentThreadId();
        if (dev.offkern.ddi.Ke.KeGetCurrentThread().address() != me.address()) {
            throw new FuzzInvariantException("KeGetCurrentThread() 0x" + Long.toHexString(dev.offkern.ddi.Ke.KeGetCurrentThread().address())
                    + " is not PsGetCurrentThread() 0x" + Long.toHexString(me.address()) + " (the KTHREAD is the ETHREAD's first member)");
        }
        if (Ps.PsGetThreadId(me) != tid || tid % 4 != 0) {
            throw new FuzzInvariantException("PsGetThreadId(PsGetCurrentThread()) is " + Ps.PsGetThreadId(me) + ", PsGetCurrentThreadId " + tid);
        }
        MemorySegment process = Ps.PsGetCurrentProcess();
        if (Ps.PsGetProcessId(process) != Ps.PsGetCurrentProcessId() || !process.equals(Ps.PsInitialSystemProcess())) {
            throw new FuzzInvariantException("the current process is not the System process with id PsGetCurrentProcessId");
        }
        Ps.PsGetProcessCreateTimeQuadPart(process);
        Ps.PsIsSystemThread(me);
        if (Ps.PsIsThreadTerminating(me)) {
            throw new FuzzInvariantException("PsIsThreadTerminating of a running thread of the System process is TRUE");
        }
        for (int i = 0; i < 1 + c.n(4); i++) {
            long id = anyId(c);
            c.note("lookup " + id);
            boolean asThread = c.p(0.5);
            int st = asThread ? Ps.PsLookupThreadByThreadId(id, b.asSlice(0, 8)) : Ps.PsLookupProcessByProcessId(id, b.asSlice(0, 8));
            if (st == NtStatus.STATUS_SUCCESS) {
                MemorySegment o = MemorySegment.ofAddress(b.get(JAVA_LONG, 0));
                long back = asThread ? Ps.PsGetThreadId(o) : Ps.PsGetProcessId(o);
                Ob.ObDereferenceObject(o);
                if (back != id) {
                    throw new FuzzInvariantException("lookup of id " + id + " returned an object whose id is " + back);
                }
            } else if (st != NtStatus.STATUS_INVALID_CID && st != NtStatus.STATUS_INVALID_PARAMETER) {
                throw new FuzzInvariantException("lookup of id " + id + " returned 0x" + Integer.toHexString(st));
            }
        }
    }

    static void hostile(Ctx c) {
        MemorySegment b = scratch(c);
        MemorySegment p;
        switch (c.n(3)) {
            case 0 -> p = MemorySegment.ofAddress(c.unmappedAddress());
            case 1 -> {
                b.asSlice(128, 0x40).fill((byte) c.n(2));
                p = MemorySegment.ofAddress(b.address() + 128 + 0x30);
            }
            default -> p = c.p(0.5) ? Ps.PsGetCurrentThread() : Ps.PsInitialSystemProcess(); // right or wrong kind
        }
        c.note("hostile object 0x" + Long.toHexString(p.address()));
        switch (c.n(8)) {
            case 5 -> {
                if (Ps.PsTerminateSystemThread(c.anyInt()) != NtStatus.STATUS_INVALID_PARAMETER) {
                    throw new FuzzInvariantException("PsTerminateSystemThread on a thread it did not create did not fail");
                }
            }
            case 6 -> {
                MemorySegment routine = c.p(0.5) ? p : MemorySegment.ofAddress(c.unmappedAddress());
                int st = Ps.PsCreateSystemThread(b.asSlice(0, 8), 0, MemorySegment.NULL, c.p(0.5) ? 0 : c.r.nextLong(),
                        MemorySegment.NULL, routine, MemorySegment.NULL);
                if (st == NtStatus.STATUS_SUCCESS) {
                    throw new FuzzInvariantException("PsCreateSystemThread accepted StartRoutine 0x" + Long.toHexString(routine.address()));
                }
            }
            case 4 -> Ps.PsGetThreadExitStatus(p);
            case 0 -> Ps.PsGetProcessId(p);
            case 1 -> Ps.PsGetThreadId(p);
            case 2 -> Ps.PsGetProcessCreateTimeQuadPart(p);
            case 7 -> {
                Ps.PsIsSystemThread(p);
                Ps.PsIsThreadTerminating(p);
            }
            case 3 -> {
                int st = c.p(0.5) ? Ps.PsLookupThreadByThreadId(anyId(c), b.asSlice(0, 8))
                        : Ps.PsLookupProcessByProcessId(anyId(c), b.asSlice(0, 8));
                if (st == NtStatus.STATUS_SUCCESS) {
                    Ob.ObDereferenceObject(MemorySegment.ofAddress(b.get(JAVA_LONG, 0)));
                }
            }
        }
    }
}
