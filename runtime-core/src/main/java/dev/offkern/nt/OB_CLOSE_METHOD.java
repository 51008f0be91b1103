package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID CloseProcedure(PEPROCESS Process, PVOID Object, ACCESS_MASK GrantedAccess, ULONG_PTR
 * ProcessHandleCount, ULONG_PTR SystemHandleCount)}: an object type's close procedure, called when
 * a handle to an object of the type is closed, before the handle's reference is dropped.
 * {@code SystemHandleCount} is the object's handle count before this close (1 for its last handle);
 * {@code ProcessHandleCount} equals it (offkern counts handles per object, not per process).
 */
@FunctionalInterface
public interface OB_CLOSE_METHOD {
    void call(MemorySegment Process, MemorySegment Object, int GrantedAccess, long ProcessHandleCount, long SystemHandleCount);
}
