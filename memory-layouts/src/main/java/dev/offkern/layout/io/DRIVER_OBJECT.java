package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.UNICODE_STRING;

import java.lang.foreign.StructLayout;

/**
 * A loaded driver: its devices, its entry and unload routines and its dispatch table. The body of a
 * Driver object (0x150 bytes on x64, 0xA8 on x86; Windows 10 22H2 and mingw-w64 agree).
 * <pre>{@code
 * typedef struct _DRIVER_OBJECT {
 *   CSHORT Type;
 *   CSHORT Size;
 *   PDEVICE_OBJECT DeviceObject;
 *   ULONG Flags;
 *   PVOID DriverStart;
 *   ULONG DriverSize;
 *   PVOID DriverSection;
 *   PDRIVER_EXTENSION DriverExtension;
 *   UNICODE_STRING DriverName;
 *   PUNICODE_STRING HardwareDatabase;
 *   struct _FAST_IO_DISPATCH *FastIoDispatch;
 *   PDRIVER_INITIALIZE DriverInit;
 *   PDRIVER_STARTIO DriverStartIo;
 *   PDRIVER_UNLOAD DriverUnload;
 *   PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
 * } DRIVER_OBJECT, *PDRIVER_OBJECT;
 * }</pre>
 */
public final class DRIVER_OBJECT {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** IRP_MJ_MAXIMUM_FUNCTION (0x1B): the last major function code. */
    public static final int IRP_MJ_MAXIMUM_FUNCTION = 0x1B;

    /** CSHORT: IO_TYPE_DRIVER (4). */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** CSHORT, bytes: sizeof(DRIVER_OBJECT). */
    public static final long SIZE_OFFSET = X64.offset("Size");
    /** PDEVICE_OBJECT: the first of the driver's devices (linked through DEVICE_OBJECT.NextDevice). */
    public static final long DEVICE_OBJECT_OFFSET = X64.offset("DeviceObject");
    /** ULONG: DRVO_* flags. */
    public static final long FLAGS_OFFSET = X64.offset("Flags");
    /** PVOID: the driver image's base (offkern: NULL, a Java driver has none). */
    public static final long DRIVER_START_OFFSET = X64.offset("DriverStart");
    /** ULONG, bytes: the driver image's size. */
    public static final long DRIVER_SIZE_OFFSET = X64.offset("DriverSize");
    /** PVOID: the loader's entry for the image. */
    public static final long DRIVER_SECTION_OFFSET = X64.offset("DriverSection");
    /** PDRIVER_EXTENSION: the driver extension. */
    public static final long DRIVER_EXTENSION_OFFSET = X64.offset("DriverExtension");
    /** UNICODE_STRING: the driver's object name (\Driver\Name). */
    public static final long DRIVER_NAME_OFFSET = X64.offset("DriverName");
    /** PUNICODE_STRING: the hardware configuration registry path. */
    public static final long HARDWARE_DATABASE_OFFSET = X64.offset("HardwareDatabase");
    /** PFAST_IO_DISPATCH: fast I/O entry points, or NULL. */
    public static final long FAST_IO_DISPATCH_OFFSET = X64.offset("FastIoDispatch");
    /** PDRIVER_INITIALIZE: DriverEntry. */
    public static final long DRIVER_INIT_OFFSET = X64.offset("DriverInit");
    /** PDRIVER_STARTIO: the StartIo routine, or NULL. */
    public static final long DRIVER_START_IO_OFFSET = X64.offset("DriverStartIo");
    /** PDRIVER_UNLOAD: the Unload routine, or NULL (the driver cannot be unloaded). */
    public static final long DRIVER_UNLOAD_OFFSET = X64.offset("DriverUnload");
    /** PDRIVER_DISPATCH[IRP_MJ_MAXIMUM_FUNCTION + 1]: the dispatch routine of each major function. */
    public static final long MAJOR_FUNCTION_OFFSET = X64.offset("MajorFunction");

    private DRIVER_OBJECT() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("DRIVER_OBJECT", abi)
                .field("Type", CType.CSHORT)
                .field("Size", CType.CSHORT)
                .field("DeviceObject", CType.pointer("PDEVICE_OBJECT"))
                .field("Flags", CType.ULONG)
                .field("DriverStart", CType.PVOID)
                .field("DriverSize", CType.ULONG)
                .field("DriverSection", CType.PVOID)
                .field("DriverExtension", CType.pointer("PDRIVER_EXTENSION"))
                .field("DriverName", UNICODE_STRING.of(abi))
                .field("HardwareDatabase", CType.pointer("PUNICODE_STRING"))
                .field("FastIoDispatch", CType.pointer("PFAST_IO_DISPATCH"))
                .field("DriverInit", CType.pointer("PDRIVER_INITIALIZE"))
                .field("DriverStartIo", CType.pointer("PDRIVER_STARTIO"))
                .field("DriverUnload", CType.pointer("PDRIVER_UNLOAD"))
                .array("MajorFunction", CType.pointer("PDRIVER_DISPATCH"), IRP_MJ_MAXIMUM_FUNCTION + 1)
                .build();
    }
}
