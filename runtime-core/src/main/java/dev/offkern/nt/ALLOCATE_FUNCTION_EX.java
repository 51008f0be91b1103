package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code PVOID LookasideListAllocateEx(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
 * PLOOKASIDE_LIST_EX Lookaside)}: a LOOKASIDE_LIST_EX's allocate routine, called by
 * {@code ExAllocateFromLookasideListEx} when the list is empty, at the caller's IRQL. Must return a
 * block of {@code NumberOfBytes} bytes, 16-byte aligned, inside the kernel's address space, or
 * {@code MemorySegment.NULL}. {@code PoolType} carries POOL_RAISE_IF_ALLOCATION_FAILURE or
 * POOL_QUOTA_FAIL_INSTEAD_OF_RAISE when the list was initialized with the matching flag.
 */
@FunctionalInterface
public interface ALLOCATE_FUNCTION_EX {
    MemorySegment allocate(int PoolType, long NumberOfBytes, int Tag, MemorySegment Lookaside);
}
