package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * Links a pended IRP and its cancel-safe queue, so that the IRP can be removed by context.
 * <pre>{@code
 * typedef struct _IO_CSQ_IRP_CONTEXT {
 *   ULONG Type;
 *   struct _IRP *Irp;
 *   struct _IO_CSQ *Csq;
 * } IO_CSQ_IRP_CONTEXT, *PIO_CSQ_IRP_CONTEXT;
 * }</pre>
 */
public final class IO_CSQ_IRP_CONTEXT {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: IO_TYPE_CSQ_IRP_CONTEXT (1). */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** PIRP: the queued IRP, or NULL once removed. */
    public static final long IRP_OFFSET = X64.offset("Irp");
    /** PIO_CSQ: the queue. */
    public static final long CSQ_OFFSET = X64.offset("Csq");
    /** IO_CSQ_IRP_CONTEXT.Type. */
    public static final int IO_TYPE_CSQ_IRP_CONTEXT = 1;

    private IO_CSQ_IRP_CONTEXT() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("IO_CSQ_IRP_CONTEXT", abi)
                .field("Type", CType.ULONG)
                .field("Irp", CType.pointer("PIRP"))
                .field("Csq", CType.pointer("PIO_CSQ"))
                .build();
    }
}
