package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.KeEventTest.awaitWaiters;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.nt.NtStatusException;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeSemaphoreTest {
    private static final MemorySegment POLL = MemorySegment.ofArray(new long[] {0});

    @TempDir
    Path dumps;
    Kernel kernel;
    MemorySegment sem;

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps).leakReportSink(s -> { });
        sem = block(kernel, 0x20);
    }

    @AfterEach
    void close() {
        resetThread();
        kernel.close();
    }

    @Test
    void shouldInitializeTheHeaderCountAndLimitByteExact() {
        sem.fill((byte) 0x55);
        KeInitializeSemaphore(sem, 2, 5);
        assertEquals(5, sem.get(ValueLayout.JAVA_BYTE, 0), "Type = SemaphoreObject");
        assertEquals(8, sem.get(ValueLayout.JAVA_BYTE, 2), "Size = sizeof(KSEMAPHORE)/4");
        assertEquals(2, sem.get(ValueLayout.JAVA_INT, 4), "SignalState = Count");
        assertEquals(sem.address() + 8, sem.get(ValueLayout.JAVA_LONG, 8));
        assertEquals(5, sem.get(ValueLayout.JAVA_INT, 0x18), "Limit");
        assertEquals(2, KeReadStateSemaphore(sem));
    }

    @Test
    void shouldRejectInvalidCountOrLimit() {
        assertThrows(IllegalArgumentException.class, () -> KeInitializeSemaphore(sem, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> KeInitializeSemaphore(sem, -1, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeInitializeSemaphore(sem, 4, 3));
        assertTrue(e.getMessage().contains("Limit"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeInitializeSemaphore(block(kernel, 0x18), 0, 1));
    }

    @Test
    void shouldReturnThePreviousCountAndAddTheAdjustment() {
        KeInitializeSemaphore(sem, 0, 10);
        assertEquals(0, KeReleaseSemaphore(sem, SEMAPHORE_INCREMENT, 3, false));
        assertEquals(3, KeReleaseSemaphore(sem, 0, 0, false), "a zero adjustment is legal");
        assertEquals(3, KeReleaseSemaphore(sem, 0, 7, false));
        assertEquals(10, KeReadStateSemaphore(sem));
    }

    @Test
    void shouldRaiseSemaphoreLimitExceededAndChangeNothing() {
        KeInitializeSemaphore(sem, 4, 5);
        NtStatusException e = assertThrows(NtStatusException.class, () -> KeReleaseSemaphore(sem, 0, 2, false));
        assertEquals(NtStatus.STATUS_SEMAPHORE_LIMIT_EXCEEDED, e.status());
        assertEquals(4, KeReadStateSemaphore(sem));
        e = assertThrows(NtStatusException.class, () -> KeReleaseSemaphore(sem, 0, -1, false));
        assertEquals(NtStatus.STATUS_SEMAPHORE_LIMIT_EXCEEDED, e.status());
        KeInitializeSemaphore(sem, 1, Integer.MAX_VALUE);
        assertThrows(NtStatusException.class, () -> KeReleaseSemaphore(sem, 0, Integer.MAX_VALUE, false));
        assertEquals(1, KeReadStateSemaphore(sem));
    }

    @Test
    void shouldDecrementOnEachSatisfiedWaitAndTimeOutAtZero() {
        KeInitializeSemaphore(sem, 2, 2);
        assertEquals(NtStatus.STATUS_SUCCESS, KeWaitForSingleObject(sem, Executive, KernelMode, false, POLL));
        assertEquals(NtStatus.STATUS_SUCCESS, KeWaitForSingleObject(sem, Executive, KernelMode, false, POLL));
        assertEquals(0, KeReadStateSemaphore(sem));
        assertEquals(NtStatus.STATUS_TIMEOUT, KeWaitForSingleObject(sem, Executive, KernelMode, false, POLL));
        assertEquals(0, KeReadStateSemaphore(sem));
    }

    @Test
    void shouldReleaseAsManyWaitersAsTheAdjustment() throws Exception {
        KeInitializeSemaphore(sem, 0, 10);
        AtomicInteger woken = new AtomicInteger();
        List<Thread> ths = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread th = new Thread(() -> {
                KeWaitForSingleObject(sem, Executive, KernelMode, false, MemorySegment.NULL);
                woken.incrementAndGet();
            });
            th.start();
            ths.add(th);
        }
        awaitWaiters(sem, 4);
        assertEquals(0, KeReleaseSemaphore(sem, 0, 3, false));
        awaitWaiters(sem, 1);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (woken.get() < 3 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        Thread.sleep(30);
        assertEquals(3, woken.get());
        assertEquals(0, KeReadStateSemaphore(sem), "every unit went to a waiter");
        KeReleaseSemaphore(sem, 0, 1, false);
        for (Thread th : ths) {
            th.join(10_000);
        }
        assertEquals(4, woken.get());
        assertEquals(0, KeReadStateSemaphore(sem));
    }

    @Test
    void shouldBugCheckReleaseAboveDispatch() {
        KeInitializeSemaphore(sem, 0, 1);
        KeRaiseIrql(Irql.HIGH_LEVEL);
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, new long[] {sem.address(), Irql.HIGH_LEVEL, 1, 0},
                () -> KeReleaseSemaphore(sem, 0, 1, false));
        assertEquals(0, KeReadStateSemaphore(sem));
    }

    @Test
    void shouldConserveUnitsBetweenProducersAndConsumers() throws Exception {
        KeInitializeSemaphore(sem, 0, Integer.MAX_VALUE);
        // 1M units at -Doffkern.stress.scale=10
        int perThread = 50_000 * SCALE;
        AtomicLong consumed = new AtomicLong();
        Runnable producer = () -> {
            for (int i = 0; i < perThread; i++) {
                KeReleaseSemaphore(sem, 0, 1, false);
            }
        };
        Runnable consumer = () -> {
            for (int i = 0; i < perThread; i++) {
                int st = KeWaitForSingleObject(sem, Executive, KernelMode, false, MemorySegment.NULL);
                if (st != NtStatus.STATUS_SUCCESS) {
                    throw new AssertionError("status 0x" + Integer.toHexString(st));
                }
                consumed.incrementAndGet();
            }
        };
        runThreads(List.of(producer, consumer, producer, consumer));
        assertEquals(2L * perThread, consumed.get());
        assertEquals(0, KeReadStateSemaphore(sem), "no unit lost or handed out twice");
        assertEquals(NtStatus.STATUS_TIMEOUT, KeWaitForSingleObject(sem, Executive, KernelMode, false, POLL));
    }

    @Test
    void shouldLeaveTheCountAndItsWaiterAsTheyWereWhenAReleaseCannotResolveTheSemaphore() throws Exception {
        KeInitializeSemaphore(sem, 0, 5);
        AtomicInteger woken = new AtomicInteger();
        Thread th = new Thread(() -> {
            KeWaitForSingleObject(sem, Executive, KernelMode, false, MemorySegment.NULL);
            woken.incrementAndGet();
        });
        th.start();
        awaitWaiters(sem, 1);
        Kernel other = KernelFixture.boot(dumps).leakReportSink(s -> { });
        try {
            other.attach();
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, null, () -> KeReleaseSemaphore(sem, 0, 1, false));
        } finally {
            Kernel.detach();
            other.close();
        }
        assertEquals(0, KeReadStateSemaphore(sem), "the count did not change");
        assertEquals(0, KeReleaseSemaphore(sem, 0, 1, false));
        th.join(10_000);
        assertEquals(1, woken.get(), "the waiter was still linked, and the correct release woke it");
        assertEquals(0, KeReadStateSemaphore(sem), "the satisfied wait took the unit");
    }
}
