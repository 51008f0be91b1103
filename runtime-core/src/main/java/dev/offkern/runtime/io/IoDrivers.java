package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_CHAR_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.DRIVER_EXTENSION;
import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.DRIVER_DISPATCH;
import dev.offkern.nt.DRIVER_INITIALIZE;
import dev.offkern.nt.DRIVER_UNLOAD;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;

/**
 * Driver objects: {@code IoCreateDriver(DriverName, InitializationFunction)} and
 * {@code IoDeleteDriver(DriverObject)}, and the default dispatch routine (IopInvalidDeviceRequest).
 *
 * <h2>A driver object</h2>
 * A Driver object ({@code IoDriverObjectType}) whose body is the DRIVER_OBJECT (0x150 bytes), then
 * its DRIVER_EXTENSION, then its name's characters (DriverName.Buffer points there), named in the
 * object namespace ({@code \Driver\...}). Type IO_TYPE_DRIVER, Size sizeof(DRIVER_OBJECT), Flags
 * DRVO_LEGACY_DRIVER | DRVO_BUILTIN_DRIVER, DriverInit the entry's routine pointer, every
 * MajorFunction[] entry IopInvalidDeviceRequest's (completes the IRP with
 * STATUS_INVALID_DEVICE_REQUEST) until the entry replaces it. References: the I/O manager's own (from
 * IoCreateDriver to IoDeleteDriver) and one per device of the driver.
 *
 * <h2>IoCreateDriver</h2>
 * Creates and names the object, calls the entry with it (RegistryPath NULL) at PASSIVE_LEVEL; on a
 * failure status deletes the object again (DriverUnload is not called) and returns that status; on
 * success clears DO_DEVICE_INITIALIZING on the devices the entry created. A NULL DriverName gets
 * {@code \Driver\OffkernN}. STATUS_OBJECT_NAME_COLLISION for a name in use, STATUS_OBJECT_NAME_INVALID
 * for a malformed one, STATUS_INSUFFICIENT_RESOURCES without pool.
 *
 * <h2>IoDeleteDriver</h2>
 * Calls DriverUnload (if any, once: DRVO_UNLOAD_INVOKED), removes the name and drops the I/O
 * manager's reference; the object goes when its last device is deleted. Deleting a driver twice is
 * an IllegalStateException; an object that is no driver, IllegalArgumentException.
 *
 * <p>IRQL: PASSIVE_LEVEL (verifier: DRIVER_IRQL_NOT_LESS_OR_EQUAL). Progress: blocking (the object
 * manager's namespace, the I/O database lock).
 */
public final class IoDrivers {
    private IoDrivers() {
    }

    /** sizeof(DRIVER_OBJECT) + sizeof(DRIVER_EXTENSION): where the name's characters start. */
    private static final long NAME_CHARS = DRIVER_OBJECT.X64.size() + DRIVER_EXTENSION.X64.size();

    /** {@code IoCreateDriver(DriverName, InitializationFunction)}. */
    public static int create(IoManager io, MemorySegment driverName, DRIVER_INITIALIZE init) {
        if (init == null) {
            throw new IllegalArgumentException("IoCreateDriver: InitializationFunction is NULL");
        }
        try {
            return create(io, IoNames.read(io, driverName, "IoCreateDriver"), init, null);
        } catch (IoFailure f) {
            return f.status();
        }
    }

