package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code PVOID XxxAllocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)}: the allocate
 * routine of an NPAGED_LOOKASIDE_LIST or PAGED_LOOKASIDE_LIST ({@code PALLOCATE_FUNCTION}). Must
 * return a 16-byte aligned block of {@code NumberOfBytes} bytes inside the kernel's address space,
 * or {@code MemorySegment.NULL}.
 */
@FunctionalInterface
public interface ALLOCATE_FUNCTION {
    MemorySegment allocate(int PoolType, long NumberOfBytes, int Tag);
}
