package dev.offkern.tests.fuzz;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.WORKER_THREAD_ROUTINE;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * System worker threads: each step initializes a few WORK_QUEUE_ITEMs of its own, queues them to
 * random queues (sometimes at DISPATCH_LEVEL, sometimes twice, sometimes with a queue type that is
 * none, sometimes with a WorkerRoutine that is data), and waits until every queueing that succeeded
 * has run exactly once: a lost or doubled run is an invariant failure. Hostile item pointers (NULL,
 * unmapped, on-heap, misaligned) must meet a clear exception or a documented bug check.
 */
final class WorkItemOps {
    private WorkItemOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("work.queue", 3, WorkItemOps::queue, "ExInitializeWorkItem", "ExQueueWorkItem", "KeRaiseIrql", "KeLowerIrql"),
                Op.of("work.hostile", 1, WorkItemOps::hostile, "ExInitializeWorkItem", "ExQueueWorkItem"),
                Op.of("work.io", 2, WorkItemOps::io, "IoAllocateWorkItem", "IoSizeofWorkItem", "IoInitializeWorkItem",
                        "IoUninitializeWorkItem", "IoQueueWorkItem", "IoQueueWorkItemEx", "IoFreeWorkItem", "IoDeviceObjectType",
                        "ObCreateObject", "ObDereferenceObject"));
    }

    static final long ITEM = dev.offkern.layout.ex.WORK_QUEUE_ITEM.X64.size();
    /** Runs per parameter (the item's address): what the step waits for. */
    private static final ConcurrentHashMap<Long, AtomicInteger> RUNS = new ConcurrentHashMap<>();
    /** The routine of every fuzzer work item (one instance: one upcall stub per kernel). */
    private static final WORKER_THREAD_ROUTINE ROUTINE = p -> RUNS.computeIfAbsent(p.address(), k -> new AtomicInteger()).incrementAndGet();
    private static final int[] TYPES = {Ex.CriticalWorkQueue, Ex.DelayedWorkQueue, Ex.HyperCriticalWorkQueue, 3, 4, 5, 6};

    static void queue(Ctx c) throws InterruptedException {
        int n = 1 + c.n(4);
        MemorySegment[] items = new MemorySegment[n];
        int[] expected = new int[n];
        for (int i = 0; i < n; i++) {
            MemorySegment item = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, ITEM, World.TAG);
            if (item.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("fuzzer: no pool for a work item");
            }
            items[i] = item;
            RUNS.put(item.address(), new AtomicInteger());
            Ex.ExInitializeWorkItem(item, ROUTINE, item);
            int times = c.p(0.2) ? 2 : 1;
            for (int k = 0; k < times; k++) {
                int type = c.p(0.05) ? c.anyInt() : TYPES[c.n(TYPES.length)];
                boolean raise = c.p(0.3);
                int old = raise ? Ke.KeRaiseIrql(2) : -1;
                try {
                    c.note("queue " + i + " type " + type + (raise ? " at DISPATCH" : ""));
                    Ex.ExQueueWorkItem(item, type);
                    expected[i]++;
                } catch (BugCheck bc) {
                    // documented: 0xE4/1 (queued already) or 0xE4/6 (no queue type)
                    if (bc.code() != BugCheckCode.WORKER_INVALID || (bc.parameter1() != 1 && bc.parameter1() != 6)) {
                        throw bc;
                    }
                } finally {
                    if (raise) {
                        Ke.KeLowerIrql(old);
                    }
                }
            }
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        for (int i = 0; i < n; i++) {
            AtomicInteger runs = RUNS.get(items[i].address());
            while (runs.get() < expected[i] && System.nanoTime() < deadline) {
                if (c.w.kernel.isHalted() || c.w.kernel.isClosed()) {
                    Ke.KeGetCurrentIrql(); // the workers stopped with the kernel: the DDI says halted or closed
                }
                Thread.sleep(0, 200_000);
            }
            // an item whose last queueing succeeded may still be running its routine (the count is its first statement)
            if (runs.get() != expected[i]) {
                throw new FuzzInvariantException("work item " + i + " was queued " + expected[i] + " times and ran " + runs.get());
            }
        }
        for (MemorySegment item : items) {
            RUNS.remove(item.address());
            Ex.ExFreePool(item); // verifier: 0xE4/0 if the worker had not dequeued it
        }
    }

    static void hostile(Ctx c) {
        MemorySegment scratch = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, World.TAG);
        if (scratch.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("fuzzer: no pool for a scratch block");
        }
        c.after.add(x -> Ex.ExFreePool(scratch));
        MemorySegment item = switch (c.n(5)) {
            case 0 -> MemorySegment.NULL;
            case 1 -> MemorySegment.ofAddress(0x10_000 - ITEM); // below every mapping (zero-length: the fuzzer never reinterprets)
            case 2 -> MemorySegment.ofArray(new long[4]);
            case 3 -> scratch.asSlice(4, ITEM);
            default -> scratch.asSlice(0, ITEM);
        };
        c.note("hostile item " + item);
        if (c.p(0.5)) {
            Ex.ExInitializeWorkItem(item, c.p(0.5) ? scratch : MemorySegment.ofAddress(0x1000 + c.n(64)), MemorySegment.NULL);
        }
        Ex.ExQueueWorkItem(item, TYPES[c.n(TYPES.length)]); // a data routine: 0xE4/7; never queued with a real routine
    }

    /** I/O work item routines (one instance each): count the run under the context's address. */
    private static final dev.offkern.nt.IO_WORKITEM_ROUTINE IO_ROUTINE = (d, ctx) -> count(ctx.address());
    private static final dev.offkern.nt.IO_WORKITEM_ROUTINE_EX IO_ROUTINE_EX = (o, ctx, w) -> count(ctx.address());

    private static void count(long key) {
        RUNS.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    /**
     * I/O work items for a Device object of the step's own: allocated or caller-initialized, queued
     * (sometimes twice: 0xE4/1) with either routine form, each successful queueing run exactly once,
     * then freed or uninitialized; the device's reference count is back to one at the end. Hostile:
     * an object that is no device (0xE4/3).
     */
    static void io(Ctx c) throws InterruptedException {
        MemorySegment out = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, World.TAG);
        if (out.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("fuzzer: no pool");
        }
        c.after.add(x -> Ex.ExFreePool(out));
        if (c.p(0.1)) {
            c.note("hostile IoObject");
            dev.offkern.ddi.Io.IoAllocateWorkItem(c.p(0.5) ? out : MemorySegment.ofAddress(c.r.nextLong() & ~7L));
            return;
        }
        int st = dev.offkern.ddi.Ob.ObCreateObject(0, dev.offkern.ddi.Io.IoDeviceObjectType(), MemorySegment.NULL, 0, MemorySegment.NULL,
                (int) dev.offkern.layout.io.DEVICE_OBJECT.X64.size(), 0, 0, out);
        if (st != 0) {
            return;
        }
        MemorySegment device = MemorySegment.ofAddress(out.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
        c.after.add(x -> dev.offkern.ddi.Ob.ObDereferenceObject(device));
        int n = 1 + c.n(3);
        MemorySegment[] items = new MemorySegment[n];
        boolean[] allocated = new boolean[n];
        int[] expected = new int[n];
        for (int i = 0; i < n; i++) {
            allocated[i] = c.p(0.5);
            if (allocated[i]) {
                items[i] = dev.offkern.ddi.Io.IoAllocateWorkItem(device);
            } else {
                items[i] = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, dev.offkern.ddi.Io.IoSizeofWorkItem(), World.TAG);
                if (!items[i].equals(MemorySegment.NULL)) {
                    dev.offkern.ddi.Io.IoInitializeWorkItem(device, items[i]);
                }
            }
            if (items[i].equals(MemorySegment.NULL)) {
                throw new IllegalStateException("fuzzer: no pool for an I/O work item");
            }
            RUNS.put(items[i].address(), new AtomicInteger());
            int times = c.p(0.2) ? 2 : 1;
            for (int k = 0; k < times; k++) {
                int type = TYPES[c.n(3)];
                try {
                    c.note("io queue " + i + " type " + type);
                    if (c.p(0.5)) {
                        dev.offkern.ddi.Io.IoQueueWorkItem(items[i], IO_ROUTINE, type, items[i]);
                    } else {
                        dev.offkern.ddi.Io.IoQueueWorkItemEx(items[i], IO_ROUTINE_EX, type, items[i]);
                    }
                    expected[i]++;
                } catch (BugCheck bc) {
                    if (bc.code() != BugCheckCode.WORKER_INVALID || bc.parameter1() != 1) {
                        throw bc;
                    }
                }
            }
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        for (int i = 0; i < n; i++) {
            AtomicInteger runs = RUNS.get(items[i].address());
            // wait for the run and for the worker to have set the item idle and dropped its reference
            while ((runs.get() < expected[i] || itemBusy(items[i])) && System.nanoTime() < deadline) {
                if (c.w.kernel.isHalted() || c.w.kernel.isClosed()) {
                    Ke.KeGetCurrentIrql();
                }
                Thread.sleep(0, 200_000);
            }
            if (runs.get() != expected[i]) {
                throw new FuzzInvariantException("I/O work item " + i + " was queued " + expected[i] + " times and ran " + runs.get());
            }
            RUNS.remove(items[i].address());
            if (allocated[i]) {
                dev.offkern.ddi.Io.IoFreeWorkItem(items[i]);
            } else {
                dev.offkern.ddi.Io.IoUninitializeWorkItem(items[i]);
                Ex.ExFreePool(items[i]);
            }
        }
    }

    /** Whether the item is still queued or its routine is still being called (Type non-zero). */
    private static boolean itemBusy(MemorySegment item) {
        return item.get(java.lang.foreign.ValueLayout.JAVA_INT, dev.offkern.layout.io.IO_WORKITEM.TYPE_OFFSET) != 0;
    }
}
