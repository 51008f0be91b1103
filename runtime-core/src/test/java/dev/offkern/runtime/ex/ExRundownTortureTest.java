package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.ExAcquireRundownProtection;
import static dev.offkern.ddi.Ex.ExAcquireRundownProtectionEx;
import static dev.offkern.ddi.Ex.ExInitializeRundownProtection;
import static dev.offkern.ddi.Ex.ExReInitializeRundownProtection;
import static dev.offkern.ddi.Ex.ExReleaseRundownProtection;
import static dev.offkern.ddi.Ex.ExReleaseRundownProtectionEx;
import static dev.offkern.ddi.Ex.ExWaitForRundownProtectionRelease;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Rundown under real contention: acquirers hammer the word while a waiter runs it down, over many
 * rounds. Invariants: no acquire that starts after some acquire failed succeeds (the run-down has
 * begun, bit 0 never clears); the wait returns only when no protection is held (an in-flight counter
 * maintained inside the protected region is zero) and never while a holder is inside; nothing is lost
 * (a lost release would hang the wait: every round must finish in time).
 */
@Tag("stress")
class ExRundownTortureTest {

    private static final int SCALE = Integer.getInteger("offkern.stress.scale", 1);
    private static final int ROUNDS = 300 * SCALE;
    private static final int ACQUIRERS = 3;

    @Test
    void shouldRefuseEveryAcquireOnceTheWaitHasBegunAndReturnOnlyAfterTheLastRelease() throws Exception {
        try (Kernel kernel = Kernel.boot(); Arena arena = Arena.ofShared()) {
            MemorySegment runRef = arena.allocate(8, 8);
            ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
            long totalGranted = 0;
            long blockedWaits = 0;
            for (int round = 0; round < ROUNDS; round++) {
                if (round == 0) {
                    ExInitializeRundownProtection(runRef);
                } else {
                    ExReInitializeRundownProtection(runRef);
                }
                AtomicLong inFlight = new AtomicLong();
                AtomicLong granted = new AtomicLong();
                AtomicBoolean failureSeen = new AtomicBoolean();
                AtomicBoolean waitReturned = new AtomicBoolean();
                AtomicBoolean waiterBlocked = new AtomicBoolean();
                CyclicBarrier start = new CyclicBarrier(ACQUIRERS + 1);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < ACQUIRERS; t++) {
                    threads.add(Thread.ofPlatform().start(() -> {
                        ThreadLocalRandom rnd = ThreadLocalRandom.current();
                        await(start);
                        for (;;) {
                            boolean failedBefore = failureSeen.get();
                            int n = rnd.nextInt(1, 4);
                            boolean ok = n == 1 ? ExAcquireRundownProtection(runRef) : ExAcquireRundownProtectionEx(runRef, n);
                            if (!ok) {
                                failureSeen.set(true);
                                return;
                            }
                            if (failedBefore) {
                                violations.add("an acquire succeeded after another acquire had failed");
                            }
                            inFlight.addAndGet(n);
                            granted.addAndGet(n);
                            for (int spin = rnd.nextInt(50); spin > 0; spin--) {
                                Thread.onSpinWait();
                            }
                            if (waitReturned.get()) {
                                violations.add("the wait returned while a protection was held");
                            }
                            inFlight.addAndGet(-n);
                            if (n == 1) {
                                ExReleaseRundownProtection(runRef);
                            } else if (rnd.nextBoolean()) {
                                ExReleaseRundownProtectionEx(runRef, n);
                            } else {
                                for (int i = 0; i < n; i++) {
                                    ExReleaseRundownProtection(runRef);
                                }
                            }
                        }
                    }));
                }
                Thread waiter = Thread.ofPlatform().start(() -> {
                    await(start);
                    for (int spin = ThreadLocalRandom.current().nextInt(2000); spin > 0; spin--) {
                        Thread.onSpinWait();
                    }
                    waiterBlocked.set(ExRundown.word(runRef) != 0);
                    ExWaitForRundownProtectionRelease(runRef);
                    if (inFlight.get() != 0) {
                        violations.add("the wait returned with " + inFlight.get() + " protection(s) in flight");
                    }
                    waitReturned.set(true);
                });
                threads.add(waiter);
                for (Thread t : threads) {
                    t.join(30_000);
                    assertFalse(t.isAlive(), "round " + round + ": a thread hung (a release was lost?)");
                }
                assertTrue(violations.isEmpty(), "round " + round + ": " + violations);
                assertEquals(ExRundown.EX_RUNDOWN_ACTIVE, ExRundown.word(runRef));
                assertFalse(ExAcquireRundownProtection(runRef));
                totalGranted += granted.get();
                blockedWaits += waiterBlocked.get() ? 1 : 0;
            }
            assertTrue(totalGranted > 0, "no acquire ever succeeded: the test did not exercise anything");
            assertTrue(blockedWaits > 0, "the waiter never met a holder: the test did not exercise the blocking path");
            assertTrue(kernel.addressSpace().regions().size() > 0);
        }
    }

    static void await(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
