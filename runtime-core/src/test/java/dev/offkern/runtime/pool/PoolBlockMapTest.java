package dev.offkern.runtime.pool;

import static dev.offkern.nt.PoolFlags.POOL_FLAG_CACHE_ALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.mm.BlockMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pool's answers to the verifier's block-exact questions (BlockMap) and its lookaside parking marks. */
class PoolBlockMapTest {
    private static final int TAG = PoolTags.tag("BlkM");
    private final Kernel kernel = Kernel.boot().leakReportSink(r -> { });
    private final Pool pool = kernel.nonPagedPool();

    @AfterEach
    void close() {
        kernel.close();
    }

    @Test
    void shouldMeasureLiveBytesToTheEndOfTheRequestedSizeOfASmallBlock() {
        long a = pool.allocate(40, TAG, 0); // a 64-byte block: 16 header + 40 requested + 8 slack
        long b = pool.allocate(40, TAG, 0);
        assertEquals(40, pool.liveBytesAt(a));
        assertEquals(1, pool.liveBytesAt(a + 39));
        assertEquals(BlockMap.OUTSIDE, pool.liveBytesAt(a + 40), "the slack past the requested size");
        assertEquals(BlockMap.OUTSIDE, pool.liveBytesAt(b - 16), "b's POOL_HEADER");
        assertEquals(BlockMap.OUTSIDE, pool.liveBytesAt(b - 1));
        assertEquals(40, pool.liveBytesAt(b));
        pool.free(a, TAG);
        assertEquals(BlockMap.FREED, pool.liveBytesAt(a));
        assertEquals(BlockMap.FREED, pool.liveBytesAt(a + 20));
        assertEquals(40, pool.liveBytesAt(b), "the neighbour is still live");
        pool.free(b, TAG);
    }

    @Test
    void shouldMeasureCacheAlignedAndLargeBlocks() {
        long c = pool.allocate(100, TAG, POOL_FLAG_CACHE_ALIGNED);
        assertEquals(100, pool.liveBytesAt(c));
        assertEquals(BlockMap.OUTSIDE, pool.liveBytesAt(c & -4096L), "the fragment before the first cache-aligned header");
        long big = pool.allocate(3 * 4096 + 100, TAG, 0);
        assertEquals(3 * 4096 + 100, pool.liveBytesAt(big));
        assertEquals(100, pool.liveBytesAt(big + 3 * 4096), "a tail page of the large block");
        assertEquals(BlockMap.OUTSIDE, pool.liveBytesAt(big + 3 * 4096 + 100), "past the requested size, inside the last page");
        pool.free(big, TAG);
        assertEquals(BlockMap.FREED, pool.liveBytesAt(big));
        assertEquals(BlockMap.FREED, pool.liveBytesAt(big + 2 * 4096));
        pool.free(c, TAG);
    }

    @Test
    void shouldParkABlockOnceUntilUnparkedOrReallocated() {
        long a = pool.allocate(64, TAG, 0);
        assertFalse(pool.isParked(a));
        assertTrue(pool.park(a));
        assertFalse(pool.park(a), "already parked: a second free to the list");
        assertEquals(64, pool.segmentOf(a).byteSize(), "the mark does not change the block's size");
        pool.unpark(a);
        assertFalse(pool.isParked(a));
        assertTrue(pool.park(a));
        pool.unpark(a);
        pool.free(a, TAG);
        long big = pool.allocate(10_000, TAG, 0);
        assertTrue(pool.park(big));
        pool.unpark(big);
        pool.free(big, TAG);
    }

    @Test
    void shouldKeepTheRequestedSizeAndTheDriverOwnerOfAParkedBlock() {
        // The size, the parked mark and the owner share one int per granule (Chunk.info): parking and unparking
        // change the mark only, and the next allocation of the block replaces all three.
        pool.setThreadOwner(0xBEEF);
        long a = pool.allocateForDriver(4000, TAG, 0);
        pool.setThreadOwner(0);
        assertEquals(0xBEEF, pool.ownerOf(a));
        assertTrue(pool.park(a));
        assertEquals(0xBEEF, pool.ownerOf(a + 3999), "the owner survives the mark");
        assertEquals(4000, pool.liveBytesAt(a), "the size survives the mark");
        assertEquals(4000, pool.segmentOf(a).byteSize());
        assertTrue(pool.unpark(a));
        assertFalse(pool.unpark(a), "the mark was cleared once");
        assertEquals(0xBEEF, pool.ownerOf(a));
        assertEquals(4000, pool.liveBytesAt(a));
        assertTrue(pool.park(a));
        pool.unpark(a);
        pool.free(a, TAG);
        long b = pool.allocate(4000, TAG, 0); // the thread's cache hands the same block back, no owner now
        assertEquals(a, b);
        assertEquals(0, pool.ownerOf(b));
        assertFalse(pool.isParked(b));
        assertEquals(4000, pool.liveBytesAt(b));
        pool.free(b, TAG);
    }

    @Test
    void shouldLetExactlyOneOfManyRacingThreadsParkABlock() throws InterruptedException {
        for (int round = 0; round < 200; round++) {
            long a = pool.allocate(64, TAG, 0);
            AtomicInteger winners = new AtomicInteger();
            CountDownLatch start = new CountDownLatch(1);
            Thread[] threads = new Thread[4];
            for (int i = 0; i < threads.length; i++) {
                threads[i] = Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                    if (pool.park(a)) {
                        winners.incrementAndGet();
                    }
                });
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(1, winners.get(), "round " + round);
            pool.unpark(a);
            pool.free(a, TAG);
        }
    }
}
