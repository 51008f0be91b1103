package dev.offkern.cli.demo;

import static dev.offkern.cli.demo.DemoExtension.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Io;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Rtl;
import dev.offkern.layout.ex.SLIST_ENTRY;
import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * offkern's demo driver: a Java driver for a pretend device that queues requests and completes them
 * from several paths, using every seed structure the way a WDM driver does.
 *
 * <ul>
 *   <li>{@code IRP_MJ_DEVICE_CONTROL} with {@link #IOCTL_DEMO_REQUEST}: takes rundown protection
 *       (EX_RUNDOWN_REF), a context from a lookaside list (LOOKASIDE_LIST_EX) and a slot from a
 *       bitmap (RTL_BITMAP, under a spin lock), and queues the IRP in a cancel-safe queue (IO_CSQ,
 *       IO_CSQ_IRP_CONTEXT through IoCsqInsertIrp); returns STATUS_PENDING.</li>
 *   <li>Completion paths: a periodic KTIMER whose KDPC completes a batch every tick; an EX_TIMER
 *       whose callback completes one request per period; an interrupt (KINTERRUPT) whose service
 *       routine claims it and requests the device's DPC (IoRequestDpc), which completes a batch;
 *       cancellation (IoCancelIrp by the requester), completed by the queue's
 *       CsqCompleteCanceledIrp.</li>
 *   <li>Each completion hands a record from an SLIST free list (SLIST_HEADER) to a second SLIST; an
 *       IO_WORKITEM folds the records into the statistics at PASSIVE_LEVEL under a KGUARDED_MUTEX and
 *       returns them to the free list.</li>
 *   <li>A bug-check callback (KBUGCHECK_CALLBACK_RECORD) writes the device's state into its buffer
 *       should the kernel bug-check.</li>
 *   <li>Unload waits for the rundown protection (every request in flight has completed), stops the
 *       timers, disconnects the interrupt, flushes the DPCs, waits for the work item and frees
 *       everything: the pool report after it shows nothing left under the driver's tag.</li>
 * </ul>
 * Every allocation carries the tag {@link #TAG} ("Demo").
 */
final class DemoDriver {
    /** Pool tag of everything the driver allocates. */
    static final int TAG = PoolTags.tag("Demo");
    /** CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS). */
    static final int IOCTL_DEMO_REQUEST = (IoCodes.FILE_DEVICE_UNKNOWN << 16) | (0x800 << 2) | IoCodes.METHOD_BUFFERED;
    /** The ways a request ends, indexes of the path counters. */
    static final int PATH_TIMER_DPC = 0;
    static final int PATH_EX_TIMER = 1;
    static final int PATH_INTERRUPT_DPC = 2;
    static final int PATH_CANCELLED = 3;
    static final int PATH_AT_UNLOAD = 4;
    static final String[] PATH_NAMES = {"timer DPC", "EX_TIMER", "interrupt DPC", "cancelled", "at unload"};

    /** Requests a timer DPC or an interrupt DPC completes per run. */
    private static final int BATCH = 8;
    /** Completion records (SLIST entries): the work item folds them once this many are waiting. */
    private static final int RECORDS = 256;
    private static final int FOLD_THRESHOLD = 32;
    /** A request context (lookaside entry): SubmitTime (interrupt time, 100 ns), Slot, pad, Irp. */
    private static final long CTX_SUBMIT_TIME = 0;
    private static final long CTX_SLOT = 8;
    private static final long CTX_IRP = 16;
    private static final long CONTEXT_SIZE = 24;
    /** A completion record: SLIST_ENTRY Next, then Latency (100 ns), Path. */
    private static final long REC_LATENCY = SLIST_ENTRY.LAYOUT.byteSize();
    private static final long REC_PATH = REC_LATENCY + 8;
    private static final long RECORD_SIZE = 32;

    private final Kernel kernel;
    private final DemoInterrupts interrupts;
    /** Requests completed per path (driver's view; the requesters count their own). */
    final AtomicLongArray completedByPath = new AtomicLongArray(PATH_NAMES.length);
    /** Driver-side latency statistics, folded by the work item under the guarded mutex. */
    final DemoLatency driverLatency = new DemoLatency();
    /** Work item runs, and records folded (both written under the guarded mutex). */
    long workItemRuns;
    long recordsFolded;
    /** Completions that found no free record (counted directly instead). */
    final java.util.concurrent.atomic.AtomicLong recordsMissed = new java.util.concurrent.atomic.AtomicLong();
    /** Whether the fold work item is queued or running (an IO_WORKITEM may be queued once at a time). */
    private final java.util.concurrent.atomic.AtomicBoolean foldQueued = new java.util.concurrent.atomic.AtomicBoolean();

    /** The work item's routine, made once: its function pointer is registered once, not per queueing. */
    private final dev.offkern.nt.IO_WORKITEM_ROUTINE foldRoutine = this::foldWorkItem;

    MemorySegment driverObject;
    MemorySegment device;
    private MemorySegment ext;
    private MemorySegment csq;
    private MemorySegment queueLock;
    private MemorySegment slotLock;
    private MemorySegment rundown;
    private MemorySegment slots;
    private MemorySegment freeRecords;
    private MemorySegment doneRecords;
    private MemorySegment statsMutex;
    private MemorySegment contexts;
    private MemorySegment deviceStatus;
    private MemorySegment records;
    private MemorySegment exTimer;
    private MemorySegment workItem;
    private MemorySegment bugCheckBuffer;
    private MemorySegment component;

    DemoDriver(Kernel kernel, DemoInterrupts interrupts) {
        this.kernel = kernel;
        this.interrupts = interrupts;
    }

    // ===== DriverEntry =====

    /** DriverEntry: the dispatch table, the device and everything its extension holds. */
    int driverEntry(MemorySegment driver, MemorySegment registryPath) {
        driverObject = driver;
        Io.IoSetMajorFunction(driver, IoCodes.IRP_MJ_CREATE, this::createClose);
        Io.IoSetMajorFunction(driver, IoCodes.IRP_MJ_CLOSE, this::createClose);
        Io.IoSetMajorFunction(driver, IoCodes.IRP_MJ_DEVICE_CONTROL, this::deviceControl);
        Io.IoSetDriverUnload(driver, this::unload);

        MemorySegment slot = allocate(8);
        int st = Io.IoCreateDevice(driver, (int) LAYOUT.byteSize(), MemorySegment.NULL, IoCodes.FILE_DEVICE_UNKNOWN, 0, false, slot);
        if (st != NtStatus.STATUS_SUCCESS) {
            Ex.ExFreePoolWithTag(slot, TAG);
            return st;
        }
        device = view(slot.get(JAVA_LONG, 0), DEVICE_OBJECT.X64.size());
        Ex.ExFreePoolWithTag(slot, TAG);
        ext = view(device.get(JAVA_LONG, DEVICE_OBJECT.DEVICE_EXTENSION_OFFSET), LAYOUT.byteSize());
        if ((ext.address() & 15) != 0) {
            throw new IllegalStateException("the device extension is not 16-byte aligned: " + ext);
        }
        // The extension's members as segments, sliced once here, not on every request.
        csq = ext.asSlice(CSQ, dev.offkern.layout.io.IO_CSQ.X64.size());
        queueLock = ext.asSlice(QUEUE_LOCK, 8);
        slotLock = ext.asSlice(SLOT_LOCK, 8);
        rundown = ext.asSlice(RUNDOWN, 8);
        slots = ext.asSlice(SLOTS_HEADER, 16);
        freeRecords = ext.asSlice(FREE_RECORDS, 16);
        doneRecords = ext.asSlice(DONE_RECORDS, 16);
        statsMutex = ext.asSlice(STATS_MUTEX, dev.offkern.layout.ke.KGUARDED_MUTEX.X64.size());
        contexts = ext.asSlice(CONTEXTS, dev.offkern.layout.ex.LOOKASIDE_LIST_EX.X64.size());
        deviceStatus = ext.asSlice(DEVICE_STATUS, 4);

        initializeListHead(ext.address() + PENDING);
        Ke.KeInitializeSpinLock(queueLock);
        Ke.KeInitializeSpinLock(slotLock);
        Ex.ExInitializeRundownProtection(rundown);
        Rtl.RtlInitializeBitMap(slots, ext.asSlice(SLOT_BITS, SLOTS / 8), SLOTS);
        Rtl.RtlClearAllBits(slots);
        Ex.InitializeSListHead(freeRecords);
        Ex.InitializeSListHead(doneRecords);
        Ke.KeInitializeGuardedMutex(statsMutex);
        st = Ex.ExInitializeLookasideListEx(contexts, null, null,
                dev.offkern.nt.PoolType.NonPagedPoolNx, 0, CONTEXT_SIZE, TAG, 0);
        if (st != NtStatus.STATUS_SUCCESS) {
            Io.IoDeleteDevice(device);
            return st;
        }
        records = allocate(RECORDS * RECORD_SIZE);
        for (int i = 0; i < RECORDS; i++) {
            Ex.InterlockedPushEntrySList(freeRecords, records.asSlice(i * RECORD_SIZE, RECORD_SIZE));
        }
        st = Io.IoCsqInitialize(csq, this::csqInsert, this::csqRemove,
                this::csqPeekNext, this::csqAcquireLock, this::csqReleaseLock, this::csqCompleteCanceled);
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new IllegalStateException("IoCsqInitialize: 0x" + Integer.toHexString(st));
        }
        workItem = Io.IoAllocateWorkItem(device);
        if (workItem.address() == 0) {
            throw new IllegalStateException("IoAllocateWorkItem returned NULL");
        }

        // The bug-check callback: a few words of state in a buffer of the driver's.
        bugCheckBuffer = allocate(64);
        component = allocate(16);
        component.setString(0, "OffkernDemo", java.nio.charset.StandardCharsets.US_ASCII);
        MemorySegment record = ext.asSlice(BUGCHECK_RECORD, dev.offkern.layout.ke.KBUGCHECK_CALLBACK_RECORD.X64.size());
        Ke.KeInitializeCallbackRecord(record);
        if (!Ke.KeRegisterBugCheckCallback(record, this::bugCheckCallback, bugCheckBuffer, 64, component)) {
            throw new IllegalStateException("KeRegisterBugCheckCallback refused the record");
        }

        // Completion sources: the periodic timer's DPC (every 2 ms), the EX_TIMER (every 5 ms), the interrupt.
        MemorySegment dpc = ext.asSlice(COMPLETION_DPC, dev.offkern.layout.ke.KDPC.X64.size());
        Ke.KeInitializeDpc(dpc, this::timerDpc, MemorySegment.NULL);
        MemorySegment timer = ext.asSlice(COMPLETION_TIMER, dev.offkern.layout.ke.KTIMER.X64.size());
        Ke.KeInitializeTimerEx(timer, Ke.NotificationTimer);
        Ke.KeSetTimerEx(timer, -20_000L, 2, dpc);
        exTimer = Ex.ExAllocateTimer(this::exTimerCallback, MemorySegment.NULL, 0);
        if (exTimer.address() == 0) {
            throw new IllegalStateException("ExAllocateTimer returned NULL");
        }
        Ex.ExSetTimer(exTimer, -50_000L, 50_000L, MemorySegment.NULL);
        interrupts.connect(this);
        return NtStatus.STATUS_SUCCESS;
    }

    // ===== dispatch routines =====

    private int createClose(MemorySegment deviceObject, MemorySegment irp) {
        return completeNow(irp, NtStatus.STATUS_SUCCESS);
    }

    /** IRP_MJ_DEVICE_CONTROL at PASSIVE_LEVEL: queue a demo request, or refuse. */
    private int deviceControl(MemorySegment deviceObject, MemorySegment irp) {
        MemorySegment stack = Io.IoGetCurrentIrpStackLocation(irp);
        int code = stack.get(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_IO_CONTROL_CODE_OFFSET);
        if (code != IOCTL_DEMO_REQUEST) {
            return completeNow(irp, NtStatus.STATUS_INVALID_DEVICE_REQUEST);
        }
        if (!Ex.ExAcquireRundownProtection(rundown)) {
            return completeNow(irp, NtStatus.STATUS_DELETE_PENDING); // unloading
        }
        MemorySegment ctx = Ex.ExAllocateFromLookasideListEx(contexts);
        if (ctx.address() == 0) {
            Ex.ExReleaseRundownProtection(rundown);
            return completeNow(irp, NtStatus.STATUS_INSUFFICIENT_RESOURCES);
        }
        ctx = view(ctx.address(), CONTEXT_SIZE);
        int irql = Ke.KeAcquireSpinLock(slotLock);
        int slot = Rtl.RtlFindClearBitsAndSet(slots, 1, 0);
        Ke.KeReleaseSpinLock(slotLock, irql);
        if (slot == -1) {
            Ex.ExFreeToLookasideListEx(contexts, ctx);
            Ex.ExReleaseRundownProtection(rundown);
            return completeNow(irp, NtStatus.STATUS_INSUFFICIENT_RESOURCES); // every slot in use
        }
        ctx.set(JAVA_LONG, CTX_SUBMIT_TIME, Ke.KeQueryInterruptTimePrecise());
        ctx.set(JAVA_LONG, CTX_SLOT, slot);
        ctx.set(JAVA_LONG, CTX_IRP, irp.address());
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_DRIVER_CONTEXT_OFFSET, ctx.address()); // DriverContext[0]; the CSQ owns [3]
        Io.IoCsqInsertIrp(csq, irp, MemorySegment.NULL);
        interrupts.doorbell(this); // the "hardware" may raise an interrupt for it
        return NtStatus.STATUS_PENDING;
    }

    private static int completeNow(MemorySegment irp, int status) {
        irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, status);
        irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, 0L);
        Io.IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
        return status;
    }

    // ===== the cancel-safe queue's callbacks (the queue lock is a spin lock: DISPATCH_LEVEL inside) =====

    private void csqInsert(MemorySegment csq, MemorySegment irp) {
        insertTailList(ext.address() + PENDING, irp.address() + IRP.TAIL_OVERLAY_LIST_ENTRY_OFFSET);
    }

    private void csqRemove(MemorySegment csq, MemorySegment irp) {
        removeEntryList(irp.address() + IRP.TAIL_OVERLAY_LIST_ENTRY_OFFSET);
    }

    /** The queued IRP after {@code irp} (the first when NULL), or NULL: every request matches any peek context. */
    private MemorySegment csqPeekNext(MemorySegment csq, MemorySegment irp, MemorySegment peekContext) {
        long head = ext.address() + PENDING;
        long entry = irp == null || irp.address() == 0 ? flink(head) : flink(irp.address() + IRP.TAIL_OVERLAY_LIST_ENTRY_OFFSET);
        return entry == head ? MemorySegment.NULL : MemorySegment.ofAddress(entry - IRP.TAIL_OVERLAY_LIST_ENTRY_OFFSET);
    }

    private void csqAcquireLock(MemorySegment csq, MemorySegment irqlOut) {
        int irql = Ke.KeAcquireSpinLock(queueLock);
        irqlOut.set(JAVA_BYTE, 0, (byte) irql); // *Irql = the IRQL to restore
    }

    private void csqReleaseLock(MemorySegment csq, int irql) {
        Ke.KeReleaseSpinLock(queueLock, irql);
    }

    private void csqCompleteCanceled(MemorySegment csq, MemorySegment irp) {
        finish(view(irp.address(), IRP.X64.size()), NtStatus.STATUS_CANCELLED, PATH_CANCELLED);
    }

    // ===== completion paths =====

    /** The periodic KTIMER's DPC (DISPATCH_LEVEL): completes up to a batch of queued requests. */
    private void timerDpc(MemorySegment dpc, MemorySegment context, MemorySegment arg1, MemorySegment arg2) {
        completeBatch(PATH_TIMER_DPC);
    }

    /** The EX_TIMER's callback (DISPATCH_LEVEL): completes the oldest queued request. */
    private void exTimerCallback(MemorySegment timer, MemorySegment context) {
        MemorySegment irp = Io.IoCsqRemoveNextIrp(csq, MemorySegment.NULL);
        if (irp.address() != 0) {
            finish(view(irp.address(), IRP.X64.size()), NtStatus.STATUS_SUCCESS, PATH_EX_TIMER);
        }
    }

    /** The device's DPC, requested by the interrupt service routine: completes up to a batch. */
    void interruptDpc() {
        completeBatch(PATH_INTERRUPT_DPC);
    }

    private void completeBatch(int path) {
        for (int i = 0; i < BATCH; i++) {
            MemorySegment irp = Io.IoCsqRemoveNextIrp(csq, MemorySegment.NULL);
            if (irp.address() == 0) {
                return;
            }
            finish(view(irp.address(), IRP.X64.size()), NtStatus.STATUS_SUCCESS, path);
        }
    }

    /**
     * Ends a request the queue gave up (removed or cancelled): its latency into a completion record,
     * its slot and context back, the IRP completed, its rundown reference released. IRQL ≤ DISPATCH_LEVEL.
     */
    private void finish(MemorySegment irp, int status, int path) {
        MemorySegment ctx = view(irp.get(JAVA_LONG, IRP.TAIL_OVERLAY_DRIVER_CONTEXT_OFFSET), CONTEXT_SIZE);
        long latency = Ke.KeQueryInterruptTimePrecise() - ctx.get(JAVA_LONG, CTX_SUBMIT_TIME);
        int slot = (int) ctx.get(JAVA_LONG, CTX_SLOT);
        int irql = Ke.KeAcquireSpinLock(slotLock);
        Rtl.RtlClearBits(slots, slot, 1);
        Ke.KeReleaseSpinLock(slotLock, irql);
        Ex.ExFreeToLookasideListEx(contexts, ctx);
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_DRIVER_CONTEXT_OFFSET, 0L);

        MemorySegment record = Ex.InterlockedPopEntrySList(freeRecords);
        if (record.address() == 0) {
            recordsMissed.incrementAndGet();
        } else {
            record = view(record.address(), RECORD_SIZE);
            record.set(JAVA_LONG, REC_LATENCY, latency);
            record.set(JAVA_LONG, REC_PATH, path);
            Ex.InterlockedPushEntrySList(doneRecords, record);
            if (Ex.ExQueryDepthSList(doneRecords) >= FOLD_THRESHOLD) {
                queueFold();
            }
        }
        completedByPath.incrementAndGet(path);
        irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, status);
        irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, 0L);
        Io.IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
        Ex.ExReleaseRundownProtection(rundown);
    }

    // ===== the work item =====

    /** Queues the fold work item unless it is queued or running (an IO_WORKITEM is queued once at a time). */
    private void queueFold() {
        if (foldQueued.compareAndSet(false, true)) { // volatile CAS: one queuer wins
            Io.IoQueueWorkItem(workItem, foldRoutine, Ex.DelayedWorkQueue, MemorySegment.NULL);
        }
    }

    /** The work item (PASSIVE_LEVEL): folds the completion records into the statistics under the guarded mutex. */
    private void foldWorkItem(MemorySegment deviceObject, MemorySegment context) {
        fold();
        foldQueued.set(false); // volatile: the next completion may queue it again
        if (Ex.ExQueryDepthSList(doneRecords) >= FOLD_THRESHOLD) {
            queueFold(); // more arrived while this one ran
        }
    }

    private void fold() {
        Ke.KeAcquireGuardedMutex(statsMutex);
        try {
            workItemRuns++;
            MemorySegment entry = Ex.InterlockedFlushSList(doneRecords);
            long next = entry.address();
            while (next != 0) {
                MemorySegment r = view(next, RECORD_SIZE);
                next = r.get(JAVA_LONG, 0); // SLIST_ENTRY.Next, read before the record goes back
                driverLatency.record(r.get(JAVA_LONG, REC_LATENCY) * 100); // 100 ns units to ns
                recordsFolded++;
                Ex.InterlockedPushEntrySList(freeRecords, r);
            }
        } finally {
            Ke.KeReleaseGuardedMutex(statsMutex);
        }
    }

    // ===== the bug-check callback =====

    private void bugCheckCallback(MemorySegment buffer, int length) {
        MemorySegment b = view(buffer.address(), length);
        b.set(JAVA_LONG, 0, completedByPath.get(PATH_TIMER_DPC) + completedByPath.get(PATH_EX_TIMER)
                + completedByPath.get(PATH_INTERRUPT_DPC));
        b.set(JAVA_LONG, 8, completedByPath.get(PATH_CANCELLED));
        b.set(JAVA_INT, 16, Rtl.RtlNumberOfSetBits(slots)); // requests in flight
    }

    // ===== unload =====

    /** DriverUnload: waits for every request in flight, stops every source, frees everything. */
    private void unload(MemorySegment driver) {
        // No new request gets rundown protection from here; the timers keep completing the queued ones.
        Ex.ExWaitForRundownProtectionRelease(rundown);
        MemorySegment req;
        while ((req = Io.IoCsqRemoveNextIrp(csq, MemorySegment.NULL)).address() != 0) {
            finish(view(req.address(), IRP.X64.size()), NtStatus.STATUS_CANCELLED, PATH_AT_UNLOAD); // none expected
        }
        interrupts.disconnect(this);
        Ke.KeCancelTimer(ext.asSlice(COMPLETION_TIMER, dev.offkern.layout.ke.KTIMER.X64.size()));
        Ex.ExDeleteTimer(exTimer, true, true, MemorySegment.NULL);
        Ke.KeFlushQueuedDpcs();
        while (!foldQueued.compareAndSet(false, true)) {
            Thread.onSpinWait(); // the fold work item is queued or running: let it finish
            Thread.yield();
        }
        fold(); // what is left
        Io.IoFreeWorkItem(workItem);
        Ex.ExDeleteLookasideListEx(contexts);
        Ke.KeDeregisterBugCheckCallback(ext.asSlice(BUGCHECK_RECORD, dev.offkern.layout.ke.KBUGCHECK_CALLBACK_RECORD.X64.size()));
        Ex.ExFreePoolWithTag(records, TAG);
        Ex.ExFreePoolWithTag(bugCheckBuffer, TAG);
        Ex.ExFreePoolWithTag(component, TAG);
        Io.IoDeleteDevice(device);
    }

    // ===== helpers =====

    /** Requests in the queue or being completed now (slots in use). */
    int inFlight() {
        return Rtl.RtlNumberOfSetBits(slots);
    }

    /** The device's DEVICE_STATUS register (the pretend hardware's interrupt-pending word). */
    MemorySegment deviceStatus() {
        return deviceStatus;
    }

    private MemorySegment allocate(long size) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
        if (b.address() == 0) {
            throw new IllegalStateException("the non-paged pool refused " + size + " bytes");
        }
        return b;
    }

    private MemorySegment view(long address, long size) {
        return kernel.memory(address, size);
    }

    private void initializeListHead(long head) {
        MemorySegment h = view(head, LIST_ENTRY.X64.size());
        h.set(JAVA_LONG, LIST_ENTRY.FLINK_OFFSET, head);
        h.set(JAVA_LONG, LIST_ENTRY.BLINK_OFFSET, head);
    }

    private long flink(long entry) {
        return view(entry, LIST_ENTRY.X64.size()).get(JAVA_LONG, LIST_ENTRY.FLINK_OFFSET);
    }

    /** InsertTailList (the queue lock is held). */
    private void insertTailList(long head, long entry) {
        MemorySegment h = view(head, LIST_ENTRY.X64.size());
        long last = h.get(JAVA_LONG, LIST_ENTRY.BLINK_OFFSET);
        MemorySegment e = view(entry, LIST_ENTRY.X64.size());
        e.set(JAVA_LONG, LIST_ENTRY.FLINK_OFFSET, head);
        e.set(JAVA_LONG, LIST_ENTRY.BLINK_OFFSET, last);
        view(last, LIST_ENTRY.X64.size()).set(JAVA_LONG, LIST_ENTRY.FLINK_OFFSET, entry);
        h.set(JAVA_LONG, LIST_ENTRY.BLINK_OFFSET, entry);
    }

    /** RemoveEntryList with the links checked, as Windows' list macros check them (the queue lock is held). */
    private void removeEntryList(long entry) {
        MemorySegment e = view(entry, LIST_ENTRY.X64.size());
        long f = e.get(JAVA_LONG, LIST_ENTRY.FLINK_OFFSET);
        long b = e.get(JAVA_LONG, LIST_ENTRY.BLINK_OFFSET);
        MemorySegment fe = view(f, LIST_ENTRY.X64.size());
        MemorySegment be = view(b, LIST_ENTRY.X64.size());
        if (fe.get(JAVA_LONG, LIST_ENTRY.BLINK_OFFSET) != entry || be.get(JAVA_LONG, LIST_ENTRY.FLINK_OFFSET) != entry) {
            throw kernel.bugCheck(dev.offkern.nt.BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, 3, entry, f, b,
                    "demo driver: the pending list is corrupt at 0x" + Long.toHexString(entry));
        }
        be.set(JAVA_LONG, LIST_ENTRY.FLINK_OFFSET, f);
        fe.set(JAVA_LONG, LIST_ENTRY.BLINK_OFFSET, b);
    }
}
