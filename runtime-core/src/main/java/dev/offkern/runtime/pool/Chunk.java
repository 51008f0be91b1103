package dev.offkern.runtime.pool;

import dev.offkern.runtime.mm.Region;
import java.lang.foreign.MemorySegment;

/**
 * One mapped piece of a pool: page-aligned native memory registered in the kernel's address space,
 * mapped until the pool closes (a segregated chunk: until then and until no pin holds it, see
 * {@link PageAllocator}). Besides the memory it keeps the pool's out-of-line bookkeeping for its pages: what each page holds ({@link #pageKind}) and the size each small block's caller
 * asked for and its owner ({@link #info}, one entry per 16-byte granule, indexed by payload offset / 16).
 *
 * <p>{@code pageKind} is written under the page allocator's lock before any block of the page is
 * published (through a free-list CAS), so lock-free readers that reached a block see it.
 */
final class Chunk {
    /** The page is not handed out. */
    static final short PAGE_FREE = 0;
    /** First page of a large block. */
    static final short PAGE_LARGE = -1;
    /** Later page of a large block. */
    static final short PAGE_LARGE_TAIL = -2;
    /** First page of a large block that was freed (detects a second free until reused). */
    static final short PAGE_LARGE_FREED = -3;

    /** The largest chunk: its per-granule bookkeeping ({@link #info}) must be indexable by an int. */
    static final long MAX_BYTES = (long) Integer.MAX_VALUE << SizeClasses.UNIT_SHIFT;

    final long base;
    final long size;
    final MemorySegment segment;
    final Region region;
    final int index;
    /** Per page: {@link #PAGE_FREE}, a small size class (&gt; 0), or a large-block marker. */
    final short[] pageKind;
    /**
     * Per 16-byte granule, one int about the small block whose payload starts there: the byte count its
     * caller requested ({@link #REQUESTED_MASK}), the {@link #PARKED} mark of a block held by a lookaside
     * list (any unit-aligned block address, small or large), and in the high 16 bits ({@link #OWNER_SHIFT})
     * the owner id of the driver whose code allocated it (0: the kernel or the embedder; the I/O manager's
     * ids, docs/io.md "Attribution"). One int, so that an allocation records all three with one store.
     * Written on every allocation; the size and the owner are read only while the block is allocated.
     */
    final int[] info;
    /** Per page of a large block: the index of the block's first page (the verifier's block lookups). */
    final int[] largeHead;

    /** {@link #info} bits holding the requested size (small blocks are at most 4064 bytes). */
    static final int REQUESTED_MASK = 0x7FFF;
    /** {@link #info} bit: the block is parked in a lookaside list (Pool.park). */
    static final int PARKED = 0x8000;
    /** {@link #info}: where the owner id starts. */
    static final int OWNER_SHIFT = 16;

    Chunk(MemorySegment segment, Region region, int index) {
        this.base = segment.address();
        this.size = segment.byteSize();
        this.segment = segment;
        this.region = region;
        this.index = index;
        this.pageKind = new short[(int) (size >>> SizeClasses.PAGE_SHIFT)];
        this.info = new int[(int) (size >>> SizeClasses.UNIT_SHIFT)];
        this.largeHead = new int[pageKind.length];
    }

    /** The requested size in an {@link #info} entry. */
    static int requested(int info) {
        return info & REQUESTED_MASK;
    }

    /** The owner id in an {@link #info} entry. */
    static int owner(int info) {
        return info >>> OWNER_SHIFT;
    }

    boolean contains(long address) {
        return address - base >= 0 && address - base < size;
    }
}
