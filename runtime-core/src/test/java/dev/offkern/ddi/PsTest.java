package dev.offkern.ddi;

import static dev.offkern.ddi.Ps.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ps.EPROCESS;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ke.KeWait;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Processes and threads through the DDI: the System process and its EPROCESS fields, the ETHREAD
 * every calling Java thread gets (Cid at ETHREAD's offsets, ids multiples of 4), the id lookups with
 * their references and error statuses, and no object left at close.
 */
class PsTest {
    private static final int TAG = PoolTags.tag("PsTs");

    @TempDir
    Path dumps;

    private Kernel kernel;

    private Kernel boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)).attach().leakReportSink(s -> { });
        return kernel;
    }

    @AfterEach
    void shutdown() {
        if (kernel != null && !kernel.isClosed()) {
            kernel.close();
        }
    }

    private static MemorySegment out() {
        return Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, TAG);
    }

    @Test
    void shouldMakeTheSystemProcessWithItsDocumentedFields() {
        boot();
        long before = KeWait.systemTime();
        MemorySegment system = PsInitialSystemProcess();
        assertEquals(system, PsInitialSystemProcess());
        assertEquals(4L, PsGetProcessId(system));
        assertEquals(4L, system.get(JAVA_LONG, EPROCESS.UNIQUE_PROCESS_ID_OFFSET));
        assertEquals(3, system.get(JAVA_BYTE, EPROCESS.PCB_HEADER_OFFSET + DISPATCHER_HEADER.TYPE_OFFSET)); // ProcessObject
        long created = PsGetProcessCreateTimeQuadPart(system);
        assertEquals(created, system.get(JAVA_LONG, EPROCESS.CREATE_TIME_OFFSET));
        assertTrue(created > 0 && created <= KeWait.systemTime() && created >= before - 10_000_000L * 3600);
        assertEquals('S', system.get(JAVA_BYTE, EPROCESS.IMAGE_FILE_NAME_OFFSET));
        assertEquals(Ob.ObGetObjectType(system).address(), PsProcessType().address());
        // ActiveProcessLinks is on a real circular list: following Flink comes back to it through the head
        long links = system.address() + EPROCESS.ACTIVE_PROCESS_LINKS_OFFSET;
        long head = system.get(JAVA_LONG, EPROCESS.ACTIVE_PROCESS_LINKS_OFFSET + LIST_ENTRY.FLINK_OFFSET);
        assertNotEquals(links, head);
        assertEquals(head, system.get(JAVA_LONG, EPROCESS.ACTIVE_PROCESS_LINKS_OFFSET + LIST_ENTRY.BLINK_OFFSET)); // the only process
        assertEquals(kernel.processes().activeProcessHead(), head);
        MemorySegment h = MemorySegment.ofAddress(head).reinterpret(LIST_ENTRY.X64.size());
        assertEquals(links, h.get(JAVA_LONG, LIST_ENTRY.FLINK_OFFSET));
        assertEquals(links, h.get(JAVA_LONG, LIST_ENTRY.BLINK_OFFSET));
    }

    @Test
    void shouldGiveTheCallingThreadAnEthreadInTheSystemProcess() {
        boot();
        MemorySegment t = PsGetCurrentThread();
        assertEquals(t, PsGetCurrentThread());
        assertEquals(PsInitialSystemProcess(), PsGetCurrentProcess());
        assertEquals(4L, PsGetCurrentProcessId());
        long id = PsGetCurrentThreadId();
        assertEquals(0, id % 4);
        assertTrue(id > 4);
        assertEquals(id, PsGetThreadId(t));
        assertEquals(4L, t.get(JAVA_LONG, ETHREAD.CID_OFFSET)); // Cid.UniqueProcess
        assertEquals(id, t.get(JAVA_LONG, ETHREAD.CID_UNIQUE_THREAD_OFFSET));
        assertEquals(6, t.get(JAVA_BYTE, ETHREAD.TCB_HEADER_OFFSET + DISPATCHER_HEADER.TYPE_OFFSET)); // ThreadObject
        assertEquals(Ob.ObGetObjectType(t).address(), PsThreadType().address());
        assertFalse(PsIsSystemThread(t));
        // linked into the System process's thread list
        MemorySegment system = PsInitialSystemProcess();
        long entry = t.address() + ETHREAD.THREAD_LIST_ENTRY_OFFSET;
        long head = system.address() + EPROCESS.THREAD_LIST_HEAD_OFFSET;
        boolean found = false; // the service threads' ETHREADs come first (made at boot)
        for (long e = system.get(JAVA_LONG, EPROCESS.THREAD_LIST_HEAD_OFFSET + LIST_ENTRY.FLINK_OFFSET); e != head && !found;
                e = kernel.addressSpace().resolve(e, LIST_ENTRY.X64.size()).get(JAVA_LONG, LIST_ENTRY.FLINK_OFFSET)) {
            found = e == entry;
        }
        assertTrue(found, "the caller's ETHREAD is on the System process's ThreadListHead");
        assertTrue(t.get(JAVA_LONG, ETHREAD.CREATE_TIME_OFFSET) >= PsGetProcessCreateTimeQuadPart(system));
    }

    @Test
    void shouldGiveEveryThreadItsOwnIdAndEthread() throws Exception {
        boot();
        int n = 4;
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        Set<Long> threads = ConcurrentHashMap.newKeySet();
        CyclicBarrier start = new CyclicBarrier(n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread th = new Thread(() -> {
                try {
                    kernel.attach();
                    start.await();
                    for (int r = 0; r < 200; r++) {
                        MemorySegment me = PsGetCurrentThread();
                        assertEquals(PsGetCurrentThreadId(), PsGetThreadId(me));
                        MemorySegment o = out();
                        assertEquals(NtStatus.STATUS_SUCCESS, PsLookupThreadByThreadId(PsGetCurrentThreadId(), o));
                        assertEquals(me.address(), o.get(JAVA_LONG, 0));
                        Ob.ObDereferenceObject(me);
                        assertEquals(NtStatus.STATUS_SUCCESS, PsLookupProcessByProcessId(4, o));
                        Ob.ObDereferenceObject(MemorySegment.ofAddress(o.get(JAVA_LONG, 0)));
                        Ex.ExFreePool(o);
                    }
                    ids.add(PsGetCurrentThreadId());
                    threads.add(PsGetCurrentThread().address());
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(n, ids.size());
        assertEquals(n, threads.size());
        for (long id : ids) {
            assertEquals(0, id % 4);
        }
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldReferenceWhatALookupReturns() {
        boot();
        MemorySegment me = PsGetCurrentThread();
        long before = kernel.objects().pointerCount(me.address());
        MemorySegment o = out();
        assertEquals(NtStatus.STATUS_SUCCESS, PsLookupThreadByThreadId(PsGetCurrentThreadId(), o));
        assertEquals(before + 1, kernel.objects().pointerCount(me.address()));
        Ob.ObDereferenceObject(me);
        assertEquals(before, kernel.objects().pointerCount(me.address()));
        MemorySegment system = PsInitialSystemProcess();
        long sysBefore = kernel.objects().pointerCount(system.address());
        assertEquals(NtStatus.STATUS_SUCCESS, PsLookupProcessByProcessId(PsGetCurrentProcessId(), o));
        assertEquals(system.address(), o.get(JAVA_LONG, 0));
        assertEquals(sysBefore + 1, kernel.objects().pointerCount(system.address()));
        Ob.ObDereferenceObject(system);
        Ex.ExFreePool(o);
    }

    @Test
    void shouldRefuseIdsThatNameNoProcessOrThread() {
        boot();
        MemorySegment o = out();
        o.set(JAVA_LONG, 0, 0x1234L);
        assertEquals(NtStatus.STATUS_INVALID_CID, PsLookupProcessByProcessId(0x7FFFFFF0L, o));
        assertEquals(0L, o.get(JAVA_LONG, 0));
        assertEquals(NtStatus.STATUS_INVALID_CID, PsLookupThreadByThreadId(0x7FFFFFF0L, o));
        assertEquals(NtStatus.STATUS_INVALID_CID, PsLookupThreadByThreadId(0, o));
        assertEquals(NtStatus.STATUS_INVALID_CID, PsLookupProcessByProcessId(5, o));
        // an id of the other kind
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, PsLookupProcessByProcessId(PsGetCurrentThreadId(), o));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, PsLookupThreadByThreadId(4, o));
        assertEquals(0L, o.get(JAVA_LONG, 0));
        assertThrows(IllegalArgumentException.class, () -> PsLookupThreadByThreadId(4, MemorySegment.NULL));
        Ex.ExFreePool(o);
    }

    @Test
    void shouldRefuseAnObjectOfTheWrongKind() {
        boot();
        MemorySegment thread = PsGetCurrentThread();
        MemorySegment process = PsInitialSystemProcess();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PsGetProcessId(thread));
        assertTrue(e.getMessage().contains("PsGetProcessId"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PsGetThreadId(process));
        assertThrows(IllegalArgumentException.class, () -> PsIsSystemThread(process));
        assertThrows(IllegalArgumentException.class, () -> PsGetProcessCreateTimeQuadPart(MemorySegment.NULL));
    }

    @Test
    void shouldBugCheckAPointerThatIsNoObject() {
        boot();
        MemorySegment block = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 0x100, TAG);
        BugCheck b = assertThrows(BugCheck.class, () -> PsGetProcessId(block.asSlice(0x80)));
        assertEquals(BugCheckCode.REFERENCE_BY_POINTER, b.code());
    }

    @Test
    void shouldLeaveNoObjectAtClose() throws Exception {
        boot();
        PsGetCurrentThread();
        Thread other = new Thread(() -> {
            kernel.attach();
            PsGetCurrentThread();
        });
        other.start();
        other.join();
        assertTrue(kernel.processes().liveThreadCount() >= 2);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldShowALeakedLookupReferenceAtClose() {
        boot();
        MemorySegment o = out();
        assertEquals(NtStatus.STATUS_SUCCESS, PsLookupThreadByThreadId(PsGetCurrentThreadId(), o)); // never dereferenced
        Ex.ExFreePool(o);
        kernel.close();
        assertFalse(kernel.leakReport().isEmpty());
        assertTrue(kernel.leakReport().toString().contains("Thre"), kernel.leakReport().toString());
    }

}
