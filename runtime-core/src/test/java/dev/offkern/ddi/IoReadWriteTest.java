package dev.offkern.ddi;

import static dev.offkern.ddi.Io.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.FILE_OBJECT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.DRIVER_DISPATCH;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZwReadFile and ZwWriteFile through a file handle: IRP_MJ_READ/WRITE down the device's stack,
 * buffered and non-buffered devices, the synchronous file pointer, asynchronous requests that hold
 * the file object until they complete, and the documented statuses.
 */
class IoReadWriteTest {
    private static final int IOCTL_PEND = (IoCodes.FILE_DEVICE_UNKNOWN << 16) | (0x802 << 2) | IoCodes.METHOD_BUFFERED;

    @TempDir
    Path dumps;

    private IoTestSupport io;
    /** The device's contents ("the disk"), its length, and what it saw. */
    private final byte[] disk = new byte[4096];
    private int size;
    private final List<String> seen = new ArrayList<>();
    /** Requests the device keeps pending (pend mode). */
    private final List<MemorySegment> pending = new ArrayList<>();
    private volatile boolean pend;
    /** Runs in the device's IRP_MJ_CLOSE, if set. */
    private volatile Runnable closeHook;
    private long lastUserBuffer;
    private long lastSystemBuffer;
    private long lastOffset;
    private int lastKey;

    @AfterEach
    void shutdown() {
        if (io != null) {
            io.close();
        }
    }

