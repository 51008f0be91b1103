package dev.offkern.bench.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ex;
import dev.offkern.layout.mm.POOL_HEADER;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The probe's pool floor ({@link RequiredPoolWork}) must do the work it claims, or the floor it measures is too low:
 * its checks fire on bad frees, its counts balance, and its POOL_HEADER has the real pool's fields.
 */
class RequiredPoolWorkTest {
    private static final int TAG = PoolTags.tag("Rqwt");
    private static final long UNINIT = PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_UNINITIALIZED;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final Arena arena = Arena.ofShared();

    @AfterEach
    void close() {
        arena.close();
    }


    private static long headerWord(RequiredPoolWork.Cache c, MemorySegment block) {
        return c.chunkSegment.get(WORD, block.address() - c.chunkBase - POOL_HEADER.LAYOUT.byteSize() + POOL_HEADER.ULONG1_OFFSET);
    }

    private static int field(long word, int shift, int bits) {
        return (int) (word >>> shift) & ((1 << bits) - 1);
    }

    @Test
    void shouldWriteTheHeaderCountAndReturnTheRequestedBytes() {
        RequiredPoolWork.setUp(arena, 2, 64, TAG);
        RequiredPoolWork.Cache c = RequiredPoolWork.lastCache();
        MemorySegment b = RequiredPoolWork.allocate(UNINIT, 64, TAG);
        assertEquals(64, b.byteSize());
        long word = headerWord(c, b);
        assertEquals(TAG, (int) (word >>> 32));
        assertEquals(1, field(word, POOL_HEADER.POOL_TYPE_SHIFT, POOL_HEADER.POOL_TYPE_BITS), "PoolType: NonPagedPool + 1");
        assertEquals(5, field(word, POOL_HEADER.BLOCK_SIZE_SHIFT, POOL_HEADER.BLOCK_SIZE_BITS), "BlockSize: (16 + 64) / 16");
        assertEquals(64, c.chunkInfo[(int) ((b.address() - c.chunkBase) >>> 4)], "requested size");
        RequiredPoolWork.free(b, TAG);
        assertEquals(0, field(headerWord(c, b), POOL_HEADER.POOL_TYPE_SHIFT, POOL_HEADER.POOL_TYPE_BITS), "freed");
        assertEquals(1, c.lastCount.allocs);
        assertEquals(1, c.lastCount.frees);
        assertEquals(0, c.lastCount.bytes);
    }

    @Test
    void shouldZeroWithoutUninitialized() {
        RequiredPoolWork.setUp(arena, 1, 64, TAG);
        MemorySegment b = RequiredPoolWork.allocate(UNINIT, 64, TAG);
        b.fill((byte) 0x77);
        RequiredPoolWork.free(b, TAG);
        MemorySegment again = RequiredPoolWork.allocate(PoolFlags.POOL_FLAG_NON_PAGED, 64, TAG);
        assertEquals(b.address(), again.address(), "LIFO");
        for (long i = 0; i < 64; i++) {
            assertEquals(0, again.get(ValueLayout.JAVA_BYTE, i));
        }
    }

    @Test
    void shouldRefuseEveryBadFreeAndChangeNothing() {
        RequiredPoolWork.setUp(arena, 1, 64, TAG);
        RequiredPoolWork.Cache c = RequiredPoolWork.lastCache();
        MemorySegment b = RequiredPoolWork.allocate(UNINIT, 64, TAG);
        long before = headerWord(c, b);
        assertTrue(assertThrows(IllegalStateException.class, () -> RequiredPoolWork.free(b, PoolTags.tag("Othr")))
                .getMessage().startsWith("0x0A"));
        assertTrue(assertThrows(IllegalStateException.class,
                () -> RequiredPoolWork.free(MemorySegment.ofAddress(b.address() + 16), TAG)).getMessage().startsWith("0x46"));
        assertTrue(assertThrows(IllegalStateException.class,
                () -> RequiredPoolWork.free(MemorySegment.ofAddress(c.chunkBase + c.chunkSize + 16), TAG)).getMessage().startsWith("0x42"));
        assertEquals(before, headerWord(c, b), "a refused free leaves the header");
        RequiredPoolWork.free(b, TAG);
        assertTrue(assertThrows(IllegalStateException.class, () -> RequiredPoolWork.free(b, TAG))
                .getMessage().startsWith("0x07"), "double free");
    }

    @Test
    void shouldRefuseTheFlagsTheDdiRefuses() {
        RequiredPoolWork.setUp(arena, 1, 64, TAG);
        assertThrows(IllegalArgumentException.class, () -> RequiredPoolWork.allocate(PoolFlags.POOL_FLAG_UNINITIALIZED, 64, TAG));
        assertThrows(IllegalArgumentException.class, () -> RequiredPoolWork.allocate(
                PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_PAGED, 64, TAG));
        assertThrows(IllegalArgumentException.class, () -> RequiredPoolWork.allocate(UNINIT | PoolFlags.POOL_FLAG_SESSION, 64, TAG));
        assertThrows(IllegalArgumentException.class, () -> RequiredPoolWork.allocate(UNINIT, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> RequiredPoolWork.allocate(UNINIT, 0, TAG));
    }

    @Test
    void shouldWriteTheSameHeaderFieldsAsThePool() {
        RequiredPoolWork.setUp(arena, 1, 64, TAG);
        RequiredPoolWork.Cache c = RequiredPoolWork.lastCache();
        MemorySegment model = RequiredPoolWork.allocate(UNINIT, 64, TAG);
        long modelWord = headerWord(c, model);
        try (Kernel kernel = Kernel.boot()) {
            kernel.attach();
            MemorySegment real = Ex.ExAllocatePool2(UNINIT, 64, TAG);
            long realWord = kernel.addressSpace().resolve(real.address() - POOL_HEADER.LAYOUT.byteSize(), POOL_HEADER.LAYOUT.byteSize())
                    .get(WORD, POOL_HEADER.ULONG1_OFFSET);
            for (int[] f : new int[][] {{POOL_HEADER.POOL_TYPE_SHIFT, POOL_HEADER.POOL_TYPE_BITS},
                    {POOL_HEADER.BLOCK_SIZE_SHIFT, POOL_HEADER.BLOCK_SIZE_BITS}, {POOL_HEADER.POOL_INDEX_SHIFT, POOL_HEADER.POOL_INDEX_BITS}}) {
                assertEquals(field(realWord, f[0], f[1]), field(modelWord, f[0], f[1]), "Ulong1 field at bit " + f[0]);
            }
            assertEquals((int) (realWord >>> 32), (int) (modelWord >>> 32), "PoolTag");
            Ex.ExFreePoolWithTag(real, TAG);
        }
    }
}
