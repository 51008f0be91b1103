package dev.offkern.layout.rtl;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A singly linked list link (the link of non-interlocked stacks, and of x86 SLISTs).
 * <pre>{@code
 * typedef struct _SINGLE_LIST_ENTRY {
 *   struct _SINGLE_LIST_ENTRY *Next;
 * } SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;
 * }</pre>
 */
public final class SINGLE_LIST_ENTRY {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PSINGLE_LIST_ENTRY: the next entry, or NULL at the end. */
    public static final long NEXT_OFFSET = X64.offset("Next");

    private SINGLE_LIST_ENTRY() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("SINGLE_LIST_ENTRY", abi)
                .field("Next", CType.pointer("PSINGLE_LIST_ENTRY"))
                .build();
    }
}
