package dev.offkern.nt;

/**
 * The I/O manager's numbers with their wdm.h names: major function codes, stack-location control
 * bits, device and driver object flags, object type tags, IRP flags.
 */
public final class IoCodes {
    private IoCodes() {
    }

    /** IRP_MJ_CREATE. */
    public static final int IRP_MJ_CREATE = 0x00;
    /** IRP_MJ_CREATE_NAMED_PIPE. */
    public static final int IRP_MJ_CREATE_NAMED_PIPE = 0x01;
    /** IRP_MJ_CLOSE. */
    public static final int IRP_MJ_CLOSE = 0x02;
    /** IRP_MJ_READ. */
    public static final int IRP_MJ_READ = 0x03;
    /** IRP_MJ_WRITE. */
    public static final int IRP_MJ_WRITE = 0x04;
    /** IRP_MJ_FLUSH_BUFFERS. */
    public static final int IRP_MJ_FLUSH_BUFFERS = 0x09;
    /** IRP_MJ_DEVICE_CONTROL. */
    public static final int IRP_MJ_DEVICE_CONTROL = 0x0E;
    /** IRP_MJ_INTERNAL_DEVICE_CONTROL. */
    public static final int IRP_MJ_INTERNAL_DEVICE_CONTROL = 0x0F;
    /** IRP_MJ_SHUTDOWN. */
    public static final int IRP_MJ_SHUTDOWN = 0x10;
    /** IRP_MJ_CLEANUP. */
    public static final int IRP_MJ_CLEANUP = 0x12;
    /** IRP_MJ_POWER. */
    public static final int IRP_MJ_POWER = 0x16;
    /** IRP_MJ_SYSTEM_CONTROL. */
    public static final int IRP_MJ_SYSTEM_CONTROL = 0x17;
    /** IRP_MJ_PNP. */
    public static final int IRP_MJ_PNP = 0x1B;
    /** IRP_MJ_MAXIMUM_FUNCTION: the last major function code. */
    public static final int IRP_MJ_MAXIMUM_FUNCTION = 0x1B;

    /** IO_STACK_LOCATION.Control: a lower driver returned STATUS_PENDING (IoMarkIrpPending). */
    public static final int SL_PENDING_RETURNED = 0x01;
    /** IO_STACK_LOCATION.Control: call the completion routine when the IRP was cancelled. */
    public static final int SL_INVOKE_ON_CANCEL = 0x20;
    /** IO_STACK_LOCATION.Control: call the completion routine on a success status. */
    public static final int SL_INVOKE_ON_SUCCESS = 0x40;
    /** IO_STACK_LOCATION.Control: call the completion routine on an error (or warning) status. */
    public static final int SL_INVOKE_ON_ERROR = 0x80;

    /** DEVICE_OBJECT.Flags: buffered I/O. */
    public static final int DO_BUFFERED_IO = 0x00000004;
    /** DEVICE_OBJECT.Flags: exclusive device (one open at a time). */
    public static final int DO_EXCLUSIVE = 0x00000008;
    /** DEVICE_OBJECT.Flags: direct I/O. */
    public static final int DO_DIRECT_IO = 0x00000010;
    /** DEVICE_OBJECT.Flags: the device is being initialized (cleared when DriverEntry returns or by the driver). */
    public static final int DO_DEVICE_INITIALIZING = 0x00000080;
    /** DEVICE_OBJECT.Flags: power IRPs are sent at PASSIVE_LEVEL. */
    public static final int DO_POWER_PAGABLE = 0x00002000;

    /** DRIVER_OBJECT.Flags: DriverUnload was called. */
    public static final int DRVO_UNLOAD_INVOKED = 0x00000001;
    /** DRIVER_OBJECT.Flags: a legacy (non-PnP) driver. */
    public static final int DRVO_LEGACY_DRIVER = 0x00000002;
    /** DRIVER_OBJECT.Flags: a driver created with IoCreateDriver (no image). */
    public static final int DRVO_BUILTIN_DRIVER = 0x00000004;

    /** Type tag of a DEVICE_OBJECT. */
    public static final int IO_TYPE_DEVICE = 3;
    /** Type tag of a DRIVER_OBJECT. */
    public static final int IO_TYPE_DRIVER = 4;
    /** Type tag of a FILE_OBJECT. */
    public static final int IO_TYPE_FILE = 5;
    /** Type tag of an IRP. */
    public static final int IO_TYPE_IRP = 6;
    /** Type tag of a DEVOBJ_EXTENSION. */
    public static final int IO_TYPE_DEVICE_OBJECT_EXTENSION = 13;

