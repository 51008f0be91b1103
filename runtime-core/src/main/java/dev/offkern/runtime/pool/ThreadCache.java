package dev.offkern.runtime.pool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One thread's share of one pool: a small stack of free blocks per size class (taken from and
 * returned to {@link FreeLists} a batch at a time) and the thread's per-tag counters.
 *
 * <p><b>Implementation overview.</b> Only the owning thread touches the stacks while it is alive;
 * after it dies the pool may drain them ({@link Pool}'s reclaim path), which is safe because a
 * thread's termination happens-before another thread observing {@code !isAlive()}. Counters are
 * single-writer: the owner updates them with plain reads and opaque writes (no tearing, no fence);
 * reports sum them across caches with opaque reads, exact once the writers are quiescent (for
 * example after {@code join}). Frees are counted by the thread that frees, so one thread's bytes
 * may be negative: only the sum means anything.
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
    /** Longs per tag slot in a counter block: ALLOCS, FREES, BYTES, OWNER. */
    private static final int PER_SLOT = 4;
    /** Tag slots per counter block. */
    static final int BLOCK_SLOTS = 64;

    final Thread owner;
    final long[][] stacks = new long[SizeClasses.NUM_CLASSES][];
    final int[] depth = new int[SizeClasses.NUM_CLASSES];
    /**
     * Per tag slot: allocations, frees, net bytes, in blocks of {@link #BLOCK_SLOTS} slots made on
     * first use (a thread that uses a few tags holds a few small blocks, not the whole tag table).
     */
    final long[][] counterBlocks = new long[(TagTable.CAPACITY + 1 + BLOCK_SLOTS - 1) / BLOCK_SLOTS][];
    /** Set once the pool has drained this dead thread's stacks. */
    boolean drained;
    /** The chunk of the last block this thread allocated (chunks are immutable and never unmapped while open). */
    Chunk lastChunk;
    /**
     * The owner id of the driver whose code the owning thread runs now (0: none), recorded in every
     * block it allocates ({@link Pool#setThreadOwner}). Thread-confined.
     */
    char driverOwner;
    /** The last tag counted, its counter block and its index there: most threads use one tag at a time. */
    int lastTag;
    long[] lastBlock;
    int lastIndex;

    ThreadCache(Thread owner) {
        this.owner = owner;
    }

    /** Pops a cached block of class {@code cls}, or 0. */
    long pop(int cls) {
        int d = depth[cls];
        if (d == 0) {
            return 0;
        }
        depth[cls] = d - 1;
        return stacks[cls][d - 1];
    }

    /** Whether the class's stack is full. */
    boolean full(int cls) {
        return depth[cls] == CAPACITY;
    }

    /** Pushes {@code block}; the caller made room first. */
    void push(int cls, long block) {
        long[] s = stacks[cls];
        if (s == null) {
            s = new long[CAPACITY];
            stacks[cls] = s;
        }
        s[depth[cls]++] = block;
    }

    /** Reverses the class's stack above {@code bottom}. */
    void reverse(int cls, int bottom) {
        long[] s = stacks[cls];
        for (int i = bottom, j = depth[cls] - 1; i < j; i++, j--) {
            long t = s[i];
            s[i] = s[j];
            s[j] = t;
        }
    }

    /**
     * Counts an allocation of {@code bytes} under {@code tag} (protected bit stripped), made for the
     * driver with owner id {@code owner} (0: not a driver's own allocation, the owner is left alone).
     */
    void countAlloc(TagTable tags, int tag, long bytes, char owner) {
        if (tag != lastTag || lastBlock == null) {
            select(tags, tag);
        }
        long[] b = lastBlock;
        int i = lastIndex;
        add(b, i + ALLOCS, 1);
        add(b, i + BYTES, bytes);
        if (owner != 0) {
            COUNTERS.setOpaque(b, i + OWNER, (long) owner); // opaque: single writer; tagOwners() reads it with getOpaque
        }
    }

    /** Counts a free of {@code bytes} under {@code tag} (protected bit stripped). */
    void countFree(TagTable tags, int tag, long bytes) {
        if (tag != lastTag || lastBlock == null) {
            select(tags, tag);
        }
        long[] b = lastBlock;
        int i = lastIndex;
        add(b, i + FREES, 1);
        add(b, i + BYTES, -bytes);
    }

    /** Points the one-entry memo at {@code tag}'s counters, making their block on first use. */
    private void select(TagTable tags, int tag) {
        int slot = tags.slotOf(tag);
        int block = slot / BLOCK_SLOTS;
        long[] b = counterBlocks[block]; // plain: only this thread writes the element
        if (b == null) {
            b = new long[BLOCK_SLOTS * PER_SLOT];
            BLOCKS.setRelease(counterBlocks, block, b); // release: readers that see the block see it zeroed
        }
        lastTag = tag;
        lastBlock = b;
        lastIndex = (slot % BLOCK_SLOTS) * PER_SLOT;
    }

    private static void add(long[] b, int i, long delta) {
        COUNTERS.setOpaque(b, i, b[i] + delta); // opaque: single writer (no lost update), readers use getOpaque (no tearing)
    }

    /** This thread's {@code what} ({@link #ALLOCS}, {@link #FREES}, {@link #BYTES}, {@link #OWNER}) of {@code slot}. */
    long read(int slot, int what) {
        long[] b = (long[]) BLOCKS.getAcquire(counterBlocks, slot / BLOCK_SLOTS); // acquire: pairs with the release in select()
        return b == null ? 0 : (long) COUNTERS.getOpaque(b, (slot % BLOCK_SLOTS) * PER_SLOT + what); // opaque: pairs with add()
    }

    // ===== VarHandle mechanics =====
    private static final VarHandle COUNTERS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle BLOCKS = MethodHandles.arrayElementVarHandle(long[][].class);
}
