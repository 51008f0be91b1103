package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.KSPIN_LOCK_QUEUE;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeQueuedSpinLockTest {
    @TempDir
    Path dumps;
    Kernel kernel;
    MemorySegment lock;
    MemorySegment handle;

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps).leakReportSink(s -> { });
        lock = block(kernel, 8);
        handle = block(kernel, 0x18);
        KeInitializeSpinLock(lock);
    }

    @AfterEach
    void close() {
        resetThread();
        kernel.close();
    }

    private static long next(MemorySegment h) {
        return h.get(ValueLayout.JAVA_LONG, 0);
    }

    private static long lockField(MemorySegment h) {
        return h.get(ValueLayout.JAVA_LONG, 8);
    }

    private static void awaitWord(MemorySegment lock, long value) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (KeSpinLock.word(lock) != value) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("lock word never became 0x" + Long.toHexString(value));
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void shouldEnqueueTheHandleSaveOldIrqlAndMarkTheOwner() {
        KeRaiseIrql(Irql.APC_LEVEL);
        KeAcquireInStackQueuedSpinLock(lock, handle);
        assertEquals(Irql.DISPATCH_LEVEL, KeGetCurrentIrql());
        assertEquals(handle.address(), KeSpinLock.word(lock), "the word points at the tail entry");
        assertEquals(lock.address() | KSPIN_LOCK_QUEUE.LOCK_QUEUE_OWNER, lockField(handle));
        assertEquals(0L, next(handle));
        assertEquals(Irql.APC_LEVEL, handle.get(ValueLayout.JAVA_BYTE, 0x10));
        KeReleaseInStackQueuedSpinLock(handle);
        assertEquals(Irql.APC_LEVEL, KeGetCurrentIrql());
        assertEquals(0L, KeSpinLock.word(lock));
        assertEquals(lock.address(), lockField(handle), "OWNER cleared on release");
    }

    @Test
    void shouldAcquireAtDpcLevelWithoutTouchingIrqlOrOldIrql() {
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        handle.set(ValueLayout.JAVA_BYTE, 0x10, (byte) 0x5A);
        KeAcquireInStackQueuedSpinLockAtDpcLevel(lock, handle);
        assertEquals(Irql.DISPATCH_LEVEL, KeGetCurrentIrql());
        assertEquals(0x5A, handle.get(ValueLayout.JAVA_BYTE, 0x10));
        KeReleaseInStackQueuedSpinLockFromDpcLevel(handle);
        assertEquals(Irql.DISPATCH_LEVEL, KeGetCurrentIrql());
        assertEquals(0L, KeSpinLock.word(lock));
    }

    @Test
    void shouldLinkAWaiterBehindTheOwnerWithTheWaitBit() throws Exception {
        KeAcquireInStackQueuedSpinLock(lock, handle);
        MemorySegment h2 = block(kernel, 0x18);
        Thread waiter = new Thread(() -> {
            KeAcquireInStackQueuedSpinLock(lock, h2);
            KeReleaseInStackQueuedSpinLock(h2);
        });
        waiter.start();
        awaitWord(lock, h2.address());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (next(handle) != h2.address() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(h2.address(), next(handle), "owner.Next -> waiter");
        assertEquals(lock.address() | KSPIN_LOCK_QUEUE.LOCK_QUEUE_WAIT, lockField(h2));
        KeReleaseInStackQueuedSpinLock(handle);
        waiter.join(10_000);
        assertEquals(0L, KeSpinLock.word(lock));
        assertEquals(lock.address(), lockField(h2));
    }

    @Test
    void shouldHandTheLockToWaitersInArrivalOrder() throws Exception {
        int waiters = 4;
        KeAcquireInStackQueuedSpinLock(lock, handle);
        List<Integer> order = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            int id = i;
            MemorySegment h = block(kernel, 0x18);
            Thread th = new Thread(() -> {
                KeAcquireInStackQueuedSpinLock(lock, h);
                order.add(id);
                KeReleaseInStackQueuedSpinLock(h);
            });
            th.start();
            awaitWord(lock, h.address()); // waiter i is the tail before waiter i+1 starts
            threads.add(th);
        }
        KeReleaseInStackQueuedSpinLock(handle);
        for (Thread th : threads) {
            th.join(10_000);
        }
        assertEquals(List.of(0, 1, 2, 3), order);
        assertEquals(0L, KeSpinLock.word(lock));
    }

    @Test
    void shouldBugCheckRecursiveAcquisitionThroughASecondHandle() {
        KeAcquireInStackQueuedSpinLock(lock, handle);
        MemorySegment h2 = block(kernel, 0x18);
        assertBugCheck(BugCheckCode.SPIN_LOCK_ALREADY_OWNED, new long[] {lock.address(), 0, 0, 0},
                () -> KeAcquireInStackQueuedSpinLockAtDpcLevel(lock, h2));
        assertEquals(handle.address(), KeSpinLock.word(lock), "the queue is untouched");
        KeReleaseInStackQueuedSpinLock(handle);
    }

    @Test
    void shouldBugCheckReleaseOfAHandleThatDoesNotOwnItsLock() {
        handle.set(ValueLayout.JAVA_LONG, 8, lock.address());
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertBugCheck(BugCheckCode.SPIN_LOCK_NOT_OWNED, new long[] {lock.address(), handle.address(), 0, 0},
                () -> KeReleaseInStackQueuedSpinLock(handle));
        KeAcquireInStackQueuedSpinLockAtDpcLevel(lock, handle);
        KeReleaseInStackQueuedSpinLockFromDpcLevel(handle);
        assertBugCheck(BugCheckCode.SPIN_LOCK_NOT_OWNED, new long[] {lock.address(), handle.address(), 0, 0},
                () -> KeReleaseInStackQueuedSpinLockFromDpcLevel(handle));
    }

    @Test
    void shouldBugCheckWrongIrqlForEachRoutine() {
        assertBugCheck(0xC4, new long[] {0x40, 0, lock.address(), 0}, () -> KeAcquireInStackQueuedSpinLockAtDpcLevel(lock, handle));
        handle.set(ValueLayout.JAVA_LONG, 8, lock.address() | 2);
        assertBugCheck(0xC4, new long[] {0x36, 0, lock.address(), 0}, () -> KeReleaseInStackQueuedSpinLock(handle));
        assertBugCheck(0xC4, new long[] {0x41, 0, lock.address(), 0}, () -> KeReleaseInStackQueuedSpinLockFromDpcLevel(handle));
        KeRaiseIrql(Irql.HIGH_LEVEL);
        assertBugCheck(0xC4, new long[] {0x42, Irql.HIGH_LEVEL, lock.address(), 0}, () -> KeAcquireInStackQueuedSpinLock(lock, handle));
    }

    @Test
    void shouldRejectAHandleThatIsTooSmallOrOnTheHeap() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KeAcquireInStackQueuedSpinLock(lock, block(kernel, 0x10)));
        assertTrue(e.getMessage().contains("KLOCK_QUEUE_HANDLE"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeAcquireInStackQueuedSpinLock(lock, MemorySegment.ofArray(new byte[0x18])));
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
    }

    @Test
    void shouldFaultInsteadOfCrashingWhenThePredecessorIsUnregistered() {
        lock.set(ValueLayout.JAVA_LONG, 0, 0x10_0000_0000L); // a tail "entry" outside every region
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {0x10_0000_0000L, 0, 0, 0},
                () -> KeAcquireInStackQueuedSpinLockAtDpcLevel(lock, handle));
    }

    @Test
    void shouldKeepMutualExclusionUnderContention() throws Exception {
        MemorySegment data = block(kernel, 16);
        // 2 threads: FIFO hand-off to a descheduled waiter is MCS's known cost on an over-committed host
        int threads = 2;
        int rounds = 50_000 * SCALE;
        runThreads(times(threads, () -> {
            MemorySegment h = block(kernel, 0x18);
            for (int i = 0; i < rounds; i++) {
                KeAcquireInStackQueuedSpinLock(lock, h);
                long a = data.get(ValueLayout.JAVA_LONG, 0);
                long b = data.get(ValueLayout.JAVA_LONG, 8);
                if (a != b) {
                    throw new AssertionError("invariant broken inside the lock: " + a + " != " + b);
                }
                data.set(ValueLayout.JAVA_LONG, 0, a + 1);
                Thread.onSpinWait();
                data.set(ValueLayout.JAVA_LONG, 8, b + 1);
                KeReleaseInStackQueuedSpinLock(h);
            }
        }));
        assertEquals((long) threads * rounds, data.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(0L, KeSpinLock.word(lock));
    }

    @Test
    void shouldLeaveTheLockAndTheIrqlUntouchedWhenTheHandleIsNotInRegisteredMemory() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stackHandle = arena.allocate(0x18, 8); // native, aligned, but no successor could follow it
            stackHandle.fill((byte) 0x5A);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {stackHandle.address(), 0, 0, 0},
                    () -> KeAcquireInStackQueuedSpinLock(lock, stackHandle));
            assertEquals(0L, KeSpinLock.word(lock), "the handle was never queued");
            assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql(), "the IRQL was not raised");
            assertEquals(0x5A5A5A5A5A5A5A5AL, stackHandle.get(ValueLayout.JAVA_LONG, 8), "the handle was not written");
        }
    }

    @Test
    void shouldLeaveTheLockUntouchedWhenTheLockWordIsNotInRegisteredMemory() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stackLock = arena.allocate(8, 8); // the release would have to follow its address
            KeInitializeSpinLock(stackLock);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {stackLock.address(), 0, 0, 0},
                    () -> KeAcquireInStackQueuedSpinLock(stackLock, handle));
            assertEquals(0L, KeSpinLock.word(stackLock));
            assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
        }
    }
}
