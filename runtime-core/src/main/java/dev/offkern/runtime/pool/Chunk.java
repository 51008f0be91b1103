package dev.offkern.runtime.pool;

import dev.offkern.runtime.mm.Region;
import java.lang.foreign.MemorySegment;

/**
 * One mapped piece of a pool: page-aligned native memory registered in the kernel's address space,
 * mapped until the pool closes (a segregated chunk: until then and until no pin holds it, see
 * {@link PageAllocator}). Besides the memory it keeps the pool's out-of-line bookkeeping for its pages: what each page holds ({@link #pageKind}) and the size each small block's caller
 * asked for ({@link #requested}, one entry per 16-byte granule, indexed by payload offset / 16).
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

    /** The largest chunk: its per-granule bookkeeping ({@link #requested}) must be indexable by an int. */
    static final long MAX_BYTES = (long) Integer.MAX_VALUE << SizeClasses.UNIT_SHIFT;

    final long base;
    final long size;
    final MemorySegment segment;
    final Region region;
    final int index;
    /** Per page: {@link #PAGE_FREE}, a small size class (&gt; 0), or a large-block marker. */
    final short[] pageKind;
    /**
     * Per 16-byte granule: the byte count requested for the small block whose payload starts there
     * ({@link #REQUESTED_MASK}), and the {@link #PARKED} mark of a block held by a lookaside list (any
     * unit-aligned block address, small or large).
     */
    final char[] requested;
    /**
     * Per 16-byte granule: the owner id of the driver whose code allocated the small block whose
     * payload starts there (0: the kernel or the embedder); written on every allocation, read only
     * while the block is allocated. Owner ids are the I/O manager's (docs/io.md "Attribution").
     */
    final char[] owners;
    /** Per page of a large block: the index of the block's first page (the verifier's block lookups). */
    final int[] largeHead;

    /** {@link #requested} bits holding the requested size (small blocks are at most 4064 bytes). */
    static final char REQUESTED_MASK = 0x7FFF;
    /** {@link #requested} bit: the block is parked in a lookaside list (Pool.park). */
    static final char PARKED = 0x8000;

    Chunk(MemorySegment segment, Region region, int index) {
        this.base = segment.address();
        this.size = segment.byteSize();
        this.segment = segment;
        this.region = region;
        this.index = index;
        this.pageKind = new short[(int) (size >>> SizeClasses.PAGE_SHIFT)];
        this.requested = new char[(int) (size >>> SizeClasses.UNIT_SHIFT)];
        this.owners = new char[requested.length];
        this.largeHead = new int[pageKind.length];
    }

    boolean contains(long address) {
        return address - base >= 0 && address - base < size;
    }
}
