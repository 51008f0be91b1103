package dev.offkern.layout.rtl;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A doubly linked list link.
 * <pre>{@code
 * typedef struct _LIST_ENTRY {
 *   struct _LIST_ENTRY *Flink;
 *   struct _LIST_ENTRY *Blink;
 * } LIST_ENTRY, *PLIST_ENTRY;
 * }</pre>
 */
public final class LIST_ENTRY {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PLIST_ENTRY: the next entry (the head when last). */
    public static final long FLINK_OFFSET = X64.offset("Flink");
    /** PLIST_ENTRY: the previous entry (the head when first). */
    public static final long BLINK_OFFSET = X64.offset("Blink");

    private LIST_ENTRY() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("LIST_ENTRY", abi)
                .field("Flink", CType.pointer("PLIST_ENTRY"))
                .field("Blink", CType.pointer("PLIST_ENTRY"))
                .build();
    }
}
