package dev.offkern.ddi;

import static dev.offkern.ddi.Io.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.DEVOBJ_EXTENSION;
import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.DRIVER_DISPATCH;
import dev.offkern.nt.IO_COMPLETION_ROUTINE;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The I/O manager through the DDI: driver and device objects, device stacks, IRPs and their stack
 * locations, IoCallDriver and IoCompleteRequest (completion routines bottom-up, the Invoke flags,
 * STATUS_MORE_PROCESSING_REQUIRED, PendingReturned), the IoBuild* requests, cancellation, and the
 * bug checks (0x35, 0x44, 0xC9).
 */
class IoTest {
    @TempDir
    Path dumps;

    private IoTestSupport io;

    private IoTestSupport boot(boolean verifier) {
        io = new IoTestSupport(dumps, verifier);
        return io;
    }

    @AfterEach
    void shutdown() {
        if (io != null) {
            io.close();
        }
    }

    /** Completes every IRP with {@code status} and Information 7. */
    private static DRIVER_DISPATCH completing(int status) {
        return (device, irp) -> {
            irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, status);
            irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, 7L);
            IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
            return status;
        };
    }

    /** Passes every IRP down to {@code lower} after copying its location (a filter). */
    private static DRIVER_DISPATCH passingTo(MemorySegment[] lower) {
        return (device, irp) -> {
            IoCopyCurrentIrpStackLocationToNext(irp);
            return IoCallDriver(lower[0], irp);
        };
    }

    private static int status(MemorySegment irp) {
        return irp.get(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET);
    }

    // ===== drivers =====

    @Test
    void shouldCreateANamedDriverObjectWhoseEntrySeesItAndWhoseTableDefaultsToInvalidDeviceRequest() {
        boot(true);
        MemorySegment name = io.unicode("\\Driver\\IoTestNamed");
        MemorySegment[] seen = new MemorySegment[1];
        assertEquals(NtStatus.STATUS_SUCCESS, IoCreateDriver(name, (d, registryPath) -> {
            seen[0] = d;
            assertEquals(0, registryPath.address());
            return NtStatus.STATUS_SUCCESS;
        }));
        MemorySegment d = seen[0];
        assertEquals(IoCodes.IO_TYPE_DRIVER, d.get(JAVA_SHORT, DRIVER_OBJECT.TYPE_OFFSET));
        assertEquals(DRIVER_OBJECT.X64.size(), d.get(JAVA_SHORT, DRIVER_OBJECT.SIZE_OFFSET));
        assertEquals(Io.IoDriverObjectType().address(), Ob.ObGetObjectType(d).address());
        long nameBuffer = d.get(JAVA_LONG, DRIVER_OBJECT.DRIVER_NAME_OFFSET + UNICODE_STRING.BUFFER_OFFSET);
        int nameLength = d.get(JAVA_SHORT, DRIVER_OBJECT.DRIVER_NAME_OFFSET + UNICODE_STRING.LENGTH_OFFSET);
        assertEquals("\\Driver\\IoTestNamed".length() * 2, nameLength);
        assertEquals("\\Driver\\IoTestNamed", new String(io.kernel.addressSpace().resolve(nameBuffer, nameLength)
                .toArray(JAVA_BYTE), java.nio.charset.StandardCharsets.UTF_16LE));
        long ext = d.get(JAVA_LONG, DRIVER_OBJECT.DRIVER_EXTENSION_OFFSET);
        assertEquals(d.address(), io.kernel.addressSpace().resolve(ext, 8).get(JAVA_LONG, 0));
        long invalid = d.get(JAVA_LONG, DRIVER_OBJECT.MAJOR_FUNCTION_OFFSET);
        assertNotEquals(0, invalid);
        for (int i = 0; i <= IoCodes.IRP_MJ_MAXIMUM_FUNCTION; i++) {
            assertEquals(invalid, d.get(JAVA_LONG, DRIVER_OBJECT.MAJOR_FUNCTION_OFFSET + 8L * i), "MajorFunction[" + i + "]");
        }
        assertNotEquals(0, d.get(JAVA_LONG, DRIVER_OBJECT.DRIVER_INIT_OFFSET));
        MemorySegment dev = io.device(d, 0);
        MemorySegment irp = IoAllocateIrp(1, false);
        assertEquals(NtStatus.STATUS_INVALID_DEVICE_REQUEST, IoCallDriver(dev, irp));
        assertEquals(NtStatus.STATUS_INVALID_DEVICE_REQUEST, status(irp));
        IoFreeIrp(irp);
        IoDeleteDevice(dev);
        IoDeleteDriver(d);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldRefuseASecondDriverOfTheSameNameWithNameCollision() {
        boot(true);
        MemorySegment d = io.driver("\\Driver\\IoTestTwice", x -> { });
        assertEquals(NtStatus.STATUS_OBJECT_NAME_COLLISION, IoCreateDriver("\\Driver\\IoTestTwice", (x, r) -> {
            throw new AssertionError("the entry of a colliding driver ran");
        }));
        assertNotEquals(0, d.address());
        io.closeWithoutLeaks();
    }

    @Test
    void shouldDeleteTheDriverAgainWhenItsEntryFailsWithoutCallingUnload() {
        boot(true);
        AtomicInteger unloads = new AtomicInteger();
        assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, IoCreateDriver("\\Driver\\IoTestFails", (d, r) -> {
            IoSetDriverUnload(d, x -> unloads.incrementAndGet());
            return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        }));
        assertEquals(0, unloads.get());
        // the name is free again
        io.driver("\\Driver\\IoTestFails", x -> { });
        io.closeWithoutLeaks();
    }

    @Test
    void shouldCallUnloadOnceAndFreeTheDriverWhenDeleted() {
        boot(true);
        AtomicInteger unloads = new AtomicInteger();
        MemorySegment d = io.driver(null, x -> IoSetDriverUnload(x, drv -> {
            unloads.incrementAndGet();
            assertTrue((drv.get(JAVA_INT, DRIVER_OBJECT.FLAGS_OFFSET) & IoCodes.DRVO_UNLOAD_INVOKED) != 0);
        }));
        io.forget(d);
        IoDeleteDriver(d);
        assertEquals(1, unloads.get());
        io.closeWithoutLeaks();
    }

    @Test
    void shouldRefuseDeletingADriverTwiceOrAnObjectThatIsNoDriver() {
        boot(true);
        MemorySegment d = io.driver(null, x -> { });
        MemorySegment dev = io.device(d, 0);
        io.forget(d);
        IoDeleteDriver(d); // the device keeps the object alive
        assertThrows(IllegalStateException.class, () -> IoDeleteDriver(d));
        assertThrows(IllegalArgumentException.class, () -> IoDeleteDriver(dev));
        assertThrows(IllegalArgumentException.class, () -> IoDeleteDriver(MemorySegment.NULL));
        IoDeleteDevice(dev); // the last reference: the driver object goes
        io.closeWithoutLeaks();
    }

    @Test
    void shouldLoadAndUnloadAJavaDriverThroughTheKernel() {
        boot(true);
        AtomicInteger unloads = new AtomicInteger();
        MemorySegment d = io.kernel.loadDriver("\\Driver\\IoTestKernel", (x, r) -> {
            IoSetDriverUnload(x, y -> unloads.incrementAndGet());
            return NtStatus.STATUS_SUCCESS;
        });
        assertEquals(IoCodes.IO_TYPE_DRIVER, d.get(JAVA_SHORT, DRIVER_OBJECT.TYPE_OFFSET));
        assertThrows(dev.offkern.nt.NtStatusException.class, () -> io.kernel.loadDriver("\\Driver\\IoTestKernel", (x, r) -> 0));
        io.kernel.unloadDriver(d);
        assertEquals(1, unloads.get());
        io.closeWithoutLeaks();
    }

    // ===== devices =====

    @Test
    void shouldCreateADeviceWithItsExtensionAndLinkItIntoTheDriversList() {
        boot(true);
        MemorySegment d = io.driver(null, x -> { });
        MemorySegment slot = io.block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, IoCreateDevice(d, 40, io.unicode("\\Device\\IoTestDev"), IoCodes.FILE_DEVICE_UNKNOWN,
                IoCodes.FILE_DEVICE_SECURE_OPEN, true, slot));
        MemorySegment dev = io.kernel.addressSpace().resolve(slot.get(JAVA_LONG, 0), DEVICE_OBJECT.X64.size());
        assertEquals(0, dev.address() % 16, "DEVICE_OBJECT is 16-byte aligned");
        assertEquals(IoCodes.IO_TYPE_DEVICE, dev.get(JAVA_SHORT, DEVICE_OBJECT.TYPE_OFFSET));
        assertEquals(DEVICE_OBJECT.X64.size() + 40, dev.get(JAVA_SHORT, DEVICE_OBJECT.SIZE_OFFSET));
        assertEquals(d.address(), dev.get(JAVA_LONG, DEVICE_OBJECT.DRIVER_OBJECT_OFFSET));
        assertEquals(dev.address(), d.get(JAVA_LONG, DRIVER_OBJECT.DEVICE_OBJECT_OFFSET));
        assertEquals(dev.address() + DEVICE_OBJECT.X64.size(), dev.get(JAVA_LONG, DEVICE_OBJECT.DEVICE_EXTENSION_OFFSET));
        assertEquals(1, dev.get(JAVA_BYTE, DEVICE_OBJECT.STACK_SIZE_OFFSET));
        int flags = dev.get(JAVA_INT, DEVICE_OBJECT.FLAGS_OFFSET);
        assertTrue((flags & IoCodes.DO_DEVICE_INITIALIZING) != 0 && (flags & IoCodes.DO_EXCLUSIVE) != 0);
        assertEquals(IoCodes.FILE_DEVICE_UNKNOWN, dev.get(JAVA_INT, DEVICE_OBJECT.DEVICE_TYPE_OFFSET));
        long doe = dev.get(JAVA_LONG, DEVICE_OBJECT.DEVICE_OBJECT_EXTENSION_OFFSET);
        MemorySegment doeSeg = io.kernel.addressSpace().resolve(doe, DEVOBJ_EXTENSION.X64.size());
        assertEquals(IoCodes.IO_TYPE_DEVICE_OBJECT_EXTENSION, doeSeg.get(JAVA_SHORT, DEVOBJ_EXTENSION.TYPE_OFFSET));
        assertEquals(dev.address(), doeSeg.get(JAVA_LONG, DEVOBJ_EXTENSION.DEVICE_OBJECT_OFFSET));
        assertEquals(Io.IoDeviceObjectType().address(), Ob.ObGetObjectType(dev).address());
        // a second device goes to the head of the list; a taken name collides
        MemorySegment dev2 = io.device(d, 0);
        assertEquals(0, dev2.get(JAVA_LONG, DEVICE_OBJECT.DEVICE_EXTENSION_OFFSET));
        assertEquals(dev2.address(), d.get(JAVA_LONG, DRIVER_OBJECT.DEVICE_OBJECT_OFFSET));
        assertEquals(dev.address(), dev2.get(JAVA_LONG, DEVICE_OBJECT.NEXT_DEVICE_OFFSET));
        MemorySegment slot3 = io.block(8);
        assertEquals(NtStatus.STATUS_OBJECT_NAME_COLLISION, IoCreateDevice(d, 0, io.unicode("\\Device\\IoTestDev"),
                IoCodes.FILE_DEVICE_UNKNOWN, 0, false, slot3));
        assertEquals(0, slot3.get(JAVA_LONG, 0));
        IoDeleteDevice(dev);
        assertEquals(0, dev2.get(JAVA_LONG, DEVICE_OBJECT.NEXT_DEVICE_OFFSET));
        assertThrows(IllegalArgumentException.class, () -> IoDeleteDevice(d));
        io.closeWithoutLeaks();
    }

    @Test
    void shouldClearDeviceInitializingForDevicesCreatedInDriverEntry() {
        boot(true);
        MemorySegment[] dev = new MemorySegment[1];
        MemorySegment d = io.driver(null, x -> dev[0] = io.device(x, 0));
        assertEquals(0, dev[0].get(JAVA_INT, DEVICE_OBJECT.FLAGS_OFFSET) & IoCodes.DO_DEVICE_INITIALIZING);
        assertNotEquals(0, d.address());
        io.closeWithoutLeaks();
    }

    @Test
    void shouldRefuseAnOversizedExtensionAndANullOutSlot() {
        boot(true);
        MemorySegment d = io.driver(null, x -> { });
        MemorySegment slot = io.block(8);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, IoCreateDevice(d, 0x10000, MemorySegment.NULL, 0, 0, false, slot));
        assertThrows(IllegalArgumentException.class, () -> IoCreateDevice(d, 0, MemorySegment.NULL, 0, 0, false, MemorySegment.NULL));
        assertEquals(NtStatus.STATUS_OBJECT_NAME_INVALID, IoCreateDevice(d, 0, io.unicode("NoBackslash"), 0, 0, false, slot));
        io.closeWithoutLeaks();
    }

    @Test
    void shouldStackDevicesAndSendIrpsDownTheStack() {
        boot(true);
        MemorySegment[] lowerDev = new MemorySegment[1];
        MemorySegment lowerDrv = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, completing(NtStatus.STATUS_SUCCESS)));
        lowerDev[0] = io.device(lowerDrv, 0);
        MemorySegment upperDrv = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, passingTo(lowerDev)));
        MemorySegment upperDev = io.device(upperDrv, 0);
        MemorySegment filterDev = io.device(upperDrv, 0);
        assertEquals(lowerDev[0].address(), IoAttachDeviceToDeviceStack(upperDev, lowerDev[0]).address());
        assertEquals(2, upperDev.get(JAVA_BYTE, DEVICE_OBJECT.STACK_SIZE_OFFSET));
        assertEquals(upperDev.address(), lowerDev[0].get(JAVA_LONG, DEVICE_OBJECT.ATTACHED_DEVICE_OFFSET));
        MemorySegment top = IoGetAttachedDeviceReference(lowerDev[0]);
        assertEquals(upperDev.address(), top.address());
        assertEquals(1, Ob.ObDereferenceObject(top), "the reference was the caller's (the creation reference stays)");
        assertThrows(IllegalStateException.class, () -> IoAttachDeviceToDeviceStack(upperDev, filterDev));
        assertThrows(IllegalArgumentException.class, () -> IoAttachDeviceToDeviceStack(upperDev, upperDev));

        MemorySegment irp = IoAllocateIrp(upperDev.get(JAVA_BYTE, DEVICE_OBJECT.STACK_SIZE_OFFSET), false);
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        assertEquals(NtStatus.STATUS_SUCCESS, IoCallDriver(upperDev, irp));
        assertEquals(7L, irp.get(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET));
        assertEquals(3, irp.get(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET), "back at StackCount + 1");
        IoFreeIrp(irp);

        IoDetachDevice(lowerDev[0]);
        assertEquals(0, lowerDev[0].get(JAVA_LONG, DEVICE_OBJECT.ATTACHED_DEVICE_OFFSET));
        assertThrows(IllegalStateException.class, () -> IoDetachDevice(lowerDev[0]));
        assertEquals(lowerDev[0].address(), IoGetAttachedDeviceReference(lowerDev[0]).address());
        Ob.ObDereferenceObject(lowerDev[0]);
        io.closeWithoutLeaks();
    }

    // ===== IRPs and stack locations =====

    @Test
    void shouldAllocateAnInitializedSixteenByteAlignedIrpOfIoSizeOfIrpBytes() {
        boot(true);
        assertEquals(IRP.X64.size() + 3 * IO_STACK_LOCATION.X64.size(), IoSizeOfIrp(3));
        MemorySegment irp = IoAllocateIrp(3, false);
        assertEquals(0, irp.address() % 16);
        assertEquals(IoCodes.IO_TYPE_IRP, irp.get(JAVA_SHORT, IRP.TYPE_OFFSET));
        assertEquals(IoSizeOfIrp(3), irp.get(JAVA_SHORT, IRP.SIZE_OFFSET));
        assertEquals(3, irp.get(JAVA_BYTE, IRP.STACK_COUNT_OFFSET));
        assertEquals(4, irp.get(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET));
        assertEquals(irp.address() + IoSizeOfIrp(3), irp.get(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET));
        assertEquals(irp.address() + IRP.THREAD_LIST_ENTRY_OFFSET, irp.get(JAVA_LONG, IRP.THREAD_LIST_ENTRY_OFFSET));
        assertEquals(IoCodes.IRP_ALLOCATED_FIXED_SIZE, irp.get(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET));
        assertEquals(0, IoGetCurrentIrpStackLocation(irp).byteSize(), "not sent: no current location");
        assertEquals(irp.address() + IRP.X64.size() + 2 * IO_STACK_LOCATION.X64.size(), IoGetNextIrpStackLocation(irp).address());
        assertThrows(IllegalStateException.class, () -> IoSkipCurrentIrpStackLocation(irp));
        assertThrows(IllegalArgumentException.class, () -> IoAllocateIrp(-1, false));
        assertThrows(IllegalArgumentException.class, () -> IoSizeOfIrp(128));
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldInitializeAnIrpInCallerMemoryAndRefuseTooSmallOrMisalignedPackets() {
        boot(true);
        MemorySegment b = io.block(IoSizeOfIrp(2));
        IoInitializeIrp(b, IoSizeOfIrp(2), 2);
        assertEquals(IoCodes.IO_TYPE_IRP, b.get(JAVA_SHORT, IRP.TYPE_OFFSET));
        assertEquals(3, b.get(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET));
        assertEquals(0, b.get(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET));
        assertThrows(IllegalArgumentException.class, () -> IoInitializeIrp(b, IoSizeOfIrp(2) - 1, 2));
        assertThrows(IllegalArgumentException.class, () -> IoInitializeIrp(b.asSlice(8), IoSizeOfIrp(1), 1));
        io.closeWithoutLeaks();
    }

    @Test
    void shouldSkipAndCopyStackLocationsAsTheMacrosDo() {
        boot(true);
        MemorySegment[] seen = new MemorySegment[2];
        MemorySegment[] bottom = new MemorySegment[1];
        MemorySegment low = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_DEVICE_CONTROL, (dev, irp) -> {
            seen[1] = IoGetCurrentIrpStackLocation(irp);
            return completing(NtStatus.STATUS_SUCCESS).call(dev, irp);
        }));
        bottom[0] = io.device(low, 0);
        MemorySegment high = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_DEVICE_CONTROL, (dev, irp) -> {
            seen[0] = IoGetCurrentIrpStackLocation(irp);
            IoSkipCurrentIrpStackLocation(irp);
            return IoCallDriver(bottom[0], irp);
        }));
        MemorySegment top = io.device(high, 0);
        IoAttachDeviceToDeviceStack(top, bottom[0]);
        MemorySegment irp = IoAllocateIrp(2, false);
        MemorySegment next = IoGetNextIrpStackLocation(irp);
        next.set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_DEVICE_CONTROL);
        next.set(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_IO_CONTROL_CODE_OFFSET, 0x222000);
        assertEquals(NtStatus.STATUS_SUCCESS, IoCallDriver(top, irp));
        assertEquals(seen[0].address(), seen[1].address(), "skipped: the lower driver got the same location");
        // copy: the next location equals the current one up to CompletionRoutine, with Control cleared
        IoReuseIrp(irp, NtStatus.STATUS_SUCCESS);
        assertEquals(3, irp.get(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET));
        MemorySegment cur = IoGetNextIrpStackLocation(irp);
        cur.set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        cur.set(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_READ_LENGTH_OFFSET, 512);
        cur.set(JAVA_BYTE, IO_STACK_LOCATION.CONTROL_OFFSET, (byte) IoCodes.SL_INVOKE_ON_SUCCESS);
        irp.set(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET, (byte) 2);
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET, cur.address());
        IoCopyCurrentIrpStackLocationToNext(irp);
        MemorySegment copy = IoGetNextIrpStackLocation(irp);
        assertEquals(IoCodes.IRP_MJ_READ, copy.get(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET));
        assertEquals(512, copy.get(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_READ_LENGTH_OFFSET));
        assertEquals(0, copy.get(JAVA_BYTE, IO_STACK_LOCATION.CONTROL_OFFSET));
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldRefuseAnIrpWhoseCurrentStackLocationPointerWasCorrupted() {
        boot(true);
        MemorySegment irp = IoAllocateIrp(2, false);
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET, 0x1234L);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> IoGetNextIrpStackLocation(irp));
        assertTrue(e.getMessage().contains("CurrentStackLocation"), e.getMessage());
        IoReuseIrp(irp, 0);
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    // ===== completion =====

    /** A three-driver stack where each upper driver sets a completion routine recording its order. */
    private record Stack(MemorySegment top, List<String> order) {
    }

    private Stack stack(int bottomStatus, boolean bottomPends, int middleResult, boolean invokeOnSuccess, boolean invokeOnError) {
        List<String> order = new ArrayList<>();
        MemorySegment[] bottom = new MemorySegment[1];
        MemorySegment[] middle = new MemorySegment[1];
        MemorySegment b = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, (dev, irp) -> {
            if (bottomPends) {
                IoMarkIrpPending(irp);
            }
            irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, bottomStatus);
            IoCompleteRequest(irp, 0);
            return bottomPends ? NtStatus.STATUS_PENDING : bottomStatus;
        }));
        bottom[0] = io.device(b, 0);
        IO_COMPLETION_ROUTINE middleDone = (dev, irp, ctx) -> {
            order.add("middle:" + (dev.address() == middle[0].address()) + ":" + irp.get(JAVA_BYTE, IRP.PENDING_RETURNED_OFFSET));
            return middleResult;
        };
        MemorySegment m = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, (dev, irp) -> {
            IoCopyCurrentIrpStackLocationToNext(irp);
            IoSetCompletionRoutine(irp, middleDone, MemorySegment.ofAddress(0x55), invokeOnSuccess, invokeOnError, false);
            return IoCallDriver(bottom[0], irp);
        }));
        middle[0] = io.device(m, 0);
        IoAttachDeviceToDeviceStack(middle[0], bottom[0]);
        IO_COMPLETION_ROUTINE topDone = (dev, irp, ctx) -> {
            order.add("top:" + (dev.address() != 0) + ":" + irp.get(JAVA_BYTE, IRP.PENDING_RETURNED_OFFSET) + ":" + ctx.address());
            return NtStatus.STATUS_MORE_PROCESSING_REQUIRED;
        };
        MemorySegment t = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, (dev, irp) -> {
            IoCopyCurrentIrpStackLocationToNext(irp);
            IoSetCompletionRoutine(irp, topDone, MemorySegment.ofAddress(0x77), true, true, true);
            return IoCallDriver(middle[0], irp);
        }));
        MemorySegment top = io.device(t, 0);
        IoAttachDeviceToDeviceStack(top, middle[0]);
        return new Stack(top, order);
    }

    private MemorySegment read(MemorySegment top) {
        MemorySegment irp = IoAllocateIrp(top.get(JAVA_BYTE, DEVICE_OBJECT.STACK_SIZE_OFFSET) + 1, false);
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        return irp;
    }

    @Test
    void shouldRunCompletionRoutinesBottomUpWithTheirDevicesAndContexts() {
        boot(true);
        Stack s = stack(NtStatus.STATUS_SUCCESS, false, NtStatus.STATUS_CONTINUE_COMPLETION, true, true);
        // the originator's own routine, in the top driver's... the originator uses one more location
        MemorySegment irp = read(s.top());
        IoSetCompletionRoutine(irp, (dev, i, ctx) -> {
            s.order().add("originator:" + dev.address());
            return NtStatus.STATUS_MORE_PROCESSING_REQUIRED;
        }, MemorySegment.NULL, true, true, true);
        // the originator's location is the next one; it sends the IRP through an extra IoCallDriver level
        MemorySegment next = IoGetNextIrpStackLocation(irp);
        next.set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        assertEquals(NtStatus.STATUS_SUCCESS, IoCallDriver(s.top(), irp));
        assertEquals(List.of("middle:true:0", "top:true:0:119"), s.order(), "the top routine keeps the IRP");
        IoCompleteRequest(irp, 0); // the top driver resumes the completion: the originator's routine, no device
        assertEquals(List.of("middle:true:0", "top:true:0:119", "originator:0"), s.order());
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldStopCompletionWhenARoutineReturnsMoreProcessingRequired() {
        boot(true);
        Stack s = stack(NtStatus.STATUS_SUCCESS, false, NtStatus.STATUS_MORE_PROCESSING_REQUIRED, true, true);
        MemorySegment irp = read(s.top());
        assertEquals(NtStatus.STATUS_SUCCESS, IoCallDriver(s.top(), irp));
        assertEquals(List.of("middle:true:0"), s.order(), "the top routine never ran");
        // the middle driver owns the IRP again and may complete it once more
        IoCompleteRequest(irp, 0);
        assertEquals(2, s.order().size());
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldInvokeOnlyTheRoutinesWhoseFlagsMatchTheOutcome() {
        boot(true);
        Stack s = stack(NtStatus.STATUS_UNSUCCESSFUL, false, NtStatus.STATUS_CONTINUE_COMPLETION, true, false);
        MemorySegment irp = read(s.top());
        assertEquals(NtStatus.STATUS_UNSUCCESSFUL, IoCallDriver(s.top(), irp));
        assertEquals(1, s.order().size(), "the middle routine asked for success only: " + s.order());
        assertTrue(s.order().get(0).startsWith("top:"));
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldPropagatePendingReturnedUpTheStack() {
        boot(true);
        Stack s = stack(NtStatus.STATUS_SUCCESS, true, NtStatus.STATUS_CONTINUE_COMPLETION, false, false);
        MemorySegment irp = read(s.top());
        assertEquals(NtStatus.STATUS_PENDING, IoCallDriver(s.top(), irp));
        // no middle routine ran: the middle location got SL_PENDING_RETURNED, so the top routine sees PendingReturned
        assertEquals(List.of("top:true:1:119"), s.order());
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldFillTheUserIosbAndSetTheUserEventOfAThreadlessIrpThatCompletesToTheTop() {
        boot(true);
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, completing(NtStatus.STATUS_SUCCESS)));
        MemorySegment dev = io.device(d, 0);
        MemorySegment iosb = io.block(16);
        MemorySegment event = io.block(24);
        Ke.KeInitializeEvent(event, Ke.NotificationEvent, false);
        MemorySegment irp = IoAllocateIrp(1, false);
        irp.set(JAVA_LONG, IRP.USER_IOSB_OFFSET, iosb.address());
        irp.set(JAVA_LONG, IRP.USER_EVENT_OFFSET, event.address());
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        assertEquals(NtStatus.STATUS_SUCCESS, IoCallDriver(dev, irp));
        assertEquals(7L, iosb.get(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET));
        assertEquals(1, Ke.KeReadStateEvent(event));
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldBugCheckMultipleIrpCompleteRequestsWhenAnIrpIsCompletedTwice() {
        boot(false);
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, completing(NtStatus.STATUS_SUCCESS)));
        MemorySegment dev = io.device(d, 0);
        MemorySegment irp = IoAllocateIrp(1, false);
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        IoCallDriver(dev, irp);
        BugCheck bc = assertThrows(BugCheck.class, () -> IoCompleteRequest(irp, 0));
        assertEquals(BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, bc.code());
        assertEquals(irp.address(), bc.parameter1());
        IoReuseIrp(irp, 0);
        IoFreeIrp(irp);
        BugCheck freed = assertThrows(BugCheck.class, () -> IoCompleteRequest(irp, 0));
        assertEquals(BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, freed.code());
        io.closeWithoutLeaks();
    }

    @Test
    void shouldBugCheckNoMoreIrpStackLocationsWhenAnIrpHasTooFewLocations() {
        boot(true);
        MemorySegment[] lower = new MemorySegment[1];
        MemorySegment l = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, completing(NtStatus.STATUS_SUCCESS)));
        lower[0] = io.device(l, 0);
        // a buggy filter that sends the IRP on without setting up (or checking for) a next location
        MemorySegment u = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, (dev, irp) -> IoCallDriver(lower[0], irp)));
        MemorySegment upper = io.device(u, 0);
        IoAttachDeviceToDeviceStack(upper, lower[0]);
        MemorySegment irp = IoAllocateIrp(1, false); // the stack needs 2
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        BugCheck bc = assertThrows(BugCheck.class, () -> IoCallDriver(upper, irp));
        assertEquals(BugCheckCode.NO_MORE_IRP_STACK_LOCATIONS, bc.code());
        assertEquals(irp.address(), bc.parameter1());
        IoReuseIrp(irp, 0);
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldRaiseTheIoVerifierViolationsOfCallAndComplete() {
        boot(true);
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, (dev, irp) -> {
            irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_PENDING);
            IoCompleteRequest(irp, 0);
            return 0;
        }));
        MemorySegment dev = io.device(d, 0);
        MemorySegment irp = IoAllocateIrp(1, false);
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        BugCheck pending = assertThrows(BugCheck.class, () -> IoCallDriver(dev, irp));
        assertEquals(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, pending.code());
        assertEquals(0x06, pending.parameter1());
        IoReuseIrp(irp, 0);
        IoSetCancelRoutine(irp, (x, y) -> { });
        BugCheck withCancel = assertThrows(BugCheck.class, () -> IoCompleteRequest(irp, 0));
        assertEquals(0x07, withCancel.parameter1());
        IoSetCancelRoutine(irp, MemorySegment.NULL);
        MemorySegment notIrp = io.block(IoSizeOfIrp(1));
        notIrp.set(JAVA_SHORT, IRP.SIZE_OFFSET, (short) IoSizeOfIrp(1));
        BugCheck badIrp = assertThrows(BugCheck.class, () -> IoCallDriver(dev, notIrp));
        assertEquals(0x03, badIrp.parameter1());
        BugCheck badDev = assertThrows(BugCheck.class, () -> IoCallDriver(io.block(DEVICE_OBJECT.X64.size()), irp));
        assertEquals(0x04, badDev.parameter1());
        BugCheck freeNotIrp = assertThrows(BugCheck.class, () -> IoFreeIrp(notIrp));
        assertEquals(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, freeNotIrp.code());
        assertEquals(0x01, freeNotIrp.parameter1());
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldBugCheckWhenAMajorFunctionEntryIsNoRoutine() {
        boot(true);
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, MemorySegment.ofAddress(0x10)));
        MemorySegment dev = io.device(d, 0);
        MemorySegment irp = IoAllocateIrp(1, false);
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        BugCheck bc = assertThrows(BugCheck.class, () -> IoCallDriver(dev, irp));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, bc.code());
        IoSetMajorFunction(d, IoCodes.IRP_MJ_READ, MemorySegment.NULL);
        IoReuseIrp(irp, 0);
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldKeepTheDeviceReferencedUntilAnExCompletionRoutineRan() {
        boot(true);
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, completing(NtStatus.STATUS_SUCCESS)));
        MemorySegment dev = io.device(d, 0);
        MemorySegment irp = IoAllocateIrp(2, false);
        long before = io.kernel.objects().pointerCount(dev.address());
        long[] during = new long[1];
        assertEquals(NtStatus.STATUS_SUCCESS, IoSetCompletionRoutineEx(dev, irp, (x, i, ctx) -> {
            during[0] = io.kernel.objects().pointerCount(dev.address());
            assertEquals(0x99, ctx.address());
            return NtStatus.STATUS_MORE_PROCESSING_REQUIRED;
        }, MemorySegment.ofAddress(0x99), true, true, true));
        assertEquals(before + 1, io.kernel.objects().pointerCount(dev.address()));
        // the originator sends it through its own location first
        irp.set(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET, (byte) 2);
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET, irp.address() + IRP.X64.size() + IO_STACK_LOCATION.X64.size());
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        IoCallDriver(dev, irp);
        assertEquals(before + 1, during[0]);
        assertEquals(before, io.kernel.objects().pointerCount(dev.address()));
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    // ===== IoBuild* =====

    @Test
    void shouldBuildABufferedDeviceIoControlRequestAndFreeItWhenItCompletes() {
        boot(true);
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_DEVICE_CONTROL, (dev, irp) -> {
            MemorySegment loc = IoGetCurrentIrpStackLocation(irp);
            assertEquals(0x222000, loc.get(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_IO_CONTROL_CODE_OFFSET));
            assertEquals(4, loc.get(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_INPUT_BUFFER_LENGTH_OFFSET));
            long sb = irp.get(JAVA_LONG, IRP.ASSOCIATED_IRP_SYSTEM_BUFFER_OFFSET);
            MemorySegment buf = io.kernel.addressSpace().resolve(sb, 8);
            int in = buf.get(JAVA_INT, 0);
            buf.set(JAVA_INT, 0, in * 2);
            buf.set(JAVA_INT, 4, in * 3);
            irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_SUCCESS);
            irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, 8L);
            IoCompleteRequest(irp, 0);
            return NtStatus.STATUS_SUCCESS;
        }));
        MemorySegment dev = io.device(d, 0);
        MemorySegment in = io.block(4);
        in.set(JAVA_INT, 0, 21);
        MemorySegment out = io.block(8);
        MemorySegment event = io.block(24);
        MemorySegment iosb = io.block(16);
        Ke.KeInitializeEvent(event, Ke.NotificationEvent, false);
        MemorySegment irp = IoBuildDeviceIoControlRequest(0x222000, dev, in, 4, out, 8, false, event, iosb);
        assertNotEquals(0, irp.address());
        assertEquals(IoCodes.IRP_MJ_DEVICE_CONTROL, IoGetNextIrpStackLocation(irp).get(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET));
        assertNotEquals(0, irp.get(JAVA_LONG, IRP.TAIL_OVERLAY_THREAD_OFFSET));
        assertEquals(NtStatus.STATUS_SUCCESS, IoCallDriver(dev, irp));
        assertEquals(1, Ke.KeReadStateEvent(event));
        assertEquals(NtStatus.STATUS_SUCCESS, iosb.get(JAVA_INT, IO_STATUS_BLOCK.STATUS_OFFSET));
        assertEquals(8L, iosb.get(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET));
        assertEquals(42, out.get(JAVA_INT, 0));
        assertEquals(63, out.get(JAVA_INT, 4));
        io.closeWithoutLeaks(); // the IRP and its system buffer were freed by the completion
    }

    @Test
    void shouldBuildASynchronousReadThatTheCallerWaitsFor() throws Exception {
        boot(true);
        MemorySegment[] pending = new MemorySegment[1];
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, (dev, irp) -> {
            MemorySegment loc = IoGetCurrentIrpStackLocation(irp);
            assertEquals(16, loc.get(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_READ_LENGTH_OFFSET));
            assertEquals(4096L, loc.get(JAVA_LONG, IO_STACK_LOCATION.PARAMETERS_READ_BYTE_OFFSET_OFFSET));
            IoMarkIrpPending(irp);
            pending[0] = irp;
            return NtStatus.STATUS_PENDING;
        }));
        MemorySegment dev = io.device(d, 0);
        MemorySegment buffer = io.block(16);
        MemorySegment offset = io.block(8);
        offset.set(JAVA_LONG, 0, 4096L);
        MemorySegment event = io.block(24);
        MemorySegment iosb = io.block(16);
        Ke.KeInitializeEvent(event, Ke.NotificationEvent, false);
        MemorySegment irp = IoBuildSynchronousFsdRequest(IoCodes.IRP_MJ_READ, dev, buffer, 16, offset, event, iosb);
        assertEquals(NtStatus.STATUS_PENDING, IoCallDriver(dev, irp));
        Kernel k = io.kernel;
        Thread completer = Thread.ofPlatform().start(() -> {
            k.attach();
            try {
                pending[0].set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_SUCCESS);
                pending[0].set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, 16L);
                IoCompleteRequest(pending[0], 0);
            } finally {
                Kernel.detach();
            }
        });
        assertEquals(NtStatus.STATUS_SUCCESS, Ke.KeWaitForSingleObject(event, 0, 0, false, MemorySegment.NULL));
        completer.join();
        assertEquals(16L, iosb.get(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET));
        assertEquals(0, IoBuildSynchronousFsdRequest(IoCodes.IRP_MJ_CREATE, dev, buffer, 16, offset, event, iosb).address(),
                "IRP_MJ_CREATE is no FSD request");
        io.closeWithoutLeaks();
    }

    @Test
    void shouldRaiseTheVerifierViolationForAnUnmappedIoctlBuffer() {
        boot(true);
        MemorySegment d = io.driver(null, x -> { });
        MemorySegment dev = io.device(d, 0);
        BugCheck bc = assertThrows(BugCheck.class, () -> IoBuildDeviceIoControlRequest(0x222000, dev, MemorySegment.ofAddress(0x1000), 16,
                MemorySegment.NULL, 0, false, MemorySegment.NULL, MemorySegment.NULL));
        assertEquals(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, bc.code());
        assertEquals(0x09, bc.parameter1());
        io.closeWithoutLeaks();
    }

    // ===== cancellation =====

    @Test
    void shouldCallTheCancelRoutineAtDispatchLevelHoldingTheCancelLock() {
        boot(true);
        MemorySegment irp = IoAllocateIrp(1, false);
        assertFalse(IoCancelIrp(irp), "no cancel routine: FALSE");
        assertEquals(1, irp.get(JAVA_BYTE, IRP.CANCEL_OFFSET), "Cancel is set anyway");
        IoReuseIrp(irp, 0);
        int[] irqlInRoutine = new int[1];
        int[] calls = new int[1];
        assertEquals(0, IoSetCancelRoutine(irp, (dev, i) -> {
            calls[0]++;
            irqlInRoutine[0] = Ke.KeGetCurrentIrql();
            assertEquals(0, IoSetCancelRoutine(i, MemorySegment.NULL).address(), "IoCancelIrp took the routine out");
            IoReleaseCancelSpinLock(i.get(JAVA_BYTE, IRP.CANCEL_IRQL_OFFSET));
        }).address());
        assertTrue(IoCancelIrp(irp));
        assertEquals(1, calls[0]);
        assertEquals(2, irqlInRoutine[0]);
        assertEquals(0, Ke.KeGetCurrentIrql());
        assertFalse(IoCancelIrp(irp), "the routine ran once");
        IoReuseIrp(irp, 0);
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldReturnThePreviousCancelRoutineFromTheExchange() {
        boot(true);
        MemorySegment irp = IoAllocateIrp(1, false);
        MemorySegment first = IoSetCancelRoutine(irp, (d, i) -> { });
        assertEquals(0, first.address());
        long armed = irp.get(JAVA_LONG, IRP.CANCEL_ROUTINE_OFFSET);
        assertNotEquals(0, armed);
        assertEquals(armed, IoSetCancelRoutine(irp, MemorySegment.NULL).address());
        assertEquals(0, irp.get(JAVA_LONG, IRP.CANCEL_ROUTINE_OFFSET));
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldRaiseToDispatchLevelWithTheCancelSpinLock() {
        boot(true);
        int old = IoAcquireCancelSpinLock();
        assertEquals(0, old);
        assertEquals(2, Ke.KeGetCurrentIrql());
        IoReleaseCancelSpinLock(old);
        assertEquals(0, Ke.KeGetCurrentIrql());
        io.closeWithoutLeaks();
    }

    @Test
    void shouldCompleteACancelledPendingIrpThroughItsCancelRoutineOnlyOnce() throws Exception {
        boot(true);
        AtomicInteger completions = new AtomicInteger();
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, (dev, irp) -> {
            IoMarkIrpPending(irp);
            IoSetCancelRoutine(irp, (cd, ci) -> {
                IoReleaseCancelSpinLock(ci.get(JAVA_BYTE, IRP.CANCEL_IRQL_OFFSET));
                ci.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_CANCELLED);
                IoCompleteRequest(ci, 0);
            });
            if (irp.get(JAVA_BYTE, IRP.CANCEL_OFFSET) != 0 && IoSetCancelRoutine(irp, MemorySegment.NULL).address() != 0) {
                irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_CANCELLED);
                IoCompleteRequest(irp, 0);
            }
            return NtStatus.STATUS_PENDING;
        }));
        MemorySegment dev = io.device(d, 0);
        MemorySegment irp = IoAllocateIrp(2, false);
        IoSetCompletionRoutine(irp, (x, i, c) -> {
            completions.incrementAndGet();
            return NtStatus.STATUS_MORE_PROCESSING_REQUIRED;
        }, MemorySegment.NULL, true, true, true);
        irp.set(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET, (byte) 2);
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET, irp.address() + IRP.X64.size() + IO_STACK_LOCATION.X64.size());
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        assertEquals(NtStatus.STATUS_PENDING, IoCallDriver(dev, irp));
        assertTrue(IoCancelIrp(irp));
        assertFalse(IoCancelIrp(irp));
        assertEquals(1, completions.get());
        assertEquals(NtStatus.STATUS_CANCELLED, status(irp));
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldRefuseAnIrpPointerWhoseIrpWouldRunPastItsPoolBlockWithoutTouchingTheNeighbour() {
        boot(true);
        MemorySegment small = io.block(0x30); // begins like an IRP (Type 6, Size) but is no IRP-sized block
        MemorySegment neighbour = io.block(0x30);
        small.set(JAVA_SHORT, IRP.TYPE_OFFSET, (short) IoCodes.IO_TYPE_IRP);
        small.set(JAVA_SHORT, IRP.SIZE_OFFSET, (short) IoSizeOfIrp(1));
        byte[] before = neighbour.toArray(JAVA_BYTE);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> IoCancelIrp(small));
        assertTrue(e.getMessage().contains("one live pool block"), e.getMessage());
        assertArrayEquals(before, neighbour.toArray(JAVA_BYTE), "the next block is untouched");
        io.closeWithoutLeaks();
    }
}
