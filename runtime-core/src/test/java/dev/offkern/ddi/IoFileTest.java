package dev.offkern.ddi;

import static dev.offkern.ddi.Io.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.FILE_OBJECT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.DRIVER_DISPATCH;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File objects and the create path through the DDI: IoGetDeviceObjectPointer, ZwCreateFile, ZwClose
 * (IRP_MJ_CLEANUP, then IRP_MJ_CLOSE with the last reference), ZwDeviceIoControlFile, and their
 * documented statuses.
 */
class IoFileTest {
    private static final int IOCTL_ECHO = (IoCodes.FILE_DEVICE_UNKNOWN << 16) | (0x801 << 2) | IoCodes.METHOD_BUFFERED;

    @TempDir
    Path dumps;

    private IoTestSupport io;
    /** What the device saw: "major:fileObject" per request. */
    private final List<String> seen = new ArrayList<>();
    private int createStatus = NtStatus.STATUS_SUCCESS;

    @AfterEach
    void shutdown() {
        if (io != null) {
            io.close();
        }
    }

    private DRIVER_DISPATCH recording() {
        return (device, irp) -> {
            MemorySegment sl = IoGetCurrentIrpStackLocation(irp);
            int major = sl.get(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET) & 0xFF;
            long file = sl.get(JAVA_LONG, IO_STACK_LOCATION.FILE_OBJECT_OFFSET);
            synchronized (seen) {
                seen.add(major + ":" + Long.toHexString(file));
            }
            int st = major == IoCodes.IRP_MJ_CREATE ? createStatus : NtStatus.STATUS_SUCCESS;
            long info = 0;
            if (major == IoCodes.IRP_MJ_DEVICE_CONTROL) {
                int in = sl.get(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_INPUT_BUFFER_LENGTH_OFFSET);
                long sb = irp.get(JAVA_LONG, IRP.ASSOCIATED_IRP_SYSTEM_BUFFER_OFFSET);
                MemorySegment b = io.kernel.addressSpace().resolve(sb, in);
                for (int i = 0; i < in; i++) {
                    b.set(JAVA_BYTE, i, (byte) (b.get(JAVA_BYTE, i) + 1));
                }
                info = in;
            }
            irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, st);
            irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, info);
            IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
            return st;
        };
    }

    /** Boots, loads a driver with a device named {@code \Device\FileTest}; returns the device. */
    private MemorySegment device() {
        io = new IoTestSupport(dumps, true);
        DRIVER_DISPATCH d = recording();
        MemorySegment[] dev = new MemorySegment[1];
        io.driver("\\Driver\\FileTest", drv -> {
            for (int major : new int[] {IoCodes.IRP_MJ_CREATE, IoCodes.IRP_MJ_CLEANUP, IoCodes.IRP_MJ_CLOSE, IoCodes.IRP_MJ_DEVICE_CONTROL}) {
                IoSetMajorFunction(drv, major, d);
            }
            MemorySegment slot = io.block(8);
            assertEquals(NtStatus.STATUS_SUCCESS, IoCreateDevice(drv, 0, io.unicode("\\Device\\FileTest"), IoCodes.FILE_DEVICE_UNKNOWN,
                    0, false, slot));
            dev[0] = io.kernel.addressSpace().resolve(slot.get(JAVA_LONG, 0), DEVICE_OBJECT.X64.size());
        });
        return dev[0];
    }

    private MemorySegment attributes(String name) {
        MemorySegment oa = io.block(OBJECT_ATTRIBUTES.X64.size());
        oa.set(JAVA_INT, OBJECT_ATTRIBUTES.LENGTH_OFFSET, (int) OBJECT_ATTRIBUTES.X64.size());
        oa.set(JAVA_LONG, OBJECT_ATTRIBUTES.OBJECT_NAME_OFFSET, io.unicode(name).address());
        oa.set(JAVA_INT, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET, ObjectAttributes.OBJ_KERNEL_HANDLE | ObjectAttributes.OBJ_CASE_INSENSITIVE);
        return oa;
    }

    private List<String> seen() {
        synchronized (seen) {
            return List.copyOf(seen);
        }
    }

    @Test
    void shouldOpenADeviceWithIoGetDeviceObjectPointerSendingCreateAndCleanupThenCloseAtTheLastDereference() {
        MemorySegment dev = device();
        MemorySegment fileOut = io.block(8);
        MemorySegment devOut = io.block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, IoGetDeviceObjectPointer(io.unicode("\\Device\\FileTest"), AccessMask.FILE_ALL_ACCESS,
                fileOut, devOut));
        long file = fileOut.get(JAVA_LONG, 0);
        assertEquals(dev.address(), devOut.get(JAVA_LONG, 0), "the top of the stack: the device itself");
        MemorySegment f = io.kernel.addressSpace().resolve(file, FILE_OBJECT.X64.size());
        assertEquals(IoCodes.IO_TYPE_FILE, f.get(JAVA_SHORT, FILE_OBJECT.TYPE_OFFSET));
        assertEquals(FILE_OBJECT.X64.size(), f.get(JAVA_SHORT, FILE_OBJECT.SIZE_OFFSET));
        assertEquals(dev.address(), f.get(JAVA_LONG, FILE_OBJECT.DEVICE_OBJECT_OFFSET));
        assertEquals(Io.IoFileObjectType().address(), Ob.ObGetObjectType(f).address());
        String h = Long.toHexString(file);
        assertEquals(List.of(IoCodes.IRP_MJ_CREATE + ":" + h, IoCodes.IRP_MJ_CLEANUP + ":" + h), seen());
        Ob.ObDereferenceObject(f);
        assertEquals(List.of(IoCodes.IRP_MJ_CREATE + ":" + h, IoCodes.IRP_MJ_CLEANUP + ":" + h, IoCodes.IRP_MJ_CLOSE + ":" + h), seen());
        io.closeWithoutLeaks();
    }

    @Test
    void shouldCreateAFileHandleSendControlRequestsThroughItAndSendCleanupAndCloseAtZwClose() {
        device();
        MemorySegment handle = io.block(8);
        MemorySegment iosb = io.block(IO_STATUS_BLOCK.X64.size());
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwCreateFile(handle, AccessMask.FILE_ALL_ACCESS, attributes("\\Device\\FileTest\\sub"),
                iosb, MemorySegment.NULL, 0, 0, IoCodes.FILE_OPEN, IoCodes.FILE_SYNCHRONOUS_IO_NONALERT, MemorySegment.NULL, 0));
        assertEquals(NtStatus.STATUS_SUCCESS, iosb.get(JAVA_INT, IO_STATUS_BLOCK.STATUS_OFFSET));
        assertEquals(IoCodes.FILE_OPENED, iosb.get(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET));
        long h = handle.get(JAVA_LONG, 0);
        MemorySegment in = io.block(4);
        in.set(JAVA_INT, 0, 0x01020304);
        MemorySegment out = io.block(4);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwDeviceIoControlFile(h, 0, MemorySegment.NULL, MemorySegment.NULL, iosb, IOCTL_ECHO,
                in, 4, out, 4));
        assertEquals(0x02030405, out.get(JAVA_INT, 0));
        assertEquals(4, iosb.get(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET));
        List<String> s = seen();
        assertEquals(2, s.size());
        String file = s.get(0).substring(s.get(0).indexOf(':') + 1);
        assertEquals(IoCodes.IRP_MJ_DEVICE_CONTROL + ":" + file, s.get(1));
        MemorySegment f = io.kernel.addressSpace().resolve(Long.parseLong(file, 16), FILE_OBJECT.X64.size());
        assertEquals("\\sub".length() * 2, f.get(JAVA_SHORT, FILE_OBJECT.FILE_NAME_OFFSET + UNICODE_STRING.LENGTH_OFFSET));
        assertTrue((f.get(JAVA_INT, FILE_OBJECT.FLAGS_OFFSET) & IoCodes.FO_SYNCHRONOUS_IO) != 0);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
        assertEquals(List.of(IoCodes.IRP_MJ_CREATE + ":" + file, IoCodes.IRP_MJ_DEVICE_CONTROL + ":" + file,
                IoCodes.IRP_MJ_CLEANUP + ":" + file, IoCodes.IRP_MJ_CLOSE + ":" + file), seen());
        dev.offkern.nt.BugCheck stale = assertThrows(dev.offkern.nt.BugCheck.class, () -> Zw.ZwDeviceIoControlFile(h, 0,
                MemorySegment.NULL, MemorySegment.NULL, iosb, IOCTL_ECHO, in, 4, out, 4), "the kernel handle is closed (verifier)");
        assertEquals(dev.offkern.nt.BugCheckCode.INVALID_KERNEL_HANDLE, stale.code());
        io.closeWithoutLeaks();
    }

    @Test
    void shouldReturnTheDriversCreateFailureAndNeverSendCloseForIt() {
        device();
        createStatus = NtStatus.STATUS_ACCESS_DENIED;
        MemorySegment handle = io.block(8);
        MemorySegment iosb = io.block(IO_STATUS_BLOCK.X64.size());
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, Zw.ZwCreateFile(handle, AccessMask.FILE_ALL_ACCESS, attributes("\\Device\\FileTest"),
                iosb, MemorySegment.NULL, 0, 0, IoCodes.FILE_OPEN, 0, MemorySegment.NULL, 0));
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, iosb.get(JAVA_INT, IO_STATUS_BLOCK.STATUS_OFFSET));
        assertEquals(1, seen().size(), "IRP_MJ_CREATE only");
        MemorySegment fileOut = io.block(8);
        MemorySegment devOut = io.block(8);
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, IoGetDeviceObjectPointer(io.unicode("\\Device\\FileTest"), 0, fileOut, devOut));
        assertEquals(0, fileOut.get(JAVA_LONG, 0), "outs untouched on failure");
        io.closeWithoutLeaks();
    }

    @Test
    void shouldReturnTheDocumentedStatusesForBadNamesAndParameters() {
        device();
        MemorySegment handle = io.block(8);
        MemorySegment iosb = io.block(IO_STATUS_BLOCK.X64.size());
        MemorySegment fileOut = io.block(8);
        MemorySegment devOut = io.block(8);
        assertEquals(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, IoGetDeviceObjectPointer(io.unicode("\\Device\\NoSuch"), 0, fileOut, devOut));
        assertEquals(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, IoGetDeviceObjectPointer(io.unicode("\\Driver\\FileTest"), 0, fileOut, devOut));
        assertEquals(NtStatus.STATUS_OBJECT_NAME_INVALID, IoGetDeviceObjectPointer(io.unicode("Device"), 0, fileOut, devOut));
        assertThrows(IllegalArgumentException.class, () -> IoGetDeviceObjectPointer(MemorySegment.NULL, 0, fileOut, devOut));
        assertThrows(IllegalArgumentException.class, () -> IoGetDeviceObjectPointer(io.unicode("\\Device\\FileTest"), 0,
                MemorySegment.NULL, devOut));
        MemorySegment oa = attributes("\\Device\\FileTest");
        int all = AccessMask.FILE_ALL_ACCESS;
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwCreateFile(MemorySegment.NULL, all, oa, iosb, MemorySegment.NULL, 0, 0,
                IoCodes.FILE_OPEN, 0, MemorySegment.NULL, 0));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwCreateFile(handle, all, oa, iosb, MemorySegment.NULL, 0, 0, 6, 0,
                MemorySegment.NULL, 0), "CreateDisposition above FILE_MAXIMUM_DISPOSITION");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwCreateFile(handle, all, oa, iosb, MemorySegment.NULL, 0, 0, IoCodes.FILE_OPEN,
                0x01000000, MemorySegment.NULL, 0), "an option bit outside FILE_VALID_OPTION_FLAGS");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwCreateFile(handle, all, oa, iosb, MemorySegment.NULL, 0, 0, IoCodes.FILE_OPEN,
                IoCodes.FILE_SYNCHRONOUS_IO_ALERT | IoCodes.FILE_SYNCHRONOUS_IO_NONALERT, MemorySegment.NULL, 0));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwCreateFile(handle, AccessMask.FILE_ALL_ACCESS & ~AccessMask.SYNCHRONIZE, oa,
                iosb, MemorySegment.NULL, 0, 0, IoCodes.FILE_OPEN, IoCodes.FILE_SYNCHRONOUS_IO_NONALERT, MemorySegment.NULL, 0),
                "synchronous I/O without SYNCHRONIZE");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwCreateFile(handle, all, oa, iosb, MemorySegment.NULL, 0, 0, IoCodes.FILE_OPEN,
                0, MemorySegment.NULL, 8), "EaLength without EaBuffer");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwDeviceIoControlFile(0, 0, MemorySegment.NULL, MemorySegment.NULL,
                MemorySegment.NULL, IOCTL_ECHO, MemorySegment.NULL, 0, MemorySegment.NULL, 0));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, Zw.ZwDeviceIoControlFile(0x7FF0, 0, MemorySegment.NULL, MemorySegment.NULL, iosb,
                IOCTL_ECHO, MemorySegment.NULL, 0, MemorySegment.NULL, 0));
        assertTrue(seen().isEmpty(), "no request reached the driver");
        io.closeWithoutLeaks();
    }
}
