package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.SINGLE_LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * A deferred procedure call object, Windows 8.1+'s declaration: the link is a
 * {@code SINGLE_LIST_ENTRY} followed by {@code ProcessorHistory} (Windows 7 and mingw-w64 have a
 * {@code LIST_ENTRY} spanning both); {@code DeferredRoutine} stays at 0x18 (x64) / 0xC (x86).
 * <pre>{@code
 * typedef struct _KDPC {
 *   union {
 *     ULONG TargetInfoAsUlong;
 *     struct {
 *       UCHAR Type;
 *       UCHAR Importance;
 *       volatile USHORT Number;
 *     };
 *   };
 *   SINGLE_LIST_ENTRY DpcListEntry;
 *   KAFFINITY ProcessorHistory;
 *   PKDEFERRED_ROUTINE DeferredRoutine;
 *   PVOID DeferredContext;
 *   PVOID SystemArgument1;
 *   PVOID SystemArgument2;
 *   __volatile PVOID DpcData;
 * } KDPC, *PKDPC, *PRKDPC;
 * }</pre>
 */
public final class KDPC {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** UCHAR: DpcObject (0x13) or ThreadedDpcObject (0x18). */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** UCHAR: KDPC_IMPORTANCE (LowImportance .. MediumHighImportance). */
    public static final long IMPORTANCE_OFFSET = X64.offset("Importance");
    /** USHORT: target processor number + MAXIMUM_PROCESSORS when targeted, else 0. */
    public static final long NUMBER_OFFSET = X64.offset("Number");
    /** SINGLE_LIST_ENTRY: link in the processor's DPC queue. */
    public static final long DPC_LIST_ENTRY_OFFSET = X64.offset("DpcListEntry");
    /** KAFFINITY: processors the DPC has run on. */
    public static final long PROCESSOR_HISTORY_OFFSET = X64.offset("ProcessorHistory");
    /** PKDEFERRED_ROUTINE: the routine to call. */
    public static final long DEFERRED_ROUTINE_OFFSET = X64.offset("DeferredRoutine");
    /** PVOID: the routine's context. */
    public static final long DEFERRED_CONTEXT_OFFSET = X64.offset("DeferredContext");
    /** PVOID: first argument given when queued. */
    public static final long SYSTEM_ARGUMENT1_OFFSET = X64.offset("SystemArgument1");
    /** PVOID: second argument given when queued. */
    public static final long SYSTEM_ARGUMENT2_OFFSET = X64.offset("SystemArgument2");
    /** PVOID: the per-processor DPC data of the queue holding the DPC, NULL when not queued. */
    public static final long DPC_DATA_OFFSET = X64.offset("DpcData");

    private KDPC() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KDPC", abi)
                .union(null, u -> u.field("TargetInfoAsUlong", CType.ULONG)
                        .struct(null, s -> s.field("Type", CType.UCHAR)
                                .field("Importance", CType.UCHAR)
                                .field("Number", CType.USHORT)))
                .field("DpcListEntry", SINGLE_LIST_ENTRY.of(abi))
                .field("ProcessorHistory", CType.KAFFINITY)
                .field("DeferredRoutine", CType.pointer("PKDEFERRED_ROUTINE"))
                .field("DeferredContext", CType.PVOID)
                .field("SystemArgument1", CType.PVOID)
                .field("SystemArgument2", CType.PVOID)
                .field("DpcData", CType.PVOID)
                .build();
    }
}
