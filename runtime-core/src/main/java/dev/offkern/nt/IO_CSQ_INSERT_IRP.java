package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID CsqInsertIrp(PIO_CSQ Csq, PIRP Irp)}: puts the IRP in the driver's queue. Called with the
 * queue's lock held (CsqAcquireLock).
 */
@FunctionalInterface
public interface IO_CSQ_INSERT_IRP {
    void call(MemorySegment Csq, MemorySegment Irp);
}
