package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/** {@code VOID XxxFree(PVOID Buffer)}: the free routine of an NPAGED/PAGED_LOOKASIDE_LIST ({@code PFREE_FUNCTION}). */
@FunctionalInterface
public interface FREE_FUNCTION {
    void free(MemorySegment Buffer);
}
