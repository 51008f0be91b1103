package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.runtime.Kernel;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.Verifier;
import java.nio.file.Path;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IrqlTest {
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
    void shouldStartEveryCallerAtPassiveLevel() {
        kernel = KernelFixture.boot(dumps);
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
        assertEquals(Irql.PASSIVE_LEVEL, Irql.current());
    }

    @Test
    void shouldRaiseReturningTheOldIrqlAndLowerBack() {
        kernel = KernelFixture.boot(dumps);
        int old = KeRaiseIrql(Irql.APC_LEVEL);
        assertEquals(Irql.PASSIVE_LEVEL, old);
        assertEquals(Irql.APC_LEVEL, KeGetCurrentIrql());
        int old2 = KeRaiseIrql(Irql.HIGH_LEVEL);
        assertEquals(Irql.APC_LEVEL, old2);
        assertEquals(15, Irql.current());
        KeLowerIrql(old2);
        assertEquals(Irql.APC_LEVEL, KeGetCurrentIrql());
        KeLowerIrql(old);
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
    }

    @Test
    void shouldTreatRaiseAndLowerToTheCurrentLevelAsNoOps() {
        kernel = KernelFixture.boot(dumps);
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertEquals(Irql.DISPATCH_LEVEL, KeRaiseIrql(Irql.DISPATCH_LEVEL));
        KeLowerIrql(Irql.DISPATCH_LEVEL);
        assertEquals(Irql.DISPATCH_LEVEL, KeGetCurrentIrql());
        KeLowerIrql(Irql.PASSIVE_LEVEL);
    }

    @Test
    void shouldRaiseToDpcAndSynchLevelsWithX64Values() {
        kernel = KernelFixture.boot(dumps);
        assertEquals(Irql.PASSIVE_LEVEL, KeRaiseIrqlToDpcLevel());
        assertEquals(2, KeGetCurrentIrql());
        assertEquals(Irql.DISPATCH_LEVEL, KeRaiseIrqlToSynchLevel());
        assertEquals(12, KeGetCurrentIrql());
        KeLowerIrql(Irql.PASSIVE_LEVEL);
        assertEquals(15, Irql.HIGH_LEVEL);
        assertEquals(13, Irql.CLOCK_LEVEL);
        assertEquals(14, Irql.IPI_LEVEL);
        assertEquals(15, Irql.PROFILE_LEVEL);
    }

    @Test
    void shouldBugCheckIrqlNotGreaterOrEqualWhenRaisingBelowTheCurrentLevel() {
        kernel = KernelFixture.boot(dumps);
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        BugCheck bc = assertThrows(BugCheck.class, () -> KeRaiseIrql(Irql.APC_LEVEL));
        assertEquals(BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, bc.code());
        assertArrayEquals(new long[] {2, 1, 0, 9}, bc.parameters());
        assertEquals(Irql.DISPATCH_LEVEL, KeGetCurrentIrql(), "a failed raise leaves the IRQL unchanged");
        KeLowerIrql(Irql.PASSIVE_LEVEL);
    }

    @Test
    void shouldBugCheckDriverVerifierViolation30WhenRaisingAboveHighLevel() {
        kernel = KernelFixture.boot(dumps);
        BugCheck bc = assertThrows(BugCheck.class, () -> KeRaiseIrql(16));
        assertEquals(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, bc.code());
        assertArrayEquals(new long[] {0x30, 0, 16, 0}, bc.parameters());
        BugCheck neg = assertThrows(BugCheck.class, () -> KeRaiseIrql(-1));
        assertArrayEquals(new long[] {0x30, 0, 0xFFFFFFFFL, 0}, neg.parameters());
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
    }

    @Test
    void shouldBugCheckIrqlNotLessOrEqualWhenLoweringAboveTheCurrentLevel() {
        kernel = KernelFixture.boot(dumps);
        KeRaiseIrql(Irql.APC_LEVEL);
        BugCheck bc = assertThrows(BugCheck.class, () -> KeLowerIrql(Irql.DISPATCH_LEVEL));
        assertEquals(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, bc.code());
        assertArrayEquals(new long[] {1, 2, 0, 9}, bc.parameters());
        assertEquals(Irql.APC_LEVEL, KeGetCurrentIrql());
        KeLowerIrql(Irql.PASSIVE_LEVEL);
    }

    @Test
    void shouldBugCheckDriverVerifierViolation31WhenLoweringToAnInvalidLevel() {
        kernel = KernelFixture.boot(dumps);
        KeRaiseIrql(Irql.HIGH_LEVEL);
        BugCheck bc = assertThrows(BugCheck.class, () -> KeLowerIrql(200));
        assertEquals(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, bc.code());
        assertArrayEquals(new long[] {0x31, 15, 200, 0}, bc.parameters());
        KeLowerIrql(Irql.PASSIVE_LEVEL);
    }

    @Test
    void shouldSkipEveryIrqlCheckWhenTheKernelsVerifierIsOff() {
        kernel = KernelFixture.boot(dumps, BugCheckPolicy.THROW, false);
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertEquals(Irql.DISPATCH_LEVEL, KeRaiseIrql(Irql.PASSIVE_LEVEL), "free-build semantics: stored as given");
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
        KeLowerIrql(Irql.HIGH_LEVEL);
        assertEquals(Irql.HIGH_LEVEL, KeGetCurrentIrql());
        KeLowerIrql(Irql.PASSIVE_LEVEL);
    }

    @Test
    void shouldKeepTheIrqlPerThread() throws Exception {
        kernel = KernelFixture.boot(dumps);
        CyclicBarrier raised = new CyclicBarrier(3);
        CyclicBarrier checked = new CyclicBarrier(3);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int[] levels = {Irql.APC_LEVEL, Irql.CLOCK_LEVEL};
        Thread[] threads = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int level = levels[i];
            threads[i] = new Thread(() -> {
                try {
                    for (int round = 0; round < 200; round++) {
                        int old = KeRaiseIrql(level);
                        assertEquals(Irql.PASSIVE_LEVEL, old);
                        raised.await();
                        assertEquals(level, KeGetCurrentIrql(), "another thread's raise leaked into this one");
                        checked.await();
                        KeLowerIrql(old);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    raised.reset();
                    checked.reset();
                }
            });
            threads[i].start();
        }
        for (int round = 0; round < 200 && failure.get() == null; round++) {
            try {
                raised.await();
                assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
                checked.await();
            } catch (java.util.concurrent.BrokenBarrierException e) {
                break;
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    @Test
    void shouldHaltTheKernelOnAViolationUnderHaltPolicy() throws Exception {
        kernel = KernelFixture.boot(dumps, BugCheckPolicy.HALT, true);
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        KernelHaltedException e = assertThrows(KernelHaltedException.class, () -> KeRaiseIrql(Irql.PASSIVE_LEVEL));
        assertEquals(BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, e.code());
        assertArrayEquals(new long[] {2, 0, 0, 9}, e.parameters());
        assertTrue(kernel.isHalted());
        KernelHaltedException later = assertThrows(KernelHaltedException.class, IrqlTest::irqlFromThisThread);
        assertEquals(BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, later.code());
        AtomicReference<Throwable> other = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                KeGetCurrentIrql();
            } catch (Throwable x) {
                other.set(x);
            }
        });
        t.start();
        t.join();
        assertTrue(other.get() instanceof KernelHaltedException, "another thread must fail fast too: " + other.get());
        assertTrue(e.getMessage().contains("IRQL_NOT_GREATER_OR_EQUAL"), e.getMessage());
    }

    private static void irqlFromThisThread() {
        KeGetCurrentIrql();
    }

    @Test
    void shouldReportTheMasterSwitch() {
        assertTrue(Verifier.ENABLED, "tests run with the verifier compiled in (offkern.verifier unset)");
    }

    @Test
    void shouldFeedTheRealIrqlToThePoolsVerifier() {
        kernel = KernelFixture.boot(dumps);
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        BugCheck bc = assertThrows(BugCheck.class, () -> dev.offkern.ddi.Ex.ExAllocatePool2(
                dev.offkern.nt.PoolFlags.POOL_FLAG_PAGED, 64, 0x74736554));
        assertEquals(BugCheckCode.BAD_POOL_CALLER, bc.code());
        assertEquals(0x08, bc.parameter1());
        assertEquals(Irql.DISPATCH_LEVEL, bc.parameter2(), "the pool read this thread's real IRQL");
        KeLowerIrql(Irql.PASSIVE_LEVEL);
    }
}