    private DRIVER_DISPATCH disk() {
        return (device, irp) -> {
            MemorySegment sl = IoGetCurrentIrpStackLocation(irp);
            int major = sl.get(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET) & 0xFF;
            synchronized (seen) {
                seen.add(Integer.toString(major));
            }
            Runnable hook = closeHook;
            if (major == IoCodes.IRP_MJ_CLOSE && hook != null) {
                hook.run();
            }
            if (pend && major != IoCodes.IRP_MJ_CLEANUP && major != IoCodes.IRP_MJ_CLOSE) {
                IoMarkIrpPending(irp);
                synchronized (pending) {
                    pending.add(irp);
                }
                return NtStatus.STATUS_PENDING;
            }
            int st = NtStatus.STATUS_SUCCESS;
            long info = 0;
            if (major == IoCodes.IRP_MJ_READ || major == IoCodes.IRP_MJ_WRITE) {
                int length = sl.get(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_READ_LENGTH_OFFSET);
                long offset = sl.get(JAVA_LONG, IO_STACK_LOCATION.PARAMETERS_READ_BYTE_OFFSET_OFFSET);
                lastOffset = offset;
                lastKey = sl.get(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_READ_LENGTH_OFFSET + 8);
                lastUserBuffer = irp.get(JAVA_LONG, IRP.USER_BUFFER_OFFSET);
                lastSystemBuffer = irp.get(JAVA_LONG, IRP.ASSOCIATED_IRP_SYSTEM_BUFFER_OFFSET);
                long data = lastSystemBuffer != 0 ? lastSystemBuffer : lastUserBuffer;
                if (major == IoCodes.IRP_MJ_READ) {
                    if (offset >= size) {
                        st = NtStatus.STATUS_END_OF_FILE;
                    } else {
                        int n = (int) Math.min(length, size - offset);
                        MemorySegment.copy(disk, (int) offset, io.kernel.addressSpace().resolve(data, n), JAVA_BYTE, 0, n);
                        info = n;
                    }
                } else {
                    int at = offset == -1 ? size : (int) offset; // FILE_WRITE_TO_END_OF_FILE
                    MemorySegment.copy(io.kernel.addressSpace().resolve(data, length), JAVA_BYTE, 0, disk, at, length);
                    size = Math.max(size, at + length);
                    info = length;
                }
            }
            irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, st);
            irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, info);
            IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
            return st;
        };
    }

    /** Boots and loads a driver with a device {@code \Device\Disk} (DO_BUFFERED_IO if {@code buffered}). */
    private void device(boolean buffered) {
        io = new IoTestSupport(dumps, true);
        DRIVER_DISPATCH d = disk();
        io.driver("\\Driver\\Disk", drv -> {
            for (int major : new int[] {IoCodes.IRP_MJ_CREATE, IoCodes.IRP_MJ_CLEANUP, IoCodes.IRP_MJ_CLOSE, IoCodes.IRP_MJ_READ,
                    IoCodes.IRP_MJ_WRITE, IoCodes.IRP_MJ_DEVICE_CONTROL}) {
                IoSetMajorFunction(drv, major, d);
            }
            MemorySegment slot = io.block(8);
            assertEquals(NtStatus.STATUS_SUCCESS, IoCreateDevice(drv, 0, io.unicode("\\Device\\Disk"), IoCodes.FILE_DEVICE_UNKNOWN,
                    0, false, slot));
            MemorySegment dev = io.kernel.addressSpace().resolve(slot.get(JAVA_LONG, 0), DEVICE_OBJECT.X64.size());
            if (buffered) {
                dev.set(JAVA_INT, DEVICE_OBJECT.FLAGS_OFFSET, dev.get(JAVA_INT, DEVICE_OBJECT.FLAGS_OFFSET) | IoCodes.DO_BUFFERED_IO);
            }
        });
    }

    /** Opens {@code \Device\Disk} with {@code access}; synchronous I/O if {@code synchronous}. Returns the kernel handle. */
    private long open(int access, boolean synchronous) {
        MemorySegment oa = io.block(OBJECT_ATTRIBUTES.X64.size());
        oa.set(JAVA_INT, OBJECT_ATTRIBUTES.LENGTH_OFFSET, (int) OBJECT_ATTRIBUTES.X64.size());
        oa.set(JAVA_LONG, OBJECT_ATTRIBUTES.OBJECT_NAME_OFFSET, io.unicode("\\Device\\Disk").address());
        oa.set(JAVA_INT, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET, ObjectAttributes.OBJ_KERNEL_HANDLE);
        MemorySegment handle = io.block(8);
        MemorySegment iosb = io.block(IO_STATUS_BLOCK.X64.size());
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwCreateFile(handle, access, oa, iosb, MemorySegment.NULL, 0, 0, IoCodes.FILE_OPEN,
                synchronous ? IoCodes.FILE_SYNCHRONOUS_IO_NONALERT : 0, MemorySegment.NULL, 0));
        return handle.get(JAVA_LONG, 0);
    }

    private MemorySegment bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        MemorySegment m = io.block(Math.max(1, b.length));
        MemorySegment.copy(b, 0, m, JAVA_BYTE, 0, b.length);
        return m;
    }

    private static String string(MemorySegment m, int n) {
        byte[] b = new byte[n];
        MemorySegment.copy(m, JAVA_BYTE, 0, b, 0, n);
        return new String(b, StandardCharsets.US_ASCII);
    }

    private MemorySegment offset(long value) {
        MemorySegment o = io.block(8);
        o.set(JAVA_LONG, 0, value);
        return o;
    }

    private long currentByteOffset(long handle) {
        long file = fileObject(handle);
        return io.kernel.addressSpace().resolve(file, FILE_OBJECT.X64.size()).get(JAVA_LONG, FILE_OBJECT.CURRENT_BYTE_OFFSET_OFFSET);
    }

    private long fileObject(long handle) {
        MemorySegment out = io.block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, MemorySegment.NULL, 0, out, MemorySegment.NULL));
        long file = out.get(JAVA_LONG, 0);
        Ob.ObDereferenceObject(MemorySegment.ofAddress(file));
        return file;
    }

    private List<String> seen() {
        synchronized (seen) {
            return List.copyOf(seen);
        }
    }

    @Test
    void shouldWriteAndReadThroughABufferedDeviceAdvancingTheSynchronousFilePointer() {
        device(true);
        long h = open(AccessMask.FILE_ALL_ACCESS, true);
        MemorySegment iosb = io.block(IO_STATUS_BLOCK.X64.size());
        MemorySegment abc = bytes("abc");
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWriteFile(h, 0, MemorySegment.NULL, MemorySegment.NULL, iosb, abc, 3,
                MemorySegment.NULL, MemorySegment.NULL));
        assertEquals(3, iosb.get(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET));
        assertEquals(3, currentByteOffset(h), "a NULL ByteOffset writes at the file pointer and advances it");
        assertTrue(lastSystemBuffer != 0 && lastSystemBuffer != abc.address(), "a buffered device gets a system buffer");
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWriteFile(h, 0, MemorySegment.NULL, MemorySegment.NULL, iosb, bytes("de"), 2,
                MemorySegment.NULL, MemorySegment.NULL));
        assertEquals(5, currentByteOffset(h));
        MemorySegment buf = io.block(16);
        MemorySegment key = io.block(4);
        key.set(JAVA_INT, 0, 0x1234);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwReadFile(h, 0, MemorySegment.NULL, MemorySegment.NULL, iosb, buf, 16, offset(1), key));
        assertEquals(4, iosb.get(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET));
        assertEquals("bcde", string(buf, 4), "the system buffer was copied back for Information bytes");
        assertEquals(1, lastOffset);
        assertEquals(0x1234, lastKey, "*Key reaches Parameters.Read.Key");
        assertEquals(5, currentByteOffset(h), "an explicit offset moves the pointer to offset + Information");
        MemorySegment usePointer = offset(0xFFFFFFFF00000000L | Integer.toUnsignedLong(IoCodes.FILE_USE_FILE_POINTER_POSITION));
        assertEquals(NtStatus.STATUS_END_OF_FILE, Zw.ZwReadFile(h, 0, MemorySegment.NULL, MemorySegment.NULL, iosb, buf, 16, usePointer,
                MemorySegment.NULL), "the driver's STATUS_END_OF_FILE is passed through");
        assertEquals(5, lastOffset, "FILE_USE_FILE_POINTER_POSITION reads at CurrentByteOffset");
        assertEquals(NtStatus.STATUS_END_OF_FILE, iosb.get(JAVA_INT, IO_STATUS_BLOCK.STATUS_OFFSET));
        assertEquals(5, currentByteOffset(h), "a failed request leaves the pointer");
        MemorySegment toEnd = offset(-1L);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWriteFile(h, 0, MemorySegment.NULL, MemorySegment.NULL, iosb, bytes("f"), 1, toEnd,
                MemorySegment.NULL));
        assertEquals(-1L, lastOffset, "FILE_WRITE_TO_END_OF_FILE reaches the driver");
        assertEquals("abcdef", new String(disk, 0, size, StandardCharsets.US_ASCII));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
        String r = Integer.toString(IoCodes.IRP_MJ_READ);
        String w = Integer.toString(IoCodes.IRP_MJ_WRITE);
        assertEquals(List.of("0", w, w, r, r, w, "18", "2"), seen());
        io.closeWithoutLeaks();
    }

    @Test
    void shouldPassTheCallersBufferToADeviceWithoutBufferedIo() {
        device(false);
        size = 4;
        System.arraycopy("wxyz".getBytes(StandardCharsets.US_ASCII), 0, disk, 0, 4);
        long h = open(AccessMask.FILE_ALL_ACCESS, false);
        MemorySegment iosb = io.block(IO_STATUS_BLOCK.X64.size());
        MemorySegment buf = io.block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwReadFile(h, 0, MemorySegment.NULL, MemorySegment.NULL, iosb, buf, 8, offset(0),
                MemorySegment.NULL));
        assertEquals(buf.address(), lastUserBuffer, "UserBuffer is the caller's buffer");
        assertEquals(0, lastSystemBuffer);
        assertEquals("wxyz", string(buf, 4));
        assertEquals(0, currentByteOffset(h), "only a synchronous file has a file pointer");
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
        io.closeWithoutLeaks();
    }

    @Test
    void shouldReturnPendingForAnAsynchronousFileAndHoldTheFileObjectUntilTheRequestCompletes() {
        device(true);
        long h = open(AccessMask.FILE_ALL_ACCESS, false);
        long file = fileObject(h);
        MemorySegment eventHandle = io.block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwCreateEvent(eventHandle, AccessMask.EVENT_ALL_ACCESS, MemorySegment.NULL,
                0, true));
        long e = eventHandle.get(JAVA_LONG, 0);
        MemorySegment readIosb = io.block(IO_STATUS_BLOCK.X64.size());
        MemorySegment ctlIosb = io.block(IO_STATUS_BLOCK.X64.size());
        MemorySegment buf = io.block(8);
        pend = true;
        assertEquals(NtStatus.STATUS_PENDING, Zw.ZwReadFile(h, e, MemorySegment.NULL, MemorySegment.NULL, readIosb, buf, 8, offset(0),
                MemorySegment.NULL));
        assertEquals(NtStatus.STATUS_PENDING, Zw.ZwDeviceIoControlFile(h, 0, MemorySegment.NULL, MemorySegment.NULL, ctlIosb, IOCTL_PEND,
                MemorySegment.NULL, 0, MemorySegment.NULL, 0));
        assertEquals(0, Ke.KeReadStateEvent(eventObject(e)), "the Event was cleared when the read was issued");
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
        assertFalse(seen().contains(Integer.toString(IoCodes.IRP_MJ_CLOSE)), "the requests still hold the file object");
        assertEquals(2, io.kernel.objects().pointerCount(file), "each pending request holds a reference of its own");
        List<MemorySegment> irps;
        synchronized (pending) {
            irps = List.copyOf(pending);
        }
        for (MemorySegment irp : irps) {
            MemorySegment sb = MemorySegment.ofAddress(irp.get(JAVA_LONG, IRP.ASSOCIATED_IRP_SYSTEM_BUFFER_OFFSET));
            if (sb.address() != 0) {
                io.kernel.addressSpace().resolve(sb.address(), 2).set(JAVA_BYTE, 0, (byte) 'q');
            }
            irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_SUCCESS);
            irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, sb.address() != 0 ? 1 : 0);
            IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
        }
        assertEquals(NtStatus.STATUS_SUCCESS, readIosb.get(JAVA_INT, IO_STATUS_BLOCK.STATUS_OFFSET));
        assertEquals(1, readIosb.get(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET));
        assertEquals('q', buf.get(JAVA_BYTE, 0));
        assertEquals(1, Ke.KeReadStateEvent(eventObject(e)), "the Event is set at completion");
        assertEquals(Integer.toString(IoCodes.IRP_MJ_CLOSE), seen().getLast(), "the last request's completion dropped the last reference");
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(e));
        io.closeWithoutLeaks();
    }

    @Test
    void shouldSendTheCloseAtPassiveLevelThroughAWorkerWhenTheLastRequestCompletesAtDispatchLevel() throws InterruptedException {
        device(true);
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        int[] closeIrql = {-1};
        closeHook = () -> {
            closeIrql[0] = Ke.KeGetCurrentIrql();
            closed.countDown();
        };
        long h = open(AccessMask.FILE_ALL_ACCESS, false);
        long file = fileObject(h);
        MemorySegment iosb = io.block(IO_STATUS_BLOCK.X64.size());
        pend = true;
        assertEquals(NtStatus.STATUS_PENDING, Zw.ZwWriteFile(h, 0, MemorySegment.NULL, MemorySegment.NULL, iosb, bytes("z"), 1, offset(0),
                MemorySegment.NULL));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
        MemorySegment irp;
        synchronized (pending) {
            irp = pending.getFirst();
        }
        irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_SUCCESS);
        irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, 1L);
        int old = Ke.KeRaiseIrql(2);
        try {
            IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT); // as a DPC would: the request's reference is the file's last
        } finally {
            Ke.KeLowerIrql(old);
        }
        assertTrue(closed.await(30, java.util.concurrent.TimeUnit.SECONDS), "IRP_MJ_CLOSE arrives through a system worker");
        assertEquals(0, closeIrql[0], "IRP_MJ_CLOSE is sent at PASSIVE_LEVEL, not at the completion's DISPATCH_LEVEL");
        assertEquals(1, iosb.get(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET));
        // the worker is still finishing the close (the IRP's free, then the file object's): wait for the object to go
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (io.kernel.objects().typeIfObject(file) == io.kernel.objects().fileType() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        io.closeWithoutLeaks();
    }

    @Test
    void shouldSerialiseTheRequestsOfASynchronousFileSoThatConcurrentWritersNeverShareAnOffset() throws InterruptedException {
        device(true);
        long h = open(AccessMask.FILE_ALL_ACCESS, true);
        int perThread = 400;
        Thread[] writers = new Thread[2];
        Throwable[] failure = new Throwable[1];
        for (int w = 0; w < writers.length; w++) {
            byte letter = (byte) ('a' + w);
            writers[w] = new Thread(() -> {
                try {
                    io.kernel.attach();
                    MemorySegment iosb = io.kernel.nonPagedPool().allocate(IO_STATUS_BLOCK.X64.size(), 8);
                    MemorySegment one = io.kernel.nonPagedPool().allocate(1, 8);
                    one.set(JAVA_BYTE, 0, letter);
                    for (int i = 0; i < perThread; i++) {
                        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWriteFile(h, 0, MemorySegment.NULL, MemorySegment.NULL, iosb, one, 1,
                                MemorySegment.NULL, MemorySegment.NULL)); // at the shared file pointer
                    }
                    io.kernel.nonPagedPool().free(iosb.address(), 0);
                    io.kernel.nonPagedPool().free(one.address(), 0);
                } catch (Throwable t) {
                    synchronized (failure) {
                        failure[0] = t;
                    }
                } finally {
                    Kernel.detach();
                }
            });
            writers[w].start();
        }
        for (Thread t : writers) {
            t.join(60_000);
        }
        synchronized (failure) {
            if (failure[0] != null) {
                throw new AssertionError("a writer failed", failure[0]);
            }
        }
        assertEquals(2L * perThread, currentByteOffset(h), "every write advanced the pointer by one: none reused another's offset");
        int a = 0;
        int b = 0;
        for (int i = 0; i < 2 * perThread; i++) {
            a += disk[i] == 'a' ? 1 : 0;
            b += disk[i] == 'b' ? 1 : 0;
        }
        assertEquals(perThread, a, "no write overwrote another");
        assertEquals(perThread, b);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h));
        io.closeWithoutLeaks();
    }

    private MemorySegment eventObject(long handle) {
        MemorySegment out = io.block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, MemorySegment.NULL, 0, out, MemorySegment.NULL));
        long ev = out.get(JAVA_LONG, 0);
        Ob.ObDereferenceObject(MemorySegment.ofAddress(ev));
        return io.kernel.addressSpace().resolve(ev, 24);
    }

    @Test
    void shouldReturnTheDocumentedStatusesForBadHandlesAccessAndOffsets() {
        device(true);
        long readOnly = open(AccessMask.FILE_READ_DATA | AccessMask.SYNCHRONIZE, true);
        long writeOnly = open(AccessMask.FILE_WRITE_DATA, false);
        long appendOnly = open(AccessMask.FILE_APPEND_DATA | AccessMask.SYNCHRONIZE, true);
        MemorySegment iosb = io.block(IO_STATUS_BLOCK.X64.size());
        MemorySegment buf = bytes("12345678");
        MemorySegment nul = MemorySegment.NULL;
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwReadFile(readOnly, 0, nul, nul, nul, buf, 8, nul, nul), "NULL IoStatusBlock");
        assertEquals(NtStatus.STATUS_NOT_SUPPORTED, Zw.ZwReadFile(readOnly, 0, buf, nul, iosb, buf, 8, nul, nul), "an ApcRoutine");
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, Zw.ZwReadFile(0x7FF0, 0, nul, nul, iosb, buf, 8, nul, nul));
        MemorySegment eventHandle = io.block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwCreateEvent(eventHandle, AccessMask.EVENT_ALL_ACCESS, nul, 0, false));
        long e = eventHandle.get(JAVA_LONG, 0);
        assertEquals(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, Zw.ZwWriteFile(e, 0, nul, nul, iosb, buf, 8, offset(0), nul), "an event handle");
        assertEquals(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, Zw.ZwReadFile(readOnly, readOnly, nul, nul, iosb, buf, 8, nul, nul),
                "an Event handle that is no event's");
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, Zw.ZwWriteFile(readOnly, 0, nul, nul, iosb, buf, 8, nul, nul), "no FILE_WRITE_DATA");
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, Zw.ZwReadFile(writeOnly, 0, nul, nul, iosb, buf, 8, offset(0), nul), "no FILE_READ_DATA");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwWriteFile(writeOnly, 0, nul, nul, iosb, buf, 8, nul, nul),
                "an asynchronous file needs a ByteOffset");
        MemorySegment usePointer = offset(0xFFFFFFFF00000000L | Integer.toUnsignedLong(IoCodes.FILE_USE_FILE_POINTER_POSITION));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwWriteFile(writeOnly, 0, nul, nul, iosb, buf, 8, usePointer, nul),
                "an asynchronous file has no file pointer");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwReadFile(readOnly, 0, nul, nul, iosb, buf, 8, offset(-5), nul),
                "a negative offset");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwReadFile(readOnly, 0, nul, nul, iosb, buf, 8, offset(-1), nul),
                "FILE_WRITE_TO_END_OF_FILE is for writes");
        assertTrue(seen().stream().noneMatch(s -> s.equals("3") || s.equals("4")), "no read or write reached the driver");
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWriteFile(appendOnly, 0, nul, nul, iosb, buf, 8, offset(0), nul));
        assertEquals(-1L, lastOffset, "FILE_APPEND_DATA alone: the write goes to the end of the file, ByteOffset ignored");
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWriteFile(writeOnly, 0, nul, nul, iosb, buf, 4, offset(8), nul));
        assertEquals("1234567812345678".substring(0, 12), new String(disk, 0, size, StandardCharsets.US_ASCII));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(readOnly));
        assertEquals(NtStatus.STATUS_FILE_CLOSED, closedFileRead(writeOnly));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(appendOnly));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(e));
        io.closeWithoutLeaks();
    }

    /** Closes {@code handle} while holding its file object, then writes through a second reference: STATUS_FILE_CLOSED. */
    private int closedFileRead(long handle) {
        long file = fileObject(handle);
        Ob.ObReferenceObject(MemorySegment.ofAddress(file));
        MemorySegment h2 = io.block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObOpenObjectByPointer(MemorySegment.ofAddress(file), ObjectAttributes.OBJ_KERNEL_HANDLE,
                MemorySegment.NULL, AccessMask.FILE_ALL_ACCESS, Io.IoFileObjectType(), 0, h2));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h2.get(JAVA_LONG, 0))); // the last handle: IRP_MJ_CLEANUP
        MemorySegment h3 = io.block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObOpenObjectByPointer(MemorySegment.ofAddress(file), ObjectAttributes.OBJ_KERNEL_HANDLE,
                MemorySegment.NULL, AccessMask.FILE_ALL_ACCESS, Io.IoFileObjectType(), 0, h3));
        MemorySegment iosb = io.block(IO_STATUS_BLOCK.X64.size());
        int st = Zw.ZwWriteFile(h3.get(JAVA_LONG, 0), 0, MemorySegment.NULL, MemorySegment.NULL, iosb, bytes("x"), 1, offset(0),
                MemorySegment.NULL);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h3.get(JAVA_LONG, 0)));
        Ob.ObDereferenceObject(MemorySegment.ofAddress(file));
        return st;
    }
}
