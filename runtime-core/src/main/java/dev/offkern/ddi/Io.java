package dev.offkern.ddi;

import java.lang.foreign.MemorySegment;

/**
 * I/O-manager routines ({@code Io*}) under their verbatim names. So far the exported type variables:
 * C's {@code *IoFileObjectType} is {@code IoFileObjectType()} here, the current kernel's POBJECT_TYPE.
 */
public final class Io {
    private Io() {
    }

    /** {@code *IoFileObjectType}: the File object type. IRQL: any. */
    public static MemorySegment IoFileObjectType() {
        try {
            return Ob.objects().fileType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code *IoDeviceObjectType}: the Device object type. IRQL: any. */
    public static MemorySegment IoDeviceObjectType() {
        try {
            return Ob.objects().deviceType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code *IoDriverObjectType}: the Driver object type. IRQL: any. */
    public static MemorySegment IoDriverObjectType() {
        try {
            return Ob.objects().driverType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }
}
