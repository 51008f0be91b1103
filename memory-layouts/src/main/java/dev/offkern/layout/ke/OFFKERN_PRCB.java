package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * offkern's per-processor control block (runtime-private, x64 only): the subset of NT's KPRCB that
 * offkern's processors use, under KPRCB's member names where KPRCB has the member, with the two
 * byte-exact {@link KDPC_DATA} queues a {@code KDPC.DpcData} points into. NT's KPRCB itself is
 * undocumented and tens of kilobytes; only {@code DpcData} keeps its Windows type here (not its
 * KPRCB offset). One block per logical processor, in one array whose blocks are {@link #STRIDE}
 * bytes apart.
 * <pre>
 *  0x00  ULONG      Number             processor number (0-based, group 0)
 *  0x04  USHORT     Group              processor group (always 0: one group of at most 64)
 *  0x06  UCHAR      GroupIndex         index in the group (== Number)
 *  0x07  UCHAR      ThreadDpcEnable    1 if threaded DPCs run on the processor's DPC thread, 0 if
 *                                      they run as normal DPCs (KernelConfig)
 *  0x08  ULONG      DpcRoutineActive   non-zero while a DPC routine or a service request runs here
 *  0x0C  ULONG      DpcThreadActive    non-zero while the threaded-DPC thread runs a routine
 *  0x10  KDPC_DATA  DpcData[2]         [DPC_NORMAL] and [DPC_THREADED] queues (0x28 bytes each)
 *  0x60  ULONG64    ServiceCount       service requests run (Processor.submit)
 *  0x68  ULONG64    DpcRequestSummary  bit 0: the service thread is asked to drain DpcData[0]
 *  0x70  PKTHREAD   DpcDrainOwner      the thread draining DpcData[DPC_NORMAL] now, NULL if none:
 *                                      the token that keeps one processor's DPCs from running
 *                                      concurrently
 *  0x78  ULONG      DpcQueuedCount[2]  DPCs inserted into DpcData[DPC_NORMAL] and [DPC_THREADED] (each
 *                                      written under its queue's DpcLock; a statistic, wraps at 2^32)
 *  0x80  (padding to 0x100)            two cache lines of spacing
 * </pre>
 *
 * <p>Spacing rule: NT structures are never padded; runtime-private hot blocks are spaced by two
 * cache lines: the used fields fill the first two lines and the next two are explicit padding, so
 * two processors' blocks never share a line nor an adjacent-line prefetch pair.
 */
public final class OFFKERN_PRCB {
    /** Bytes from one processor's block to the next. */
    public static final int STRIDE = 0x100;

    /** The block's layout (x64, STRIDE bytes, STRIDE-aligned). */
    public static final StructSpec X64 = build();
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: processor number. */
    public static final long NUMBER_OFFSET = X64.offset("Number");
    /** USHORT: processor group. */
    public static final long GROUP_OFFSET = X64.offset("Group");
    /** UCHAR: index within the group. */
    public static final long GROUP_INDEX_OFFSET = X64.offset("GroupIndex");
    /** UCHAR: whether threaded DPCs run on the DPC thread (1) or as normal DPCs (0). */
    public static final long THREAD_DPC_ENABLE_OFFSET = X64.offset("ThreadDpcEnable");
    /** ULONG: non-zero while a DPC routine or a service request runs on this processor. */
    public static final long DPC_ROUTINE_ACTIVE_OFFSET = X64.offset("DpcRoutineActive");
    /** ULONG: non-zero while the threaded-DPC thread runs a routine. */
    public static final long DPC_THREAD_ACTIVE_OFFSET = X64.offset("DpcThreadActive");
    /** KDPC_DATA[2]: the normal and threaded DPC queues. */
    public static final long DPC_DATA_OFFSET = X64.offset("DpcData");
    /** Bytes of one KDPC_DATA element of DpcData. */
    public static final long DPC_DATA_SIZE = KDPC_DATA.X64.size();
    /** ULONG64: service requests run. */
    public static final long SERVICE_COUNT_OFFSET = X64.offset("ServiceCount");
    /** ULONG64: request bits (bit 0: drain the normal DPC queue). */
    public static final long DPC_REQUEST_SUMMARY_OFFSET = X64.offset("DpcRequestSummary");
    /** PKTHREAD: the thread draining the normal DPC queue, NULL if none. */
    public static final long DPC_DRAIN_OWNER_OFFSET = X64.offset("DpcDrainOwner");
    /** ULONG[2]: DPCs inserted into each queue (index DPC_NORMAL or DPC_THREADED). */
    public static final long DPC_QUEUED_COUNT_OFFSET = X64.offset("DpcQueuedCount");

    private OFFKERN_PRCB() {
    }

    /** Offset of {@code DpcQueuedCount[index]} (index DPC_NORMAL or DPC_THREADED). */
    public static long dpcQueuedCountOffset(int index) {
        return DPC_QUEUED_COUNT_OFFSET + index * 4L;
    }

    /** Offset of {@code DpcData[index]} (index DPC_NORMAL or DPC_THREADED). */
    public static long dpcDataOffset(int index) {
        return DPC_DATA_OFFSET + index * DPC_DATA_SIZE;
    }

    private static StructSpec build() {
        Abi abi = Abi.X64;
        return CStruct.opaque("OFFKERN_PRCB", abi)
                .field("Number", CType.ULONG)
                .field("Group", CType.USHORT)
                .field("GroupIndex", CType.UCHAR)
                .field("ThreadDpcEnable", CType.UCHAR)
                .field("DpcRoutineActive", CType.ULONG)
                .field("DpcThreadActive", CType.ULONG)
                .array("DpcData", KDPC_DATA.of(abi), 2)
                .field("ServiceCount", CType.ULONG64)
                .field("DpcRequestSummary", CType.ULONG64)
                .field("DpcDrainOwner", CType.pointer("PKTHREAD"))
                .array("DpcQueuedCount", CType.ULONG, 2)
                .sizeTo(STRIDE)
                .alignAs(STRIDE)
                .build();
    }
}
