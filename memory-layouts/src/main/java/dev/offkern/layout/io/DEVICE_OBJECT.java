package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ke.KDEVICE_QUEUE;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * A device: the body of a Device object. Microsoft's wdm.h declares it
 * {@code DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT)}: 16-byte aligned on x64, so its size is 0x150
 * (mingw-w64 omits the attribute: 0x148, alignment 8; {@code Reserved} is at 0x140 in both), 0xB8
 * on x86.
 * <pre>{@code
 * typedef struct DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) _DEVICE_OBJECT {
 *   CSHORT Type;
 *   USHORT Size;
 *   LONG ReferenceCount;
 *   struct _DRIVER_OBJECT *DriverObject;
 *   struct _DEVICE_OBJECT *NextDevice;
 *   struct _DEVICE_OBJECT *AttachedDevice;
 *   struct _IRP *CurrentIrp;
 *   PIO_TIMER Timer;
 *   ULONG Flags;
 *   ULONG Characteristics;
 *   __volatile PVPB Vpb;
 *   PVOID DeviceExtension;
 *   DEVICE_TYPE DeviceType;
 *   CCHAR StackSize;
 *   union {
 *     LIST_ENTRY ListEntry;
 *     WAIT_CONTEXT_BLOCK Wcb;
 *   } Queue;
 *   ULONG AlignmentRequirement;
 *   KDEVICE_QUEUE DeviceQueue;
 *   KDPC Dpc;
 *   ULONG ActiveThreadCount;
 *   PSECURITY_DESCRIPTOR SecurityDescriptor;
 *   KEVENT DeviceLock;
 *   USHORT SectorSize;
 *   USHORT Spare1;
 *   struct _DEVOBJ_EXTENSION *DeviceObjectExtension;
 *   PVOID Reserved;
 * } DEVICE_OBJECT, *PDEVICE_OBJECT;
 * }</pre>
 */
public final class DEVICE_OBJECT {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** CSHORT: IO_TYPE_DEVICE (3). */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** USHORT, bytes: sizeof(DEVICE_OBJECT) + the device extension's size. */
    public static final long SIZE_OFFSET = X64.offset("Size");
    /** LONG: open handles and files (the I/O manager's count, not the object's pointer count). */
    public static final long REFERENCE_COUNT_OFFSET = X64.offset("ReferenceCount");
    /** PDRIVER_OBJECT: the driver that created the device. */
    public static final long DRIVER_OBJECT_OFFSET = X64.offset("DriverObject");
    /** PDEVICE_OBJECT: the next device of the same driver. */
    public static final long NEXT_DEVICE_OFFSET = X64.offset("NextDevice");
    /** PDEVICE_OBJECT: the device attached on top of this one, or NULL. */
    public static final long ATTACHED_DEVICE_OFFSET = X64.offset("AttachedDevice");
    /** PIRP: the IRP StartIo is processing. */
    public static final long CURRENT_IRP_OFFSET = X64.offset("CurrentIrp");
    /** PIO_TIMER: the device's IoTimer, or NULL. */
    public static final long TIMER_OFFSET = X64.offset("Timer");
    /** ULONG: DO_* flags. */
    public static final long FLAGS_OFFSET = X64.offset("Flags");
    /** ULONG: FILE_* device characteristics. */
    public static final long CHARACTERISTICS_OFFSET = X64.offset("Characteristics");
    /** PVPB: the volume parameter block. */
    public static final long VPB_OFFSET = X64.offset("Vpb");
    /** PVOID: the driver-defined device extension. */
    public static final long DEVICE_EXTENSION_OFFSET = X64.offset("DeviceExtension");
    /** DEVICE_TYPE (ULONG): FILE_DEVICE_*. */
    public static final long DEVICE_TYPE_OFFSET = X64.offset("DeviceType");
    /** CCHAR: the stack locations an IRP sent to this device needs. */
    public static final long STACK_SIZE_OFFSET = X64.offset("StackSize");
    /** union Queue: ListEntry / Wcb. */
    public static final long QUEUE_OFFSET = X64.offset("Queue");
    /** ULONG: FILE_*_ALIGNMENT of buffers. */
    public static final long ALIGNMENT_REQUIREMENT_OFFSET = X64.offset("AlignmentRequirement");
    /** KDEVICE_QUEUE: the StartIo queue. */
    public static final long DEVICE_QUEUE_OFFSET = X64.offset("DeviceQueue");
    /** KDPC: the DPC IoInitializeDpcRequest sets up. */
    public static final long DPC_OFFSET = X64.offset("Dpc");
    /** ULONG: reserved. */
    public static final long ACTIVE_THREAD_COUNT_OFFSET = X64.offset("ActiveThreadCount");
    /** PSECURITY_DESCRIPTOR: the device's security descriptor. */
    public static final long SECURITY_DESCRIPTOR_OFFSET = X64.offset("SecurityDescriptor");
    /** KEVENT: synchronization event of the I/O manager. */
    public static final long DEVICE_LOCK_OFFSET = X64.offset("DeviceLock");
    /** USHORT: bytes per sector (file systems). */
    public static final long SECTOR_SIZE_OFFSET = X64.offset("SectorSize");
    /** PDEVOBJ_EXTENSION: the device object extension. */
    public static final long DEVICE_OBJECT_EXTENSION_OFFSET = X64.offset("DeviceObjectExtension");
    /** PVOID: reserved. */
    public static final long RESERVED_OFFSET = X64.offset("Reserved");
    /** MEMORY_ALLOCATION_ALIGNMENT on x64: the alignment Windows declares. */
    public static final long ALIGNMENT_X64 = 16;

    private DEVICE_OBJECT() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("DEVICE_OBJECT", abi)
                .field("Type", CType.CSHORT)
                .field("Size", CType.USHORT)
                .field("ReferenceCount", CType.LONG)
                .field("DriverObject", CType.pointer("PDRIVER_OBJECT"))
                .field("NextDevice", CType.pointer("PDEVICE_OBJECT"))
                .field("AttachedDevice", CType.pointer("PDEVICE_OBJECT"))
                .field("CurrentIrp", CType.pointer("PIRP"))
                .field("Timer", CType.pointer("PIO_TIMER"))
                .field("Flags", CType.ULONG)
                .field("Characteristics", CType.ULONG)
                .field("Vpb", CType.pointer("PVPB"))
                .field("DeviceExtension", CType.PVOID)
                .field("DeviceType", CType.ULONG)
                .field("StackSize", CType.CCHAR)
                .union("Queue", u -> u.field("ListEntry", LIST_ENTRY.of(abi))
                        .field("Wcb", WAIT_CONTEXT_BLOCK.of(abi)))
                .field("AlignmentRequirement", CType.ULONG)
                .field("DeviceQueue", KDEVICE_QUEUE.of(abi))
                .field("Dpc", KDPC.of(abi))
                .field("ActiveThreadCount", CType.ULONG)
                .field("SecurityDescriptor", CType.pointer("PSECURITY_DESCRIPTOR"))
                .field("DeviceLock", KEVENT.of(abi))
                .field("SectorSize", CType.USHORT)
                .field("Spare1", CType.USHORT)
                .field("DeviceObjectExtension", CType.pointer("PDEVOBJ_EXTENSION"))
                .field("Reserved", CType.PVOID);
        if (abi == Abi.X64) {
            b.alignAs(ALIGNMENT_X64);
        }
        return b.build();
    }
}
