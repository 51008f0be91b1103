package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.KWAIT_BLOCK;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.KeEventTest.awaitWaiters;
import static dev.offkern.runtime.ke.KeEventTest.countWaiters;
import static dev.offkern.runtime.ke.LockTestSupport.SCALE;
import static dev.offkern.runtime.ke.LockTestSupport.block;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.NtStatus;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.runtime.Kernel;
import dev.offkern.nt.KernelHaltedException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Waits that are pending when their kernel closes or halts end by throwing; new waits fail fast. */
class KeWaitShutdownTest {
    private static final long JOIN_SECONDS = 20;

    @TempDir
    Path dumps;
    private final List<Kernel> kernels = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    @AfterEach
    void cleanUp() throws InterruptedException {
        LockTestSupport.resetThread();
        Kernel.detach();
        for (Kernel k : kernels) {
            k.close();
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(JOIN_SECONDS));
        }
    }

    private Kernel boot(BugCheckPolicy policy) {
        Kernel k = KernelFixture.boot(dumps, policy, true).leakReportSink(s -> { });
        kernels.add(k);
        return k;
    }

    private static MemorySegment event(Kernel k) {
        MemorySegment e = block(k, 0x18);
        KeInitializeEvent(e, SynchronizationEvent, false);
        return e;
    }

    /**
     * Runs {@code wait} on a new thread attached to {@code k}; the future completes with the status
     * it returned (Integer) or what it threw.
     */
    private CompletableFuture<Object> waiter(Kernel k, Supplier<Integer> wait) {
        CompletableFuture<Object> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                k.attach();
                result.complete(wait.get());
            } catch (Throwable x) {
                result.complete(x);
            } finally {
                Kernel.detach();
            }
        }, "shutdown-waiter");
        t.setDaemon(true); // a failing test must not keep the JVM alive
        threads.add(t);
        t.start();
        return result;
    }

    private static Object outcome(CompletableFuture<Object> f) throws Exception {
        return f.get(JOIN_SECONDS, TimeUnit.SECONDS); // a TimeoutException here means the waiter hung
    }

    private static void assertClosedException(Object outcome) {
        IllegalStateException e = assertInstanceOf(IllegalStateException.class, outcome, String.valueOf(outcome));
        assertTrue(e.getMessage().startsWith("this offkern kernel is closed"), e.getMessage());
    }

    private static MemorySegment objects(Kernel k, MemorySegment... objs) {
        MemorySegment arr = block(k, 8L * objs.length);
        for (int i = 0; i < objs.length; i++) {
            arr.set(ValueLayout.JAVA_LONG, 8L * i, objs[i].address());
        }
        return arr;
    }

    @Test
    void shouldWakeAnInfiniteSingleObjectWaitWithIllegalStateExceptionWhenTheKernelCloses() throws Exception {
        Kernel k = boot(BugCheckPolicy.THROW);
        k.attach();
        MemorySegment e = event(k);
        CompletableFuture<Object> f = waiter(k, () -> KeWaitForSingleObject(e, Executive, KernelMode, false, MemorySegment.NULL));
        awaitWaiters(e, 1);
        k.close();
        assertClosedException(outcome(f));
    }

    @Test
    void shouldWakeAWaitAllOnTwoObjectsWithIllegalStateExceptionWhenTheKernelCloses() throws Exception {
        Kernel k = boot(BugCheckPolicy.THROW);
        k.attach();
        MemorySegment a = event(k);
        MemorySegment b = event(k);
        MemorySegment objs = objects(k, a, b);
        KeSetEvent(a, 0, false); // one of two signalled: the WaitAll still blocks
        CompletableFuture<Object> f = waiter(k, () -> KeWaitForMultipleObjects(2, objs, WaitAll, Executive, KernelMode, false,
                MemorySegment.NULL, MemorySegment.NULL));
        awaitWaiters(b, 1);
        assertEquals(1, countWaiters(a));
        k.close();
        assertClosedException(outcome(f));
    }

    @Test
    void shouldWakeAWaitWhoseWaitBlockArrayIsInPoolMemoryBeforeThePoolIsUnmapped() throws Exception {
        Kernel k = boot(BugCheckPolicy.THROW);
        k.attach();
        MemorySegment[] evs = {event(k), event(k), event(k), event(k), event(k)};
        MemorySegment objs = objects(k, evs);
        MemorySegment waitBlocks = block(k, KWAIT_BLOCK.LAYOUT.byteSize() * evs.length);
        CompletableFuture<Object> f = waiter(k, () -> KeWaitForMultipleObjects(evs.length, objs, WaitAny, Executive, KernelMode,
                false, MemorySegment.NULL, waitBlocks));
        awaitWaiters(evs[4], 1);
        k.close();
        assertClosedException(outcome(f));
    }

    @Test
    void shouldWakeAWaiterWithKernelHaltedExceptionWhenAnotherThreadBugChecksUnderHaltPolicy() throws Exception {
        Kernel k = boot(BugCheckPolicy.HALT);
        k.attach();
        MemorySegment e = event(k);
        CompletableFuture<Object> f = waiter(k, () -> KeWaitForSingleObject(e, Executive, KernelMode, false, MemorySegment.NULL));
        awaitWaiters(e, 1);
        KernelHaltedException mine = assertThrows(KernelHaltedException.class, () -> KeBugCheckEx(0xE2, 7, 0, 0, 0));
        KernelHaltedException theirs = assertInstanceOf(KernelHaltedException.class, outcome(f));
        assertEquals(0xE2, theirs.code());
        assertEquals(7, theirs.parameters()[0]);
        assertNotNull(theirs.dumpFile(), "woken after the dump was written: the exception names it");
        assertEquals(mine.dumpFile(), theirs.dumpFile());
        assertEquals(0, waitListLength(e), "the woken wait's block is unlinked");
        // a new wait on the halted kernel fails fast, on another thread as on this one
        CompletableFuture<Object> later = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                later.complete(KeWaitForSingleObject(e, Executive, KernelMode, false, MemorySegment.NULL));
            } catch (Throwable x) {
                later.complete(x);
            }
        });
        t.setDaemon(true);
        threads.add(t);
        t.start();
        assertInstanceOf(KernelHaltedException.class, outcome(later));
        assertThrows(KernelHaltedException.class, () -> KeWaitForSingleObject(e, Executive, KernelMode, false, MemorySegment.NULL));
    }

    @Test
    void shouldFailANewWaitAtOnceAfterTheKernelClosed() throws Exception {
        Kernel k = boot(BugCheckPolicy.THROW);
        k.attach();
        MemorySegment e = event(k);
        KeSetEvent(e, 0, false); // even a wait that could be satisfied at once must fail
        CountDownLatch attached = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        CompletableFuture<Object> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                k.attach();
                KeReadStateEvent(e); // the thread has used the kernel: it holds a thread state
                attached.countDown();
                closed.await();
                long t0 = System.nanoTime();
                try {
                    f.complete(KeWaitForSingleObject(e, Executive, KernelMode, false, MemorySegment.NULL));
                } catch (Throwable x) {
                    f.complete(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5) ? x : new AssertionError("slow", x));
                }
            } catch (Throwable x) {
                f.complete(new AssertionError("unexpected failure before the wait", x));
            } finally {
                Kernel.detach();
            }
        });
        t.setDaemon(true);
        threads.add(t);
        t.start();
        assertTrue(attached.await(JOIN_SECONDS, TimeUnit.SECONDS));
        k.close();
        closed.countDown();
        assertClosedException(outcome(f));
        assertThrows(IllegalStateException.class,
                () -> KeWaitForSingleObject(e, Executive, KernelMode, false, MemorySegment.NULL),
                "the closing thread itself cannot wait either");
    }

    @Test
    void shouldLeaveWaitersOfAnotherKernelWaitingWhenOneKernelCloses() throws Exception {
        Kernel k1 = boot(BugCheckPolicy.THROW);
        Kernel k2 = boot(BugCheckPolicy.THROW);
        k1.attach();
        MemorySegment e1 = event(k1);
        CompletableFuture<Object> f1 = waiter(k1, () -> KeWaitForSingleObject(e1, Executive, KernelMode, false, MemorySegment.NULL));
        awaitWaiters(e1, 1);
        k2.attach();
        MemorySegment e2 = event(k2);
        CompletableFuture<Object> f2 = waiter(k2, () -> KeWaitForSingleObject(e2, Executive, KernelMode, false, MemorySegment.NULL));
        awaitWaiters(e2, 1);
        k1.close();
        assertClosedException(outcome(f1));
        Thread.sleep(50);
        assertFalse(f2.isDone(), "the other kernel's waiter still waits");
        assertEquals(1, countWaiters(e2));
        KeSetEvent(e2, 0, false);
        assertEquals(NtStatus.STATUS_WAIT_0, outcome(f2));
    }

    @Test
    void shouldEndEveryWaitWithIllegalStateExceptionWhenCloseRacesWithWaitsStarting() throws Exception {
        int n = 4;
        for (int round = 0; round < 10 * SCALE; round++) {
            Kernel k = boot(BugCheckPolicy.THROW);
            k.attach();
            MemorySegment e = event(k);
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<Object>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(waiter(k, () -> {
                    try {
                        go.await();
                    } catch (InterruptedException x) {
                        throw new AssertionError(x);
                    }
                    for (;;) { // wait again and again: only the close may end this loop
                        KeWaitForSingleObject(e, Executive, KernelMode, false, MemorySegment.NULL);
                    }
                }));
            }
            go.countDown();
            if ((round & 1) == 1) {
                Thread.sleep(1);
            }
            for (int i = 0; i < 3; i++) {
                KeSetEvent(e, 0, false);
            }
            k.close();
            Kernel.detach();
            for (CompletableFuture<Object> f : fs) {
                Object o = outcome(f);
                // a thread that had not attached yet fails in attach() with the same exception
                assertClosedException(o);
            }
        }
    }

    /**
     * A bad pointer met under the dispatcher lock (here: a KeSetEvent whose wait list links out of
     * the address space) raises its bug check there, but the bug check's machinery runs once the
     * lock is released: under HALT the halt ends every wait without waiting for a lock its own
     * thread holds, and a bug-check callback finds the lock free (a dispatcher routine it calls
     * works instead of spinning for ever on its own thread's lock).
     */
    @Test
    void shouldHaltWithoutHangingWhenTheBugCheckIsRaisedUnderTheDispatcherLock() throws Exception {
        Kernel k = boot(BugCheckPolicy.HALT);
        k.attach();
        MemorySegment waited = event(k);
        CompletableFuture<Object> waiter = waiter(k, () -> KeWaitForSingleObject(waited, Executive, KernelMode, false, MemorySegment.NULL));
        awaitWaiters(waited, 1);
        MemorySegment broken = event(k);
        broken.set(ValueLayout.JAVA_LONG, 8, 0x10L); // WaitListHead.Flink outside every region
        broken.set(ValueLayout.JAVA_LONG, 16, 0x10L);
        MemorySegment other = event(k);
        MemorySegment record = block(k, 0x40);
        KeInitializeCallbackRecord(record);
        Object[] fromCallback = new Object[2];
        KeSetEvent(other, 0, false);
        assertTrue(KeRegisterBugCheckCallback(record, (buffer, length) -> {
            fromCallback[1] = DispatcherLock.LOCK.isHeld();
            try {
                KeClearEvent(other); // IRQL any; needs the dispatcher lock, which the raising routine held
                fromCallback[0] = "returned";
            } catch (Throwable t) {
                fromCallback[0] = t;
            }
        }, MemorySegment.NULL, 0, MemorySegment.NULL));
        CompletableFuture<Object> setter = waiter(k, () -> KeSetEvent(broken, 0, false));
        KernelHaltedException halted = assertInstanceOf(KernelHaltedException.class, outcome(setter));
        assertEquals(0x50, halted.code());
        assertInstanceOf(KernelHaltedException.class, outcome(waiter), "the other thread's wait ended with the halt");
        assertEquals("returned", fromCallback[0], "the callback's dispatcher call completed");
        assertEquals(false, fromCallback[1], "the callback ran with the dispatcher lock free");
        assertEquals(0, Dispatcher.signalState(other, 0), "the callback's KeClearEvent took effect");
        broken.set(ValueLayout.JAVA_LONG, 8, broken.address() + 8);
        broken.set(ValueLayout.JAVA_LONG, 16, broken.address() + 8);
    }

    /** The wait list length read straight from the header (no thread state needed: the kernel is halted). */
    private static int waitListLength(MemorySegment object) {
        Dispatcher.lock();
        try {
            return object.get(ValueLayout.JAVA_LONG, 8) == object.address() + 8 ? 0 : -1; // -1: not empty
        } finally {
            Dispatcher.unlock();
        }
    }
    /** A relative interval of {@code seconds} in {@code k}'s pool (what KeDelayExecutionThread reads). */
    private static MemorySegment interval(Kernel k, long seconds) {
        MemorySegment t = block(k, 8);
        t.set(ValueLayout.JAVA_LONG, 0, -seconds * 10_000_000L);
        return t;
    }

    /** Until {@code n} threads are registered with the dispatcher as waiting (a delay links no wait block). */
    private static void awaitWaitingThreads(int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_SECONDS);
        while (Dispatcher.waitingThreads() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + n + " waiting threads, have " + Dispatcher.waitingThreads()
                        + ": the delay is not a dispatcher wait");
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void shouldEndADelayWithIllegalStateExceptionWhenTheKernelCloses() throws Exception {
        Kernel k = boot(BugCheckPolicy.THROW);
        k.attach();
        MemorySegment tenMinutes = interval(k, 600);
        CompletableFuture<Object> f = waiter(k, () -> KeDelayExecutionThread(KernelMode, false, tenMinutes));
        awaitWaitingThreads(1);
        k.close();
        assertClosedException(outcome(f));
        assertEquals(0, Dispatcher.waitingThreads());
    }

    @Test
    void shouldEndADelayWithKernelHaltedExceptionWhenABugCheckHaltsTheKernel() throws Exception {
        Kernel k = boot(BugCheckPolicy.HALT);
        k.attach();
        MemorySegment tenMinutes = interval(k, 600);
        CompletableFuture<Object> f = waiter(k, () -> KeDelayExecutionThread(KernelMode, true, tenMinutes));
        awaitWaitingThreads(1);
        assertThrows(KernelHaltedException.class, () -> KeBugCheckEx(0xE2, 9, 0, 0, 0));
        KernelHaltedException theirs = assertInstanceOf(KernelHaltedException.class, outcome(f));
        assertEquals(9, theirs.parameters()[0]);
        assertEquals(0, Dispatcher.waitingThreads());
    }

    @Test
    void shouldReturnFromAShortDelayAndAnAlertedOneWithoutLeavingTheThreadRegistered() throws Exception {
        Kernel k = boot(BugCheckPolicy.THROW);
        k.attach();
        MemorySegment shortOne = block(k, 8);
        shortOne.set(ValueLayout.JAVA_LONG, 0, -10_000L); // 1 ms
        assertEquals(NtStatus.STATUS_SUCCESS, KeDelayExecutionThread(KernelMode, false, shortOne));
        assertEquals(0, Dispatcher.waitingThreads(), "an elapsed delay leaves no waiter behind");
        MemorySegment tenMinutes = interval(k, 600);
        CompletableFuture<Object> f = waiter(k, () -> KeDelayExecutionThread(KernelMode, true, tenMinutes));
        awaitWaitingThreads(1);
        threads.get(threads.size() - 1).interrupt(); // KeAlertThread's stand-in
        assertEquals(NtStatus.STATUS_ALERTED, outcome(f));
        assertEquals(0, Dispatcher.waitingThreads(), "an alerted delay leaves no waiter behind");
    }
}
