package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeEventTest {
    @TempDir
    Path dumps;
    Kernel kernel;
    MemorySegment event;

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps).leakReportSink(s -> { });
        event = block(kernel, 0x18);
    }

    @AfterEach
    void close() {
        resetThread();
        kernel.close();
    }

    static void awaitWaiters(MemorySegment object, int n) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (countWaiters(object) != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + n + " waiters, have " + countWaiters(object));
            }
            Thread.onSpinWait();
        }
    }

    /** Walks the object's native WaitListHead under the dispatcher lock. */
    static int countWaiters(MemorySegment object) {
        Dispatcher.lock();
        try {
            long head = object.address() + 8;
            long e = object.get(ValueLayout.JAVA_LONG, 8);
            int n = 0;
            while (e != head) {
                n++;
                MemorySegment wb = ThreadState.current().kernel().addressSpace().resolve(e, 0x30);
                e = wb.get(ValueLayout.JAVA_LONG, 0);
            }
            return n;
        } finally {
            Dispatcher.unlock();
        }
    }

    private Thread waiter(MemorySegment object, AtomicInteger woken) {
        Thread th = new Thread(() -> {
            int st = KeWaitForSingleObject(object, Executive, KernelMode, false, MemorySegment.NULL);
            assertEquals(NtStatus.STATUS_SUCCESS, st);
            woken.incrementAndGet();
        });
        th.start();
        return th;
    }

    @Test
    void shouldInitializeTheDispatcherHeaderByteExact() {
        event.fill((byte) 0x77);
        KeInitializeEvent(event, SynchronizationEvent, true);
        assertEquals(1, event.get(ValueLayout.JAVA_BYTE, 0), "Type = EventSynchronizationObject");
        assertEquals(0, event.get(ValueLayout.JAVA_BYTE, 1), "Signalling");
        assertEquals(6, event.get(ValueLayout.JAVA_BYTE, 2), "Size = sizeof(KEVENT)/4");
        assertEquals(0, event.get(ValueLayout.JAVA_BYTE, 3));
        assertEquals(1, event.get(ValueLayout.JAVA_INT, 4), "SignalState");
        assertEquals(event.address() + 8, event.get(ValueLayout.JAVA_LONG, 8), "WaitListHead.Flink = itself");
        assertEquals(event.address() + 8, event.get(ValueLayout.JAVA_LONG, 16), "WaitListHead.Blink = itself");
        KeInitializeEvent(event, NotificationEvent, false);
        assertEquals(0, event.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(0, KeReadStateEvent(event));
    }

    @Test
    void shouldRejectAnUnknownEventTypeOrASmallSegment() {
        assertThrows(IllegalArgumentException.class, () -> KeInitializeEvent(event, 2, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KeInitializeEvent(block(kernel, 0x10), NotificationEvent, false));
        assertTrue(e.getMessage().contains("KEVENT"), e.getMessage());
    }

    @Test
    void shouldReturnThePreviousStateFromSetResetAndPulse() {
        KeInitializeEvent(event, NotificationEvent, false);
        assertEquals(0, KeSetEvent(event, IO_NO_INCREMENT, false));
        assertEquals(1, KeSetEvent(event, IO_NO_INCREMENT, false));
        assertEquals(1, KeReadStateEvent(event));
        assertEquals(1, KeResetEvent(event));
        assertEquals(0, KeResetEvent(event));
        KeSetEvent(event, 0, false);
        KeClearEvent(event);
        assertEquals(0, KeReadStateEvent(event));
        assertEquals(0, KePulseEvent(event, 0, false));
        assertEquals(0, KeReadStateEvent(event), "a pulse leaves the event not signalled");
        KeSetEvent(event, 0, false);
        assertEquals(1, KePulseEvent(event, 0, false));
        assertEquals(0, KeReadStateEvent(event));
    }

    @Test
    void shouldAutoResetASynchronizationEventWhenAWaitIsSatisfied() {
        KeInitializeEvent(event, SynchronizationEvent, true);
        assertEquals(NtStatus.STATUS_SUCCESS, KeWaitForSingleObject(event, Executive, KernelMode, false, MemorySegment.NULL));
        assertEquals(0, KeReadStateEvent(event));
        KeInitializeEvent(event, NotificationEvent, true);
        assertEquals(NtStatus.STATUS_SUCCESS, KeWaitForSingleObject(event, Executive, KernelMode, false, MemorySegment.NULL));
        assertEquals(1, KeReadStateEvent(event), "a notification event stays signalled");
    }

    @Test
    void shouldLinkANativeWaitBlockIntoTheWaitListWhileAThreadWaits() throws Exception {
        KeInitializeEvent(event, NotificationEvent, false);
        AtomicInteger woken = new AtomicInteger();
        long[] kthread = new long[1];
        Thread th = new Thread(() -> {
            kthread[0] = ThreadState.current().address();
            KeWaitForSingleObject(event, Executive, KernelMode, false, MemorySegment.NULL);
            woken.incrementAndGet();
        });
        th.start();
        awaitWaiters(event, 1);
        long wbAddress = event.get(ValueLayout.JAVA_LONG, 8);
        MemorySegment wb = kernel.addressSpace().resolve(wbAddress, 0x30);
        assertEquals(event.address() + 8, wb.get(ValueLayout.JAVA_LONG, 0), "Flink back to the head");
        assertEquals(event.address() + 8, wb.get(ValueLayout.JAVA_LONG, 8), "Blink back to the head");
        assertEquals(1, wb.get(ValueLayout.JAVA_BYTE, 0x10), "WaitType = WaitAny");
        assertEquals(4, wb.get(ValueLayout.JAVA_BYTE, 0x11), "BlockState = WaitBlockActive");
        assertEquals(0, wb.get(ValueLayout.JAVA_SHORT, 0x12), "WaitKey");
        assertEquals(kthread[0], wb.get(ValueLayout.JAVA_LONG, 0x18), "Thread");
        assertEquals(event.address(), wb.get(ValueLayout.JAVA_LONG, 0x20), "Object");
        assertEquals(kthread[0] + dev.offkern.layout.ps.ETHREAD.TCB_WAIT_BLOCK_OFFSET, wbAddress, "the thread's built-in wait block");
        KeSetEvent(event, 0, false);
        th.join(10_000);
        assertEquals(1, woken.get());
        assertEquals(event.address() + 8, event.get(ValueLayout.JAVA_LONG, 8), "list empty again");
        assertEquals(5, wb.get(ValueLayout.JAVA_BYTE, 0x11), "BlockState = WaitBlockInactive");
    }

    @Test
    void shouldReleaseEveryWaiterOfANotificationEvent() throws Exception {
        KeInitializeEvent(event, NotificationEvent, false);
        AtomicInteger woken = new AtomicInteger();
        List<Thread> ths = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ths.add(waiter(event, woken));
        }
        awaitWaiters(event, 3);
        assertEquals(0, KeSetEvent(event, EVENT_INCREMENT, false));
        for (Thread th : ths) {
            th.join(10_000);
        }
        assertEquals(3, woken.get());
        assertEquals(1, KeReadStateEvent(event));
    }

    @Test
    void shouldReleaseExactlyOneWaiterPerSetOfASynchronizationEvent() throws Exception {
        KeInitializeEvent(event, SynchronizationEvent, false);
        AtomicInteger woken = new AtomicInteger();
        Thread a = waiter(event, woken);
        Thread b = waiter(event, woken);
        awaitWaiters(event, 2);
        KeSetEvent(event, 0, false);
        awaitWaiters(event, 1);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (woken.get() < 1 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        Thread.sleep(30);
        assertEquals(1, woken.get(), "one set, one waiter");
        assertEquals(0, KeReadStateEvent(event), "consumed by the waiter it released");
        KeSetEvent(event, 0, false);
        a.join(10_000);
        b.join(10_000);
        assertEquals(2, woken.get());
        assertEquals(0, KeReadStateEvent(event));
    }

    @Test
    void shouldReleaseWaitersWithAPulseAndLeaveTheEventReset() throws Exception {
        KeInitializeEvent(event, NotificationEvent, false);
        AtomicInteger woken = new AtomicInteger();
        Thread a = waiter(event, woken);
        Thread b = waiter(event, woken);
        awaitWaiters(event, 2);
        assertEquals(0, KePulseEvent(event, 0, false));
        a.join(10_000);
        b.join(10_000);
        assertEquals(2, woken.get());
        assertEquals(0, KeReadStateEvent(event));
    }

    @Test
    void shouldBugCheckSetResetAndPulseAboveDispatch() {
        KeInitializeEvent(event, NotificationEvent, false);
        KeRaiseIrql(Irql.CLOCK_LEVEL);
        long[] p = {event.address(), Irql.CLOCK_LEVEL, 1, 0};
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, p, () -> KeSetEvent(event, 0, false));
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, p, () -> KeResetEvent(event));
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, p, () -> KePulseEvent(event, 0, false));
        KeClearEvent(event); // any IRQL
        assertEquals(0, KeReadStateEvent(event));
    }

    @Test
    void shouldSetAtDispatchLevel() {
        KeInitializeEvent(event, SynchronizationEvent, false);
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertEquals(0, KeSetEvent(event, 0, false));
        assertEquals(NtStatus.STATUS_SUCCESS, KeWaitForSingleObject(event, Executive, KernelMode, false,
                MemorySegment.ofArray(new long[] {0})), "a zero-timeout poll is legal at DISPATCH_LEVEL");
    }

    @Test
    void shouldNeitherLoseNorDoubleWakeUpsInAPingPong() throws Exception {
        MemorySegment ping = block(kernel, 0x18);
        MemorySegment pong = block(kernel, 0x18);
        KeInitializeEvent(ping, SynchronizationEvent, false);
        KeInitializeEvent(pong, SynchronizationEvent, false);
        // 1M rounds at -Doffkern.stress.scale=10; 100k by default (each round is two hand-offs)
        int rounds = 100_000 * SCALE;
        AtomicInteger turn = new AtomicInteger();
        runThreads(List.of(() -> {
            for (int i = 0; i < rounds; i++) {
                if (turn.getAndIncrement() != 2 * i) {
                    throw new AssertionError("ping ran out of turn at round " + i);
                }
                KeSetEvent(ping, 0, false);
                KeWaitForSingleObject(pong, Executive, KernelMode, false, MemorySegment.NULL);
            }
        }, () -> {
            for (int i = 0; i < rounds; i++) {
                KeWaitForSingleObject(ping, Executive, KernelMode, false, MemorySegment.NULL);
                if (turn.getAndIncrement() != 2 * i + 1) {
                    throw new AssertionError("pong ran out of turn at round " + i);
                }
                KeSetEvent(pong, 0, false);
            }
        }));
        assertEquals(2 * rounds, turn.get());
        assertEquals(0, KeReadStateEvent(ping));
        assertEquals(0, KeReadStateEvent(pong));
        assertEquals(0, countWaiters(ping));
    }

    @Test
    void shouldReleaseSynchronizationEventWaitersInArrivalOrder() throws Exception {
        KeInitializeEvent(event, SynchronizationEvent, false);
        List<Integer> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> ths = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int id = i;
            Thread th = new Thread(() -> {
                KeWaitForSingleObject(event, Executive, KernelMode, false, MemorySegment.NULL);
                order.add(id);
            });
            th.start();
            awaitWaiters(event, i + 1); // waiter i is linked before waiter i+1 starts
            ths.add(th);
        }
        for (int i = 0; i < 3; i++) {
            KeSetEvent(event, 0, false);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (order.size() < i + 1 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }
        for (Thread th : ths) {
            th.join(10_000);
        }
        assertEquals(List.of(0, 1, 2), order);
    }

    /**
     * Issue 8 item 4, the lost wake-up: a KeSetEvent that cannot resolve the event (here: called from a
     * thread attached to another kernel, whose address space does not hold it) must fail before it
     * changes anything. Before the fix it marked the event signalled, then raised 0x50, leaving the
     * waiter linked to a signalled event: the next KeSetEvent returned 1 and woke nobody.
     */
    @Test
    void shouldLeaveTheEventUnsignalledAndItsWaiterLinkedWhenKeSetEventCannotResolveTheEvent() throws Exception {
        KeInitializeEvent(event, SynchronizationEvent, false);
        AtomicInteger woken = new AtomicInteger();
        Thread th = waiter(event, woken);
        awaitWaiters(event, 1);
        Kernel other = KernelFixture.boot(dumps).leakReportSink(s -> { });
        try {
            other.attach();
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, null, () -> KeSetEvent(event, 0, false));
        } finally {
            Kernel.detach();
            other.close();
        }
        assertEquals(0, event.get(ValueLayout.JAVA_INT, 4), "SignalState unchanged by the failed call");
        assertEquals(1, countWaiters(event), "the waiter is still linked");
        assertEquals(0, KeSetEvent(event, 0, false), "the next KeSetEvent finds the event unsignalled ...");
        th.join(10_000);
        assertEquals(1, woken.get(), "... and wakes the waiter");
        assertEquals(0, KeReadStateEvent(event), "the satisfied wait reset the synchronization event");
    }

    @Test
    void shouldNotSignalAnEventWhoseWaitListLinksOutOfTheAddressSpace() {
        KeInitializeEvent(event, NotificationEvent, false);
        long bogus = 0x10L; // never mapped
        event.set(ValueLayout.JAVA_LONG, 8, bogus);
        event.set(ValueLayout.JAVA_LONG, 16, bogus);
        assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, null, () -> KeSetEvent(event, 0, false));
        assertEquals(0, KeReadStateEvent(event), "not signalled");
        assertEquals(bogus, event.get(ValueLayout.JAVA_LONG, 8), "the list is left as the caller broke it");
        assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, null, () -> KePulseEvent(event, 0, false));
        assertEquals(0, KeReadStateEvent(event));
        KeInitializeEvent(event, NotificationEvent, false); // repaired: the kernel closes cleanly
    }

    @Test
    void shouldRaiseKernelSecurityCheckFailureForAWaitListWhoseLinksDisagree() {
        KeInitializeEvent(event, NotificationEvent, false);
        MemorySegment fake = block(kernel, 0x30); // a "wait block" that does not link back to the head
        event.set(ValueLayout.JAVA_LONG, 8, fake.address());
        event.set(ValueLayout.JAVA_LONG, 16, fake.address());
        BugCheck bc = assertBugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, null, () -> KeSetEvent(event, 0, false));
        assertEquals(KernelCore.FAST_FAIL_CORRUPT_LIST_ENTRY, bc.parameters()[0]);
        assertEquals(0, KeReadStateEvent(event), "not signalled");
        KeInitializeEvent(event, NotificationEvent, false);
    }

    @Test
    void shouldEndAndForgetATimedWaitWhoseCancellationMeetsACorruptedWaitList() throws Exception {
        KeInitializeEvent(event, NotificationEvent, false);
        MemorySegment timeout = block(kernel, 8);
        timeout.set(ValueLayout.JAVA_LONG, 0, -2_000_000L); // 200 ms
        Object[] outcome = new Object[1];
        Thread th = new Thread(() -> {
            try {
                outcome[0] = KeWaitForSingleObject(event, Executive, KernelMode, false, timeout);
            } catch (Throwable t) {
                outcome[0] = t;
            }
        });
        th.start();
        awaitWaiters(event, 1);
        MemorySegment stray = block(kernel, 0x10); // the head now names an entry that does not link back
        event.set(ValueLayout.JAVA_LONG, 16, stray.address());
        th.join(10_000);
        BugCheck bc = assertInstanceOf(BugCheck.class, outcome[0], String.valueOf(outcome[0]));
        assertEquals(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, bc.code());
        assertEquals(0, Dispatcher.waitingThreads(), "the ended wait is not left registered");
        KeInitializeEvent(event, NotificationEvent, false);
    }

    /**
     * Fuzz finding lost-wakeup: a wait block left on an event's list by a wait that ended while the
     * list was corrupted (its thread then waits again, elsewhere — as a recycled thread block's new
     * owner does under the same KTHREAD address) must not let a KeSetEvent on that event satisfy the
     * thread's unrelated wait and consume the signal: the set refuses the list (0x139) and changes
     * nothing, and the thread's real wait ends only when its own object is signalled.
     */
    @Test
    void shouldNotLetABlockLeftByAnAbandonedWaitSatisfyItsThreadsNextWait() throws Exception {
        MemorySegment other = block(kernel, 0x18);
        KeInitializeEvent(event, SynchronizationEvent, false);
        KeInitializeEvent(other, SynchronizationEvent, false);
        MemorySegment firstTimeout = block(kernel, 8);
        firstTimeout.set(ValueLayout.JAVA_LONG, 0, -10_000_000L); // 1 s
        MemorySegment secondTimeout = block(kernel, 8);
        secondTimeout.set(ValueLayout.JAVA_LONG, 0, -300_000_000L); // 30 s: ended by the set below
        MemorySegment objects = block(kernel, 8);
        objects.set(ValueLayout.JAVA_LONG, 0, event.address());
        MemorySegment waitBlocks = block(kernel, 0x30); // the first wait's block: the caller's array
        Object[] outcome = new Object[2];
        java.util.concurrent.CountDownLatch firstOver = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch repaired = new java.util.concurrent.CountDownLatch(1);
        Thread th = new Thread(() -> {
            try {
                outcome[0] = KeWaitForMultipleObjects(1, objects, WaitAny, Executive, KernelMode, false, firstTimeout, waitBlocks);
            } catch (Throwable t) {
                outcome[0] = t;
            }
            firstOver.countDown();
            try {
                repaired.await();
                outcome[1] = KeWaitForSingleObject(other, Executive, KernelMode, false, secondTimeout);
            } catch (Throwable t) {
                outcome[1] = t;
            }
        });
        th.start();
        awaitWaiters(event, 1);
        long blink = event.get(ValueLayout.JAVA_LONG, 16);
        assertEquals(waitBlocks.address(), blink, "the caller's block is the one linked");
        event.set(ValueLayout.JAVA_LONG, 16, block(kernel, 0x10).address()); // corrupt while it waits
        firstOver.await();
        assertEquals(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE,
                assertInstanceOf(BugCheck.class, outcome[0], String.valueOf(outcome[0])).code(), "the cancel met the corrupt list");
        event.set(ValueLayout.JAVA_LONG, 16, blink); // the caller puts the head back: the abandoned block is linked again
        repaired.countDown();
        awaitWaiters(other, 1); // the thread now waits on the other event, under the same KTHREAD
        BugCheck bc = assertBugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, null, () -> KeSetEvent(event, 0, false));
        assertEquals(KernelCore.FAST_FAIL_CORRUPT_LIST_ENTRY, bc.parameters()[0]);
        assertEquals(0, KeReadStateEvent(event), "refused before anything changed");
        assertEquals(1, countWaiters(other), "the thread's real wait is untouched");
        assertEquals(0, KeSetEvent(other, 0, false));
        th.join(10_000);
        assertEquals(NtStatus.STATUS_SUCCESS, outcome[1], "the real wait ends when its own event is set");
        KeInitializeEvent(event, SynchronizationEvent, false);
    }
}
