package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;

import static dev.offkern.ddi.Ke.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessorTest {
    @TempDir
    Path dumps;
    Kernel kernel;

    @AfterEach
    void close() {
        if (kernel != null) {
            kernel.close();
        }
    }

    @Test
    void shouldDefaultToTheHostsProcessorCount() {
        assertEquals(Math.min(64, Runtime.getRuntime().availableProcessors()), KernelConfig.defaults().processorCount());
        assertThrows(IllegalArgumentException.class, () -> KernelConfig.defaults().withProcessorCount(0));
        assertThrows(IllegalArgumentException.class, () -> KernelConfig.defaults().withProcessorCount(65));
    }

    @Test
    void shouldAssignCallerThreadsToThreadIdModProcessorCount() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(3).withDumpDirectory(dumps));
        assertEquals(Thread.currentThread().threadId() % 3, KeGetCurrentProcessorNumber());
        assertEquals(KeGetCurrentProcessorNumber(), KeGetCurrentProcessorNumber(), "stable");
    }

    @Test
    void shouldWriteProcessorNumberExAndReturnTheIndex() {
        kernel = KernelFixture.boot(dumps);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pn = a.allocate(4);
            pn.fill((byte) 0x55);
            int n = KeGetCurrentProcessorNumberEx(pn);
            assertEquals(KeGetCurrentProcessorNumber(), n);
            assertEquals(0, pn.get(JAVA_SHORT, 0), "Group");
            assertEquals(n, pn.get(JAVA_BYTE, 2), "Number");
            assertEquals(0, pn.get(JAVA_BYTE, 3), "Reserved");
            assertEquals(n, KeGetCurrentProcessorNumberEx(MemorySegment.NULL));
            assertThrows(IllegalArgumentException.class, () -> KeGetCurrentProcessorNumberEx(a.allocate(2)));
        }
    }

    @Test
    void shouldReportActiveProcessorsAndAffinityMask() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(3).withDumpDirectory(dumps));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mask = a.allocate(8);
            assertEquals(3, KeQueryActiveProcessorCount(mask));
            assertEquals(0b111L, mask.get(JAVA_LONG, 0));
            assertEquals(3, KeQueryActiveProcessorCount(MemorySegment.NULL));
            assertEquals(3, KeQueryActiveProcessorCountEx(0));
            assertEquals(3, KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS));
            assertEquals(0, KeQueryActiveProcessorCountEx(1), "no group 1");
            assertEquals(3, KeQueryMaximumProcessorCount());
            assertEquals(3, KeQueryMaximumProcessorCountEx(0));
        }
    }

    @Test
    void shouldWriteAFullMaskFor64Processors() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(64).withDumpDirectory(dumps));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mask = a.allocate(8);
            assertEquals(64, KeQueryActiveProcessorCount(mask));
            assertEquals(-1L, mask.get(JAVA_LONG, 0));
        }
    }

    @Test
    void shouldLayOutPrcbBlocksFourCacheLinesApartWithEmptyDpcQueues() {
        kernel = KernelFixture.boot(dumps);
        Processors ps = kernel.processors();
        assertEquals(0x100, Prcb.STRIDE);
        for (int i = 0; i < ps.count(); i++) {
            MemorySegment prcb = ps.get(i).prcb();
            assertEquals(0, prcb.address() % Prcb.STRIDE, "aligned to its stride");
            assertEquals(ps.prcbArray().address() + (long) Prcb.STRIDE * i, prcb.address());
            assertEquals(i, prcb.get(JAVA_INT, Prcb.NUMBER_OFFSET));
            for (int q = 0; q < 2; q++) {
                long data = prcb.address() + dev.offkern.layout.ke.OFFKERN_PRCB.dpcDataOffset(q);
                long head = data + dev.offkern.layout.ke.KDPC_DATA.LIST_HEAD_OFFSET;
                assertEquals(0, prcb.get(JAVA_LONG, head - prcb.address()), "ListHead.Next NULL");
                assertEquals(head, prcb.get(JAVA_LONG, data - prcb.address() + dev.offkern.layout.ke.KDPC_DATA.LAST_ENTRY_OFFSET),
                        "LastEntry -> &ListHead");
                assertTrue(kernel.addressSpace().isValid(data, dev.offkern.layout.ke.KDPC_DATA.X64.size()),
                        "PRCBs are registered kernel memory");
            }
        }
    }

    @Test
    void shouldRunSubmittedRequestsAtDispatchLevelOnTheProcessorsServiceThread() throws Exception {
        kernel = KernelFixture.boot(dumps);
        for (int i = 0; i < kernel.processors().count(); i++) {
            Processor p = kernel.processors().get(i);
            CompletableFuture<int[]> seen = new CompletableFuture<>();
            assertTrue(p.submit(() -> seen.complete(new int[] {KeGetCurrentIrql(), KeGetCurrentProcessorNumber(),
                    p.dpcRoutineActive() ? 1 : 0, Thread.currentThread() == p.serviceThread() ? 1 : 0})));
            assertArrayEquals(new int[] {Irql.DISPATCH_LEVEL, i, 1, 1}, seen.get(5, TimeUnit.SECONDS));
            assertTrue(p.serviceThread().isDaemon());
        }
    }

    @Test
    void shouldRunEveryRequestOnceUnderConcurrentSubmission() throws Exception {
        kernel = KernelFixture.boot(dumps);
        Processor p = kernel.processors().get(1);
        int producers = 3;
        int perProducer = 2000 * Integer.getInteger("offkern.stress.scale", 1);
        AtomicInteger ran = new AtomicInteger();
        Set<Integer> ids = java.util.Collections.synchronizedSet(new HashSet<>());
        CountDownLatch done = new CountDownLatch(producers * perProducer);
        Thread[] ts = new Thread[producers];
        for (int t = 0; t < producers; t++) {
            int base = t * perProducer;
            ts[t] = new Thread(() -> {
                for (int i = 0; i < perProducer; i++) {
                    int id = base + i;
                    p.submit(() -> {
                        ran.incrementAndGet();
                        if (!ids.add(id)) {
                            throw new AssertionError("request " + id + " ran twice");
                        }
                        done.countDown();
                    });
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertTrue(done.await(20, TimeUnit.SECONDS), "ran " + ran.get());
        assertEquals(producers * perProducer, ids.size());
        // ServiceCount is incremented after each request returns: wait for the last increment.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (p.serviceCount() < producers * perProducer && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(producers * perProducer, p.serviceCount());
    }

    @Test
    void shouldParkTheIdleServiceThread() throws Exception {
        kernel = KernelFixture.boot(dumps);
        Thread t = kernel.processors().get(0).serviceThread();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(Thread.State.WAITING, t.getState());
    }

    @Test
    void shouldBugCheckWhenARequestLowersBelowDispatchInsideTheDpcRoutine() throws Exception {
        kernel = KernelFixture.boot(dumps);
        Processor p = kernel.processors().get(0);
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        p.submit(() -> {
            try {
                KeLowerIrql(Irql.PASSIVE_LEVEL);
                thrown.complete(null);
            } catch (Throwable t) {
                thrown.complete(t);
                throw t;
            }
        });
        Throwable t = thrown.get(5, TimeUnit.SECONDS);
        assertNotNull(t);
        dev.offkern.nt.BugCheck bc = (dev.offkern.nt.BugCheck) t;
        assertEquals(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, bc.code());
        assertArrayEquals(new long[] {0x31, 2, 0, 1}, bc.parameters());
        assertServiceStillRuns(p);
    }

    @Test
    void shouldBugCheckIrqlUnexpectedValueWhenARequestReturnsAtAnotherIrql() throws Exception {
        kernel = KernelFixture.boot(dumps);
        Processor p = kernel.processors().get(0);
        p.submit(() -> KeRaiseIrql(Irql.CLOCK_LEVEL));
        BugCheckReport r = awaitLastBugCheck();
        assertEquals(BugCheckCode.IRQL_UNEXPECTED_VALUE, r.bugCheck().code());
        assertArrayEquals(new long[] {(13L << 16) | (2L << 8), 0, 0, 0}, r.bugCheck().parameters());
        assertServiceStillRuns(p);
    }

    @Test
    void shouldBugCheckKmodeExceptionNotHandledWhenARequestThrows() throws Exception {
        kernel = KernelFixture.boot(dumps);
        Processor p = kernel.processors().get(1);
        p.submit(() -> {
            throw new IllegalStateException("driver bug");
        });
        BugCheckReport r = awaitLastBugCheck();
        assertEquals(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, r.bugCheck().code());
        assertEquals(0xC0000144L, r.bugCheck().parameter1());
        assertTrue(r.bugCheck().getMessage().contains("driver bug"));
        assertEquals(1, r.processor(), "raised on processor 1's service thread");
        assertServiceStillRuns(p);
    }

    @Test
    void shouldDropARequestsExceptionWithoutKillingTheServiceThreadWhenTheKernelClosesUnderIt() throws Exception {
        kernel = KernelFixture.boot(dumps);
        Processor p = kernel.processors().get(0);
        Thread service = p.serviceThread();
        CompletableFuture<Throwable> died = new CompletableFuture<>();
        service.setUncaughtExceptionHandler((t, e) -> died.complete(e));
        CountDownLatch running = new CountDownLatch(1);
        Kernel closing = kernel;
        assertTrue(p.submit(() -> {
            running.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!closing.isClosed() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            throw new IllegalStateException("a driver's exception while the kernel closes");
        }));
        assertTrue(running.await(5, TimeUnit.SECONDS));
        kernel.close();
        kernel = null;
        service.join(10_000);
        assertFalse(service.isAlive(), "the service thread ends with the kernel");
        assertFalse(died.isDone(), () -> "the service thread died of " + died.getNow(null));
    }

    @Test
    void shouldStopServiceThreadsAtClose() throws Exception {
        kernel = KernelFixture.boot(dumps);
        Thread t0 = kernel.processors().get(0).serviceThread();
        Processor p0 = kernel.processors().get(0);
        kernel.close();
        t0.join(5000);
        assertFalse(t0.isAlive());
        assertFalse(p0.submit(() -> { }), "a closed processor refuses work");
        kernel = null;
    }

    @Test
    void shouldGiveEachThreadADistinctIdentityBlock() throws Exception {
        kernel = KernelFixture.boot(dumps);
        ThreadState me = ThreadState.current();
        CompletableFuture<ThreadState> other = new CompletableFuture<>();
        Thread t = new Thread(() -> other.complete(ThreadState.current()));
        t.start();
        ThreadState o = other.get(5, TimeUnit.SECONDS);
        assertNotEquals(me.address(), o.address());
        assertNotEquals(me.id(), o.id());
        assertEquals(me.id(), me.block().get(JAVA_LONG, OFFKERN_THREAD_BLOCK.OFFSET_IN_THREAD + OFFKERN_THREAD_BLOCK.THREAD_ID_OFFSET));
        assertTrue(kernel.addressSpace().isValid(me.address() + dev.offkern.layout.ps.ETHREAD.TCB_WAIT_BLOCK_OFFSET, dev.offkern.layout.ps.ETHREAD.TCB_WAIT_BLOCK_SIZE));
        assertEquals(me, ThreadState.current(), "the same state on every call");
    }

    @Test
    void shouldBuildANewStateWhenTheThreadMovesToAnotherKernel() throws Exception {
        Kernel first = KernelFixture.boot(dumps);
        KeRaiseIrql(Irql.APC_LEVEL);
        ThreadState s1 = ThreadState.current();
        first.close();
        kernel = KernelFixture.boot(dumps);
        ThreadState s2 = ThreadState.current();
        assertNotEquals(s1, s2);
        assertEquals(kernel.core(), s2.kernel());
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql(), "a new kernel starts the thread at PASSIVE_LEVEL");
    }

    private BugCheckReport awaitLastBugCheck() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (kernel.bugChecks().last() == null && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertNotNull(kernel.bugChecks().last(), "no bug check was raised");
        return kernel.bugChecks().last();
    }

    private static void assertServiceStillRuns(Processor p) throws Exception {
        CompletableFuture<Integer> irql = new CompletableFuture<>();
        p.submit(() -> irql.complete(KeGetCurrentIrql()));
        assertEquals(Irql.DISPATCH_LEVEL, irql.get(5, TimeUnit.SECONDS));
    }

    @Test
    void shouldStopServiceThreadsWhenTheKernelHalts() throws Exception {
        kernel = KernelFixture.boot(dumps, BugCheckPolicy.HALT, true);
        Thread t1 = kernel.processors().get(1).serviceThread();
        assertThrows(dev.offkern.nt.KernelHaltedException.class, () -> KeBugCheck(0xE2));
        t1.join(5000);
        assertFalse(t1.isAlive());
    }

    @Test
    void shouldRunTheDpcDrainHookAtDispatchLevelWhenRequested() throws Exception {
        kernel = KernelFixture.boot(dumps);
        Processor p = kernel.processors().get(1);
        java.util.concurrent.LinkedBlockingQueue<int[]> runs = new java.util.concurrent.LinkedBlockingQueue<>();
        p.setDpcDrain(() -> runs.add(new int[] {KeGetCurrentIrql(), KeGetCurrentProcessorNumber(), p.dpcRoutineActive() ? 1 : 0}));
        KeRaiseIrql(Irql.HIGH_LEVEL);
        p.requestDpcDrain(); // IRQL: any
        KeLowerIrql(Irql.PASSIVE_LEVEL);
        assertArrayEquals(new int[] {Irql.DISPATCH_LEVEL, 1, 1}, runs.poll(5, TimeUnit.SECONDS));
        p.requestDpcDrain();
        assertArrayEquals(new int[] {Irql.DISPATCH_LEVEL, 1, 1}, runs.poll(5, TimeUnit.SECONDS));
        assertEquals(0, p.serviceCount(), "drains are not counted as service requests");
    }
}
