package dev.offkern.runtime.pool;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The pool-wide free lists: one lock-free stack of <em>batches</em> per size class. A batch is a
 * chain of up to {@link #BATCH} free blocks that a thread cache hands back or takes at once, so the
 * shared word is touched once per {@code BATCH} allocations rather than once per allocation.
 *
 * <p>Links live in the free blocks themselves, at the start of the payload, in offkern's own format
 * {@link #FREE_LINKS} (not a Windows structure: Windows' pool keeps different free-list links):
 * {@code NextBatch}, the next batch's first block (meaningful in a batch's first block only), and
 * {@code NextInBatch}, the next block of the same batch (0 ends the batch).
 *
 * <p><b>Implementation overview.</b> Each head is a Treiber stack top packed with an ABA sequence:
 * <pre>
 *  63          44 43                                   0
 *  +-------------+--------------------------------------+
 *  |  sequence   |  payload address &gt;&gt;&gt; 4 (48-bit VA)   |   (4 = ALIGNMENT_SHIFT)
 *  +-------------+--------------------------------------+
 * </pre>
 * Every successful push or pop increments the 20-bit sequence, so a pop that read a stale top and
 * its stale next link cannot succeed after the top was popped and pushed again in between (the
 * classic ABA; a wrap needs 2^20 changes between one thread's read and its CAS). Reading the next
 * link of a block another thread has just popped and reused is harmless: the chunk stays mapped
 * for the pool's lifetime (the reason Windows keeps SLIST memory mapped), and the CAS then fails.
 * Heads sit 128 bytes apart (two cache lines) so different classes do not share a line.
 *
 * <p>Progress: lock-free. Which calls may run concurrently: any push/pop with any other.
 */
final class FreeLists {
    /** Blocks per batch. */
    static final int BATCH = 16;
    /** offkern's link format in a free block's payload (private to the pool). */
    static final StructLayout FREE_LINKS = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("NextBatch"), ValueLayout.JAVA_LONG.withName("NextInBatch"));
    /** Payload bytes a free block needs for its links. */
    static final int LINK_BYTES = (int) FREE_LINKS.byteSize();
    private static final long NEXT_BATCH = FREE_LINKS.byteOffset(MemoryLayout.PathElement.groupElement("NextBatch"));
    private static final long NEXT_IN_BATCH = FREE_LINKS.byteOffset(MemoryLayout.PathElement.groupElement("NextInBatch"));
    private static final int SPACING = 16; // longs between heads: 128 bytes, two cache lines
    private static final int ADDRESS_BITS = 44;
    private static final long ADDRESS_MASK = (1L << ADDRESS_BITS) - 1;
    private static final long SEQUENCE_ONE = 1L << ADDRESS_BITS;
    /** Blocks are unit-aligned, so a head stores the address shifted right by this. */
    private static final int ALIGNMENT_SHIFT = SizeClasses.UNIT_SHIFT;

    private final long[] heads = new long[(SizeClasses.NUM_CLASSES + 2) * SPACING];
    private final PageAllocator pages;

    FreeLists(PageAllocator pages) {
        this.pages = pages;
    }

    /** Pushes the batch whose first block is {@code first} (its +8 chain already linked). */
    void pushBatch(int cls, long first) {
        Chunk c = chunkOf(first);
        long off = first - c.base;
        int i = (cls + 1) * SPACING;
        for (;;) {
            long head = (long) HEADS.getVolatile(heads, i); // volatile read: pairs with the CAS below
            c.segment.set(ValueLayout.JAVA_LONG, off + NEXT_BATCH, (head & ADDRESS_MASK) << ALIGNMENT_SHIFT); // plain: published by the CAS
            long next = ((head & ~ADDRESS_MASK) + SEQUENCE_ONE) | (first >>> ALIGNMENT_SHIFT);
            if (HEADS.compareAndSet(heads, i, head, next)) { // volatile CAS: linearization point of push
                return;
            }
        }
    }

    /** Pops one batch; returns its first block, or 0 when the class has none. */
    long popBatch(int cls) {
        int i = (cls + 1) * SPACING;
        for (;;) {
            long head = (long) HEADS.getVolatile(heads, i); // volatile read: sees the link written before the push CAS
            long first = (head & ADDRESS_MASK) << ALIGNMENT_SHIFT;
            if (first == 0) {
                return 0;
            }
            Chunk c = chunkOf(first);
            long link = c.segment.get(ValueLayout.JAVA_LONG, first - c.base + NEXT_BATCH); // may be stale: the CAS decides
            long next = ((head & ~ADDRESS_MASK) + SEQUENCE_ONE) | (link >>> ALIGNMENT_SHIFT);
            if (HEADS.compareAndSet(heads, i, head, next)) { // volatile CAS: linearization point of pop
                return first;
            }
        }
    }

    /**
     * The chunk of {@code block}, a block of this pool's lists: null only once {@code close()}
     * unmapped the pool (Kernel.close() on another thread), which the call reports as such.
     */
    private Chunk chunkOf(long block) {
        Chunk c = pages.chunkOf(block);
        if (c == null) {
            throw new IllegalStateException("this offkern kernel is closed: Kernel.close() unmapped the pool's free lists"
                    + " during the call");
        }
        return c;
    }

    /** Next block in a batch (NextInBatch), 0 at the end. */
    static long nextInBatch(Chunk c, long block) {
        return c.segment.get(ValueLayout.JAVA_LONG, block - c.base + NEXT_IN_BATCH);
    }

    /** Links {@code block} to {@code next} within a batch. */
    static void linkInBatch(MemorySegment segment, long offset, long next) {
        segment.set(ValueLayout.JAVA_LONG, offset + NEXT_IN_BATCH, next);
    }

    // ===== VarHandle mechanics =====
    private static final VarHandle HEADS = MethodHandles.arrayElementVarHandle(long[].class);
}
