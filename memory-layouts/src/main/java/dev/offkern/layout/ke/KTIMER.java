package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * A kernel timer (a dispatcher object), Windows 10 22H2's layout. Since Windows 10 2004 (19041; 22H2
 * is 19045) the x64 kernel splits the old {@code ULONG Processor} at 0x38 into {@code USHORT Processor}
 * (0x38) + {@code USHORT TimerType} (0x3A), as its symbols show and as Windows 11 keeps it; Windows 8.1
 * to 10 1909, and mingw-w64's header, have the ULONG ({@link #legacyX64()}). x86 has no processor
 * field (0x28 bytes; Period at 0x24).
 * <pre>{@code
 * typedef struct _KTIMER {
 *   DISPATCHER_HEADER Header;
 *   ULARGE_INTEGER DueTime;
 *   LIST_ENTRY TimerListEntry;
 *   struct _KDPC *Dpc;
 * #if !defined(_X86_)
 *   USHORT Processor;
 *   USHORT TimerType;
 * #endif
 *   ULONG Period;
 * } KTIMER, *PKTIMER, *PRKTIMER;
 * }</pre>
 */
public final class KTIMER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** DISPATCHER_HEADER: type TimerNotificationObject/TimerSynchronizationObject, signal state. */
    public static final long HEADER_OFFSET = X64.offset("Header");
    /** ULARGE_INTEGER, 100 ns: absolute interrupt time at which the timer expires. */
    public static final long DUE_TIME_OFFSET = X64.offset("DueTime");
    /** LIST_ENTRY: link in the timer table while inserted. */
    public static final long TIMER_LIST_ENTRY_OFFSET = X64.offset("TimerListEntry");
    /** PKDPC: the DPC queued at expiry, or NULL. */
    public static final long DPC_OFFSET = X64.offset("Dpc");
    /** USHORT (x64 only): the processor whose timer table holds the timer. */
    public static final long PROCESSOR_OFFSET = X64.offset("Processor");
    /** USHORT (x64 only): the timer's type (notification/synchronization), kept beside Processor. */
    public static final long TIMER_TYPE_OFFSET = X64.offset("TimerType");
    /** ULONG, ms: the re-arm period, 0 for a one-shot timer. */
    public static final long PERIOD_OFFSET = X64.offset("Period");

    private KTIMER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    /**
     * The x64 layout of Windows 10 2004+ and Windows 11 (22000+): USHORT Processor + USHORT TimerType.
     * The same as {@link #X64}; kept for callers that name the variant.
     */
    public static StructSpec windows11X64() {
        return X64;
    }

    /** The x64 layout of Windows 8.1 to 10 1909 (and mingw-w64's declaration): one ULONG Processor at 0x38. */
    public static StructSpec legacyX64() {
        return CStruct.struct("KTIMER", Abi.X64)
                .field("Header", DISPATCHER_HEADER.X64)
                .field("DueTime", CType.ULONGLONG)
                .field("TimerListEntry", LIST_ENTRY.X64)
                .field("Dpc", CType.pointer("PKDPC"))
                .field("Processor", CType.ULONG)
                .field("Period", CType.ULONG)
                .build();
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("KTIMER", abi)
                .field("Header", DISPATCHER_HEADER.of(abi))
                .field("DueTime", CType.ULONGLONG)
                .field("TimerListEntry", LIST_ENTRY.of(abi))
                .field("Dpc", CType.pointer("PKDPC"));
        if (abi == Abi.X64) {
            b.field("Processor", CType.USHORT).field("TimerType", CType.USHORT);
        }
        return b.field("Period", CType.ULONG).build();
    }
}
