package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LARGE_INTEGER;

import java.lang.foreign.StructLayout;

/**
 * One driver's view of an IRP: the major/minor function, the function's parameters (a union of
 * one struct per request kind; every arm the WDK declares is laid out here as {@code Parameters.<Arm>.<Member>}),
 * and the device, file and completion routine. {@code POINTER_ALIGNMENT} members are 8-aligned on x64;
 * on x86 the WDK declares the structure under {@code pshpack4.h} (0x24 bytes, 4-aligned).
 * <pre>{@code
 * #if !defined(_AMD64_) && !defined(_ARM64_)
 * #include "pshpack4.h"
 * #endif
 * }</pre>
 * <pre>{@code
 * typedef struct _IO_STACK_LOCATION {
 *   UCHAR MajorFunction;
 *   UCHAR MinorFunction;
 *   UCHAR Flags;
 *   UCHAR Control;
 *   union {
 *     struct {
 *       PIO_SECURITY_CONTEXT SecurityContext;
 *       ULONG Options;
 *       USHORT POINTER_ALIGNMENT FileAttributes;
 *       USHORT ShareAccess;
 *       ULONG POINTER_ALIGNMENT EaLength;
 *     } Create;
 *     struct { ULONG Length; ULONG POINTER_ALIGNMENT Key;
 * #if defined(_WIN64)
 *              ULONG Flags;
 * #endif
 *              LARGE_INTEGER ByteOffset; } Read;
 *     struct { ... the same ... } Write;
 *     struct { ULONG Length; PUNICODE_STRING FileName;
 *              FILE_INFORMATION_CLASS FileInformationClass; ULONG POINTER_ALIGNMENT FileIndex; } QueryDirectory;
 *     struct { ULONG Length; FILE_INFORMATION_CLASS POINTER_ALIGNMENT FileInformationClass; } QueryFile;
 *     struct { ULONG Length; FILE_INFORMATION_CLASS POINTER_ALIGNMENT FileInformationClass;
 *              PFILE_OBJECT FileObject;
 *              union { struct { BOOLEAN ReplaceIfExists; BOOLEAN AdvanceOnly; };
 *                      ULONG ClusterCount; HANDLE DeleteHandle; }; } SetFile;
 *     struct { ULONG Length; FS_INFORMATION_CLASS POINTER_ALIGNMENT FsInformationClass; } QueryVolume;
 *     struct { ULONG OutputBufferLength; ULONG POINTER_ALIGNMENT InputBufferLength;
 *              ULONG POINTER_ALIGNMENT FsControlCode; PVOID Type3InputBuffer; } FileSystemControl;
 *     struct { PLARGE_INTEGER Length; ULONG POINTER_ALIGNMENT Key; LARGE_INTEGER ByteOffset; } LockControl;
 *     struct { ULONG OutputBufferLength; ULONG POINTER_ALIGNMENT InputBufferLength;
 *              ULONG POINTER_ALIGNMENT IoControlCode; PVOID Type3InputBuffer; } DeviceIoControl;
 *     struct { SECURITY_INFORMATION SecurityInformation; ULONG POINTER_ALIGNMENT Length; } QuerySecurity;
 *     struct { SECURITY_INFORMATION SecurityInformation; PSECURITY_DESCRIPTOR SecurityDescriptor; } SetSecurity;
 *     struct { PVPB Vpb; PDEVICE_OBJECT DeviceObject; } MountVolume;
 *     struct { PVPB Vpb; PDEVICE_OBJECT DeviceObject; } VerifyVolume;
 *     struct { struct _SCSI_REQUEST_BLOCK *Srb; } Scsi;
 *     struct { DEVICE_RELATION_TYPE Type; } QueryDeviceRelations;
 *     struct { CONST GUID *InterfaceType; USHORT Size; USHORT Version;
 *              PINTERFACE Interface; PVOID InterfaceSpecificData; } QueryInterface;
 *     struct { PDEVICE_CAPABILITIES Capabilities; } DeviceCapabilities;
 *     struct { BUS_QUERY_ID_TYPE IdType; } QueryId;
 *     struct { DEVICE_TEXT_TYPE DeviceTextType; LCID POINTER_ALIGNMENT LocaleId; } QueryDeviceText;
 *     struct { BOOLEAN InPath; BOOLEAN Reserved[3];
 *              DEVICE_USAGE_NOTIFICATION_TYPE POINTER_ALIGNMENT Type; } UsageNotification;
 *     struct { SYSTEM_POWER_STATE PowerState; } WaitWake;
 *     struct { PCM_RESOURCE_LIST AllocatedResources; PCM_RESOURCE_LIST AllocatedResourcesTranslated; } StartDevice;
 *     struct { ULONG_PTR ProviderId; PVOID DataPath; ULONG BufferSize; PVOID Buffer; } WMI;
 *     struct { PVOID Argument1; PVOID Argument2; PVOID Argument3; PVOID Argument4; } Others;
 *     struct { ... } CreatePipe, CreateMailslot, NotifyDirectory, NotifyDirectoryEx, QueryEa, SetEa, SetVolume,
 *                    QueryQuota, SetQuota, FilterResourceRequirements, ReadWriteConfig, SetLock, PowerSequence, Power;
 *   } Parameters;
 *   PDEVICE_OBJECT DeviceObject;
 *   PFILE_OBJECT FileObject;
 *   PIO_COMPLETION_ROUTINE CompletionRoutine;
 *   PVOID Context;
 * } IO_STACK_LOCATION, *PIO_STACK_LOCATION;
 * }</pre>
 */
