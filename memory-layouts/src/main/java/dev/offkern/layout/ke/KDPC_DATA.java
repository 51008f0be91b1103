package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * One of a processor's two DPC queues with its lock and counters ({@code KPRCB.DpcData[DPC_NORMAL]}
 * and {@code [DPC_THREADED]}): what {@code KDPC.DpcData} points to while the DPC is queued. Windows
 * 8.1+ layout from Windows 10 22H2's public symbols (x64 0x28 bytes, x86 0x18; see
 * docs/layout-sources.md); no WDK header declares it.
 * <pre>{@code
 * typedef struct _KDPC_DATA {          //  x64   x86
 *   KDPC_LIST DpcList;                 //  0x00  0x00  the queue
 *   KSPIN_LOCK DpcLock;                //  0x10  0x08  guards DpcList and DpcQueueDepth
 *   volatile LONG DpcQueueDepth;       //  0x18  0x0C  DPCs queued
 *   ULONG DpcCount;                    //  0x1C  0x10  DPCs run from this queue
 *   KDPC * volatile ActiveDpc;         //  0x20  0x14  the DPC whose routine runs now, or NULL
 * } KDPC_DATA;                         //  0x28  0x18
 * }</pre>
 */
public final class KDPC_DATA {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** Index of the normal DPC queue in {@code KPRCB.DpcData} (wdm.h DPC_NORMAL). */
    public static final int DPC_NORMAL = 0;
    /** Index of the threaded DPC queue in {@code KPRCB.DpcData} (wdm.h DPC_THREADED). */
    public static final int DPC_THREADED = 1;

    /** KDPC_LIST: the queue. */
    public static final long DPC_LIST_OFFSET = X64.offset("DpcList");
    /** PSINGLE_LIST_ENTRY: {@code DpcList.ListHead.Next}, the first queued entry. */
    public static final long LIST_HEAD_OFFSET = DPC_LIST_OFFSET + KDPC_LIST.LIST_HEAD_OFFSET;
    /** PSINGLE_LIST_ENTRY: {@code DpcList.LastEntry}, the last queued entry ({@code &ListHead} when empty). */
    public static final long LAST_ENTRY_OFFSET = DPC_LIST_OFFSET + KDPC_LIST.LAST_ENTRY_OFFSET;
    /** KSPIN_LOCK: guards the list and the depth. */
    public static final long DPC_LOCK_OFFSET = X64.offset("DpcLock");
    /** LONG: DPCs queued now. */
    public static final long DPC_QUEUE_DEPTH_OFFSET = X64.offset("DpcQueueDepth");
    /** ULONG: DPCs run from this queue. */
    public static final long DPC_COUNT_OFFSET = X64.offset("DpcCount");
    /** PKDPC: the DPC whose routine runs now, NULL between routines. */
    public static final long ACTIVE_DPC_OFFSET = X64.offset("ActiveDpc");

    private KDPC_DATA() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.opaque("KDPC_DATA", abi)
                .field("DpcList", KDPC_LIST.of(abi))
                .field("DpcLock", CType.KSPIN_LOCK)
                .field("DpcQueueDepth", CType.LONG)
                .field("DpcCount", CType.ULONG)
                .field("ActiveDpc", CType.pointer("PKDPC"))
                .build();
    }
}
