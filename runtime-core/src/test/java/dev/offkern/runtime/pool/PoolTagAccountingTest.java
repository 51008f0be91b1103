package dev.offkern.runtime.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The per-thread tag accounting summed on read: exact per tag at quiescence, with thousands of
 * tags (more than the table held before its counters came in blocks), blocks freed by a thread other
 * than the one that allocated them, and the kernel's two-pool free path (Pools.free asking each pool).
 */
class PoolTagAccountingTest {

    private static final int TAGS = 3000;

    /** A tag no real driver uses: 'q' then three base-36-ish characters of {@code i}. */
    private static int tagOf(int i) {
        int a = 'A' + i % 26;
        int b = 'a' + (i / 26) % 26;
        int c = '0' + (i / 676) % 10;
        return 'q' | a << 8 | b << 16 | c << 24;
    }

    @Test
    void shouldCountEveryOneOfThousandsOfTagsExactlyWhenOtherThreadsFree() throws Exception {
        int threads = 2;
        int perTag = 3;
        try (Kernel kernel = Kernel.boot().leakReportSink(s -> { })) {
            Pools pools = kernel.pools();
            ConcurrentLinkedQueue<long[]> handOff = new ConcurrentLinkedQueue<>();
            CyclicBarrier allocated = new CyclicBarrier(threads + 1);
            CyclicBarrier go = new CyclicBarrier(threads + 1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] workers = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                workers[t] = new Thread(() -> {
                    try {
                        // Every thread allocates perTag blocks of every tag (sizes vary with the tag),
                        // paged and non-paged, and hands every block to the shared queue.
                        for (int i = 0; i < TAGS; i++) {
                            long flags = (i % 2 == 0 ? PoolFlags.POOL_FLAG_NON_PAGED : PoolFlags.POOL_FLAG_PAGED)
                                    | PoolFlags.POOL_FLAG_UNINITIALIZED;
                            for (int k = 0; k < perTag; k++) {
                                MemorySegment s = pools.allocatePool2(flags, sizeOf(i), tagOf(i));
                                assertNotEquals(MemorySegment.NULL, s);
                                handOff.add(new long[] {s.address(), tagOf(i)});
                            }
                        }
                        allocated.await(); // quiescent: the test thread reads the counts
                        go.await();
                        // Both threads free from the queue: most blocks are freed by a thread that did not
                        // allocate them, through the kernel's two-pool free (paged blocks miss the first pool).
                        long[] b;
                        while ((b = handOff.poll()) != null) {
                            pools.free(b[0], (int) b[1]);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                        allocated.reset();
                        go.reset();
                    }
                }, "accounting-" + t);
                workers[t].start();
            }
            allocated.await(30, TimeUnit.SECONDS);
            assertEquals((long) threads * TAGS * perTag, handOff.size(), "every block handed off");
            Map<Integer, PoolUsage> mid = byTag(pools);
            for (int i = 0; i < TAGS; i++) {
                PoolUsage u = mid.get(tagOf(i));
                assertTrue(u != null, "tag " + i + " is reported under its own name");
                assertEquals((long) threads * perTag, u.allocs(), "allocations of tag " + i);
                assertEquals(0, u.frees(), "frees of tag " + i);
                long block = SizeClasses.stride(SizeClasses.classFor(sizeOf(i), false));
                assertEquals(threads * perTag * block, u.bytes(), "bytes of tag " + i);
            }
            go.await(30, TimeUnit.SECONDS);
            for (Thread w : workers) {
                w.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            Map<Integer, PoolUsage> end = byTag(pools);
            for (int i = 0; i < TAGS; i++) {
                PoolUsage u = end.get(tagOf(i));
                assertEquals((long) threads * perTag, u.allocs(), "allocations of tag " + i);
                assertEquals(u.allocs(), u.frees(), "frees of tag " + i);
                assertEquals(0, u.bytes(), "bytes of tag " + i);
            }
            // The kernel's own blocks (its threads' objects) may be in use; none of this test's tags is.
            assertTrue(mine(kernel.nonPagedPool().outstanding(), 'q').isEmpty(), "no non-paged block of the test in use");
            assertTrue(mine(kernel.pagedPool().outstanding(), 'q').isEmpty(), "no paged block of the test in use");
        }
    }

    @Test
    void shouldCountTagsBeyondTheTableExactlyUnderTheOverflowTag() {
        int n = TagTable.MAX_TAGS + 50; // the kernel's own tags came first, so at least 50 of these overflow
        try (Kernel kernel = Kernel.boot().leakReportSink(s -> { })) {
            Pool pool = kernel.nonPagedPool();
            long[] blocks = new long[n];
            for (int i = 0; i < n; i++) {
                blocks[i] = pool.allocate(16, 'z' | (i + 1) << 8, PoolFlags.POOL_FLAG_UNINITIALIZED);
                assertNotEquals(0, blocks[i]);
            }
            int overflow = PoolTags.tag("?ovf");
            long named = 0;
            long overflowed = 0;
            for (PoolUsage u : pool.usage()) {
                if ((u.tag() & 0xFF) == 'z') {
                    assertEquals(1, u.allocs(), "tag 0x" + Integer.toHexString(u.tag()));
                    named += u.allocs();
                } else if (u.tag() == overflow) {
                    overflowed = u.allocs();
                }
            }
            assertTrue(overflowed >= 50, "at least 50 tags overflowed, " + overflowed + " did");
            assertEquals(n, named + overflowed, "every allocation counted once, under its tag or ?ovf");
            for (int i = 0; i < n; i++) {
                pool.free(blocks[i], 'z' | (i + 1) << 8);
            }
            PoolUsage ovf = PoolTest.usage(pool, overflow);
            assertEquals(ovf.allocs(), ovf.frees());
            assertEquals(0, ovf.bytes());
            assertTrue(mine(pool.outstanding(), 'z').isEmpty(), "no block of the test in use");
        }
    }

    /** The leaks whose tag starts with {@code first} (this test's tags; the kernel's own blocks have other tags). */
    private static java.util.List<LeakReport.Leak> mine(LeakReport report, char first) {
        return report.leaks().stream().filter(l -> (l.tag() & 0xFF) == first).toList();
    }

    private static int sizeOf(int i) {
        return 16 + (i % 7) * 40;
    }

    private static Map<Integer, PoolUsage> byTag(Pools pools) {
        Map<Integer, PoolUsage> out = new HashMap<>();
        for (Pool pool : new Pool[] {pools.nonPaged(), pools.paged()}) {
            for (PoolUsage u : pool.usage()) {
                out.merge(u.tag(), u, (x, y) -> new PoolUsage(x.tag(), x.poolType(), x.allocs() + y.allocs(),
                        x.frees() + y.frees(), x.bytes() + y.bytes()));
            }
        }
        return out;
    }
}
