package dev.offkern.ddi;

import java.lang.foreign.MemorySegment;

/**
 * Security reference monitor routines ({@code Se*}) under their verbatim names. So far the exported
 * type variable: C's {@code *SeTokenObjectType} is {@code SeTokenObjectType()} here.
 */
public final class Se {
    private Se() {
    }

    /** {@code *SeTokenObjectType}: the Token object type. IRQL: any. */
    public static MemorySegment SeTokenObjectType() {
        try {
            return Ob.objects().tokenType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }
}
