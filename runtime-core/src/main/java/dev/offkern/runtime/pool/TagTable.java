package dev.offkern.runtime.pool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Maps a pool tag to a small slot number for the per-tag counters. Open addressing over a fixed
 * table of {@link #CAPACITY} slots; a tag is never removed. Tags beyond {@link #MAX_TAGS} share the
 * {@link #OVERFLOW} slot (reported as tag {@code "?ovf"}).
 *
 * <p><b>Implementation overview.</b> Lookups are lock-free: a slot's key is written first, then its
 * state is set with release semantics; readers read the state with acquire and then the key.
 * Insertion takes the table's monitor (first use of a tag only).
 *
 * <p>Progress: {@link #slotOf} is lock-free for known tags, blocking on first use of a tag.
 */
final class TagTable {
    static final int CAPACITY = 32768;
    static final int OVERFLOW = CAPACITY;
    /**
     * Tags the table takes before later tags go to {@link #OVERFLOW}: three quarters of the slots, so
     * that a probe for an unknown tag meets an empty slot after a few steps even when the table is
     * full (at one empty slot left, every miss would walk half the table).
     */
    static final int MAX_TAGS = CAPACITY / 4 * 3;
    private static final int MASK = CAPACITY - 1;

    private final int[] keys = new int[CAPACITY];
    private final int[] state = new int[CAPACITY];
    private int count;
    /** Set (under the monitor) once {@link #MAX_TAGS} tags are in: a miss then goes to the overflow slot without locking. */
    private volatile boolean full;

    /** The slot of {@code tag} (protected bit already stripped by the caller). */
    int slotOf(int tag) {
        int i = mix(tag) & MASK;
        for (int probes = 0; probes < CAPACITY; probes++) {
            if ((int) STATE.getAcquire(state, i) == 0) { // acquire: pairs with the release in insert()
                return full ? OVERFLOW : insert(tag); // volatile read of full: set once, under the monitor
            }
            if (keys[i] == tag) {
                return i;
            }
            i = (i + 1) & MASK;
        }
        return OVERFLOW;
    }

    private synchronized int insert(int tag) {
        int i = mix(tag) & MASK;
        for (int probes = 0; probes < CAPACITY; probes++) {
            if (state[i] == 0) {
                if (count == MAX_TAGS) {
                    full = true; // volatile write: later misses skip the monitor
                    return OVERFLOW; // keep a quarter of the slots empty so that probes stay short
                }
                keys[i] = tag;
                STATE.setRelease(state, i, 1); // release: publishes keys[i] to lock-free readers
                count++;
                return i;
            }
            if (keys[i] == tag) {
                return i;
            }
            i = (i + 1) & MASK;
        }
        return OVERFLOW;
    }

    /** The tag in {@code slot}, or 0 with {@code used == false}. */
    boolean used(int slot) {
        return slot < CAPACITY && (int) STATE.getAcquire(state, slot) != 0; // acquire: see insert()
    }

    int tagAt(int slot) {
        return keys[slot];
    }

    private static int mix(int tag) {
        int h = tag * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    // ===== VarHandle mechanics =====
    private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(int[].class);
}
