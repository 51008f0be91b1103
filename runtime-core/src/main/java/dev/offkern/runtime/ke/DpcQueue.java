package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KDPC_DATA;
import dev.offkern.layout.ke.OFFKERN_PRCB;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One processor's DPC queue: the byte-exact {@code KDPC_DATA} in its PRCB ({@code DpcData[DPC_NORMAL]}
 * or {@code [DPC_THREADED]}) and the {@code KDPC}s linked into it through {@code DpcListEntry}, with
 * the protocol of NT's KiInsertQueueDpc / KeRemoveQueueDpc / KiRetireDpcList.
 *
 * <h2>State</h2>
 * <ul>
 *   <li>{@code DpcList.ListHead.Next}: the first queued KDPC's DpcListEntry (NULL when empty);
 *       {@code DpcList.LastEntry}: the last one (the address of ListHead when empty). Real
 *       addresses; every link is followed through the kernel's address space (a KDPC outside
 *       registered memory is PAGE_FAULT_IN_NONPAGED_AREA, never a JVM crash).</li>
 *   <li>{@code KDPC.DpcData}: the address of this KDPC_DATA while the DPC is queued here, NULL
 *       otherwise. It is the DPC's "queued" flag: inserting claims it with a CAS from NULL.</li>
 *   <li>{@code DpcQueueDepth}: the number of queued DPCs; {@code DpcCount}: DPCs run from here;
 *       {@code ActiveDpc}: the DPC whose routine runs now; the PRCB's {@code DpcQueuedCount[q]}: DPCs
 *       inserted here (a statistic, under DpcLock).</li>
 * </ul>
 *
 * <h2>Invariants (outside DpcLock)</h2>
 * A KDPC is linked in this list iff its DpcData holds this KDPC_DATA's address; DpcQueueDepth is
 * the list's length; LastEntry is the last link. Insert, remove and pop change all three under
 * {@code DpcLock} (a KSPIN_LOCK word in the KDPC_DATA: 0 free, 1 held; test-and-test-and-set),
 * so they hold whenever the lock is free.
 *
 * <h2>Which calls may run concurrently</h2>
 * <pre>
 *              insert   remove   pop
 *   insert       yes      yes     yes     (any threads, any IRQL)
 *   remove       yes      yes     yes
 *   pop           -        -      no      (one drainer per queue: the processor's drain token /
 *                                          its threaded-DPC thread; see KeDpc)
 * </pre>
 * Progress: blocking (DpcLock, held for a bounded number of loads and stores, except remove,
 * which walks the singly linked list to the predecessor: O(depth), as on Windows).
 */
final class DpcQueue {
    private static final long KDPC_SIZE = KDPC.X64.size();
    private static final long DPC_DATA_FIELD = KDPC.DPC_DATA_OFFSET;
    private static final long LIST_ENTRY = KDPC.DPC_LIST_ENTRY_OFFSET;

    private DpcQueue() {
    }

    /** Offset of queue {@code q} (DPC_NORMAL / DPC_THREADED) in a PRCB block. */
    static long dataOffset(int q) {
        return OFFKERN_PRCB.dpcDataOffset(q);
    }

    /** DpcQueueDepth of queue {@code q} (volatile read: pollers outside the lock). */
    static int depth(MemorySegment prcb, int q) {
        return (int) INT.getVolatile(prcb, dataOffset(q) + KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET);
    }

    /** ActiveDpc of queue {@code q} (volatile read). */
    static long activeDpc(MemorySegment prcb, int q) {
        return (long) LONG.getVolatile(prcb, dataOffset(q) + KDPC_DATA.ACTIVE_DPC_OFFSET);
    }

    /** DpcCount of queue {@code q} (opaque read: a statistic). */
    static int dpcCount(MemorySegment prcb, int q) {
        return (int) INT.getOpaque(prcb, dataOffset(q) + KDPC_DATA.DPC_COUNT_OFFSET);
    }

    /** DpcQueuedCount[q]: DPCs inserted into queue {@code q} (opaque read: a statistic). */
    static int queuedCount(MemorySegment prcb, int q) {
        return (int) INT.getOpaque(prcb, OFFKERN_PRCB.dpcQueuedCountOffset(q));
    }

    /** KDPC.DpcData of the DPC at {@code off} of {@code dpc} (volatile read). */
    static long dpcData(MemorySegment dpc, long off) {
        return (long) LONG.getVolatile(dpc, off + DPC_DATA_FIELD);
    }

