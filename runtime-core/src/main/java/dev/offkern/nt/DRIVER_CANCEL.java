package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID CancelXxx(PDEVICE_OBJECT DeviceObject, PIRP Irp)}: an IRP's cancel routine (IoSetCancelRoutine).
 * IoCancelIrp calls it at DISPATCH_LEVEL holding the cancel spin lock, which the routine must release
 * with {@code IoReleaseCancelSpinLock(Irp->CancelIrql)}; it then completes the IRP with
 * STATUS_CANCELLED. DeviceObject is the IRP's current stack location's device (NULL segment if none).
 */
@FunctionalInterface
public interface DRIVER_CANCEL {
    void call(MemorySegment DeviceObject, MemorySegment Irp);
}
