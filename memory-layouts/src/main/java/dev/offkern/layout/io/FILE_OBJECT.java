package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.rtl.LARGE_INTEGER;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.layout.rtl.UNICODE_STRING;

import java.lang.foreign.StructLayout;

/**
 * An open instance of a device or file: the body of a File object (0xD8 bytes on x64, 0x80 on x86;
 * Windows 10 22H2 and mingw-w64 agree).
 * <pre>{@code
 * typedef struct _FILE_OBJECT {
 *   CSHORT Type;
 *   CSHORT Size;
 *   PDEVICE_OBJECT DeviceObject;
 *   PVPB Vpb;
 *   PVOID FsContext;
 *   PVOID FsContext2;
 *   PSECTION_OBJECT_POINTERS SectionObjectPointer;
 *   PVOID PrivateCacheMap;
 *   NTSTATUS FinalStatus;
 *   struct _FILE_OBJECT *RelatedFileObject;
 *   BOOLEAN LockOperation;
 *   BOOLEAN DeletePending;
 *   BOOLEAN ReadAccess;
 *   BOOLEAN WriteAccess;
 *   BOOLEAN DeleteAccess;
 *   BOOLEAN SharedRead;
 *   BOOLEAN SharedWrite;
 *   BOOLEAN SharedDelete;
 *   ULONG Flags;
 *   UNICODE_STRING FileName;
 *   LARGE_INTEGER CurrentByteOffset;
 *   __volatile ULONG Waiters;
 *   __volatile ULONG Busy;
 *   PVOID LastLock;
 *   KEVENT Lock;
 *   KEVENT Event;
 *   __volatile PIO_COMPLETION_CONTEXT CompletionContext;
 *   KSPIN_LOCK IrpListLock;
 *   LIST_ENTRY IrpList;
 *   __volatile PVOID FileObjectExtension;
 * } FILE_OBJECT, *PFILE_OBJECT;
 * }</pre>
 */
public final class FILE_OBJECT {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** CSHORT: IO_TYPE_FILE (5). */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** CSHORT, bytes: sizeof(FILE_OBJECT). */
    public static final long SIZE_OFFSET = X64.offset("Size");
    /** PDEVICE_OBJECT: the device the file was opened on. */
    public static final long DEVICE_OBJECT_OFFSET = X64.offset("DeviceObject");
    /** PVPB: the mounted volume's parameter block. */
    public static final long VPB_OFFSET = X64.offset("Vpb");
    /** PVOID: the driver's per-stream context. */
    public static final long FS_CONTEXT_OFFSET = X64.offset("FsContext");
    /** PVOID: the driver's per-open context. */
    public static final long FS_CONTEXT2_OFFSET = X64.offset("FsContext2");
    /** NTSTATUS: the status of the last failed paging I/O. */
    public static final long FINAL_STATUS_OFFSET = X64.offset("FinalStatus");
    /** PFILE_OBJECT: the related (directory) file object. */
    public static final long RELATED_FILE_OBJECT_OFFSET = X64.offset("RelatedFileObject");
    /** BOOLEAN: a delete was requested. */
    public static final long DELETE_PENDING_OFFSET = X64.offset("DeletePending");
    /** ULONG: FO_* flags. */
    public static final long FLAGS_OFFSET = X64.offset("Flags");
    /** UNICODE_STRING: the name of the file on its device. */
    public static final long FILE_NAME_OFFSET = X64.offset("FileName");
    /** LARGE_INTEGER, bytes: the file position of synchronous I/O. */
    public static final long CURRENT_BYTE_OFFSET_OFFSET = X64.offset("CurrentByteOffset");
    /** KEVENT: serializes synchronous I/O on the file. */
    public static final long LOCK_OFFSET = X64.offset("Lock");
    /** KEVENT: signalled when an I/O on the file completes. */
    public static final long EVENT_OFFSET = X64.offset("Event");
    /** ULONG: threads waiting for the file object's lock (synchronous I/O). */
    public static final long WAITERS_OFFSET = X64.offset("Waiters");
    /** ULONG: nonzero while a synchronous request holds the file object's lock. */
    public static final long BUSY_OFFSET = X64.offset("Busy");
    /** KSPIN_LOCK: guards IrpList. */
    public static final long IRP_LIST_LOCK_OFFSET = X64.offset("IrpListLock");
    /** LIST_ENTRY: the IRPs outstanding on the file. */
    public static final long IRP_LIST_OFFSET = X64.offset("IrpList");
    /** PVOID: the file object extension. */
    public static final long FILE_OBJECT_EXTENSION_OFFSET = X64.offset("FileObjectExtension");

    private FILE_OBJECT() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("FILE_OBJECT", abi)
                .field("Type", CType.CSHORT)
                .field("Size", CType.CSHORT)
                .field("DeviceObject", CType.pointer("PDEVICE_OBJECT"))
                .field("Vpb", CType.pointer("PVPB"))
                .field("FsContext", CType.PVOID)
                .field("FsContext2", CType.PVOID)
                .field("SectionObjectPointer", CType.pointer("PSECTION_OBJECT_POINTERS"))
                .field("PrivateCacheMap", CType.PVOID)
                .field("FinalStatus", CType.NTSTATUS)
                .field("RelatedFileObject", CType.pointer("PFILE_OBJECT"))
                .field("LockOperation", CType.BOOLEAN)
                .field("DeletePending", CType.BOOLEAN)
                .field("ReadAccess", CType.BOOLEAN)
                .field("WriteAccess", CType.BOOLEAN)
                .field("DeleteAccess", CType.BOOLEAN)
                .field("SharedRead", CType.BOOLEAN)
                .field("SharedWrite", CType.BOOLEAN)
                .field("SharedDelete", CType.BOOLEAN)
                .field("Flags", CType.ULONG)
                .field("FileName", UNICODE_STRING.of(abi))
                .field("CurrentByteOffset", LARGE_INTEGER.of(abi))
                .field("Waiters", CType.ULONG)
                .field("Busy", CType.ULONG)
                .field("LastLock", CType.PVOID)
                .field("Lock", KEVENT.of(abi))
                .field("Event", KEVENT.of(abi))
                .field("CompletionContext", CType.pointer("PIO_COMPLETION_CONTEXT"))
                .field("IrpListLock", CType.KSPIN_LOCK)
                .field("IrpList", LIST_ENTRY.of(abi))
                .field("FileObjectExtension", CType.PVOID)
                .build();
    }
}
