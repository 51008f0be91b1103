package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * IoConnectInterruptEx's parameter block: the version selects the union arm.
 * <pre>{@code
 * typedef struct _IO_CONNECT_INTERRUPT_PARAMETERS {
 *   ULONG Version;
 *   union {
 *     IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS FullySpecified;
 *     IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS LineBased;
 *     IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS MessageBased;
 *   };
 * } IO_CONNECT_INTERRUPT_PARAMETERS, *PIO_CONNECT_INTERRUPT_PARAMETERS;
 * }</pre>
 */
public final class IO_CONNECT_INTERRUPT_PARAMETERS {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: CONNECT_FULLY_SPECIFIED (1), CONNECT_LINE_BASED (2), CONNECT_MESSAGE_BASED (3), ... */
    public static final long VERSION_OFFSET = X64.offset("Version");
    /** IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS: the fully specified arm. */
    public static final long FULLY_SPECIFIED_OFFSET = X64.offset("FullySpecified");
    /** IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS: the line-based arm. */
    public static final long LINE_BASED_OFFSET = X64.offset("LineBased");
    /** IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS: the message-based arm. */
    public static final long MESSAGE_BASED_OFFSET = X64.offset("MessageBased");

    private IO_CONNECT_INTERRUPT_PARAMETERS() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("IO_CONNECT_INTERRUPT_PARAMETERS", abi)
                .field("Version", CType.ULONG)
                .union(null, u -> u
                        .field("FullySpecified", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.of(abi))
                        .field("LineBased", IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.of(abi))
                        .field("MessageBased", IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.of(abi)))
                .build();
    }
}
