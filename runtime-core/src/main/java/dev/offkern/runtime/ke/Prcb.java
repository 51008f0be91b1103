package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.KDPC_DATA;
import dev.offkern.layout.ke.OFFKERN_PRCB;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Accessors of the runtime-private per-processor control block ({@code OFFKERN_PRCB} in
 * memory-layouts: a KPRCB subset with the two byte-exact KDPC_DATA queues): one block per logical
 * processor, off-heap, in one array whose blocks are {@link #STRIDE} bytes apart. The layout, its
 * diagram and the spacing rule live in {@link OFFKERN_PRCB}; this class owns the atomic protocol of
 * the fields that are not the DPC queues' (those belong to {@link DpcQueue}).
 */
public final class Prcb {
    /** Bytes from one processor's block to the next. */
    public static final int STRIDE = OFFKERN_PRCB.STRIDE;

    /** ULONG: processor number. */
    public static final long NUMBER_OFFSET = OFFKERN_PRCB.NUMBER_OFFSET;
    /** USHORT: processor group. */
    public static final long GROUP_OFFSET = OFFKERN_PRCB.GROUP_OFFSET;
    /** UCHAR: index within the group. */
    public static final long GROUP_INDEX_OFFSET = OFFKERN_PRCB.GROUP_INDEX_OFFSET;
    /** ULONG: non-zero while a DPC or service request runs on this processor. */
    public static final long DPC_ROUTINE_ACTIVE_OFFSET = OFFKERN_PRCB.DPC_ROUTINE_ACTIVE_OFFSET;
    /** ULONG64: service requests run. */
    public static final long SERVICE_COUNT_OFFSET = OFFKERN_PRCB.SERVICE_COUNT_OFFSET;

    private Prcb() {
    }

    /**
     * Initializes {@code prcb} (one STRIDE-byte block) for processor {@code number}: zeroes, ids,
     * ThreadDpcEnable, two empty DPC queues (ListHead NULL, LastEntry = {@code &ListHead}).
     */
    static void initialize(MemorySegment prcb, int number, boolean threadedDpcs) {
        prcb.fill((byte) 0);
        prcb.set(ValueLayout.JAVA_INT, NUMBER_OFFSET, number);
        prcb.set(ValueLayout.JAVA_SHORT, GROUP_OFFSET, (short) 0);
        prcb.set(ValueLayout.JAVA_BYTE, GROUP_INDEX_OFFSET, (byte) number);
        prcb.set(ValueLayout.JAVA_BYTE, OFFKERN_PRCB.THREAD_DPC_ENABLE_OFFSET, (byte) (threadedDpcs ? 1 : 0));
        for (int q = KDPC_DATA.DPC_NORMAL; q <= KDPC_DATA.DPC_THREADED; q++) {
            long data = OFFKERN_PRCB.dpcDataOffset(q);
            prcb.set(ValueLayout.JAVA_LONG, data + KDPC_DATA.LAST_ENTRY_OFFSET, prcb.address() + data + KDPC_DATA.LIST_HEAD_OFFSET);
        }
    }

    /** Whether threaded DPCs run on the processor's DPC thread (ThreadDpcEnable). */
    static boolean threadDpcEnable(MemorySegment prcb) {
        return prcb.get(ValueLayout.JAVA_BYTE, OFFKERN_PRCB.THREAD_DPC_ENABLE_OFFSET) != 0;
    }

    /** DpcRoutineActive (volatile read: other threads, e.g. KeFlushQueuedDpcs, poll it). */
    public static int dpcRoutineActive(MemorySegment prcb) {
        return (int) DPC_ROUTINE_ACTIVE.getVolatile(prcb, DPC_ROUTINE_ACTIVE_OFFSET);
    }

    /**
     * Sets DpcRoutineActive. Release store: writes made by the routine before it finishes happen
     * before an observer that reads 0 with {@link #dpcRoutineActive} (acquire via volatile read).
     */
    static void setDpcRoutineActive(MemorySegment prcb, int value) {
        DPC_ROUTINE_ACTIVE.setRelease(prcb, DPC_ROUTINE_ACTIVE_OFFSET, value);
    }

    /** ServiceCount (opaque read: a statistic, may be stale). */
    public static long serviceCount(MemorySegment prcb) {
        return (long) SERVICE_COUNT.getOpaque(prcb, SERVICE_COUNT_OFFSET);
    }

    /** Increments ServiceCount; only the processor's service thread writes it (single writer, opaque store). */
    static void incrementServiceCount(MemorySegment prcb) {
        SERVICE_COUNT.setOpaque(prcb, SERVICE_COUNT_OFFSET, (long) SERVICE_COUNT.getOpaque(prcb, SERVICE_COUNT_OFFSET) + 1);
    }

    // ----- VarHandle mechanics -----
    private static final VarHandle DPC_ROUTINE_ACTIVE = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle SERVICE_COUNT = ValueLayout.JAVA_LONG.varHandle();
}
