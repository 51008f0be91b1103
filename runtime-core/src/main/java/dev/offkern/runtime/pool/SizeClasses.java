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
 * </ul>
 * A request that fits no class (over 4064 bytes, or 4016 cache-aligned) is a large block: whole
 * pages, page aligned, no header.
 */
final class SizeClasses {
    static final int PAGE_SIZE = 4096;
    static final int PAGE_SHIFT = 12;
    static final int HEADER = 16;
    static final int UNIT_SHIFT = 4;
    static final int MAX_UNITS = 255;
    static final int CACHE_BASE = 256;
    static final int MAX_CACHE_LINES = 63;
    static final int NUM_CLASSES = CACHE_BASE + MAX_CACHE_LINES + 1;
    /** Largest request served by a 16-byte aligned class. */
    static final long MAX_SMALL = MAX_UNITS * 16 - HEADER;
    /** Largest request served by a cache-aligned class. */
    static final long MAX_SMALL_CACHE_ALIGNED = MAX_CACHE_LINES * 64 - HEADER;
    /** Page offset of the first header of a cache-aligned class (payload at 64). */
    static final int CACHE_FIRST_HEADER = 48;

    private SizeClasses() {
    }

    /** The class for {@code bytes} (at least 1), or -1 for a large block. */
    static int classFor(long bytes, boolean cacheAligned) {
        if (!cacheAligned) {
            if (bytes > MAX_SMALL) {
                return -1;
            }
            int units = (int) ((bytes + HEADER + 15) >>> UNIT_SHIFT);
            return Math.max(units, 2);
        }
        if (bytes > MAX_SMALL_CACHE_ALIGNED) {
            return -1;
        }
        return CACHE_BASE + (int) ((bytes + HEADER + 63) >>> 6);
    }

    // Per-class tables, so that the fast paths divide nothing.
    private static final int[] STRIDE = new int[NUM_CLASSES];
    private static final int[] FIRST = new int[NUM_CLASSES];
    private static final int[] BLOCKS = new int[NUM_CLASSES];
    /** Per class, 4 longs: bit g set when page granule g (16 bytes) is the payload start of a block. */
    private static final long[] STARTS = new long[NUM_CLASSES * 4];

    static {
        for (int cls = 2; cls < NUM_CLASSES; cls++) {
            if (cls > MAX_UNITS && cls <= CACHE_BASE) {
                continue;
            }
            int stride = cls < CACHE_BASE ? cls << UNIT_SHIFT : (cls - CACHE_BASE) << 6;
            int first = cls < CACHE_BASE ? 0 : CACHE_FIRST_HEADER;
            STRIDE[cls] = stride;
            FIRST[cls] = first;
            BLOCKS[cls] = (PAGE_SIZE - first) / stride;
            for (int i = 0; i < BLOCKS[cls]; i++) {
                int granule = (first + i * stride + HEADER) >>> UNIT_SHIFT;
                STARTS[cls * 4 + (granule >>> 6)] |= 1L << (granule & 63);
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
            return cls < CACHE_BASE ? 0 : CACHE_FIRST_HEADER >>> UNIT_SHIFT;
        }
        return STRIDE[cls] >>> UNIT_SHIFT;
    }

    /** Whether the payload at page offset {@code payloadOffset} starts a block of the class. */
    static boolean isBlockStart(int cls, int payloadOffset) {
        if (cls <= 0 || cls >= NUM_CLASSES || (payloadOffset & 15) != 0) {
            return false;
        }
        int granule = payloadOffset >>> UNIT_SHIFT;
        return (STARTS[cls * 4 + (granule >>> 6)] >>> (granule & 63) & 1) != 0;
    }
}
