package dev.offkern.runtime.mm;

import java.lang.foreign.MemorySegment;

/**
 * A range of memory the runtime may dereference: a pool chunk or a segment an embedder registered.
 * {@code segment} is bounded to exactly {@code [base, base + length)}, so an access through it can
 * never leave the region even if a caller's arithmetic is wrong.
 *
 * @param base    first address
 * @param length  length in bytes
 * @param segment the region's memory, bounded
 * @param name    what the region is ("NonPagedPool chunk 3", "embedder: ring buffer")
 * @param blocks  the allocator's view of the blocks in the region (a pool chunk), or null when the
 *                region is one block (memory an embedder registered)
 */
public record Region(long base, long length, MemorySegment segment, String name, BlockMap blocks) {

    /** A region that is one block (no allocator carves it). */
    public Region(long base, long length, MemorySegment segment, String name) {
        this(base, length, segment, name, null);
    }

    /** Whether {@code [address, address + size)} lies inside this region. */
    public boolean contains(long address, long size) {
        return holds(base, length, address, size);
    }

    /** Whether the range {@code [base, base + length)} holds {@code [address, address + size)}: {@link #contains}'s test. */
    static boolean holds(long base, long length, long address, long size) {
        return address >= base && size >= 0 && address - base <= length - size;
    }

    /** Offset of {@code address} in {@link #segment()}. */
    public long offsetOf(long address) {
        return address - base;
    }

    /**
     * The slice {@code [address, address + size)} of {@link #segment()} (the caller has checked that
     * the region holds it; the slice's own bounds check stands). It and {@code AddressSpace.resolve} call nothing
     * heavy, so even compiled on their own they stay small enough for C2 to inline them into a caller,
     * where the slice can be scalar-replaced (see ExLookaside.allocateSegment).
     */
    public MemorySegment slice(long address, long size) {
        return segment.asSlice(address - base, size);
    }
}
