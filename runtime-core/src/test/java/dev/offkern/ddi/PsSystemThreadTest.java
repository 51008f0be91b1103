package dev.offkern.ddi;

import static dev.offkern.ddi.Ps.*;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * System threads through the DDI: PsCreateSystemThread (handle, ClientId, the start routine's
 * environment), PsTerminateSystemThread, PsGetThreadExitStatus, the thread object signalled at its
 * end for KeWaitForSingleObject and ZwWaitForSingleObject, the error statuses, and contention:
 * threads creating, looking up, waiting for and closing system threads with no object left.
 */
class PsSystemThreadTest {
    private static final int TAG = PoolTags.tag("PsSt");
    /** 10 s relative (a guard: a correct run never waits that long). */
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

    private static MemorySegment timeout() {
        MemorySegment t = block(8);
        t.set(JAVA_LONG, 0, TEN_SECONDS);
        return t;
    }

    private static long create(MemorySegment out, KSTART_ROUTINE routine, MemorySegment context, MemorySegment clientId) {
        assertEquals(NtStatus.STATUS_SUCCESS, PsCreateSystemThread(out, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, 0, clientId,
                routine, context));
        return out.get(JAVA_LONG, 0);
    }

    private MemorySegment threadObject(long handle) {
        MemorySegment o = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, PsThreadType(), Ob.KernelMode, o, MemorySegment.NULL));
        MemorySegment t = MemorySegment.ofAddress(o.get(JAVA_LONG, 0));
        Ex.ExFreePool(o);
        return t;
    }

    @Test
    void shouldRunTheStartRoutineAtPassiveLevelInTheSystemProcess() {
        boot();
        MemorySegment h = block(8);
        MemorySegment cid = block(16);
        MemorySegment ctx = block(8);
        AtomicReference<String> seen = new AtomicReference<>();
        long handle = create(h, c -> seen.set(Ke.KeGetCurrentIrql() + " " + PsIsSystemThread(PsGetCurrentThread()) + " "
                + PsGetCurrentProcess().equals(PsInitialSystemProcess()) + " " + (c.address() == ctx.address()) + " "
                + (dev.offkern.runtime.ke.ThreadState.current().kernelApcDisable() < 0) + " " + PsGetCurrentThreadId()), ctx, cid);
        MemorySegment guard = timeout();
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWaitForSingleObject(handle, false, guard));
        assertEquals(4L, cid.get(JAVA_LONG, 0));
        long tid = cid.get(JAVA_LONG, 8);
        assertEquals(0, tid % 4);
        assertEquals("0 true true true true " + tid, seen.get());
        MemorySegment t = threadObject(handle);
        assertEquals(tid, PsGetThreadId(t));
        assertEquals(NtStatus.STATUS_SUCCESS, PsGetThreadExitStatus(t));
        assertTrue(PsIsSystemThread(t));
        Ob.ObDereferenceObject(t);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
        for (MemorySegment b : List.of(h, cid, ctx, guard)) {
            Ex.ExFreePool(b);
        }
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldReportPendingUntilTheThreadEndsAndSignalItsObject() {
        boot();
        MemorySegment event = block(KEVENT.X64.size());
        Ke.KeInitializeEvent(event, 0, false);
        MemorySegment h = block(8);
        MemorySegment cid = block(16);
        long handle = create(h, c -> Ke.KeWaitForSingleObject(event, 0, 0, false, MemorySegment.NULL), MemorySegment.NULL, cid);
        MemorySegment t = threadObject(handle);
        assertEquals(NtStatus.STATUS_PENDING, PsGetThreadExitStatus(t));
        MemorySegment zero = block(8);
        zero.set(JAVA_LONG, 0, 0L);
        assertEquals(NtStatus.STATUS_TIMEOUT, Ke.KeWaitForSingleObject(t, 0, 0, false, zero)); // not signalled while it runs
        MemorySegment found = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, PsLookupThreadByThreadId(cid.get(JAVA_LONG, 8), found));
        Ob.ObDereferenceObject(MemorySegment.ofAddress(found.get(JAVA_LONG, 0)));
        Ke.KeSetEvent(event, 0, false);
        assertEquals(NtStatus.STATUS_SUCCESS, Ke.KeWaitForSingleObject(t, 0, 0, false, timeout()));
        assertEquals(NtStatus.STATUS_SUCCESS, PsGetThreadExitStatus(t));
        assertEquals(NtStatus.STATUS_SUCCESS, Ke.KeWaitForSingleObject(t, 0, 0, false, zero)); // stays signalled
        assertEquals(NtStatus.STATUS_INVALID_CID, PsLookupThreadByThreadId(cid.get(JAVA_LONG, 8), found)); // its id is retired
        Ob.ObDereferenceObject(t);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
    }

    @Test
    void shouldEndTheThreadWithPsTerminateSystemThreadsStatus() {
        boot();
        MemorySegment h = block(8);
        AtomicBoolean after = new AtomicBoolean();
        long handle = create(h, c -> {
            PsTerminateSystemThread(0x12345);
            after.set(true);
        }, MemorySegment.NULL, MemorySegment.NULL);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWaitForSingleObject(handle, false, timeout()));
        MemorySegment t = threadObject(handle);
        assertEquals(0x12345, PsGetThreadExitStatus(t));
        assertFalse(after.get());
        Ob.ObDereferenceObject(t);
        Zw.ZwClose(handle);
    }

    @Test
    void shouldRefusePsTerminateSystemThreadOnAThreadItDidNotCreate() {
        boot();
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, PsTerminateSystemThread(NtStatus.STATUS_SUCCESS));
        assertEquals(NtStatus.STATUS_PENDING, PsGetThreadExitStatus(PsGetCurrentThread()));
    }

    @Test
    void shouldGiveAKernelHandleForObjKernelHandle() {
        boot();
        MemorySegment h = block(8);
        MemorySegment oa = block(OBJECT_ATTRIBUTES.X64.size());
        Ob.InitializeObjectAttributes(oa, MemorySegment.NULL, ObjectAttributes.OBJ_KERNEL_HANDLE, 0, MemorySegment.NULL);
        assertEquals(NtStatus.STATUS_SUCCESS, PsCreateSystemThread(h, 0, oa, Zw.NtCurrentProcess, MemorySegment.NULL, c -> { },
                MemorySegment.NULL));
        long handle = h.get(JAVA_LONG, 0);
        assertTrue((int) handle < 0, Long.toHexString(handle)); // kernel handle bits
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWaitForSingleObject(handle, false, timeout()));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
    }

    @Test
    void shouldRefuseBadAttributesAndProcessHandles() {
        boot();
        MemorySegment h = block(8);
        MemorySegment oa = block(OBJECT_ATTRIBUTES.X64.size());
        for (int bad : new int[] {ObjectAttributes.OBJ_PERMANENT, ObjectAttributes.OBJ_EXCLUSIVE, ObjectAttributes.OBJ_OPENIF}) {
            Ob.InitializeObjectAttributes(oa, MemorySegment.NULL, bad, 0, MemorySegment.NULL);
            assertEquals(NtStatus.STATUS_INVALID_PARAMETER, PsCreateSystemThread(h, 0, oa, 0, MemorySegment.NULL, c -> { }, MemorySegment.NULL));
        }
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, PsCreateSystemThread(h, 0, MemorySegment.NULL, 0x7FFC, MemorySegment.NULL, c -> { },
                MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> PsCreateSystemThread(MemorySegment.NULL, 0, MemorySegment.NULL, 0,
                MemorySegment.NULL, c -> { }, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> PsCreateSystemThread(h, 0, MemorySegment.NULL, 0, MemorySegment.NULL,
                (KSTART_ROUTINE) null, MemorySegment.NULL));
        kernel.close();
        assertTrue(kernel.leakReport().toString().contains("PsSt") && !kernel.leakReport().toString().contains("Thre"),
                kernel.leakReport().toString()); // only this test's own blocks
    }

    @Test
    void shouldBugCheckANativeStartRoutineThatIsNoCode() {
        boot();
        MemorySegment h = block(8);
        MemorySegment data = block(64);
        BugCheck b = assertThrows(BugCheck.class, () -> PsCreateSystemThread(h, 0, MemorySegment.NULL, 0, MemorySegment.NULL, data,
                MemorySegment.NULL));
        assertEquals(BugCheckCode.ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY, b.code());
    }

    @Test
    void shouldCreateLookUpWaitAndCloseSystemThreadsFromSeveralThreadsWithNoObjectLeft() throws Exception {
        boot();
        int callers = 3;
        int rounds = 40;
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        AtomicInteger ran = new AtomicInteger();
        AtomicLong badStatus = new AtomicLong();
        CyclicBarrier start = new CyclicBarrier(callers);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        KSTART_ROUTINE routine = c -> {
            ran.incrementAndGet();
            if ((c.address() & 1) != 0) {
                PsTerminateSystemThread((int) c.address());
            }
        };
        for (int i = 0; i < callers; i++) {
            Thread th = new Thread(() -> {
                try {
                    kernel.attach();
                    MemorySegment h = block(8);
                    MemorySegment cid = block(16);
                    MemorySegment found = block(8);
                    MemorySegment guard = timeout();
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        long ctx = r % 2 == 0 ? 0x100 : 0x101;
                        long handle = create(h, routine, MemorySegment.ofAddress(ctx), cid);
                        long tid = cid.get(JAVA_LONG, 8);
                        assertTrue(ids.add(tid), "thread id " + tid + " issued twice");
                        int st = PsLookupThreadByThreadId(tid, found);
                        if (st == NtStatus.STATUS_SUCCESS) { // it may already have ended
                            Ob.ObDereferenceObject(MemorySegment.ofAddress(found.get(JAVA_LONG, 0)));
                        } else {
                            assertEquals(NtStatus.STATUS_INVALID_CID, st);
                        }
                        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWaitForSingleObject(handle, false, guard));
                        MemorySegment t = threadObject(handle);
                        int exit = PsGetThreadExitStatus(t);
                        if (exit != (ctx == 0x100 ? NtStatus.STATUS_SUCCESS : 0x101)) {
                            badStatus.set(exit);
                        }
                        Ob.ObDereferenceObject(t);
                        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
                    }
                    for (MemorySegment b : List.of(h, cid, found, guard)) {
                        Ex.ExFreePool(b);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(0L, badStatus.get());
        assertEquals(callers * rounds, ran.get());
        assertEquals(callers * rounds, ids.size());
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }
}
