package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code NTSTATUS IoCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)}: a completion
 * routine (IoSetCompletionRoutine(Ex)), called by IoCompleteRequest from the bottom of the stack up,
 * at the completing thread's IRQL (≤ DISPATCH_LEVEL). DeviceObject is the device of the driver that
 * set the routine (NULL segment when the IRP's originator set it in the first stack location).
 * Returning STATUS_MORE_PROCESSING_REQUIRED stops the completion: the driver owns the IRP again;
 * anything else (STATUS_CONTINUE_COMPLETION) continues it. Context is a zero-length segment carrying
 * the address given.
 */
@FunctionalInterface
public interface IO_COMPLETION_ROUTINE {
    int call(MemorySegment DeviceObject, MemorySegment Irp, MemorySegment Context);
}
