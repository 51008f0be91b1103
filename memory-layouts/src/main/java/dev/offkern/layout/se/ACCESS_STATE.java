package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.UNICODE_STRING;

import java.lang.foreign.StructLayout;

/**
 * The state of an access check in progress while an object is opened or created.
 * <pre>{@code
 * typedef struct _ACCESS_STATE {
 *   LUID OperationID;
 *   BOOLEAN SecurityEvaluated;
 *   BOOLEAN GenerateAudit;
 *   BOOLEAN GenerateOnClose;
 *   BOOLEAN PrivilegesAllocated;
 *   ULONG Flags;
 *   ACCESS_MASK RemainingDesiredAccess;
 *   ACCESS_MASK PreviouslyGrantedAccess;
 *   ACCESS_MASK OriginalDesiredAccess;
 *   SECURITY_SUBJECT_CONTEXT SubjectSecurityContext;
 *   PSECURITY_DESCRIPTOR SecurityDescriptor;
 *   PVOID AuxData;
 *   union {
 *     INITIAL_PRIVILEGE_SET InitialPrivilegeSet;
 *     PRIVILEGE_SET PrivilegeSet;
 *   } Privileges;
 *   BOOLEAN AuditPrivileges;
 *   UNICODE_STRING ObjectName;
 *   UNICODE_STRING ObjectTypeName;
 * } ACCESS_STATE, *PACCESS_STATE;
 * }</pre>
 */
public final class ACCESS_STATE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** LUID: identifies this open/create operation. */
    public static final long OPERATION_ID_OFFSET = X64.offset("OperationID");
    /** ULONG: TOKEN_HAS_TRAVERSE_PRIVILEGE and friends. */
    public static final long FLAGS_OFFSET = X64.offset("Flags");
    /** ACCESS_MASK: rights still to be granted. */
    public static final long REMAINING_DESIRED_ACCESS_OFFSET = X64.offset("RemainingDesiredAccess");
    /** ACCESS_MASK: rights already granted. */
    public static final long PREVIOUSLY_GRANTED_ACCESS_OFFSET = X64.offset("PreviouslyGrantedAccess");
    /** ACCESS_MASK: the rights the caller asked for. */
    public static final long ORIGINAL_DESIRED_ACCESS_OFFSET = X64.offset("OriginalDesiredAccess");
    /** SECURITY_SUBJECT_CONTEXT: the caller's tokens. */
    public static final long SUBJECT_SECURITY_CONTEXT_OFFSET = X64.offset("SubjectSecurityContext");
    /** PSECURITY_DESCRIPTOR: the descriptor for a new object. */
    public static final long SECURITY_DESCRIPTOR_OFFSET = X64.offset("SecurityDescriptor");
    /** PVOID: auxiliary access data (AUX_ACCESS_DATA). */
    public static final long AUX_DATA_OFFSET = X64.offset("AuxData");
    /** union: the privileges used so far. */
    public static final long PRIVILEGES_OFFSET = X64.offset("Privileges");
    /** UNICODE_STRING: the object's name, for auditing. */
    public static final long OBJECT_NAME_OFFSET = X64.offset("ObjectName");
    /** UNICODE_STRING: the object type's name, for auditing. */
    public static final long OBJECT_TYPE_NAME_OFFSET = X64.offset("ObjectTypeName");

    private ACCESS_STATE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("ACCESS_STATE", abi)
                .field("OperationID", LUID.of(abi))
                .field("SecurityEvaluated", CType.BOOLEAN)
                .field("GenerateAudit", CType.BOOLEAN)
                .field("GenerateOnClose", CType.BOOLEAN)
                .field("PrivilegesAllocated", CType.BOOLEAN)
                .field("Flags", CType.ULONG)
                .field("RemainingDesiredAccess", CType.ACCESS_MASK)
                .field("PreviouslyGrantedAccess", CType.ACCESS_MASK)
                .field("OriginalDesiredAccess", CType.ACCESS_MASK)
                .field("SubjectSecurityContext", SECURITY_SUBJECT_CONTEXT.of(abi))
                .field("SecurityDescriptor", CType.pointer("PSECURITY_DESCRIPTOR"))
                .field("AuxData", CType.PVOID)
                .union("Privileges", u -> u
                        .field("InitialPrivilegeSet", INITIAL_PRIVILEGE_SET.of(abi))
                        .field("PrivilegeSet", PRIVILEGE_SET.of(abi)))
                .field("AuditPrivileges", CType.BOOLEAN)
                .field("ObjectName", UNICODE_STRING.of(abi))
                .field("ObjectTypeName", UNICODE_STRING.of(abi))
                .build();
    }
}
