package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID CsqRemoveIrp(PIO_CSQ Csq, PIRP Irp)}: unlinks the IRP from the driver's queue. Called with the
 * queue's lock held.
 */
@FunctionalInterface
public interface IO_CSQ_REMOVE_IRP {
    void call(MemorySegment Csq, MemorySegment Irp);
}
