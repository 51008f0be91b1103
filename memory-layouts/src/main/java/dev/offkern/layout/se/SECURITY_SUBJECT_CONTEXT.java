package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The subject of an access check: the client (impersonation) and primary tokens of the caller.
 * <pre>{@code
 * typedef struct _SECURITY_SUBJECT_CONTEXT {
 *   PACCESS_TOKEN ClientToken;
 *   SECURITY_IMPERSONATION_LEVEL ImpersonationLevel;
 *   PACCESS_TOKEN PrimaryToken;
 *   PVOID ProcessAuditId;
 * } SECURITY_SUBJECT_CONTEXT, *PSECURITY_SUBJECT_CONTEXT;
 * }</pre>
 */
public final class SECURITY_SUBJECT_CONTEXT {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PACCESS_TOKEN: the impersonation token, or NULL. */
    public static final long CLIENT_TOKEN_OFFSET = X64.offset("ClientToken");
    /** SECURITY_IMPERSONATION_LEVEL (enum): the client token's level. */
    public static final long IMPERSONATION_LEVEL_OFFSET = X64.offset("ImpersonationLevel");
    /** PACCESS_TOKEN: the process's primary token. */
    public static final long PRIMARY_TOKEN_OFFSET = X64.offset("PrimaryToken");
    /** PVOID: the process identifier used for auditing. */
    public static final long PROCESS_AUDIT_ID_OFFSET = X64.offset("ProcessAuditId");

    private SECURITY_SUBJECT_CONTEXT() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("SECURITY_SUBJECT_CONTEXT", abi)
                .field("ClientToken", CType.pointer("PACCESS_TOKEN"))
                .field("ImpersonationLevel", CType.ENUM)
                .field("PrimaryToken", CType.pointer("PACCESS_TOKEN"))
                .field("ProcessAuditId", CType.PVOID)
                .build();
    }
}
