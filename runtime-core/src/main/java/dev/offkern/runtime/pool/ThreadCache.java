package dev.offkern.runtime.pool;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One thread's share of one pool: a small stack of free blocks per size class (taken from and
 * returned to {@link FreeLists} a batch at a time), the thread's per-tag counters, and the chunk it
 * used last, laid out for the fast paths.
 *
 * <p><b>Implementation overview.</b> Only the owning thread touches the stacks while it is alive;
 * after it dies the pool may drain them ({@link Pool}'s reclaim path), which is safe because a
 * thread's termination happens-before another thread observing {@code !isAlive()}. Counters are
 * single-writer ({@link TagCount}); reports sum them across caches with opaque reads, exact once the
 * writers are quiescent (for example after {@code join}). Frees are counted by the thread that frees,
 * so one thread's bytes may be negative: only the sum means anything.
 *
 * <p>Layout for the fast paths (docs/performance.md "Pool"): what an allocation or a free of a block
 * in the thread's last chunk reads is one load away from this object: the class's {@link ClassStack}
 * (its stack and constants), the last tag's {@link TagCount}, and the last chunk's base, size,
 * segment and bookkeeping arrays, copied here from the {@link Chunk} ({@link #useChunk}) so that no
 * access goes through the chunk object first.
 *
 * <p>Progress: wait-free (single owner).
 */
final class ThreadCache {
    /** Blocks a class's stack holds before it spills a batch to the pool. */
    static final int CAPACITY = 2 * FreeLists.BATCH;
    static final int ALLOCS = 0;
    static final int FREES = 1;
    static final int BYTES = 2;
    /**
     * Per tag slot, beside the counters: the owner id of the last block of that tag this thread
     * allocated under a driver (poolmon's driver column; 0: none yet).
     */
    static final int OWNER = 3;
    /** Tag slots per counter block. */
    static final int BLOCK_SLOTS = 64;

    final Thread owner;
    /** Per size class, the thread's stack of the class; null until the thread first uses the class. */
    final ClassStack[] classes = new ClassStack[SizeClasses.NUM_CLASSES];
    /**
     * Per tag slot, the thread's counts, in blocks of {@link #BLOCK_SLOTS} slots made on first use (a
     * thread that uses a few tags holds a few small blocks, not the whole tag table).
     */
    final TagCount[][] counterBlocks = new TagCount[(TagTable.CAPACITY + 1 + BLOCK_SLOTS - 1) / BLOCK_SLOTS][];
    /** Set once the pool has drained this dead thread's stacks. */
    boolean drained;
    /**
     * The chunk of the last block this thread allocated or freed ({@link #useChunk}), for the slow paths,
     * and copies of its fields for the fast ones: chunks are immutable and stay mapped while the pool is
     * open. Null, and a size of 0, until the first one, so that no address matches. Only the owning thread
     * reads or writes them (the pool never clears them: the caches are the pool's alone, see
     * {@code Pool.caches}).
     */
    Chunk chunk;
    long chunkBase;
    long chunkSize;
    MemorySegment chunkSegment;
    int[] chunkInfo;
    short[] chunkPageKind;
    /**
     * The owner id of the driver whose code the owning thread runs now (0: none), recorded in every
     * block it allocates ({@link Pool#setThreadOwner}). Thread-confined.
     */
    char driverOwner;
    /** The last tag counted and its counts: most threads use one tag at a time. */
    int lastTag;
    TagCount lastCount;

    ThreadCache(Thread owner) {
        this.owner = owner;
    }

    /** Makes {@code c} the thread's last chunk. */
    void useChunk(Chunk c) {
        chunk = c;
        chunkBase = c.base;
        chunkSize = c.size;
        chunkSegment = c.segment;
        chunkInfo = c.info;
        chunkPageKind = c.pageKind;
    }

    /** Whether {@code address} lies in the thread's last chunk. */
    boolean inChunk(long address) {
        return address - chunkBase < chunkSize && address >= chunkBase;
    }

    /** The class's stack, made on first use. */
    ClassStack stack(int cls) {
        ClassStack s = classes[cls];
        return s != null ? s : (classes[cls] = new ClassStack(cls));
    }

    /** Blocks the class's stack holds. */
    int depth(int cls) {
        ClassStack s = classes[cls];
        return s == null ? 0 : s.depth;
    }

    /** Pops a cached block of class {@code cls}, or 0. */
    long pop(int cls) {
        ClassStack s = classes[cls];
        return s == null || s.depth == 0 ? 0 : s.pop();
    }

    /** Pushes {@code block}; the caller made room first. */
    void push(int cls, long block) {
        stack(cls).push(block);
    }

    /** Drops the class's blocks above {@code bottom} (a refill undone). */
    void truncate(int cls, int bottom) {
        stack(cls).depth = bottom;
    }

    /** Reverses the class's stack above {@code bottom}. */
    void reverse(int cls, int bottom) {
        ClassStack cs = stack(cls);
        long[] s = cs.blocks;
        for (int i = bottom, j = cs.depth - 1; i < j; i++, j--) {
            long t = s[i];
            s[i] = s[j];
            s[j] = t;
        }
    }

    /** The counts of {@code tag} (protected bit stripped), through the one-entry memo. */
    TagCount counts(TagTable tags, int tag) {
        TagCount c = lastCount;
        return tag == lastTag && c != null ? c : select(tags, tag);
    }

    /**
     * Counts an allocation of {@code bytes} under {@code tag} (protected bit stripped), made for the
     * driver with owner id {@code owner} (0: not a driver's own allocation, the owner is left alone).
     */
    void countAlloc(TagTable tags, int tag, long bytes, char owner) {
        counts(tags, tag).countAlloc(bytes, owner);
    }

    /** Counts a free of {@code bytes} under {@code tag} (protected bit stripped). */
    void countFree(TagTable tags, int tag, long bytes) {
        counts(tags, tag).countFree(bytes);
    }

    /** Points the one-entry memo at {@code tag}'s counts, making them (and their block) on first use. */
    private TagCount select(TagTable tags, int tag) {
        int slot = tags.slotOf(tag);
        int block = slot / BLOCK_SLOTS;
        TagCount[] b = counterBlocks[block]; // plain: only this thread writes the element
        if (b == null) {
            b = new TagCount[BLOCK_SLOTS];
            BLOCKS.setRelease(counterBlocks, block, b); // release: readers that see the block see it empty
        }
        TagCount c = b[slot % BLOCK_SLOTS]; // plain: only this thread writes the element
        if (c == null) {
            c = new TagCount();
            COUNTS.setRelease(b, slot % BLOCK_SLOTS, c); // release: readers that see it see its zeroed fields
        }
        lastTag = tag;
        lastCount = c;
        return c;
    }

    /** This thread's {@code what} ({@link #ALLOCS}, {@link #FREES}, {@link #BYTES}, {@link #OWNER}) of {@code slot}. */
    long read(int slot, int what) {
        TagCount[] b = (TagCount[]) BLOCKS.getAcquire(counterBlocks, slot / BLOCK_SLOTS); // acquire: pairs with the release in select()
        if (b == null) {
            return 0;
        }
        TagCount c = (TagCount) COUNTS.getAcquire(b, slot % BLOCK_SLOTS); // acquire: pairs with the release in select()
        return c == null ? 0 : c.read(what);
    }

    // ===== VarHandle mechanics =====
    private static final VarHandle BLOCKS = MethodHandles.arrayElementVarHandle(TagCount[][].class);
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(TagCount[].class);
}
