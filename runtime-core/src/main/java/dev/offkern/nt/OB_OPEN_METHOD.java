package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code NTSTATUS OpenProcedure(OB_OPEN_REASON OpenReason, KPROCESSOR_MODE AccessMode, PEPROCESS
 * Process, PVOID Object, PACCESS_MASK GrantedAccess, ULONG HandleCount)}: an object type's open
 * procedure, called before a handle to an object of the type is entered in a handle table (reason
 * ObCreateHandle 0, ObOpenHandle 1, ObDuplicateHandle 2). {@code GrantedAccess} is a 4-byte segment
 * holding the access the handle will get (the procedure may narrow it); {@code HandleCount} is the
 * object's handle count before this handle. A failure status refuses the handle and is returned to
 * the caller. {@code Process} is NULL until offkern has process objects.
 */
@FunctionalInterface
public interface OB_OPEN_METHOD {
    int ObCreateHandle = 0;
    int ObOpenHandle = 1;
    int ObDuplicateHandle = 2;
    int ObInheritHandle = 3;

    int call(int OpenReason, int AccessMode, MemorySegment Process, MemorySegment Object, MemorySegment GrantedAccess, int HandleCount);
}
