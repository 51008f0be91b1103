package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code NTSTATUS SecurityProcedure(PVOID Object, SECURITY_OPERATION_CODE OperationCode,
 * PSECURITY_INFORMATION SecurityInformation, PSECURITY_DESCRIPTOR SecurityDescriptor, PULONG
 * CapturedLength, PSECURITY_DESCRIPTOR *ObjectsSecurityDescriptor, POOL_TYPE PoolType,
 * PGENERIC_MAPPING GenericMapping)}: an object type's security procedure, which then owns the
 * object's descriptor instead of the object manager. offkern calls it with AssignSecurityDescriptor
 * and the descriptor SeAssignSecurity computed when an object that gets one is inserted (the
 * procedure owns that paged-pool block on success, frees it with ExFreePool; a failure status fails
 * the insert), QuerySecurityDescriptor (SecurityDescriptor a buffer of {@code *CapturedLength} bytes;
 * STATUS_BUFFER_TOO_SMALL with the length needed) for ObGetObjectSecurity and access checks,
 * SetSecurityDescriptor for ObSetSecurityObjectByPointer, and DeleteSecurityDescriptor when an object
 * whose header field is not NULL is deleted. {@code ObjectsSecurityDescriptor} is the 8-byte
 * {@code OBJECT_HEADER.SecurityDescriptor} field itself, which the procedure may set.
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
