package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.*;
import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.KeGuardedMutex;
import dev.offkern.runtime.ke.ThreadState;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExFastMutexTest {
    @TempDir
    Path dumps;
    Kernel kernel;
    MemorySegment m;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)).leakReportSink(s -> { });
        m = block(kernel, 0x38);
        ExInitializeFastMutex(m);
    }

    @AfterEach
    void close() {
        resetThread();
        kernel.close();
    }

    private static long me() {
        return ThreadState.current().address();
    }

    private static void awaitCount(MemorySegment m, int count) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (KeGuardedMutex.count(m) != count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Count never became " + count + " (is " + KeGuardedMutex.count(m) + ")");
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void shouldInitializeCountOwnerContentionAndEventByteExact() {
        m.fill((byte) 0x66);
        ExInitializeFastMutex(m);
        assertEquals(1, m.get(ValueLayout.JAVA_INT, 0), "Count = FM_LOCK_BIT (free)");
        assertEquals(0L, m.get(ValueLayout.JAVA_LONG, 8), "Owner");
        assertEquals(0, m.get(ValueLayout.JAVA_INT, 0x10), "Contention");
        assertEquals(1, m.get(ValueLayout.JAVA_BYTE, 0x18), "Event.Type = SynchronizationEvent");
        assertEquals(6, m.get(ValueLayout.JAVA_BYTE, 0x1A), "Event.Size");
        assertEquals(0, m.get(ValueLayout.JAVA_INT, 0x1C), "Event.SignalState");
        assertEquals(m.address() + 0x20, m.get(ValueLayout.JAVA_LONG, 0x20), "Event.WaitListHead empty");
    }

    @Test
    void shouldRaiseToApcSaveOldIrqlAndRestoreItOnRelease() {
        ExAcquireFastMutex(m);
        assertEquals(Irql.APC_LEVEL, KeGetCurrentIrql());
        assertEquals(0, m.get(ValueLayout.JAVA_INT, 0), "Count: locked, no waiters");
        assertEquals(me(), m.get(ValueLayout.JAVA_LONG, 8));
        assertEquals(Irql.PASSIVE_LEVEL, m.get(ValueLayout.JAVA_INT, 0x30), "OldIrql");
        ExReleaseFastMutex(m);
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
        assertEquals(1, m.get(ValueLayout.JAVA_INT, 0));
        assertEquals(0L, m.get(ValueLayout.JAVA_LONG, 8));
        KeRaiseIrql(Irql.APC_LEVEL);
        ExAcquireFastMutex(m);
        assertEquals(Irql.APC_LEVEL, m.get(ValueLayout.JAVA_INT, 0x30));
        ExReleaseFastMutex(m);
        assertEquals(Irql.APC_LEVEL, KeGetCurrentIrql());
    }

    @Test
    void shouldTryToAcquireAndFailWithoutChangingTheIrql() throws Exception {
        assertTrue(ExTryToAcquireFastMutex(m));
        assertEquals(Irql.APC_LEVEL, KeGetCurrentIrql());
        ExReleaseFastMutex(m);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            ExAcquireFastMutex(m);
            held.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ExReleaseFastMutex(m);
        });
        other.start();
        held.await();
        assertFalse(ExTryToAcquireFastMutex(m));
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
        assertEquals(0, KeGuardedMutex.count(m), "a failed try changes nothing");
        done.countDown();
        other.join();
    }

    @Test
    void shouldBlockAContendedWaiterOnTheEventCountItAndHandOver() throws Exception {
        ExAcquireFastMutex(m);
        long[] got = new long[1];
        Thread waiter = new Thread(() -> {
            ExAcquireFastMutex(m);
            got[0] = m.get(ValueLayout.JAVA_LONG, 8);
            ExReleaseFastMutex(m);
        });
        waiter.start();
        awaitCount(m, KeGuardedMutex.FM_LOCK_WAITER_INC); // locked, one waiter
        assertEquals(1, KeGuardedMutex.contention(m));
        ExReleaseFastMutex(m);
        waiter.join(10_000);
        assertTrue(got[0] != 0 && got[0] != me(), "the waiter owned it");
        assertEquals(1, KeGuardedMutex.count(m), "free, no waiters, no woken flag");
        assertEquals(0, m.get(ValueLayout.JAVA_INT, 0x1C), "the event's signal was consumed");
    }

    @Test
    void shouldAllowUnsafeAcquireAtApcLevelOrInACriticalRegion() {
        KeRaiseIrql(Irql.APC_LEVEL);
        ExAcquireFastMutexUnsafe(m);
        assertEquals(Irql.APC_LEVEL, KeGetCurrentIrql());
        ExReleaseFastMutexUnsafe(m);
        KeLowerIrql(Irql.PASSIVE_LEVEL);
        KeEnterCriticalRegion();
        m.set(ValueLayout.JAVA_INT, 0x30, 0x77);
        ExAcquireFastMutexUnsafe(m);
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
        assertEquals(0x77, m.get(ValueLayout.JAVA_INT, 0x30), "OldIrql untouched");
        ExReleaseFastMutexUnsafe(m);
        KeLeaveCriticalRegion();
    }

    @Test
    void shouldBugCheckUnsafeVariantsWithApcsEnabled() {
        assertBugCheck(0xC4, new long[] {0x39, 0, m.address(), 0}, () -> ExAcquireFastMutexUnsafe(m));
        assertBugCheck(0xC4, new long[] {0x3A, 0, m.address(), 0}, () -> ExReleaseFastMutexUnsafe(m));
    }

    @Test
    void shouldBugCheckAcquireAboveApcAndReleaseNotAtApc() {
        assertBugCheck(0xC4, new long[] {0x34, 0, m.address(), 0}, () -> ExReleaseFastMutex(m));
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertBugCheck(0xC4, new long[] {0x33, 2, m.address(), 0}, () -> ExAcquireFastMutex(m));
        assertBugCheck(0xC4, new long[] {0x33, 2, m.address(), 0}, () -> ExTryToAcquireFastMutex(m));
        assertEquals(1, KeGuardedMutex.count(m));
    }

    @Test
    void shouldBugCheckRecursiveAcquisition() {
        ExAcquireFastMutex(m);
        assertBugCheck(0xC4, new long[] {0x1000, m.address(), me(), 0}, () -> ExAcquireFastMutex(m));
        assertBugCheck(0xC4, new long[] {0x1000, m.address(), me(), 0}, () -> ExAcquireFastMutexUnsafe(m));
        ExReleaseFastMutex(m);
    }

    @Test
    void shouldBugCheckReleaseByANonOwnerAndOfAnUnownedMutex() throws Exception {
        KeRaiseIrql(Irql.APC_LEVEL);
        assertBugCheck(0xC4, new long[] {0x1007, m.address(), 0, me()}, () -> ExReleaseFastMutex(m));
        long[] owner = new long[1];
        Thread other = new Thread(() -> {
            ExAcquireFastMutex(m);
            owner[0] = ThreadState.current().address();
        });
        other.start();
        other.join();
        assertBugCheck(0xC4, new long[] {0x1004, m.address(), owner[0], me()}, () -> ExReleaseFastMutex(m));
        assertEquals(owner[0], KeGuardedMutex.owner(m), "still owned by its owner");
    }

    @Test
    void shouldShareOneImplementationWithGuardedMutexes() {
        MemorySegment g = block(kernel, 0x38);
        g.fill((byte) 0x11);
        KeInitializeGuardedMutex(g);
        m.fill((byte) 0x22);
        ExInitializeFastMutex(m);
        assertEquals(-1L, m.asSlice(0, 0x20).mismatch(g.asSlice(0, 0x20)), "Count, Owner, Contention, event header");
        assertEquals(-1L, m.asSlice(0x30, 8).mismatch(g.asSlice(0x30, 8)), "OldIrql and padding");
        assertEquals(g.address() + 0x20, g.get(ValueLayout.JAVA_LONG, 0x28), "the gate's wait list is empty");
        KeAcquireGuardedMutex(m); // a FAST_MUTEX is a KGUARDED_MUTEX on Windows 8+
        KeReleaseGuardedMutex(m);
        assertEquals(1, KeGuardedMutex.count(m));
    }

    @Test
    void shouldKeepMutualExclusionAndLeaveNoWaiterOrSignalBehind() throws Exception {
        MemorySegment data = block(kernel, 16);
        int threads = 3;
        int rounds = 30_000 * SCALE;
        runThreads(times(threads, () -> {
            for (int i = 0; i < rounds; i++) {
                ExAcquireFastMutex(m);
                long a = data.get(ValueLayout.JAVA_LONG, 0);
                long b = data.get(ValueLayout.JAVA_LONG, 8);
                if (a != b || KeGuardedMutex.owner(m) != ThreadState.current().address()) {
                    throw new AssertionError("invariant broken inside the mutex");
                }
                data.set(ValueLayout.JAVA_LONG, 0, a + 1);
                Thread.onSpinWait();
                data.set(ValueLayout.JAVA_LONG, 8, b + 1);
                ExReleaseFastMutex(m);
            }
        }));
        assertEquals((long) threads * rounds, data.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(1, KeGuardedMutex.count(m), "free with no waiter counted and no woken flag");
        assertEquals(0, m.get(ValueLayout.JAVA_INT, 0x1C), "no signal left in the event");
    }
}