    /**
     * Queues the DPC at {@code dpcOff} of {@code dpcSeg} on queue {@code q} of {@code prcb}
     * (KiInsertQueueDpc): under DpcLock, claims {@code KDPC.DpcData} with a CAS from NULL; on
     * success stores SystemArgument1/2, links the DPC at the head ({@code high}) or the tail and
     * increments the depth. Returns false, changing nothing, if the DPC was already queued
     * (anywhere): the first call's arguments stay.
     */
    static boolean insert(AddressSpace as, LiveObjects live, MemorySegment prcb, int q, MemorySegment dpcSeg, long dpcOff,
                          long arg1, long arg2, boolean high) {
        long data = dataOffset(q);
        long dataAddress = prcb.address() + data;
        lock(prcb, data);
        try {
            // volatile CAS: linearization point of a successful insert; pairs with the release store
            // of NULL in pop()/remove() (a DPC is re-queued only after its previous dequeue is complete)
            if (!LONG.compareAndSet(dpcSeg, dpcOff + DPC_DATA_FIELD, 0L, dataAddress)) {
                return false;
            }
            if (live != null) {
                live.dpcQueued(dpcSeg.address() + dpcOff); // after the claim: this insert owns the DPC's queued state
            }
            dpcSeg.set(ValueLayout.JAVA_LONG, dpcOff + KDPC.SYSTEM_ARGUMENT1_OFFSET, arg1);
            dpcSeg.set(ValueLayout.JAVA_LONG, dpcOff + KDPC.SYSTEM_ARGUMENT2_OFFSET, arg2);
            long entry = dpcSeg.address() + dpcOff + LIST_ENTRY;
            long head = dataAddress + KDPC_DATA.LIST_HEAD_OFFSET;
            long last = prcb.get(ValueLayout.JAVA_LONG, data + KDPC_DATA.LAST_ENTRY_OFFSET);
            if (high) {
                long first = prcb.get(ValueLayout.JAVA_LONG, data + KDPC_DATA.LIST_HEAD_OFFSET);
                dpcSeg.set(ValueLayout.JAVA_LONG, dpcOff + LIST_ENTRY, first);
                prcb.set(ValueLayout.JAVA_LONG, data + KDPC_DATA.LIST_HEAD_OFFSET, entry);
                if (last == head) {
                    prcb.set(ValueLayout.JAVA_LONG, data + KDPC_DATA.LAST_ENTRY_OFFSET, entry);
                }
            } else {
                dpcSeg.set(ValueLayout.JAVA_LONG, dpcOff + LIST_ENTRY, 0L);
                writeLong(as, last, entry); // last.Next = entry (last may be ListHead itself)
                prcb.set(ValueLayout.JAVA_LONG, data + KDPC_DATA.LAST_ENTRY_OFFSET, entry);
            }
            int depth = prcb.get(ValueLayout.JAVA_INT, data + KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET);
            INT.setVolatile(prcb, data + KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET, depth + 1); // volatile: drainers poll it (Dekker with the drain token, see KeDpc)
            long queued = OFFKERN_PRCB.dpcQueuedCountOffset(q);
            // opaque: a statistic with one writer at a time (this queue's DpcLock); live counters read it opaquely
            INT.setOpaque(prcb, queued, prcb.get(ValueLayout.JAVA_INT, queued) + 1);
            return true;
        } finally {
            unlock(prcb, data);
        }
    }

