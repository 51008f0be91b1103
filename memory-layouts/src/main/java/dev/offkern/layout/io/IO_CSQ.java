package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A cancel-safe IRP queue: the driver's six callbacks. Declaration-only (no PDB): checked against
 * mingw-w64's csq.h.
 * <pre>{@code
 * typedef struct _IO_CSQ {
 *   ULONG Type;
 *   PIO_CSQ_INSERT_IRP CsqInsertIrp;
 *   PIO_CSQ_REMOVE_IRP CsqRemoveIrp;
 *   PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp;
 *   PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock;
 *   PIO_CSQ_RELEASE_LOCK CsqReleaseLock;
 *   PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp;
 *   PVOID ReservePointer;
 * } IO_CSQ, *PIO_CSQ;
 * }</pre>
 */
public final class IO_CSQ {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: IO_TYPE_CSQ (2), IO_TYPE_CSQ_EX (3) when CsqInsertIrp is an insert-ex routine. */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** PIO_CSQ_INSERT_IRP (or PIO_CSQ_INSERT_IRP_EX): queues an IRP. */
    public static final long CSQ_INSERT_IRP_OFFSET = X64.offset("CsqInsertIrp");
    /** PIO_CSQ_REMOVE_IRP: unlinks an IRP. */
    public static final long CSQ_REMOVE_IRP_OFFSET = X64.offset("CsqRemoveIrp");
    /** PIO_CSQ_PEEK_NEXT_IRP: finds the next matching IRP. */
    public static final long CSQ_PEEK_NEXT_IRP_OFFSET = X64.offset("CsqPeekNextIrp");
    /** PIO_CSQ_ACQUIRE_LOCK: takes the queue lock. */
    public static final long CSQ_ACQUIRE_LOCK_OFFSET = X64.offset("CsqAcquireLock");
    /** PIO_CSQ_RELEASE_LOCK: drops the queue lock. */
    public static final long CSQ_RELEASE_LOCK_OFFSET = X64.offset("CsqReleaseLock");
    /** PIO_CSQ_COMPLETE_CANCELED_IRP: completes a cancelled IRP. */
    public static final long CSQ_COMPLETE_CANCELED_IRP_OFFSET = X64.offset("CsqCompleteCanceledIrp");
    /** PVOID: reserved (the cancel-safe queue internals). */
    public static final long RESERVE_POINTER_OFFSET = X64.offset("ReservePointer");
    /** IO_CSQ.Type for IoCsqInitialize. */
    public static final int IO_TYPE_CSQ = 2;
    /** IO_CSQ.Type for IoCsqInitializeEx. */
    public static final int IO_TYPE_CSQ_EX = 3;

    private IO_CSQ() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("IO_CSQ", abi)
                .field("Type", CType.ULONG)
                .field("CsqInsertIrp", CType.pointer("PIO_CSQ_INSERT_IRP"))
                .field("CsqRemoveIrp", CType.pointer("PIO_CSQ_REMOVE_IRP"))
                .field("CsqPeekNextIrp", CType.pointer("PIO_CSQ_PEEK_NEXT_IRP"))
                .field("CsqAcquireLock", CType.pointer("PIO_CSQ_ACQUIRE_LOCK"))
                .field("CsqReleaseLock", CType.pointer("PIO_CSQ_RELEASE_LOCK"))
                .field("CsqCompleteCanceledIrp", CType.pointer("PIO_CSQ_COMPLETE_CANCELED_IRP"))
                .field("ReservePointer", CType.PVOID)
                .build();
    }
}