public final class IO_STACK_LOCATION {
    // Declared before X64/X86: the layouts are built during static initialisation.
    /** SYSTEM_POWER_STATE_CONTEXT: a ULONG-sized bit-field struct, carried here as one 4-byte member. */
    private static final CType SYSTEM_POWER_STATE_CONTEXT = new CType("SYSTEM_POWER_STATE_CONTEXT", 4, 4);
    /** POWER_STATE: a union of two enumerations (SystemState, DeviceState), 4 bytes. */
    private static final CType POWER_STATE = new CType("POWER_STATE", 4, 4);

    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** UCHAR: IRP_MJ_* code. */
    public static final long MAJOR_FUNCTION_OFFSET = X64.offset("MajorFunction");
    /** UCHAR: IRP_MN_* code. */
    public static final long MINOR_FUNCTION_OFFSET = X64.offset("MinorFunction");
    /** UCHAR: SL_* request flags. */
    public static final long FLAGS_OFFSET = X64.offset("Flags");
    /** UCHAR: SL_PENDING_RETURNED and SL_INVOKE_ON_* completion flags. */
    public static final long CONTROL_OFFSET = X64.offset("Control");
    /** union: the request's parameters. */
    public static final long PARAMETERS_OFFSET = X64.offset("Parameters");
    /** ULONG, bytes: the read length. */
    public static final long PARAMETERS_READ_LENGTH_OFFSET = X64.offset("Parameters.Read.Length");
    /** LARGE_INTEGER, bytes: the file offset of the read. */
    public static final long PARAMETERS_READ_BYTE_OFFSET_OFFSET = X64.offset("Parameters.Read.ByteOffset");
    /** ULONG, bytes: the write length. */
    public static final long PARAMETERS_WRITE_LENGTH_OFFSET = X64.offset("Parameters.Write.Length");
    /** ULONG, bytes: the output buffer length. */
    public static final long PARAMETERS_DEVICE_IO_CONTROL_OUTPUT_BUFFER_LENGTH_OFFSET = X64.offset("Parameters.DeviceIoControl.OutputBufferLength");
    /** ULONG, bytes: the input buffer length. */
    public static final long PARAMETERS_DEVICE_IO_CONTROL_INPUT_BUFFER_LENGTH_OFFSET = X64.offset("Parameters.DeviceIoControl.InputBufferLength");
    /** ULONG: the IOCTL code. */
    public static final long PARAMETERS_DEVICE_IO_CONTROL_IO_CONTROL_CODE_OFFSET = X64.offset("Parameters.DeviceIoControl.IoControlCode");
    /** PVOID: the caller's input buffer (METHOD_NEITHER). */
    public static final long PARAMETERS_DEVICE_IO_CONTROL_TYPE3_INPUT_BUFFER_OFFSET = X64.offset("Parameters.DeviceIoControl.Type3InputBuffer");
    /** PVOID: the first parameter word. */
    public static final long PARAMETERS_OTHERS_ARGUMENT1_OFFSET = X64.offset("Parameters.Others.Argument1");
    /** PDEVICE_OBJECT: the target device of this stack location. */
    public static final long DEVICE_OBJECT_OFFSET = X64.offset("DeviceObject");
    /** PFILE_OBJECT: the file object of the request. */
    public static final long FILE_OBJECT_OFFSET = X64.offset("FileObject");
    /** PIO_COMPLETION_ROUTINE: the routine set by the driver above, or NULL. */
    public static final long COMPLETION_ROUTINE_OFFSET = X64.offset("CompletionRoutine");
    /** PVOID: its context. */
    public static final long CONTEXT_OFFSET = X64.offset("Context");
    /** The union {@code Parameters}: the commonly used arms. */
    private static void parameters(CStruct.Builder u) {
        CType ptr = CType.PVOID;
        u.struct("Create", s -> s.field("SecurityContext", CType.pointer("PIO_SECURITY_CONTEXT"))
                        .field("Options", CType.ULONG)
                        .pointerAligned().field("FileAttributes", CType.USHORT)
                        .field("ShareAccess", CType.USHORT)
                        .pointerAligned().field("EaLength", CType.ULONG))
                .struct("CreatePipe", s -> createNamed(s, "PNAMED_PIPE_CREATE_PARAMETERS"))
                .struct("CreateMailslot", s -> createNamed(s, "PMAILSLOT_CREATE_PARAMETERS"))
                .struct("Read", s -> readWrite(s))
                .struct("Write", s -> readWrite(s))
                .struct("QueryDirectory", s -> s.field("Length", CType.ULONG)
                        .field("FileName", CType.pointer("PUNICODE_STRING"))
                        .field("FileInformationClass", CType.ENUM)
                        .pointerAligned().field("FileIndex", CType.ULONG))
                .struct("NotifyDirectory", s -> s.field("Length", CType.ULONG)
                        .pointerAligned().field("CompletionFilter", CType.ULONG))
                .struct("NotifyDirectoryEx", s -> s.field("Length", CType.ULONG)
                        .pointerAligned().field("CompletionFilter", CType.ULONG)
                        .pointerAligned().field("DirectoryNotifyInformationClass", CType.ENUM))
                .struct("QueryFile", s -> s.field("Length", CType.ULONG)
                        .pointerAligned().field("FileInformationClass", CType.ENUM))
                .struct("SetFile", s -> s.field("Length", CType.ULONG)
                        .pointerAligned().field("FileInformationClass", CType.ENUM)
                        .field("FileObject", CType.pointer("PFILE_OBJECT"))
                        .union(null, v -> v.struct(null, w -> w.field("ReplaceIfExists", CType.BOOLEAN)
                                        .field("AdvanceOnly", CType.BOOLEAN))
                                .field("ClusterCount", CType.ULONG)
                                .field("DeleteHandle", CType.HANDLE)))
                .struct("QueryEa", s -> s.field("Length", CType.ULONG)
                        .field("EaList", ptr)
                        .field("EaListLength", CType.ULONG)
                        .pointerAligned().field("EaIndex", CType.ULONG))
                .struct("SetEa", s -> s.field("Length", CType.ULONG))
                .struct("QueryVolume", s -> s.field("Length", CType.ULONG)
                        .pointerAligned().field("FsInformationClass", CType.ENUM))
                .struct("SetVolume", s -> s.field("Length", CType.ULONG)
                        .pointerAligned().field("FsInformationClass", CType.ENUM))
                .struct("FileSystemControl", s -> s.field("OutputBufferLength", CType.ULONG)
                        .pointerAligned().field("InputBufferLength", CType.ULONG)
                        .pointerAligned().field("FsControlCode", CType.ULONG)
                        .field("Type3InputBuffer", ptr))
                .struct("LockControl", s -> s.field("Length", CType.pointer("PLARGE_INTEGER"))
                        .pointerAligned().field("Key", CType.ULONG)
                        .field("ByteOffset", LARGE_INTEGER.of(s.abi())))
                .struct("DeviceIoControl", s -> s.field("OutputBufferLength", CType.ULONG)
                        .pointerAligned().field("InputBufferLength", CType.ULONG)
                        .pointerAligned().field("IoControlCode", CType.ULONG)
                        .field("Type3InputBuffer", ptr))
                .struct("QuerySecurity", s -> s.field("SecurityInformation", CType.ULONG)
                        .pointerAligned().field("Length", CType.ULONG))
                .struct("SetSecurity", s -> s.field("SecurityInformation", CType.ULONG)
                        .field("SecurityDescriptor", CType.pointer("PSECURITY_DESCRIPTOR")))
                .struct("MountVolume", s -> s.field("Vpb", CType.pointer("PVPB"))
                        .field("DeviceObject", CType.pointer("PDEVICE_OBJECT")))
                .struct("VerifyVolume", s -> s.field("Vpb", CType.pointer("PVPB"))
                        .field("DeviceObject", CType.pointer("PDEVICE_OBJECT")))
                .struct("Scsi", s -> s.field("Srb", CType.pointer("PSCSI_REQUEST_BLOCK")))
                .struct("QueryQuota", s -> s.field("Length", CType.ULONG)
                        .field("StartSid", CType.pointer("PSID"))
                        .field("SidList", CType.pointer("PFILE_GET_QUOTA_INFORMATION"))
                        .field("SidListLength", CType.ULONG))
                .struct("SetQuota", s -> s.field("Length", CType.ULONG))
                .struct("QueryDeviceRelations", s -> s.field("Type", CType.ENUM))
                .struct("QueryInterface", s -> s.field("InterfaceType", CType.pointer("PGUID"))
                        .field("Size", CType.USHORT)
                        .field("Version", CType.USHORT)
                        .field("Interface", CType.pointer("PINTERFACE"))
                        .field("InterfaceSpecificData", ptr))
                .struct("DeviceCapabilities", s -> s.field("Capabilities", CType.pointer("PDEVICE_CAPABILITIES")))
                .struct("FilterResourceRequirements", s -> s.field("IoResourceRequirementList",
                        CType.pointer("PIO_RESOURCE_REQUIREMENTS_LIST")))
                .struct("ReadWriteConfig", s -> s.field("WhichSpace", CType.ULONG)
                        .field("Buffer", ptr)
                        .field("Offset", CType.ULONG)
                        .pointerAligned().field("Length", CType.ULONG))
                .struct("SetLock", s -> s.field("Lock", CType.BOOLEAN))
                .struct("QueryId", s -> s.field("IdType", CType.ENUM))
                .struct("QueryDeviceText", s -> s.field("DeviceTextType", CType.ENUM)
                        .pointerAligned().field("LocaleId", CType.ULONG))
                .struct("UsageNotification", s -> s.field("InPath", CType.BOOLEAN)
                        .array("Reserved", CType.BOOLEAN, 3)
                        .pointerAligned().field("Type", CType.ENUM))
                .struct("WaitWake", s -> s.field("PowerState", CType.ENUM))
                .struct("PowerSequence", s -> s.field("PowerSequence", CType.pointer("PPOWER_SEQUENCE")))
                .struct("Power", s -> s
                        .union(null, v -> v.field("SystemContext", CType.ULONG)
                                .field("SystemPowerStateContext", SYSTEM_POWER_STATE_CONTEXT))
                        .pointerAligned().field("Type", CType.ENUM)
                        .pointerAligned().field("State", POWER_STATE)
                        .pointerAligned().field("ShutdownType", CType.ENUM))
                .struct("StartDevice", s -> s.field("AllocatedResources", CType.pointer("PCM_RESOURCE_LIST"))
                        .field("AllocatedResourcesTranslated", CType.pointer("PCM_RESOURCE_LIST")))
                .struct("WMI", s -> s.field("ProviderId", CType.ULONG_PTR)
                        .field("DataPath", ptr)
                        .field("BufferSize", CType.ULONG)
                        .field("Buffer", ptr))
                .struct("Others", s -> s.field("Argument1", ptr).field("Argument2", ptr)
                        .field("Argument3", ptr).field("Argument4", ptr));
    }