    /**
     * Dequeues the DPC at {@code dpcOff} of {@code dpcSeg} if it is queued (KeRemoveQueueDpc):
     * returns true if it was, and then its routine will not run for that insertion.
     */
    static boolean remove(AddressSpace as, LiveObjects live, MemorySegment dpcSeg, long dpcOff) {
        long dataAddress = dpcData(dpcSeg, dpcOff);
        if (dataAddress == 0) {
            return false;
        }
        if (!isQueueOf(ThreadState.current().kernel(), dataAddress)) {
            // A DpcData that names no processor's queue (a freed KDPC whose block was reused, a scribbled
            // one): its "DpcLock" is arbitrary memory, and spinning on it could last for ever.
            throw corrupt(dataAddress, dataAddress, "KDPC 0x" + Long.toHexString(dpcSeg.address() + dpcOff)
                    + " names DpcData 0x" + Long.toHexString(dataAddress) + ", which is no processor's DPC queue: the KDPC was"
                    + " freed or overwritten");
        }
        Region pr = as.regionOf(dataAddress, KDPC_DATA.X64.size());
        MemorySegment prcbSeg = pr.segment();
        long data = pr.offsetOf(dataAddress);
        lockAt(prcbSeg, data);
        try {
            if (dpcData(dpcSeg, dpcOff) != dataAddress) {
                return false; // popped (or removed) meanwhile: the drainer cleared DpcData under this lock
            }
            long entry = dpcSeg.address() + dpcOff + LIST_ENTRY;
            long prev = dataAddress + KDPC_DATA.LIST_HEAD_OFFSET;
            long cur = prcbSeg.get(ValueLayout.JAVA_LONG, data + KDPC_DATA.LIST_HEAD_OFFSET);
            // At most DpcQueueDepth links lead to a queued DPC: more means a cycle (a rewritten link),
            // which must be a bug check, not a walk for ever under the DpcLock.
            int budget = Math.max(0, prcbSeg.get(ValueLayout.JAVA_INT, data + KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET));
            while (cur != entry) {
                if (cur == 0 || budget-- <= 0 || as.find(cur, 8) == null) {
                    throw corrupt(dataAddress, cur, "KDPC 0x" + Long.toHexString(entry - LIST_ENTRY)
                            + " claims this queue but is not linked in it");
                }
                prev = cur;
                cur = readLong(as, cur);
            }
            long next = dpcSeg.get(ValueLayout.JAVA_LONG, dpcOff + LIST_ENTRY);
            writeLong(as, prev, next);
            if (prcbSeg.get(ValueLayout.JAVA_LONG, data + KDPC_DATA.LAST_ENTRY_OFFSET) == entry) {
                prcbSeg.set(ValueLayout.JAVA_LONG, data + KDPC_DATA.LAST_ENTRY_OFFSET, prev);
            }
            int depth = prcbSeg.get(ValueLayout.JAVA_INT, data + KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET);
            INT.setVolatile(prcbSeg, data + KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET, depth - 1);
            if (live != null) {
                live.dpcDequeued(entry - LIST_ENTRY); // before DpcData is released to the next insert
            }
            LONG.setVolatile(dpcSeg, dpcOff + DPC_DATA_FIELD, 0L); // volatile: the DPC may be queued again
            return true;
        } finally {
            unlockAt(prcbSeg, data);
        }
    }

    /** What a drainer needs to call one dequeued DPC. Reused across the DPCs of one drain. */
    static final class Call {
        long dpc;
        MemorySegment dpcSegment;
        long dpcOffset;
        long routine;
        long context;
        long arg1;
        long arg2;
    }

