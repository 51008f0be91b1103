package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LARGE_INTEGER;

import java.lang.foreign.StructLayout;

/**
 * One message-signalled interrupt of a device, as IoConnectInterruptEx (CONNECT_MESSAGE_BASED)
 * describes it in the IO_INTERRUPT_MESSAGE_INFO table it returns.
 * <pre>{@code
 * typedef struct _IO_INTERRUPT_MESSAGE_INFO_ENTRY {
 *   PHYSICAL_ADDRESS MessageAddress;
 *   KAFFINITY TargetProcessorSet;
 *   PKINTERRUPT InterruptObject;
 *   ULONG MessageData;
 *   ULONG Vector;
 *   KIRQL Irql;
 *   KINTERRUPT_MODE Mode;
 *   KINTERRUPT_POLARITY Polarity;
 * } IO_INTERRUPT_MESSAGE_INFO_ENTRY, *PIO_INTERRUPT_MESSAGE_INFO_ENTRY;
 * }</pre>
 */
public final class IO_INTERRUPT_MESSAGE_INFO_ENTRY {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PHYSICAL_ADDRESS: where the device writes the message. */
    public static final long MESSAGE_ADDRESS_OFFSET = X64.offset("MessageAddress");
    /** KAFFINITY: the processors the message may interrupt. */
    public static final long TARGET_PROCESSOR_SET_OFFSET = X64.offset("TargetProcessorSet");
    /** PKINTERRUPT: the interrupt object of this message. */
    public static final long INTERRUPT_OBJECT_OFFSET = X64.offset("InterruptObject");
    /** ULONG: the value the device writes. */
    public static final long MESSAGE_DATA_OFFSET = X64.offset("MessageData");
    /** ULONG: the message's interrupt vector. */
    public static final long VECTOR_OFFSET = X64.offset("Vector");
    /** KIRQL: the message's device IRQL. */
    public static final long IRQL_OFFSET = X64.offset("Irql");
    /** KINTERRUPT_MODE (enum). */
    public static final long MODE_OFFSET = X64.offset("Mode");
    /** KINTERRUPT_POLARITY (enum). */
    public static final long POLARITY_OFFSET = X64.offset("Polarity");

    private IO_INTERRUPT_MESSAGE_INFO_ENTRY() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("IO_INTERRUPT_MESSAGE_INFO_ENTRY", abi)
                .field("MessageAddress", LARGE_INTEGER.of(abi))
                .field("TargetProcessorSet", CType.KAFFINITY)
                .field("InterruptObject", CType.pointer("PKINTERRUPT"))
                .field("MessageData", CType.ULONG)
                .field("Vector", CType.ULONG)
                .field("Irql", CType.KIRQL)
                .field("Mode", CType.ENUM)
                .field("Polarity", CType.ENUM)
                .build();
    }
}
