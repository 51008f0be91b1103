package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The table of a device's message-signalled interrupts that IoConnectInterruptEx
 * (CONNECT_MESSAGE_BASED) returns in {@code ConnectionContext.InterruptMessageTable}: a header and
 * {@code MessageCount} entries (declared {@code [1]}, allocated for all).
 * <pre>{@code
 * typedef struct _IO_INTERRUPT_MESSAGE_INFO {
 *   KIRQL UnifiedIrql;
 *   ULONG MessageCount;
 *   IO_INTERRUPT_MESSAGE_INFO_ENTRY MessageInfo[1];
 * } IO_INTERRUPT_MESSAGE_INFO, *PIO_INTERRUPT_MESSAGE_INFO;
 * }</pre>
 */
public final class IO_INTERRUPT_MESSAGE_INFO {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** KIRQL: the one IRQL every message's ISR runs at (the highest message IRQL). */
    public static final long UNIFIED_IRQL_OFFSET = X64.offset("UnifiedIrql");
    /** ULONG: the number of entries. */
    public static final long MESSAGE_COUNT_OFFSET = X64.offset("MessageCount");
    /** IO_INTERRUPT_MESSAGE_INFO_ENTRY[MessageCount]: the first entry. */
    public static final long MESSAGE_INFO_OFFSET = X64.offset("MessageInfo");

    private IO_INTERRUPT_MESSAGE_INFO() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("IO_INTERRUPT_MESSAGE_INFO", abi)
                .field("UnifiedIrql", CType.KIRQL)
                .field("MessageCount", CType.ULONG)
                .array("MessageInfo", IO_INTERRUPT_MESSAGE_INFO_ENTRY.of(abi), 1)
                .build();
    }
}