    /**
     * Dequeues the first DPC of queue {@code q} into {@code call} (KiRetireDpcList's step): under
     * DpcLock, unlinks it, captures routine, context and arguments, sets {@code DpcData} NULL (the
     * DPC may be queued again from now on, even while its routine runs, as on Windows) and makes it
     * the ActiveDpc. Only the queue's one drainer calls this.
     *
     * @return false if the queue is empty
     */
    static boolean pop(AddressSpace as, LiveObjects live, MemorySegment prcb, int q, Call call) {
        long data = dataOffset(q);
        lock(prcb, data);
        try {
            long entry = prcb.get(ValueLayout.JAVA_LONG, data + KDPC_DATA.LIST_HEAD_OFFSET);
            if (entry == 0) {
                int depth = prcb.get(ValueLayout.JAVA_INT, data + KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET);
                if (depth != 0) {
                    // DPCs the depth counts are no longer linked (a queued KDPC's link rewritten: queued a
                    // second time after its DpcData was scribbled, re-initialized while queued). Left as
                    // is, every drainer would loop on a depth no pop can lower, and KeFlushQueuedDpcs
                    // would wait for ever.
                    truncate(prcb, data);
                    throw corrupt(prcb.address() + data, 0, "the list is empty but DpcQueueDepth is " + depth
                            + ": a queued KDPC's link was overwritten and cut the DPCs behind it off the queue");
                }
                return false;
            }
            long dpc = entry - LIST_ENTRY;
            Region r = as.find(dpc, KDPC_SIZE);
            long next = r == null ? 0 : r.segment().get(ValueLayout.JAVA_LONG, r.offsetOf(dpc) + LIST_ENTRY);
            if (r == null || (next != 0 && as.find(next - LIST_ENTRY, KDPC_SIZE) == null)
                    || dpcData(r.segment(), r.offsetOf(dpc)) != prcb.address() + data) {
                truncate(prcb, data);
                throw corrupt(prcb.address() + data, entry, "queued KDPC link 0x" + Long.toHexString(entry)
                        + (r == null ? " points outside kernel memory" : " (next 0x" + Long.toHexString(next)
                        + ") is not a KDPC queued here: the queue was overwritten"));
            }
            MemorySegment s = r.segment();
            long off = r.offsetOf(dpc);
            prcb.set(ValueLayout.JAVA_LONG, data + KDPC_DATA.LIST_HEAD_OFFSET, next);
            if (next == 0) {
                prcb.set(ValueLayout.JAVA_LONG, data + KDPC_DATA.LAST_ENTRY_OFFSET,
                        prcb.address() + data + KDPC_DATA.LIST_HEAD_OFFSET);
            }
            call.dpc = dpc;
            call.dpcSegment = s;
            call.dpcOffset = off;
            call.routine = s.get(ValueLayout.JAVA_LONG, off + KDPC.DEFERRED_ROUTINE_OFFSET);
            call.context = s.get(ValueLayout.JAVA_LONG, off + KDPC.DEFERRED_CONTEXT_OFFSET);
            call.arg1 = s.get(ValueLayout.JAVA_LONG, off + KDPC.SYSTEM_ARGUMENT1_OFFSET);
            call.arg2 = s.get(ValueLayout.JAVA_LONG, off + KDPC.SYSTEM_ARGUMENT2_OFFSET);
            // ActiveDpc before the depth drops (both volatile, so in this order): KeFlushQueuedDpcs
            // reads the depth and then ActiveDpc, and must never see the DPC neither queued nor running.
            LONG.setVolatile(prcb, data + KDPC_DATA.ACTIVE_DPC_OFFSET, dpc);
            int depth = prcb.get(ValueLayout.JAVA_INT, data + KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET);
            INT.setVolatile(prcb, data + KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET, depth - 1);
            boolean released = false;
            try {
                if (live != null) {
                    live.dpcDequeued(dpc); // before DpcData is released to the next insert
                }
                LONG.setVolatile(s, off + DPC_DATA_FIELD, 0L); // volatile: NULL before the routine runs (re-insert allowed)
                released = true;
            } finally {
                if (!released) {
                    // The KDPC's memory failed under us: the routine will not run, so nothing is active.
                    LONG.setRelease(prcb, data + KDPC_DATA.ACTIVE_DPC_OFFSET, 0L); // release: pairs with the flusher's volatile read
                }
            }
            return true;
        } finally {
            unlock(prcb, data);
        }
    }

    /**
     * Adds the KDPCs queued on queue {@code q} of {@code prcb} now to {@code out} (under DpcLock,
     * bounded by the depth; a link outside kernel memory ends the walk: pop reports that corruption).
     */
    static void collect(AddressSpace as, MemorySegment prcb, int q, org.agrona.collections.LongArrayList out) {
        long data = dataOffset(q);
        lock(prcb, data);
        try {
            int depth = prcb.get(ValueLayout.JAVA_INT, data + KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET);
            long entry = prcb.get(ValueLayout.JAVA_LONG, data + KDPC_DATA.LIST_HEAD_OFFSET);
            for (int i = 0; entry != 0 && i < depth; i++) {
                Region r = as.find(entry - LIST_ENTRY, KDPC_SIZE);
                if (r == null) {
                    return;
                }
                out.addLong(entry - LIST_ENTRY);
                entry = r.segment().get(ValueLayout.JAVA_LONG, r.offsetOf(entry - LIST_ENTRY) + LIST_ENTRY);
            }
        } finally {
            unlock(prcb, data);
        }
    }

    /** Empties a corrupt queue (under its lock): the DPCs still linked are dropped, their DpcData left as found. */
    private static void truncate(MemorySegment prcb, long data) {
        prcb.set(ValueLayout.JAVA_LONG, data + KDPC_DATA.LIST_HEAD_OFFSET, 0L);
        prcb.set(ValueLayout.JAVA_LONG, data + KDPC_DATA.LAST_ENTRY_OFFSET, prcb.address() + data + KDPC_DATA.LIST_HEAD_OFFSET);
        INT.setVolatile(prcb, data + KDPC_DATA.DPC_QUEUE_DEPTH_OFFSET, 0);
    }

