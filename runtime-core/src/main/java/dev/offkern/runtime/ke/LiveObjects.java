package dev.offkern.runtime.ke;

import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The verifier's registry of a kernel's armed timers (KTIMERs linked in the timer table, EX_TIMERs
 * included: their KTIMER is at offset 0) and queued DPCs, by address, so that freeing pool can ask
 * in O(log n + objects in the block) whether the block holds one: Driver Verifier's check that
 * raises TIMER_OR_DPC_INVALID (0xC7) with P1 0 (a timer: P2 the KTIMER, P3/P4 the block's start and
 * end) or 1 (a DPC: P2 the KDPC, P3/P4 the same) — the documented parameters. It also knows the
 * live EX_TIMERs: one freed with ExFreePool instead of ExDeleteTimer is 0xC7 with P1 0 as well.
 * And the queued WORK_QUEUE_ITEMs (system work queues, IO_WORKITEMs included): freeing a block
 * that holds one is WORKER_INVALID (0xE4) with P1 0, the item and the block's start and end.
 *
 * <p>It exists only when the kernel runs the verifier's DPC family ({@link KernelCore#liveObjects()}
 * is null otherwise, and the timer table, the DPC queues and the pools skip it). Entries are made
 * and removed by the one party that owns the object's state at that moment: the timer table under
 * its lock when it links or unlinks a timer; a DPC queue under its DpcLock after it claimed
 * {@code KDPC.DpcData} and before it clears it. So an entry exists while the object is armed or
 * queued; an entry left behind by a queue or bucket that was emptied because it was corrupt stays
 * (harmless: the check confirms the object's state in memory before it raises, and removing it
 * there could race a new arm of the same object).
 *
 * <p>Progress: lock-free ({@link ConcurrentSkipListMap}); allocates a node per entry (verifier only).
 */
public final class LiveObjects {
    private static final Integer TIMER = 0;
    private static final Integer DPC = 1;
    private static final Integer WORK_ITEM = 2;

    private final KernelCore kernel;
    private final ConcurrentSkipListMap<Long, Integer> objects = new ConcurrentSkipListMap<>();
    /** Live EX_TIMERs (allocated, not yet freed by ExDeleteTimer): freeing one with ExFreePool is 0xC7 too. */
    private final ConcurrentSkipListSet<Long> exTimers = new ConcurrentSkipListSet<>();

    LiveObjects(KernelCore kernel) {
        this.kernel = kernel;
    }

    /** A timer was linked into the timer table (under its lock). */
    void timerArmed(long timer) {
        objects.put(timer, TIMER);
    }

    /** A timer left the timer table (under its lock). */
    void timerDisarmed(long timer) {
        objects.remove(timer, TIMER);
    }

    /** A DPC was queued (its DpcData claimed, under the queue's DpcLock). */
    void dpcQueued(long dpc) {
        objects.put(dpc, DPC);
    }

    /** A DPC is being dequeued (before its DpcData is cleared, under the queue's DpcLock). */
    void dpcDequeued(long dpc) {
        objects.remove(dpc, DPC);
    }

    /** A WORK_QUEUE_ITEM was linked into a system work queue (under the queues' lock). Runtime-internal (ex). */
    public void workItemQueued(long item) {
        objects.put(item, WORK_ITEM);
    }

    /** A WORK_QUEUE_ITEM was taken off its work queue (under the queues' lock, before its Flink is cleared). */
    public void workItemDequeued(long item) {
        objects.remove(item, WORK_ITEM);
    }

    /** An EX_TIMER was allocated (ExAllocateTimer). */
    void exTimerAllocated(long timer) {
        exTimers.add(timer);
    }

    /** An EX_TIMER is about to be freed by ExDeleteTimer (finalized, under the timer-table lock). */
    void exTimerFreed(long timer) {
        exTimers.remove(timer);
    }

