package dev.offkern.runtime.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.offkern.layout.Field;
import dev.offkern.layout.mm.POOL_HEADER;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The POOL_HEADER codec against the layout class: positions, widths, round trips, and the bytes the pool writes. */
class PoolHeaderTest {
    private static final ValueLayout.OfInt ULONG = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int TAG = PoolTags.tag("Hdr1");

    /** The bits of Ulong1 that the layout's bit field {@code name} occupies. */
    private static int layoutMask(String name) {
        Field f = POOL_HEADER.X64.field(name);
        long unitBits = 8 * (f.offset() - POOL_HEADER.ULONG1_OFFSET);
        return (int) (f.mask() << unitBits);
    }

    @Test
    void shouldPutEachFieldExactlyWhereTheLayoutsBitFieldIs() {
        int max = (1 << POOL_HEADER.BLOCK_SIZE_BITS) - 1;
        assertEquals(layoutMask("PreviousSize"), PoolHeader.ulong1((1 << POOL_HEADER.PREVIOUS_SIZE_BITS) - 1, 0, 0, 0));
        assertEquals(layoutMask("PoolIndex"), PoolHeader.ulong1(0, (1 << POOL_HEADER.POOL_INDEX_BITS) - 1, 0, 0));
        assertEquals(layoutMask("BlockSize"), PoolHeader.ulong1(0, 0, max, 0));
        assertEquals(layoutMask("PoolType"), PoolHeader.ulong1(0, 0, 0, (1 << POOL_HEADER.POOL_TYPE_BITS) - 1));
        assertEquals(-1, layoutMask("PreviousSize") | layoutMask("PoolIndex") | layoutMask("BlockSize") | layoutMask("PoolType"),
                "the four fields tile Ulong1");
    }

    @Test
    void shouldRoundTripEveryFieldValue() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            int prev = random.nextInt(1 << POOL_HEADER.PREVIOUS_SIZE_BITS);
            int index = random.nextInt(1 << POOL_HEADER.POOL_INDEX_BITS);
            int size = random.nextInt(1 << POOL_HEADER.BLOCK_SIZE_BITS);
            int type = random.nextInt(1 << POOL_HEADER.POOL_TYPE_BITS);
            int tag = random.nextInt();
            int ulong1 = PoolHeader.ulong1(prev, index, size, type);
            assertEquals(prev, PoolHeader.previousSize(ulong1));
            assertEquals(index, PoolHeader.poolIndex(ulong1));
            assertEquals(size, PoolHeader.blockSize(ulong1));
            assertEquals(type, PoolHeader.poolType(ulong1));
            assertEquals(PoolHeader.ulong1(prev, index, size, 0), PoolHeader.withPoolType(ulong1, 0));
            long word = PoolHeader.word(ulong1, tag);
            assertEquals(ulong1, PoolHeader.ulong1Of(word));
            assertEquals(tag, PoolHeader.tagOf(word));
        }
    }

    @Test
    void shouldRefuseValuesWiderThanTheirField() {
        assertThrows(IllegalArgumentException.class, () -> PoolHeader.ulong1(1 << POOL_HEADER.PREVIOUS_SIZE_BITS, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> PoolHeader.ulong1(0, 0, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> PoolHeader.withPoolType(0, 1 << POOL_HEADER.POOL_TYPE_BITS));
    }

    @Test
    void shouldWriteUlong1AndPoolTagAtTheLayoutsOffsets() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(64, 16);
            long payload = 32;
            long header = payload - POOL_HEADER.X64.size();
            int ulong1 = PoolHeader.ulong1(3, 0, 5, PoolType.PagedPool + 1);
            PoolHeader.writeWord(s, payload, PoolHeader.word(ulong1, TAG));
            PoolHeader.writeProcessBilled(s, payload, 0x1122_3344_5566_7788L);
            assertEquals(ulong1, s.get(ULONG, header + POOL_HEADER.ULONG1_OFFSET));
            assertEquals(TAG, s.get(ULONG, header + POOL_HEADER.POOL_TAG_OFFSET));
            assertEquals(0x1122_3344_5566_7788L, s.get(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN),
                    header + POOL_HEADER.PROCESS_BILLED_OFFSET));
            assertEquals(5, s.get(ValueLayout.JAVA_BYTE, header + POOL_HEADER.X64.offset("BlockSize")),
                    "BlockSize is the low byte of the second USHORT");
            assertEquals(PoolHeader.tagOf(PoolHeader.readWord(s, payload)), PoolHeader.readTag(s, payload));
            PoolHeader.writeUlong1(s, payload, PoolHeader.withPoolType(ulong1, 0));
            assertEquals(0, PoolHeader.poolType(PoolHeader.readUlong1(s, payload)));
            assertEquals(TAG, s.get(ULONG, header + POOL_HEADER.POOL_TAG_OFFSET), "writing Ulong1 keeps the tag");
        }
    }

    @Test
    void shouldDecodeTheHeadersThePoolWritesForEveryKindOfBlock() {
        try (Kernel kernel = Kernel.boot().leakReportSink(r -> { })) {
            Pool pool = kernel.pagedPool();
            long first = pool.allocate(1, TAG, 0);
            long second = pool.allocate(1, TAG, 0);
            MemorySegment page = kernel.addressSpace().resolve(first & -SizeClasses.PAGE_SIZE, SizeClasses.PAGE_SIZE);
            long a = first - page.address();
            long b = second - page.address();
            int h1 = PoolHeader.readUlong1(page, a);
            int h2 = PoolHeader.readUlong1(page, b);
            assertEquals(SizeClasses.MIN_UNITS, PoolHeader.blockSize(h1));
            assertEquals(PoolType.PagedPool + 1, PoolHeader.poolType(h1));
            assertEquals(0, PoolHeader.poolIndex(h1));
            assertEquals(SizeClasses.MIN_UNITS, PoolHeader.previousSize(h2), "PreviousSize: the block before is one class stride");
            assertEquals(TAG, PoolHeader.readTag(page, b));
            long aligned = pool.allocate(100, TAG, dev.offkern.nt.PoolFlags.POOL_FLAG_CACHE_ALIGNED);
            MemorySegment alignedPage = kernel.addressSpace().resolve(aligned & -SizeClasses.PAGE_SIZE, SizeClasses.PAGE_SIZE);
            int h3 = PoolHeader.readUlong1(alignedPage, aligned - alignedPage.address());
            assertEquals(PoolType.PagedPoolCacheAligned + 1, PoolHeader.poolType(h3));
            assertEquals(0, (aligned - alignedPage.address() - PoolHeader.SIZE) % SizeClasses.UNIT);
            pool.free(first, TAG);
            assertEquals(0, PoolHeader.poolType(PoolHeader.readUlong1(page, a)), "freed: PoolType 0");
            pool.free(second, TAG);
            pool.free(aligned, TAG);
        }
    }
}
