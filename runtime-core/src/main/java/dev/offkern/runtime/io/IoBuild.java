package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.rtl.LARGE_INTEGER;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;

/**
 * Requests the I/O manager builds for a driver and completes for it: {@code IoBuildDeviceIoControlRequest}
 * and {@code IoBuildSynchronousFsdRequest}.
 *
 * <p>Both return an IRP (NULL without pool) sized for the target device's StackSize, its next stack
 * location set up for the target (MajorFunction, Parameters), UserIosb and UserEvent the caller's,
 * Tail.Overlay.Thread the calling thread's ETHREAD, RequestorMode KernelMode. The caller sends it
 * with IoCallDriver and, if that returns STATUS_PENDING, waits on the event; when the request
 * completes the I/O manager copies IoStatus to the caller's IO_STATUS_BLOCK, sets the event and frees
 * the IRP (and its system buffer) — the caller never frees it.
 *
 * <p>Buffers: METHOD_BUFFERED (and buffered-I/O devices for reads and writes) get a non-paged system
 * buffer of the larger length (tag 'IoBu'), the input copied in, and on a successful completion
 * IoStatus.Information bytes copied back to the output buffer. METHOD_IN/OUT_DIRECT copy the input
 * the same way and pass the output buffer in UserBuffer (offkern has no MDLs); METHOD_NEITHER passes
 * both pointers (Parameters.DeviceIoControl.Type3InputBuffer, UserBuffer). A buffer must be mapped
 * memory of its length: under the verifier (family IO) one that is not is
 * DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9: 0x09 for device-control requests, 0x08 for the others;
 * the device, the control code or major function, STATUS_ACCESS_VIOLATION), else
 * PAGE_FAULT_IN_NONPAGED_AREA (0x50). IoBuildSynchronousFsdRequest accepts IRP_MJ_READ, WRITE,
 * FLUSH_BUFFERS, SHUTDOWN, PNP and POWER; another MajorFunction returns NULL.
 *
 * <p>IRQL: PASSIVE_LEVEL (verifier: 0xD1). Progress: the pool's.
 */
public final class IoBuild {
    /** 0xC9 P1: IoBuildAsynchronous/SynchronousFsdRequest with an invalid buffer. */
    public static final int DV_BUILD_FSD_BUFFER = 0x08;
    /** 0xC9 P1: IoBuildDeviceIoControlRequest with an invalid buffer. */
    public static final int DV_BUILD_IOCTL_BUFFER = 0x09;

    private IoBuild() {
    }

