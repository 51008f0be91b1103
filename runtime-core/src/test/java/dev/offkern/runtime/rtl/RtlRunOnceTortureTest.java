package dev.offkern.runtime.rtl;

import static dev.offkern.nt.NtStatus.STATUS_PENDING;
import static dev.offkern.nt.NtStatus.STATUS_SUCCESS;
import static dev.offkern.nt.NtStatus.STATUS_UNSUCCESSFUL;
import static dev.offkern.ddi.Rtl.RtlRunOnceBeginInitialize;
import static dev.offkern.ddi.Rtl.RtlRunOnceComplete;
import static dev.offkern.ddi.Rtl.RtlRunOnceExecuteOnce;
import static dev.offkern.ddi.Rtl.RtlRunOnceInitialize;
import static dev.offkern.nt.RunOnceFlags.RTL_RUN_ONCE_ASYNC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * RTL_RUN_ONCE under contention. Invariants: the initialization succeeds exactly once per round
 * whatever the interleaving; every caller ends with the winner's context; the data the initializer
 * wrote before completing is visible to every caller that got STATUS_SUCCESS; failed attempts are
 * retried, never lost, never doubled.
 */
@Tag("stress")
class RtlRunOnceTortureTest {

    private static final int SCALE = Integer.getInteger("offkern.stress.scale", 1);
    private static final int ROUNDS = 300 * SCALE;
    private static final int THREADS = 4;

    @Test
    void shouldRunTheInitFunctionExactlyOnceAndFailuresAreRetried() throws Exception {
        try (Kernel kernel = Kernel.boot(); Arena arena = Arena.ofShared()) {
            MemorySegment runOnce = arena.allocate(8, 8);
            MemorySegment payload = arena.allocate(64, 64);
            ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
            AtomicInteger roundsWithWaiters = new AtomicInteger();
            for (int round = 0; round < ROUNDS; round++) {
                RtlRunOnceInitialize(runOnce);
                payload.set(ValueLayout.JAVA_LONG, 0, 0);
                int failuresWanted = round % 3; // 0, 1 or 2 failed attempts before the one that succeeds
                AtomicInteger attempts = new AtomicInteger();
                AtomicInteger successes = new AtomicInteger();
                long expectedCtx = payload.address();
                long mark = round + 1;
                CyclicBarrier start = new CyclicBarrier(THREADS);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    threads.add(Thread.ofPlatform().start(() -> {
                        MemorySegment ctx = Arena.ofAuto().allocate(8, 8);
                        await(start);
                        for (;;) {
                            int s = RtlRunOnceExecuteOnce(runOnce, (ro, p, c) -> {
                                int a = attempts.incrementAndGet();
                                for (int spin = ThreadLocalRandom.current().nextInt(2000); spin > 0; spin--) {
                                    Thread.onSpinWait();
                                }
                                if ((RtlRunOnce.word(ro) & ~3L) != 0) {
                                    roundsWithWaiters.incrementAndGet(); // a waiter linked its node meanwhile
                                }
                                if (a <= failuresWanted) {
                                    return false;
                                }
                                payload.set(ValueLayout.JAVA_LONG, 0, mark); // plain write, published by Complete
                                successes.incrementAndGet();
                                c.set(ValueLayout.JAVA_LONG, 0, p.address());
                                return true;
                            }, payload, ctx);
                            if (s == STATUS_UNSUCCESSFUL) {
                                continue; // our attempt failed: retry, as a caller would
                            }
                            if (s != STATUS_SUCCESS) {
                                violations.add("unexpected status 0x" + Integer.toHexString(s));
                            } else if (ctx.get(ValueLayout.JAVA_LONG, 0) != expectedCtx) {
                                violations.add("wrong context 0x" + Long.toHexString(ctx.get(ValueLayout.JAVA_LONG, 0)));
                            } else if (payload.get(ValueLayout.JAVA_LONG, 0) != mark) {
                                violations.add("the initializer's write is not visible after STATUS_SUCCESS");
                            }
                            return;
                        }
                    }));
                }
                for (Thread t : threads) {
                    t.join(30_000);
                    assertFalse(t.isAlive(), "round " + round + ": a caller hung (a waiter was never woken?)");
                }
                assertTrue(violations.isEmpty(), "round " + round + ": " + violations);
                assertEquals(1, successes.get(), "round " + round + ": the init function succeeded more than once");
                assertEquals(failuresWanted + 1, attempts.get(), "round " + round + ": attempts");
                assertEquals(expectedCtx | 2, RtlRunOnce.word(runOnce));
            }
            assertTrue(roundsWithWaiters.get() > 0, "no caller ever blocked: the waiter list was not exercised");
        }
    }

    @Test
    void shouldLetExactlyOneAsyncInitializerWin() throws Exception {
        try (Kernel kernel = Kernel.boot(); Arena arena = Arena.ofShared()) {
            MemorySegment runOnce = arena.allocate(8, 8);
            ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
            for (int round = 0; round < ROUNDS; round++) {
                RtlRunOnceInitialize(runOnce);
                AtomicInteger winners = new AtomicInteger();
                AtomicLong winnerCtx = new AtomicLong();
                CyclicBarrier start = new CyclicBarrier(THREADS);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    long mine = (t + 1L) << 4;
                    threads.add(Thread.ofPlatform().start(() -> {
                        MemorySegment ctx = Arena.ofAuto().allocate(8, 8);
                        await(start);
                        int s = RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_ASYNC, ctx);
                        if (s == STATUS_PENDING) {
                            int c = RtlRunOnceComplete(runOnce, RTL_RUN_ONCE_ASYNC, MemorySegment.ofAddress(mine));
                            if (c == STATUS_SUCCESS) {
                                winners.incrementAndGet();
                                winnerCtx.set(mine);
                            } else if (c != STATUS_UNSUCCESSFUL) {
                                violations.add("Complete returned 0x" + Integer.toHexString(c));
                            }
                        } else if (s != STATUS_SUCCESS) {
                            violations.add("BeginInitialize returned 0x" + Integer.toHexString(s));
                        }
                    }));
                }
                for (Thread t : threads) {
                    t.join(30_000);
                    assertFalse(t.isAlive(), "round " + round + ": a thread hung");
                }
                assertTrue(violations.isEmpty(), "round " + round + ": " + violations);
                assertEquals(1, winners.get(), "round " + round + ": exactly one completer wins");
                assertEquals(winnerCtx.get() | 2, RtlRunOnce.word(runOnce));
                MemorySegment ctx = arena.allocate(8, 8);
                assertEquals(STATUS_SUCCESS, RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_ASYNC, ctx));
                assertEquals(winnerCtx.get(), ctx.get(ValueLayout.JAVA_LONG, 0), "every later caller gets the winner's context");
            }
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
