package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * A bug-check callback registration (KeRegisterBugCheckCallback).
 * <pre>{@code
 * typedef struct _KBUGCHECK_CALLBACK_RECORD {
 *   LIST_ENTRY Entry;
 *   PKBUGCHECK_CALLBACK_ROUTINE CallbackRoutine;
 *   __field_bcount_opt(Length) PVOID Buffer;
 *   ULONG Length;
 *   PUCHAR Component;
 *   ULONG_PTR Checksum;
 *   UCHAR State;
 * } KBUGCHECK_CALLBACK_RECORD, *PKBUGCHECK_CALLBACK_RECORD;
 * }</pre>
 */
public final class KBUGCHECK_CALLBACK_RECORD {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** LIST_ENTRY: link in the bug-check callback list. */
    public static final long ENTRY_OFFSET = X64.offset("Entry");
    /** PKBUGCHECK_CALLBACK_ROUTINE: the callback. */
    public static final long CALLBACK_ROUTINE_OFFSET = X64.offset("CallbackRoutine");
    /** PVOID: the caller's buffer given to the callback. */
    public static final long BUFFER_OFFSET = X64.offset("Buffer");
    /** ULONG, bytes: the buffer's length. */
    public static final long LENGTH_OFFSET = X64.offset("Length");
    /** PUCHAR: NUL-terminated ANSI name of the component. */
    public static final long COMPONENT_OFFSET = X64.offset("Component");
    /** ULONG_PTR: checksum of the record, set at registration. */
    public static final long CHECKSUM_OFFSET = X64.offset("Checksum");
    /** UCHAR: KBUGCHECK_CALLBACK_STATE (BufferEmpty 0, Inserted 1, Started 2, Finished 3, Incomplete 4). */
    public static final long STATE_OFFSET = X64.offset("State");

    private KBUGCHECK_CALLBACK_RECORD() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KBUGCHECK_CALLBACK_RECORD", abi)
                .field("Entry", LIST_ENTRY.of(abi))
                .field("CallbackRoutine", CType.pointer("PKBUGCHECK_CALLBACK_ROUTINE"))
                .field("Buffer", CType.PVOID)
                .field("Length", CType.ULONG)
                .field("Component", CType.pointer("PUCHAR"))
                .field("Checksum", CType.ULONG_PTR)
                .field("State", CType.UCHAR)
                .build();
    }
}
