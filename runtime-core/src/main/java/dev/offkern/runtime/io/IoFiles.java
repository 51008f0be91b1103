package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_CHAR_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.layout.io.FILE_OBJECT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.KeEvent;
import dev.offkern.runtime.ke.KeWait;
import dev.offkern.runtime.ob.ObRoutines;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * File objects ({@code IoFileObjectType}) and the I/O manager's create path: opening a device by
 * name builds a FILE_OBJECT and sends IRP_MJ_CREATE down the device's stack; the last handle's close
 * sends IRP_MJ_CLEANUP, the last reference's release IRP_MJ_CLOSE; requests through a file handle
 * carry the file object in their stack location.
 *
 * <h2>A file object</h2>
 * A File object whose body is the byte-exact FILE_OBJECT (0xD8 bytes on x64): Type IO_TYPE_FILE (5),
 * Size, DeviceObject the named device (not the top of its stack, as Windows), FileName what follows
 * the device's name ({@code \Device\X\rest} → {@code \rest}; its characters in a pool block tagged
 * 'IoFn'), Flags FO_SYNCHRONOUS_IO (and FO_ALERTABLE_IO) for FILE_SYNCHRONOUS_IO_(NON)ALERT,
 * FO_HANDLE_CREATED once a handle is made, FO_CLEANUP_COMPLETE after IRP_MJ_CLEANUP; Lock a
 * synchronization KEVENT, Event a notification KEVENT (synchronous requests wait on it), IrpList
 * empty. The file object holds a reference on its device from the create to its deletion.
 *
 * <h2>The requests</h2>
 * Every request goes to the top of the device's stack (IoGetRelatedDeviceObject) in an IRP with an
 * issuing thread, its next location's FileObject and Tail.Overlay.OriginalFileObject the file
 * object; the caller waits on the file object's Event while it is pending.
 * <ul>
 *   <li>IRP_MJ_CREATE: Parameters.Create.Options = CreateDisposition &lt;&lt; 24 | CreateOptions,
 *       FileAttributes, ShareAccess (SecurityContext NULL: offkern has no IO_SECURITY_CONTEXT). A
 *       failure status deletes the file object without IRP_MJ_CLOSE and is returned.</li>
 *   <li>IRP_MJ_CLEANUP: when the file object's last handle is closed (the File type's close
 *       procedure).</li>
 *   <li>IRP_MJ_CLOSE: when its last reference goes (the File type's delete procedure), only for a
 *       file object whose create succeeded.</li>
 * </ul>
 *
 * <p>IRQL: PASSIVE_LEVEL (verifier: 0xD1). Progress: blocking (the object manager, the drivers'
 * dispatch routines, the wait for a pending request). Where offkern differs: Windows defers a
 * delete procedure run at raised IRQL to a worker; here IRP_MJ_CLOSE is sent by whoever drops the
 * last reference, so the last ObDereferenceObject of a file object must run at PASSIVE_LEVEL.
 */
public final class IoFiles {
    /** sizeof(FILE_OBJECT) on x64. */
    public static final long FILE_OBJECT_SIZE = FILE_OBJECT.X64.size();
    /** Pool tag of a file object's FileName characters ('IoFn'). */
    static final int TAG_FILE_NAME = PoolTags.tag("IoFn");
    private static final long OPTIONS = IO_STACK_LOCATION.X64.offset("Parameters.Create.Options");
    private static final long FILE_ATTRIBUTES = IO_STACK_LOCATION.X64.offset("Parameters.Create.FileAttributes");
    private static final long SHARE_ACCESS = IO_STACK_LOCATION.X64.offset("Parameters.Create.ShareAccess");
    private static final long KEVENT_SIZE = KEVENT.X64.size();
    /** KWAIT_REASON Executive. */
    private static final int EXECUTIVE = 0;

    private IoFiles() {
    }

    /** File objects whose IRP_MJ_CREATE succeeded and whose IRP_MJ_CLOSE is still to be sent. */
    static Set<Long> newOpenSet() {
        return ConcurrentHashMap.newKeySet();
    }

    // ===== IoGetDeviceObjectPointer =====

    /**
     * {@code NTSTATUS IoGetDeviceObjectPointer(PUNICODE_STRING ObjectName, ACCESS_MASK DesiredAccess,
     * PFILE_OBJECT *FileObject, PDEVICE_OBJECT *DeviceObject)}: opens the named device (IRP_MJ_CREATE
     * with FILE_OPEN and FILE_NON_DIRECTORY_FILE), then, as Windows closes the handle its open made,
     * IRP_MJ_CLEANUP; returns the referenced file object (the caller's ObDereferenceObject sends
     * IRP_MJ_CLOSE) and the top of the device's stack (not referenced). The outs are written only on
     * success. STATUS_OBJECT_NAME_INVALID for a malformed name, STATUS_OBJECT_NAME_NOT_FOUND for no
     * such device, STATUS_OBJECT_TYPE_MISMATCH when the name is no device's, STATUS_NO_SUCH_DEVICE
     * for a device being initialized or deleted or whose driver is unloading, the driver's status.
     *
     * @throws IllegalArgumentException for a NULL ObjectName, FileObject or DeviceObject
     */
    public static int getDeviceObjectPointer(IoManager io, MemorySegment objectName, int desiredAccess, MemorySegment fileObjectOut,
                                             MemorySegment deviceObjectOut) {
        String routine = "IoGetDeviceObjectPointer";
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, routine);
        }
        if (objectName == null || objectName.address() == 0) {
            throw new IllegalArgumentException(routine + ": ObjectName is NULL");
        }
        MemorySegment fileOut = out(io, fileObjectOut, routine, "FileObject");
        MemorySegment deviceOut = out(io, deviceObjectOut, routine, "DeviceObject");
        try {
            String name = IoNames.read(io, objectName, routine);
            long file = open(io, name, IoCodes.FILE_OPEN, IoCodes.FILE_NON_DIRECTORY_FILE, 0, 0, routine);
            cleanup(io, file); // the handle Windows' open made is closed before the routine returns
            long device = io.space.resolve(file, FILE_OBJECT_SIZE).get(JAVA_LONG, FILE_OBJECT.DEVICE_OBJECT_OFFSET);
            fileOut.set(JAVA_LONG, 0, file);
            deviceOut.set(JAVA_LONG, 0, IoDevices.top(io, device));
            return NtStatus.STATUS_SUCCESS;
        } catch (IoFailure f) {
            return f.status();
        }
    }

    private static MemorySegment out(IoManager io, MemorySegment s, String routine, String what) {
        if (s == null || s.address() == 0) {
            throw new IllegalArgumentException(routine + ": " + what + " is NULL");
        }
        return s.isNative() && s.byteSize() >= 8 ? s : io.res(s.address(), 8);
    }

    // ===== ZwCreateFile =====

    /**
     * {@code NTSTATUS ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES
     * ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG
     * FileAttributes, ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer,
     * ULONG EaLength)} for a device: ObjectName {@code \Device\X} or {@code \Device\X\rest} (relative
     * to RootDirectory: STATUS_OBJECT_PATH_SYNTAX_BAD, offkern opens by absolute name only). On
     * success a handle (kernel if OBJ_KERNEL_HANDLE) in *FileHandle and IoStatusBlock {Status,
     * FILE_OPENED}; on failure IoStatusBlock.Status is the status. STATUS_INVALID_PARAMETER for a NULL
     * FileHandle, ObjectAttributes or IoStatusBlock, a CreateDisposition above FILE_MAXIMUM_DISPOSITION,
     * a CreateOptions bit outside FILE_VALID_OPTION_FLAGS, both FILE_SYNCHRONOUS_IO_ALERT and
     * _NONALERT, either without SYNCHRONIZE in DesiredAccess, or EaLength without EaBuffer; the
     * statuses of IoGetDeviceObjectPointer for the name.
     */
    public static int createFile(IoManager io, MemorySegment fileHandle, int desiredAccess, MemorySegment objectAttributes,
                                 MemorySegment ioStatusBlock, MemorySegment allocationSize, int fileAttributes, int shareAccess,
                                 int createDisposition, int createOptions, MemorySegment eaBuffer, int eaLength) {
        String routine = "ZwCreateFile";
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, routine);
        }
        if (isNull(fileHandle) || isNull(objectAttributes) || isNull(ioStatusBlock)) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        MemorySegment iosb = io.res(ioStatusBlock.address(), IO_STATUS_BLOCK.X64.size());
        int st = checkCreate(desiredAccess, createDisposition, createOptions, eaBuffer, eaLength);
        if (st != NtStatus.STATUS_SUCCESS) {
            return st;
        }
        try {
            MemorySegment oa = io.res(objectAttributes.address(), OBJECT_ATTRIBUTES.X64.size());
            if (oa.get(JAVA_LONG, OBJECT_ATTRIBUTES.ROOT_DIRECTORY_OFFSET) != 0) {
                throw new IoFailure(NtStatus.STATUS_OBJECT_PATH_SYNTAX_BAD, routine + ": RootDirectory-relative opens are not supported");
            }
            long nameAddress = oa.get(JAVA_LONG, OBJECT_ATTRIBUTES.OBJECT_NAME_OFFSET);
            if (nameAddress == 0) {
                throw new IoFailure(NtStatus.STATUS_OBJECT_NAME_INVALID, routine + ": ObjectAttributes has no ObjectName");
            }
            String name = IoNames.read(io, MemorySegment.ofAddress(nameAddress), routine);
            int attributes = oa.get(JAVA_INT, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET);
            long file = open(io, name, createDisposition, createOptions, fileAttributes, shareAccess, routine);
            long[] h = new long[1];
            st = insertHandle(io, file, desiredAccess, (attributes & ObjectAttributes.OBJ_KERNEL_HANDLE) != 0, h);
            if (!NtStatus.NT_SUCCESS(st)) {
                throw new IoFailure(st, routine + ": no handle for the file object");
            }
            io.res(fileHandle.address(), 8).set(JAVA_LONG, 0, h[0]);
            iosb.set(JAVA_INT, IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_SUCCESS);
            iosb.set(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET, IoCodes.FILE_OPENED);
            return NtStatus.STATUS_SUCCESS;
        } catch (IoFailure f) {
            iosb.set(JAVA_INT, IO_STATUS_BLOCK.STATUS_OFFSET, f.status());
            iosb.set(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET, 0L);
            return f.status();
        }
    }

    private static boolean isNull(MemorySegment s) {
        return s == null || s.address() == 0;
    }

    /** The documented parameter checks of ZwCreateFile: STATUS_SUCCESS or STATUS_INVALID_PARAMETER. */
    static int checkCreate(int desiredAccess, int disposition, int options, MemorySegment eaBuffer, int eaLength) {
        if (Integer.compareUnsigned(disposition, IoCodes.FILE_MAXIMUM_DISPOSITION) > 0
                || (options & ~IoCodes.FILE_VALID_OPTION_FLAGS) != 0) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        int sync = options & (IoCodes.FILE_SYNCHRONOUS_IO_ALERT | IoCodes.FILE_SYNCHRONOUS_IO_NONALERT);
        if (sync == (IoCodes.FILE_SYNCHRONOUS_IO_ALERT | IoCodes.FILE_SYNCHRONOUS_IO_NONALERT)
                || (sync != 0 && (desiredAccess & dev.offkern.nt.AccessMask.SYNCHRONIZE) == 0)) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        if (eaLength != 0 && isNull(eaBuffer)) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        return NtStatus.STATUS_SUCCESS;
    }

    /** Enters a handle for the created file object (its creation reference becomes the handle's). */
    private static int insertHandle(IoManager io, long file, int desiredAccess, boolean kernel, long[] out) {
        long slot = io.pool.allocate(8, IoManager.TAG_BUFFER, 0);
        if (slot == 0) {
            io.ob.dereference(file);
            return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        }
        try {
            int st = ObRoutines.insertObject(io.ob, MemorySegment.ofAddress(file), MemorySegment.NULL, desiredAccess, 0,
                    MemorySegment.NULL, io.space.resolve(slot, 8));
            if (NtStatus.NT_SUCCESS(st)) {
                out[0] = io.space.resolve(slot, 8).get(JAVA_LONG, 0);
                MemorySegment f = io.space.resolve(file, FILE_OBJECT_SIZE);
                f.set(JAVA_INT, FILE_OBJECT.FLAGS_OFFSET, f.get(JAVA_INT, FILE_OBJECT.FLAGS_OFFSET) | IoCodes.FO_HANDLE_CREATED);
            }
            return st;
        } finally {
            io.pool.free(slot, IoManager.TAG_BUFFER);
        }
    }

    // ===== the create path =====

    /**
     * Opens the device {@code name} names (exactly, or as a prefix of it: the rest becomes the
     * FileName): a new referenced file object whose IRP_MJ_CREATE succeeded. Throws IoFailure.
     */
    static long open(IoManager io, String name, int disposition, int options, int fileAttributes, int shareAccess, String routine) {
        if (name == null || !name.startsWith("\\") || name.length() > 0x7FFF) {
            throw new IoFailure(NtStatus.STATUS_OBJECT_NAME_INVALID, routine + ": '" + name + "' is no absolute object name");
        }
        String rest = "";
        long device = ObRoutines.referenceByName(io.ob, name, null);
        for (int cut = name.length(); device == 0 && (cut = name.lastIndexOf('\\', cut - 1)) > 0; ) {
            device = ObRoutines.referenceByName(io.ob, name.substring(0, cut), null);
            rest = name.substring(cut);
        }
        if (device < 0) {
            throw new IoFailure((int) device, routine + ": " + name + " could not be looked up");
        }
        if (device == 0) {
            throw new IoFailure(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, routine + ": no device is named " + name);
        }
        if (io.ob.objectType(device) != io.ob.deviceType()) {
            io.ob.dereference(device);
            throw new IoFailure(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, routine + ": " + name + " names no device");
        }
        MemorySegment dev = io.space.resolve(device, IoManager.DEVICE_OBJECT_SIZE);
        long driver = dev.get(JAVA_LONG, DEVICE_OBJECT.DRIVER_OBJECT_OFFSET);
        int driverFlags = driver == 0 ? 0 : io.space.resolve(driver, DRIVER_OBJECT.X64.size()).get(JAVA_INT, DRIVER_OBJECT.FLAGS_OFFSET);
        if ((dev.get(JAVA_INT, DEVICE_OBJECT.FLAGS_OFFSET) & IoCodes.DO_DEVICE_INITIALIZING) != 0 || io.deletePending.contains(device)
                || (driverFlags & IoCodes.DRVO_UNLOAD_INVOKED) != 0) {
            io.ob.dereference(device);
            throw new IoFailure(NtStatus.STATUS_NO_SUCH_DEVICE, routine + ": " + name + " is being initialized, deleted or unloaded");
        }
        long file = newFileObject(io, device, rest, options, routine); // takes over the device reference
        int st;
        try {
            st = send(io, file, IoCodes.IRP_MJ_CREATE, disposition, options, fileAttributes, shareAccess);
        } catch (RuntimeException e) {
            io.ob.dereference(file);
            throw e;
        }
        if (!NtStatus.NT_SUCCESS(st) || st == NtStatus.STATUS_PENDING) {
            io.ob.dereference(file); // deleted without IRP_MJ_CLOSE: it was never opened
            throw new IoFailure(st == NtStatus.STATUS_PENDING ? NtStatus.STATUS_UNSUCCESSFUL : st, routine + ": IRP_MJ_CREATE failed");
        }
        io.openFiles.add(file);
        return file;
    }

    private static long newFileObject(IoManager io, long device, String rest, int options, String routine) {
        long file = io.ob.createObject(io.ob.fileType(), ObjectAttributes.OBJ_KERNEL_HANDLE, FILE_OBJECT_SIZE);
        if (file == 0) {
            io.ob.dereference(device);
            throw new IoFailure(NtStatus.STATUS_INSUFFICIENT_RESOURCES, routine + ": no pool for the file object");
        }
        MemorySegment f = io.space.resolve(file, FILE_OBJECT_SIZE);
        f.fill((byte) 0);
        f.set(JAVA_SHORT, FILE_OBJECT.TYPE_OFFSET, (short) IoCodes.IO_TYPE_FILE);
        f.set(JAVA_SHORT, FILE_OBJECT.SIZE_OFFSET, (short) FILE_OBJECT_SIZE);
        f.set(JAVA_LONG, FILE_OBJECT.DEVICE_OBJECT_OFFSET, device);
        int flags = 0;
        if ((options & (IoCodes.FILE_SYNCHRONOUS_IO_ALERT | IoCodes.FILE_SYNCHRONOUS_IO_NONALERT)) != 0) {
            flags |= IoCodes.FO_SYNCHRONOUS_IO;
        }
        if ((options & IoCodes.FILE_SYNCHRONOUS_IO_ALERT) != 0) {
            flags |= IoCodes.FO_ALERTABLE_IO;
        }
        f.set(JAVA_INT, FILE_OBJECT.FLAGS_OFFSET, flags);
        KeEvent.initialize(f.asSlice(FILE_OBJECT.LOCK_OFFSET, KEVENT_SIZE), KeEvent.SynchronizationEvent, false);
        KeEvent.initialize(f.asSlice(FILE_OBJECT.EVENT_OFFSET, KEVENT_SIZE), KeEvent.NotificationEvent, false);
        long list = file + FILE_OBJECT.IRP_LIST_OFFSET;
        f.set(JAVA_LONG, FILE_OBJECT.IRP_LIST_OFFSET + LIST_ENTRY.FLINK_OFFSET, list);
        f.set(JAVA_LONG, FILE_OBJECT.IRP_LIST_OFFSET + LIST_ENTRY.BLINK_OFFSET, list);
        if (!rest.isEmpty()) {
            long chars = io.pool.allocate(2L * rest.length(), TAG_FILE_NAME, 0);
            if (chars == 0) {
                io.ob.dereference(file); // the delete procedure releases the device
                throw new IoFailure(NtStatus.STATUS_INSUFFICIENT_RESOURCES, routine + ": no pool for the file name");
            }
            MemorySegment c = io.space.resolve(chars, 2L * rest.length());
            for (int i = 0; i < rest.length(); i++) {
                c.set(JAVA_CHAR_UNALIGNED, 2L * i, rest.charAt(i));
            }
            f.set(JAVA_SHORT, FILE_OBJECT.FILE_NAME_OFFSET + UNICODE_STRING.LENGTH_OFFSET, (short) (2 * rest.length()));
            f.set(JAVA_SHORT, FILE_OBJECT.FILE_NAME_OFFSET + UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) (2 * rest.length()));
            f.set(JAVA_LONG, FILE_OBJECT.FILE_NAME_OFFSET + UNICODE_STRING.BUFFER_OFFSET, chars);
        }
        return file;
    }

    /**
     * Sends IRP_MJ_CREATE, _CLEANUP or _CLOSE for {@code file} to the top of its device's stack and
     * waits for it; returns the final status.
     */
    static int send(IoManager io, long file, int major, int disposition, int options, int fileAttributes, int shareAccess) {
        MemorySegment f = io.space.resolve(file, FILE_OBJECT_SIZE);
        long top = IoDevices.top(io, f.get(JAVA_LONG, FILE_OBJECT.DEVICE_OBJECT_OFFSET));
        int stack = io.space.resolve(top, IoManager.DEVICE_OBJECT_SIZE).get(JAVA_BYTE, DEVICE_OBJECT.STACK_SIZE_OFFSET);
        MemorySegment irp = IoIrp.allocate(io, Math.max(1, stack), false);
        if (irp.address() == 0) {
            return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        }
        long next = IoIrp.nextOffset(irp, "IRP_MJ_CREATE");
        irp.set(JAVA_BYTE, next + IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) major);
        irp.set(JAVA_LONG, next + IO_STACK_LOCATION.FILE_OBJECT_OFFSET, file);
        if (major == IoCodes.IRP_MJ_CREATE) {
            irp.set(JAVA_INT, next + OPTIONS, (disposition << 24) | (options & IoCodes.FILE_VALID_OPTION_FLAGS));
            irp.set(JAVA_SHORT, next + FILE_ATTRIBUTES, (short) fileAttributes);
            irp.set(JAVA_SHORT, next + SHARE_ACCESS, (short) shareAccess);
        }
        return call(io, irp, top, f, MemorySegment.NULL, 0);
    }

    /**
     * Sends the built {@code irp} for file {@code f} to {@code top} as a synchronous request of the
     * calling thread: FileObject in the next location, OriginalFileObject, the issuing thread,
     * UserIosb (the caller's {@code iosb}, or a scratch one) and UserEvent ({@code event}, or the file
     * object's Event); waits while it is pending when {@code wait} (always for the I/O manager's own
     * requests). Returns the final status (IoStatus.Status once complete, else STATUS_PENDING).
     */
    static int call(IoManager io, MemorySegment irp, long top, MemorySegment f, MemorySegment event, long callerIosb) {
        return call(io, irp, top, f, event, callerIosb, false);
    }

    /**
     * {@link #call(IoManager, MemorySegment, long, MemorySegment, MemorySegment, long)}; with
     * {@code holdReference} the IRP holds a reference on the file object of its own from the call to
     * its completion (IopCompleteRequest drops it: {@link IoCompletion}), as Windows' requests through
     * a handle do, so the caller may close its handle while the request is pending.
     */
    static int call(IoManager io, MemorySegment irp, long top, MemorySegment f, MemorySegment event, long callerIosb,
                    boolean holdReference) {
        long next = IoIrp.nextOffset(irp, "IoCallDriver");
        irp.set(JAVA_LONG, next + IO_STACK_LOCATION.FILE_OBJECT_OFFSET, f.address());
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_ORIGINAL_FILE_OBJECT_OFFSET, f.address());
        MemorySegment wait = event.address() != 0 ? event : f.asSlice(FILE_OBJECT.EVENT_OFFSET, KEVENT_SIZE);
        KeEvent.clear(wait);
        long scratch = 0;
        long iosb = callerIosb;
        if (iosb == 0) {
            scratch = io.pool.allocate(IO_STATUS_BLOCK.X64.size(), IoManager.TAG_BUFFER, 0);
            if (scratch == 0) {
                IoIrp.free(io, irp);
                return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
            }
            iosb = scratch;
        }
        try {
            irp.set(JAVA_LONG, IRP.USER_IOSB_OFFSET, iosb);
            irp.set(JAVA_LONG, IRP.USER_EVENT_OFFSET, wait.address());
            irp.set(JAVA_INT, IRP.FLAGS_OFFSET, irp.get(JAVA_INT, IRP.FLAGS_OFFSET) | IoCodes.IRP_SYNCHRONOUS_API);
            irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_THREAD_OFFSET, io.currentThread.get().address());
            if (holdReference) {
                io.ob.reference(f.address()); // the request's own reference: dropped when it completes
                irp.set(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET,
                        (byte) (irp.get(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET) | IoIrp.OFFKERN_IRP_FILE_REFERENCED));
            }
            int st = IoCompletion.callDriver(io, io.space.resolve(top, IoManager.DEVICE_OBJECT_SIZE), irp);
            boolean synchronous = callerIosb == 0 || (f.get(JAVA_INT, FILE_OBJECT.FLAGS_OFFSET) & IoCodes.FO_SYNCHRONOUS_IO) != 0;
            if (st == NtStatus.STATUS_PENDING && synchronous) {
                KeWait.waitForSingleObject(wait, EXECUTIVE, ObjectManager.KernelMode, false, MemorySegment.NULL);
                st = io.space.resolve(iosb, IO_STATUS_BLOCK.X64.size()).get(JAVA_INT, IO_STATUS_BLOCK.STATUS_OFFSET);
            } else if (st != NtStatus.STATUS_PENDING && scratch != 0) {
                st = io.space.resolve(iosb, IO_STATUS_BLOCK.X64.size()).get(JAVA_INT, IO_STATUS_BLOCK.STATUS_OFFSET);
            }
            return st;
        } finally {
            if (scratch != 0) {
                io.pool.free(scratch, IoManager.TAG_BUFFER);
            }
        }
    }

    /** The event handle's Event object referenced (0 for no handle), or a negative NTSTATUS from the lookup. */
    private static long referenceEvent(IoManager io, long eventHandle) {
        return eventHandle == 0 ? 0 : io.ob.referenceByHandle(eventHandle, 0, io.ob.eventType(), ObjectManager.KernelMode, null);
    }

    /** Whether the file object takes no more requests: not open, or its last handle closed (cleanup sent). */
    private static boolean closedForRequests(IoManager io, long file, MemorySegment f) {
        return !io.openFiles.contains(file) || (f.get(JAVA_INT, FILE_OBJECT.FLAGS_OFFSET) & IoCodes.FO_CLEANUP_COMPLETE) != 0;
    }

    // ===== ZwDeviceIoControlFile =====

    /**
     * {@code NTSTATUS ZwDeviceIoControlFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE
     * ApcRoutine, PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, ULONG IoControlCode, PVOID
     * InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength)}: an
     * IRP_MJ_DEVICE_CONTROL built as IoBuildDeviceIoControlRequest builds it (the same buffering per
     * METHOD_*), carrying the file object, sent to the top of its device's stack. A file opened for
     * synchronous I/O (FO_SYNCHRONOUS_IO) waits while the request is pending and returns its final
     * status; otherwise STATUS_PENDING may be returned, and the Event (if any; it is cleared first)
     * is set and IoStatusBlock filled when the request completes — the caller keeps the handle, the
     * event and the buffers until then. Statuses: STATUS_INVALID_PARAMETER for a NULL IoStatusBlock,
     * STATUS_NOT_SUPPORTED for an ApcRoutine (offkern queues no user APCs), STATUS_INVALID_HANDLE /
     * STATUS_OBJECT_TYPE_MISMATCH for a handle that is no file's (or an Event that is no event's),
     * STATUS_INSUFFICIENT_RESOURCES, and the driver's.
     */
    public static int deviceIoControlFile(IoManager io, long fileHandle, long eventHandle, MemorySegment apcRoutine,
                                          MemorySegment apcContext, MemorySegment ioStatusBlock, int ioControlCode,
                                          MemorySegment inputBuffer, int inputBufferLength, MemorySegment outputBuffer,
                                          int outputBufferLength) {
        String routine = "ZwDeviceIoControlFile";
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, routine);
        }
        if (isNull(ioStatusBlock)) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        if (!isNull(apcRoutine)) {
            return NtStatus.STATUS_NOT_SUPPORTED;
        }
        MemorySegment iosb = io.res(ioStatusBlock.address(), IO_STATUS_BLOCK.X64.size());
        long file = io.ob.referenceByHandle(fileHandle, 0, io.ob.fileType(), ObjectManager.KernelMode, null);
        if (file < 0) {
            return (int) file;
        }
        long event = 0;
        try {
            long referenced = referenceEvent(io, eventHandle);
            if (referenced < 0) {
                return (int) referenced;
            }
            event = referenced;
            MemorySegment f = io.space.resolve(file, FILE_OBJECT_SIZE);
            if (closedForRequests(io, file, f)) {
                return NtStatus.STATUS_FILE_CLOSED;
            }
            long top = IoDevices.top(io, f.get(JAVA_LONG, FILE_OBJECT.DEVICE_OBJECT_OFFSET));
            MemorySegment eventSeg = event == 0 ? MemorySegment.NULL : io.space.resolve(event, KEVENT_SIZE);
            boolean synchronous = (f.get(JAVA_INT, FILE_OBJECT.FLAGS_OFFSET) & IoCodes.FO_SYNCHRONOUS_IO) != 0;
            if (synchronous) {
                lockFile(f); // a synchronous file's requests run one at a time
            }
            try {
                MemorySegment irp = IoBuild.deviceIoControl(io, ioControlCode, io.space.resolve(top, IoManager.DEVICE_OBJECT_SIZE),
                        inputBuffer, inputBufferLength, outputBuffer, outputBufferLength, false, eventSeg, iosb);
                if (irp.address() == 0) {
                    return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
                }
                return call(io, irp, top, f, eventSeg, iosb.address(), true);
            } finally {
                if (synchronous) {
                    unlockFile(f);
                }
            }
        } finally {
            if (event != 0) {
                io.ob.dereference(event);
            }
            io.ob.dereference(file);
        }
    }

    // ===== ZwReadFile, ZwWriteFile =====

    /**
     * {@code NTSTATUS ZwReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID
     * ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
     * PULONG Key)}: an IRP_MJ_READ through the handle; see {@link #transfer}.
     */
    public static int readFile(IoManager io, long fileHandle, long eventHandle, MemorySegment apcRoutine, MemorySegment apcContext,
                               MemorySegment ioStatusBlock, MemorySegment buffer, int length, MemorySegment byteOffset, MemorySegment key) {
        return transfer(io, IoCodes.IRP_MJ_READ, fileHandle, eventHandle, apcRoutine, ioStatusBlock, buffer, length, byteOffset, key,
                "ZwReadFile");
    }

    /**
     * {@code NTSTATUS ZwWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID
     * ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
     * PULONG Key)}: an IRP_MJ_WRITE through the handle; see {@link #transfer}.
     */
    public static int writeFile(IoManager io, long fileHandle, long eventHandle, MemorySegment apcRoutine, MemorySegment apcContext,
                                MemorySegment ioStatusBlock, MemorySegment buffer, int length, MemorySegment byteOffset, MemorySegment key) {
        return transfer(io, IoCodes.IRP_MJ_WRITE, fileHandle, eventHandle, apcRoutine, ioStatusBlock, buffer, length, byteOffset, key,
                "ZwWriteFile");
    }

    /** ByteOffset {HighPart -1, LowPart FILE_USE_FILE_POINTER_POSITION}: the file object's CurrentByteOffset. */
    private static final long USE_FILE_POINTER = 0xFFFFFFFF00000000L | Integer.toUnsignedLong(IoCodes.FILE_USE_FILE_POINTER_POSITION);
    /** ByteOffset {HighPart -1, LowPart FILE_WRITE_TO_END_OF_FILE}: the end of the file (writes only). */
    private static final long WRITE_TO_END = 0xFFFFFFFF00000000L | Integer.toUnsignedLong(IoCodes.FILE_WRITE_TO_END_OF_FILE);

    /**
     * ZwReadFile / ZwWriteFile: the handle is referenced as a File object and must grant FILE_READ_DATA
     * (a read) or FILE_WRITE_DATA or FILE_APPEND_DATA (a write), whatever the caller's mode (Windows'
     * ObReferenceFileObjectForWrite and its read twin check the handle's granted access bits):
     * STATUS_ACCESS_DENIED otherwise. The offset:
     * <ul>
     *   <li>a file opened for synchronous I/O (FO_SYNCHRONOUS_IO): a NULL ByteOffset, or {-1,
     *       FILE_USE_FILE_POINTER_POSITION}, is the file object's CurrentByteOffset; an explicit one is
     *       used as given; after a successful request CurrentByteOffset is the offset plus
     *       IoStatus.Information (Windows leaves this to the file system; offkern's devices are none,
     *       so the I/O manager does it);</li>
     *   <li>any other file: ByteOffset is required (NULL, or FILE_USE_FILE_POINTER_POSITION:
     *       STATUS_INVALID_PARAMETER);</li>
     *   <li>a write at {-1, FILE_WRITE_TO_END_OF_FILE}, or through a handle granted FILE_APPEND_DATA
     *       but not FILE_WRITE_DATA, reaches the driver with that offset (the end of the file is the
     *       driver's to find); any other negative offset is STATUS_INVALID_PARAMETER.</li>
     * </ul>
     * The IRP: Parameters.Read/Write Length, Key (*Key, or 0) and ByteOffset; a device with
     * DO_BUFFERED_IO gets a system buffer (the write's data copied in, the read's IoStatus.Information
     * bytes copied out at completion), any other device the caller's buffer in UserBuffer (offkern has
     * no MDLs: DO_DIRECT_IO passes the buffer as neither-I/O does). It is sent to the top of the
     * device's stack, FileObject and OriginalFileObject the file object, and holds its own reference on
     * the file object until it completes. A synchronous file waits while it is pending and returns its
     * final status (the driver's, STATUS_END_OF_FILE included); any other may return STATUS_PENDING,
     * the Event (cleared first) set and IoStatusBlock filled at completion. Statuses:
     * STATUS_INVALID_PARAMETER (NULL IoStatusBlock, offsets as above), STATUS_NOT_SUPPORTED (an
     * ApcRoutine), STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED,
     * STATUS_FILE_CLOSED, STATUS_INSUFFICIENT_RESOURCES, the driver's. A Buffer that does not map
     * Length bytes is 0xC9/0x08 under the I/O verifier, else 0x50, as IoBuildSynchronousFsdRequest's.
     */
    static int transfer(IoManager io, int major, long fileHandle, long eventHandle, MemorySegment apcRoutine, MemorySegment ioStatusBlock,
                        MemorySegment buffer, int length, MemorySegment byteOffset, MemorySegment key, String routine) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, routine);
        }
        if (isNull(ioStatusBlock)) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        if (!isNull(apcRoutine)) {
            return NtStatus.STATUS_NOT_SUPPORTED;
        }
        MemorySegment iosb = io.res(ioStatusBlock.address(), IO_STATUS_BLOCK.X64.size());
        long[] info = new long[1];
        long file = io.ob.referenceByHandle(fileHandle, 0, io.ob.fileType(), ObjectManager.KernelMode, info); // Zw: KernelMode
        if (file < 0) {
            return (int) file;
        }
        long event = 0;
        try {
            int granted = (int) info[0];
            boolean write = major == IoCodes.IRP_MJ_WRITE;
            int needed = write ? dev.offkern.nt.AccessMask.FILE_WRITE_DATA | dev.offkern.nt.AccessMask.FILE_APPEND_DATA
                    : dev.offkern.nt.AccessMask.FILE_READ_DATA;
            if ((granted & needed) == 0) {
                return NtStatus.STATUS_ACCESS_DENIED;
            }
            long referenced = referenceEvent(io, eventHandle);
            if (referenced < 0) {
                return (int) referenced;
            }
            event = referenced;
            MemorySegment f = io.space.resolve(file, FILE_OBJECT_SIZE);
            if (closedForRequests(io, file, f)) {
                return NtStatus.STATUS_FILE_CLOSED;
            }
            boolean synchronous = (f.get(JAVA_INT, FILE_OBJECT.FLAGS_OFFSET) & IoCodes.FO_SYNCHRONOUS_IO) != 0;
            if (!synchronous) {
                return send(io, major, f, granted, false, byteOffset, key, buffer, length, event, iosb, routine);
            }
            lockFile(f); // a synchronous file's requests run one at a time (their CurrentByteOffset is shared)
            try {
                return send(io, major, f, granted, true, byteOffset, key, buffer, length, event, iosb, routine);
            } finally {
                unlockFile(f);
            }
        } finally {
            if (event != 0) {
                io.ob.dereference(event);
            }
            io.ob.dereference(file);
        }
    }

    /** ZwReadFile / ZwWriteFile past the handle checks: the offset, the IRP, the call; the synchronous file's lock held. */
    private static int send(IoManager io, int major, MemorySegment f, int granted, boolean synchronous, MemorySegment byteOffset,
                            MemorySegment key, MemorySegment buffer, int length, long event, MemorySegment iosb, String routine) {
        boolean write = major == IoCodes.IRP_MJ_WRITE;
        long offset;
        if (isNull(byteOffset)) {
            if (!synchronous) {
                return NtStatus.STATUS_INVALID_PARAMETER; // no file pointer to use
            }
            offset = USE_FILE_POINTER;
        } else {
            offset = io.res(byteOffset.address(), LARGE_INTEGER_SIZE).get(JAVA_LONG, dev.offkern.layout.rtl.LARGE_INTEGER.QUAD_PART_OFFSET);
        }
        if (offset == USE_FILE_POINTER) {
            if (!synchronous) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
            offset = f.get(JAVA_LONG, FILE_OBJECT.CURRENT_BYTE_OFFSET_OFFSET);
        }
        if (write && (granted & dev.offkern.nt.AccessMask.FILE_WRITE_DATA) == 0) {
            offset = WRITE_TO_END; // append-only access: ByteOffset is ignored
        }
        if (offset < 0 && !(write && offset == WRITE_TO_END)) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        int k = isNull(key) ? 0 : io.res(key.address(), 4).get(JAVA_INT, 0);
        long top = IoDevices.top(io, f.get(JAVA_LONG, FILE_OBJECT.DEVICE_OBJECT_OFFSET));
        long buf = buffer == null ? 0 : buffer.address();
        IoBuild.checkTransferBuffer(io, buf, length, top, major);
        MemorySegment eventSeg = event == 0 ? MemorySegment.NULL : io.space.resolve(event, KEVENT_SIZE);
        MemorySegment irp = IoBuild.readWrite(io, major, top, buf, length, offset, k, eventSeg, iosb, routine);
        if (irp.address() == 0) {
            return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        }
        int st = call(io, irp, top, f, eventSeg, iosb.address(), true);
        if (synchronous && NtStatus.NT_SUCCESS(st) && st != NtStatus.STATUS_PENDING && offset >= 0) {
            long done = iosb.get(JAVA_LONG, IO_STATUS_BLOCK.INFORMATION_OFFSET);
            f.set(JAVA_LONG, FILE_OBJECT.CURRENT_BYTE_OFFSET_OFFSET, offset + done);
        }
        return st;
    }

    /**
     * Serialises the synchronous requests of one file object (IopAcquireFileObjectLock): the first
     * caller sets FILE_OBJECT.Busy; the others count themselves in Waiters and wait on the file
     * object's Lock (a synchronization event) until they can set Busy. Busy and Waiters are changed by
     * volatile CAS/adds only (sequentially consistent: a releaser that clears Busy and then reads
     * Waiters, and a waiter that counts itself and then retries Busy, cannot both miss each other, so
     * no wake-up is lost; a spurious set of Lock only makes a waiter retry). Progress: blocking.
     */
    static void lockFile(MemorySegment f) {
        if (FILE_LOCK_WORD.compareAndSet(f, FILE_OBJECT.BUSY_OFFSET, 0, 1)) {
            return;
        }
        FILE_LOCK_WORD.getAndAdd(f, FILE_OBJECT.WAITERS_OFFSET, 1); // volatile add: before the retry below
        while (!FILE_LOCK_WORD.compareAndSet(f, FILE_OBJECT.BUSY_OFFSET, 0, 1)) {
            KeWait.waitForSingleObject(f.asSlice(FILE_OBJECT.LOCK_OFFSET, KEVENT_SIZE), EXECUTIVE, ObjectManager.KernelMode, false,
                    MemorySegment.NULL);
        }
        FILE_LOCK_WORD.getAndAdd(f, FILE_OBJECT.WAITERS_OFFSET, -1); // volatile add
    }

    /** Releases the file object's lock: Busy cleared, a waiter (if any) woken through Lock. */
    static void unlockFile(MemorySegment f) {
        FILE_LOCK_WORD.setVolatile(f, FILE_OBJECT.BUSY_OFFSET, 0); // volatile: before the Waiters read (pairs with lockFile)
        if ((int) FILE_LOCK_WORD.getVolatile(f, FILE_OBJECT.WAITERS_OFFSET) > 0) {
            KeEvent.set(f.asSlice(FILE_OBJECT.LOCK_OFFSET, KEVENT_SIZE), 0, false);
        }
    }

    /** FILE_OBJECT.Busy and Waiters (ULONG): owned by lockFile/unlockFile. */
    private static final java.lang.invoke.VarHandle FILE_LOCK_WORD = JAVA_INT.varHandle();

    private static final long LARGE_INTEGER_SIZE = dev.offkern.layout.rtl.LARGE_INTEGER.X64.size();

    /** IRP_MJ_CLEANUP for an opened file object (its last handle was closed), once. */
    static void cleanup(IoManager io, long file) {
        if (!io.openFiles.contains(file)) {
            return;
        }
        MemorySegment f = io.space.resolve(file, FILE_OBJECT_SIZE);
        int flags = f.get(JAVA_INT, FILE_OBJECT.FLAGS_OFFSET);
        if ((flags & IoCodes.FO_CLEANUP_COMPLETE) != 0) {
            return;
        }
        send(io, file, IoCodes.IRP_MJ_CLEANUP, 0, 0, 0, 0);
        f.set(JAVA_INT, FILE_OBJECT.FLAGS_OFFSET, f.get(JAVA_INT, FILE_OBJECT.FLAGS_OFFSET) | IoCodes.FO_CLEANUP_COMPLETE);
    }

    /** The File type's close procedure: the last handle's close sends IRP_MJ_CLEANUP. */
    static void closeProcedure(IoManager io, MemorySegment object, long systemHandleCount) {
        if (systemHandleCount == 1) {
            cleanup(io, object.address());
        }
    }

    /** The File type's delete procedure: IRP_MJ_CLOSE for an opened file, then the device's reference and the name go. */
    static void deleteProcedure(IoManager io, MemorySegment object) {
        long file = object.address();
        MemorySegment f = io.space.resolve(file, FILE_OBJECT_SIZE);
        long device = f.get(JAVA_LONG, FILE_OBJECT.DEVICE_OBJECT_OFFSET);
        try {
            if (io.openFiles.remove(file)) {
                send(io, file, IoCodes.IRP_MJ_CLOSE, 0, 0, 0, 0);
            }
        } finally {
            long chars = f.get(JAVA_LONG, FILE_OBJECT.FILE_NAME_OFFSET + UNICODE_STRING.BUFFER_OFFSET);
            if (chars != 0) {
                f.set(JAVA_LONG, FILE_OBJECT.FILE_NAME_OFFSET + UNICODE_STRING.BUFFER_OFFSET, 0L);
                io.pool.free(chars, TAG_FILE_NAME);
            }
            if (device != 0) {
                f.set(JAVA_LONG, FILE_OBJECT.DEVICE_OBJECT_OFFSET, 0L);
                io.ob.dereference(device);
            }
        }
    }
}
