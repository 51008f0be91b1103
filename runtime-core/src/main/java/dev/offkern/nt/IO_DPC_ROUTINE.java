package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID DpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)}: the
 * DPC routine a driver registers with IoInitializeDpcRequest and an ISR requests with IoRequestDpc.
 * It is the device object's KDPC routine: DeferredContext is the device object, the two system
 * arguments IoRequestDpc's Irp and Context — so it is a {@link KDEFERRED_ROUTINE} with these names.
 * Called at DISPATCH_LEVEL.
 */
@FunctionalInterface
public interface IO_DPC_ROUTINE extends KDEFERRED_ROUTINE {
}
