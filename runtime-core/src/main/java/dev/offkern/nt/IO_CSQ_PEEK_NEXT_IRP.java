package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code PIRP CsqPeekNextIrp(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)}: the first queued IRP after
 * {@code Irp} (from the head when Irp is NULL) that matches PeekContext, or NULL (return
 * {@code MemorySegment.NULL}); must not remove it. Called with the queue's lock held.
 */
@FunctionalInterface
public interface IO_CSQ_PEEK_NEXT_IRP {
    MemorySegment call(MemorySegment Csq, MemorySegment Irp, MemorySegment PeekContext);
}
