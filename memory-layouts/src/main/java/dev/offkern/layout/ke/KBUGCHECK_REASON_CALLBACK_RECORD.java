package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * A reason bug-check callback registration (KeRegisterBugCheckReasonCallback).
 * <pre>{@code
 * typedef struct _KBUGCHECK_REASON_CALLBACK_RECORD {
 *   LIST_ENTRY Entry;
 *   PKBUGCHECK_REASON_CALLBACK_ROUTINE CallbackRoutine;
 *   PUCHAR Component;
 *   ULONG_PTR Checksum;
 *   KBUGCHECK_CALLBACK_REASON Reason;
 *   UCHAR State;
 * } KBUGCHECK_REASON_CALLBACK_RECORD, *PKBUGCHECK_REASON_CALLBACK_RECORD;
 * }</pre>
 */
public final class KBUGCHECK_REASON_CALLBACK_RECORD {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** LIST_ENTRY: link in the reason-callback list. */
    public static final long ENTRY_OFFSET = X64.offset("Entry");
    /** PKBUGCHECK_REASON_CALLBACK_ROUTINE: the callback. */
    public static final long CALLBACK_ROUTINE_OFFSET = X64.offset("CallbackRoutine");
    /** PUCHAR: NUL-terminated ANSI name of the component. */
    public static final long COMPONENT_OFFSET = X64.offset("Component");
    /** ULONG_PTR: checksum of the record, set at registration. */
    public static final long CHECKSUM_OFFSET = X64.offset("Checksum");
    /** KBUGCHECK_CALLBACK_REASON (enum): KbCallbackSecondaryDumpData, KbCallbackDumpIo, ... */
    public static final long REASON_OFFSET = X64.offset("Reason");
    /** UCHAR: KBUGCHECK_CALLBACK_STATE. */
    public static final long STATE_OFFSET = X64.offset("State");

    private KBUGCHECK_REASON_CALLBACK_RECORD() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KBUGCHECK_REASON_CALLBACK_RECORD", abi)
                .field("Entry", LIST_ENTRY.of(abi))
                .field("CallbackRoutine", CType.pointer("PKBUGCHECK_REASON_CALLBACK_ROUTINE"))
                .field("Component", CType.pointer("PUCHAR"))
                .field("Checksum", CType.ULONG_PTR)
                .field("Reason", CType.ENUM)
                .field("State", CType.UCHAR)
                .build();
    }
}
