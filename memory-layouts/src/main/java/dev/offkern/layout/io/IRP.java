package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ke.KAPC;
import dev.offkern.layout.ke.KDEVICE_QUEUE_ENTRY;
import dev.offkern.layout.rtl.LARGE_INTEGER;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * An I/O request packet (the fixed part; IO_STACK_LOCATIONs follow it). Windows 10 22H2: 0xD0
 * bytes on x64, 0x70 on x86, where {@code Tail.Overlay} also holds {@code IrpExtension} (0x68),
 * which mingw-w64 does not declare. Microsoft's wdm.h declares the IRP
 * {@code DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT)}: 16-byte aligned on x64 (mingw-w64 omits the
 * attribute and reports 8; the size is 0xD0 either way), 8 on x86.
 * <pre>{@code
 * typedef struct DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) _IRP {
 *   CSHORT Type;
 *   USHORT Size;
 *   struct _MDL *MdlAddress;
 *   ULONG Flags;
 *   union {
 *     struct _IRP *MasterIrp;
 *     __volatile LONG IrpCount;
 *     PVOID SystemBuffer;
 *   } AssociatedIrp;
 *   LIST_ENTRY ThreadListEntry;
 *   IO_STATUS_BLOCK IoStatus;
 *   KPROCESSOR_MODE RequestorMode;
 *   BOOLEAN PendingReturned;
 *   CHAR StackCount;
 *   CHAR CurrentLocation;
 *   BOOLEAN Cancel;
 *   KIRQL CancelIrql;
 *   CCHAR ApcEnvironment;
 *   UCHAR AllocationFlags;
 *   PIO_STATUS_BLOCK UserIosb;
 *   PKEVENT UserEvent;
 *   union {
 *     struct {
 *       union { PIO_APC_ROUTINE UserApcRoutine; PVOID IssuingProcess; };
 *       PVOID UserApcContext;
 *     } AsynchronousParameters;
 *     LARGE_INTEGER AllocationSize;
 *   } Overlay;
 *   __volatile PDRIVER_CANCEL CancelRoutine;
 *   PVOID UserBuffer;
 *   union {
 *     struct {
 *       union {
 *         KDEVICE_QUEUE_ENTRY DeviceQueueEntry;
 *         struct { PVOID DriverContext[4]; };
 *       };
 *       PETHREAD Thread;
 *       PCHAR AuxiliaryBuffer;
 *       struct {
 *         LIST_ENTRY ListEntry;
 *         union {
 *           struct _IO_STACK_LOCATION *CurrentStackLocation;
 *           ULONG PacketType;
 *         };
 *       };
 *       struct _FILE_OBJECT *OriginalFileObject;
 * #if defined(_X86_)
 *       PVOID IrpExtension;                      // Windows 10 x86 symbols
 * #endif
 *     } Overlay;
 *     KAPC Apc;
 *     PVOID CompletionKey;
 *   } Tail;
 * } IRP, *PIRP;
 * }</pre>
 */
public final class IRP {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** CSHORT: IO_TYPE_IRP (6). */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** USHORT, bytes: the IRP including its stack locations. */
    public static final long SIZE_OFFSET = X64.offset("Size");
    /** PMDL: the MDL chain describing the user buffer (direct I/O). */
    public static final long MDL_ADDRESS_OFFSET = X64.offset("MdlAddress");
    /** ULONG: IRP_* flags. */
    public static final long FLAGS_OFFSET = X64.offset("Flags");
    /** PVOID: the system buffer (buffered I/O); overlays MasterIrp and IrpCount. */
    public static final long ASSOCIATED_IRP_SYSTEM_BUFFER_OFFSET = X64.offset("AssociatedIrp.SystemBuffer");
    /** LIST_ENTRY: link in the issuing thread's IRP list. */
    public static final long THREAD_LIST_ENTRY_OFFSET = X64.offset("ThreadListEntry");
    /** IO_STATUS_BLOCK: the final status. */
    public static final long IO_STATUS_OFFSET = X64.offset("IoStatus");
    /** KPROCESSOR_MODE: where the request came from. */
    public static final long REQUESTOR_MODE_OFFSET = X64.offset("RequestorMode");
    /** BOOLEAN: a driver returned STATUS_PENDING. */
    public static final long PENDING_RETURNED_OFFSET = X64.offset("PendingReturned");
    /** CHAR, count: the stack locations. */
    public static final long STACK_COUNT_OFFSET = X64.offset("StackCount");
    /** CHAR: the current stack location, 1-based, StackCount+1 before the first call. */
    public static final long CURRENT_LOCATION_OFFSET = X64.offset("CurrentLocation");
    /** BOOLEAN: the IRP was cancelled. */
    public static final long CANCEL_OFFSET = X64.offset("Cancel");
    /** KIRQL: the IRQL saved by IoAcquireCancelSpinLock. */
    public static final long CANCEL_IRQL_OFFSET = X64.offset("CancelIrql");
    /** CCHAR: the APC environment of the issuing thread. */
    public static final long APC_ENVIRONMENT_OFFSET = X64.offset("ApcEnvironment");
    /** UCHAR: IRP_ALLOCATED_* / IRP_QUOTA_CHARGED, how the IRP was allocated. */
    public static final long ALLOCATION_FLAGS_OFFSET = X64.offset("AllocationFlags");
    /** PIO_STATUS_BLOCK: the caller's status block. */
    public static final long USER_IOSB_OFFSET = X64.offset("UserIosb");
    /** PKEVENT: the event signalled on completion. */
    public static final long USER_EVENT_OFFSET = X64.offset("UserEvent");
    /** PIO_APC_ROUTINE: completion APC routine. */
    public static final long OVERLAY_ASYNCHRONOUS_PARAMETERS_USER_APC_ROUTINE_OFFSET = X64.offset("Overlay.AsynchronousParameters.UserApcRoutine");
    /** PDRIVER_CANCEL: the cancel routine, or NULL. */
    public static final long CANCEL_ROUTINE_OFFSET = X64.offset("CancelRoutine");
    /** PVOID: the caller's buffer. */
    public static final long USER_BUFFER_OFFSET = X64.offset("UserBuffer");
    /** PVOID[4]: for the driver's use while it owns the IRP. */
    public static final long TAIL_OVERLAY_DRIVER_CONTEXT_OFFSET = X64.offset("Tail.Overlay.DriverContext");
    /** PETHREAD: the thread that issued the request. */
    public static final long TAIL_OVERLAY_THREAD_OFFSET = X64.offset("Tail.Overlay.Thread");
    /** LIST_ENTRY: for the driver's use while it owns the IRP (cancel-safe queues link here). */
    public static final long TAIL_OVERLAY_LIST_ENTRY_OFFSET = X64.offset("Tail.Overlay.ListEntry");
    /** PIO_STACK_LOCATION: the current stack location. */
    public static final long TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET = X64.offset("Tail.Overlay.CurrentStackLocation");
    /** PFILE_OBJECT: the file object of the request. */
    public static final long TAIL_OVERLAY_ORIGINAL_FILE_OBJECT_OFFSET = X64.offset("Tail.Overlay.OriginalFileObject");
    /** KAPC: the completion APC. */
    public static final long TAIL_APC_OFFSET = X64.offset("Tail.Apc");
    /** PVOID: the I/O completion key. */
    public static final long TAIL_COMPLETION_KEY_OFFSET = X64.offset("Tail.CompletionKey");

