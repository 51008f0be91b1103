package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.SINGLE_LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * A processor's DPC queue since Windows 8.1: a singly linked list through {@code KDPC.DpcListEntry}
 * with a pointer to its last link, so that insertion at the tail is O(1). Windows 10 22H2's public
 * symbols (x64 0x10 bytes, x86 0x8; see docs/layout-sources.md); no WDK header declares it.
 * <pre>{@code
 * typedef struct _KDPC_LIST {
 *   SINGLE_LIST_ENTRY ListHead;     // first queued KDPC's DpcListEntry, NULL when empty
 *   SINGLE_LIST_ENTRY *LastEntry;   // last queued KDPC's DpcListEntry, &ListHead when empty
 * } KDPC_LIST;
 * }</pre>
 */
public final class KDPC_LIST {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** SINGLE_LIST_ENTRY: {@code ListHead.Next} is the first queued entry, NULL when empty. */
    public static final long LIST_HEAD_OFFSET = X64.offset("ListHead");
    /** PSINGLE_LIST_ENTRY: the last queued entry; the address of ListHead when the list is empty. */
    public static final long LAST_ENTRY_OFFSET = X64.offset("LastEntry");

    private KDPC_LIST() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.opaque("KDPC_LIST", abi)
                .field("ListHead", SINGLE_LIST_ENTRY.of(abi))
                .field("LastEntry", CType.pointer("PSINGLE_LIST_ENTRY"))
                .build();
    }
}
