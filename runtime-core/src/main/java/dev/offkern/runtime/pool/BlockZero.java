package dev.offkern.runtime.pool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Zeroes a small pool block's bytes for {@code ExAllocatePool2} without {@code POOL_FLAG_UNINITIALIZED}.
 *
 * <p>A block's bytes start 16-byte aligned and run in whole 16-byte granules, so zeroing
 * {@code [off, off + bytes)} rounds up to the next granule: those bytes belong to the same block (the
 * verifier's guard fill of the slack runs afterwards and rewrites them). Up to {@link #FILL_MAX} bytes this is
 * {@code MemorySegment.fill} (whole granules: on JDK 25 a fill whose length is not a multiple of 8 ends in
 * narrower stores and costs several times more); beyond, a counted loop of 8-byte stores over the block's slice,
 * which on the Zen 1 machine of session 29 zeroes a 1 KiB block in two thirds of the time {@code fill}'s native
 * {@code setMemory} takes (docs/performance.md). Straight-line stores for blocks up to 64 bytes were measured and
 * not kept: inside {@code Pool.allocate}, where the size is not a constant, they cost more than {@code fill}.
 * Stateless; allocates nothing once compiled (the slices are scalar-replaced).
 */
final class BlockZero {
    /** Unaligned: the stores are 16-byte aligned in practice; this layout spares the alignment check. */
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    /** Largest block zeroed with {@code MemorySegment.fill}. */
    private static final long FILL_MAX = 512;

    private BlockZero() {
    }

    /** Zeroes {@code [off, off + bytes)} of {@code chunk}, and the rest of its last 16-byte granule. */
    static void zero(MemorySegment chunk, long off, long bytes) {
        MemorySegment block = chunk.asSlice(off, (bytes + 15) & ~15L);
        if (bytes <= FILL_MAX) {
            block.fill((byte) 0);
        } else {
            zeroWords(block);
        }
    }

    private static void zeroWords(MemorySegment block) {
        int words = (int) (block.byteSize() >>> 3);
        for (int i = 0; i < words; i++) {
            block.setAtIndex(WORD, i, 0L);
        }
    }
}
