package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A non-paged lookaside list: cache-aligned; on x86 it keeps an obsolete spin lock at 0x80 and is
 * 0xC0 bytes (mingw-w64 places it at 0x48 because its x86 GENERAL_LOOKASIDE is not cache-aligned).
 * <pre>{@code
 * typedef struct LOOKASIDE_ALIGN _NPAGED_LOOKASIDE_LIST {
 *   GENERAL_LOOKASIDE L;
 * #if defined(_X86_)
 *   KSPIN_LOCK Lock__ObsoleteButDoNotDelete;
 * #endif
 * } NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;
 * }</pre>
 */
public final class NPAGED_LOOKASIDE_LIST {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** GENERAL_LOOKASIDE: the list. */
    public static final long L_OFFSET = X64.offset("L");

    private NPAGED_LOOKASIDE_LIST() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("NPAGED_LOOKASIDE_LIST", abi).field("L", GENERAL_LOOKASIDE.of(abi));
        if (abi == Abi.X86) {
            b.field("Lock__ObsoleteButDoNotDelete", CType.KSPIN_LOCK);
        }
        return b.alignAs(GENERAL_LOOKASIDE.SYSTEM_CACHE_ALIGNMENT_SIZE).build();
    }
}