    /** Armed timers and queued DPCs registered now (tests). */
    public int size() {
        return objects.size();
    }

    /**
     * Raises TIMER_OR_DPC_INVALID (0xC7) if {@code [start, start + length)} — a pool block about to
     * be freed — holds an armed timer or a queued DPC; returns normally otherwise.
     */
    public void checkFree(long start, long length) {
        // Runs on every pool free under the DPC family: allocate nothing when nothing is registered (the usual
        // state), and only the boxed start when nothing lies in the block (the subMap view, its boxed bounds and
        // its entry set were 168 B per check: LiveObjectsTest).
        boolean noExTimers = exTimers.isEmpty();
        if (noExTimers && objects.isEmpty()) {
            return;
        }
        long end = start + length;
        Long from = start;
        Long ex = noExTimers ? null : exTimers.ceiling(from);
        if (ex != null && ex < end) {
            throw kernel.bugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, 0, ex, start, end, "freeing pool block 0x"
                    + Long.toHexString(start) + " that holds EX_TIMER 0x" + Long.toHexString(ex)
                    + ", which was not deleted (ExDeleteTimer frees it)");
        }
        Long first = objects.ceilingKey(from);
        if (first == null || first >= end) {
            return;
        }
        for (Map.Entry<Long, Integer> e : objects.subMap(first, true, end, false).entrySet()) {
            long address = e.getKey();
            if (e.getValue() == WORK_ITEM) {
                checkWorkItemFree(address, start, end);
                continue;
            }
            boolean timer = e.getValue() == TIMER;
            Region r = kernel.addressSpace().find(address, timer ? KeTimer.KTIMER_SIZE : KeDpc.KDPC_SIZE);
            if (r == null) {
                continue;
            }
            MemorySegment seg = r.segment();
            long off = r.offsetOf(address);
            if (timer) {
                int type = Dispatcher.type(seg, off);
                if ((type == Dispatcher.TIMER_NOTIFICATION_OBJECT || type == Dispatcher.TIMER_SYNCHRONIZATION_OBJECT)
                        && TimerTable.inserted(seg, off)) {
                    throw kernel.bugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, 0, address, start, end, "freeing pool block 0x"
                            + Long.toHexString(start) + " that holds KTIMER 0x" + Long.toHexString(address)
                            + ", which is still set (cancel it first)");
                }
            } else {
                long data = DpcQueue.dpcData(seg, off);
                if (data != 0 && DpcQueue.isQueueOf(kernel, data)) {
                    throw kernel.bugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, KeDpc.DPC_INVALID_MEMORY, address, start, end,
                            "freeing pool block 0x" + Long.toHexString(start) + " that holds KDPC 0x" + Long.toHexString(address)
                                    + ", which is still queued (remove it or flush the DPCs first)");
                }
            }
            // else stale (left by a queue or bucket emptied as corrupt), or disarmed meanwhile: not this block's problem
        }
    }

    /**
     * WORKER_INVALID (0xE4: 0, the item, the block's start, its end) if the WORK_QUEUE_ITEM at
     * {@code item} is still queued (its List.Flink non-NULL: a dequeued item's Flink is NULL).
     */
    private void checkWorkItemFree(long item, long start, long end) {
        Region r = kernel.addressSpace().find(item, WORK_QUEUE_ITEM.X64.size());
        if (r == null) {
            return;
        }
        long flink = r.segment().get(ValueLayout.JAVA_LONG, r.offsetOf(item) + WORK_QUEUE_ITEM.LIST_OFFSET + LIST_ENTRY.FLINK_OFFSET);
        if (flink != 0) {
            throw kernel.bugCheck(BugCheckCode.WORKER_INVALID, 0, item, start, end, "freeing pool block 0x" + Long.toHexString(start)
                    + " that holds WORK_QUEUE_ITEM 0x" + Long.toHexString(item) + ", which is still queued to a system worker queue");
        }
    }
}
