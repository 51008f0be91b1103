package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.IO_COMPLETION_ROUTINE;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.KeEvent;
import dev.offkern.runtime.ke.ThreadState;
import java.lang.foreign.MemorySegment;

/**
 * Sending and completing IRPs: {@code IoCallDriver}, {@code IoCompleteRequest},
 * {@code IoSetCompletionRoutine}, {@code IoSetCompletionRoutineEx}.
 *
 * <h2>IoCallDriver</h2>
 * CurrentLocation − 1 (at 0: NO_MORE_IRP_STACK_LOCATIONS, 0x35: the IRP), the new current location's
 * DeviceObject := the target, then the target's driver's {@code MajorFunction[MajorFunction]} is
 * called and its status returned. A MajorFunction above IRP_MJ_MAXIMUM_FUNCTION (Windows would
 * index past the table) is completed with STATUS_INVALID_DEVICE_REQUEST.
 *
 * <h2>IoCompleteRequest</h2>
 * From the current location up: PendingReturned := the location's SL_PENDING_RETURNED; the location
 * is left (CurrentLocation + 1); its completion routine runs if its Control asks for this outcome
 * (SL_INVOKE_ON_SUCCESS for NT_SUCCESS, SL_INVOKE_ON_ERROR otherwise, SL_INVOKE_ON_CANCEL when
 * Irp->Cancel), with the device of the location it returns to (NULL at the top); a routine returning
 * STATUS_MORE_PROCESSING_REQUIRED stops the completion (the routine's driver owns the IRP again).
 * Where no routine runs and a lower driver returned pending, the upper location is marked pending
 * (PendingReturned propagates up). At the top: IoStatus is copied to UserIosb, UserEvent is set, and
 * an IRP with an issuing thread (IoBuild*) is freed with its system buffer (after copying a buffered
 * read's data to UserBuffer). See {@link IoManager} for where offkern differs.
 *
 * <h2>Checks</h2>
 * IoCompleteRequest of an object that is no IRP (a freed one), with CurrentLocation beyond
 * StackCount + 1, or of an IRP that completed to the top and was not sent again:
 * MULTIPLE_IRP_COMPLETE_REQUESTS (0x44: the IRP, {@link IoIrp#MULTIPLE_COMPLETE_NOT_AN_IRP} /
 * {@code _LOCATION} / {@code _AGAIN}, 0, 0), always. Under the verifier (family IO),
 * DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9): IoCallDriver with an IRP whose Type is not
 * IO_TYPE_IRP (0x03) or a device object that is no DEVICE_OBJECT (0x04), above DISPATCH_LEVEL
 * (0x10); a dispatch routine returning at another IRQL (0x05); IoCompleteRequest with
 * STATUS_PENDING or −1 (0x06), with a cancel routine still set (0x07), above DISPATCH_LEVEL (0x0E).
 *
 * <p>Progress: as the routines it calls (the IRP has one owner at a time).
 */
public final class IoCompletion {
    /** 0xC9 P1: IoCallDriver with an IRP whose Type is not IO_TYPE_IRP. */
    public static final int DV_CALL_BAD_IRP = 0x03;
    /** 0xC9 P1: IoCallDriver with an invalid device object. */
    public static final int DV_CALL_BAD_DEVICE = 0x04;
    /** 0xC9 P1: the IRQL changed across a dispatch routine. */
    public static final int DV_DISPATCH_IRQL_CHANGED = 0x05;
    /** 0xC9 P1: IoCompleteRequest with STATUS_PENDING (or −1). */
    public static final int DV_COMPLETE_PENDING = 0x06;
    /** 0xC9 P1: IoCompleteRequest with a cancel routine still set. */
    public static final int DV_COMPLETE_WITH_CANCEL_ROUTINE = 0x07;
    /** 0xC9 P1: IoCompleteRequest above DISPATCH_LEVEL. */
    public static final int DV_COMPLETE_IRQL = 0x0E;
    /** 0xC9 P1: IoCallDriver above DISPATCH_LEVEL. */
    public static final int DV_CALL_IRQL = 0x10;

