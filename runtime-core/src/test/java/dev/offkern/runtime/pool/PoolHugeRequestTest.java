package dev.offkern.runtime.pool;

import static dev.offkern.nt.PoolFlags.POOL_FLAG_RAISE_ON_FAILURE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.offkern.nt.NtStatus;
import dev.offkern.nt.NtStatusException;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Requests no pool can hold (issue 8, item 3): they fail (0, or STATUS_INSUFFICIENT_RESOURCES when
 * asked to raise) without mapping anything, so they cannot use up the pool's limit.
 */
class PoolHugeRequestTest {
    private static final int TAG = PoolTags.tag("Huge");
    private static final long[] HUGE = {Long.MAX_VALUE, Long.MAX_VALUE - 4095, Long.MAX_VALUE - 4096, 1L << 62, 1L << 52,
            (512L << 20) + 1, 1L << 40};

    private final Kernel kernel = Kernel.boot().leakReportSink(r -> { });

    @AfterEach
    void close() {
        kernel.close();
    }

    @Test
    void shouldReturnZeroForRequestsLargerThanThePoolWithoutMappingAChunk() {
        Pool pool = kernel.nonPagedPool();
        pool.free(pool.allocate(64, TAG, 0), TAG); // the caller's first call (its ETHREAD is the kernel's) before the counts
        long chunks = pool.chunkCount();
        long mapped = pool.mappedBytes();
        for (long bytes : HUGE) {
            assertEquals(0, pool.allocate(bytes, TAG, 0), bytes + " bytes");
        }
        assertEquals(chunks, pool.chunkCount(), "no chunk mapped for a request that cannot fit");
        assertEquals(mapped, pool.mappedBytes());
    }

    @Test
    void shouldRaiseInsufficientResourcesForHugeRequestsWhenAsked() {
        Pool pool = kernel.pagedPool();
        pool.free(pool.allocate(64, TAG, 0), TAG); // the caller's first call before the count
        long chunks = pool.chunkCount();
        for (long bytes : HUGE) {
            NtStatusException e = assertThrows(NtStatusException.class, () -> pool.allocate(bytes, TAG, POOL_FLAG_RAISE_ON_FAILURE));
            assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, e.status());
        }
        assertEquals(chunks, pool.chunkCount());
    }

    @Test
    void shouldStillAllocateEightMebibytesAfterManyHugeRequests() {
        Pool pool = kernel.nonPagedPool();
        for (int i = 0; i < 200; i++) { // 128 was enough to fill the 512 MiB limit with unused 4 MiB chunks
            assertEquals(0, pool.allocate(Long.MAX_VALUE, TAG, 0));
        }
        long p = pool.allocate(8L << 20, TAG, 0);
        assertNotEquals(0, p, "an 8 MiB request fits a 512 MiB pool");
        assertEquals(8L << 20, pool.segmentOf(p).byteSize());
        pool.free(p, TAG);
    }

    @Test
    void shouldRefuseHugePageRunsInThePageAllocatorItself() {
        PageAllocator pages = new PageAllocator("test", kernel.addressSpace(), 1L << 20, 1L << 16, address -> dev.offkern.runtime.mm.BlockMap.OUTSIDE);
        try {
            assertEquals(0, pages.allocatePages(Long.MAX_VALUE, Chunk.PAGE_LARGE));
            assertEquals(0, pages.allocatePages(Long.MAX_VALUE >>> 12, Chunk.PAGE_LARGE), "pages << 12 would overflow");
            assertEquals(0, pages.allocatePages(0, Chunk.PAGE_LARGE));
            assertEquals(0, pages.allocatePages(-1, Chunk.PAGE_LARGE));
            assertEquals(0, pages.allocatePages((1L << 20 >>> 12) + 1, Chunk.PAGE_LARGE), "one page more than the limit");
            assertEquals(0, pages.chunkCount());
            assertNotEquals(0, pages.allocatePages(1L << 20 >>> 12, Chunk.PAGE_LARGE), "exactly the limit fits");
        } finally {
            pages.close();
        }
    }
}
