package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * IoDisconnectInterruptEx's parameter block: the version IoConnectInterruptEx returned and what it
 * returned in ConnectionContext (the KINTERRUPT, or the message table).
 * <pre>{@code
 * typedef struct _IO_DISCONNECT_INTERRUPT_PARAMETERS {
 *   ULONG Version;
 *   union {
 *     PVOID Generic;
 *     PKINTERRUPT InterruptObject;
 *     PIO_INTERRUPT_MESSAGE_INFO InterruptMessageTable;
 *   } ConnectionContext;
 * } IO_DISCONNECT_INTERRUPT_PARAMETERS, *PIO_DISCONNECT_INTERRUPT_PARAMETERS;
 * }</pre>
 */
public final class IO_DISCONNECT_INTERRUPT_PARAMETERS {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: the Version IoConnectInterruptEx returned. */
    public static final long VERSION_OFFSET = X64.offset("Version");
    /** union: the KINTERRUPT (fully specified, line based) or the IO_INTERRUPT_MESSAGE_INFO (message based). */
    public static final long CONNECTION_CONTEXT_OFFSET = X64.offset("ConnectionContext");

    private IO_DISCONNECT_INTERRUPT_PARAMETERS() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("IO_DISCONNECT_INTERRUPT_PARAMETERS", abi)
                .field("Version", CType.ULONG)
                .union("ConnectionContext", u -> u.field("Generic", CType.PVOID)
                        .field("InterruptObject", CType.pointer("PKINTERRUPT"))
                        .field("InterruptMessageTable", CType.pointer("PIO_INTERRUPT_MESSAGE_INFO")))
                .build();
    }
}
