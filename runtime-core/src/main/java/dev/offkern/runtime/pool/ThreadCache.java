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

    final Thread owner;
    final long[][] stacks = new long[SizeClasses.NUM_CLASSES][];
    final int[] depth = new int[SizeClasses.NUM_CLASSES];
    /** Per tag slot: allocations, frees, net bytes. */
    final long[] counters = new long[(TagTable.CAPACITY + 1) * 3];
    /** Set once the pool has drained this dead thread's stacks. */
    boolean drained;
    /** The chunk of the last block this thread allocated (chunks are immutable and never unmapped while open). */
    Chunk lastChunk;
    /**
     * The owner id of the driver whose code the owning thread runs now (0: none), recorded in every
     * block it allocates ({@link Pool#setThreadOwner}). Thread-confined.
     */
    char driverOwner;
    /** Per tag slot: the owner of the last block of that tag this thread allocated under a driver (poolmon's driver column). */
    final char[] tagOwner = new char[TagTable.CAPACITY + 1];
    /** The last tag looked up and its slot: most threads use one tag at a time. */
    int lastTag;
    int lastSlot = -1;

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

    /** The counter slot of {@code tag} (protected bit stripped), through a one-entry memo. */
    int slot(TagTable tags, int tag) {
        if (tag == lastTag && lastSlot >= 0) {
            return lastSlot;
        }
        int slot = tags.slotOf(tag);
        lastTag = tag;
        lastSlot = slot;
        return slot;
    }

    void countAlloc(int slot, long bytes) {
        add(slot * 3 + ALLOCS, 1);
        add(slot * 3 + BYTES, bytes);
    }

    void countFree(int slot, long bytes) {
        add(slot * 3 + FREES, 1);
        add(slot * 3 + BYTES, -bytes);
    }

    private void add(int i, long delta) {
        COUNTERS.setOpaque(counters, i, counters[i] + delta); // opaque: single writer, readers use getOpaque
    }

    long read(int slot, int what) {
        return (long) COUNTERS.getOpaque(counters, slot * 3 + what); // opaque: pairs with add()
    }

    // ===== VarHandle mechanics =====
    private static final VarHandle COUNTERS = MethodHandles.arrayElementVarHandle(long[].class);
}
