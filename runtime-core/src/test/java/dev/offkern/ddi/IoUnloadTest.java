package dev.offkern.ddi;

import static dev.offkern.ddi.Io.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.layout.io.IO_DISCONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.KDEFERRED_ROUTINE;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.io.IoManager;
import dev.offkern.runtime.pool.LeakReport;
import dev.offkern.runtime.pool.PoolMonitor;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unload and leaks (docs/io.md "Attribution", "Unload and leaks"): pool blocks a driver's code
 * allocates are attributed to it (DriverEntry, dispatch and DPC routines), its leaks are reported by
 * driver and tag (the unload record, the kernel's leak report, poolmon), Driver Verifier's pool
 * tracking raises 0xC4/0x62 at the unload, and a driver that unloads with a timer set, a DPC or a
 * work item queued or an interrupt connected is DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS
 * (0xCE) with Microsoft's parameters.
 */
class IoUnloadTest {
    private static final int TAG = PoolTags.tag("UnLd");

    @TempDir
    Path dumps;

    private Kernel kernel;

    private Kernel boot(boolean poolVerifier) {
        EnumSet<VerifierCheck> checks = EnumSet.allOf(VerifierCheck.class);
        if (!poolVerifier) {
            checks.remove(VerifierCheck.POOL);
            checks.remove(VerifierCheck.SPECIAL_POOL);
        }
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps).withVerifierChecks(checks))
                .attach().leakReportSink(s -> { });
        return kernel;
    }

    @AfterEach
    void shutdown() {
        if (kernel != null && !kernel.isClosed()) {
            kernel.close();
            Kernel.detach();
        }
    }

    private static MemorySegment allocate(long size) {
        return Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
    }

    /** Loads {@code name} running {@code entry} in its DriverEntry; returns the driver object. */
    private static MemorySegment load(String name, java.util.function.Consumer<MemorySegment> entry) {
        MemorySegment[] out = new MemorySegment[1];
        assertEquals(NtStatus.STATUS_SUCCESS, IoCreateDriver(name, (d, registryPath) -> {
            out[0] = d;
            entry.accept(d);
            return NtStatus.STATUS_SUCCESS;
        }));
        return out[0];
    }

    private MemorySegment newDevice(MemorySegment driver, int extension) {
        MemorySegment slot = kernel.nonPagedPool().allocate(8, 8);
        assertEquals(NtStatus.STATUS_SUCCESS, IoCreateDevice(driver, extension, MemorySegment.NULL, IoCodes.FILE_DEVICE_UNKNOWN, 0, false, slot));
        long device = slot.get(JAVA_LONG, 0);
        kernel.nonPagedPool().free(slot.address(), 0);
        return kernel.addressSpace().resolve(device, DEVICE_OBJECT.X64.size() + extension);
    }

    // ===== leaks =====

    @Test
    void shouldReportPoolLeakedByADriverByDriverAndTagWithoutBugCheckingWhenPoolTrackingIsOff() {
        boot(false);
        MemorySegment driver = load("\\Driver\\Leaky", d -> {
            allocate(40);
            allocate(40);
            allocate(9000);
        });
        MemorySegment outside = allocate(24); // the test's own block: not the driver's
        assertEquals("\\Driver\\Leaky", PoolMonitor.snapshot(kernel.nonPagedPool(), kernel.pagedPool()).drivers(TAG));
        IoDeleteDriver(driver);
        List<IoManager.DriverLeak> leaks = kernel.io().unloadLeaks();
        assertEquals(1, leaks.size());
        assertEquals("\\Driver\\Leaky", leaks.get(0).driver());
        assertEquals(List.of(new LeakReport.Leak(TAG, PoolType.NonPagedPool, 40, 2, "\\Driver\\Leaky"),
                new LeakReport.Leak(TAG, PoolType.NonPagedPool, 9000, 1, "\\Driver\\Leaky")), leaks.get(0).leaks().leaks());
        Ex.ExFreePool(outside);
        kernel.close();
        LeakReport atClose = kernel.leakReport();
        assertEquals(3, atClose.leaks().stream().filter(l -> l.tag() == TAG).mapToLong(LeakReport.Leak::count).sum());
        assertTrue(atClose.leaks().stream().filter(l -> l.tag() == TAG).allMatch(l -> l.driver().equals("\\Driver\\Leaky (unloaded)")),
                atClose::toString);
        assertTrue(atClose.toString().contains("\\Driver\\Leaky (unloaded)"), atClose::toString);
    }

    @Test
    void shouldBugCheck0xC4Subcode0x62WithTheDriversNameAndTheBlockCountUnderPoolTracking() {
        boot(true);
        MemorySegment driver = load("\\Driver\\LeakyTracked", d -> {
            allocate(64);
            Ex.ExAllocatePoolWithTag(PoolType.PagedPool, 128, TAG);
        });
        BugCheck bc = assertThrows(BugCheck.class, () -> IoDeleteDriver(driver));
        assertEquals(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, bc.code());
        assertEquals(0x62, bc.parameter1());
        assertEquals(driver.address() + DRIVER_OBJECT.DRIVER_NAME_OFFSET, bc.parameter2());
        assertEquals(driver.address(), bc.parameter3());
        assertEquals(2, bc.parameter4());
        assertTrue(bc.getMessage().contains("\\Driver\\LeakyTracked"), bc.getMessage());
        assertEquals(1, kernel.io().unloadLeaks().size(), "recorded as well");
    }

    @Test
    void shouldUnloadCleanlyWhenTheDriverFreedWhatItAllocatedAndNotBlameItForTheKernelsOrTheCallersBlocks() {
        boot(true);
        MemorySegment[] own = new MemorySegment[1];
        MemorySegment driver = load("\\Driver\\Tidy", d -> {
            own[0] = allocate(32);
            newDevice(d, 64); // the device object is the kernel's allocation, not the driver's
            IoSetDriverUnload(d, self -> {
                Ex.ExFreePoolWithTag(own[0], TAG);
                IoDeleteDevice(MemorySegment.ofAddress(self.get(JAVA_LONG, DRIVER_OBJECT.DEVICE_OBJECT_OFFSET)));
            });
        });
        MemorySegment callers = allocate(48);
        IoDeleteDriver(driver);
        assertTrue(kernel.io().unloadLeaks().isEmpty());
        assertEquals("\\Driver\\Tidy (unloaded)", PoolMonitor.snapshot(kernel.nonPagedPool(), kernel.pagedPool()).drivers(TAG),
                "poolmon names the driver that allocated the tag by its object's name after it unloaded");
        Ex.ExFreePool(callers);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport()::toString);
    }

    @Test
    void shouldAttributeBlocksAllocatedInADispatchRoutineAndInADriversDpcRoutine() {
        boot(false);
        MemorySegment dpc = kernel.nonPagedPool().allocate(KDPC.X64.size(), 8);
        MemorySegment[] device = new MemorySegment[1];
        CountDownLatch ran = new CountDownLatch(1);
        MemorySegment driver = load("\\Driver\\Busy", d -> {
            IoSetMajorFunction(d, IoCodes.IRP_MJ_CREATE, (dev, irp) -> {
                Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 16, PoolTags.tag("UnRd"));
                irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_SUCCESS);
                IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
                return NtStatus.STATUS_SUCCESS;
            });
            KDEFERRED_ROUTINE routine = (k, context, a1, a2) -> {
                Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 16, PoolTags.tag("UnDp"));
                ran.countDown();
            };
            Ke.KeInitializeDpc(dpc, routine, MemorySegment.NULL); // the routine's stub is made while DriverEntry runs
            device[0] = newDevice(d, 0);
        });
        MemorySegment irp = IoAllocateIrp(1, false);
        assertEquals(NtStatus.STATUS_SUCCESS, IoCallDriver(device[0], irp));
        IoFreeIrp(irp);
        Ke.KeInsertQueueDpc(dpc, MemorySegment.NULL, MemorySegment.NULL); // queued by the test: still the driver's routine
        try {
            assertTrue(ran.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        Ke.KeFlushQueuedDpcs();
        IoDeleteDevice(device[0]);
        IoDeleteDriver(driver);
        LeakReport leaks = kernel.io().unloadLeaks().get(0).leaks();
        assertEquals(List.of(new LeakReport.Leak(PoolTags.tag("UnDp"), PoolType.NonPagedPool, 16, 1, "\\Driver\\Busy"),
                new LeakReport.Leak(PoolTags.tag("UnRd"), PoolType.NonPagedPool, 16, 1, "\\Driver\\Busy")), leaks.leaks());
    }

    @Test
    void shouldCheckWhatAFailedDriverEntryLeftBehind() {
        boot(true);
        BugCheck bc = assertThrows(BugCheck.class, () -> IoCreateDriver("\\Driver\\Failing", (d, r) -> {
            allocate(8);
            return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        }));
        assertEquals(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, bc.code());
        assertEquals(0x62, bc.parameter1());
        assertEquals(1, bc.parameter4());
    }

    // ===== pending operations: 0xCE =====

    @Test
    void shouldBugCheck0xCEForATimerTheDriverLeftSetWithItsRoutineAndTheTimer() {
        boot(false);
        MemorySegment[] timer = new MemorySegment[1];
        MemorySegment[] dpc = new MemorySegment[1];
        MemorySegment driver = load("\\Driver\\TimerLeft", d -> {
            timer[0] = allocate(KTIMER.X64.size());
            dpc[0] = allocate(KDPC.X64.size());
            Ke.KeInitializeTimer(timer[0]);
            Ke.KeInitializeDpc(dpc[0], (k, c, a1, a2) -> { }, MemorySegment.NULL);
            Ke.KeSetTimer(timer[0], -600_000_000L, dpc[0]); // a minute from now
        });
        long routine = dpc[0].get(JAVA_LONG, KDPC.DEFERRED_ROUTINE_OFFSET);
        BugCheck bc = assertThrows(BugCheck.class, () -> IoDeleteDriver(driver));
        assertEquals(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, bc.code());
        assertEquals(routine, bc.parameter1(), "P1: the driver's routine the timer would call");
        assertEquals(0, bc.parameter2(), "P2: read");
        assertEquals(timer[0].address(), bc.parameter3(), "P3: the timer");
        assertEquals(0, bc.parameter4());
        assertTrue(bc.getMessage().contains("\\Driver\\TimerLeft"), bc.getMessage());
        assertTrue(Ke.KeCancelTimer(timer[0]));
    }

    @Test
    void shouldBugCheck0xCEForATimerInTheDriversDeviceExtensionEvenWithAKernelRoutine() {
        boot(false);
        KDEFERRED_ROUTINE notTheDrivers = (k, c, a1, a2) -> { };
        MemorySegment probe = kernel.nonPagedPool().allocate(KDPC.X64.size(), 8);
        Ke.KeInitializeDpc(probe, notTheDrivers, MemorySegment.NULL); // stubbed outside any driver
        long extension = KTIMER.X64.size() + KDPC.X64.size();
        MemorySegment[] device = new MemorySegment[1];
        MemorySegment driver = load("\\Driver\\ExtTimer", d -> device[0] = newDevice(d, (int) extension));
        MemorySegment ext = kernel.addressSpace().resolve(device[0].get(JAVA_LONG, DEVICE_OBJECT.DEVICE_EXTENSION_OFFSET), extension);
        MemorySegment timer = ext.asSlice(0, KTIMER.X64.size());
        MemorySegment dpc = ext.asSlice(KTIMER.X64.size(), KDPC.X64.size());
        Ke.KeInitializeTimer(timer);
        Ke.KeInitializeDpc(dpc, notTheDrivers, MemorySegment.NULL);
        Ke.KeSetTimer(timer, -600_000_000L, dpc);
        BugCheck bc = assertThrows(BugCheck.class, () -> IoDeleteDriver(driver));
        assertEquals(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, bc.code());
        assertEquals(timer.address(), bc.parameter1(), "P1: the driver's memory (its device extension)");
        assertEquals(timer.address(), bc.parameter3());
        assertTrue(Ke.KeCancelTimer(timer));
        IoDeleteDevice(device[0]);
    }

    @Test
    void shouldNotBugCheckWhenTheDriverCancelledItsTimerInUnload() {
        boot(true);
        MemorySegment[] timer = new MemorySegment[1];
        MemorySegment[] dpc = new MemorySegment[1];
        MemorySegment driver = load("\\Driver\\TimerTidy", d -> {
            timer[0] = allocate(KTIMER.X64.size());
            dpc[0] = allocate(KDPC.X64.size());
            Ke.KeInitializeTimer(timer[0]);
            Ke.KeInitializeDpc(dpc[0], (k, c, a1, a2) -> { }, MemorySegment.NULL);
            Ke.KeSetTimer(timer[0], -600_000_000L, dpc[0]);
            IoSetDriverUnload(d, self -> {
                Ke.KeCancelTimer(timer[0]);
                Ke.KeFlushQueuedDpcs();
                Ex.ExFreePoolWithTag(timer[0], TAG);
                Ex.ExFreePoolWithTag(dpc[0], TAG);
            });
        });
        IoDeleteDriver(driver);
        assertTrue(kernel.io().unloadLeaks().isEmpty());
    }

    @Test
    void shouldBugCheck0xCEForAWorkItemStillQueuedAtUnload() throws Exception {
        boot(false);
        CountDownLatch blocking = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        MemorySegment blocker = kernel.nonPagedPool().allocate(WORK_QUEUE_ITEM.X64.size(), 8);
        Ex.ExInitializeWorkItem(blocker, p -> {
            blocking.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, MemorySegment.NULL);
        Ex.ExQueueWorkItem(blocker, Ex.HyperCriticalWorkQueue); // the hyper-critical queue's one worker is busy now
        assertTrue(blocking.await(10, TimeUnit.SECONDS));
        MemorySegment[] item = new MemorySegment[1];
        MemorySegment[] device = new MemorySegment[1];
        MemorySegment driver = load("\\Driver\\WorkLeft", d -> {
            device[0] = newDevice(d, 0);
            item[0] = IoAllocateWorkItem(device[0]);
            IoQueueWorkItem(item[0], (dev, c) -> { }, Ex.HyperCriticalWorkQueue, MemorySegment.NULL);
        });
        BugCheck bc;
        try {
            bc = assertThrows(BugCheck.class, () -> IoDeleteDriver(driver));
        } finally {
            release.countDown();
        }
        assertEquals(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, bc.code());
        assertEquals(0, bc.parameter2());
        assertTrue(bc.getMessage().contains("IO_WORKITEM"), bc.getMessage());
    }

    @Test
    void shouldBugCheck0xCEForAnInterruptTheDriverLeftConnected() {
        boot(false);
        MemorySegment out = kernel.nonPagedPool().allocate(8, 8);
        long[] k = new long[1];
        MemorySegment driver = load("\\Driver\\IsrLeft", d -> {
            MemorySegment dev = newDevice(d, 0);
            MemorySegment p = kernel.nonPagedPool().allocate(IO_CONNECT_INTERRUPT_PARAMETERS.X64.size(), 8);
            long fs = IO_CONNECT_INTERRUPT_PARAMETERS.FULLY_SPECIFIED_OFFSET;
            p.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, 1); // CONNECT_FULLY_SPECIFIED
            p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET, dev.address());
            p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.INTERRUPT_OBJECT_OFFSET, out.address());
            p.set(JAVA_BYTE, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SYNCHRONIZE_IRQL_OFFSET, (byte) 5);
            p.set(JAVA_INT, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.VECTOR_OFFSET, 0x71);
            p.set(JAVA_BYTE, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.IRQL_OFFSET, (byte) 5);
            p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PROCESSOR_ENABLE_MASK_OFFSET, 1L);
            assertEquals(NtStatus.STATUS_SUCCESS, IoConnectInterruptEx(p, (interrupt, c) -> true, null));
            k[0] = out.get(JAVA_LONG, 0);
        });
        BugCheck bc = assertThrows(BugCheck.class, () -> IoDeleteDriver(driver));
        assertEquals(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, bc.code());
        assertEquals(k[0], bc.parameter3(), "P3: the KINTERRUPT");
        assertNotNull(bc.getMessage());
        MemorySegment dp = kernel.nonPagedPool().allocate(IO_DISCONNECT_INTERRUPT_PARAMETERS.X64.size(), 8);
        dp.set(JAVA_INT, IO_DISCONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, 1);
        dp.set(JAVA_LONG, IO_DISCONNECT_INTERRUPT_PARAMETERS.CONNECTION_CONTEXT_OFFSET, k[0]);
        IoDisconnectInterruptEx(dp);
    }

    @Test
    void shouldGiveACleanDriversOwnerIdToTheNextDriverWithoutCarryingItsRoutines() {
        boot(true);
        for (int i = 0; i < 3; i++) {
            MemorySegment[] b = new MemorySegment[1];
            MemorySegment driver = load("\\Driver\\Cycle" + i, d -> {
                b[0] = allocate(16);
                IoSetDriverUnload(d, self -> Ex.ExFreePoolWithTag(b[0], TAG));
            });
            IoDeleteDriver(driver);
        }
        assertTrue(kernel.io().unloadLeaks().isEmpty());
        assertFalse(PoolMonitor.snapshot(kernel.nonPagedPool(), kernel.pagedPool()).format().isEmpty());
    }
}
