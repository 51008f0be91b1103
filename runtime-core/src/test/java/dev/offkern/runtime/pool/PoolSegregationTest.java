package dev.offkern.runtime.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.mm.POOL_HEADER;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Segregated pool memory ({@link Pool#allocateSegregated}: the Thread objects' type-stable memory)
 * and the check of a free batch's links before a refill hands any of it out.
 */
class PoolSegregationTest {
    private static final int TAG = PoolTags.tag("Segr");
    /** A size in the class of a Thread object's block (any small size would do). */
    private static final long SIZE = 2300;

    @TempDir
    Path dumps;

    private Kernel kernel;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withDumpDirectory(dumps)).leakReportSink(s -> { });
    }

    @AfterEach
    void close() {
        kernel.close();
    }

    /** Runs {@code body} on a new thread (its own thread cache) and returns its result. */
    private static <T> T onAnotherThread(java.util.concurrent.Callable<T> body) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(body.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(30));
        return f.get(1, TimeUnit.SECONDS);
    }

    @Test
    void shouldNeverHandAnOrdinaryAllocationABlockOfSegregatedMemory() throws Exception {
        Pool pool = kernel.nonPagedPool();
        Set<Long> segregated = new HashSet<>();
        for (int i = 0; i < 96; i++) {
            long p = pool.allocateSegregated(SIZE, TAG);
            assertNotEquals(0, p);
            segregated.add(p);
        }
        Set<Long> ordinary = new HashSet<>();
        for (int i = 0; i < 96; i++) {
            long p = pool.allocate(SIZE, TAG, 0);
            assertFalse(segregated.contains(p), "a live segregated block handed out again");
            ordinary.add(p);
        }
        for (long p : segregated) {
            pool.free(p, TAG); // whole batches reach the shared free lists
        }
        for (long p : ordinary) {
            pool.free(p, TAG);
        }
        // Another thread (an empty thread cache: it refills from the shared lists) allocates both kinds.
        List<long[]> got = onAnotherThread(() -> {
            List<long[]> l = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                l.add(new long[] {pool.allocate(SIZE, TAG, 0), pool.allocateSegregated(SIZE, TAG)});
            }
            return l;
        });
        for (long[] pair : got) {
            assertFalse(segregated.contains(pair[0]), "an ordinary allocation got a block of segregated memory");
            assertFalse(ordinary.contains(pair[1]), "a segregated allocation got a block an ordinary caller freed");
            for (long p : pair) {
                int ulong1 = kernel.addressSpace().resolve(p - POOL_HEADER.X64.size(), 4).get(ValueLayout.JAVA_INT, 0);
                assertEquals((SIZE + 16 + 15) / 16, (ulong1 >>> POOL_HEADER.BLOCK_SIZE_SHIFT) & 0xFF,
                        "BlockSize is what Windows would write, segregated or not");
                assertEquals(SIZE, pool.segmentOf(p).byteSize());
                pool.free(p, TAG);
            }
        }
    }

    @Test
    void shouldBugCheckACorruptFreeBatchInsteadOfHandingItOut() throws Exception {
        Pool pool = kernel.nonPagedPool();
        List<Long> blocks = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            blocks.add(pool.allocate(100, TAG, 0));
        }
        long live = pool.allocate(100, TAG, 0);
        for (long p : blocks) {
            pool.free(p, TAG); // batches of 16 spill to the shared free list
        }
        // A write through a stale pointer: every freed block's NextInBatch link (offkern's free-list format,
        // the payload's second word) now names the live block.
        for (long p : blocks) {
            kernel.addressSpace().resolve(p, 16).set(ValueLayout.JAVA_LONG, 8, live);
        }
        Throwable thrown = onAnotherThread(() -> {
            try {
                pool.allocate(100, TAG, 0); // an empty thread cache: refills from a corrupt batch
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        assertTrue(thrown instanceof BugCheck, () -> "not a bug check: " + thrown);
        BugCheck bc = (BugCheck) thrown;
        assertEquals(BugCheckCode.BAD_POOL_HEADER, bc.code());
        assertEquals(0x03, bc.parameter1(), "the free list is corrupt");
        assertEquals(live, bc.parameter3(), "the link read");
        pool.free(live, TAG);
    }

    private PageAllocator pageAllocator(long limit) {
        return new PageAllocator("test", kernel.addressSpace(), limit, limit, address -> dev.offkern.runtime.mm.BlockMap.OUTSIDE);
    }

    @Test
    void shouldMapSegregatedChunksBesideThePoolsChunksOutsideItsLimit() {
        PageAllocator pages = pageAllocator(PageAllocator.CHUNK_GRANULARITY);
        try {
            long run = pages.allocatePages(PageAllocator.CHUNK_GRANULARITY >>> SizeClasses.PAGE_SHIFT, Chunk.PAGE_LARGE);
            assertNotEquals(0, run, "the whole limit as one run");
            Set<Long> seen = new HashSet<>();
            int perChunk = (int) (PageAllocator.SEGREGATED_CHUNK_BYTES >>> SizeClasses.PAGE_SHIFT);
            for (int i = 0; i < perChunk + 1; i++) { // one more than a segregated chunk holds: a second is mapped
                long page = pages.allocateSegregatedPage((short) SizeClasses.segregatedClassFor(SIZE));
                assertNotEquals(0, page, "segregated memory is not bounded by the pool's limit");
                assertTrue(page - run < 0 || page - run >= PageAllocator.CHUNK_GRANULARITY, "a segregated page inside the pool's chunk");
                assertTrue(seen.add(page), "a segregated page handed out twice");
                assertTrue(kernel.addressSpace().isValid(page, SizeClasses.PAGE_SIZE), "registered in the address space");
            }
            assertEquals(1, pages.chunkCount(), "only the pool's own chunk counts");
            assertEquals(PageAllocator.CHUNK_GRANULARITY, pages.mappedBytes());
            assertEquals(3, pages.chunks().size(), "the pool's chunk and two segregated ones");
        } finally {
            pages.close();
        }
    }

    @Test
    void shouldUnmapSegregatedMemoryOnlyOnceThePoolHasClosedAndEveryPinIsReleased() {
        PageAllocator pages = pageAllocator(PageAllocator.CHUNK_GRANULARITY);
        long page = pages.allocateSegregatedPage((short) SizeClasses.segregatedClassFor(SIZE));
        long ordinary = pages.allocatePages(1, Chunk.PAGE_LARGE);
        MemorySegment memory = pages.chunkOf(page).segment;
        MemorySegment poolChunk = pages.chunkOf(ordinary).segment;
        Runnable first = pages.pinSegregated();
        Runnable second = pages.pinSegregated();
        first.run();
        first.run(); // a release runs once: this second run must not release the other pin
        assertTrue(pages.segregatedMapped());
        pages.close();
        assertFalse(poolChunk.scope().isAlive(), "the pool's chunks are unmapped at close, pinned or not");
        assertNull(pages.chunkOf(page), "the segregated chunk is unpublished at close");
        assertFalse(kernel.addressSpace().isValid(page, 1), "and unregistered from the address space");
        assertTrue(memory.scope().isAlive(), "but mapped while a pin is held");
        assertTrue(pages.segregatedMapped());
        assertThrows(IllegalStateException.class, pages::pinSegregated, "a closed pool takes no new pin");
        assertEquals(0, pages.allocateSegregatedPage((short) SizeClasses.segregatedClassFor(SIZE)), "nor hands out pages");
        second.run();
        assertFalse(memory.scope().isAlive(), "the last release unmaps it");
        assertFalse(pages.segregatedMapped());
        second.run(); // released already: nothing happens
    }

    @Test
    void shouldUnmapSegregatedMemoryAtCloseWhenNothingPinsIt() {
        PageAllocator pages = pageAllocator(PageAllocator.CHUNK_GRANULARITY);
        MemorySegment memory = pages.chunkOf(pages.allocateSegregatedPage((short) SizeClasses.segregatedClassFor(SIZE))).segment;
        pages.pinSegregated().run();
        pages.close();
        assertFalse(memory.scope().isAlive());
        assertFalse(pages.segregatedMapped());
    }
}
