package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.ExAcquireRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExInitializeRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExReInitializeRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExReleaseRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExSizeOfRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExWaitForRundownProtectionReleaseCacheAware;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ke.ThreadState;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cache-aware rundown under contention, with releases landing on other stripes than their acquires.
 * Invariants: once an acquire failed on a stripe, no later acquire on that stripe succeeds; the wait
 * returns only when no protection is held; after it returned no acquire on any stripe succeeds; the
 * stripes' sum balances (a lost or doubled release would hang the wait or end it early).
 */
@Tag("stress")
class ExRundownCacheAwareTortureTest {

    private static final int SCALE = Integer.getInteger("offkern.stress.scale", 1);
    private static final int ROUNDS = 200 * SCALE;
    private static final int ACQUIRERS = 3;

    @Test
    void shouldNeverEndTheWaitWhileAProtectionIsHeldAcrossStripes() throws Exception {
        try (Kernel kernel = Kernel.boot(); Arena arena = Arena.ofShared()) {
            long size = ExSizeOfRundownProtectionCacheAware();
            MemorySegment rr = arena.allocate(size, 16);
            ExInitializeRundownProtectionCacheAware(rr, size);
            int number = ExRundownCacheAware.number(rr);
            ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
            long totalGranted = 0;
            for (int round = 0; round < ROUNDS; round++) {
                if (round > 0) {
                    ExReInitializeRundownProtectionCacheAware(rr);
                }
                AtomicLong inFlight = new AtomicLong();
                AtomicLong granted = new AtomicLong();
                AtomicIntegerArray stripeFailed = new AtomicIntegerArray(number);
                AtomicBoolean waitReturned = new AtomicBoolean();
                CyclicBarrier start = new CyclicBarrier(ACQUIRERS + 1);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < ACQUIRERS; t++) {
                    threads.add(Thread.ofPlatform().start(() -> {
                        ThreadLocalRandom rnd = ThreadLocalRandom.current();
                        ExRundownTortureTest.await(start);
                        int afterReturn = 0;
                        while (afterReturn < 20) {
                            boolean returnedBefore = waitReturned.get();
                            int n = rnd.nextInt(1, 3);
                            boolean onCurrent = n == 1 && rnd.nextInt(4) == 0;
                            int s = onCurrent ? ThreadState.current().processorNumber() % number : rnd.nextInt(number);
                            boolean failedBefore = stripeFailed.get(s) != 0;
                            boolean ok = onCurrent
                                    ? ExAcquireRundownProtectionCacheAware(rr)
                                    : ExRundownCacheAware.acquireOnStripe(rr, s, n);
                            if (returnedBefore) {
                                afterReturn++;
                            }
                            if (!ok) {
                                stripeFailed.set(s, 1);
                                continue;
                            }
                            if (returnedBefore) {
                                violations.add("an acquire succeeded after the wait returned");
                            }
                            if (failedBefore) {
                                violations.add("stripe " + s + " granted an acquire after refusing one");
                            }
                            inFlight.addAndGet(n);
                            granted.addAndGet(n);
                            for (int spin = rnd.nextInt(40); spin > 0; spin--) {
                                Thread.onSpinWait();
                            }
                            if (waitReturned.get()) {
                                violations.add("the wait returned while a protection was held");
                            }
                            inFlight.addAndGet(-n);
                            if (n == 1 && rnd.nextBoolean()) {
                                ExReleaseRundownProtectionCacheAware(rr);
                            } else {
                                ExRundownCacheAware.releaseOnStripe(rr, rnd.nextInt(number), n); // anywhere
                            }
                        }
                    }));
                }
                Thread waiter = Thread.ofPlatform().start(() -> {
                    ExRundownTortureTest.await(start);
                    for (int spin = ThreadLocalRandom.current().nextInt(2000); spin > 0; spin--) {
                        Thread.onSpinWait();
                    }
                    ExWaitForRundownProtectionReleaseCacheAware(rr);
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
                for (int i = 0; i < number; i++) {
                    assertEquals(ExRundown.EX_RUNDOWN_ACTIVE, ExRundownCacheAware.stripeWord(rr, i));
                }
                totalGranted += granted.get();
            }
            assertTrue(totalGranted > 0, "no acquire ever succeeded");
        }
    }
}
