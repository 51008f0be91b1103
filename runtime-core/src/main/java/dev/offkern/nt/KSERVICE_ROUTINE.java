package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code BOOLEAN InterruptService(PKINTERRUPT Interrupt, PVOID ServiceContext)}: a line-based
 * interrupt's service routine (ISR). Called at the interrupt's SynchronizeIrql (a device IRQL)
 * holding the interrupt's spin lock; returns TRUE if its device raised the interrupt (on a shared
 * vector the next routine is called only when this one returns FALSE). {@code Interrupt} is a
 * bounded segment over the KINTERRUPT; {@code ServiceContext} carries the address given.
 */
@FunctionalInterface
public interface KSERVICE_ROUTINE {
    boolean call(MemorySegment Interrupt, MemorySegment ServiceContext);
}
