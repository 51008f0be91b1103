package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code NTSTATUS CsqInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PVOID InsertContext)}: puts the IRP in the driver's
 * queue, or refuses with an error status (then the IRP is not queued and IoCsqInsertIrpEx returns that
 * status). Called with the queue's lock held.
 */
@FunctionalInterface
public interface IO_CSQ_INSERT_IRP_EX {
    int call(MemorySegment Csq, MemorySegment Irp, MemorySegment InsertContext);
}
