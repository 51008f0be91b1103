package dev.offkern.runtime.pool;

/**
 * The small-block size classes: which class serves a request, and how a 4 KiB page of a class is
 * laid out. Pure arithmetic, no state.
 *
 * <p>Two families, both measured in the POOL_HEADER's 16-byte units (header included, as its
 * {@code BlockSize} counts them):
 * <ul>
 *   <li>classes 2..255: 16-byte aligned blocks of exactly {@code cls} units (32..4080 bytes), so a
 *   request is rounded up to the next 16 bytes and the header's BlockSize is what Windows would
 *   write. Blocks are packed from the start of their page and never cross it.</li>
 *   <li>classes 257..319: cache-aligned blocks ({@code POOL_FLAG_CACHE_ALIGNED}) of
 *   {@code (cls - 256) * 64} bytes whose payload starts on a 64-byte boundary: the first header
 *   sits at page offset 48, preceded by a 3-unit free fragment with its own header.</li>
 *   <li>classes 322..575: <em>segregated</em> blocks ({@link #segregatedClassFor}), laid out as the
 *   16-byte classes ({@code cls - 320} units) but carved from pages no allocation had used: a pool's
 *   type-stable memory for kernel objects that no caller allocation may ever share (a block freed
 *   there is only ever reused by another block of the same segregated class, so a caller's stale
 *   pointer to a block it freed can never name one of them).</li>
 * </ul>
 * A request that fits no class (over 4064 bytes, or 4016 cache-aligned) is a large block: whole
 * pages, page aligned, no header.
 */
final class SizeClasses {
    /** x64 PAGE_SIZE: blocks never cross a page. */
    static final int PAGE_SIZE = 4096;
    static final int PAGE_SHIFT = Integer.numberOfTrailingZeros(PAGE_SIZE);
    /** sizeof(POOL_HEADER) (from the layout): every small block starts with one. */
    static final int HEADER = PoolHeader.SIZE;
    /** log2 of the header's size unit (POOL_BLOCK_SHIFT, from the layout): blocks are multiples of it. */
    static final int UNIT_SHIFT = PoolHeader.UNIT_SHIFT;
    /** Bytes of one unit. */
    static final int UNIT = 1 << UNIT_SHIFT;
    /** The largest class of 16-byte aligned blocks: what BlockSize holds. */
    static final int MAX_UNITS = PoolHeader.MAX_BLOCK_UNITS;
    /** The smallest class: a free block's payload must hold the free-list links ({@link FreeLists#LINK_BYTES}). */
    static final int MIN_UNITS = (HEADER + FreeLists.LINK_BYTES + UNIT - 1) >>> UNIT_SHIFT;
    /** Cache line, the alignment of POOL_FLAG_CACHE_ALIGNED blocks. */
    static final int CACHE_LINE = 64;
    static final int CACHE_LINE_SHIFT = Integer.numberOfTrailingZeros(CACHE_LINE);
    /** First cache-aligned class number (classes below it count units). */
    static final int CACHE_BASE = MAX_UNITS + 1;
    /** The most cache lines a cache-aligned block (header included) may span: it must fit a page after the first header. */
    static final int MAX_CACHE_LINES = (PAGE_SIZE - CACHE_LINE) / CACHE_LINE;
    /** Class number of 0 units of the segregated family (its classes count units above it). */
    static final int SEGREGATED_BASE = CACHE_BASE + MAX_CACHE_LINES + 1;
    static final int NUM_CLASSES = SEGREGATED_BASE + MAX_UNITS + 1;
    /** Largest request served by a 16-byte aligned class. */
    static final long MAX_SMALL = ((long) MAX_UNITS << UNIT_SHIFT) - HEADER;
    /** Largest request served by a cache-aligned class. */
    static final long MAX_SMALL_CACHE_ALIGNED = (long) MAX_CACHE_LINES * CACHE_LINE - HEADER;
    /** Page offset of the first header of a cache-aligned class (so that its payload starts on the first line after). */
    static final int CACHE_FIRST_HEADER = CACHE_LINE - HEADER;
    /** Granules (units) per page, and the longs of one class's block-start bitmap. */
    private static final int GRANULES = PAGE_SIZE >>> UNIT_SHIFT;
    private static final int STARTS_LONGS = GRANULES / Long.SIZE;

    private SizeClasses() {
    }

    /** The class for {@code bytes} (at least 1), or -1 for a large block. */
    static int classFor(long bytes, boolean cacheAligned) {
        if (!cacheAligned) {
            if (bytes > MAX_SMALL) {
                return -1;
            }
            int units = (int) ((bytes + HEADER + UNIT - 1) >>> UNIT_SHIFT);
            return Math.max(units, MIN_UNITS);
        }
        if (bytes > MAX_SMALL_CACHE_ALIGNED) {
            return -1;
        }
        return CACHE_BASE + (int) ((bytes + HEADER + CACHE_LINE - 1) >>> CACHE_LINE_SHIFT);
    }

