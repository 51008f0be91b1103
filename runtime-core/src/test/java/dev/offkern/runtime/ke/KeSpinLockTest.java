package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeSpinLockTest {
    @TempDir
    Path dumps;
    Kernel kernel;
    MemorySegment lock;

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps).leakReportSink(s -> { });
        lock = block(kernel, 8);
    }

    @AfterEach
    void close() {
        resetThread();
        kernel.close();
    }

    private long me() {
        return ThreadState.current().address();
    }

    @Test
    void shouldInitializeTheWordToFree() {
        lock.set(ValueLayout.JAVA_LONG, 0, -1L);
        KeInitializeSpinLock(lock);
        assertEquals(0L, lock.get(ValueLayout.JAVA_LONG, 0));
        assertTrue(KeTestSpinLock(lock));
    }

    @Test
    void shouldRaiseToDispatchStoreTheOwnerAndRestoreTheIrqlOnRelease() {
        KeInitializeSpinLock(lock);
        KeRaiseIrql(Irql.APC_LEVEL);
        int old = KeAcquireSpinLock(lock);
        assertEquals(Irql.APC_LEVEL, old);
        assertEquals(Irql.DISPATCH_LEVEL, KeGetCurrentIrql());
        assertEquals(me() | 1, lock.get(ValueLayout.JAVA_LONG, 0), "word = KTHREAD | 1");
        assertFalse(KeTestSpinLock(lock));
        KeReleaseSpinLock(lock, old);
        assertEquals(Irql.APC_LEVEL, KeGetCurrentIrql());
        assertEquals(0L, lock.get(ValueLayout.JAVA_LONG, 0));
        assertTrue(KeTestSpinLock(lock));
    }

    @Test
    void shouldAcquireRaiseToDpcFromPassive() {
        int old = KeAcquireSpinLockRaiseToDpc(lock);
        assertEquals(Irql.PASSIVE_LEVEL, old);
        assertEquals(Irql.DISPATCH_LEVEL, KeGetCurrentIrql());
        KeReleaseSpinLock(lock, old);
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
    }

    @Test
    void shouldAcquireAndReleaseAtDpcLevelWithoutChangingTheIrql() {
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        KeAcquireSpinLockAtDpcLevel(lock);
        assertEquals(Irql.DISPATCH_LEVEL, KeGetCurrentIrql());
        assertEquals(me() | 1, KeSpinLock.word(lock));
        KeReleaseSpinLockFromDpcLevel(lock);
        assertEquals(Irql.DISPATCH_LEVEL, KeGetCurrentIrql());
        assertEquals(0L, KeSpinLock.word(lock));
    }

    @Test
    void shouldTryToAcquireAFreeLockAndFailOnALockHeldByAnotherThread() throws Exception {
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertTrue(KeTryToAcquireSpinLockAtDpcLevel(lock));
        KeReleaseSpinLockFromDpcLevel(lock);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            int old = KeAcquireSpinLock(lock);
            held.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            KeReleaseSpinLock(lock, old);
        });
        other.start();
        held.await();
        long before = KeSpinLock.word(lock);
        assertFalse(KeTryToAcquireSpinLockAtDpcLevel(lock));
        assertEquals(before, KeSpinLock.word(lock), "a failed try changes nothing");
        assertFalse(KeTestSpinLock(lock));
        done.countDown();
        other.join();
        assertTrue(KeTestSpinLock(lock));
    }

    @Test
    void shouldMakeAWaiterSpinUntilTheOwnerReleases() throws Exception {
        int old = KeAcquireSpinLock(lock);
        AtomicBoolean acquired = new AtomicBoolean();
        Thread other = new Thread(() -> {
            int o = KeAcquireSpinLock(lock);
            acquired.set(true);
            KeReleaseSpinLock(lock, o);
        });
        other.start();
        Thread.sleep(50);
        assertFalse(acquired.get(), "the waiter must not get a held lock");
        KeReleaseSpinLock(lock, old);
        other.join(10_000);
        assertTrue(acquired.get());
    }

    @Test
    void shouldBugCheckSpinLockAlreadyOwnedOnRecursiveAcquire() {
        int old = KeAcquireSpinLock(lock);
        assertBugCheck(BugCheckCode.SPIN_LOCK_ALREADY_OWNED, new long[] {lock.address(), 0, 0, 0},
                () -> KeAcquireSpinLockAtDpcLevel(lock));
        assertBugCheck(BugCheckCode.SPIN_LOCK_ALREADY_OWNED, new long[] {lock.address(), 0, 0, 0},
                () -> KeTryToAcquireSpinLockAtDpcLevel(lock));
        KeReleaseSpinLock(lock, old);
    }

    @Test
    void shouldBugCheckSpinLockNotOwnedOnReleaseOfAFreeLock() {
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertBugCheck(BugCheckCode.SPIN_LOCK_NOT_OWNED, new long[] {lock.address(), 0, 0, 0},
                () -> KeReleaseSpinLock(lock, Irql.PASSIVE_LEVEL));
        assertEquals(0L, KeSpinLock.word(lock));
    }

    @Test
    void shouldBugCheckSpinLockNotOwnedOnReleaseByAnotherThread() throws Exception {
        Thread other = new Thread(() -> KeAcquireSpinLock(lock)); // keeps it (thread exits holding it)
        other.start();
        other.join();
        long word = KeSpinLock.word(lock);
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertBugCheck(BugCheckCode.SPIN_LOCK_NOT_OWNED, new long[] {lock.address(), 0, 0, 0},
                () -> KeReleaseSpinLockFromDpcLevel(lock));
        assertEquals(word, KeSpinLock.word(lock), "the lock stays with its owner");
    }

    @Test
    void shouldBugCheckAcquireAboveDispatch() {
        KeRaiseIrql(Irql.CLOCK_LEVEL);
        assertBugCheck(0xC4, new long[] {0x42, Irql.CLOCK_LEVEL, lock.address(), 0}, () -> KeAcquireSpinLock(lock));
    }

    @Test
    void shouldBugCheckReleaseBelowDispatch() {
        assertBugCheck(0xC4, new long[] {0x32, Irql.PASSIVE_LEVEL, lock.address(), 0},
                () -> KeReleaseSpinLock(lock, Irql.PASSIVE_LEVEL));
    }

    @Test
    void shouldBugCheckDpcLevelVariantsBelowDispatch() {
        assertBugCheck(0xC4, new long[] {0x40, Irql.PASSIVE_LEVEL, lock.address(), 0}, () -> KeAcquireSpinLockAtDpcLevel(lock));
        assertBugCheck(0xC4, new long[] {0x40, Irql.PASSIVE_LEVEL, lock.address(), 0}, () -> KeTryToAcquireSpinLockAtDpcLevel(lock));
        assertBugCheck(0xC4, new long[] {0x41, Irql.PASSIVE_LEVEL, lock.address(), 0}, () -> KeReleaseSpinLockFromDpcLevel(lock));
    }

    @Test
    void shouldRejectAMisalignedOrHeapWord() {
        MemorySegment mis = block(kernel, 16).asSlice(4, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeInitializeSpinLock(mis));
        assertTrue(e.getMessage().contains("KSPIN_LOCK"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeAcquireSpinLock(MemorySegment.ofArray(new long[1])));
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
    }

    @Test
    void shouldWorkOnAnUnregisteredNativeWord() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment w = a.allocate(8, 8);
            KeInitializeSpinLock(w);
            KeReleaseSpinLock(w, KeAcquireSpinLock(w));
            assertEquals(0L, KeSpinLock.word(w));
        }
    }

    @Test
    void shouldKeepMutualExclusionUnderContention() throws Exception {
        MemorySegment data = block(kernel, 16);
        int threads = 3;
        int rounds = 100_000 * SCALE;
        runThreads(times(threads, () -> {
            for (int i = 0; i < rounds; i++) {
                int old = KeAcquireSpinLock(lock);
                long a = data.get(ValueLayout.JAVA_LONG, 0);
                long b = data.get(ValueLayout.JAVA_LONG, 8);
                if (a != b) {
                    throw new AssertionError("invariant broken inside the lock: " + a + " != " + b);
                }
                data.set(ValueLayout.JAVA_LONG, 0, a + 1);
                Thread.onSpinWait();
                data.set(ValueLayout.JAVA_LONG, 8, b + 1);
                KeReleaseSpinLock(lock, old);
            }
        }));
        assertEquals((long) threads * rounds, data.get(ValueLayout.JAVA_LONG, 0));
        assertEquals((long) threads * rounds, data.get(ValueLayout.JAVA_LONG, 8));
        assertTrue(KeTestSpinLock(lock));
    }

    @Test
    void shouldSkipEveryCheckWhenTheKernelRunsWithoutTheVerifier() {
        kernel.close();
        kernel = KernelFixture.boot(dumps, dev.offkern.nt.BugCheckPolicy.THROW, false).leakReportSink(s -> { });
        lock = block(kernel, 8);
        KeRaiseIrql(Irql.CLOCK_LEVEL);
        int old = KeAcquireSpinLock(lock); // above DISPATCH: not checked, IRQL not lowered
        assertEquals(Irql.CLOCK_LEVEL, old);
        assertEquals(Irql.CLOCK_LEVEL, KeGetCurrentIrql());
        KeLowerIrql(Irql.PASSIVE_LEVEL);
        KeReleaseSpinLock(lock, Irql.PASSIVE_LEVEL); // at PASSIVE: not checked, the word is freed
        assertEquals(0L, KeSpinLock.word(lock));
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        KeReleaseSpinLockFromDpcLevel(lock); // release of a free lock: no SPIN_LOCK_NOT_OWNED on a free build
        assertTrue(KeTestSpinLock(lock));
    }

    @Test
    void shouldBugCheckLoweringBelowDispatchWhileHoldingASpinLock() {
        MemorySegment other = block(kernel, 8);
        int old = KeAcquireSpinLock(lock);
        KeAcquireSpinLockAtDpcLevel(other);
        assertBugCheck(BugCheckCode.SPIN_LOCK_ALREADY_OWNED, new long[] {other.address(), 0, 0, 0},
                () -> KeReleaseSpinLock(lock, old)); // releases lock, then lowers while other is held
        assertEquals(0L, KeSpinLock.word(lock));
        assertEquals(Irql.DISPATCH_LEVEL, KeGetCurrentIrql(), "the IRQL stays raised");
        KeReleaseSpinLock(other, old);
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
    }
}
