package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.GUID;

import java.lang.foreign.StructLayout;

/**
 * What a KbCallbackSecondaryDumpData callback receives and fills in.
 * <pre>{@code
 * typedef struct _KBUGCHECK_SECONDARY_DUMP_DATA {
 *   PVOID InBuffer;
 *   ULONG InBufferLength;
 *   ULONG MaximumAllowed;
 *   GUID Guid;
 *   PVOID OutBuffer;
 *   ULONG OutBufferLength;
 * } KBUGCHECK_SECONDARY_DUMP_DATA, *PKBUGCHECK_SECONDARY_DUMP_DATA;
 * }</pre>
 */
public final class KBUGCHECK_SECONDARY_DUMP_DATA {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PVOID: a buffer the system offers. */
    public static final long IN_BUFFER_OFFSET = X64.offset("InBuffer");
    /** ULONG, bytes: its length. */
    public static final long IN_BUFFER_LENGTH_OFFSET = X64.offset("InBufferLength");
    /** ULONG, bytes: the most the callback may write. */
    public static final long MAXIMUM_ALLOWED_OFFSET = X64.offset("MaximumAllowed");
    /** GUID: identifies the callback's data in the dump. */
    public static final long GUID_OFFSET = X64.offset("Guid");
    /** PVOID: the data the callback provides. */
    public static final long OUT_BUFFER_OFFSET = X64.offset("OutBuffer");
    /** ULONG, bytes: its length. */
    public static final long OUT_BUFFER_LENGTH_OFFSET = X64.offset("OutBufferLength");

    private KBUGCHECK_SECONDARY_DUMP_DATA() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KBUGCHECK_SECONDARY_DUMP_DATA", abi)
                .field("InBuffer", CType.PVOID)
                .field("InBufferLength", CType.ULONG)
                .field("MaximumAllowed", CType.ULONG)
                .field("Guid", GUID.of(abi))
                .field("OutBuffer", CType.PVOID)
                .field("OutBufferLength", CType.ULONG)
                .build();
    }
}