    /** The segregated class for {@code bytes} (at least 1), or -1 if no small class can hold it. */
    static int segregatedClassFor(long bytes) {
        int cls = classFor(bytes, false);
        return cls < 0 ? -1 : SEGREGATED_BASE + cls;
    }

    /** Whether {@code cls} is a class of the 16-byte layout (plain or segregated): first header at page offset 0. */
    private static boolean unitLayout(int cls) {
        return cls < CACHE_BASE || cls >= SEGREGATED_BASE;
    }

    // Per-class tables, so that the fast paths divide nothing.
    private static final int[] STRIDE = new int[NUM_CLASSES];
    private static final int[] FIRST = new int[NUM_CLASSES];
    private static final int[] BLOCKS = new int[NUM_CLASSES];
    /**
     * Per class, two POOL_HEADER Ulong1 values of a <em>free</em> block (PoolType 0): [2 cls] for the
     * page's first block, [2 cls + 1] for the others (they differ in PreviousSize). The hot paths OR
     * in the PoolType instead of encoding four bit fields per call.
     */
    private static final int[] FREE_ULONG1 = new int[NUM_CLASSES * 2];
    /** Per class, STARTS_LONGS longs: bit g set when page granule g (one unit) is the payload start of a block. */
    private static final long[] STARTS = new long[NUM_CLASSES * STARTS_LONGS];

    static {
        for (int cls = MIN_UNITS; cls < NUM_CLASSES; cls++) {
            if ((cls > MAX_UNITS && cls <= CACHE_BASE) || (cls >= SEGREGATED_BASE && cls < SEGREGATED_BASE + MIN_UNITS)) {
                continue;
            }
            int stride = cls < CACHE_BASE ? cls << UNIT_SHIFT
                    : cls >= SEGREGATED_BASE ? (cls - SEGREGATED_BASE) << UNIT_SHIFT
                    : (cls - CACHE_BASE) << CACHE_LINE_SHIFT;
            int first = unitLayout(cls) ? 0 : CACHE_FIRST_HEADER;
            STRIDE[cls] = stride;
            FIRST[cls] = first;
            BLOCKS[cls] = (PAGE_SIZE - first) / stride;
            FREE_ULONG1[cls * 2] = PoolHeader.ulong1(previousSize(cls, first), 0, stride >>> UNIT_SHIFT, 0);
            FREE_ULONG1[cls * 2 + 1] = PoolHeader.ulong1(stride >>> UNIT_SHIFT, 0, stride >>> UNIT_SHIFT, 0);
            for (int i = 0; i < BLOCKS[cls]; i++) {
                int granule = (first + i * stride + HEADER) >>> UNIT_SHIFT;
                STARTS[cls * STARTS_LONGS + granule / Long.SIZE] |= 1L << (granule % Long.SIZE);
            }
        }
    }

    /** Bytes from one header to the next, header included. */
    static int stride(int cls) {
        return STRIDE[cls];
    }

    /** Page offset of the first block's header. */
    static int firstHeader(int cls) {
        return FIRST[cls];
    }

    /** Blocks in one page of the class. */
    static int blocksPerPage(int cls) {
        return BLOCKS[cls];
    }

    /** PreviousSize (units) of the block whose header is at page offset {@code headerOffset}. */
    static int previousSize(int cls, int headerOffset) {
        if (headerOffset == FIRST[cls]) {
            return unitLayout(cls) ? 0 : CACHE_FIRST_HEADER >>> UNIT_SHIFT;
        }
        return STRIDE[cls] >>> UNIT_SHIFT;
    }

    /**
     * Ulong1 of a free block of the class whose header is at page offset {@code headerOffset}
     * (PreviousSize as {@link #previousSize}, PoolIndex 0, BlockSize the class's units, PoolType 0).
     */
    static int freeUlong1(int cls, int headerOffset) {
        return FREE_ULONG1[cls * 2 + (headerOffset == FIRST[cls] ? 0 : 1)];
    }

    /** Whether the payload at page offset {@code payloadOffset} starts a block of the class. */
    static boolean isBlockStart(int cls, int payloadOffset) {
        if (cls <= 0 || cls >= NUM_CLASSES || (payloadOffset & (UNIT - 1)) != 0) {
            return false;
        }
        int granule = payloadOffset >>> UNIT_SHIFT;
        return (STARTS[cls * STARTS_LONGS + granule / Long.SIZE] >>> (granule % Long.SIZE) & 1) != 0;
    }
}
