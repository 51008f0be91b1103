package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.KSPIN_LOCK_QUEUE;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.runtime.mm.Region;
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
    void shouldRefuseAHandleWhoseRegionWasUnregisteredAfterAnEarlierAcquireThroughIt() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(4096, 64);
            Region region = kernel.addressSpace().register(memory, "queued handles");
            MemorySegment stackHandle = memory.asSlice(64, 0x18);
            MemorySegment neighbour = memory.asSlice(128, 0x18);
            KeAcquireInStackQueuedSpinLock(lock, stackHandle); // resolves, and the thread remembers the region
            KeReleaseInStackQueuedSpinLock(stackHandle);
            KeAcquireInStackQueuedSpinLock(lock, neighbour); // the same region: still accepted
            KeReleaseInStackQueuedSpinLock(neighbour);
            kernel.addressSpace().unregister(region);
            stackHandle.fill((byte) 0x5A);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {stackHandle.address(), 0, 0, 0},
                    () -> KeAcquireInStackQueuedSpinLock(lock, stackHandle));
            assertEquals(0L, KeSpinLock.word(lock), "the handle was never queued");
            assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql(), "the IRQL was not raised");
            assertEquals(0x5A5A5A5A5A5A5A5AL, stackHandle.get(ValueLayout.JAVA_LONG, 8), "the handle was not written");
        }
    }

    @Test
    void shouldReleaseNestedQueuedLocksInAnyOrderEachThroughTheWordItsHandleAcquired() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 6; // more than the thread's first array holds below the newest entry
            MemorySegment[] words = new MemorySegment[n];
            MemorySegment[] handles = new MemorySegment[n];
            for (int i = 0; i < n; i++) {
                words[i] = arena.allocate(8, 8); // outside every region: each release must use the word its acquire was given
                KeInitializeSpinLock(words[i]);
                handles[i] = block(kernel, 0x18);
            }
            int[] releaseOrder = {2, 5, 0, 4, 1, 3}; // middle, newest, oldest, ...
            int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < n; i++) {
                    KeAcquireInStackQueuedSpinLockAtDpcLevel(words[i], handles[i]);
                    assertEquals(handles[i].address(), KeSpinLock.word(words[i]));
                }
                int[] order = round == 0 ? releaseOrder : new int[] {5, 4, 3, 2, 1, 0};
                for (int k = 0; k < n; k++) {
                    int i = order[k];
                    KeReleaseInStackQueuedSpinLockFromDpcLevel(handles[i]);
                    assertEquals(0L, KeSpinLock.word(words[i]), "lock " + i + " released");
                    for (int j = k + 1; j < n; j++) {
                        assertEquals(handles[order[j]].address(), KeSpinLock.word(words[order[j]]), "lock " + order[j] + " still held");
                    }
                }
            }
            KeLowerIrql(old);
        }
    }

    @Test
    void shouldFindTheLockWordOfTheReleasingThreadWithoutResolvingItsAddress() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stackLock = arena.allocate(8, 8); // outside every region: only the handle must resolve
            KeInitializeSpinLock(stackLock);
            KeAcquireInStackQueuedSpinLock(stackLock, handle);
            assertEquals(handle.address(), KeSpinLock.word(stackLock));
            KeReleaseInStackQueuedSpinLock(handle);
            assertEquals(0L, KeSpinLock.word(stackLock), "released through the segment the acquire was given");
            assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
        }
    }

    @Test
    void shouldResolveTheLockWordBeforeTouchingTheHandleWhenAnotherThreadReleases() throws Exception {
        kernel.close(); // the verifier (LOCKS) would stop a foreign release first: run this one without it
        kernel = KernelFixture.boot(dumps, BugCheckPolicy.THROW, false).leakReportSink(s -> { });
        handle = block(kernel, 0x18);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment stackLock = arena.allocate(8, 8);
            KeInitializeSpinLock(stackLock);
            KeAcquireInStackQueuedSpinLockAtDpcLevelOnNewThread(stackLock);
            long before = handle.get(ValueLayout.JAVA_LONG, 8);
            KeRaiseIrql(Irql.DISPATCH_LEVEL);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {stackLock.address(), 0, 0, 0},
                    () -> KeReleaseInStackQueuedSpinLockFromDpcLevel(handle));
            assertEquals(before, handle.get(ValueLayout.JAVA_LONG, 8), "the handle still names the lock as its owner");
            assertEquals(handle.address(), KeSpinLock.word(stackLock), "the lock is still held");
        }
    }

    /** Acquires {@code lock} through this test's handle on another thread (which then leaves it held). */
    private void KeAcquireInStackQueuedSpinLockAtDpcLevelOnNewThread(MemorySegment lock) throws InterruptedException {
        Thread t = new Thread(() -> {
            KeRaiseIrql(Irql.DISPATCH_LEVEL);
            KeAcquireInStackQueuedSpinLockAtDpcLevel(lock, handle);
            resetThread();
        });
        t.start();
        t.join(10_000);
    }

    /** Starts a thread that acquires {@code l} at DISPATCH_LEVEL through {@code h} (attached to {@code k} if given); records how it ended. */
    private static Thread queuedWaiter(Kernel k, MemorySegment l, MemorySegment h, Object[] outcome) {
        Thread th = new Thread(() -> {
            try {
                if (k != null) {
                    k.attach();
                }
                KeRaiseIrqlToDpcLevel();
                KeAcquireInStackQueuedSpinLockAtDpcLevel(l, h);
                outcome[0] = "acquired";
            } catch (Throwable t) {
                outcome[0] = t;
            } finally {
                resetThread();
                Kernel.detach();
            }
        }, "queued-waiter");
        th.setDaemon(true);
        th.start();
        return th;
    }

    private static void awaitNext(MemorySegment h, long value) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (next(h) != value) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the waiter never linked itself behind 0x" + Long.toHexString(h.address()));
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Fuzz finding queued-spin-lock-hang: the owner reuses its handle for another lock while a
     * waiter is queued behind it (so no hand-off can ever reach the waiter). The waiter must fail
     * with KERNEL_SECURITY_CHECK_FAILURE naming the predecessor, leave the queue, and leave the lock
     * free, instead of spinning for ever.
     */
    @Test
    void shouldFailAWaiterWhosePredecessorsHandleIsReusedInsteadOfSpinningForEver() throws Exception {
        MemorySegment other = block(kernel, 8);
        KeInitializeSpinLock(other);
        MemorySegment h2 = block(kernel, 0x18);
        KeAcquireInStackQueuedSpinLock(lock, handle);
        Object[] outcome = new Object[1];
        Thread waiter = queuedWaiter(null, lock, h2, outcome);
        awaitNext(handle, h2.address());
        KeAcquireInStackQueuedSpinLockAtDpcLevel(other, handle); // misuse: the queued handle reused for another lock
        waiter.join(30_000);
        assertTrue(!waiter.isAlive(), "the waiter still spins behind a handle that will never hand the lock on");
        BugCheck bc = assertInstanceOf(BugCheck.class, outcome[0], String.valueOf(outcome[0]));
        assertEquals(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, bc.code(), bc.getMessage());
        assertEquals(KernelCore.FAST_FAIL_CORRUPT_LIST_ENTRY, bc.parameters()[0]);
        assertEquals(handle.address(), bc.parameters()[1], "P2: the predecessor entry");
        assertEquals(0L, KeSpinLock.word(lock), "the waiter left the queue and the dead chain: the lock is free");
        KeReleaseInStackQueuedSpinLockFromDpcLevel(handle); // releases `other`
        assertEquals(0L, KeSpinLock.word(other));
    }

    /** The same when the lock word is re-initialized under a waiter (its owner gone). */
    @Test
    void shouldFailAWaiterWhoseLockIsReinitializedUnderIt() throws Exception {
        MemorySegment h2 = block(kernel, 0x18);
        KeAcquireInStackQueuedSpinLock(lock, handle);
        Object[] outcome = new Object[1];
        Thread waiter = queuedWaiter(null, lock, h2, outcome);
        awaitNext(handle, h2.address());
        KeInitializeSpinLock(lock); // misuse: re-initialized while held and waited on
        waiter.join(30_000);
        assertTrue(!waiter.isAlive(), "the waiter still spins on a lock re-initialized under it");
        BugCheck bc = assertInstanceOf(BugCheck.class, outcome[0], String.valueOf(outcome[0]));
        assertEquals(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, bc.code(), bc.getMessage());
        assertEquals(lock.address(), bc.parameters()[1]);
    }

    /**
     * A bug check that halts the kernel (HALT policy) while a thread waits for a queued lock's
     * hand-off: the owner can make no call any more, so the waiter ends with the kernel's halted
     * exception, as a blocked dispatcher wait does, instead of spinning until the kernel is closed.
     */
    @Test
    void shouldEndAWaiterWithTheHaltWhenABugCheckHaltsTheKernelWhileItWaits() throws Exception {
        Kernel halting = KernelFixture.boot(java.nio.file.Files.createDirectories(dumps.resolve("halt")), BugCheckPolicy.HALT, true)
                .leakReportSink(s -> { });
        try {
            halting.attach();
            MemorySegment l = block(halting, 8);
            MemorySegment h1 = block(halting, 0x18);
            MemorySegment h2 = block(halting, 0x18);
            KeInitializeSpinLock(l);
            KeAcquireInStackQueuedSpinLock(l, h1);
            Object[] outcome = new Object[1];
            Thread waiter = queuedWaiter(halting, l, h2, outcome);
            awaitNext(h1, h2.address());
            assertThrows(dev.offkern.nt.KernelHaltedException.class, () -> KeBugCheckEx(0xE2, 1, 2, 3, 4));
            waiter.join(30_000);
            assertTrue(!waiter.isAlive(), "the waiter still spins on a halted kernel");
            assertInstanceOf(dev.offkern.nt.KernelHaltedException.class, outcome[0], String.valueOf(outcome[0]));
        } finally {
            resetThread();
            Kernel.detach();
            halting.close();
        }
    }
}