    /** FILE_DEVICE_UNKNOWN: a device of no particular type. */
    public static final int FILE_DEVICE_UNKNOWN = 0x00000022;
    /** FILE_DEVICE_SECURE_OPEN (DEVICE_OBJECT.Characteristics). */
    public static final int FILE_DEVICE_SECURE_OPEN = 0x00000100;

    /** IO_NO_INCREMENT: the priority boost of IoCompleteRequest for quick completions. */
    public static final int IO_NO_INCREMENT = 0;

    /** IRP.Flags: the IRP is synchronous (IoBuildSynchronousFsdRequest, IoBuildDeviceIoControlRequest). */
    public static final int IRP_SYNCHRONOUS_API = 0x00000004;
    /** IRP.Flags: the I/O manager frees the IRP when it completes. */
    public static final int IRP_BUFFERED_IO = 0x00000010;

    /** IRP.AllocationFlags: the IRP came from IoAllocateIrp (not the caller's memory). */
    public static final int IRP_ALLOCATED_FIXED_SIZE = 0x04;

    /** METHOD_BUFFERED (the transfer type in the low two bits of an I/O control code). */
    public static final int METHOD_BUFFERED = 0;
    /** METHOD_IN_DIRECT. */
    public static final int METHOD_IN_DIRECT = 1;
    /** METHOD_OUT_DIRECT. */
    public static final int METHOD_OUT_DIRECT = 2;
    /** METHOD_NEITHER. */
    public static final int METHOD_NEITHER = 3;

    /** FILE_OBJECT.Flags: synchronous I/O (FILE_SYNCHRONOUS_IO_ALERT or _NONALERT at the create). */
    public static final int FO_SYNCHRONOUS_IO = 0x00000002;
    /** FILE_OBJECT.Flags: synchronous waits are alertable (FILE_SYNCHRONOUS_IO_ALERT). */
    public static final int FO_ALERTABLE_IO = 0x00000004;
    /** FILE_OBJECT.Flags: IRP_MJ_CLEANUP was sent (the last handle was closed). */
    public static final int FO_CLEANUP_COMPLETE = 0x00004000;
    /** FILE_OBJECT.Flags: a handle was created for the file object. */
    public static final int FO_HANDLE_CREATED = 0x00040000;

    /** CreateDisposition FILE_SUPERSEDE. */
    public static final int FILE_SUPERSEDE = 0;
    /** CreateDisposition FILE_OPEN. */
    public static final int FILE_OPEN = 1;
    /** CreateDisposition FILE_CREATE. */
    public static final int FILE_CREATE = 2;
    /** CreateDisposition FILE_OPEN_IF. */
    public static final int FILE_OPEN_IF = 3;
    /** CreateDisposition FILE_OVERWRITE. */
    public static final int FILE_OVERWRITE = 4;
    /** CreateDisposition FILE_OVERWRITE_IF. */
    public static final int FILE_OVERWRITE_IF = 5;
    /** The largest CreateDisposition. */
    public static final int FILE_MAXIMUM_DISPOSITION = 5;
    /** CreateOptions FILE_DIRECTORY_FILE. */
    public static final int FILE_DIRECTORY_FILE = 0x00000001;
    /** CreateOptions FILE_SYNCHRONOUS_IO_ALERT. */
    public static final int FILE_SYNCHRONOUS_IO_ALERT = 0x00000010;
    /** CreateOptions FILE_SYNCHRONOUS_IO_NONALERT. */
    public static final int FILE_SYNCHRONOUS_IO_NONALERT = 0x00000020;
    /** CreateOptions FILE_NON_DIRECTORY_FILE. */
    public static final int FILE_NON_DIRECTORY_FILE = 0x00000040;
    /** Every CreateOptions bit a caller may pass. */
    public static final int FILE_VALID_OPTION_FLAGS = 0x00FFFFFF;
    /** ByteOffset.LowPart (HighPart -1) of ZwReadFile/ZwWriteFile: use the file object's CurrentByteOffset. */
    public static final int FILE_USE_FILE_POINTER_POSITION = 0xFFFFFFFE;
    /** ByteOffset.LowPart (HighPart -1) of ZwWriteFile: write at the end of the file. */
    public static final int FILE_WRITE_TO_END_OF_FILE = 0xFFFFFFFF;
    /** IO_STATUS_BLOCK.Information of a successful open: FILE_OPENED. */
    public static final int FILE_OPENED = 1;
}
