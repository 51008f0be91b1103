package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID CsqAcquireLock(PIO_CSQ Csq, PKIRQL Irql)}: takes the queue's lock and stores the IRQL to
 * restore in {@code *Irql} (a 1-byte segment).
 */
@FunctionalInterface
public interface IO_CSQ_ACQUIRE_LOCK {
    void call(MemorySegment Csq, MemorySegment Irql);
}
