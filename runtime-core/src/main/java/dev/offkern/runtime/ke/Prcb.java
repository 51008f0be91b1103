package dev.offkern.runtime.ke;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The runtime-private per-processor state block (offkern's KPRCB): one per logical processor,
 * off-heap, in one array whose blocks are {@link #STRIDE} bytes apart. This is not NT's KPRCB
 * layout (which is undocumented and huge); it holds what offkern's processors need, under NT's
 * field names where NT has the field.
 *
 * <pre>
 *  0x00  ULONG       Number             processor number (0-based, group 0)
 *  0x04  USHORT      Group              processor group (always 0: one group of at most 64)
 *  0x06  UCHAR       GroupIndex         index in the group (== Number)
 *  0x07  UCHAR       (padding)
 *  0x08  ULONG       DpcRoutineActive   non-zero while the service thread runs a DPC/request
 *  0x0C  ULONG       DpcQueueDepth      DPCs queued on DpcListHead
 *  0x10  LIST_ENTRY  DpcListHead        queue of KDPC.DpcListEntry (empty: points at itself)
 *  0x20  KSPIN_LOCK  DpcLock            guards DpcListHead and DpcQueueDepth
 *  0x28  ULONG64     DpcCount           DPCs run
 *  0x30  ULONG64     ServiceCount       service requests run (submit())
 *  0x38  ULONG64     DpcRequestSummary  bit 0: a DPC drain is requested
 *  0x40  (padding to 0x80)              second cache line: spacing
 * </pre>
 *
 * <p>Spacing rule: NT structures are never padded, runtime-private hot blocks are spaced by two cache
 * lines: the used fields sit in the first line and the second line is explicit padding, so two
 * processors' blocks never share a line nor an adjacent-line prefetch pair.
 */
public final class Prcb {
    /** Bytes from one processor's block to the next: two 64-byte cache lines. */
    public static final int STRIDE = 128;

    /** The block's layout (128 bytes, 128-byte aligned). */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("Number"),
            ValueLayout.JAVA_SHORT.withName("Group"),
            ValueLayout.JAVA_BYTE.withName("GroupIndex"),
            MemoryLayout.paddingLayout(1),
            ValueLayout.JAVA_INT.withName("DpcRoutineActive"),
            ValueLayout.JAVA_INT.withName("DpcQueueDepth"),
            MemoryLayout.structLayout(
                    ValueLayout.JAVA_LONG.withName("Flink"),
                    ValueLayout.JAVA_LONG.withName("Blink")).withName("DpcListHead"),
            ValueLayout.JAVA_LONG.withName("DpcLock"),
            ValueLayout.JAVA_LONG.withName("DpcCount"),
            ValueLayout.JAVA_LONG.withName("ServiceCount"),
            ValueLayout.JAVA_LONG.withName("DpcRequestSummary"),
            MemoryLayout.paddingLayout(0x40)).withByteAlignment(STRIDE).withName("OFFKERN_PRCB");

    /** ULONG: processor number. */
    public static final long NUMBER_OFFSET = off("Number");
    /** USHORT: processor group. */
    public static final long GROUP_OFFSET = off("Group");
    /** UCHAR: index within the group. */
    public static final long GROUP_INDEX_OFFSET = off("GroupIndex");
    /** ULONG: non-zero while a DPC or service request runs on this processor. */
    public static final long DPC_ROUTINE_ACTIVE_OFFSET = off("DpcRoutineActive");
    /** ULONG: DPCs queued. */
    public static final long DPC_QUEUE_DEPTH_OFFSET = off("DpcQueueDepth");
    /** LIST_ENTRY: DPC queue head. */
    public static final long DPC_LIST_HEAD_OFFSET = off("DpcListHead");
    /** KSPIN_LOCK: guards the DPC queue. */
    public static final long DPC_LOCK_OFFSET = off("DpcLock");
    /** ULONG64: DPCs run. */
    public static final long DPC_COUNT_OFFSET = off("DpcCount");
    /** ULONG64: service requests run. */
    public static final long SERVICE_COUNT_OFFSET = off("ServiceCount");
    /** ULONG64: request bits (bit 0: drain DPCs). */
    public static final long DPC_REQUEST_SUMMARY_OFFSET = off("DpcRequestSummary");

    static {
        if (LAYOUT.byteSize() != STRIDE) {
            throw new ExceptionInInitializerError("OFFKERN_PRCB must be " + STRIDE + " bytes, is " + LAYOUT.byteSize());
        }
    }

    private Prcb() {
    }

    private static long off(String name) {
        return LAYOUT.byteOffset(groupElement(name));
    }

    /** Initializes {@code prcb} (one STRIDE-byte block) for processor {@code number}: zeroes, ids, empty DPC list. */
    static void initialize(MemorySegment prcb, int number) {
        prcb.fill((byte) 0);
        prcb.set(ValueLayout.JAVA_INT, NUMBER_OFFSET, number);
        prcb.set(ValueLayout.JAVA_SHORT, GROUP_OFFSET, (short) 0);
        prcb.set(ValueLayout.JAVA_BYTE, GROUP_INDEX_OFFSET, (byte) number);
        long head = prcb.address() + DPC_LIST_HEAD_OFFSET;
        prcb.set(ValueLayout.JAVA_LONG, DPC_LIST_HEAD_OFFSET, head);      // Flink = &DpcListHead
        prcb.set(ValueLayout.JAVA_LONG, DPC_LIST_HEAD_OFFSET + 8, head);  // Blink = &DpcListHead
    }

    /** DpcRoutineActive (volatile read: other threads, e.g. KeFlushQueuedDpcs later, poll it). */
    public static int dpcRoutineActive(MemorySegment prcb) {
        return (int) DPC_ROUTINE_ACTIVE.getVolatile(prcb, 0L);
    }

    /**
     * Sets DpcRoutineActive. Release store: writes made by the routine before it finishes happen
     * before an observer that reads 0 with {@link #dpcRoutineActive} (acquire via volatile read).
     */
    static void setDpcRoutineActive(MemorySegment prcb, int value) {
        DPC_ROUTINE_ACTIVE.setRelease(prcb, 0L, value);
    }

    /** ServiceCount (opaque read: a statistic, may be stale). */
    public static long serviceCount(MemorySegment prcb) {
        return (long) SERVICE_COUNT.getOpaque(prcb, 0L);
    }

    /** Increments ServiceCount; only the processor's service thread writes it (single writer, opaque store). */
    static void incrementServiceCount(MemorySegment prcb) {
        SERVICE_COUNT.setOpaque(prcb, 0L, (long) SERVICE_COUNT.getOpaque(prcb, 0L) + 1);
    }

    // ----- VarHandle mechanics -----
    private static final VarHandle DPC_ROUTINE_ACTIVE = LAYOUT.varHandle(groupElement("DpcRoutineActive"));
    private static final VarHandle SERVICE_COUNT = LAYOUT.varHandle(groupElement("ServiceCount"));
}
