package dev.offkern.ddi;

import java.lang.foreign.MemorySegment;

/**
 * Process and thread routines ({@code Ps*}) under their verbatim names. So far the exported type
 * variables: C's {@code *PsProcessType} is {@code PsProcessType()} here, the current kernel's
 * POBJECT_TYPE.
 */
public final class Ps {
    private Ps() {
    }

    /** {@code *PsProcessType}: the Process object type. IRQL: any. */
    public static MemorySegment PsProcessType() {
        try {
            return Ob.objects().processType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code *PsThreadType}: the Thread object type. IRQL: any. */
    public static MemorySegment PsThreadType() {
        try {
            return Ob.objects().threadType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }
}
