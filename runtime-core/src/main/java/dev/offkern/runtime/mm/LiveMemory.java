package dev.offkern.runtime.mm;

import java.lang.foreign.MemorySegment;

/**
 * The check that a caller's segment is still mapped, for the routines that work on caller memory
 * directly (initialising a KEVENT or a spin lock, reading an RTL_BITMAP header) rather than through
 * a kernel's address space.
 *
 * <p>A segment whose scope is no longer alive was unmapped: it came from the pool of a kernel that
 * has since been closed (pool memory is unmapped only by {@code Kernel.close()}), or from an arena
 * its owner closed. FFM would report a bare "Already closed" at the first access; this says which
 * routine, which parameter and why, as an {@link IllegalStateException}.
 *
 * <p>Progress: wait-free (one read of the scope's state); no allocation unless it throws.
 */
public final class LiveMemory {
    private LiveMemory() {
    }

    /**
     * Returns {@code segment} if its memory is still mapped (or it is null, for the caller's own
     * null check to report).
     *
     * @param routine   the DDI routine, for the message
     * @param parameter what the segment is (its C parameter name or structure)
     * @throws IllegalStateException if the memory was unmapped
     */
    public static MemorySegment require(MemorySegment segment, String routine, String parameter) {
        if (segment != null && !segment.scope().isAlive()) {
            throw unmapped(segment, routine, parameter);
        }
        return segment;
    }

    /** The exception for {@code segment}, which is no longer mapped. */
    public static IllegalStateException unmapped(MemorySegment segment, String routine, String parameter) {
        return new IllegalStateException(routine + ": " + parameter + " at 0x" + Long.toHexString(segment.address())
                + " is unmapped memory: the offkern kernel whose pool it came from is closed (Kernel.close() has run),"
                + " or the arena that allocated it was closed");
    }
}
