package dev.offkern.ddi;

import static dev.offkern.ddi.Ex.*;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.WORKER_THREAD_ROUTINE;
import dev.offkern.nt.WorkQueueType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ex.ExWorkerThreads;
import dev.offkern.runtime.ke.ThreadState;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ExInitializeWorkItem / ExQueueWorkItem and the system worker threads through the DDI: where and
 * how routines run, re-queueing and freeing from the routine, every WORKER_INVALID subcode, the
 * 0xE1 bug check for a routine that returns at raised IRQL or with APCs disabled, the verifier's
 * free check, contention (nothing lost, nothing run twice) and the workers' end at close.
 */
class ExWorkItemTest {
    private static final int TAG = PoolTags.tag("ExWi");
    private static final long ITEM = WORK_QUEUE_ITEM.X64.size();

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
        MemorySegment b = ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
        assertFalse(b.equals(MemorySegment.NULL));
        return b;
    }

    private static void await(CountDownLatch l) throws InterruptedException {
        assertTrue(l.await(30, TimeUnit.SECONDS), "the work item never ran");
    }

    /** Runs a routine on queue {@code q} and waits for it. */
    private static void runOn(int q, WORKER_THREAD_ROUTINE r) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        MemorySegment item = block(ITEM);
        ExInitializeWorkItem(item, p -> {
            try {
                r.call(p);
            } finally {
                done.countDown();
            }
        }, MemorySegment.NULL);
        ExQueueWorkItem(item, q);
        await(done);
        ExFreePool(item);
    }

    @Test
    void shouldRunTheRoutineAtPassiveLevelOnASystemWorkerThreadOfTheSystemProcess() throws Exception {
        boot();
        for (int q : new int[] {CriticalWorkQueue, DelayedWorkQueue, HyperCriticalWorkQueue, WorkQueueType.NormalWorkQueue,
                WorkQueueType.BackgroundWorkQueue, WorkQueueType.RealTimeWorkQueue, WorkQueueType.SuperCriticalWorkQueue}) {
            MemorySegment item = block(ITEM);
            MemorySegment param = block(16);
            AtomicReference<String> seen = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            ExInitializeWorkItem(item, p -> {
                seen.set(Ke.KeGetCurrentIrql() + " " + Ps.PsIsSystemThread(Ps.PsGetCurrentThread()) + " "
                        + Ps.PsGetCurrentProcess().equals(Ps.PsInitialSystemProcess()) + " " + (p.address() == param.address()) + " "
                        + ThreadState.current().combinedApcDisable() + " " + item.get(JAVA_LONG, WORK_QUEUE_ITEM.LIST_OFFSET)
                        + " " + Thread.currentThread().getName().startsWith("offkern-system-thread-"));
                done.countDown();
            }, param);
            ExQueueWorkItem(item, q);
            await(done);
            assertEquals("0 true true true 0 0 true", seen.get(), "queue type " + q);
            ExFreePool(item);
            ExFreePool(param);
        }
        ExWorkerThreads w = kernel.workQueues();
        assertEquals(2, w.workerCount(ExWorkerThreads.CRITICAL));
        assertEquals(2, w.workerCount(ExWorkerThreads.DELAYED));
        assertEquals(1, w.workerCount(ExWorkerThreads.HYPER_CRITICAL));
        assertEquals(3, w.takenCount(ExWorkerThreads.CRITICAL));
        assertEquals(3, w.takenCount(ExWorkerThreads.DELAYED));
        assertEquals(1, w.takenCount(ExWorkerThreads.HYPER_CRITICAL));
    }

    @Test
    void shouldStartNoWorkerThreadUntilAQueueIsUsed() throws Exception {
        boot();
        ExWorkerThreads w = kernel.workQueues();
        long before = kernel.processes().liveThreadCount();
        assertEquals(0, w.workerCount(ExWorkerThreads.CRITICAL) + w.workerCount(ExWorkerThreads.DELAYED)
                + w.workerCount(ExWorkerThreads.HYPER_CRITICAL));
        runOn(DelayedWorkQueue, p -> { });
        assertEquals(2, w.workerCount(ExWorkerThreads.DELAYED));
        assertEquals(0, w.workerCount(ExWorkerThreads.CRITICAL));
        assertTrue(kernel.processes().liveThreadCount() >= before + 2, "the workers have ETHREADs in the System process");
    }

    @Test
    void shouldInitializeTheItemAsTheMacroDoes() {
        boot();
        MemorySegment item = block(ITEM);
        item.set(JAVA_LONG, WORK_QUEUE_ITEM.LIST_OFFSET + LIST_ENTRY.FLINK_OFFSET, 0x1234L);
        item.set(JAVA_LONG, WORK_QUEUE_ITEM.LIST_OFFSET + LIST_ENTRY.BLINK_OFFSET, 0x5678L);
        WORKER_THREAD_ROUTINE r = p -> { };
        ExInitializeWorkItem(item, r, MemorySegment.ofAddress(0xABCD0L));
        long stub = item.get(JAVA_LONG, WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET);
        assertNotEquals(0L, stub);
        assertEquals(r, kernel.core().routines().routineAt(stub), "WorkerRoutine is the routine's upcall stub");
        assertEquals(0xABCD0L, item.get(JAVA_LONG, WORK_QUEUE_ITEM.PARAMETER_OFFSET));
        assertEquals(0L, item.get(JAVA_LONG, WORK_QUEUE_ITEM.LIST_OFFSET + LIST_ENTRY.FLINK_OFFSET));
        assertEquals(0x5678L, item.get(JAVA_LONG, WORK_QUEUE_ITEM.LIST_OFFSET + LIST_ENTRY.BLINK_OFFSET), "Blink is left alone");
        MemorySegment other = block(ITEM);
        ExInitializeWorkItem(other, r, MemorySegment.NULL);
        assertEquals(stub, other.get(JAVA_LONG, WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET), "one stub per routine");
        assertEquals(0L, other.get(JAVA_LONG, WORK_QUEUE_ITEM.PARAMETER_OFFSET));
        ExFreePool(item);
        ExFreePool(other);
    }

    @Test
    void shouldRefuseWhatIsNoWorkItem() {
        boot();
        MemorySegment small = block(ITEM - 8);
        MemorySegment b = block(ITEM + 8);
        assertThrows(IllegalArgumentException.class, () -> ExInitializeWorkItem(MemorySegment.NULL, p -> { }, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> ExInitializeWorkItem(small, p -> { }, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> ExInitializeWorkItem(b.asSlice(4, ITEM), p -> { }, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> ExInitializeWorkItem(b, (WORKER_THREAD_ROUTINE) null, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> ExInitializeWorkItem(b, MemorySegment.NULL, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> ExQueueWorkItem(MemorySegment.NULL, CriticalWorkQueue));
        assertThrows(IllegalArgumentException.class, () -> ExQueueWorkItem(small, CriticalWorkQueue));
        ExFreePool(small);
        ExFreePool(b);
    }

    @Test
    void shouldBugCheckForAnItemOutsideTheKernelsMemory() {
        boot();
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment foreign = a.allocate(ITEM, 8);
            ExInitializeWorkItem(foreign, p -> { }, MemorySegment.NULL);
            BugCheck bc = assertThrows(BugCheck.class, () -> ExQueueWorkItem(foreign, CriticalWorkQueue));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, bc.code());
        }
    }

    @Test
    void shouldLetTheRoutineQueueItsOwnItemAgain() throws Exception {
        boot();
        MemorySegment item = block(ITEM);
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        ExInitializeWorkItem(item, p -> {
            if (runs.incrementAndGet() < 100) {
                ExQueueWorkItem(item, DelayedWorkQueue);
            } else {
                done.countDown();
            }
        }, MemorySegment.NULL);
        ExQueueWorkItem(item, DelayedWorkQueue);
        await(done);
        assertEquals(100, runs.get());
        ExFreePool(item);
    }

    @Test
    void shouldLetTheCallerQueueTheItemAgainOnceItHasRun() throws Exception {
        boot();
        MemorySegment item = block(ITEM);
        AtomicInteger runs = new AtomicInteger();
        ExInitializeWorkItem(item, p -> runs.incrementAndGet(), MemorySegment.NULL);
        for (int i = 0; i < 3; i++) {
            ExQueueWorkItem(item, HyperCriticalWorkQueue);
            int expected = i + 1;
            runOn(HyperCriticalWorkQueue, p -> { }); // FIFO, one hyper-critical worker: the item ran before this one
            assertEquals(expected, runs.get());
        }
        ExFreePool(item);
    }

    @Test
    void shouldLetTheRoutineFreeItsOwnItem() throws Exception {
        boot();
        CountDownLatch done = new CountDownLatch(50);
        for (int i = 0; i < 50; i++) {
            MemorySegment item = block(ITEM);
            ExInitializeWorkItem(item, p -> {
                ExFreePool(MemorySegment.ofAddress(p.address()));
                done.countDown();
            }, item);
            ExQueueWorkItem(item, CriticalWorkQueue);
        }
        await(done);
        runOn(CriticalWorkQueue, p -> { });
        assertEquals(0, kernel.bugChecks().raisedCount());
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    /** Blocks the single hyper-critical worker until {@code release} opens; returns once it is blocked. */
    private static MemorySegment blockHyperCritical(CountDownLatch release) throws InterruptedException {
        MemorySegment item = block(ITEM);
        CountDownLatch blocked = new CountDownLatch(1);
        ExInitializeWorkItem(item, p -> {
            blocked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, MemorySegment.NULL);
        ExQueueWorkItem(item, HyperCriticalWorkQueue);
        await(blocked);
        return item;
    }

    @Test
    void shouldBugCheckWhenAQueuedItemIsQueuedAgain() throws Exception {
        boot();
        CountDownLatch release = new CountDownLatch(1);
        MemorySegment blocker = blockHyperCritical(release);
        MemorySegment item = block(ITEM);
        AtomicInteger runs = new AtomicInteger();
        ExInitializeWorkItem(item, p -> runs.incrementAndGet(), MemorySegment.NULL);
        ExQueueWorkItem(item, HyperCriticalWorkQueue);
        BugCheck bc = assertThrows(BugCheck.class, () -> ExQueueWorkItem(item, DelayedWorkQueue));
        assertEquals(BugCheckCode.WORKER_INVALID, bc.code());
        assertEquals(1, bc.parameter1());
        assertEquals(item.address(), bc.parameter2());
        assertEquals(DelayedWorkQueue, bc.parameter3());
        release.countDown();
        runOn(HyperCriticalWorkQueue, p -> { });
        assertEquals(1, runs.get(), "queued once, run once");
        ExFreePool(item);
        ExFreePool(blocker);
    }

    @Test
    void shouldBugCheckForAnUninitializedItem() {
        boot();
        MemorySegment item = block(ITEM);
        ExInitializeWorkItem(item, p -> { }, MemorySegment.NULL);
        item.set(JAVA_LONG, WORK_QUEUE_ITEM.LIST_OFFSET, item.address()); // a stale link: never initialized as not queued
        BugCheck bc = assertThrows(BugCheck.class, () -> ExQueueWorkItem(item, CriticalWorkQueue));
        assertEquals(BugCheckCode.WORKER_INVALID, bc.code());
        assertEquals(1, bc.parameter1());
        ExFreePool(item);
    }

    @Test
    void shouldBugCheckForAQueueTypeThatIsNoQueue() {
        boot();
        MemorySegment item = block(ITEM);
        ExInitializeWorkItem(item, p -> { }, MemorySegment.NULL);
        for (int type : new int[] {-1, WorkQueueType.MaximumWorkQueue, 32, Integer.MAX_VALUE}) {
            BugCheck bc = assertThrows(BugCheck.class, () -> ExQueueWorkItem(item, type));
            assertEquals(BugCheckCode.WORKER_INVALID, bc.code());
            assertEquals(6, bc.parameter1());
            assertEquals(item.address(), bc.parameter2());
            assertEquals(type & 0xFFFFFFFFL, bc.parameter3());
        }
        assertEquals(0L, item.get(JAVA_LONG, WORK_QUEUE_ITEM.LIST_OFFSET), "not queued");
        ExFreePool(item);
    }

    @Test
    void shouldBugCheckForAWorkerRoutineThatIsNoRoutine() {
        boot();
        MemorySegment item = block(ITEM);
        MemorySegment data = block(64);
        ExInitializeWorkItem(item, data, MemorySegment.NULL); // a data pointer: not code
        BugCheck bc = assertThrows(BugCheck.class, () -> ExQueueWorkItem(item, CriticalWorkQueue));
        assertEquals(BugCheckCode.WORKER_INVALID, bc.code());
        assertEquals(7, bc.parameter1());
        assertEquals(item.address(), bc.parameter2());
        ExInitializeWorkItem(item, MemorySegment.ofAddress(0x1000), MemorySegment.NULL);
        assertEquals(7, assertThrows(BugCheck.class, () -> ExQueueWorkItem(item, CriticalWorkQueue)).parameter1());
        ExFreePool(item);
        ExFreePool(data);
    }

    /** Runs {@code bad} on the hyper-critical worker, then a probe; returns the bug check raised for {@code bad}. */
    private BugCheck badRoutine(WORKER_THREAD_ROUTINE bad, MemorySegment item, MemorySegment param) throws Exception {
        long before = kernel.bugChecks().raisedCount();
        ExInitializeWorkItem(item, bad, param);
        ExQueueWorkItem(item, HyperCriticalWorkQueue);
        AtomicReference<String> probe = new AtomicReference<>();
        runOn(HyperCriticalWorkQueue, p -> probe.set(Ke.KeGetCurrentIrql() + " " + ThreadState.current().combinedApcDisable()));
        assertEquals("0 0", probe.get(), "the worker was restored to PASSIVE_LEVEL with APCs enabled and keeps serving");
        assertEquals(before + 1, kernel.bugChecks().raisedCount());
        return kernel.bugChecks().last().bugCheck();
    }

    @Test
    void shouldBugCheckWhenTheRoutineReturnsAtRaisedIrql() throws Exception {
        boot();
        MemorySegment item = block(ITEM);
        MemorySegment param = block(8);
        BugCheck bc = badRoutine(p -> Ke.KeRaiseIrql(2), item, param);
        assertEquals(BugCheckCode.WORKER_THREAD_RETURNED_AT_BAD_IRQL, bc.code());
        assertEquals(item.get(JAVA_LONG, WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET), bc.parameter1());
        assertEquals(2, bc.parameter2());
        assertEquals(param.address(), bc.parameter3());
        assertEquals(item.address(), bc.parameter4());
        ExFreePool(item);
        ExFreePool(param);
    }

    @Test
    void shouldBugCheckWhenTheRoutineReturnsWithApcsDisabled() throws Exception {
        boot();
        MemorySegment item = block(ITEM);
        MemorySegment mutex = block(64);
        Ke.KeInitializeGuardedMutex(mutex);
        List<WORKER_THREAD_ROUTINE> bad = List.of(p -> Ke.KeEnterCriticalRegion(), p -> Ke.KeEnterGuardedRegion(),
                p -> Ke.KeAcquireGuardedMutex(mutex));
        for (WORKER_THREAD_ROUTINE r : bad) {
            BugCheck bc = badRoutine(r, item, MemorySegment.NULL);
            assertEquals(BugCheckCode.WORKER_THREAD_RETURNED_AT_BAD_IRQL, bc.code());
            assertEquals(0, bc.parameter2(), "at PASSIVE_LEVEL, but with APCs disabled");
            assertEquals(item.address(), bc.parameter4());
        }
        ExFreePool(item);
    }

    @Test
    void shouldBugCheckWhenAnExceptionEscapesTheRoutine() throws Exception {
        boot();
        MemorySegment item = block(ITEM);
        BugCheck bc = badRoutine(p -> {
            throw new IllegalArgumentException("boom");
        }, item, MemorySegment.NULL);
        assertEquals(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, bc.code());
        assertEquals(item.address(), bc.parameter3());
        ExFreePool(item);
    }

    @Test
    void shouldBugCheckWhenAQueuedItemIsFreed() throws Exception {
        boot();
        CountDownLatch release = new CountDownLatch(1);
        MemorySegment blocker = blockHyperCritical(release);
        MemorySegment item = block(ITEM);
        AtomicInteger runs = new AtomicInteger();
        ExInitializeWorkItem(item, p -> runs.incrementAndGet(), MemorySegment.NULL);
        ExQueueWorkItem(item, HyperCriticalWorkQueue);
        BugCheck bc = assertThrows(BugCheck.class, () -> ExFreePool(item));
        assertEquals(BugCheckCode.WORKER_INVALID, bc.code());
        assertEquals(0, bc.parameter1());
        assertEquals(item.address(), bc.parameter2());
        assertTrue(bc.parameter3() <= item.address() && item.address() + ITEM <= bc.parameter4(), "the block's bounds");
        release.countDown();
        runOn(HyperCriticalWorkQueue, p -> { });
        assertEquals(1, runs.get());
        ExFreePool(item); // run: no longer queued
        ExFreePool(blocker);
    }

    @Test
    void shouldBugCheckForAnItemReinitializedWhileQueued() throws Exception {
        boot();
        CountDownLatch release = new CountDownLatch(1);
        MemorySegment blocker = blockHyperCritical(release);
        MemorySegment item = block(ITEM);
        ExInitializeWorkItem(item, p -> { }, MemorySegment.NULL);
        ExQueueWorkItem(item, HyperCriticalWorkQueue);
        ExInitializeWorkItem(item, p -> { }, MemorySegment.NULL); // the driver's bug: Flink := NULL while linked
        long routine = item.get(JAVA_LONG, WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET); // what would have been called
        long before = kernel.bugChecks().raisedCount();
        release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (kernel.bugChecks().raisedCount() == before && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        runOn(HyperCriticalWorkQueue, p -> { }); // queued after the corruption was found: the queue was emptied and serves again
        assertEquals(before + 1, kernel.bugChecks().raisedCount());
        BugCheck bc = kernel.bugChecks().last().bugCheck();
        assertEquals(BugCheckCode.INVALID_WORK_QUEUE_ITEM, bc.code());
        assertEquals(item.address(), bc.parameter1());
        assertEquals(routine, bc.parameter4());
        ExFreePool(blocker);
    }

    @Test
    void shouldBugCheckWhenQueuedAboveDispatchLevel() {
        boot();
        MemorySegment item = block(ITEM);
        ExInitializeWorkItem(item, p -> { }, MemorySegment.NULL);
        int old = Ke.KeRaiseIrql(3);
        try {
            BugCheck bc = assertThrows(BugCheck.class, () -> ExQueueWorkItem(item, CriticalWorkQueue));
            assertEquals(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, bc.code());
        } finally {
            Ke.KeLowerIrql(old);
        }
        ExFreePool(item);
    }

    @Test
    void shouldQueueAtDispatchLevelAndStartTheWorkersFromThere() throws Exception {
        boot();
        MemorySegment item = block(ITEM);
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger irql = new AtomicInteger(-1);
        ExInitializeWorkItem(item, p -> {
            irql.set(Ke.KeGetCurrentIrql());
            done.countDown();
        }, MemorySegment.NULL);
        int old = Ke.KeRaiseIrql(2);
        try {
            ExQueueWorkItem(item, CriticalWorkQueue); // the queue's first use: its workers start here
            assertEquals(2, Ke.KeGetCurrentIrql(), "the caller's IRQL is kept");
        } finally {
            Ke.KeLowerIrql(old);
        }
        await(done);
        assertEquals(0, irql.get());
        ExFreePool(item);
    }

    @Test
    void shouldRunEveryItemExactlyOnceUnderContention() throws Exception {
        boot();
        int threads = 4;
        int perThread = 3_000;
        int total = threads * perThread;
        AtomicIntegerArray runs = new AtomicIntegerArray(total);
        CountDownLatch done = new CountDownLatch(total);
        Set<String> workerNames = ConcurrentHashMap.newKeySet();
        WORKER_THREAD_ROUTINE routine = p -> {
            int id = (int) p.address() - 1;
            runs.incrementAndGet(id);
            workerNames.add(Thread.currentThread().getName());
            done.countDown();
        };
        List<Thread> producers = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            int base = t * perThread;
            Thread th = new Thread(() -> {
                try {
                    kernel.attach();
                    // items in batches: each item is queued once, freed after it ran (checked below)
                    MemorySegment[] items = new MemorySegment[perThread];
                    for (int i = 0; i < perThread; i++) {
                        items[i] = block(ITEM);
                        ExInitializeWorkItem(items[i], routine, MemorySegment.ofAddress(base + i + 1));
                        int q = new int[] {CriticalWorkQueue, DelayedWorkQueue, HyperCriticalWorkQueue}[(base + i) % 3];
                        int irql = (i & 1) == 0 ? Ke.KeRaiseIrql(2) : -1;
                        ExQueueWorkItem(items[i], q);
                        if (irql >= 0) {
                            Ke.KeLowerIrql(irql);
                        }
                    }
                    done.await();
                    for (MemorySegment it : items) {
                        ExFreePool(it); // the verifier's free check: none is still queued
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    for (long i = done.getCount(); i > 0; i--) {
                        done.countDown();
                    }
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
        for (int i = 0; i < total; i++) {
            assertEquals(1, runs.get(i), "item " + i + " ran " + runs.get(i) + " times");
        }
        ExWorkerThreads w = kernel.workQueues();
        long queued = 0;
        long taken = 0;
        for (int q = 0; q < 3; q++) {
            assertEquals(w.queuedCount(q), w.takenCount(q), "queue " + q + ": every queued item was taken");
            queued += w.queuedCount(q);
            taken += w.takenCount(q);
        }
        assertEquals(total, queued);
        assertEquals(total, taken);
        assertEquals(0, kernel.bugChecks().raisedCount());
        assertTrue(workerNames.size() >= 3 && workerNames.size() <= 5, "at most two critical, two delayed, one hyper-critical worker: " + workerNames);
    }

    @Test
    void shouldEndEveryWorkerThreadAtClose() throws Exception {
        boot();
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        for (int q : new int[] {CriticalWorkQueue, DelayedWorkQueue, HyperCriticalWorkQueue}) {
            for (int i = 0; i < 4; i++) {
                runOn(q, p -> workers.add(Thread.currentThread()));
            }
        }
        // an item still queued (its worker is blocked in a kernel wait) and a worker blocked in KeWaitForSingleObject
        MemorySegment event = block(KEVENT.X64.size());
        Ke.KeInitializeEvent(event, 0, false);
        CountDownLatch waiting = new CountDownLatch(1);
        MemorySegment waiter = block(ITEM);
        ExInitializeWorkItem(waiter, p -> {
            workers.add(Thread.currentThread());
            waiting.countDown();
            Ke.KeWaitForSingleObject(event, 0, 0, false, MemorySegment.NULL);
        }, MemorySegment.NULL);
        ExQueueWorkItem(waiter, HyperCriticalWorkQueue);
        await(waiting);
        MemorySegment never = block(ITEM);
        ExInitializeWorkItem(never, p -> workers.add(Thread.currentThread()), MemorySegment.NULL);
        ExQueueWorkItem(never, HyperCriticalWorkQueue);
        kernel.close();
        for (Thread t : workers) {
            t.join(30_000);
            assertFalse(t.isAlive(), t.getName() + " still runs after close");
        }
        assertTrue(workers.size() >= 3 && workers.size() <= 5, workers.size() + " workers seen");
        ExWorkerThreads w = kernel.workQueues();
        assertEquals(0, w.workerCount(0) + w.workerCount(1) + w.workerCount(2));
    }

    @Test
    void shouldRefuseCallsOnAClosedKernel() {
        boot();
        MemorySegment item = block(ITEM);
        ExInitializeWorkItem(item, p -> { }, MemorySegment.NULL);
        kernel.close();
        assertThrows(IllegalStateException.class, () -> ExQueueWorkItem(item, CriticalWorkQueue));
        assertThrows(IllegalStateException.class, () -> ExInitializeWorkItem(item, p -> { }, MemorySegment.NULL));
    }
}