    /** {@code IoCreateDriver} with the name as a String (null: a generated one); the driver object in {@code out[0]}. */
    public static int create(IoManager io, String name, DRIVER_INITIALIZE init, long[] out) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "IoCreateDriver");
        }
        if (init == null) {
            throw new IllegalArgumentException("IoCreateDriver: InitializationFunction is NULL");
        }
        try {
            String n = name == null ? io.nextDriverName() : name;
            long[] handle = new long[1];
            long body = IoNames.create(io, io.ob.driverType(), n, NAME_CHARS + 2L * n.length(), handle, "IoCreateDriver");
            MemorySegment d = io.space.resolve(body, NAME_CHARS + 2L * n.length());
            d.set(JAVA_SHORT, DRIVER_OBJECT.TYPE_OFFSET, (short) IoCodes.IO_TYPE_DRIVER);
            d.set(JAVA_SHORT, DRIVER_OBJECT.SIZE_OFFSET, (short) DRIVER_OBJECT.X64.size());
            d.set(JAVA_INT, DRIVER_OBJECT.FLAGS_OFFSET, IoCodes.DRVO_LEGACY_DRIVER | IoCodes.DRVO_BUILTIN_DRIVER);
            long ext = body + DRIVER_OBJECT.X64.size();
            d.set(JAVA_LONG, DRIVER_OBJECT.DRIVER_EXTENSION_OFFSET, ext);
            d.set(JAVA_LONG, DRIVER_OBJECT.X64.size() + DRIVER_EXTENSION.DRIVER_OBJECT_OFFSET, body);
            for (int i = 0; i < n.length(); i++) {
                d.set(JAVA_CHAR_UNALIGNED, NAME_CHARS + 2L * i, n.charAt(i));
            }
            d.set(JAVA_SHORT, DRIVER_OBJECT.DRIVER_NAME_OFFSET + UNICODE_STRING.LENGTH_OFFSET, (short) (2 * n.length()));
            d.set(JAVA_SHORT, DRIVER_OBJECT.DRIVER_NAME_OFFSET + UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) (2 * n.length()));
            d.set(JAVA_LONG, DRIVER_OBJECT.DRIVER_NAME_OFFSET + UNICODE_STRING.BUFFER_OFFSET, body + NAME_CHARS);
            long initStub = IoRoutines.stub(io, init);
            d.set(JAVA_LONG, DRIVER_OBJECT.DRIVER_INIT_OFFSET, initStub);
            long invalid = io.invalidRequestStub();
            for (int i = 0; i <= IoCodes.IRP_MJ_MAXIMUM_FUNCTION; i++) {
                d.set(JAVA_LONG, DRIVER_OBJECT.MAJOR_FUNCTION_OFFSET + 8L * i, invalid);
            }
            synchronized (io.database) {
                if (handle[0] != 0) {
                    io.nameHandles.put(body, handle[0]);
                }
                io.liveDrivers.add(body);
            }
            int owner = io.newOwner(body, n);
            ThreadState ts = ThreadState.current();
            int previous = ts.enterDriver(owner); // DriverEntry is the driver's code: what it allocates and arms is its
            int st;
            try {
                st = IoRoutines.callDispatch(io, initStub, body, 0, "DriverEntry of " + n);
            } finally {
                ts.enterDriver(previous);
            }
            if (!NtStatus.NT_SUCCESS(st)) {
                unloaded(io, body, n); // the image goes away: what DriverEntry left armed or allocated is checked as at an unload
                return st;
            }
            synchronized (io.database) {
                for (long dev = d.get(JAVA_LONG, DRIVER_OBJECT.DEVICE_OBJECT_OFFSET); dev != 0; ) {
                    MemorySegment ds = io.space.resolve(dev, IoManager.DEVICE_OBJECT_SIZE);
                    ds.set(JAVA_INT, DEVICE_OBJECT.FLAGS_OFFSET, ds.get(JAVA_INT, DEVICE_OBJECT.FLAGS_OFFSET) & ~IoCodes.DO_DEVICE_INITIALIZING);
                    dev = ds.get(JAVA_LONG, DEVICE_OBJECT.NEXT_DEVICE_OFFSET);
                }
            }
            if (out != null) {
                out[0] = body;
            }
            return st;
        } catch (IoFailure f) {
            return f.status();
        }
    }

    /** {@code IoDeleteDriver(DriverObject)}. */
    public static void delete(IoManager io, MemorySegment driverArg) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "IoDeleteDriver");
        }
        long body = requireDriver(io, driverArg, "IoDeleteDriver");
        synchronized (io.database) {
            if (!io.liveDrivers.contains(body)) {
                throw new IllegalStateException("IoDeleteDriver: DRIVER_OBJECT 0x" + Long.toHexString(body) + " was deleted already");
            }
        }
        MemorySegment d = io.space.resolve(body, DRIVER_OBJECT.X64.size());
        int flags = d.get(JAVA_INT, DRIVER_OBJECT.FLAGS_OFFSET);
        long unload = d.get(JAVA_LONG, DRIVER_OBJECT.DRIVER_UNLOAD_OFFSET);
        if (unload != 0 && (flags & IoCodes.DRVO_UNLOAD_INVOKED) == 0) {
            d.set(JAVA_INT, DRIVER_OBJECT.FLAGS_OFFSET, flags | IoCodes.DRVO_UNLOAD_INVOKED);
            ThreadState ts = ThreadState.current();
            int previous = ts.enterDriver(io.ownerOf(body)); // Unload is the driver's code
            try {
                IoRoutines.callUnload(io, unload, body);
            } finally {
                ts.enterDriver(previous);
            }
        }
        unloaded(io, body, driverName(io, d));
    }

    /**
     * The driver's code is gone: checks what it left pending or allocated ({@link IoUnload}),
     * releases the object's name and the I/O manager's reference, retires its owner id, then raises
     * the check's bug check, if any (after the release, so a THROW-policy kernel stays consistent).
     */
    private static void unloaded(IoManager io, long body, String name) {
        int owner = io.ownerOf(body);
        boolean[] leaked = new boolean[1];
        RuntimeException finding = IoUnload.check(io, body, owner, name, leaked);
        io.retireOwner(body, owner, leaked[0]);
        release(io, body);
        if (finding != null) {
            throw finding;
        }
    }

    /** DriverObject->DriverName as a String ("?" if its Buffer no longer points at readable memory). */
    static String driverName(IoManager io, MemorySegment d) {
        int length = Short.toUnsignedInt(d.get(JAVA_SHORT, DRIVER_OBJECT.DRIVER_NAME_OFFSET + UNICODE_STRING.LENGTH_OFFSET)) / 2;
        long buffer = d.get(JAVA_LONG, DRIVER_OBJECT.DRIVER_NAME_OFFSET + UNICODE_STRING.BUFFER_OFFSET);
        dev.offkern.runtime.mm.Region r = buffer == 0 ? null : io.space.find(buffer, 2L * length);
        if (r == null) {
            return "?";
        }
        char[] c = new char[length];
        for (int i = 0; i < length; i++) {
            c[i] = r.segment().get(JAVA_CHAR_UNALIGNED, r.offsetOf(buffer) + 2L * i);
        }
        return new String(c);
    }

    private static void release(IoManager io, long body) {
        Long handle;
        synchronized (io.database) {
            handle = io.nameHandles.remove(body);
            io.liveDrivers.remove(body);
        }
        if (handle != null) {
            IoNames.close(io, handle, "IoDeleteDriver");
        }
        io.ob.dereference(body);
    }

    /** The driver object's address; IllegalArgumentException for NULL or an object of another type. */
    static long requireDriver(IoManager io, MemorySegment driverArg, String routine) {
        if (driverArg == null || driverArg.address() == 0) {
            throw new IllegalArgumentException(routine + ": DriverObject is NULL");
        }
        long body = driverArg.address();
        if (io.ob.objectType(body) != io.ob.driverType()) {
            throw new IllegalArgumentException(routine + ": 0x" + Long.toHexString(body) + " is a " + io.ob.objectType(body).name()
                    + " object, not a Driver object");
        }
        return body;
    }

    /** Sets {@code DriverObject->MajorFunction[major]} to a Java dispatch routine's pointer. */
    public static void setMajorFunction(IoManager io, MemorySegment driverArg, int major, DRIVER_DISPATCH routine) {
        setMajorFunction(io, driverArg, major, routine == null ? io.invalidRequestStub() : IoRoutines.stub(io, routine));
    }

    /** Sets {@code DriverObject->MajorFunction[major]} to a routine pointer (NULL: IopInvalidDeviceRequest). */
    public static void setMajorFunction(IoManager io, MemorySegment driverArg, int major, long routine) {
        long body = requireDriver(io, driverArg, "MajorFunction");
        if (major < 0 || major > IoCodes.IRP_MJ_MAXIMUM_FUNCTION) {
            throw new IllegalArgumentException("MajorFunction: index 0x" + Integer.toHexString(major) + " is beyond IRP_MJ_MAXIMUM_FUNCTION (0x1B)");
        }
        if (routine != 0) {
            io.core.routines().claim(routine, io.ownerOf(body)); // a routine the driver stores in its object is its code
        }
        io.space.resolve(body, DRIVER_OBJECT.X64.size()).set(JAVA_LONG, DRIVER_OBJECT.MAJOR_FUNCTION_OFFSET + 8L * major,
                routine == 0 ? io.invalidRequestStub() : routine);
    }

    /** Sets {@code DriverObject->DriverUnload} to a Java routine's pointer (null: NULL, the driver cannot be unloaded by its Unload). */
    public static void setDriverUnload(IoManager io, MemorySegment driverArg, DRIVER_UNLOAD routine) {
        long body = requireDriver(io, driverArg, "DriverUnload");
        long stub = routine == null ? 0 : IoRoutines.stub(io, routine);
        if (stub != 0) {
            io.core.routines().claim(stub, io.ownerOf(body)); // a routine the driver stores in its object is its code
        }
        io.space.resolve(body, DRIVER_OBJECT.X64.size()).set(JAVA_LONG, DRIVER_OBJECT.DRIVER_UNLOAD_OFFSET, stub);
    }

    /** IopInvalidDeviceRequest: completes the IRP with STATUS_INVALID_DEVICE_REQUEST and returns that status. */
    static int invalidDeviceRequest(IoManager io, MemorySegment device, MemorySegment irp) {
        irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_INVALID_DEVICE_REQUEST);
        irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, 0L);
        IoCompletion.completeRequest(io, irp, IoCodes.IO_NO_INCREMENT);
        return NtStatus.STATUS_INVALID_DEVICE_REQUEST;
    }
}
