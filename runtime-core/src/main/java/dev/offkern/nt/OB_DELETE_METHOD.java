package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID DeleteProcedure(PVOID Object)}: an object type's delete procedure, called once when
 * the object's last reference is dropped, before its memory returns to the pool. {@code Object} is
 * a segment over the body.
 */
@FunctionalInterface
public interface OB_DELETE_METHOD {
    void call(MemorySegment Object);
}
