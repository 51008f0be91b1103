package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.DEVOBJ_EXTENSION;
import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.layout.ke.KDEVICE_QUEUE;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.KeEvent;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;

/**
 * Device objects and device stacks: {@code IoCreateDevice}, {@code IoDeleteDevice},
 * {@code IoAttachDeviceToDeviceStack}, {@code IoDetachDevice}, {@code IoGetAttachedDeviceReference}.
 *
 * <h2>A device object</h2>
 * A Device object ({@code IoDeviceObjectType}) whose body is the DEVICE_OBJECT (0x150 bytes,
 * 16-aligned), the device extension (DeviceExtensionSize bytes rounded up to 16, zeroed;
 * DeviceExtension points at it, NULL when the size is 0) and the DEVOBJ_EXTENSION. Type
 * IO_TYPE_DEVICE, Size sizeof(DEVICE_OBJECT) + DeviceExtensionSize, StackSize 1, Flags
 * DO_DEVICE_INITIALIZING (| DO_EXCLUSIVE), DeviceQueue an empty KDEVICE_QUEUE, DeviceLock a
 * signalled synchronization event. It is linked at the head of its driver's device list
 * (DRIVER_OBJECT.DeviceObject, NextDevice) and holds a reference on its driver until it is deleted.
 *
 * <h2>Stacks</h2>
 * IoAttachDeviceToDeviceStack puts SourceDevice on top of TargetDevice's stack: the top's
 * AttachedDevice := SourceDevice; SourceDevice.StackSize := top.StackSize + 1 (so an IRP sent to it
 * has a location for every device below), its AlignmentRequirement the larger of the two and its
 * SectorSize the top's; it returns the device it was attached to (NULL when the target is being
 * deleted). IoDetachDevice(TargetDevice) undoes it. IoGetAttachedDeviceReference returns the top of
 * the device's stack with one more reference (the caller's, for ObDereferenceObject).
 *
 * <p>IRQL: IoCreateDevice, IoDeleteDevice, IoAttachDeviceToDeviceStack and IoDetachDevice at
 * PASSIVE_LEVEL, IoGetAttachedDeviceReference ≤ DISPATCH_LEVEL (verifier: 0xD1). Progress: blocking on
 * the I/O database lock (short, never held across a driver routine).
 */
public final class IoDevices {
    private IoDevices() {
    }

