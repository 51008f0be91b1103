package dev.offkern.runtime.pool;

import dev.offkern.nt.PoolTags;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Several threads allocate, fill with a (thread, sequence) pattern, hand some blocks to other
 * threads through a shared queue, verify and free: no block is handed out twice while live
 * (a pattern would be overwritten), and the tag accounting reconciles at the end.
 */
@Tag("stress")
class PoolTortureTest {

    @Test
    void shouldNeverOverlapLiveBlocksAndReconcileAccountingUnderContention() throws Exception {
        int threads = 3;
        int rounds = 40_000 * Integer.getInteger("offkern.stress.scale", 1);
        try (Kernel kernel = Kernel.boot().leakReportSink(s -> { })) {
            Pool pool = kernel.nonPagedPool();
            int[] tags = {PoolTags.tag("Tor0"), PoolTags.tag("Tor1"), PoolTags.tag("Tor2")};
            ConcurrentLinkedQueue<long[]> exchange = new ConcurrentLinkedQueue<>();
            CyclicBarrier start = new CyclicBarrier(threads);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long[] allocs = new long[threads];
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread w = new Thread(() -> {
                    try {
                        start.await();
                        SplittableRandom rnd = new SplittableRandom(id * 31L + 7);
                        List<long[]> mine = new ArrayList<>();
                        for (int i = 0; i < rounds; i++) {
                            int size = rnd.nextInt(10) == 0 ? 4097 + rnd.nextInt(6000) : 1 + rnd.nextInt(600);
                            boolean aligned = rnd.nextInt(8) == 0;
                            int tag = tags[rnd.nextInt(tags.length)];
                            long p = pool.allocate(size, tag, aligned ? dev.offkern.nt.PoolFlags.POOL_FLAG_CACHE_ALIGNED : 0);
                            assertTrue(p != 0);
                            allocs[id]++;
                            long pattern = ((long) id << 48) | i;
                            fill(pool.segmentOf(p), pattern);
                            long[] block = {p, tag, pattern};
                            if (rnd.nextInt(4) == 0) {
                                exchange.add(block);
                            } else {
                                mine.add(block);
                            }
                            if (mine.size() > 64 || (mine.size() > 0 && rnd.nextBoolean())) {
                                release(pool, mine.remove(rnd.nextInt(mine.size())));
                            }
                            long[] other = exchange.poll();
                            if (other != null) {
                                release(pool, other);
                            }
                        }
                        for (long[] b : mine) {
                            release(pool, b);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                workers.add(w);
                w.start();
            }
            for (Thread w : workers) {
                w.join();
            }
            long[] rest;
            while ((rest = exchange.poll()) != null) {
                release(pool, rest);
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            long total = 0;
            for (long a : allocs) {
                total += a;
            }
            long counted = 0;
            for (int tag : tags) {
                PoolUsage u = PoolTest.usage(pool, tag);
                assertEquals(u.allocs(), u.frees(), PoolTags.toString(tag));
                assertEquals(0, u.bytes(), PoolTags.toString(tag));
                counted += u.allocs();
            }
            assertEquals(total, counted, "every allocation counted once");
            // the kernel's own objects (the System process, the threads' ETHREADs) stay: only the test's tags must be gone
            assertTrue(pool.outstanding().leaks().stream().noneMatch(l -> java.util.Arrays.stream(tags).anyMatch(t -> t == l.tag())),
                    "the header walk finds no block of the test's tags in use: " + pool.outstanding());
        }
    }

    @Test
    void shouldKeepTheSharedFreeListsConsistentUnderBurstsOfOneSizeClass() throws Exception {
        int threads = 2;
        int rounds = 300 * Integer.getInteger("offkern.stress.scale", 1);
        int tag = PoolTags.tag("Brst");
        try (Kernel kernel = Kernel.boot().leakReportSink(s -> { })) {
            Pool pool = kernel.pagedPool();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread w = new Thread(() -> {
                    try {
                        start.await();
                        long[][] held = new long[200][];
                        for (int r = 0; r < rounds; r++) {
                            // Bursts larger than a thread cache: every round spills and refills batches.
                            for (int i = 0; i < held.length; i++) {
                                long p = pool.allocate(48, tag, dev.offkern.nt.PoolFlags.POOL_FLAG_UNINITIALIZED);
                                long pattern = ((long) id << 56) | ((long) r << 16) | i;
                                fill(pool.segmentOf(p), pattern);
                                held[i] = new long[] {p, tag, pattern};
                            }
                            for (long[] b : held) {
                                release(pool, b);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                workers.add(w);
                w.start();
            }
            for (Thread w : workers) {
                w.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            PoolUsage u = PoolTest.usage(pool, tag);
            assertEquals((long) threads * rounds * 200, u.allocs());
            assertEquals(u.allocs(), u.frees());
            assertEquals(0, u.bytes());
            int chunks = pool.chunkCount();
            assertEquals(1, chunks, "400 live blocks of 64 bytes fit one chunk, reused every round");
        }
    }

    private static void fill(MemorySegment s, long pattern) {
        long n = s.byteSize() / 8;
        for (long i = 0; i < n; i++) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, i * 8, pattern);
        }
        for (long i = n * 8; i < s.byteSize(); i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) pattern);
        }
    }

    private static void release(Pool pool, long[] block) {
        MemorySegment s = pool.segmentOf(block[0]);
        long n = s.byteSize() / 8;
        for (long i = 0; i < n; i++) {
            long v = s.get(ValueLayout.JAVA_LONG_UNALIGNED, i * 8);
            if (v != block[2]) {
                throw new AssertionError("block 0x" + Long.toHexString(block[0]) + " overwritten at +" + (i * 8)
                        + ": 0x" + Long.toHexString(v) + " instead of 0x" + Long.toHexString(block[2]));
            }
        }
        for (long i = n * 8; i < s.byteSize(); i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != (byte) block[2]) {
                throw new AssertionError("block 0x" + Long.toHexString(block[0]) + " overwritten at +" + i);
            }
        }
        pool.free(block[0], (int) block[1]);
    }
}
