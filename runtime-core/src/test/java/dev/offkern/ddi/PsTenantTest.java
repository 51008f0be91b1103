package dev.offkern.ddi;

import static dev.offkern.ddi.Ps.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ke.KAPC_STATE;
import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.layout.ps.EPROCESS;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KSTART_ROUTINE;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenant processes and attachment through the DDI: PsCreateTenantProcess (the EPROCESS's fields, the
 * active-process list, the id table), KeStackAttachProcess / KeUnstackDetachProcess (the KAPC_STATE
 * bytes, nesting, handles resolved in the attached process, the 0x5 / 0x6 bug checks),
 * PsCreateSystemThread into a tenant, ZwTerminateProcess and the process's end (signalled, unlisted,
 * its handle table closed), bad input, and contention with no object left.
 */
class PsTenantTest {
    private static final int TAG = PoolTags.tag("PsTn");
    private static final long TEN_SECONDS = -100_000_000L;

    @TempDir
    Path dumps;

    private Kernel kernel;

    private void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)).attach().leakReportSink(s -> { });
    }

    @AfterEach
    void shutdown() {
        if (kernel != null && !kernel.isClosed()) {
            kernel.close();
        }
    }

    private static MemorySegment block(long size) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
        assertFalse(b.equals(MemorySegment.NULL));
        return b;
    }

    private static long tenant(String name) {
        MemorySegment h = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, PsCreateTenantProcess(h, AccessMask.PROCESS_ALL_ACCESS, MemorySegment.NULL, name));
        long handle = h.get(JAVA_LONG, 0);
        Ex.ExFreePool(h);
        return handle;
    }

    private static MemorySegment object(long handle, MemorySegment type) {
        MemorySegment o = block(8);
        int st = Ob.ObReferenceObjectByHandle(handle, 0, type, Ob.KernelMode, o, MemorySegment.NULL);
        long a = o.get(JAVA_LONG, 0);
        Ex.ExFreePool(o);
        return st == NtStatus.STATUS_SUCCESS ? MemorySegment.ofAddress(a).reinterpret(EPROCESS.X64.size()) : null;
    }

    private static long event() {
        MemorySegment h = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwCreateEvent(h, AccessMask.EVENT_ALL_ACCESS, MemorySegment.NULL, 0, false));
        long handle = h.get(JAVA_LONG, 0);
        Ex.ExFreePool(h);
        return handle;
    }

    private static int waitFor(long handle, long timeout100ns) {
        MemorySegment t = block(8);
        t.set(JAVA_LONG, 0, timeout100ns);
        int st = Zw.ZwWaitForSingleObject(handle, false, t);
        Ex.ExFreePool(t);
        return st;
    }

    private List<Long> activeProcesses() {
        long head = kernel.processes().activeProcessHead();
        List<Long> out = new ArrayList<>();
        long e = MemorySegment.ofAddress(head).reinterpret(16).get(JAVA_LONG, 0);
        while (e != head) {
            out.add(e - EPROCESS.ACTIVE_PROCESS_LINKS_OFFSET);
            e = MemorySegment.ofAddress(e).reinterpret(16).get(JAVA_LONG, 0);
            assertTrue(out.size() < 10_000, "the active-process list does not return to its head");
        }
        return out;
    }

    private static MemorySegment ethread() {
        return PsGetCurrentThread().reinterpret(ETHREAD.X64.size());
    }

    @Test
    void shouldCreateATenantWithItsOwnIdListedAndEndItWhenTerminated() {
        boot();
        long h = tenant("tenant-with-a-long-name.exe");
        MemorySegment p = object(h, PsProcessType());
        long id = PsGetProcessId(p);
        assertTrue(id > 4 && id % 4 == 0, "id " + id);
        assertNotEquals(p.address(), PsInitialSystemProcess().address());
        assertEquals(4L, p.get(JAVA_LONG, EPROCESS.INHERITED_FROM_UNIQUE_PROCESS_ID_OFFSET));
        assertTrue(PsGetProcessCreateTimeQuadPart(p) >= PsGetProcessCreateTimeQuadPart(PsInitialSystemProcess()));
        byte[] name = new byte[15];
        MemorySegment.copy(p, JAVA_BYTE, EPROCESS.IMAGE_FILE_NAME_OFFSET, name, 0, 15);
        assertEquals("tenant-with-a-\0", new String(name, 0, 15, StandardCharsets.US_ASCII)); // 14 characters, NUL-terminated
        assertTrue(activeProcesses().contains(p.address()));
        assertTrue(activeProcesses().contains(PsInitialSystemProcess().address()));
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, PsLookupProcessByProcessId(id, out));
        assertEquals(p.address(), out.get(JAVA_LONG, 0));
        Ob.ObDereferenceObject(p);
        assertEquals(NtStatus.STATUS_PENDING, PsGetProcessExitStatus(p));
        assertEquals(NtStatus.STATUS_TIMEOUT, waitFor(h, -1));
        assertEquals(1, kernel.processes().liveTenantCount());

        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwTerminateProcess(h, 0x1234));
        assertEquals(NtStatus.STATUS_SUCCESS, waitFor(h, TEN_SECONDS)); // no threads: ended at once
        assertEquals(0x1234, PsGetProcessExitStatus(p));
        assertFalse(activeProcesses().contains(p.address()));
        assertEquals(NtStatus.STATUS_INVALID_CID, PsLookupProcessByProcessId(id, out));
        assertEquals(NtStatus.STATUS_PROCESS_IS_TERMINATING, Zw.ZwTerminateProcess(h, 1));
        assertEquals(0, kernel.processes().liveTenantCount());
        Ob.ObDereferenceObject(p);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
        Ex.ExFreePool(out);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldResolveHandlesInTheProcessTheThreadIsAttachedTo() {
        boot();
        long h = tenant("a");
        MemorySegment p = object(h, PsProcessType());
        long systemEvent = event();
        MemorySegment state = block(KAPC_STATE.X64.size());
        Ke.KeStackAttachProcess(p, state);
        assertEquals(p.address(), PsGetCurrentProcess().address());
        assertEquals(4L, PsGetCurrentProcessId()); // the thread still belongs to System
        MemorySegment viaPseudo = object(Zw.NtCurrentProcess, PsProcessType());
        assertEquals(p.address(), viaPseudo.address());
        Ob.ObDereferenceObject(viaPseudo);
        long tenantEvent = event();
        MemorySegment inTenant = object(tenantEvent, Ex.ExEventObjectType());
        MemorySegment sys = object(systemEvent, Ex.ExEventObjectType());
        assertTrue(sys == null || sys.address() != inTenant.address()); // the System handle value names nothing here, or another object
        if (sys != null) {
            Ob.ObDereferenceObject(sys);
        }
        Ke.KeUnstackDetachProcess(state);
        assertEquals(PsInitialSystemProcess().address(), PsGetCurrentProcess().address());
        MemorySegment back = object(tenantEvent, Ex.ExEventObjectType());
        assertTrue(back == null || back.address() != inTenant.address());
        if (back != null) {
            Ob.ObDereferenceObject(back);
        }
        MemorySegment systemObject = object(systemEvent, Ex.ExEventObjectType());
        assertTrue(systemObject != null);
        Ob.ObDereferenceObject(systemObject);
        // The tenant's end closes the handle left in its table: the event goes when the last reference does.
        assertEquals(1L, kernel.objects().handleCount(inTenant.address()));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwTerminateProcess(h, 0));
        assertEquals(0L, kernel.objects().handleCount(inTenant.address()));
        Ob.ObDereferenceObject(inTenant);
        Ob.ObDereferenceObject(p);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(systemEvent));
        Ex.ExFreePool(state);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldWriteTheApcStatesAsWindowsDoesWhenAttachesNest() {
        boot();
        long h1 = tenant("one");
        long h2 = tenant("two");
        MemorySegment p1 = object(h1, PsProcessType());
        MemorySegment p2 = object(h2, PsProcessType());
        MemorySegment system = PsInitialSystemProcess();
        MemorySegment e = ethread();
        long apc = ETHREAD.TCB_APC_STATE_OFFSET;
        long saved = ETHREAD.TCB_SAVED_APC_STATE_OFFSET;
        assertEquals(system.address(), e.get(JAVA_LONG, ETHREAD.TCB_PROCESS_OFFSET));
        assertEquals(system.address(), e.get(JAVA_LONG, apc + KAPC_STATE.PROCESS_OFFSET));
        assertEquals(0, e.get(JAVA_BYTE, ETHREAD.TCB_APC_STATE_INDEX_OFFSET));
        assertEquals(e.address() + apc, e.get(JAVA_LONG, apc + KAPC_STATE.APC_LIST_HEAD_OFFSET)); // empty kernel APC queue

        MemorySegment s1 = block(KAPC_STATE.X64.size());
        MemorySegment s2 = block(KAPC_STATE.X64.size());
        MemorySegment s3 = block(KAPC_STATE.X64.size());
        s1.fill((byte) 0x5A);
        Ke.KeStackAttachProcess(p1, s1);
        assertEquals(0L, s1.get(JAVA_LONG, KAPC_STATE.PROCESS_OFFSET)); // first attach: the state went to SavedApcState
        assertEquals(1, e.get(JAVA_BYTE, ETHREAD.TCB_APC_STATE_INDEX_OFFSET));
        assertEquals(p1.address(), e.get(JAVA_LONG, apc + KAPC_STATE.PROCESS_OFFSET));
        assertEquals(system.address(), e.get(JAVA_LONG, saved + KAPC_STATE.PROCESS_OFFSET));
        assertEquals(e.address() + saved, e.get(JAVA_LONG, saved + KAPC_STATE.APC_LIST_HEAD_OFFSET));
        assertEquals(system.address(), e.get(JAVA_LONG, ETHREAD.TCB_PROCESS_OFFSET)); // the owner does not change

        Ke.KeStackAttachProcess(p2, s2);
        assertEquals(p1.address(), s2.get(JAVA_LONG, KAPC_STATE.PROCESS_OFFSET)); // nested: the state left went to the caller's buffer
        assertEquals(s2.address(), s2.get(JAVA_LONG, KAPC_STATE.APC_LIST_HEAD_OFFSET));
        assertEquals(s2.address() + KAPC_STATE.APC_LIST_HEAD_SIZE, s2.get(JAVA_LONG, KAPC_STATE.APC_LIST_HEAD_OFFSET + 8 + KAPC_STATE.APC_LIST_HEAD_SIZE));
        assertEquals(p2.address(), e.get(JAVA_LONG, apc + KAPC_STATE.PROCESS_OFFSET));
        assertEquals(p2.address(), PsGetCurrentProcess().address());

        Ke.KeStackAttachProcess(p2, s3);
        assertEquals(KAPC_STATE.PROCESS_SAME, s3.get(JAVA_LONG, KAPC_STATE.PROCESS_OFFSET)); // already there
        Ke.KeUnstackDetachProcess(s3);
        assertEquals(p2.address(), PsGetCurrentProcess().address());

        Ke.KeUnstackDetachProcess(s2);
        assertEquals(p1.address(), PsGetCurrentProcess().address());
        assertEquals(p1.address(), e.get(JAVA_LONG, apc + KAPC_STATE.PROCESS_OFFSET));
        assertEquals(1, e.get(JAVA_BYTE, ETHREAD.TCB_APC_STATE_INDEX_OFFSET));
        Ke.KeUnstackDetachProcess(s1);
        assertEquals(system.address(), PsGetCurrentProcess().address());
        assertEquals(0, e.get(JAVA_BYTE, ETHREAD.TCB_APC_STATE_INDEX_OFFSET));
        assertEquals(0L, e.get(JAVA_LONG, saved + KAPC_STATE.PROCESS_OFFSET));
        assertEquals(e.address() + apc, e.get(JAVA_LONG, apc + KAPC_STATE.APC_LIST_HEAD_OFFSET));

        for (long h : new long[] {h1, h2}) {
            assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwTerminateProcess(h, 0));
            assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
        }
        Ob.ObDereferenceObject(p1);
        Ob.ObDereferenceObject(p2);
        for (MemorySegment b : List.of(s1, s2, s3)) {
            Ex.ExFreePool(b);
        }
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldBugCheckADetachOfAThreadThatIsNotAttached() {
        boot();
        MemorySegment s = block(KAPC_STATE.X64.size());
        s.fill((byte) 0);
        BugCheck b = assertThrows(BugCheck.class, () -> Ke.KeUnstackDetachProcess(s));
        assertEquals(BugCheckCode.INVALID_PROCESS_DETACH_ATTEMPT, b.code());
        assertEquals(s.address(), b.parameter1());
        assertEquals(PsInitialSystemProcess().address(), b.parameter2());
        assertEquals(0L, b.parameter3());
    }

    @Test
    void shouldBugCheckADetachOutOfOrderOrWithAChangedBuffer() {
        boot();
        long h1 = tenant("one");
        long h2 = tenant("two");
        MemorySegment p1 = object(h1, PsProcessType());
        MemorySegment p2 = object(h2, PsProcessType());
        MemorySegment s1 = block(KAPC_STATE.X64.size());
        MemorySegment s2 = block(KAPC_STATE.X64.size());
        Ke.KeStackAttachProcess(p1, s1);
        Ke.KeStackAttachProcess(p2, s2);
        BugCheck b = assertThrows(BugCheck.class, () -> Ke.KeUnstackDetachProcess(s1));
        assertEquals(BugCheckCode.INVALID_PROCESS_DETACH_ATTEMPT, b.code());
        assertEquals(s1.address(), b.parameter1());
        assertEquals(p2.address(), b.parameter2());
        assertEquals(1L, b.parameter3());
        assertEquals(s2.address(), b.parameter4());
        s2.set(JAVA_LONG, KAPC_STATE.PROCESS_OFFSET, PsInitialSystemProcess().address()); // the caller changed the saved state
        BugCheck c = assertThrows(BugCheck.class, () -> Ke.KeUnstackDetachProcess(s2));
        assertEquals(BugCheckCode.INVALID_PROCESS_DETACH_ATTEMPT, c.code());
        assertEquals(s2.address(), c.parameter4());
        s2.set(JAVA_LONG, KAPC_STATE.PROCESS_OFFSET, p1.address());
        Ke.KeUnstackDetachProcess(s2); // the right order still works
        Ke.KeUnstackDetachProcess(s1);
        assertEquals(PsInitialSystemProcess().address(), PsGetCurrentProcess().address());
    }

    @Test
    void shouldBugCheckAnAttachInsideADpcRoutine() throws Exception {
        boot();
        long h = tenant("dpc");
        MemorySegment p = object(h, PsProcessType());
        MemorySegment s = block(KAPC_STATE.X64.size());
        MemorySegment dpc = block(dev.offkern.layout.ke.KDPC.X64.size());
        AtomicReference<BugCheck> seen = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        Ke.KeInitializeDpc(dpc, (d, ctx, a1, a2) -> {
            try {
                Ke.KeStackAttachProcess(p, s);
            } catch (BugCheck b) {
                seen.set(b);
            } finally {
                ran.countDown();
            }
        }, MemorySegment.NULL);
        assertTrue(Ke.KeInsertQueueDpc(dpc, MemorySegment.NULL, MemorySegment.NULL));
        assertTrue(ran.await(10, TimeUnit.SECONDS));
        BugCheck b = seen.get();
        assertTrue(b != null, "no bug check");
        assertEquals(BugCheckCode.INVALID_PROCESS_ATTACH_ATTEMPT, b.code());
        assertEquals(p.address(), b.parameter1());
        assertEquals(1L, b.parameter4());
    }

    @Test
    void shouldBugCheckASystemThreadThatEndsAttached() throws Exception {
        boot();
        long h = tenant("left-attached");
        MemorySegment p = object(h, PsProcessType());
        MemorySegment s = block(KAPC_STATE.X64.size());
        MemorySegment th = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, PsCreateSystemThread(th, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, 0,
                MemorySegment.NULL, (KSTART_ROUTINE) c -> Ke.KeStackAttachProcess(p, s), MemorySegment.NULL));
        long threadHandle = th.get(JAVA_LONG, 0);
        assertEquals(NtStatus.STATUS_SUCCESS, waitFor(threadHandle, TEN_SECONDS));
        var last = kernel.bugChecks().last();
        assertTrue(last != null, "no bug check");
        BugCheck b = last.bugCheck();
        assertEquals(BugCheckCode.INVALID_PROCESS_ATTACH_ATTEMPT, b.code());
        assertEquals(PsInitialSystemProcess().address(), b.parameter1());
        assertEquals(p.address(), b.parameter2());
        assertEquals(1L, b.parameter3());
        MemorySegment t = object(threadHandle, PsThreadType());
        assertEquals(t.address(), b.parameter4());
        Ob.ObDereferenceObject(t);
    }

    @Test
    void shouldRunASystemThreadInItsTenantAndEndTheTenantAfterItsLastThread() throws Exception {
        boot();
        long h = tenant("worker-host");
        MemorySegment p = object(h, PsProcessType());
        long id = PsGetProcessId(p);
        int liveBefore = kernel.processes().liveThreadCount();
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<String> seen = new AtomicReference<>();
        AtomicLong eventInTenant = new AtomicLong();
        MemorySegment th = block(8);
        MemorySegment cid = block(16);
        AtomicReference<String> terminating = new AtomicReference<>();
        KSTART_ROUTINE routine = c -> {
            seen.set(PsGetCurrentProcessId() + " " + PsGetCurrentProcess().address());
            boolean before = PsIsThreadTerminating(PsGetCurrentThread());
            eventInTenant.set(event()); // a handle in the tenant's table, left open
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            terminating.set(before + " " + PsIsThreadTerminating(PsGetCurrentThread())); // ZwTerminateProcess ran meanwhile
        };
        assertEquals(NtStatus.STATUS_SUCCESS, PsCreateSystemThread(th, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, h, cid, routine,
                MemorySegment.NULL));
        long threadHandle = th.get(JAVA_LONG, 0);
        assertEquals(id, cid.get(JAVA_LONG, 0));
        while (eventInTenant.get() == 0) {
            Thread.onSpinWait();
        }
        assertEquals(id + " " + p.address(), seen.get());
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwTerminateProcess(h, 0x77));
        assertEquals(NtStatus.STATUS_TIMEOUT, waitFor(h, -1)); // its thread still runs
        assertTrue(activeProcesses().contains(p.address()));
        assertEquals(NtStatus.STATUS_PROCESS_IS_TERMINATING, PsCreateSystemThread(th, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, h,
                MemorySegment.NULL, routine, MemorySegment.NULL));
        assertEquals(NtStatus.STATUS_PROCESS_IS_TERMINATING, Zw.ZwTerminateProcess(h, 1));
        release.countDown();
        assertEquals(NtStatus.STATUS_SUCCESS, waitFor(h, TEN_SECONDS));
        assertEquals(0x77, PsGetProcessExitStatus(p));
        assertFalse(activeProcesses().contains(p.address()));
        assertEquals(NtStatus.STATUS_SUCCESS, waitFor(threadHandle, TEN_SECONDS));
        assertEquals("false true", terminating.get());
        MemorySegment ended = object(threadHandle, PsThreadType());
        assertTrue(PsIsThreadTerminating(ended));
        Ob.ObDereferenceObject(ended);
        assertFalse(PsIsThreadTerminating(PsGetCurrentThread()));
        assertThrows(IllegalArgumentException.class, () -> PsIsThreadTerminating(PsInitialSystemProcess()));
        assertEquals(0, kernel.processes().liveTenantCount());
        Ob.ObDereferenceObject(p);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(threadHandle));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
        Ex.ExFreePool(th);
        Ex.ExFreePool(cid);
        // The system thread finishes its own end and its process's just after the signals a waiter returns
        // on: wait for that bookkeeping (bounded) before the close accounts for what is left.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((kernel.processes().liveThreadCount() > liveBefore || kernel.processes().pendingTenantRecords() > 0)
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString()); // the event left in its table went with it
    }

    @Test
    void shouldEndASystemThreadThatTerminatesItsOwnProcess() {
        boot();
        long h = tenant("self");
        MemorySegment p = object(h, PsProcessType());
        MemorySegment th = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, PsCreateSystemThread(th, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, h,
                MemorySegment.NULL, (KSTART_ROUTINE) c -> {
                    Zw.ZwTerminateProcess(Zw.NtCurrentProcess, 0x321);
                    throw new IllegalStateException("ZwTerminateProcess of its own process returned");
                }, MemorySegment.NULL));
        long threadHandle = th.get(JAVA_LONG, 0);
        assertEquals(NtStatus.STATUS_SUCCESS, waitFor(threadHandle, TEN_SECONDS));
        MemorySegment t = object(threadHandle, PsThreadType());
        assertEquals(0x321, PsGetThreadExitStatus(t));
        Ob.ObDereferenceObject(t);
        assertEquals(NtStatus.STATUS_SUCCESS, waitFor(h, TEN_SECONDS));
        assertEquals(0x321, PsGetProcessExitStatus(p));
        assertEquals(0L, kernel.bugChecks().raisedCount());
        Ob.ObDereferenceObject(p);
        Zw.ZwClose(threadHandle);
        Zw.ZwClose(h);
    }

    @Test
    void shouldDuplicateAHandleFromOneTenantIntoAnother() {
        boot();
        long ha = tenant("a");
        long hb = tenant("b");
        MemorySegment a = object(ha, PsProcessType());
        MemorySegment b = object(hb, PsProcessType());
        MemorySegment s = block(KAPC_STATE.X64.size());
        MemorySegment out = block(8);
        Ke.KeStackAttachProcess(a, s);
        long inA = event();
        MemorySegment ev = object(inA, Ex.ExEventObjectType());
        Ke.KeUnstackDetachProcess(s);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwDuplicateObject(ha, inA, hb, out, 0, 0, ObjectAttributes.DUPLICATE_SAME_ACCESS
                | ObjectAttributes.DUPLICATE_CLOSE_SOURCE));
        long inB = out.get(JAVA_LONG, 0);
        Ke.KeStackAttachProcess(b, s);
        MemorySegment seen = object(inB, Ex.ExEventObjectType());
        assertEquals(ev.address(), seen.address());
        Ob.ObDereferenceObject(seen);
        // into the caller's own (System) process, from B seen as the current process
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwDuplicateObject(Zw.NtCurrentProcess, inB, h(PsInitialSystemProcess()), out, 0,
                ObjectAttributes.OBJ_KERNEL_HANDLE, ObjectAttributes.DUPLICATE_SAME_ACCESS));
        long kernelCopy = out.get(JAVA_LONG, 0);
        Ke.KeUnstackDetachProcess(s);
        assertTrue(kernelCopy < 0, "OBJ_KERNEL_HANDLE makes a kernel handle");
        MemorySegment viaKernel = object(kernelCopy, Ex.ExEventObjectType());
        assertEquals(ev.address(), viaKernel.address());
        Ob.ObDereferenceObject(viaKernel);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(kernelCopy));
        Ke.KeStackAttachProcess(a, s);
        MemorySegment closed = object(inA, Ex.ExEventObjectType());
        assertTrue(closed == null || closed.address() != ev.address(), "DUPLICATE_CLOSE_SOURCE closed the handle in A");
        if (closed != null) {
            Ob.ObDereferenceObject(closed);
        }
        Ke.KeUnstackDetachProcess(s);
        long notAProcess = event();
        assertEquals(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, Zw.ZwDuplicateObject(notAProcess, inB, Zw.NtCurrentProcess, out, 0, 0, 0));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwTerminateProcess(ha, 0));
        assertEquals(NtStatus.STATUS_PROCESS_IS_TERMINATING, Zw.ZwDuplicateObject(hb, inB, ha, out, 0, 0, ObjectAttributes.DUPLICATE_SAME_ACCESS));
        assertEquals(1L, kernel.objects().handleCount(ev.address())); // B's copy alone
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwTerminateProcess(hb, 0));
        assertEquals(0L, kernel.objects().handleCount(ev.address()));
        Ob.ObDereferenceObject(ev);
        Ob.ObDereferenceObject(a);
        Ob.ObDereferenceObject(b);
        for (long h : new long[] {ha, hb, notAProcess}) {
            assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
        }
        closeAll();
        Ex.ExFreePool(s);
        Ex.ExFreePool(out);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    /** Kernel handles this test opened with {@link #h} (closed by {@link #closeAll}). */
    private final List<Long> opened = new ArrayList<>();

    /** A kernel handle to {@code process}, closed by {@link #closeAll}. */
    private long h(MemorySegment process) {
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObOpenObjectByPointer(process, ObjectAttributes.OBJ_KERNEL_HANDLE, MemorySegment.NULL,
                AccessMask.PROCESS_ALL_ACCESS, PsProcessType(), Ob.KernelMode, out));
        long v = out.get(JAVA_LONG, 0);
        Ex.ExFreePool(out);
        opened.add(v);
        return v;
    }

    private void closeAll() {
        for (long v : opened) {
            assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(v));
        }
        opened.clear();
    }

    @Test
    void shouldRefuseToTerminateTheSystemProcessAndBadHandles() {
        boot();
        long ev = event();
        MemorySegment h = block(8);
        MemorySegment sys = PsInitialSystemProcess();
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObOpenObjectByPointer(sys, ObjectAttributes.OBJ_KERNEL_HANDLE, MemorySegment.NULL,
                AccessMask.PROCESS_ALL_ACCESS, PsProcessType(), Ob.KernelMode, h));
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, Zw.ZwTerminateProcess(h.get(JAVA_LONG, 0), 0));
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, Zw.ZwTerminateProcess(Zw.NtCurrentProcess, 0));
        assertEquals(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, Zw.ZwTerminateProcess(ev, 0));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, Zw.ZwTerminateProcess(0x7FFC, 0));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h.get(JAVA_LONG, 0)));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(ev));
    }

    @Test
    void shouldRejectBadArguments() {
        boot();
        MemorySegment h = block(8);
        assertThrows(IllegalArgumentException.class, () -> PsCreateTenantProcess(MemorySegment.NULL, 0, MemorySegment.NULL, "x"));
        assertThrows(IllegalArgumentException.class, () -> PsCreateTenantProcess(h, 0, MemorySegment.NULL, null));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, PsCreateTenantProcess(h, 0, MemorySegment.NULL, ""));
        MemorySegment oa = block(OBJECT_ATTRIBUTES.X64.size());
        for (int bad : new int[] {ObjectAttributes.OBJ_PERMANENT, ObjectAttributes.OBJ_EXCLUSIVE, ObjectAttributes.OBJ_OPENIF}) {
            Ob.InitializeObjectAttributes(oa, MemorySegment.NULL, bad, 0, MemorySegment.NULL);
            assertEquals(NtStatus.STATUS_INVALID_PARAMETER, PsCreateTenantProcess(h, 0, oa, "x"));
        }
        assertEquals(0, kernel.processes().liveTenantCount());
        MemorySegment s = block(KAPC_STATE.X64.size());
        assertThrows(IllegalArgumentException.class, () -> Ke.KeStackAttachProcess(MemorySegment.NULL, s));
        assertThrows(IllegalArgumentException.class, () -> Ke.KeStackAttachProcess(PsGetCurrentThread(), s)); // a thread, not a process
        assertThrows(IllegalArgumentException.class, () -> Ke.KeStackAttachProcess(PsInitialSystemProcess(), MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> Ke.KeUnstackDetachProcess(MemorySegment.NULL));
        BugCheck b = assertThrows(BugCheck.class, () -> Ke.KeStackAttachProcess(MemorySegment.ofAddress(s.address() + 0x30), s));
        assertEquals(BugCheckCode.REFERENCE_BY_POINTER, b.code()); // no object there
    }

    @Test
    void shouldKeepEveryTenantsHandlesApartUnderContentionAndLeaveNothing() throws Exception {
        boot();
        int threads = 3;
        int rounds = 60;
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long shared = tenant("shared");
        MemorySegment sharedProcess = object(shared, PsProcessType());
        List<Thread> ts = new ArrayList<>();
        Set<Long> openInShared = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                try {
                    kernel.attach();
                    start.await();
                    MemorySegment s = block(KAPC_STATE.X64.size());
                    MemorySegment s2 = block(KAPC_STATE.X64.size());
                    for (int r = 0; r < rounds; r++) {
                        long own = tenant("t" + r);
                        MemorySegment p = object(own, PsProcessType());
                        Ke.KeStackAttachProcess(p, s);
                        long e = event();
                        MemorySegment evObj = object(e, Ex.ExEventObjectType());
                        Ke.KeStackAttachProcess(sharedProcess, s2);
                        long se = event();
                        if (!openInShared.add(se)) {
                            throw new AssertionError("handle value " + se + " reused while open in the shared tenant");
                        }
                        MemorySegment seObj = object(se, Ex.ExEventObjectType());
                        if (seObj == null || seObj.address() == evObj.address()) {
                            throw new AssertionError("the shared tenant's handle resolved to the wrong object");
                        }
                        Ob.ObDereferenceObject(seObj);
                        openInShared.remove(se);
                        if (Zw.ZwClose(se) != NtStatus.STATUS_SUCCESS) {
                            throw new AssertionError("close in the shared tenant failed");
                        }
                        Ke.KeUnstackDetachProcess(s2);
                        MemorySegment again = object(e, Ex.ExEventObjectType());
                        if (again == null || again.address() != evObj.address()) {
                            throw new AssertionError("after the nested detach the own tenant's handle resolves elsewhere");
                        }
                        Ob.ObDereferenceObject(again);
                        if (r % 2 == 0 && Zw.ZwClose(e) != NtStatus.STATUS_SUCCESS) { // odd rounds leave it to the tenant's end
                            throw new AssertionError("close in the own tenant failed");
                        }
                        Ke.KeUnstackDetachProcess(s);
                        if (PsGetCurrentProcess().address() != PsInitialSystemProcess().address()) {
                            throw new AssertionError("not back in the System process");
                        }
                        if (Zw.ZwTerminateProcess(own, r) != NtStatus.STATUS_SUCCESS || waitFor(own, TEN_SECONDS) != NtStatus.STATUS_SUCCESS) {
                            throw new AssertionError("tenant did not end");
                        }
                        Ob.ObDereferenceObject(evObj);
                        Ob.ObDereferenceObject(p);
                        Zw.ZwClose(own);
                    }
                    Ex.ExFreePool(s);
                    Ex.ExFreePool(s2);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) {
            t.join(120_000);
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(1, kernel.processes().liveTenantCount());
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwTerminateProcess(shared, 0));
        assertEquals(0, kernel.processes().liveTenantCount());
        assertEquals(1, new HashSet<>(activeProcesses()).size()); // System alone
        Ob.ObDereferenceObject(sharedProcess);
        Zw.ZwClose(shared);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }
}
