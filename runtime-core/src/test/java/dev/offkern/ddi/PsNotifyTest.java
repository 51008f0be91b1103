package dev.offkern.ddi;

import static dev.offkern.ddi.Ps.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ps.PS_CREATE_NOTIFY_INFO;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.CREATE_PROCESS_NOTIFY_ROUTINE;
import dev.offkern.nt.CREATE_PROCESS_NOTIFY_ROUTINE_EX;
import dev.offkern.nt.CREATE_THREAD_NOTIFY_ROUTINE;
import dev.offkern.nt.KSTART_ROUTINE;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Process and thread notify routines through the DDI: what PsSetCreateProcessNotifyRoutineEx's
 * routine receives (the PS_CREATE_NOTIFY_INFO bytes) and its veto, the legacy form, thread routines
 * on the thread itself, the documented statuses and limits, removal waiting for calls in flight, an
 * exception escaping a routine, and registration racing with process creation.
 */
class PsNotifyTest {
    private static final int TAG = PoolTags.tag("PsNt");
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

    private static int create(MemorySegment out, String name) {
        return PsCreateTenantProcess(out, AccessMask.PROCESS_ALL_ACCESS, MemorySegment.NULL, name);
    }

    private static void endAndClose(long handle) {
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwTerminateProcess(handle, 0));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
    }

    private static String unicode(long address) {
        MemorySegment us = MemorySegment.ofAddress(address).reinterpret(UNICODE_STRING.X64.size());
        int len = Short.toUnsignedInt(us.get(JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET));
        MemorySegment buf = MemorySegment.ofAddress(us.get(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET)).reinterpret(len);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len / 2; i++) {
            sb.append((char) buf.get(JAVA_SHORT, 2L * i));
        }
        return sb.toString();
    }

    @Test
    void shouldTellAnExRoutineOfCreationWithTheNotifyInfoAndOfExit() {
        boot();
        List<String> seen = new CopyOnWriteArrayList<>();
        CREATE_PROCESS_NOTIFY_ROUTINE_EX r = (process, id, info) -> {
            if (info.address() == 0) {
                seen.add("exit " + id + " " + PsGetProcessId(process));
                return;
            }
            MemorySegment i = info.reinterpret(PS_CREATE_NOTIFY_INFO.X64.size());
            seen.add("create " + id + " " + PsGetProcessId(process) + " size=" + i.get(JAVA_LONG, PS_CREATE_NOTIFY_INFO.SIZE_OFFSET)
                    + " parent=" + i.get(JAVA_LONG, PS_CREATE_NOTIFY_INFO.PARENT_PROCESS_ID_OFFSET)
                    + " cid=" + i.get(JAVA_LONG, PS_CREATE_NOTIFY_INFO.CREATING_UNIQUE_PROCESS_OFFSET) + "/"
                    + i.get(JAVA_LONG, PS_CREATE_NOTIFY_INFO.CREATING_UNIQUE_THREAD_OFFSET)
                    + " file=" + i.get(JAVA_LONG, PS_CREATE_NOTIFY_INFO.FILE_OBJECT_OFFSET)
                    + " cmd=" + i.get(JAVA_LONG, PS_CREATE_NOTIFY_INFO.COMMAND_LINE_OFFSET)
                    + " status=" + i.get(JAVA_INT, PS_CREATE_NOTIFY_INFO.CREATION_STATUS_OFFSET)
                    + " image=" + unicode(i.get(JAVA_LONG, PS_CREATE_NOTIFY_INFO.IMAGE_FILE_NAME_OFFSET))
                    + " irql=" + Ke.KeGetCurrentIrql() + " critical=" + (dev.offkern.runtime.ke.ThreadState.current().kernelApcDisable() < 0));
        };
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutineEx(r, false));
        MemorySegment h = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, create(h, "watched.exe"));
        long handle = h.get(JAVA_LONG, 0);
        MemorySegment pid = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, PsProcessType(), Ob.KernelMode, pid, MemorySegment.NULL));
        MemorySegment p = MemorySegment.ofAddress(pid.get(JAVA_LONG, 0));
        long id = PsGetProcessId(p);
        Ob.ObDereferenceObject(p);
        assertEquals(List.of("create " + id + " " + id + " size=" + PS_CREATE_NOTIFY_INFO.X64.size() + " parent=4 cid=4/" + PsGetCurrentThreadId()
                + " file=0 cmd=0 status=0 image=watched.exe irql=0 critical=true"), seen);
        endAndClose(handle);
        assertEquals("exit " + id + " " + id, seen.get(1));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutineEx(r, true));
        assertEquals(NtStatus.STATUS_SUCCESS, create(h, "unwatched"));
        endAndClose(h.get(JAVA_LONG, 0));
        assertEquals(2, seen.size());
        Ex.ExFreePool(h);
        Ex.ExFreePool(pid);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldFailTheCreationWithTheStatusARoutineVetoesWith() {
        boot();
        List<String> seen = new CopyOnWriteArrayList<>();
        CREATE_PROCESS_NOTIFY_ROUTINE before = (parent, id, create) -> seen.add("before " + create);
        CREATE_PROCESS_NOTIFY_ROUTINE_EX veto = (process, id, info) -> {
            seen.add("veto " + (info.address() != 0));
            if (info.address() != 0) {
                info.reinterpret(PS_CREATE_NOTIFY_INFO.X64.size()).set(JAVA_INT, PS_CREATE_NOTIFY_INFO.CREATION_STATUS_OFFSET,
                        NtStatus.STATUS_ACCESS_DENIED);
            }
        };
        CREATE_PROCESS_NOTIFY_ROUTINE_EX after = (process, id, info) -> seen.add("after " + (info.address() != 0));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutine(before, false));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutineEx(veto, false));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutineEx(after, false));
        MemorySegment h = block(8);
        h.set(JAVA_LONG, 0, 0x5A5AL);
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, create(h, "refused"));
        assertEquals(0x5A5AL, h.get(JAVA_LONG, 0)); // no handle written
        assertEquals(List.of("before true", "veto true", "before false", "veto false"), seen);
        assertEquals(0, kernel.processes().liveTenantCount());
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutineEx(veto, true));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutineEx(after, true));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutine(before, true));
        Ex.ExFreePool(h);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldReturnTheDocumentedStatusesForProcessRoutines() {
        boot();
        CREATE_PROCESS_NOTIFY_ROUTINE_EX ex = (p, id, info) -> { };
        CREATE_PROCESS_NOTIFY_ROUTINE legacy = (parent, id, create) -> { };
        assertEquals(NtStatus.STATUS_PROCEDURE_NOT_FOUND, PsSetCreateProcessNotifyRoutineEx(ex, true));
        assertEquals(NtStatus.STATUS_PROCEDURE_NOT_FOUND, PsSetCreateProcessNotifyRoutine(legacy, true));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutineEx(ex, false));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, PsSetCreateProcessNotifyRoutineEx(ex, false)); // registered already
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutine(legacy, false));
        List<CREATE_PROCESS_NOTIFY_ROUTINE> more = new ArrayList<>();
        for (int i = 0; i < 62; i++) { // 64 in all: the Ex and legacy forms share the table
            int n = i;
            CREATE_PROCESS_NOTIFY_ROUTINE m = (parent, id, create) -> assertTrue(n >= 0); // capturing: a distinct routine each
            more.add(m);
            assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutine(m, false));
        }
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, PsSetCreateProcessNotifyRoutine((parent, id, create) -> { }, false));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, PsSetCreateProcessNotifyRoutineEx((p, id, info) -> { }, false));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutineEx(ex, true));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutineEx((p, id, info) -> { }, false)); // room again
        assertThrows(IllegalArgumentException.class, () -> PsSetCreateProcessNotifyRoutineEx(null, false));
        assertThrows(IllegalArgumentException.class, () -> PsSetCreateProcessNotifyRoutine(null, true));
    }

    @Test
    void shouldTellThreadRoutinesOfCreationOnTheCreatorAndOfTheEndOnTheThread() throws Exception {
        boot();
        List<String> seen = new CopyOnWriteArrayList<>();
        CREATE_THREAD_NOTIFY_ROUTINE r = (process, thread, create) -> seen.add((create ? "create " : "exit ") + process + "/" + thread
                + " self=" + (thread == PsGetCurrentThreadId()) + " irql=" + Ke.KeGetCurrentIrql());
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateThreadNotifyRoutine(r));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateThreadNotifyRoutine(r)); // twice: called twice
        MemorySegment h = block(8);
        MemorySegment cid = block(16);
        assertEquals(NtStatus.STATUS_SUCCESS, PsCreateSystemThread(h, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, 0, cid,
                (KSTART_ROUTINE) c -> seen.add("start"), MemorySegment.NULL));
        MemorySegment t = block(8);
        t.set(JAVA_LONG, 0, TEN_SECONDS);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWaitForSingleObject(h.get(JAVA_LONG, 0), false, t));
        long tid = cid.get(JAVA_LONG, 8);
        String c = "create 4/" + tid + " self=false irql=0"; // on the creating thread, before the new one runs
        String x = "exit 4/" + tid + " self=true irql=0"; // on the ending thread
        assertEquals(List.of(c, c, "start", x, x), seen);
        assertEquals(NtStatus.STATUS_SUCCESS, PsRemoveCreateThreadNotifyRoutine(r));
        assertEquals(NtStatus.STATUS_SUCCESS, PsRemoveCreateThreadNotifyRoutine(r));
        assertEquals(NtStatus.STATUS_PROCEDURE_NOT_FOUND, PsRemoveCreateThreadNotifyRoutine(r));
        Zw.ZwClose(h.get(JAVA_LONG, 0));
    }

    @Test
    void shouldTellSubsystemsRoutinesLikeTheLegacyOnesAndNonSystemRoutinesNothingAboutSystemThreads() throws Exception {
        boot();
        List<String> seen = new CopyOnWriteArrayList<>();
        CREATE_THREAD_NOTIFY_ROUTINE subsystems = (process, thread, create) -> seen.add("subsystems " + create);
        CREATE_THREAD_NOTIFY_ROUTINE nonSystem = (process, thread, create) -> seen.add("non-system " + create);
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateThreadNotifyRoutineEx(PsCreateThreadNotifySubsystems, subsystems));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateThreadNotifyRoutineEx(PsCreateThreadNotifyNonSystem, nonSystem));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, PsSetCreateThreadNotifyRoutineEx(2, nonSystem));
        assertThrows(IllegalArgumentException.class, () -> PsSetCreateThreadNotifyRoutineEx(PsCreateThreadNotifySubsystems, null));
        MemorySegment h = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, PsCreateSystemThread(h, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, 0,
                MemorySegment.NULL, (KSTART_ROUTINE) c -> seen.add("start"), MemorySegment.NULL));
        MemorySegment t = block(8);
        t.set(JAVA_LONG, 0, TEN_SECONDS);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWaitForSingleObject(h.get(JAVA_LONG, 0), false, t));
        assertEquals(List.of("subsystems true", "start", "subsystems false"), seen);
        assertEquals(NtStatus.STATUS_SUCCESS, PsRemoveCreateThreadNotifyRoutine(nonSystem));
        assertEquals(NtStatus.STATUS_SUCCESS, PsRemoveCreateThreadNotifyRoutine(subsystems));
        Zw.ZwClose(h.get(JAVA_LONG, 0));
    }

    @Test
    void shouldCloseTheHandleAndEndTheThreadWhenACreationNotifyRoutineBugChecks() {
        boot();
        CREATE_THREAD_NOTIFY_ROUTINE bad = (process, thread, create) -> {
            throw new IllegalStateException("driver bug");
        };
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateThreadNotifyRoutine(bad));
        MemorySegment h = block(8);
        AtomicBoolean ran = new AtomicBoolean();
        int live = kernel.processes().liveThreadCount();
        BugCheck b = assertThrows(BugCheck.class, () -> PsCreateSystemThread(h, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, 0,
                MemorySegment.NULL, (KSTART_ROUTINE) c -> ran.set(true), MemorySegment.NULL));
        assertEquals(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, b.code());
        assertFalse(ran.get());
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, Zw.ZwClose(h.get(JAVA_LONG, 0)));
        assertEquals(live, kernel.processes().liveThreadCount());
        assertEquals(NtStatus.STATUS_SUCCESS, PsRemoveCreateThreadNotifyRoutine(bad));
        Ex.ExFreePool(h);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldLimitThreadRoutinesTo64() {
        boot();
        CREATE_THREAD_NOTIFY_ROUTINE r = (p, t, c) -> { };
        for (int i = 0; i < 64; i++) {
            assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateThreadNotifyRoutine(r));
        }
        assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, PsSetCreateThreadNotifyRoutine(r));
        assertEquals(NtStatus.STATUS_PROCEDURE_NOT_FOUND, PsRemoveCreateThreadNotifyRoutine((p, t, c) -> { }));
        assertEquals(NtStatus.STATUS_SUCCESS, PsRemoveCreateThreadNotifyRoutine(r));
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateThreadNotifyRoutine(r));
        assertThrows(IllegalArgumentException.class, () -> PsSetCreateThreadNotifyRoutine(null));
        assertThrows(IllegalArgumentException.class, () -> PsRemoveCreateThreadNotifyRoutine(null));
    }

    @Test
    void shouldWaitForACallInFlightBeforeARemovalReturnsAndRefuseASelfRemoval() throws Exception {
        boot();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> selfRemoval = new AtomicReference<>();
        AtomicReference<CREATE_PROCESS_NOTIFY_ROUTINE> self = new AtomicReference<>();
        CREATE_PROCESS_NOTIFY_ROUTINE slow = (parent, id, create) -> {
            if (create) {
                try {
                    PsSetCreateProcessNotifyRoutine(self.get(), true);
                } catch (IllegalStateException e) {
                    selfRemoval.set(e);
                }
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        self.set(slow);
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutine(slow, false));
        AtomicInteger created = new AtomicInteger();
        Thread creator = new Thread(() -> {
            kernel.attach();
            MemorySegment h = block(8);
            created.set(create(h, "slow"));
            endAndClose(h.get(JAVA_LONG, 0));
            Ex.ExFreePool(h);
        });
        creator.start();
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        assertTrue(selfRemoval.get() instanceof IllegalStateException, String.valueOf(selfRemoval.get()));
        AtomicBoolean removed = new AtomicBoolean();
        Thread remover = new Thread(() -> {
            kernel.attach();
            assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutine(slow, true));
            removed.set(true);
        });
        remover.start();
        remover.join(300);
        assertFalse(removed.get(), "the removal returned while the routine was still running");
        release.countDown();
        remover.join(10_000);
        creator.join(10_000);
        assertTrue(removed.get());
        assertEquals(NtStatus.STATUS_SUCCESS, created.get());
    }

    @Test
    void shouldBugCheckAnExceptionEscapingARoutine() {
        boot();
        CREATE_PROCESS_NOTIFY_ROUTINE_EX bad = (p, id, info) -> {
            throw new IllegalStateException("driver bug");
        };
        assertEquals(NtStatus.STATUS_SUCCESS, PsSetCreateProcessNotifyRoutineEx(bad, false));
        MemorySegment h = block(8);
        BugCheck b = assertThrows(BugCheck.class, () -> create(h, "boom"));
        assertEquals(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, b.code());
        assertEquals(NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, b.parameter1());
        assertTrue(b.parameter2() != 0); // the routine's function pointer (its stub)
    }

    @Test
    void shouldNeverCallARemovedRoutineWhileRoutinesComeAndGoUnderProcessCreation() throws Exception {
        boot();
        int creators = 2;
        int rounds = 80;
        CyclicBarrier start = new CyclicBarrier(creators + 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger creates = new AtomicInteger();
        AtomicInteger exits = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < creators; i++) {
            Thread t = new Thread(() -> {
                try {
                    kernel.attach();
                    start.await();
                    MemorySegment h = block(8);
                    for (int r = 0; r < rounds; r++) {
                        if (create(h, "c") != NtStatus.STATUS_SUCCESS) {
                            throw new AssertionError("creation failed");
                        }
                        endAndClose(h.get(JAVA_LONG, 0));
                    }
                    Ex.ExFreePool(h);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts.add(t);
            t.start();
        }
        Thread registrar = new Thread(() -> {
            try {
                kernel.attach();
                start.await();
                for (int r = 0; r < rounds; r++) {
                    AtomicBoolean gone = new AtomicBoolean();
                    CREATE_PROCESS_NOTIFY_ROUTINE_EX routine = (p, id, info) -> {
                        if (gone.get()) {
                            failure.compareAndSet(null, new AssertionError("a removed routine was called"));
                        }
                        (info.address() != 0 ? creates : exits).incrementAndGet();
                    };
                    if (PsSetCreateProcessNotifyRoutineEx(routine, false) != NtStatus.STATUS_SUCCESS) {
                        throw new AssertionError("registration failed");
                    }
                    Thread.yield();
                    if (PsSetCreateProcessNotifyRoutineEx(routine, true) != NtStatus.STATUS_SUCCESS) {
                        throw new AssertionError("removal failed");
                    }
                    gone.set(true);
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        registrar.start();
        for (Thread t : ts) {
            t.join(120_000);
        }
        registrar.join(120_000);
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(exits.get() <= creates.get() + creators * rounds);
        assertEquals(0, kernel.processes().liveTenantCount());
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }
}
