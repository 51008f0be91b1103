package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The link of an interlocked singly linked list (SLIST). On x64 it is a 16-byte aligned structure
 * of its own (the header's 60-bit {@code NextEntry} keeps bits 4..63 of its address); on x86 the
 * headers define {@code SLIST_ENTRY} as {@code SINGLE_LIST_ENTRY} (4 bytes, 4-aligned).
 * <pre>{@code
 * #if defined(_WIN64)
 * typedef struct DECLSPEC_ALIGN(16) _SLIST_ENTRY {
 *   struct _SLIST_ENTRY *Next;
 * } SLIST_ENTRY, *PSLIST_ENTRY;
 * #else
 * #define SLIST_ENTRY SINGLE_LIST_ENTRY
 * #endif
 * }</pre>
 */
public final class SLIST_ENTRY {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PSLIST_ENTRY: the next entry, or NULL at the end. */
    public static final long NEXT_OFFSET = X64.offset("Next");

    private SLIST_ENTRY() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("SLIST_ENTRY", abi).field("Next", CType.pointer("PSLIST_ENTRY"));
        if (abi == Abi.X64) {
            b.alignAs(16);
        }
        return b.build();
    }
}
