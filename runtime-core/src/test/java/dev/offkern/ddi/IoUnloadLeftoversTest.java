package dev.offkern.ddi;

import static dev.offkern.ddi.Io.*;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.NPAGED_LOOKASIDE_LIST;
import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.io.IoManager;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a driver leaves behind besides pool (docs/io.md "Unload and leaks"): objects it created and
 * System-process handles it opened (reported by driver, never its own driver and device objects),
 * lookaside lists it did not delete, system threads still running its code and EX_TIMERs it left set
 * (DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, 0xCE) or allocated (reported).
 */
class IoUnloadLeftoversTest {
    private static final int TAG = PoolTags.tag("UnLo");

    @TempDir
    Path dumps;

    private Kernel kernel;
    private final StringBuilder sink = new StringBuilder();

    private void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)
                        .withVerifierChecks(EnumSet.allOf(VerifierCheck.class)))
                .attach().leakReportSink(sink::append);
    }

    @AfterEach
    void shutdown() {
        if (kernel != null && !kernel.isClosed()) {
            kernel.close();
            Kernel.detach();
        }
    }

    private static MemorySegment load(String name, java.util.function.Consumer<MemorySegment> entry) {
        MemorySegment[] out = new MemorySegment[1];
        assertEquals(NtStatus.STATUS_SUCCESS, IoCreateDriver(name, (d, registryPath) -> {
            out[0] = d;
            entry.accept(d);
            return NtStatus.STATUS_SUCCESS;
        }));
        return out[0];
    }

    private static long newEvent() {
        MemorySegment h = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, TAG);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwCreateEvent(h, AccessMask.EVENT_ALL_ACCESS, MemorySegment.NULL, 0, false));
        long handle = h.get(JAVA_LONG, 0);
        Ex.ExFreePool(h);
        return handle;
    }

    private static long object(long handle) {
        MemorySegment out = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, TAG);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, MemorySegment.NULL, 0, out, MemorySegment.NULL));
        long body = out.get(JAVA_LONG, 0);
        Ex.ExFreePool(out);
        return body;
    }

    @Test
    void shouldReportTheObjectsAndHandlesADriverLeftButNotItsOwnDriverAndDeviceObjects() {
        boot();
        long[] left = new long[3];
        MemorySegment driver = load("\\Driver\\Holder", d -> {
            MemorySegment slot = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, TAG);
            MemorySegment name = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, TAG);
            String n = "\\Device\\Holder";
            for (int i = 0; i < n.length(); i++) {
                name.set(java.lang.foreign.ValueLayout.JAVA_CHAR_UNALIGNED, 16 + 2L * i, n.charAt(i));
            }
            name.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, (short) (2 * n.length()));
            name.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 2, (short) (2 * n.length()));
            name.set(JAVA_LONG, 8, name.address() + 16);
            assertEquals(NtStatus.STATUS_SUCCESS, IoCreateDevice(d, 0, name, IoCodes.FILE_DEVICE_UNKNOWN, 0, false, slot));
            Ex.ExFreePool(slot);
            Ex.ExFreePool(name);
            left[0] = newEvent(); // left open: a handle and its object
            long closed = newEvent();
            left[1] = object(closed); // referenced, its handle closed: an object without a handle
            assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(closed));
            long tidy = newEvent(); // closed: not reported
            assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(tidy));
            IoSetDriverUnload(d, self -> IoDeleteDevice(MemorySegment.ofAddress(self.get(JAVA_LONG, DRIVER_OBJECT.DEVICE_OBJECT_OFFSET))));
        });
        long leftObject = object(left[0]);
        Ob.ObDereferenceObject(MemorySegment.ofAddress(leftObject));
        IoDeleteDriver(driver); // no bug check, even under the verifier: Windows documents none for these
        List<IoManager.DriverLeak> leaks = kernel.io().unloadLeaks();
        assertEquals(1, leaks.size());
        IoManager.DriverLeak l = leaks.get(0);
        assertEquals("\\Driver\\Holder", l.driver());
        assertTrue(l.leaks().isEmpty(), "no pool of its own");
        assertEquals(List.of(Math.min(leftObject, left[1]), Math.max(leftObject, left[1])),
                l.objects().stream().map(o -> o.body()).toList(), "the two events alive; not the driver's device or driver object");
        assertTrue(l.objects().stream().allMatch(o -> o.type().equals("Event")), l.objects()::toString);
        assertEquals(1, l.handles().size(), "the event handle it left open; not the device's name handle");
        assertEquals(left[0], l.handles().get(0).handle());
        assertEquals(leftObject, l.handles().get(0).body());
        assertTrue(l.describe().contains("\\Driver\\Holder left handle 0x" + Long.toHexString(left[0])), l.describe());
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(left[0]));
        Ob.ObDereferenceObject(MemorySegment.ofAddress(left[1]));
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport()::toString);
        assertTrue(sink.toString().contains("\\Driver\\Holder left Event object 0x"), sink::toString);
    }

    @Test
    void shouldUnloadCleanlyWhenTheDriverClosedItsHandlesAndDroppedItsObjects() {
        boot();
        MemorySegment driver = load("\\Driver\\Closer", d -> {
            long h = newEvent();
            long o = object(h);
            IoSetDriverUnload(d, self -> {
                Ob.ObDereferenceObject(MemorySegment.ofAddress(o));
                assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
            });
        });
        IoDeleteDriver(driver);
        assertTrue(kernel.io().unloadLeaks().isEmpty(), () -> kernel.io().unloadLeaks().toString());
        kernel.close();
        assertEquals("", sink.toString());
    }

    @Test
    void shouldBugCheck0xCEForALookasideListTheDriverDidNotDelete() {
        boot();
        MemorySegment list = kernel.nonPagedPool().allocate(NPAGED_LOOKASIDE_LIST.X64.size(), 64);
        MemorySegment driver = load("\\Driver\\Lookaside", d -> Ex.ExInitializeNPagedLookasideList(list, null, null, 0, 64, TAG, 0));
        BugCheck bc = assertThrows(BugCheck.class, () -> IoDeleteDriver(driver));
        assertEquals(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, bc.code());
        assertEquals(list.address(), bc.parameter1(), "P1: the list the system's lookaside walk still reads (its routines are the kernel's)");
        assertEquals(0, bc.parameter2());
        assertEquals(list.address(), bc.parameter3(), "P3: the list");
        assertTrue(bc.getMessage().contains("lookaside list"), bc.getMessage());
        Ex.ExDeleteNPagedLookasideList(list);
        kernel.nonPagedPool().free(list.address(), 0);
    }

    @Test
    void shouldBugCheck0xCEForASystemThreadStillRunningTheDriversStartRoutine() throws InterruptedException {
        boot();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        long[] handle = new long[1];
        MemorySegment driver = load("\\Driver\\Threaded", d -> {
            MemorySegment h = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, TAG);
            assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsCreateSystemThread(h, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, 0,
                    MemorySegment.NULL, context -> {
                        started.countDown();
                        try {
                            release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }, MemorySegment.NULL));
            handle[0] = h.get(JAVA_LONG, 0);
            Ex.ExFreePool(h);
        });
        assertTrue(started.await(30, TimeUnit.SECONDS));
        long thread = object(handle[0]);
        Ob.ObDereferenceObject(MemorySegment.ofAddress(thread));
        BugCheck bc = assertThrows(BugCheck.class, () -> IoDeleteDriver(driver));
        release.countDown();
        assertEquals(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, bc.code());
        assertEquals(thread, bc.parameter3(), "P3: the ETHREAD");
        assertTrue(bc.parameter1() != 0, "P1: the driver's start routine");
        assertTrue(bc.getMessage().contains("system thread"), bc.getMessage());
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle[0]));
    }

    @Test
    void shouldNotBlameADriverForTheSystemWorkerThreadItsFirstWorkItemStarted() throws InterruptedException {
        boot();
        CountDownLatch ran = new CountDownLatch(1);
        MemorySegment item = kernel.nonPagedPool().allocate(dev.offkern.layout.ex.WORK_QUEUE_ITEM.X64.size(), 16);
        MemorySegment driver = load("\\Driver\\Queuer", d -> {
            Ex.ExInitializeWorkItem(item, p -> ran.countDown(), MemorySegment.NULL);
            Ex.ExQueueWorkItem(item, dev.offkern.nt.WorkQueueType.DelayedWorkQueue); // the queue's first use starts its worker
        });
        assertTrue(ran.await(30, TimeUnit.SECONDS));
        IoDeleteDriver(driver); // the worker (still running, waiting for items) is the kernel's thread, not the driver's
        assertTrue(kernel.io().unloadLeaks().isEmpty(), () -> kernel.io().unloadLeaks().toString());
        kernel.nonPagedPool().free(item.address(), 0);
    }

    @Test
    void shouldAttributeWhatADriversSystemThreadAllocatesToTheDriver() throws InterruptedException {
        boot();
        AtomicLong block = new AtomicLong();
        MemorySegment driver = load("\\Driver\\Worker", d -> {
            MemorySegment h = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, TAG);
            assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsCreateSystemThread(h, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, 0,
                    MemorySegment.NULL, context -> block.set(Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 24, TAG).address()),
                    MemorySegment.NULL));
            long th = h.get(JAVA_LONG, 0);
            Ex.ExFreePool(h);
            IoSetDriverUnload(d, self -> { // waits for its thread, as a driver must
                long t = object(th);
                Ke.KeWaitForSingleObject(MemorySegment.ofAddress(t), 0, 0, false, MemorySegment.NULL);
                Ob.ObDereferenceObject(MemorySegment.ofAddress(t));
                assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(th));
            });
        });
        BugCheck bc = assertThrows(BugCheck.class, () -> IoDeleteDriver(driver), "pool tracking: the driver's leak");
        assertEquals(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, bc.code());
        assertEquals(0x62, bc.parameter1());
        assertEquals(1, bc.parameter4());
        List<IoManager.DriverLeak> leaks = kernel.io().unloadLeaks();
        assertEquals(1, leaks.size(), "the block its system thread allocated is the driver's");
        assertEquals(1, leaks.get(0).leaks().blocks());
        assertEquals("\\Driver\\Worker", leaks.get(0).leaks().leaks().get(0).driver());
        Ex.ExFreePool(MemorySegment.ofAddress(block.get()));
    }

    @Test
    void shouldBugCheck0xCEForAnExTimerLeftSetAndReportOneLeftAllocated() {
        boot();
        MemorySegment[] timers = new MemorySegment[2];
        MemorySegment setter = load("\\Driver\\ExTimerSet", d -> {
            timers[0] = Ex.ExAllocateTimer((t, c) -> { }, MemorySegment.NULL, 0);
            Ex.ExSetTimer(timers[0], -600_000_000L, 0, MemorySegment.NULL); // a minute from now
        });
        BugCheck bc = assertThrows(BugCheck.class, () -> IoDeleteDriver(setter));
        assertEquals(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, bc.code());
        assertEquals(timers[0].address(), bc.parameter3(), "P3: the EX_TIMER");
        assertTrue(bc.parameter1() != 0 && bc.parameter1() != timers[0].address(), "P1: its callback, the driver's code");
        assertTrue(bc.getMessage().contains("EX_TIMER"), bc.getMessage());
        MemorySegment keeper = load("\\Driver\\ExTimerKept", d -> timers[1] = Ex.ExAllocateTimer((t, c) -> { }, MemorySegment.NULL, 0));
        IoDeleteDriver(keeper); // allocated, never set: reported, no bug check
        List<IoManager.DriverLeak> leaks = kernel.io().unloadLeaks();
        IoManager.DriverLeak kept = leaks.get(leaks.size() - 1);
        assertEquals("\\Driver\\ExTimerKept", kept.driver());
        assertEquals(List.of("EX_TIMER 0x" + Long.toHexString(timers[1].address()) + " allocated (ExAllocateTimer) and not deleted"
                + " (ExDeleteTimer)"), kept.others());
        Ex.ExDeleteTimer(timers[0], true, true, MemorySegment.NULL);
        Ex.ExDeleteTimer(timers[1], true, true, MemorySegment.NULL);
    }
}