    /** {@code IoBuildDeviceIoControlRequest(...)}: the IRP, or NULL. */
    public static MemorySegment deviceIoControl(IoManager io, int ioControlCode, MemorySegment deviceArg, MemorySegment input, int inputLength,
                                                MemorySegment output, int outputLength, boolean internal, MemorySegment event,
                                                MemorySegment iosb) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "IoBuildDeviceIoControlRequest");
        }
        long device = IoDevices.requireDevice(io, deviceArg, "IoBuildDeviceIoControlRequest");
        long in = address(input);
        long out = address(output);
        long inLen = Integer.toUnsignedLong(inputLength);
        long outLen = Integer.toUnsignedLong(outputLength);
        checkBuffer(io, in, inLen, device, DV_BUILD_IOCTL_BUFFER, ioControlCode, "InputBuffer");
        checkBuffer(io, out, outLen, device, DV_BUILD_IOCTL_BUFFER, ioControlCode, "OutputBuffer");
        MemorySegment irp = allocateFor(io, device);
        if (irp.address() == 0) {
            return irp;
        }
        long next = IoIrp.nextOffset(irp, "IoBuildDeviceIoControlRequest");
        irp.set(JAVA_BYTE, next + IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET,
                (byte) (internal ? IoCodes.IRP_MJ_INTERNAL_DEVICE_CONTROL : IoCodes.IRP_MJ_DEVICE_CONTROL));
        irp.set(JAVA_INT, next + IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_OUTPUT_BUFFER_LENGTH_OFFSET, outputLength);
        irp.set(JAVA_INT, next + IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_INPUT_BUFFER_LENGTH_OFFSET, inputLength);
        irp.set(JAVA_INT, next + IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_IO_CONTROL_CODE_OFFSET, ioControlCode);
        int method = ioControlCode & 3;
        if (method == IoCodes.METHOD_NEITHER) {
            irp.set(JAVA_LONG, next + IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_TYPE3_INPUT_BUFFER_OFFSET, in);
            irp.set(JAVA_LONG, IRP.USER_BUFFER_OFFSET, out);
        } else {
            long length = method == IoCodes.METHOD_BUFFERED ? Math.max(inLen, outLen) : inLen;
            if (length > 0 && !systemBuffer(io, irp, in, inLen, length,
                    method == IoCodes.METHOD_BUFFERED && outLen > 0)) {
                IoIrp.free(io, irp);
                return MemorySegment.NULL;
            }
            irp.set(JAVA_LONG, IRP.USER_BUFFER_OFFSET, out);
        }
        finish(io, irp, event, iosb);
        return irp;
    }

    /** {@code IoBuildSynchronousFsdRequest(MajorFunction, DeviceObject, Buffer, Length, StartingOffset, Event, IoStatusBlock)}. */
    public static MemorySegment synchronousFsd(IoManager io, int major, MemorySegment deviceArg, MemorySegment buffer, int length,
                                               MemorySegment startingOffset, MemorySegment event, MemorySegment iosb) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "IoBuildSynchronousFsdRequest");
        }
        long device = IoDevices.requireDevice(io, deviceArg, "IoBuildSynchronousFsdRequest");
        boolean transfer = major == IoCodes.IRP_MJ_READ || major == IoCodes.IRP_MJ_WRITE;
        if (!transfer && major != IoCodes.IRP_MJ_FLUSH_BUFFERS && major != IoCodes.IRP_MJ_SHUTDOWN && major != IoCodes.IRP_MJ_PNP
                && major != IoCodes.IRP_MJ_POWER) {
            return MemorySegment.NULL;
        }
        long buf = address(buffer);
        long len = Integer.toUnsignedLong(length);
        if (transfer) {
            checkBuffer(io, buf, len, device, DV_BUILD_FSD_BUFFER, major, "Buffer");
        }
        long offset = 0;
        if (transfer && startingOffset != null && startingOffset.address() != 0) {
            offset = io.res(startingOffset.address(), LARGE_INTEGER.X64.size()).get(JAVA_LONG, LARGE_INTEGER.QUAD_PART_OFFSET);
        }
        if (!transfer) {
            MemorySegment irp = allocateFor(io, device);
            if (irp.address() == 0) {
                return irp;
            }
            long next = IoIrp.nextOffset(irp, "IoBuildSynchronousFsdRequest");
            irp.set(JAVA_BYTE, next + IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) major);
            finish(io, irp, event, iosb);
            return irp;
        }
        return readWrite(io, major, device, buf, length, offset, 0, event, iosb, "IoBuildSynchronousFsdRequest");
    }

    /**
     * An IRP_MJ_READ or IRP_MJ_WRITE for {@code device} (checked buffer {@code buf} of {@code length}
     * bytes): Parameters.Read/Write Length, Key and ByteOffset; a buffered-I/O device gets a system
     * buffer (a write's data copied in, a read's copied out at completion), any other device the
     * caller's buffer in UserBuffer. NULL without pool.
     */
    static MemorySegment readWrite(IoManager io, int major, long device, long buf, int length, long offset, int key, MemorySegment event,
                                   MemorySegment iosb, String routine) {
        long len = Integer.toUnsignedLong(length);
        MemorySegment irp = allocateFor(io, device);
        if (irp.address() == 0) {
            return irp;
        }
        long next = IoIrp.nextOffset(irp, routine);
        irp.set(JAVA_BYTE, next + IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) major);
        irp.set(JAVA_INT, next + IO_STACK_LOCATION.PARAMETERS_READ_LENGTH_OFFSET, length);
        irp.set(JAVA_INT, next + READ_KEY, key);
        irp.set(JAVA_LONG, next + IO_STACK_LOCATION.PARAMETERS_READ_BYTE_OFFSET_OFFSET, offset);
        int flags = io.space.resolve(device, DEVICE_OBJECT.X64.size()).get(JAVA_INT, DEVICE_OBJECT.FLAGS_OFFSET);
        if ((flags & IoCodes.DO_BUFFERED_IO) != 0 && len > 0) {
            boolean read = major == IoCodes.IRP_MJ_READ;
            if (!systemBuffer(io, irp, read ? 0 : buf, read ? 0 : len, len, read)) {
                IoIrp.free(io, irp);
                return MemorySegment.NULL;
            }
        }
        irp.set(JAVA_LONG, IRP.USER_BUFFER_OFFSET, buf);
        finish(io, irp, event, iosb);
        return irp;
    }

    /** Parameters.Read.Key (and Write.Key: the same place). */
    private static final long READ_KEY = IO_STACK_LOCATION.X64.offset("Parameters.Read.Key");

    /** Checks that {@code buf} maps {@code length} bytes (0xC9/0x08 under the I/O verifier, else 0x50). */
    static void checkTransferBuffer(IoManager io, long buf, int length, long device, int major) {
        checkBuffer(io, buf, Integer.toUnsignedLong(length), device, DV_BUILD_FSD_BUFFER, major, "Buffer");
    }

    private static long address(MemorySegment s) {
        return s == null ? 0 : s.address();
    }

    private static void checkBuffer(IoManager io, long address, long length, long device, int subcode, int what, String name) {
        if (length == 0) {
            return;
        }
        if (address == 0 || !io.space.isValid(address, length)) {
            if (io.verify) {
                throw io.core.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, subcode, device, what & 0xFFFFFFFFL,
                        NtStatus.STATUS_ACCESS_VIOLATION & 0xFFFFFFFFL, name + " 0x" + Long.toHexString(address) + " of " + length
                                + " bytes is not mapped memory");
            }
            io.space.resolve(address, length); // PAGE_FAULT_IN_NONPAGED_AREA
        }
    }

    private static MemorySegment allocateFor(IoManager io, long device) {
        int stackSize = io.space.resolve(device, DEVICE_OBJECT.X64.size()).get(JAVA_BYTE, DEVICE_OBJECT.STACK_SIZE_OFFSET);
        if (stackSize < 1) {
            throw new IllegalStateException("device 0x" + Long.toHexString(device) + " has StackSize " + stackSize);
        }
        return IoIrp.allocate(io, stackSize, false);
    }

    /** A system buffer of {@code length} bytes with the input copied in; false without pool. */
    private static boolean systemBuffer(IoManager io, MemorySegment irp, long in, long inLen, long length, boolean input) {
        long sb = io.pool.allocate(length, IoManager.TAG_BUFFER, 0);
        if (sb == 0) {
            return false;
        }
        if (inLen > 0) {
            MemorySegment.copy(io.space.resolve(in, inLen), 0, io.space.resolve(sb, inLen), 0, inLen);
        }
        irp.set(JAVA_LONG, IRP.ASSOCIATED_IRP_SYSTEM_BUFFER_OFFSET, sb);
        irp.set(JAVA_INT, IRP.FLAGS_OFFSET, IoCompletion.IRP_BUFFERED_IO | IoCompletion.IRP_DEALLOCATE_BUFFER
                | (input ? IoCompletion.IRP_INPUT_OPERATION : 0));
        return true;
    }

    private static void finish(IoManager io, MemorySegment irp, MemorySegment event, MemorySegment iosb) {
        irp.set(JAVA_LONG, IRP.USER_IOSB_OFFSET, address(iosb));
        irp.set(JAVA_LONG, IRP.USER_EVENT_OFFSET, address(event));
        irp.set(JAVA_INT, IRP.FLAGS_OFFSET, irp.get(JAVA_INT, IRP.FLAGS_OFFSET) | IoCodes.IRP_SYNCHRONOUS_API);
        MemorySegment thread = io.currentThread.get();
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_THREAD_OFFSET, thread.address());
    }
}
