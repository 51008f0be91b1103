package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code NTSTATUS ParseProcedure(PVOID ParseObject, PVOID ObjectType, PACCESS_STATE AccessState,
 * KPROCESSOR_MODE AccessMode, ULONG Attributes, PUNICODE_STRING CompleteName, PUNICODE_STRING
 * RemainingName, PVOID Context, PSECURITY_QUALITY_OF_SERVICE SecurityQos, PVOID *Object)}: an object
 * type's parse procedure. A name lookup that reaches a named object of the type with part of the
 * name left (the remaining name starts with a backslash) hands the rest to the procedure, which
 * stores a referenced object in {@code *Object} (an 8-byte segment) and returns STATUS_SUCCESS, or
 * returns a failure status. {@code ObjectType} is the type the caller asked for (may be NULL);
 * {@code AccessState}, {@code Context} and {@code SecurityQos} are NULL in offkern.
 */
@FunctionalInterface
public interface OB_PARSE_METHOD {
    int call(MemorySegment ParseObject, MemorySegment ObjectType, MemorySegment AccessState, int AccessMode, int Attributes,
             MemorySegment CompleteName, MemorySegment RemainingName, MemorySegment Context, MemorySegment SecurityQos,
             MemorySegment Object);
}
