package dev.offkern.ddi;

import static dev.offkern.ddi.Io.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.IO_WORKITEM;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.WorkQueueType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IO_WORKITEM through the DDI: allocation and initialisation (fields as Windows sets them), the
 * reference on the device object while queued or running, both routine forms, re-queueing and
 * freeing from the routine, the WORKER_INVALID subcodes (an invalid object, queued twice, freed or
 * uninitialized while queued), and contention: many threads queueing items, none lost or run twice.
 */
class IoWorkItemTest {
    private static final int TAG = PoolTags.tag("IoWt");

    @TempDir
    Path dumps;

    private Kernel kernel;

    private void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)).attach().leakReportSink(s -> { });
    }

    @AfterEach
    void shutdown() {
        if (kernel != null && !kernel.isClosed()) {
            kernel.close();
        }
    }

    private static MemorySegment block(long size) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
        assertFalse(b.equals(MemorySegment.NULL));
        return b;
    }

    /** A Device object made through the object manager (IoCreateDevice's object, without a driver). */
    private static MemorySegment device() {
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObCreateObject(Ob.KernelMode, IoDeviceObjectType(), MemorySegment.NULL, Ob.KernelMode,
                MemorySegment.NULL, (int) DEVICE_OBJECT.X64.size(), 0, 0, out));
        MemorySegment d = MemorySegment.ofAddress(out.get(JAVA_LONG, 0));
        Ex.ExFreePool(out);
        return d;
    }

    private long references(MemorySegment object) {
        return kernel.objects().pointerCount(object.address());
    }

    private static void await(CountDownLatch l) throws InterruptedException {
        assertTrue(l.await(30, TimeUnit.SECONDS), "the work item never ran");
    }

    @Test
    void shouldAllocateAnItemAsWindowsLaysItOut() {
        boot();
        assertEquals(0x58, IoSizeofWorkItem());
        MemorySegment dev = device();
        MemorySegment item = IoAllocateWorkItem(dev);
        assertFalse(item.equals(MemorySegment.NULL));
        assertEquals(0, item.address() & 7);
        assertEquals(dev.address(), item.get(JAVA_LONG, IO_WORKITEM.IO_OBJECT_OFFSET));
        assertEquals(item.address(), item.get(JAVA_LONG, IO_WORKITEM.WORK_ITEM_OFFSET + WORK_QUEUE_ITEM.PARAMETER_OFFSET),
                "the embedded WORK_QUEUE_ITEM's Parameter is the IO_WORKITEM");
        assertNotEquals(0L, item.get(JAVA_LONG, IO_WORKITEM.WORK_ITEM_OFFSET + WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET));
        assertEquals(0L, item.get(JAVA_LONG, IO_WORKITEM.WORK_ITEM_OFFSET + WORK_QUEUE_ITEM.LIST_OFFSET));
        assertEquals(0, item.get(JAVA_INT, IO_WORKITEM.TYPE_OFFSET));
        assertEquals(1, references(dev), "allocation takes no reference; queueing does");
        IoFreeWorkItem(item);
        Ob.ObDereferenceObject(dev);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldRunTheRoutineWithTheDeviceReferencedUntilItReturns() throws Exception {
        boot();
        MemorySegment dev = device();
        MemorySegment ctx = block(8);
        MemorySegment item = IoAllocateWorkItem(dev);
        AtomicReference<String> seen = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        IoQueueWorkItem(item, (d, c) -> {
            seen.set(Ke.KeGetCurrentIrql() + " " + (d.address() == dev.address()) + " " + (c.address() == ctx.address()) + " "
                    + references(dev) + " " + item.get(JAVA_INT, IO_WORKITEM.TYPE_OFFSET) + " "
                    + Ps.PsIsSystemThread(Ps.PsGetCurrentThread()));
            done.countDown();
        }, Ex.DelayedWorkQueue, ctx);
        await(done);
        assertEquals("0 true true 2 0 true", seen.get(), "IRQL, device, context, its references while running, Type, system thread");
        waitForReferences(dev, 1);
        IoFreeWorkItem(item);
        Ex.ExFreePool(ctx);
        Ob.ObDereferenceObject(dev);
    }

    private void waitForReferences(MemorySegment object, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (references(object) != expected && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(expected, references(object), "the queueing's reference is dropped after the routine returns");
    }

    @Test
    void shouldPassTheItemToAnExRoutineWhichMayFreeIt() throws Exception {
        boot();
        MemorySegment dev = device();
        MemorySegment item = IoAllocateWorkItem(dev);
        AtomicReference<String> seen = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        IoQueueWorkItemEx(item, (o, c, w) -> {
            seen.set((o.address() == dev.address()) + " " + (w.address() == item.address()) + " " + c.address());
            IoFreeWorkItem(w);
            done.countDown();
        }, Ex.CriticalWorkQueue, MemorySegment.ofAddress(0x40));
        await(done);
        assertEquals("true true 64", seen.get());
        waitForReferences(dev, 1);
        Ob.ObDereferenceObject(dev);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldLetTheRoutineQueueItsItemAgain() throws Exception {
        boot();
        MemorySegment dev = device();
        MemorySegment item = IoAllocateWorkItem(dev);
        AtomicLong runs = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        IoQueueWorkItemEx(item, new dev.offkern.nt.IO_WORKITEM_ROUTINE_EX() {
            @Override
            public void call(MemorySegment o, MemorySegment c, MemorySegment w) {
                if (runs.incrementAndGet() < 50) {
                    IoQueueWorkItemEx(w, this, Ex.DelayedWorkQueue, c);
                } else {
                    done.countDown();
                }
            }
        }, Ex.DelayedWorkQueue, MemorySegment.NULL);
        await(done);
        assertEquals(50, runs.get());
        waitForReferences(dev, 1);
        IoFreeWorkItem(item);
        Ob.ObDereferenceObject(dev);
    }

    @Test
    void shouldInitializeCallerMemoryForADriverObjectAndUninitializeIt() throws Exception {
        boot();
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObCreateObject(Ob.KernelMode, IoDriverObjectType(), MemorySegment.NULL, Ob.KernelMode,
                MemorySegment.NULL, 0x150, 0, 0, out));
        MemorySegment driver = MemorySegment.ofAddress(out.get(JAVA_LONG, 0));
        MemorySegment item = block(IoSizeofWorkItem());
        IoInitializeWorkItem(driver, item);
        assertEquals(driver.address(), item.get(JAVA_LONG, IO_WORKITEM.IO_OBJECT_OFFSET));
        CountDownLatch done = new CountDownLatch(1);
        IoQueueWorkItem(item, (d, c) -> done.countDown(), Ex.HyperCriticalWorkQueue, MemorySegment.NULL);
        await(done);
        waitForReferences(driver, 1);
        IoUninitializeWorkItem(item);
        assertEquals(0L, item.get(JAVA_LONG, IO_WORKITEM.IO_OBJECT_OFFSET));
        assertThrows(IllegalArgumentException.class, () -> IoQueueWorkItem(item, (d, c) -> { }, Ex.DelayedWorkQueue, MemorySegment.NULL));
        Ex.ExFreePool(item);
        Ex.ExFreePool(out);
        Ob.ObDereferenceObject(driver);
    }

    @Test
    void shouldBugCheckForAnObjectThatIsNoDeviceOrDriver() {
        boot();
        MemorySegment data = block(64);
        MemorySegment item = block(IoSizeofWorkItem());
        for (MemorySegment bad : List.of(MemorySegment.NULL, data, MemorySegment.ofAddress(0x10), Ps.PsGetCurrentThread())) {
            BugCheck bc = assertThrows(BugCheck.class, () -> IoAllocateWorkItem(bad));
            assertEquals(BugCheckCode.WORKER_INVALID, bc.code());
            assertEquals(3, bc.parameter1());
            assertEquals(bad.address(), bc.parameter3());
            BugCheck init = assertThrows(BugCheck.class, () -> IoInitializeWorkItem(bad, item));
            assertEquals(3, init.parameter1());
            assertEquals(item.address(), init.parameter2());
        }
        Ex.ExFreePool(data);
        Ex.ExFreePool(item);
    }

    /** Blocks the one hyper-critical worker until {@code release} opens. */
    private static void blockHyperCritical(CountDownLatch release) throws InterruptedException {
        MemorySegment item = block(WORK_QUEUE_ITEM.X64.size());
        CountDownLatch blocked = new CountDownLatch(1);
        Ex.ExInitializeWorkItem(item, p -> {
            blocked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Ex.ExFreePool(MemorySegment.ofAddress(p.address()));
        }, item);
        Ex.ExQueueWorkItem(item, Ex.HyperCriticalWorkQueue);
        await(blocked);
    }

    @Test
    void shouldBugCheckWhenAQueuedItemIsQueuedFreedOrUninitialized() throws Exception {
        boot();
        MemorySegment dev = device();
        CountDownLatch release = new CountDownLatch(1);
        blockHyperCritical(release);
        MemorySegment item = IoAllocateWorkItem(dev);
        AtomicLong runs = new AtomicLong();
        IoQueueWorkItem(item, (d, c) -> runs.incrementAndGet(), Ex.HyperCriticalWorkQueue, MemorySegment.NULL);
        assertEquals(2, references(dev));
        BugCheck twice = assertThrows(BugCheck.class, () -> IoQueueWorkItem(item, (d, c) -> { }, Ex.CriticalWorkQueue, MemorySegment.NULL));
        assertEquals(BugCheckCode.WORKER_INVALID, twice.code());
        assertEquals(1, twice.parameter1());
        assertEquals(item.address(), twice.parameter2());
        assertEquals(Ex.CriticalWorkQueue, twice.parameter3());
        BugCheck freed = assertThrows(BugCheck.class, () -> IoFreeWorkItem(item));
        assertEquals(2, freed.parameter1());
        assertEquals(item.address(), freed.parameter2());
        assertEquals(item.get(JAVA_LONG, IO_WORKITEM.ROUTINE_OFFSET), freed.parameter3());
        assertEquals(2, assertThrows(BugCheck.class, () -> IoUninitializeWorkItem(item)).parameter1());
        BugCheck poolFree = assertThrows(BugCheck.class, () -> Ex.ExFreePool(item)); // verifier: the embedded WORK_QUEUE_ITEM is queued
        assertEquals(BugCheckCode.WORKER_INVALID, poolFree.code());
        assertEquals(0, poolFree.parameter1());
        assertEquals(2, references(dev), "the refused calls changed nothing");
        release.countDown();
        waitForReferences(dev, 1);
        assertEquals(1, runs.get());
        IoFreeWorkItem(item);
        Ob.ObDereferenceObject(dev);
    }

    @Test
    void shouldLeaveTheItemIdleWhenTheQueueTypeOrRoutineIsRefused() {
        boot();
        MemorySegment dev = device();
        MemorySegment item = IoAllocateWorkItem(dev);
        BugCheck type = assertThrows(BugCheck.class, () -> IoQueueWorkItem(item, (d, c) -> { }, WorkQueueType.MaximumWorkQueue,
                MemorySegment.NULL));
        assertEquals(6, type.parameter1());
        MemorySegment data = block(16);
        BugCheck routine = assertThrows(BugCheck.class, () -> IoQueueWorkItem(item, data, Ex.DelayedWorkQueue, MemorySegment.NULL));
        assertEquals(7, routine.parameter1());
        assertEquals(0, item.get(JAVA_INT, IO_WORKITEM.TYPE_OFFSET));
        assertEquals(1, references(dev), "no reference kept by a refused queueing");
        IoFreeWorkItem(item); // idle: no bug check
        Ex.ExFreePool(data);
        Ob.ObDereferenceObject(dev);
    }

    @Test
    void shouldRefuseWhatIsNoWorkItem() {
        boot();
        MemorySegment dev = device();
        MemorySegment small = block(0x50);
        MemorySegment plain = block(IoSizeofWorkItem());
        assertThrows(IllegalArgumentException.class, () -> IoInitializeWorkItem(dev, small));
        assertThrows(IllegalArgumentException.class, () -> IoQueueWorkItem(MemorySegment.NULL, (d, c) -> { }, 1, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> IoQueueWorkItem(plain, (d, c) -> { }, 1, MemorySegment.NULL),
                "never initialized");
        assertThrows(IllegalArgumentException.class, () -> IoQueueWorkItem(plain, (dev.offkern.nt.IO_WORKITEM_ROUTINE) null, 1,
                MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> IoFreeWorkItem(small));
        Ex.ExFreePool(small);
        Ex.ExFreePool(plain);
        Ob.ObDereferenceObject(dev);
    }

    @Test
    void shouldRunEveryQueueingExactlyOnceUnderContention() throws Exception {
        boot();
        MemorySegment dev = device();
        int threads = 4;
        int perThread = 1_500;
        AtomicIntegerArray runs = new AtomicIntegerArray(threads * perThread);
        CountDownLatch done = new CountDownLatch(threads * perThread);
        dev.offkern.nt.IO_WORKITEM_ROUTINE_EX routine = (o, c, w) -> {
            runs.incrementAndGet((int) c.address());
            IoFreeWorkItem(w);
            done.countDown();
        };
        List<Thread> producers = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            int base = t * perThread;
            Thread th = new Thread(() -> {
                try {
                    kernel.attach();
                    for (int i = 0; i < perThread; i++) {
                        MemorySegment item = IoAllocateWorkItem(dev);
                        int irql = (i & 1) == 0 ? Ke.KeRaiseIrql(2) : -1;
                        IoQueueWorkItemEx(item, routine, i % 3, MemorySegment.ofAddress(base + i));
                        if (irql >= 0) {
                            Ke.KeLowerIrql(irql);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            producers.add(th);
            th.start();
        }
        for (Thread th : producers) {
            th.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        await(done);
        for (int i = 0; i < threads * perThread; i++) {
            assertEquals(1, runs.get(i), "queueing " + i);
        }
        waitForReferences(dev, 1);
        Ob.ObDereferenceObject(dev);
        assertEquals(0, kernel.bugChecks().raisedCount());
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }
}
