package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID CsqReleaseLock(PIO_CSQ Csq, KIRQL Irql)}: releases the queue's lock, back to the IRQL
 * CsqAcquireLock stored.
 */
@FunctionalInterface
public interface IO_CSQ_RELEASE_LOCK {
    void call(MemorySegment Csq, int Irql);
}
