package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.Arena;
import dev.offkern.nt.BugCheck;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeGuardedMutexTest {
    @TempDir
    Path dumps;
    Kernel kernel;
    MemorySegment m;

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps).leakReportSink(s -> { });
        m = block(kernel, 0x38);
        KeInitializeGuardedMutex(m);
    }

    @AfterEach
    void close() {
        resetThread();
        kernel.close();
    }

    private static ThreadState me() {
        return ThreadState.current();
    }

    @Test
    void shouldEnterAGuardedRegionWhileHeldAndLeaveItOnRelease() {
        KeAcquireGuardedMutex(m);
        assertEquals(-1, me().specialApcDisable());
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql(), "a guarded mutex does not raise the IRQL");
        assertEquals(me().address(), KeGuardedMutex.owner(m));
        assertEquals(0, KeGuardedMutex.count(m));
        KeReleaseGuardedMutex(m);
        assertEquals(0, me().specialApcDisable());
        assertEquals(1, KeGuardedMutex.count(m));
        assertEquals(0L, KeGuardedMutex.owner(m));
    }

    @Test
    void shouldTakeAFreeLockWithWaitersRegisteredByTheBitTestAndResetNotTheUncontendedCas() {
        // Count = free + one waiter registered + a waiter being woken: the uncontended CAS (1 -> 0)
        // fails, the bit-test-and-reset takes the lock and leaves the waiter bits as they were.
        int waiters = KeGuardedMutex.FM_LOCK_WAITER_INC + KeGuardedMutex.FM_LOCK_WAITER_WOKEN;
        m.set(ValueLayout.JAVA_INT, FAST_MUTEX.COUNT_OFFSET, KeGuardedMutex.FM_LOCK_BIT | waiters);
        assertTrue(KeTryToAcquireGuardedMutex(m));
        assertEquals(waiters, KeGuardedMutex.count(m), "only FM_LOCK_BIT cleared");
        assertEquals(me().address(), KeGuardedMutex.owner(m));
        assertEquals(0, KeGuardedMutex.contention(m), "not a slow-path acquisition");
        assertEquals(-1, me().specialApcDisable());
        m.set(ValueLayout.JAVA_INT, FAST_MUTEX.COUNT_OFFSET, 0); // forget the made-up waiters: the release then wakes nobody
        KeReleaseGuardedMutex(m);
        assertEquals(KeGuardedMutex.FM_LOCK_BIT, KeGuardedMutex.count(m));
        assertEquals(0, me().specialApcDisable());
    }

    @Test
    void shouldFailATryOnAHeldLockWithoutChangingCount() {
        m.set(ValueLayout.JAVA_INT, FAST_MUTEX.COUNT_OFFSET, KeGuardedMutex.FM_LOCK_WAITER_INC); // held, one waiter registered
        assertFalse(KeTryToAcquireGuardedMutex(m));
        assertEquals(KeGuardedMutex.FM_LOCK_WAITER_INC, KeGuardedMutex.count(m));
        assertEquals(0L, KeGuardedMutex.owner(m));
        assertEquals(0, me().specialApcDisable());
        m.set(ValueLayout.JAVA_INT, FAST_MUTEX.COUNT_OFFSET, KeGuardedMutex.FM_LOCK_BIT);
    }

    @Test
    void shouldLeaveTheRegionAgainWhenATryFails() throws Exception {
        assertTrue(KeTryToAcquireGuardedMutex(m));
        assertEquals(-1, me().specialApcDisable());
        KeReleaseGuardedMutex(m);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            KeAcquireGuardedMutex(m);
            held.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            KeReleaseGuardedMutex(m);
        });
        other.start();
        held.await();
        assertFalse(KeTryToAcquireGuardedMutex(m));
        assertEquals(0, me().specialApcDisable());
        done.countDown();
        other.join();
    }

    @Test
    void shouldAcceptUnsafeAcquireInsideAGuardedRegionOrAtApcLevel() {
        KeEnterGuardedRegion();
        KeAcquireGuardedMutexUnsafe(m);
        assertEquals(-1, me().specialApcDisable(), "no second region entered");
        KeReleaseGuardedMutexUnsafe(m);
        KeLeaveGuardedRegion();
        KeRaiseIrql(Irql.APC_LEVEL);
        KeAcquireGuardedMutexUnsafe(m);
        KeReleaseGuardedMutexUnsafe(m);
        assertEquals(0, me().specialApcDisable());
    }

    @Test
    void shouldBugCheckUnsafeVariantsWithApcsEnabled() {
        assertBugCheck(0xC4, new long[] {0x39, 0, m.address(), 0}, () -> KeAcquireGuardedMutexUnsafe(m));
        assertBugCheck(0xC4, new long[] {0x3A, 0, m.address(), 0}, () -> KeReleaseGuardedMutexUnsafe(m));
    }

    @Test
    void shouldBugCheckEveryGuardedRoutineAboveApcLevel() {
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        long[] p = {m.address(), 2, 1, 0};
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, p, () -> KeInitializeGuardedMutex(m));
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, p, () -> KeAcquireGuardedMutex(m));
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, p, () -> KeTryToAcquireGuardedMutex(m));
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, p, () -> KeReleaseGuardedMutex(m));
        assertBugCheck(0xC4, new long[] {0x39, 2, m.address(), 0}, () -> KeAcquireGuardedMutexUnsafe(m));
        assertEquals(0, me().specialApcDisable(), "nothing entered");
    }

    @Test
    void shouldBugCheckRecursionAndForeignRelease() throws Exception {
        KeAcquireGuardedMutex(m);
        assertBugCheck(0xC4, new long[] {0x1000, m.address(), me().address(), 0}, () -> KeAcquireGuardedMutex(m));
        KeReleaseGuardedMutex(m);
        assertBugCheck(0xC4, new long[] {0x1007, m.address(), 0, me().address()}, () -> KeReleaseGuardedMutex(m));
        long[] owner = new long[1];
        Thread other = new Thread(() -> {
            KeAcquireGuardedMutex(m);
            owner[0] = ThreadState.current().address();
        });
        other.start();
        other.join();
        assertBugCheck(0xC4, new long[] {0x1004, m.address(), owner[0], me().address()}, () -> KeReleaseGuardedMutex(m));
    }

    @Test
    void shouldRejectASegmentTooSmallForTheMutex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeInitializeGuardedMutex(block(kernel, 0x30)));
        assertTrue(e.getMessage().contains("0x38"), e.getMessage());
    }

    @Test
    void shouldKeepMutualExclusionAndLeaveNoWaiterOrSignalBehind() throws Exception {
        MemorySegment data = block(kernel, 16);
        int threads = 3;
        int rounds = 30_000 * SCALE;
        runThreads(times(threads, () -> {
            for (int i = 0; i < rounds; i++) {
                if ((i & 1) == 0) {
                    KeAcquireGuardedMutex(m);
                } else {
                    KeEnterCriticalRegion();
                    KeAcquireGuardedMutexUnsafe(m);
                }
                long a = data.get(ValueLayout.JAVA_LONG, 0);
                long b = data.get(ValueLayout.JAVA_LONG, 8);
                if (a != b) {
                    throw new AssertionError("invariant broken inside the mutex");
                }
                data.set(ValueLayout.JAVA_LONG, 0, a + 1);
                Thread.onSpinWait();
                data.set(ValueLayout.JAVA_LONG, 8, b + 1);
                if ((i & 1) == 0) {
                    KeReleaseGuardedMutex(m);
                } else {
                    KeReleaseGuardedMutexUnsafe(m);
                    KeLeaveCriticalRegion();
                }
            }
            if (ThreadState.current().combinedApcDisable() != 0) {
                throw new AssertionError("regions unbalanced");
            }
        }));
        assertEquals((long) threads * rounds, data.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(1, KeGuardedMutex.count(m));
        assertEquals(0, m.get(ValueLayout.JAVA_INT, 0x1C));
    }

    @Test
    void shouldLeaveTheMutexAndTheRegionUntouchedWhenAContendedAcquireCannotResolveItsEvent() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment unregistered = arena.allocate(0x38, 8); // waiters could not be found through its event
            KeInitializeGuardedMutex(unregistered);
            KeAcquireGuardedMutex(unregistered); // uncontended: nothing to resolve
            java.util.concurrent.atomic.AtomicReference<Object> outcome = new java.util.concurrent.atomic.AtomicReference<>();
            Thread contender = new Thread(() -> {
                try {
                    KeAcquireGuardedMutex(unregistered);
                    outcome.set("acquired");
                } catch (Throwable t) {
                    outcome.set(new Object[] {t, ThreadState.current().specialApcDisable()});
                }
            });
            contender.start();
            contender.join(10_000);
            Object[] r = (Object[]) outcome.get();
            BugCheck bc = assertInstanceOf(BugCheck.class, r[0]);
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, bc.code());
            assertEquals(unregistered.address() + 0x18, bc.parameters()[0], "the embedded event");
            assertEquals(0, r[1], "the contender's guarded region was not entered");
            assertEquals(0, KeGuardedMutex.count(unregistered), "held, and no waiter registered in Count");
            assertEquals(0, KeGuardedMutex.contention(unregistered), "no contention counted");
            KeReleaseGuardedMutex(unregistered);
            assertEquals(1, KeGuardedMutex.count(unregistered), "free, nobody to wake");
        }
    }
}
