package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID CsqCompleteCanceledIrp(PIO_CSQ Csq, PIRP Irp)}: completes a cancelled IRP that the
 * queue already removed (CsqRemoveIrp), normally with STATUS_CANCELLED and IoCompleteRequest. Called
 * without the queue's lock, exactly once per cancelled queued IRP.
 */
@FunctionalInterface
public interface IO_CSQ_COMPLETE_CANCELED_IRP {
    void call(MemorySegment Csq, MemorySegment Irp);
}
