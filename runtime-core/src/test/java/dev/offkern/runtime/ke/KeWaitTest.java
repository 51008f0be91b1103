package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.KeEventTest.awaitWaiters;
import static dev.offkern.runtime.ke.KeEventTest.countWaiters;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeWaitTest {
    @TempDir
    Path dumps;
    Kernel kernel;
    MemorySegment a;
    MemorySegment b;
    MemorySegment c;

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps).leakReportSink(s -> { });
        a = block(kernel, 0x18);
        b = block(kernel, 0x18);
        c = block(kernel, 0x20);
        KeInitializeEvent(a, SynchronizationEvent, false);
        KeInitializeEvent(b, SynchronizationEvent, false);
        KeInitializeSemaphore(c, 0, 10);
    }

    @AfterEach
    void close() {
        resetThread();
        kernel.close();
    }

    private static MemorySegment time(long value) {
        return MemorySegment.ofArray(new long[] {value});
    }

    private MemorySegment objects(MemorySegment... objs) {
        MemorySegment arr = block(kernel, 8L * objs.length);
        for (int i = 0; i < objs.length; i++) {
            arr.set(ValueLayout.JAVA_LONG, 8L * i, objs[i].address());
        }
        return arr;
    }

    @Test
    void shouldTimeOutAfterARelativeInterval() {
        long t0 = System.nanoTime();
        assertEquals(NtStatus.STATUS_TIMEOUT, KeWaitForSingleObject(a, Executive, KernelMode, false, time(-30 * 10_000L)));
        assertTrue(System.nanoTime() - t0 >= 30_000_000L, "waited at least 30 ms");
        assertEquals(0, countWaiters(a), "the timed-out wait block is unlinked");
    }

    @Test
    void shouldPollWithAZeroTimeout() {
        assertEquals(NtStatus.STATUS_TIMEOUT, KeWaitForSingleObject(a, Executive, KernelMode, false, time(0)));
        KeSetEvent(a, 0, false);
        assertEquals(NtStatus.STATUS_SUCCESS, KeWaitForSingleObject(a, Executive, KernelMode, false, time(0)));
        assertEquals(0, KeReadStateEvent(a));
    }

    @Test
    void shouldTreatPositiveTimeoutsAsAbsoluteSystemTime() {
        long t0 = System.nanoTime();
        assertEquals(NtStatus.STATUS_TIMEOUT, KeWaitForSingleObject(a, Executive, KernelMode, false, time(1)),
                "an absolute time in the past (1601) expires at once");
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
        long in40ms = KeWait.systemTime() + 40 * 10_000L;
        t0 = System.nanoTime();
        assertEquals(NtStatus.STATUS_TIMEOUT, KeWaitForSingleObject(a, Executive, KernelMode, false, time(in40ms)));
        assertTrue(System.nanoTime() - t0 >= 30_000_000L);
    }

    @Test
    void shouldReturnTheLowestSignalledIndexForWaitAnyAndSatisfyOnlyThatObject() {
        KeSetEvent(b, 0, false);
        KeReleaseSemaphore(c, 0, 1, false);
        int st = KeWaitForMultipleObjects(3, objects(a, b, c), WaitAny, Executive, KernelMode, false, MemorySegment.NULL,
                MemorySegment.NULL);
        assertEquals(NtStatus.STATUS_WAIT_0 + 1, st);
        assertEquals(0, KeReadStateEvent(b));
        assertEquals(1, KeReadStateSemaphore(c), "untouched");
        assertEquals(NtStatus.STATUS_WAIT_0 + 2, KeWaitForMultipleObjects(3, objects(a, b, c), WaitAny, Executive,
                KernelMode, false, MemorySegment.NULL, MemorySegment.NULL));
    }

    @Test
    void shouldWakeAWaitAnyWaiterWithTheIndexOfTheObjectSignalled() throws Exception {
        MemorySegment arr = objects(a, b, c);
        AtomicInteger status = new AtomicInteger(-1);
        Thread th = new Thread(() -> status.set(KeWaitForMultipleObjects(3, arr, WaitAny, Executive, KernelMode, false,
                MemorySegment.NULL, MemorySegment.NULL)));
        th.start();
        awaitWaiters(c, 1);
        assertEquals(1, countWaiters(a));
        KeReleaseSemaphore(c, 0, 1, false);
        th.join(10_000);
        assertEquals(NtStatus.STATUS_WAIT_0 + 2, status.get());
        assertEquals(0, countWaiters(a) + countWaiters(b) + countWaiters(c), "all three blocks unlinked");
        assertEquals(0, KeReadStateSemaphore(c));
    }

    @Test
    void shouldSatisfyWaitAllOnlyWhenEveryObjectIsSignalledAndThenAllAtOnce() throws Exception {
        MemorySegment arr = objects(a, b, c);
        AtomicInteger status = new AtomicInteger(-1);
        Thread th = new Thread(() -> status.set(KeWaitForMultipleObjects(3, arr, WaitAll, Executive, KernelMode, false,
                MemorySegment.NULL, MemorySegment.NULL)));
        th.start();
        awaitWaiters(a, 1);
        KeSetEvent(a, 0, false);
        KeReleaseSemaphore(c, 0, 2, false);
        Thread.sleep(30);
        assertEquals(-1, status.get(), "b is still not signalled");
        assertEquals(1, KeReadStateEvent(a), "WaitAll takes nothing until it can take everything");
        assertEquals(2, KeReadStateSemaphore(c));
        KeSetEvent(b, 0, false);
        th.join(10_000);
        assertEquals(NtStatus.STATUS_WAIT_0, status.get());
        assertEquals(0, KeReadStateEvent(a));
        assertEquals(0, KeReadStateEvent(b));
        assertEquals(1, KeReadStateSemaphore(c));
    }

    @Test
    void shouldUseACallerWaitBlockArrayForMoreThanThreeObjects() throws Exception {
        MemorySegment d = block(kernel, 0x18);
        KeInitializeEvent(d, NotificationEvent, false);
        MemorySegment blocks = block(kernel, 4 * 0x30);
        MemorySegment arr = objects(a, b, c, d);
        AtomicInteger status = new AtomicInteger(-1);
        Thread th = new Thread(() -> status.set(KeWaitForMultipleObjects(4, arr, WaitAny, Executive, KernelMode, false,
                MemorySegment.NULL, blocks)));
        th.start();
        awaitWaiters(d, 1);
        assertEquals(blocks.address() + 3 * 0x30, d.get(ValueLayout.JAVA_LONG, 8), "block 3 of the caller's array");
        KeSetEvent(d, 0, false);
        th.join(10_000);
        assertEquals(NtStatus.STATUS_WAIT_0 + 3, status.get());
        assertEquals(3, blocks.get(ValueLayout.JAVA_SHORT, 3 * 0x30 + 0x12), "WaitKey 3");
    }

    @Test
    void shouldBugCheckMaximumWaitObjectsExceeded() {
        MemorySegment arr = block(kernel, 8 * 65);
        assertBugCheck(BugCheckCode.MAXIMUM_WAIT_OBJECTS_EXCEEDED, new long[] {0, 0, 0, 0},
                () -> KeWaitForMultipleObjects(4, arr, WaitAny, Executive, KernelMode, false, MemorySegment.NULL, MemorySegment.NULL));
        MemorySegment blocks = block(kernel, 65 * 0x30);
        assertBugCheck(BugCheckCode.MAXIMUM_WAIT_OBJECTS_EXCEEDED, new long[] {0, 0, 0, 0},
                () -> KeWaitForMultipleObjects(65, arr, WaitAny, Executive, KernelMode, false, MemorySegment.NULL, blocks));
    }

    @Test
    void shouldRejectBadArgumentsWithClearMessages() {
        MemorySegment arr = objects(a, a);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeWaitForMultipleObjects(2, arr,
                WaitAll, Executive, KernelMode, false, MemorySegment.NULL, MemorySegment.NULL));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeWaitForMultipleObjects(0, arr, WaitAny, Executive, KernelMode,
                false, MemorySegment.NULL, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> KeWaitForMultipleObjects(2, arr, 7, Executive, KernelMode,
                false, MemorySegment.NULL, MemorySegment.NULL));
        MemorySegment notAnObject = block(kernel, 0x18);
        notAnObject.set(ValueLayout.JAVA_BYTE, 0, (byte) 2); // MutantObject
        e = assertThrows(IllegalArgumentException.class,
                () -> KeWaitForSingleObject(notAnObject, Executive, KernelMode, false, MemorySegment.NULL));
        assertTrue(e.getMessage().contains("Type 2"), e.getMessage());
    }

    @Test
    void shouldFaultOnAnObjectOutsideRegisteredMemory() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(0x18, 8);
            KeInitializeEvent(ev, NotificationEvent, true);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {ev.address(), 0, 0, 0},
                    () -> KeWaitForSingleObject(ev, Executive, KernelMode, false, MemorySegment.NULL));
        }
    }

    @Test
    void shouldFaultOnAnUnregisteredWaitBlockArrayBeforeLinkingAnything() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment blocks = arena.allocate(4 * 0x30, 8);
            MemorySegment d = block(kernel, 0x18);
            KeInitializeEvent(d, SynchronizationEvent, false);
            MemorySegment arr = objects(a, b, c, d);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {blocks.address(), 0, 0, 0},
                    () -> KeWaitForMultipleObjects(4, arr, WaitAny, Executive, KernelMode, false, time(-10_000), blocks));
            assertEquals(0, countWaiters(a) + countWaiters(b) + countWaiters(c) + countWaiters(d), "nothing linked");
        }
    }

    @Test
    void shouldBugCheckWaitsAtOrAboveDispatchLevel() {
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertBugCheck(0xC4, new long[] {0x121, 2, a.address(), 0},
                () -> KeWaitForSingleObject(a, Executive, KernelMode, false, MemorySegment.NULL));
        assertBugCheck(0xC4, new long[] {0x122, 2, a.address(), -10_000},
                () -> KeWaitForSingleObject(a, Executive, KernelMode, false, time(-10_000)));
        assertEquals(NtStatus.STATUS_TIMEOUT, KeWaitForSingleObject(a, Executive, KernelMode, false, time(0)));
        assertBugCheck(0xC4, new long[] {0x122, 2, 0, -10_000},
                () -> KeDelayExecutionThread(KernelMode, false, time(-10_000)));
        MemorySegment two = objects(a, b);
        KeRaiseIrql(Irql.CLOCK_LEVEL);
        assertBugCheck(0xC4, new long[] {0x120, Irql.CLOCK_LEVEL, a.address(), 0},
                () -> KeWaitForMultipleObjects(2, two, WaitAny, Executive, KernelMode, false, time(0), MemorySegment.NULL));
    }

    @Test
    void shouldEndAnAlertableWaitWithStatusAlertedOnInterrupt() throws Exception {
        AtomicInteger status = new AtomicInteger(-1);
        Thread th = new Thread(() -> status.set(KeWaitForSingleObject(a, Executive, KernelMode, true, MemorySegment.NULL)));
        th.start();
        awaitWaiters(a, 1);
        th.interrupt();
        th.join(10_000);
        assertEquals(NtStatus.STATUS_ALERTED, status.get());
        assertEquals(0, countWaiters(a));
    }

    @Test
    void shouldKeepANonAlertableWaitGoingThroughAnInterrupt() throws Exception {
        AtomicInteger status = new AtomicInteger(-1);
        AtomicBoolean flag = new AtomicBoolean();
        Thread th = new Thread(() -> {
            status.set(KeWaitForSingleObject(a, Executive, KernelMode, false, MemorySegment.NULL));
            flag.set(Thread.currentThread().isInterrupted());
        });
        th.start();
        awaitWaiters(a, 1);
        th.interrupt();
        Thread.sleep(30);
        assertEquals(-1, status.get());
        KeSetEvent(a, 0, false);
        th.join(10_000);
        assertEquals(NtStatus.STATUS_SUCCESS, status.get());
        assertTrue(flag.get(), "the interrupt is re-asserted");
    }

    @Test
    void shouldDelayForTheIntervalAndRejectANullInterval() throws Exception {
        long t0 = System.nanoTime();
        assertEquals(NtStatus.STATUS_SUCCESS, KeDelayExecutionThread(KernelMode, false, time(-20 * 10_000L)));
        assertTrue(System.nanoTime() - t0 >= 20_000_000L);
        assertEquals(NtStatus.STATUS_SUCCESS, KeDelayExecutionThread(KernelMode, false, time(0)));
        assertThrows(IllegalArgumentException.class, () -> KeDelayExecutionThread(KernelMode, false, MemorySegment.NULL));
        AtomicInteger status = new AtomicInteger(-1);
        Thread th = new Thread(() -> status.set(KeDelayExecutionThread(KernelMode, true, time(-100_000_000L))));
        th.start();
        Thread.sleep(30);
        th.interrupt();
        th.join(10_000);
        assertEquals(NtStatus.STATUS_ALERTED, status.get());
        assertFalse(th.isAlive());
    }

    @Test
    void shouldNeverSatisfyTwoWaitersWithOneTimedOutSignal() throws Exception {
        // waiters time out while signals race with them: every signal goes to exactly one wait or stays in the event
        int rounds = 2_000 * SCALE;
        AtomicInteger satisfied = new AtomicInteger();
        AtomicInteger sets = new AtomicInteger();
        Runnable waiter = () -> {
            for (int i = 0; i < rounds; i++) {
                if (KeWaitForSingleObject(a, Executive, KernelMode, false, time(-(i % 3) * 1_000L)) == NtStatus.STATUS_SUCCESS) {
                    satisfied.incrementAndGet();
                }
            }
        };
        Runnable setter = () -> {
            for (int i = 0; i < rounds; i++) {
                if (KeSetEvent(a, 0, false) == 0) {
                    sets.incrementAndGet();
                }
                Thread.onSpinWait();
            }
        };
        runThreads(java.util.List.of(waiter, waiter, setter));
        assertEquals(sets.get(), satisfied.get() + KeReadStateEvent(a), "each effective set satisfied one wait or is still pending");
        assertEquals(0, countWaiters(a));
    }
}
