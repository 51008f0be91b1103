package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * What a KbCallbackAddPages (or KbCallbackRemovePages: KBUGCHECK_REMOVE_PAGES has the same layout)
 * bug-check callback receives and fills in: a range of pages to add to, or remove from, the dump.
 * <pre>{@code
 * typedef struct _KBUGCHECK_ADD_PAGES {
 *   PVOID Context;
 *   ULONG Flags;
 *   ULONG BugCheckCode;
 *   ULONG_PTR Address;
 *   ULONG_PTR Count;
 * } KBUGCHECK_ADD_PAGES, *PKBUGCHECK_ADD_PAGES;
 * }</pre>
 */
public final class KBUGCHECK_ADD_PAGES {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PVOID: the callback's own context, kept between calls (NULL on the first). */
    public static final long CONTEXT_OFFSET = X64.offset("Context");
    /** ULONG: KB_ADD_PAGES_FLAG_* (virtual/physical address, PFN; additional pages). */
    public static final long FLAGS_OFFSET = X64.offset("Flags");
    /** ULONG: the bug check code. */
    public static final long BUG_CHECK_CODE_OFFSET = X64.offset("BugCheckCode");
    /** ULONG_PTR: the first page's address (or PFN), set by the callback. */
    public static final long ADDRESS_OFFSET = X64.offset("Address");
    /** ULONG_PTR, pages: how many pages, set by the callback. */
    public static final long COUNT_OFFSET = X64.offset("Count");

    private KBUGCHECK_ADD_PAGES() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KBUGCHECK_ADD_PAGES", abi)
                .field("Context", CType.PVOID)
                .field("Flags", CType.ULONG)
                .field("BugCheckCode", CType.ULONG)
                .field("Address", CType.ULONG_PTR)
                .field("Count", CType.ULONG_PTR)
                .build();
    }
}
