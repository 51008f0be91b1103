package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The final status of an I/O request and its request-specific information (bytes transferred, ...).
 * <pre>{@code
 * typedef struct _IO_STATUS_BLOCK {
 *   union {
 *     NTSTATUS Status;
 *     PVOID Pointer;
 *   };
 *   ULONG_PTR Information;
 * } IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;
 * }</pre>
 */
public final class IO_STATUS_BLOCK {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** NTSTATUS: the completion status. */
    public static final long STATUS_OFFSET = X64.offset("Status");
    /** PVOID: reserved, overlays Status. */
    public static final long POINTER_OFFSET = X64.offset("Pointer");
    /** ULONG_PTR: request-specific (bytes transferred for reads and writes). */
    public static final long INFORMATION_OFFSET = X64.offset("Information");

    private IO_STATUS_BLOCK() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("IO_STATUS_BLOCK", abi)
                .union(null, u -> u.field("Status", CType.NTSTATUS).field("Pointer", CType.PVOID))
                .field("Information", CType.ULONG_PTR)
                .build();
    }
}