    /**
     * The bug check for a corrupt DPC queue: KERNEL_SECURITY_CHECK_FAILURE (0x139) with P1 3
     * (FAST_FAIL_CORRUPT_LIST_ENTRY, what Windows' list macros raise), P2 the KDPC_DATA, P3 the bad
     * link. Raised through the kernel of the calling thread.
     */
    private static RuntimeException corrupt(long dataAddress, long link, String detail) {
        return ThreadState.current().kernel().bugCheck(dev.offkern.nt.BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE,
                FAST_FAIL_CORRUPT_LIST_ENTRY, dataAddress, link, 0, "DPC queue 0x" + Long.toHexString(dataAddress) + ": " + detail);
    }

    /** KERNEL_SECURITY_CHECK_FAILURE P1: a corrupted LIST_ENTRY (FAST_FAIL_CORRUPT_LIST_ENTRY). */
    static final int FAST_FAIL_CORRUPT_LIST_ENTRY = 3;

    /** Whether {@code dataAddress} is one of {@code k}'s KDPC_DATA queues (a DpcData value that can be real). */
    static boolean isQueueOf(KernelCore k, long dataAddress) {
        long base = k.processors().prcbArray().address();
        long rel = dataAddress - base;
        if (rel < 0 || rel >= (long) k.processorCount() * OFFKERN_PRCB.STRIDE) {
            return false;
        }
        long in = rel % OFFKERN_PRCB.STRIDE;
        return in == dataOffset(KDPC_DATA.DPC_NORMAL) || in == dataOffset(KDPC_DATA.DPC_THREADED);
    }

    /** After the routine of the ActiveDpc returned: ActiveDpc NULL, DpcCount + 1 (the drainer only). */
    static void finished(MemorySegment prcb, int q) {
        long data = dataOffset(q);
        LONG.setRelease(prcb, data + KDPC_DATA.ACTIVE_DPC_OFFSET, 0L); // release: the routine's writes precede it
        int n = prcb.get(ValueLayout.JAVA_INT, data + KDPC_DATA.DPC_COUNT_OFFSET);
        INT.setOpaque(prcb, data + KDPC_DATA.DPC_COUNT_OFFSET, n + 1); // single writer (the drainer); a statistic
    }

    /** Whether the address range [start, start + length) holds a DPC queued anywhere (verifier). */
    static boolean queuedIn(MemorySegment seg, long off, long length) {
        return length >= KDPC_SIZE && dpcData(seg, off) != 0;
    }

    // ----- DpcLock -----

    private static void lock(MemorySegment prcb, long data) {
        lockAt(prcb, data);
    }

    private static void unlock(MemorySegment prcb, long data) {
        unlockAt(prcb, data);
    }

    private static void lockAt(MemorySegment seg, long data) {
        long lock = data + KDPC_DATA.DPC_LOCK_OFFSET;
        if (LONG.compareAndSet(seg, lock, 0L, 1L)) { // volatile CAS: acquire edge for everything under the lock
            return;
        }
        int spins = 0;
        for (;;) {
            while ((long) LONG.getVolatile(seg, lock) != 0) { // test before test-and-set
                spins = Backoff.spinOrYield(spins);
            }
            if (LONG.compareAndSet(seg, lock, 0L, 1L)) {
                return;
            }
        }
    }

    private static void unlockAt(MemorySegment seg, long data) {
        LONG.setRelease(seg, data + KDPC_DATA.DPC_LOCK_OFFSET, 0L); // release: pairs with the next lock's CAS
    }

    // ----- links followed through the address space -----

    private static long readLong(AddressSpace as, long address) {
        Region r = as.regionOf(address, 8);
        return r.segment().get(ValueLayout.JAVA_LONG, r.offsetOf(address));
    }

    private static void writeLong(AddressSpace as, long address, long value) {
        Region r = as.regionOf(address, 8);
        r.segment().set(ValueLayout.JAVA_LONG, r.offsetOf(address), value);
    }

    // ----- VarHandle mechanics -----
    /** KDPC_DATA fields, KDPC.DpcData and DpcLock, accessed by byte offset in their segments. */
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
}
