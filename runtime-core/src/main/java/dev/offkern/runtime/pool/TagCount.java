package dev.offkern.runtime.pool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One thread's counts for one tag slot of one pool: allocations, frees, net bytes, and the owner id of
 * the last block of the tag it allocated under a driver (poolmon's driver column; 0: none yet).
 *
 * <p>Single writer (the owning thread), many readers: the writer updates each field with a plain read
 * and an opaque write (no lost update, since it is the only writer; no tearing; no fence), readers use
 * opaque reads ({@link ThreadCache#read}) and are exact once the writer is quiescent. Fields rather than
 * array elements: the fast paths update them with no index check.
 *
 * <p>Progress: wait-free.
 */
final class TagCount {
    long allocs;
    long frees;
    long bytes;
    long owner;

    /** Counts an allocation of {@code size} bytes for the driver {@code driver} (0: owner left alone). */
    void countAlloc(long size, char driver) {
        ALLOCS.setOpaque(this, allocs + 1); // opaque: single writer; readers use getOpaque (no tearing)
        BYTES.setOpaque(this, bytes + size); // opaque: as above
        if (driver != 0) {
            OWNER.setOpaque(this, (long) driver); // opaque: as above
        }
    }

    /** Counts a free of {@code size} bytes. */
    void countFree(long size) {
        FREES.setOpaque(this, frees + 1); // opaque: single writer; readers use getOpaque (no tearing)
        BYTES.setOpaque(this, bytes - size); // opaque: as above
    }

    /** {@link ThreadCache#ALLOCS}, {@link ThreadCache#FREES}, {@link ThreadCache#BYTES} or {@link ThreadCache#OWNER}, read opaque. */
    long read(int what) {
        return switch (what) { // opaque reads: pair with the writer's opaque writes
            case ThreadCache.ALLOCS -> (long) ALLOCS.getOpaque(this);
            case ThreadCache.FREES -> (long) FREES.getOpaque(this);
            case ThreadCache.BYTES -> (long) BYTES.getOpaque(this);
            case ThreadCache.OWNER -> (long) OWNER.getOpaque(this);
            default -> throw new IllegalArgumentException("no counter " + what);
        };
    }

    // ===== VarHandle mechanics =====
    private static final VarHandle ALLOCS;
    private static final VarHandle FREES;
    private static final VarHandle BYTES;
    private static final VarHandle OWNER;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ALLOCS = l.findVarHandle(TagCount.class, "allocs", long.class);
            FREES = l.findVarHandle(TagCount.class, "frees", long.class);
            BYTES = l.findVarHandle(TagCount.class, "bytes", long.class);
            OWNER = l.findVarHandle(TagCount.class, "owner", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