    private static void createNamed(CStruct.Builder s, String parametersType) {
        s.field("SecurityContext", CType.pointer("PIO_SECURITY_CONTEXT"))
                .field("Options", CType.ULONG)
                .pointerAligned().field("Reserved", CType.USHORT)
                .field("ShareAccess", CType.USHORT)
                .field("Parameters", CType.pointer(parametersType));
    }

    private static void readWrite(CStruct.Builder s) {
        s.field("Length", CType.ULONG)
                .pointerAligned().field("Key", CType.ULONG);
        if (s.abi() == Abi.X64) {
            s.field("Flags", CType.ULONG);
        }
        s.field("ByteOffset", LARGE_INTEGER.of(s.abi()));
    }

    private IO_STACK_LOCATION() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("IO_STACK_LOCATION", abi);
        if (abi == Abi.X86) {
            b.pack(4);
        }
        return b.field("MajorFunction", CType.UCHAR)
                .field("MinorFunction", CType.UCHAR)
                .field("Flags", CType.UCHAR)
                .field("Control", CType.UCHAR)
                .union("Parameters", IO_STACK_LOCATION::parameters)
                .field("DeviceObject", CType.pointer("PDEVICE_OBJECT"))
                .field("FileObject", CType.pointer("PFILE_OBJECT"))
                .field("CompletionRoutine", CType.pointer("PIO_COMPLETION_ROUTINE"))
                .field("Context", CType.PVOID)
                .build();
    }
}
