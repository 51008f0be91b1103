package dev.offkern.runtime.pool;

import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolLifecycleTest {
    private static final int TAG = PoolTags.tag("Life");

    private static Kernel tiny() {
        return Kernel.boot(KernelConfig.defaults().withPoolChunkSize(64 * 1024)
                .withNonPagedPoolLimit(64 * 1024).withPagedPoolLimit(64 * 1024)).leakReportSink(s -> { });
    }

    private static List<String> poolRegions(Kernel kernel) {
        return kernel.addressSpace().regions().stream().map(r -> r.name()).filter(n -> n.contains("Pool chunk")).toList();
    }

    @Test
    void shouldRegisterChunksInTheAddressSpaceAndUnmapThemAtClose() {
        Kernel kernel = Kernel.boot().leakReportSink(s -> { });
        long p;
        long q;
        try {
            int before = poolRegions(kernel).size(); // the kernel's own boot-time allocations may have mapped chunks
            p = kernel.nonPagedPool().allocate(64, TAG, 0);
            q = kernel.pagedPool().allocate(64, TAG, 0);
            assertTrue(poolRegions(kernel).size() <= 2 && poolRegions(kernel).size() >= before, poolRegions(kernel).toString());
            assertTrue(poolRegions(kernel).contains("NonPagedPool chunk 0"), poolRegions(kernel).toString());
            assertTrue(poolRegions(kernel).contains("PagedPool chunk 0"), poolRegions(kernel).toString());
            assertSame(kernel.nonPagedPool(), kernel.poolOf(p));
            assertSame(kernel.pagedPool(), kernel.poolOf(q));
            assertNull(kernel.poolOf(12345));
        } finally {
            kernel.close();
        }
        assertTrue(poolRegions(kernel).isEmpty(), "every chunk unregistered");
        assertFalse(kernel.addressSpace().isValid(p, 64));
        assertTrue(kernel.leakReport().leaks().contains(new LeakReport.Leak(TAG, PoolType.NonPagedPool, 64, 1)));
        assertTrue(kernel.leakReport().leaks().contains(new LeakReport.Leak(TAG, PoolType.PagedPool, 64, 1)));
    }

    @Test
    void shouldCoalesceFreedLargeBlocksIntoOneRun() {
        try (Kernel kernel = tiny()) {
            Pool pool = kernel.pagedPool();
            long a = pool.allocate(5 * 4096, TAG, 0);
            long b = pool.allocate(5 * 4096, TAG, 0);
            long c = pool.allocate(5 * 4096, TAG, 0);
            assertNotEquals(0, c);
            assertEquals(0, pool.allocate(5 * 4096, TAG, 0), "16 pages: a fourth run of 5 does not fit");
            pool.free(a, TAG);
            pool.free(c, TAG);
            pool.free(b, TAG);
            long whole = pool.allocate(16 * 4096, TAG, 0);
            assertEquals(a, whole, "the three runs and the free tail merged back into the whole chunk");
            pool.free(whole, TAG);
            assertEquals(1, pool.chunkCount());
        }
    }

    @Test
    void shouldReclaimBlocksCachedByAThreadThatEnded() throws Exception {
        try (Kernel kernel = tiny()) {
            Pool pool = kernel.nonPagedPool();
            pool.free(pool.allocate(64, TAG, 0), TAG); // this thread's first call: its ETHREAD exists before the worker fills the pool
            List<Long> fromWorker = new ArrayList<>();
            Thread worker = new Thread(() -> {
                List<Long> mine = new ArrayList<>();
                long p;
                while ((p = pool.allocate(2000, TAG, 0)) != 0) {
                    mine.add(p);
                }
                fromWorker.addAll(mine);
                for (long m : mine) {
                    pool.free(m, TAG); // parked in the worker's cache and the pool's free lists
                }
            });
            worker.start();
            worker.join();
            // the kernel's own objects (service threads' ETHREADs and, since processes and threads are securable, a
            // small-block page of their security descriptors) hold part of the 16 pages
            assertTrue(fromWorker.size() >= 3, "the worker filled the pool (less the kernel's own objects): " + fromWorker.size());
            List<Long> mine = new ArrayList<>();
            long p;
            while ((p = pool.allocate(2000, TAG, 0)) != 0) {
                mine.add(p);
            }
            assertEquals(fromWorker.size(), mine.size(), "every block the dead thread cached is usable again");
            for (long m : mine) {
                pool.free(m, TAG);
            }
        }
    }

    @Test
    void shouldServeAsSegmentAllocator() {
        try (Kernel kernel = Kernel.boot().leakReportSink(s -> { })) {
            Pool pool = kernel.pagedPool();
            MemorySegment ints = pool.allocateFrom(ValueLayout.JAVA_INT, 1, 2, 3);
            assertEquals(12, ints.byteSize());
            assertEquals(3, ints.getAtIndex(ValueLayout.JAVA_INT, 2));
            MemorySegment tagged = pool.allocator(PoolTags.tag("Segs")).allocate(40);
            PoolUsage u = PoolTest.usage(pool, PoolTags.tag("Segs"));
            assertEquals(1, u.allocs());
            pool.free(ints.address(), Pool.SEGMENT_ALLOCATOR_TAG);
            pool.free(tagged.address(), PoolTags.tag("Segs"));
            assertTrue(pool.outstanding().isEmpty());
        }
    }

    @Test
    void shouldRenderAPoolmonTable() {
        try (Kernel kernel = Kernel.boot().leakReportSink(s -> { })) {
            int a = PoolTags.tag("AaAa");
            int b = PoolTags.tag("BbBb");
            long p = kernel.nonPagedPool().allocate(100, a, 0);
            kernel.pagedPool().free(kernel.pagedPool().allocate(100, b, 0), b);
            long q = kernel.pagedPool().allocate(5000, b, 0);
            PoolMonitor byBytes = PoolMonitor.snapshot(kernel.nonPagedPool(), kernel.pagedPool());
            // the kernel's own objects (System process, token, ETHREADs: Proc, Toke, Thre, ...) have rows too
            assertEquals(List.of(b, a), byBytes.rows().stream().map(PoolUsage::tag).filter(t -> t == a || t == b).toList());
            assertEquals(new PoolUsage(b, PoolType.PagedPool, 2, 1, 8192), byBytes.row(b, PoolType.PagedPool));
            String table = byBytes.format();
            assertTrue(table.contains(" BbBb  Paged           2           1           1          8192"), table);
            assertTrue(table.contains(" AaAa  Nonp            1           0           1           128"), table);
            assertEquals(List.of(a, b), PoolMonitor.snapshot(kernel.nonPagedPool(), kernel.pagedPool(), PoolMonitor.Sort.TAG).rows().stream()
                    .map(PoolUsage::tag).filter(t -> t == a || t == b).toList());
            kernel.nonPagedPool().free(p, a);
            kernel.pagedPool().free(q, b);
        }
    }
}
