package dev.offkern.runtime.pool;

import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import static dev.offkern.nt.PoolFlags.POOL_FLAG_CACHE_ALIGNED;
import static dev.offkern.nt.PoolFlags.POOL_FLAG_RAISE_ON_FAILURE;
import static dev.offkern.nt.PoolFlags.POOL_FLAG_UNINITIALIZED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.NtStatus;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.layout.mm.POOL_HEADER;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.nt.NtStatusException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PoolTest {
    private static final int TAG = PoolTags.tag("Test");

    private final List<String> leakSink = new ArrayList<>();
    private Kernel kernel = Kernel.boot().leakReportSink(leakSink::add);

    @AfterEach
    void close() {
        kernel.close();
    }

    private Kernel small() {
        kernel.close();
        kernel = Kernel.boot(KernelConfig.defaults().withPoolChunkSize(64 * 1024)
                .withNonPagedPoolLimit(128 * 1024).withPagedPoolLimit(64 * 1024)).leakReportSink(leakSink::add);
        return kernel;
    }

    @Test
    void shouldAllocateWritableBlockAndFreeIt() {
        Pool pool = kernel.nonPagedPool();
        long p = pool.allocate(100, TAG, 0);
        assertNotEquals(0, p);
        MemorySegment s = pool.segmentOf(p);
        assertEquals(100, s.byteSize());
        s.fill((byte) 0x5A);
        assertEquals((byte) 0x5A, s.get(ValueLayout.JAVA_BYTE, 99));
        pool.free(p, TAG);
        assertTrue(kernel.addressSpace().isValid(p, 100), "the chunk stays mapped after a free");
    }

    @Test
    void shouldWriteByteExactPoolHeaderInFrontOfSmallBlock() {
        Pool pool = kernel.pagedPool();
        long p = pool.allocate(100, TAG, 0);
        MemorySegment header = kernel.addressSpace().resolve(p - 16, 16);
        int ulong1 = header.get(ValueLayout.JAVA_INT, POOL_HEADER.ULONG1_OFFSET);
        assertEquals(8, (ulong1 >>> POOL_HEADER.BLOCK_SIZE_SHIFT) & 0xFF, "BlockSize: (100 + 16) rounded to 128 bytes = 8 units");
        assertEquals(PoolType.PagedPool + 1, (ulong1 >>> POOL_HEADER.POOL_TYPE_SHIFT) & 0xFF, "PoolType: base type + 1 while in use");
        assertEquals(0, (ulong1 >>> POOL_HEADER.POOL_INDEX_SHIFT) & 0xFF);
        assertEquals(TAG, header.get(ValueLayout.JAVA_INT, POOL_HEADER.POOL_TAG_OFFSET));
        assertEquals(0L, header.get(ValueLayout.JAVA_LONG, POOL_HEADER.PROCESS_BILLED_OFFSET));
        assertEquals('T', header.get(ValueLayout.JAVA_BYTE, POOL_HEADER.POOL_TAG_OFFSET));
        long q = pool.allocate(100, TAG, 0);
        assertEquals(128, Math.abs(q - p), "two blocks of one class are one stride apart");
        long later = Math.max(p, q);
        int laterHeader = kernel.addressSpace().resolve(later - 16, 4).get(ValueLayout.JAVA_INT, 0);
        assertEquals(8, laterHeader & 0xFF, "PreviousSize of the second block is the first block's size");
        pool.free(p, TAG);
        assertEquals(0, (header.get(ValueLayout.JAVA_INT, 0) >>> 24) & 0xFF, "PoolType is 0 once freed");
        pool.free(q, TAG);
    }

    @Test
    void shouldZeroUnlessUninitializedIsAsked() {
        Pool pool = kernel.nonPagedPool();
        long p = pool.allocate(256, TAG, 0);
        pool.segmentOf(p).fill((byte) 0xEE);
        pool.free(p, TAG);
        long q = pool.allocate(256, TAG, POOL_FLAG_UNINITIALIZED);
        assertEquals(p, q, "the thread's cache gives the block just freed back");
        byte[] stale = pool.segmentOf(q).asSlice(16, 240).toArray(ValueLayout.JAVA_BYTE);
        for (byte b : stale) {
            assertEquals((byte) 0xEE, b, "uninitialized memory keeps what the last owner wrote");
        }
        pool.free(q, TAG);
        long r = pool.allocate(256, TAG, 0);
        assertEquals(q, r);
        assertArrayEquals(new byte[256], pool.segmentOf(r).toArray(ValueLayout.JAVA_BYTE));
        pool.free(r, TAG);
    }

    @Test
    void shouldAlignBlocksTo16CacheAlignedTo64AndLargeToAPage() {
        Pool pool = kernel.nonPagedPool();
        for (long size = 1; size <= 5000; size += 37) {
            long p = pool.allocate(size, TAG, 0);
            assertEquals(0, p % 16, "size " + size);
            if (size > SizeClasses.MAX_SMALL) {
                assertEquals(0, p % 4096, "size " + size + " is a large block");
            } else {
                assertEquals(p >>> 12, (p + size - 1) >>> 12, "a small block does not cross a page");
            }
            long c = pool.allocate(size, TAG, POOL_FLAG_CACHE_ALIGNED);
            assertEquals(0, c % 64, "cache-aligned size " + size);
            pool.free(p, TAG);
            pool.free(c, TAG);
        }
    }

    @Test
    void shouldAllocateStructAlignedAndZeroed() {
        MemorySegment s = kernel.nonPagedPool().allocateStruct(LIST_ENTRY.X64, TAG);
        assertEquals(LIST_ENTRY.X64.size(), s.byteSize());
        assertEquals(0, s.address() % 16);
        assertArrayEquals(new byte[16], s.toArray(ValueLayout.JAVA_BYTE));
        MemorySegment line = kernel.pagedPool().allocate(128, 64);
        assertEquals(0, line.address() % 64);
        MemorySegment page = kernel.pagedPool().allocate(100, 4096);
        assertEquals(0, page.address() % 4096);
        assertEquals(100, page.byteSize());
        kernel.nonPagedPool().free(s.address(), TAG);
        kernel.pagedPool().free(line.address(), Pool.SEGMENT_ALLOCATOR_TAG);
        kernel.pagedPool().free(page.address(), Pool.SEGMENT_ALLOCATOR_TAG);
        assertThrows(IllegalArgumentException.class, () -> kernel.pagedPool().allocate(8, 8192));
    }

    @Test
    void shouldReuseFreedMemoryWithoutGrowingTheFootprint() {
        Pool pool = kernel.nonPagedPool();
        int[] sizes = {8, 64, 100, 1024, 4000, 9000, 70_000};
        for (int size : sizes) { // warm-up: each class gets its page, each large size its run
            pool.free(pool.allocate(size, TAG, 0), TAG);
        }
        int chunks = pool.chunkCount();
        long mapped = pool.mappedBytes();
        int rounds = 200_000 * Integer.getInteger("offkern.stress.scale", 1);
        for (int i = 0; i < rounds; i++) {
            int size = sizes[i % sizes.length];
            long p = pool.allocate(size, TAG, POOL_FLAG_UNINITIALIZED);
            pool.free(p, TAG);
        }
        assertEquals(chunks, pool.chunkCount(), "chunks mapped");
        assertEquals(mapped, pool.mappedBytes());
    }

    @Test
    void shouldHandOutDistinctNonOverlappingBlocks() {
        Pool pool = kernel.pagedPool();
        Set<Long> seen = new HashSet<>();
        List<long[]> blocks = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            int size = 1 + (i * 7919) % 3000;
            long p = pool.allocate(size, TAG, 0);
            assertTrue(seen.add(p));
            blocks.add(new long[] {p, size});
            pool.segmentOf(p).fill((byte) i);
        }
        for (int i = 0; i < blocks.size(); i++) {
            MemorySegment s = pool.segmentOf(blocks.get(i)[0]);
            for (long k = 0; k < s.byteSize(); k++) {
                assertEquals((byte) i, s.get(ValueLayout.JAVA_BYTE, k), "block " + i + " byte " + k);
            }
            pool.free(blocks.get(i)[0], TAG);
        }
    }

    @Test
    void shouldReturnZeroWhenTheLimitIsReachedAndRecoverAfterFrees() {
        Pool pool = small().pagedPool();
        List<Long> held = new ArrayList<>();
        long p;
        while ((p = pool.allocate(1000, TAG, 0)) != 0) {
            held.add(p);
        }
        assertEquals(1, pool.chunkCount(), "a 64 KiB limit maps one 64 KiB chunk");
        assertTrue(held.size() >= 40, "about 4 blocks of 1 KiB per page, 16 pages: " + held.size());
        assertEquals(0, pool.allocate(20_000, TAG, 0), "no room for a large block either");
        NtStatusException e = assertThrows(NtStatusException.class, () -> pool.allocate(1000, TAG, POOL_FLAG_RAISE_ON_FAILURE));
        assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, e.status());
        pool.free(held.remove(0), TAG);
        long again = pool.allocate(1000, TAG, 0);
        assertNotEquals(0, again, "state intact after exhaustion: a freed block is handed out again");
        held.add(again);
        for (long h : held) {
            pool.free(h, TAG);
        }
        assertTrue(pool.outstanding().isEmpty());
    }

    @Test
    void shouldCountAllocationsFreesAndBytesPerTag() {
        Pool pool = kernel.nonPagedPool();
        int a = PoolTags.tag("TagA");
        int b = PoolTags.tag("TagB");
        long[] pa = new long[10];
        for (int i = 0; i < 10; i++) {
            pa[i] = pool.allocate(100, a, 0); // 128-byte blocks
        }
        long pb = pool.allocate(10_000, b, 0); // 3 pages
        for (int i = 0; i < 4; i++) {
            pool.free(pa[i], a);
        }
        PoolUsage ua = usage(pool, a);
        assertEquals(10, ua.allocs());
        assertEquals(4, ua.frees());
        assertEquals(6, ua.diff());
        assertEquals(6 * 128, ua.bytes());
        PoolUsage ub = usage(pool, b);
        assertEquals(1, ub.allocs());
        assertEquals(3 * 4096, ub.bytes());
        pool.free(pb, b);
        for (int i = 4; i < 10; i++) {
            pool.free(pa[i], a);
        }
        assertEquals(0, usage(pool, a).bytes());
        assertEquals(0, usage(pool, b).bytes());
    }

    @Test
    void shouldReportLeaksAtKernelClose() {
        Pool pool = kernel.pagedPool();
        int leaky = PoolTags.tag("Leak");
        pool.allocate(40, leaky, 0);
        pool.allocate(40, leaky, 0);
        pool.allocate(9000, leaky, 0);
        pool.free(pool.allocate(40, TAG, 0), TAG);
        kernel.close();
        LeakReport report = kernel.leakReport();
        assertEquals(List.of(new LeakReport.Leak(leaky, PoolType.PagedPool, 40, 2),
                new LeakReport.Leak(leaky, PoolType.PagedPool, 9000, 1)), report.leaks());
        assertEquals(1, leakSink.size());
        assertTrue(leakSink.get(0).contains("Leak  Paged          40         2"), leakSink.get(0));
        assertThrows(IllegalStateException.class, () -> pool.allocate(8, TAG, 0));
    }

    @Test
    void shouldWriteNothingToTheSinkWhenNothingLeaked() {
        Pool pool = kernel.nonPagedPool();
        pool.free(pool.allocate(40, TAG, 0), TAG);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty());
        assertTrue(leakSink.isEmpty());
    }

    @Test
    void shouldPickThePoolFromThePoolType() {
        assertEquals(kernel.pagedPool(), kernel.pool(PoolType.PagedPool));
        assertEquals(kernel.pagedPool(), kernel.pool(PoolType.PagedPoolCacheAligned));
        assertEquals(kernel.pagedPool(), kernel.pool(PoolType.PagedPoolSession));
        assertEquals(kernel.nonPagedPool(), kernel.pool(PoolType.NonPagedPool));
        assertEquals(kernel.nonPagedPool(), kernel.pool(PoolType.NonPagedPoolNx));
        assertEquals(kernel.nonPagedPool(), kernel.pool(PoolType.NonPagedPoolNxCacheAligned));
        assertEquals(kernel.nonPagedPool(), kernel.pool(PoolType.NonPagedPoolSessionNx));
    }

    static PoolUsage usage(Pool pool, int tag) {
        return pool.usage().stream().filter(u -> u.tag() == tag).findFirst().orElseThrow();
    }
}
