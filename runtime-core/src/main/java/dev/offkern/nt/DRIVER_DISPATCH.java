package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code NTSTATUS DispatchXxx(PDEVICE_OBJECT DeviceObject, PIRP Irp)}: a major function's dispatch routine
 * (DRIVER_OBJECT.MajorFunction[]), called by IoCallDriver with the IRP's current stack location set up
 * for this device. Returns the IRP's status, or STATUS_PENDING after IoMarkIrpPending. Runs at the
 * caller's IRQL (PASSIVE_LEVEL .. DISPATCH_LEVEL). Both arguments are bounded segments.
 */
@FunctionalInterface
public interface DRIVER_DISPATCH {
    int call(MemorySegment DeviceObject, MemorySegment Irp);
}