    /** MEMORY_ALLOCATION_ALIGNMENT on x64: the alignment Windows declares. */
    public static final long ALIGNMENT_X64 = 16;
    /** IRP.Type: IO_TYPE_IRP. */
    public static final int IO_TYPE_IRP = 6;

    private IRP() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("IRP", abi)
                .field("Type", CType.CSHORT)
                .field("Size", CType.USHORT)
                .field("MdlAddress", CType.pointer("PMDL"))
                .field("Flags", CType.ULONG)
                .union("AssociatedIrp", u -> u.field("MasterIrp", CType.pointer("PIRP"))
                        .field("IrpCount", CType.LONG)
                        .field("SystemBuffer", CType.PVOID))
                .field("ThreadListEntry", LIST_ENTRY.of(abi))
                .field("IoStatus", IO_STATUS_BLOCK.of(abi))
                .field("RequestorMode", CType.KPROCESSOR_MODE)
                .field("PendingReturned", CType.BOOLEAN)
                .field("StackCount", CType.CHAR)
                .field("CurrentLocation", CType.CHAR)
                .field("Cancel", CType.BOOLEAN)
                .field("CancelIrql", CType.KIRQL)
                .field("ApcEnvironment", CType.CCHAR)
                .field("AllocationFlags", CType.UCHAR)
                .field("UserIosb", CType.pointer("PIO_STATUS_BLOCK"))
                .field("UserEvent", CType.pointer("PKEVENT"))
                .union("Overlay", u -> u
                        .struct("AsynchronousParameters", s -> s
                                .union(null, v -> v.field("UserApcRoutine", CType.pointer("PIO_APC_ROUTINE"))
                                        .field("IssuingProcess", CType.PVOID))
                                .field("UserApcContext", CType.PVOID))
                        .field("AllocationSize", LARGE_INTEGER.of(abi)))
                .field("CancelRoutine", CType.pointer("PDRIVER_CANCEL"))
                .field("UserBuffer", CType.PVOID)
                .union("Tail", u -> u
                        .struct("Overlay", s -> {
                            s.union(null, v -> v.field("DeviceQueueEntry", KDEVICE_QUEUE_ENTRY.of(abi))
                                            .struct(null, w -> w.array("DriverContext", CType.PVOID, 4)))
                                    .field("Thread", CType.pointer("PETHREAD"))
                                    .field("AuxiliaryBuffer", CType.pointer("PCHAR"))
                                    .struct(null, w -> w.field("ListEntry", LIST_ENTRY.of(abi))
                                            .union(null, v -> v
                                                    .field("CurrentStackLocation", CType.pointer("PIO_STACK_LOCATION"))
                                                    .field("PacketType", CType.ULONG)))
                                    .field("OriginalFileObject", CType.pointer("PFILE_OBJECT"));
                            if (abi == Abi.X86) {
                                s.field("IrpExtension", CType.PVOID);
                            }
                        })
                        .field("Apc", KAPC.of(abi))
                        .field("CompletionKey", CType.PVOID));
        if (abi == Abi.X64) {
            b.alignAs(ALIGNMENT_X64);
        }
        return b.build();
    }
}
