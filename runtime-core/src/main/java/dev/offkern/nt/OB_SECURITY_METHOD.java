package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code NTSTATUS SecurityProcedure(PVOID Object, SECURITY_OPERATION_CODE OperationCode,
 * PSECURITY_INFORMATION SecurityInformation, PSECURITY_DESCRIPTOR SecurityDescriptor, PULONG
 * CapturedLength, PSECURITY_DESCRIPTOR *ObjectsSecurityDescriptor, POOL_TYPE PoolType,
 * PGENERIC_MAPPING GenericMapping)}: an object type's security procedure. offkern calls it with
 * AssignSecurityDescriptor when an object is inserted with {@code OBJECT_ATTRIBUTES.SecurityDescriptor}
 * set (a failure status fails the insert) and with DeleteSecurityDescriptor when such an object is
 * deleted. {@code ObjectsSecurityDescriptor} is the 8-byte {@code OBJECT_HEADER.SecurityDescriptor}
 * field itself, which the procedure may set.
 */
@FunctionalInterface
public interface OB_SECURITY_METHOD {
    int SetSecurityDescriptor = 0;
    int QuerySecurityDescriptor = 1;
    int DeleteSecurityDescriptor = 2;
    int AssignSecurityDescriptor = 3;

    int call(MemorySegment Object, int OperationCode, MemorySegment SecurityInformation, MemorySegment SecurityDescriptor,
             MemorySegment CapturedLength, MemorySegment ObjectsSecurityDescriptor, int PoolType, MemorySegment GenericMapping);
}
