package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A paged lookaside list: cache-aligned; on x86 it keeps an obsolete FAST_MUTEX at 0x80 and is
 * 0xC0 bytes.
 * <pre>{@code
 * typedef struct LOOKASIDE_ALIGN _PAGED_LOOKASIDE_LIST {
 *   GENERAL_LOOKASIDE L;
 * #if defined(_X86_)
 *   FAST_MUTEX Lock__ObsoleteButDoNotDelete;
 * #endif
 * } PAGED_LOOKASIDE_LIST, *PPAGED_LOOKASIDE_LIST;
 * }</pre>
 */
public final class PAGED_LOOKASIDE_LIST {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** GENERAL_LOOKASIDE: the list. */
    public static final long L_OFFSET = X64.offset("L");

    private PAGED_LOOKASIDE_LIST() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("PAGED_LOOKASIDE_LIST", abi).field("L", GENERAL_LOOKASIDE.of(abi));
        if (abi == Abi.X86) {
            b.field("Lock__ObsoleteButDoNotDelete", FAST_MUTEX.X86);
        }
        return b.alignAs(GENERAL_LOOKASIDE.SYSTEM_CACHE_ALIGNMENT_SIZE).build();
    }
}
