package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID LookasideListFreeEx(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside)}: a LOOKASIDE_LIST_EX's
 * free routine, called when a freed block does not fit in the list, and for every cached block by
 * flush and delete, at the caller's IRQL.
 */
@FunctionalInterface
public interface FREE_FUNCTION_EX {
    void free(MemorySegment Buffer, MemorySegment Lookaside);
}