    /** {@code IoCreateDevice(DriverObject, DeviceExtensionSize, DeviceName, DeviceType, DeviceCharacteristics, Exclusive, DeviceObject)}. */
    public static int create(IoManager io, MemorySegment driverArg, int extensionSize, MemorySegment deviceName, int deviceType,
                             int characteristics, boolean exclusive, MemorySegment deviceObjectOut) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "IoCreateDevice");
        }
        if (deviceObjectOut == null || deviceObjectOut.address() == 0) {
            throw new IllegalArgumentException("IoCreateDevice: DeviceObject (the out parameter) is NULL");
        }
        MemorySegment out = out(io, deviceObjectOut);
        out.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, 0L);
        long driver = IoDrivers.requireDriver(io, driverArg, "IoCreateDevice");
        long ext = Integer.toUnsignedLong(extensionSize);
        if (ext > 0xFFFF - DEVICE_OBJECT.X64.size()) {
            return NtStatus.STATUS_INVALID_PARAMETER; // Size is a USHORT of sizeof(DEVICE_OBJECT) + the extension
        }
        long extRounded = (ext + 15) & ~15L;
        long bodySize = DEVICE_OBJECT.X64.size() + extRounded + DEVOBJ_EXTENSION.X64.size();
        long body;
        long[] handle = new long[1];
        try {
            String name = IoNames.read(io, deviceName, "IoCreateDevice");
            body = IoNames.create(io, io.ob.deviceType(), name, bodySize, handle, "IoCreateDevice");
        } catch (IoFailure f) {
            return f.status();
        }
        MemorySegment d = io.space.resolve(body, bodySize);
        d.set(JAVA_SHORT, DEVICE_OBJECT.TYPE_OFFSET, (short) IoCodes.IO_TYPE_DEVICE);
        d.set(JAVA_SHORT, DEVICE_OBJECT.SIZE_OFFSET, (short) (DEVICE_OBJECT.X64.size() + ext));
        d.set(JAVA_LONG, DEVICE_OBJECT.DRIVER_OBJECT_OFFSET, driver);
        d.set(JAVA_INT, DEVICE_OBJECT.FLAGS_OFFSET, IoCodes.DO_DEVICE_INITIALIZING | (exclusive ? IoCodes.DO_EXCLUSIVE : 0)
                | (handle[0] != 0 ? DO_DEVICE_HAS_NAME : 0));
        d.set(JAVA_INT, DEVICE_OBJECT.CHARACTERISTICS_OFFSET, characteristics);
        d.set(JAVA_LONG, DEVICE_OBJECT.DEVICE_EXTENSION_OFFSET, ext == 0 ? 0 : body + DEVICE_OBJECT.X64.size());
        d.set(JAVA_INT, DEVICE_OBJECT.DEVICE_TYPE_OFFSET, deviceType);
        d.set(JAVA_BYTE, DEVICE_OBJECT.STACK_SIZE_OFFSET, (byte) 1);
        long q = DEVICE_OBJECT.DEVICE_QUEUE_OFFSET;
        d.set(JAVA_SHORT, q + KDEVICE_QUEUE.TYPE_OFFSET, (short) KDEVICE_QUEUE.DeviceQueueObject);
        d.set(JAVA_SHORT, q + KDEVICE_QUEUE.SIZE_OFFSET, (short) KDEVICE_QUEUE.X64.size());
        d.set(JAVA_LONG, q + KDEVICE_QUEUE.DEVICE_LIST_HEAD_OFFSET + LIST_ENTRY.FLINK_OFFSET, body + q + KDEVICE_QUEUE.DEVICE_LIST_HEAD_OFFSET);
        d.set(JAVA_LONG, q + KDEVICE_QUEUE.DEVICE_LIST_HEAD_OFFSET + LIST_ENTRY.BLINK_OFFSET, body + q + KDEVICE_QUEUE.DEVICE_LIST_HEAD_OFFSET);
        KeEvent.initialize(d.asSlice(DEVICE_OBJECT.DEVICE_LOCK_OFFSET, dev.offkern.layout.ke.KEVENT.X64.size()), KeEvent.SynchronizationEvent, true);
        long doe = body + DEVICE_OBJECT.X64.size() + extRounded;
        long doeOff = DEVICE_OBJECT.X64.size() + extRounded;
        d.set(JAVA_SHORT, doeOff + DEVOBJ_EXTENSION.TYPE_OFFSET, (short) IoCodes.IO_TYPE_DEVICE_OBJECT_EXTENSION);
        d.set(JAVA_SHORT, doeOff + DEVOBJ_EXTENSION.SIZE_OFFSET, (short) DEVOBJ_EXTENSION.X64.size());
        d.set(JAVA_LONG, doeOff + DEVOBJ_EXTENSION.DEVICE_OBJECT_OFFSET, body);
        d.set(JAVA_LONG, DEVICE_OBJECT.DEVICE_OBJECT_EXTENSION_OFFSET, doe);
        io.ob.reference(driver); // the device's reference on its driver, dropped by IoDeleteDevice
        synchronized (io.database) {
            MemorySegment drv = io.space.resolve(driver, DRIVER_OBJECT.X64.size());
            d.set(JAVA_LONG, DEVICE_OBJECT.NEXT_DEVICE_OFFSET, drv.get(JAVA_LONG, DRIVER_OBJECT.DEVICE_OBJECT_OFFSET));
            drv.set(JAVA_LONG, DRIVER_OBJECT.DEVICE_OBJECT_OFFSET, body);
            if (handle[0] != 0) {
                io.nameHandles.put(body, handle[0]);
            }
        }
        out.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, body);
        return NtStatus.STATUS_SUCCESS;
    }

    /** DEVICE_OBJECT.Flags DO_DEVICE_HAS_NAME. */
    static final int DO_DEVICE_HAS_NAME = 0x00000040;

    private static MemorySegment out(IoManager io, MemorySegment s) {
        return s.byteSize() >= 8 ? s : io.space.resolve(s.address(), 8);
    }

    /** {@code IoDeleteDevice(DeviceObject)}. */
    public static void delete(IoManager io, MemorySegment deviceArg) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "IoDeleteDevice");
        }
        long body = requireDevice(io, deviceArg, "IoDeleteDevice");
        if (!io.deletePending.add(body)) {
            throw new IllegalStateException("IoDeleteDevice: DEVICE_OBJECT 0x" + Long.toHexString(body) + " was deleted already");
        }
        MemorySegment d = io.space.resolve(body, DEVICE_OBJECT.X64.size());
        long driver = d.get(JAVA_LONG, DEVICE_OBJECT.DRIVER_OBJECT_OFFSET);
        Long handle;
        synchronized (io.database) {
            MemorySegment drv = io.space.resolve(driver, DRIVER_OBJECT.X64.size());
            long prev = 0;
            long cur = drv.get(JAVA_LONG, DRIVER_OBJECT.DEVICE_OBJECT_OFFSET);
            while (cur != 0 && cur != body) {
                prev = cur;
                cur = io.space.resolve(cur, DEVICE_OBJECT.X64.size()).get(JAVA_LONG, DEVICE_OBJECT.NEXT_DEVICE_OFFSET);
            }
            long next = d.get(JAVA_LONG, DEVICE_OBJECT.NEXT_DEVICE_OFFSET);
            if (cur == body) {
                if (prev == 0) {
                    drv.set(JAVA_LONG, DRIVER_OBJECT.DEVICE_OBJECT_OFFSET, next);
                } else {
                    io.space.resolve(prev, DEVICE_OBJECT.X64.size()).set(JAVA_LONG, DEVICE_OBJECT.NEXT_DEVICE_OFFSET, next);
                }
            }
            d.set(JAVA_LONG, DEVICE_OBJECT.NEXT_DEVICE_OFFSET, 0L);
            handle = io.nameHandles.remove(body);
            io.attachedTo.remove(body);
        }
        if (handle != null) {
            IoNames.close(io, handle, "IoDeleteDevice");
        }
        io.ob.dereference(body); // the creation reference: the object goes when the last other reference does
        io.ob.dereference(driver);
    }

    /** The device object's address; IllegalArgumentException for NULL or an object of another type. */
    static long requireDevice(IoManager io, MemorySegment deviceArg, String routine) {
        if (deviceArg == null || deviceArg.address() == 0) {
            throw new IllegalArgumentException(routine + ": DeviceObject is NULL");
        }
        long body = deviceArg.address();
        if (io.ob.objectType(body) != io.ob.deviceType()) {
            throw new IllegalArgumentException(routine + ": 0x" + Long.toHexString(body) + " is a " + io.ob.objectType(body).name()
                    + " object, not a Device object");
        }
        return body;
    }

    /** The top of {@code device}'s stack (follows AttachedDevice; the database lock held). */
    static long top(IoManager io, long device) {
        long cur = device;
        for (int guard = 0; ; guard++) {
            long up = io.space.resolve(cur, DEVICE_OBJECT.X64.size()).get(JAVA_LONG, DEVICE_OBJECT.ATTACHED_DEVICE_OFFSET);
            if (up == 0) {
                return cur;
            }
            if (guard > 1_000_000) {
                throw new IllegalStateException("the device stack above 0x" + Long.toHexString(device) + " loops (AttachedDevice links)");
            }
            cur = up;
        }
    }

    /** {@code IoAttachDeviceToDeviceStack(SourceDevice, TargetDevice)}: the device attached to, or NULL. */
    public static MemorySegment attach(IoManager io, MemorySegment sourceArg, MemorySegment targetArg) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "IoAttachDeviceToDeviceStack");
        }
        long source = requireDevice(io, sourceArg, "IoAttachDeviceToDeviceStack");
        long target = requireDevice(io, targetArg, "IoAttachDeviceToDeviceStack");
        if (source == target) {
            throw new IllegalArgumentException("IoAttachDeviceToDeviceStack: a device cannot be attached to itself");
        }
        synchronized (io.database) {
            if (io.deletePending.contains(target)) {
                return MemorySegment.NULL;
            }
            MemorySegment src = io.space.resolve(source, DEVICE_OBJECT.X64.size());
            if (io.attachedTo.containsKey(source)) {
                throw new IllegalStateException("IoAttachDeviceToDeviceStack: SourceDevice 0x" + Long.toHexString(source)
                        + " is attached already (to 0x" + Long.toHexString(io.attachedTo.get(source)) + ")");
            }
            long top = top(io, target);
            if (top == source) {
                throw new IllegalArgumentException("IoAttachDeviceToDeviceStack: SourceDevice is on TargetDevice's stack already");
            }
            MemorySegment t = io.space.resolve(top, DEVICE_OBJECT.X64.size());
            t.set(JAVA_LONG, DEVICE_OBJECT.ATTACHED_DEVICE_OFFSET, source);
            src.set(JAVA_BYTE, DEVICE_OBJECT.STACK_SIZE_OFFSET, (byte) (t.get(JAVA_BYTE, DEVICE_OBJECT.STACK_SIZE_OFFSET) + 1));
            int align = Math.max(src.get(JAVA_INT, DEVICE_OBJECT.ALIGNMENT_REQUIREMENT_OFFSET), t.get(JAVA_INT, DEVICE_OBJECT.ALIGNMENT_REQUIREMENT_OFFSET));
            src.set(JAVA_INT, DEVICE_OBJECT.ALIGNMENT_REQUIREMENT_OFFSET, align);
            src.set(JAVA_SHORT, DEVICE_OBJECT.SECTOR_SIZE_OFFSET, t.get(JAVA_SHORT, DEVICE_OBJECT.SECTOR_SIZE_OFFSET));
            io.attachedTo.put(source, top);
            return t;
        }
    }

    /** {@code IoDetachDevice(TargetDevice)}: removes the device attached to TargetDevice. */
    public static void detach(IoManager io, MemorySegment targetArg) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "IoDetachDevice");
        }
        long target = requireDevice(io, targetArg, "IoDetachDevice");
        synchronized (io.database) {
            MemorySegment t = io.space.resolve(target, DEVICE_OBJECT.X64.size());
            long attached = t.get(JAVA_LONG, DEVICE_OBJECT.ATTACHED_DEVICE_OFFSET);
            if (attached == 0) {
                throw new IllegalStateException("IoDetachDevice: no device is attached to 0x" + Long.toHexString(target));
            }
            t.set(JAVA_LONG, DEVICE_OBJECT.ATTACHED_DEVICE_OFFSET, 0L);
            io.attachedTo.remove(attached);
        }
    }

    /** {@code IoGetAttachedDeviceReference(DeviceObject)}: the top of the stack, referenced. */
    public static MemorySegment attachedReference(IoManager io, MemorySegment deviceArg) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, "IoGetAttachedDeviceReference");
        }
        long device = requireDevice(io, deviceArg, "IoGetAttachedDeviceReference");
        synchronized (io.database) {
            long top = top(io, device);
            io.ob.reference(top);
            return io.space.resolve(top, DEVICE_OBJECT.X64.size());
        }
    }
}
