package dev.offkern.runtime.ex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.pool.Pool;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * SLIST operations racing {@code Kernel.close()}, which unmaps the pools the header and entries live
 * in: two threads push and pop as fast as they can while a third closes the kernel, round after round.
 * A call either works or fails with the "kernel closed" IllegalStateException; anything else fails the
 * test, and a dereference of unmapped memory would kill this JVM (and with it the test fork, failing
 * the build).
 */
class ExSListCloseRaceTest {
    private static final int TAG = 'R' | 'a' << 8 | 'c' << 16 | 'e' << 24;

    @Test
    void shouldNeverTouchUnmappedMemoryWhenCloseRacesPushAndPop() throws Exception {
        int rounds = 100 * Integer.getInteger("offkern.stress.scale", 1);
        AtomicLong completed = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        for (int round = 0; round < rounds; round++) {
            Kernel kernel = Kernel.boot();
            kernel.leakReportSink(s -> { }); // the blocks are still allocated when the kernel closes
            AddressSpace space = kernel.addressSpace();
            Pool pool = kernel.nonPagedPool();
            long header = pool.allocate(16, TAG, PoolFlags.POOL_FLAG_NON_PAGED);
            long[] entries = {pool.allocate(16, TAG, PoolFlags.POOL_FLAG_NON_PAGED),
                    pool.allocate(16, TAG, PoolFlags.POOL_FLAG_NON_PAGED)};
            ExSList.initialize(pool.segmentOf(header));
            CountDownLatch running = new CountDownLatch(entries.length);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] workers = new Thread[entries.length];
            for (int w = 0; w < workers.length; w++) {
                long entry = entries[w];
                workers[w] = Thread.ofPlatform().start(() -> {
                    running.countDown();
                    try {
                        long mine = entry; // each entry is on the list or held by exactly one worker
                        for (;;) {
                            ExSList.push(space, header, mine);
                            do {
                                mine = ExSList.pop(space, header);
                            } while (mine == 0);
                            completed.incrementAndGet();
                        }
                    } catch (IllegalStateException closed) {
                        if (!closed.getMessage().contains("closed")) {
                            failure.compareAndSet(null, closed);
                        }
                        refused.incrementAndGet();
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                });
            }
            running.await();
            Thread.onSpinWait();
            kernel.close(); // unmaps the pool while the workers are inside push/pop
            for (Thread t : workers) {
                t.join();
            }
            if (failure.get() != null) {
                fail("round " + round + ": a call racing close() failed with something other than 'closed'",
                        failure.get());
            }
        }
        assertEquals(rounds * 2L, refused.get(), "every worker ended with the closed kernel's exception");
        assertTrue(completed.get() > 0, "the workers ran before the close");
    }
}
