package dev.offkern.runtime;

import dev.offkern.nt.BugCheckPolicy;
import static dev.offkern.ddi.Ke.KeGetCurrentIrql;
import static dev.offkern.ddi.Ke.KeRaiseIrql;
import static dev.offkern.ddi.Ke.KeLowerIrql;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kernel configuration, run states and per-kernel thread states. */
class KernelConfigTest {
    @TempDir
    Path dumps;

    @Test
    void shouldDefaultToEveryVerifierCheckThrowPolicyAndATempDumpDirectory() {
        KernelConfig c = KernelConfig.defaults();
        assertEquals(EnumSet.allOf(VerifierCheck.class), c.verifierChecks());
        assertEquals(BugCheckPolicy.THROW, c.bugCheckPolicy());
        assertTrue(c.dumpDirectory().endsWith("offkern-dumps"));
        assertEquals(512L << 20, c.nonPagedPoolLimit(), "pool settings untouched");
    }

    @Test
    void shouldReadTheDefaultVerifierFamiliesFromTheSystemProperty() {
        String old = System.getProperty("offkern.verifier.checks");
        try {
            System.setProperty("offkern.verifier.checks", "-SPECIAL_POOL");
            assertEquals(java.util.EnumSet.complementOf(java.util.EnumSet.of(VerifierCheck.SPECIAL_POOL)),
                    KernelConfig.defaults().verifierChecks());
            System.setProperty("offkern.verifier.checks", "IRQL, POOL");
            assertEquals(java.util.EnumSet.of(VerifierCheck.IRQL, VerifierCheck.POOL), KernelConfig.defaults().verifierChecks());
            System.setProperty("offkern.verifier.checks", "none");
            assertEquals(java.util.Set.of(), KernelConfig.defaults().verifierChecks());
            System.setProperty("offkern.verifier.checks", "IRQL,NOPE");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, KernelConfig::defaults);
            assertTrue(e.getMessage().contains("NOPE"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty("offkern.verifier.checks");
            } else {
                System.setProperty("offkern.verifier.checks", old);
            }
        }
        assertEquals(java.util.EnumSet.allOf(VerifierCheck.class), KernelConfig.defaults().verifierChecks());
    }

    @Test
    void shouldChangeOneSettingPerWithMethod() {
        KernelConfig c = KernelConfig.defaults().withProcessorCount(5).withBugCheckPolicy(BugCheckPolicy.HALT)
                .withDumpDirectory(dumps).withVerifierChecks(Set.of(VerifierCheck.IRQL, VerifierCheck.LOCKS));
        assertEquals(5, c.processorCount());
        assertEquals(BugCheckPolicy.HALT, c.bugCheckPolicy());
        assertEquals(dumps, c.dumpDirectory());
        assertTrue(c.verifies(VerifierCheck.IRQL) && c.verifies(VerifierCheck.LOCKS) && !c.verifies(VerifierCheck.POOL));
        assertTrue(c.withVerifier(false).verifierChecks().isEmpty());
        assertEquals(5, c.withPoolChunkSize(8L << 20).processorCount(), "pool withers keep the core settings");
    }

    @Test
    void shouldCopyTheCheckSetSoLaterChangesDoNotLeakIn() {
        EnumSet<VerifierCheck> mine = EnumSet.of(VerifierCheck.IRQL);
        KernelConfig c = KernelConfig.defaults().withVerifierChecks(mine);
        mine.add(VerifierCheck.POOL);
        assertFalse(c.verifies(VerifierCheck.POOL));
        assertThrows(UnsupportedOperationException.class, () -> c.verifierChecks().add(VerifierCheck.POOL));
    }

    @Test
    void shouldRejectNullSettingsAndBadProcessorCounts() {
        KernelConfig d = KernelConfig.defaults();
        assertThrows(IllegalArgumentException.class, () -> d.withBugCheckPolicy(null));
        assertThrows(IllegalArgumentException.class, () -> d.withDumpDirectory(null));
        assertThrows(IllegalArgumentException.class, () -> d.withVerifierChecks(null));
        assertThrows(IllegalArgumentException.class, () -> d.withProcessorCount(-1));
    }

    @Test
    void shouldFailFastAfterCloseWithAClearMessage() {
        Kernel k = Kernel.boot(KernelConfig.defaults().withProcessorCount(1).withDumpDirectory(dumps));
        KeGetCurrentIrql();
        k.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, k::ensureRunning);
        assertTrue(e.getMessage().contains("closed"));
        assertTrue(k.isClosed());
        k.close(); // idempotent
    }

    @Test
    void shouldGiveAThreadOneStatePerAttachedKernel() throws Exception {
        try (Kernel a = Kernel.boot(KernelConfig.defaults().withProcessorCount(1).withDumpDirectory(dumps));
             Kernel b = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps))) {
            assertThrows(IllegalStateException.class, KernelConfigTest::irql, "two kernels: attach first");
            a.attach();
            KeRaiseIrql(Irql.APC_LEVEL);
            ThreadState sa = ThreadState.current();
            assertSame(a.core(), sa.kernel());
            b.attach();
            assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql(), "b knows nothing of a's IRQL");
            assertSame(b.core(), ThreadState.current().kernel());
            assertNotSame(sa, ThreadState.current());
            CompletableFuture<Integer> other = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                a.attach();
                other.complete(KeGetCurrentIrql());
                Kernel.detach();
            });
            t.start();
            assertEquals(Irql.PASSIVE_LEVEL, other.get(5, TimeUnit.SECONDS));
            a.attach();
            KeLowerIrql(Irql.PASSIVE_LEVEL);
            Kernel.detach();
        }
    }

    private static void irql() {
        KeGetCurrentIrql();
    }

    @Test
    void shouldFreeTheThreadObjectsOfDeadThreadsOnTheirDeletePath() throws Exception {
        try (Kernel k = Kernel.boot(KernelConfig.defaults().withProcessorCount(1).withDumpDirectory(dumps))) {
            KeGetCurrentIrql();
            dev.offkern.runtime.ob.ObjectType threads = k.objects().threadType();
            int before = threads.totalNumberOfObjects();
            java.util.List<ThreadState> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int i = 0; i < 8; i++) {
                Thread t = new Thread(() -> held.add(ThreadState.current()));
                t.start();
                t.join();
            }
            assertTrue(threads.totalNumberOfObjects() >= before + 8, "eight threads made eight Thread objects");
            assertEquals(8, held.stream().mapToLong(ThreadState::address).distinct().count());
            held.clear();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (threads.totalNumberOfObjects() > before + 2 && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(20);
                Thread reaper = new Thread(() -> KeGetCurrentIrql()); // a new thread's first call reaps the collected states
                reaper.start();
                reaper.join();
            }
            assertTrue(threads.totalNumberOfObjects() <= before + 2, "the dead threads' ETHREADs were deleted (the last reaper's and a runtime thread's may remain)");
        }
    }
}