    /** IRP.Flags: the I/O manager's buffered-I/O bits (IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION). */
    static final int IRP_BUFFERED_IO = 0x10;
    static final int IRP_DEALLOCATE_BUFFER = 0x20;
    static final int IRP_INPUT_OPERATION = 0x40;

    private IoCompletion() {
    }

    // ===== IoCallDriver =====

    /** {@code IoCallDriver(DeviceObject, Irp)}. */
    public static int callDriver(IoManager io, MemorySegment deviceArg, MemorySegment irpArg) {
        ThreadState t = ThreadState.current();
        int irqlBefore = t.irql();
        if (io.verify && irqlBefore > Irql.DISPATCH_LEVEL) {
            throw io.core.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, DV_CALL_IRQL, irqlBefore, 0, 0,
                    "IoCallDriver called at " + Irql.name(irqlBefore));
        }
        if (deviceArg == null || deviceArg.address() == 0) {
            throw new IllegalArgumentException("IoCallDriver: DeviceObject is NULL");
        }
        long irpAddress = IoIrp.address(irpArg, "IoCallDriver");
        MemorySegment irp = io.irpSegment(irpAddress, "IoCallDriver");
        long devAddress = deviceArg.address();
        MemorySegment dev = io.seg(devAddress, IoManager.DEVICE_OBJECT_SIZE);
        if (io.verify) {
            if (irp.get(JAVA_SHORT, IRP.TYPE_OFFSET) != IoCodes.IO_TYPE_IRP) {
                throw io.core.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, DV_CALL_BAD_IRP, irpAddress, 0, 0,
                        "IoCallDriver: 0x" + Long.toHexString(irpAddress) + " is no IRP");
            }
            if (dev.get(JAVA_SHORT, DEVICE_OBJECT.TYPE_OFFSET) != IoCodes.IO_TYPE_DEVICE) {
                throw io.core.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, DV_CALL_BAD_DEVICE, devAddress, 0, 0,
                        "IoCallDriver: 0x" + Long.toHexString(devAddress) + " is no DEVICE_OBJECT");
            }
        }
        IoIrp.requireIrp(io, irp, "IoCallDriver");
        long cur = IoIrp.currentOffset(irp, "IoCallDriver");
        int loc = IoIrp.currentLocation(irp) - 1;
        irp.set(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET, (byte) loc);
        if (loc <= 0) {
            throw io.core.bugCheck(BugCheckCode.NO_MORE_IRP_STACK_LOCATIONS, irpAddress, 0, 0, 0,
                    "IoCallDriver: IRP 0x" + Long.toHexString(irpAddress) + " has no stack location left for device 0x"
                            + Long.toHexString(devAddress) + " (StackCount " + IoIrp.stackCount(irp) + ")");
        }
        long off = cur - IoManager.STACK_LOCATION_SIZE;
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET, irpAddress + off);
        irp.set(JAVA_LONG, off + IO_STACK_LOCATION.DEVICE_OBJECT_OFFSET, devAddress);
        clearCompleted(irp);
        int major = irp.get(JAVA_BYTE, off + IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET) & 0xFF;
        long driver = dev.get(JAVA_LONG, DEVICE_OBJECT.DRIVER_OBJECT_OFFSET);
        MemorySegment drv = io.seg(driver, IoManager.DRIVER_OBJECT_SIZE);
        if (drv.address() == 0) {
            throw io.core.bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, 0, 0, devAddress, 0,
                    "IoCallDriver: device 0x" + Long.toHexString(devAddress) + " has no DriverObject");
        }
        int status;
        if (major > IoCodes.IRP_MJ_MAXIMUM_FUNCTION) {
            status = IoDrivers.invalidDeviceRequest(io, dev, irp);
        } else {
            long routine = drv.get(JAVA_LONG, DRIVER_OBJECT.MAJOR_FUNCTION_OFFSET + major * 8L);
            status = IoRoutines.callDispatch(io, routine, devAddress, irpAddress,
                    "MajorFunction[] of the device's DRIVER_OBJECT");
        }
        if (io.verify && t.irql() != irqlBefore) {
            int after = t.irql();
            t.setIrql(irqlBefore);
            throw io.core.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, DV_DISPATCH_IRQL_CHANGED, devAddress, irqlBefore,
                    after, "the dispatch routine of device 0x" + Long.toHexString(devAddress) + " returned at " + Irql.name(after)
                            + ", called at " + Irql.name(irqlBefore));
        }
        return status;
    }

    private static void clearCompleted(MemorySegment irp) {
        int f = irp.get(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET) & 0xFF;
        if ((f & IoIrp.OFFKERN_IRP_COMPLETED) != 0) {
            irp.set(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET, (byte) (f & ~IoIrp.OFFKERN_IRP_COMPLETED));
        }
    }

    // ===== completion routines =====

    /** {@code IoSetCompletionRoutine} with a Java routine (NULL only with all three Invoke flags FALSE). */
    public static void setCompletionRoutine(IoManager io, MemorySegment irpArg, IO_COMPLETION_ROUTINE routine, MemorySegment context,
                                            boolean onSuccess, boolean onError, boolean onCancel) {
        set(io, irpArg, routine == null ? 0 : IoRoutines.stub(io, routine), context, onSuccess, onError, onCancel,
                "IoSetCompletionRoutine");
    }

    /** {@code IoSetCompletionRoutine} with a native routine pointer. */
    public static void setCompletionRoutine(IoManager io, MemorySegment irpArg, MemorySegment routine, MemorySegment context,
                                            boolean onSuccess, boolean onError, boolean onCancel) {
        set(io, irpArg, routine == null ? 0 : routine.address(), context, onSuccess, onError, onCancel, "IoSetCompletionRoutine");
    }

    static void set(IoManager io, MemorySegment irpArg, long routine, MemorySegment context, boolean onSuccess, boolean onError,
                    boolean onCancel, String name) {
        if (routine == 0 && (onSuccess || onError || onCancel)) {
            throw new IllegalArgumentException(name + ": CompletionRoutine is NULL but InvokeOnSuccess/Error/Cancel ask for it");
        }
        MemorySegment irp = io.irpSegment(IoIrp.address(irpArg, name), name);
        long next = IoIrp.nextOffset(irp, name);
        irp.set(JAVA_LONG, next + IO_STACK_LOCATION.COMPLETION_ROUTINE_OFFSET, routine);
        irp.set(JAVA_LONG, next + IO_STACK_LOCATION.CONTEXT_OFFSET, context == null ? 0 : context.address());
        int control = (onSuccess ? IoCodes.SL_INVOKE_ON_SUCCESS : 0) | (onError ? IoCodes.SL_INVOKE_ON_ERROR : 0)
                | (onCancel ? IoCodes.SL_INVOKE_ON_CANCEL : 0);
        irp.set(JAVA_BYTE, next + IO_STACK_LOCATION.CONTROL_OFFSET, (byte) control);
    }

    /**
     * {@code IoSetCompletionRoutineEx(DeviceObject, Irp, CompletionRoutine, Context, ...)}: as
     * IoSetCompletionRoutine, but the device object stays referenced until the routine has run (so
     * its driver cannot unload under it): the routine and context go into a small non-paged block
     * and the location gets the I/O manager's wrapper. STATUS_INSUFFICIENT_RESOURCES without pool.
     */
    public static int setCompletionRoutineEx(IoManager io, MemorySegment deviceArg, MemorySegment irpArg, long routine,
                                             MemorySegment context, boolean onSuccess, boolean onError, boolean onCancel) {
        if (deviceArg == null || deviceArg.address() == 0) {
            throw new IllegalArgumentException("IoSetCompletionRoutineEx: DeviceObject is NULL");
        }
        if (routine == 0) {
            throw new IllegalArgumentException("IoSetCompletionRoutineEx: CompletionRoutine is NULL");
        }
        MemorySegment irp = io.irpSegment(IoIrp.address(irpArg, "IoSetCompletionRoutineEx"), "IoSetCompletionRoutineEx");
        IoIrp.nextOffset(irp, "IoSetCompletionRoutineEx"); // fails before anything is allocated or referenced
        long block = io.pool.allocate(EX_CONTEXT_SIZE, IoManager.TAG_COMPLETION_CONTEXT, 0);
        if (block == 0) {
            return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        }
        io.ob.reference(deviceArg.address());
        MemorySegment b = io.space.resolve(block, EX_CONTEXT_SIZE);
        b.set(JAVA_LONG, EX_CONTEXT_ROUTINE, routine);
        b.set(JAVA_LONG, EX_CONTEXT_CONTEXT, context == null ? 0 : context.address());
        b.set(JAVA_LONG, EX_CONTEXT_DEVICE, deviceArg.address());
        set(io, irp, io.unloadSafeStub(), MemorySegment.ofAddress(block), onSuccess, onError, onCancel, "IoSetCompletionRoutineEx");
        return NtStatus.STATUS_SUCCESS;
    }

    /** IoSetCompletionRoutineEx's context block: the routine, its context, the referenced device (three pointers). */
    private static final java.lang.foreign.StructLayout EX_CONTEXT = java.lang.foreign.MemoryLayout.structLayout(
            java.lang.foreign.ValueLayout.ADDRESS.withName("CompletionRoutine"), java.lang.foreign.ValueLayout.ADDRESS.withName("Context"),
            java.lang.foreign.ValueLayout.ADDRESS.withName("DeviceObject"));
    private static final long EX_CONTEXT_SIZE = EX_CONTEXT.byteSize();
    private static final long EX_CONTEXT_ROUTINE = exContextOffset("CompletionRoutine");
    private static final long EX_CONTEXT_CONTEXT = exContextOffset("Context");
    private static final long EX_CONTEXT_DEVICE = exContextOffset("DeviceObject");

    private static long exContextOffset(String member) {
        return EX_CONTEXT.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement(member));
    }

    /** IopUnloadSafeCompletion: frees the context block, runs the driver's routine, then drops the device reference. */
    static int unloadSafeCompletion(IoManager io, MemorySegment deviceObject, MemorySegment irp, MemorySegment context) {
        MemorySegment b = io.res(context.address(), EX_CONTEXT_SIZE);
        long routine = b.get(JAVA_LONG, EX_CONTEXT_ROUTINE);
        long ctx = b.get(JAVA_LONG, EX_CONTEXT_CONTEXT);
        long device = b.get(JAVA_LONG, EX_CONTEXT_DEVICE);
        io.pool.free(context.address(), IoManager.TAG_COMPLETION_CONTEXT);
        try {
            return IoRoutines.callPPP(io, routine, deviceObject.address(), irp.address(), ctx, IO_COMPLETION_ROUTINE.class,
                    "CompletionRoutine (IoSetCompletionRoutineEx) of IRP");
        } finally {
            io.ob.dereference(device);
        }
    }

    // ===== IoCompleteRequest =====

    /** {@code IoCompleteRequest(Irp, PriorityBoost)} (IofCompleteRequest). */
    public static void completeRequest(IoManager io, MemorySegment irpArg, int priorityBoost) {
        long a = IoIrp.address(irpArg, "IoCompleteRequest");
        MemorySegment fixed = io.irpHeader(a, "IoCompleteRequest");
        if (fixed.get(JAVA_SHORT, IRP.TYPE_OFFSET) != IoCodes.IO_TYPE_IRP) {
            throw io.core.bugCheck(BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, a, IoIrp.MULTIPLE_COMPLETE_NOT_AN_IRP, 0, 0,
                    "IoCompleteRequest: 0x" + Long.toHexString(a) + " is no IRP (Type " + fixed.get(JAVA_SHORT, IRP.TYPE_OFFSET)
                            + "): completed and freed already, or never an IRP");
        }
        MemorySegment irp = io.irpSegment(a, "IoCompleteRequest");
        int status = irp.get(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET);
        if (io.verify) {
            int irql = ThreadState.current().irql();
            if (irql > Irql.DISPATCH_LEVEL) {
                throw io.core.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, DV_COMPLETE_IRQL, irql, a, 0,
                        "IoCompleteRequest called at " + Irql.name(irql));
            }
            if (status == NtStatus.STATUS_PENDING || status == -1) {
                throw io.core.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, DV_COMPLETE_PENDING, status & 0xFFFFFFFFL, a, 0,
                        "IoCompleteRequest: IRP 0x" + Long.toHexString(a) + " completed with status 0x" + Integer.toHexString(status));
            }
            long cancel = IoCancel.cancelRoutine(irp);
            if (cancel != 0) {
                throw io.core.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, DV_COMPLETE_WITH_CANCEL_ROUTINE, cancel, a, 0,
                        "IoCompleteRequest: IRP 0x" + Long.toHexString(a) + " still has cancel routine 0x" + Long.toHexString(cancel));
            }
        }
        int count = IoIrp.stackCount(irp);
        int loc = IoIrp.currentLocation(irp);
        if (loc > count + 1) {
            throw io.core.bugCheck(BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, a, IoIrp.MULTIPLE_COMPLETE_LOCATION, 0, 0,
                    "IoCompleteRequest: IRP 0x" + Long.toHexString(a) + " has CurrentLocation " + loc + " beyond StackCount + 1 = " + (count + 1));
        }
        if ((irp.get(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET) & IoIrp.OFFKERN_IRP_COMPLETED) != 0) {
            throw io.core.bugCheck(BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, a, IoIrp.MULTIPLE_COMPLETE_AGAIN, 0, 0,
                    "IoCompleteRequest: IRP 0x" + Long.toHexString(a) + " was completed already");
        }
        IoIrp.requireIrp(io, irp, "IoCompleteRequest");
        long off = IoIrp.currentOffset(irp, "IoCompleteRequest");
        while (IoIrp.currentLocation(irp) <= count) {
            int control = irp.get(JAVA_BYTE, off + IO_STACK_LOCATION.CONTROL_OFFSET) & 0xFF;
            irp.set(JAVA_BYTE, IRP.PENDING_RETURNED_OFFSET, (byte) (control & IoCodes.SL_PENDING_RETURNED));
            long routine = irp.get(JAVA_LONG, off + IO_STACK_LOCATION.COMPLETION_ROUTINE_OFFSET);
            long context = irp.get(JAVA_LONG, off + IO_STACK_LOCATION.CONTEXT_OFFSET);
            // leave this location: the IRP returns to the driver above
            int up = IoIrp.currentLocation(irp) + 1;
            irp.set(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET, (byte) up);
            irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET, a + off + IoManager.STACK_LOCATION_SIZE);
            int st = irp.get(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET);
            boolean invoke = (NtStatus.NT_SUCCESS(st) && (control & IoCodes.SL_INVOKE_ON_SUCCESS) != 0)
                    || (!NtStatus.NT_SUCCESS(st) && (control & IoCodes.SL_INVOKE_ON_ERROR) != 0)
                    || (IoCancel.isCancelled(irp) && (control & IoCodes.SL_INVOKE_ON_CANCEL) != 0);
            clearLocation(irp, off);
            if (invoke) {
                long device = up <= count ? irp.get(JAVA_LONG, off + IoManager.STACK_LOCATION_SIZE + IO_STACK_LOCATION.DEVICE_OBJECT_OFFSET) : 0;
                int r = IoRoutines.callPPP(io, routine, device, a, context, IO_COMPLETION_ROUTINE.class,
                        "CompletionRoutine of IRP");
                if (r == NtStatus.STATUS_MORE_PROCESSING_REQUIRED) {
                    return; // the routine's driver owns the IRP again; it may be freed already
                }
            } else if (up <= count && irp.get(JAVA_BYTE, IRP.PENDING_RETURNED_OFFSET) != 0) {
                long upper = off + IoManager.STACK_LOCATION_SIZE + IO_STACK_LOCATION.CONTROL_OFFSET;
                irp.set(JAVA_BYTE, upper, (byte) (irp.get(JAVA_BYTE, upper) | IoCodes.SL_PENDING_RETURNED));
            }
            off += IoManager.STACK_LOCATION_SIZE;
        }
        finish(io, irp);
    }

    /** IopClearStackLocation: what a completed location keeps (MajorFunction, DeviceObject) and what it loses. */
    private static void clearLocation(MemorySegment irp, long off) {
        irp.set(JAVA_BYTE, off + IO_STACK_LOCATION.MINOR_FUNCTION_OFFSET, (byte) 0);
        irp.set(JAVA_BYTE, off + IO_STACK_LOCATION.FLAGS_OFFSET, (byte) 0);
        irp.set(JAVA_BYTE, off + IO_STACK_LOCATION.CONTROL_OFFSET, (byte) 0);
        for (long p = IO_STACK_LOCATION.PARAMETERS_OFFSET; p < IO_STACK_LOCATION.DEVICE_OBJECT_OFFSET; p += 8) {
            irp.set(JAVA_LONG, off + p, 0L); // Parameters: pointer-aligned 8-byte words (no slice per completion)
        }
        irp.set(JAVA_LONG, off + IO_STACK_LOCATION.FILE_OBJECT_OFFSET, 0L);
        irp.set(JAVA_LONG, off + IO_STACK_LOCATION.COMPLETION_ROUTINE_OFFSET, 0L);
        irp.set(JAVA_LONG, off + IO_STACK_LOCATION.CONTEXT_OFFSET, 0L);
    }

    /** The completion stage at the top (IopCompleteRequest, inline). */
    private static void finish(IoManager io, MemorySegment irp) {
        long a = irp.address();
        int flags = irp.get(JAVA_INT, IRP.FLAGS_OFFSET);
        int status = irp.get(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET);
        long information = irp.get(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET);
        long systemBuffer = irp.get(JAVA_LONG, IRP.ASSOCIATED_IRP_SYSTEM_BUFFER_OFFSET);
        if ((flags & IRP_BUFFERED_IO) != 0 && systemBuffer != 0) {
            long user = irp.get(JAVA_LONG, IRP.USER_BUFFER_OFFSET);
            if ((flags & IRP_INPUT_OPERATION) != 0 && NtStatus.NT_SUCCESS(status) && user != 0 && information > 0) {
                long length = Math.min(information, io.pool.liveBytesAt(systemBuffer));
                MemorySegment.copy(io.space.resolve(systemBuffer, length), 0, io.space.resolve(user, length), 0, length);
            }
            if ((flags & IRP_DEALLOCATE_BUFFER) != 0) {
                irp.set(JAVA_LONG, IRP.ASSOCIATED_IRP_SYSTEM_BUFFER_OFFSET, 0L);
                io.pool.free(systemBuffer, IoManager.TAG_BUFFER);
            }
        }
        long iosb = irp.get(JAVA_LONG, IRP.USER_IOSB_OFFSET);
        if (iosb != 0) {
            MemorySegment s = io.res(iosb, IO_STATUS_BLOCK.X64.size());
            s.set(JAVA_INT, IO_STATUS_BLOCK.STATUS_OFFSET, status);
            s.set(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET, information);
        }
        long thread = irp.get(JAVA_LONG, IRP.TAIL_OVERLAY_THREAD_OFFSET);
        long event = irp.get(JAVA_LONG, IRP.USER_EVENT_OFFSET);
        long referencedFile = (irp.get(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET) & IoIrp.OFFKERN_IRP_FILE_REFERENCED) != 0
                ? irp.get(JAVA_LONG, IRP.TAIL_OVERLAY_ORIGINAL_FILE_OBJECT_OFFSET) : 0;
        if (thread != 0) {
            IoIrp.free(io, irp); // a threaded IRP (IoBuild*) belongs to the I/O manager: freed before its waiter wakes
        } else {
            irp.set(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET,
                    (byte) (irp.get(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET) | IoIrp.OFFKERN_IRP_COMPLETED));
        }
        if (event != 0) {
            KeEvent.set(io.res(event, KEVENT.X64.size()), 0, false);
        }
        if (referencedFile != 0) {
            io.dereferenceFile(referencedFile); // the request's own reference on its file object (IoFiles.call)
        }
    }
}
