package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.layout.rtl.GUID;

import java.lang.foreign.StructLayout;

/**
 * An I/O work item (opaque; {@code IoAllocateWorkItem}, {@code IoInitializeWorkItem}):
 * Windows 10 22H2's layout, 0x58 bytes on x64 and 0x34 on x86 ({@code IoSizeofWorkItem()}),
 * every field at Windows' offset.
 *
 * <pre>{@code
 * typedef struct _IO_WORKITEM {                      // x64   x86
 *   WORK_QUEUE_ITEM WorkItem;                        // 0x00  0x00  (what the system worker queue links)
 *   PVOID Routine;                                   // 0x20  0x10  (IO_WORKITEM_ROUTINE or _EX)
 *   PVOID IoObject;                                  // 0x28  0x14  (the device or driver object, referenced while queued)
 *   PVOID Context;                                   // 0x30  0x18
 *   PETHREAD WorkOnBehalfThread;                     // 0x38  0x1c
 *   ULONG Type;                                      // 0x40  0x20  (how Routine is called, see below)
 *   GUID ActivityId;                                 // 0x44  0x24  (ETW activity of the queuing thread)
 * } IO_WORKITEM;                                     // 0x58  0x34
 * }</pre>
 *
 * <p>{@code WorkItem.WorkerRoutine} is the I/O manager's own worker; it calls {@code Routine}
 * with {@code (IoObject, Context)} for {@code IoQueueWorkItem} ({@link #TYPE_ROUTINE}) or
 * {@code (IoObject, Context, IoWorkItem)} for {@code IoQueueWorkItemEx} ({@link #TYPE_ROUTINE_EX}).
 * {@code Type} is offkern's encoding; Windows' values are not documented.
 * The {@code *_OFFSET} constants are the x64 offsets; use {@link #of(Abi)} for x86.
 */
public final class IO_WORKITEM {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** WORK_QUEUE_ITEM: the link and worker routine the system work queue uses. */
    public static final long WORK_ITEM_OFFSET = X64.offset("WorkItem");
    /** PIO_WORKITEM_ROUTINE or PIO_WORKITEM_ROUTINE_EX: the driver's callback, per Type. */
    public static final long ROUTINE_OFFSET = X64.offset("Routine");
    /** PVOID: the device or driver object the item was allocated/initialised for. */
    public static final long IO_OBJECT_OFFSET = X64.offset("IoObject");
    /** PVOID: the callback's context. */
    public static final long CONTEXT_OFFSET = X64.offset("Context");
    /** PETHREAD: the thread the work is done on behalf of, or NULL. */
    public static final long WORK_ON_BEHALF_THREAD_OFFSET = X64.offset("WorkOnBehalfThread");
    /** ULONG: {@link #TYPE_ROUTINE} or {@link #TYPE_ROUTINE_EX} while queued, 0 when idle. */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** GUID: the ETW activity id captured when queued. */
    public static final long ACTIVITY_ID_OFFSET = X64.offset("ActivityId");

    /** {@code Type}: queued by IoQueueWorkItem; Routine is an IO_WORKITEM_ROUTINE. */
    public static final int TYPE_ROUTINE = 1;
    /** {@code Type}: queued by IoQueueWorkItemEx; Routine is an IO_WORKITEM_ROUTINE_EX. */
    public static final int TYPE_ROUTINE_EX = 2;

    private IO_WORKITEM() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.opaque("IO_WORKITEM", abi)
                .field("WorkItem", WORK_QUEUE_ITEM.of(abi))
                .field("Routine", CType.pointer("PVOID"))
                .field("IoObject", CType.PVOID)
                .field("Context", CType.PVOID)
                .field("WorkOnBehalfThread", CType.pointer("PETHREAD"))
                .field("Type", CType.ULONG)
                .field("ActivityId", GUID.of(abi))
                .build();
    }
}
