package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LARGE_INTEGER;

import java.lang.foreign.StructLayout;

/**
 * The access-token object's body (opaque): offkern's layout with every modelled field at the
 * offset Microsoft's symbols give for Windows 10 x64 (size 0x498; {@code VariablePart} at 0x490,
 * where a token's SIDs and ACL start), so that a tool following {@code EPROCESS.Token} finds the
 * user and groups where Windows keeps them. Bytes offkern does not model stay zero. The x86 layout
 * is the same members laid out by the C rules up to {@code OriginatingLogonSession} (not checked
 * against symbols); offkern's runtime uses the x64 one.
 *
 * <pre>{@code
 * typedef struct _TOKEN {                            // x64
 *   TOKEN_SOURCE          TokenSource;               // 0x000
 *   LUID                  TokenId;                   // 0x010
 *   LUID                  AuthenticationId;          // 0x018
 *   LUID                  ParentTokenId;             // 0x020
 *   LARGE_INTEGER         ExpirationTime;            // 0x028
 *   PERESOURCE            TokenLock;                 // 0x030
 *   LUID                  ModifiedId;                // 0x038
 *   SEP_TOKEN_PRIVILEGES  Privileges;                // 0x040 {ULONGLONG Present, Enabled, EnabledByDefault}
 *   SEP_AUDIT_POLICY      AuditPolicy;               // 0x058 (0x1f bytes)
 *   ULONG                 SessionId;                 // 0x078
 *   ULONG                 UserAndGroupCount;         // 0x07c
 *   ULONG                 RestrictedSidCount;        // 0x080
 *   ULONG                 VariableLength;            // 0x084
 *   ULONG                 DynamicCharged;            // 0x088
 *   ULONG                 DynamicAvailable;          // 0x08c
 *   ULONG                 DefaultOwnerIndex;         // 0x090
 *   PSID_AND_ATTRIBUTES   UserAndGroups;             // 0x098
 *   PSID_AND_ATTRIBUTES   RestrictedSids;            // 0x0a0
 *   PVOID                 PrimaryGroup;              // 0x0a8
 *   PULONG                DynamicPart;               // 0x0b0
 *   PACL                  DefaultDacl;               // 0x0b8
 *   TOKEN_TYPE            TokenType;                 // 0x0c0
 *   SECURITY_IMPERSONATION_LEVEL ImpersonationLevel; // 0x0c4
 *   ULONG                 TokenFlags;                // 0x0c8
 *   BOOLEAN               TokenInUse;                // 0x0cc
 *   ULONG                 IntegrityLevelIndex;       // 0x0d0
 *   ULONG                 MandatoryPolicy;           // 0x0d4
 *   PSEP_LOGON_SESSION_REFERENCES LogonSession;      // 0x0d8
 *   LUID                  OriginatingLogonSession;   // 0x0e0
 *   ...                                              // 0x0e8 SidHash .. SessionObject (not modelled)
 *   ULONGLONG             VariablePart;              // 0x490
 * } TOKEN;                                           // 0x498
 * }</pre>
 *
 * <p>{@code Privileges} holds one bit per privilege, indexed by the privilege LUID's LowPart (2 =
 * SeCreateTokenPrivilege .. 35/36), in three masks: held, enabled, enabled by default.
 */
public final class TOKEN {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** TOKEN_SOURCE: who created the token. */
    public static final long TOKEN_SOURCE_OFFSET = X64.offset("TokenSource");
    /** LUID: this token's unique id. */
    public static final long TOKEN_ID_OFFSET = X64.offset("TokenId");
    /** LUID: the logon session. */
    public static final long AUTHENTICATION_ID_OFFSET = X64.offset("AuthenticationId");
    /** LUID: the token this one was duplicated from (0 for a created token). */
    public static final long PARENT_TOKEN_ID_OFFSET = X64.offset("ParentTokenId");
    /** LARGE_INTEGER, 100 ns since 1601: when the token expires (not enforced, as on Windows). */
    public static final long EXPIRATION_TIME_OFFSET = X64.offset("ExpirationTime");
    /** LUID: changes whenever the token is modified. */
    public static final long MODIFIED_ID_OFFSET = X64.offset("ModifiedId");
    /** ULONGLONG bit mask: privileges the token holds (bit n = LUID n). */
    public static final long PRIVILEGES_PRESENT_OFFSET = X64.offset("Privileges.Present");
    /** ULONGLONG bit mask: privileges enabled. */
    public static final long PRIVILEGES_ENABLED_OFFSET = X64.offset("Privileges.Enabled");
    /** ULONGLONG bit mask: privileges enabled by default. */
    public static final long PRIVILEGES_ENABLED_BY_DEFAULT_OFFSET = X64.offset("Privileges.EnabledByDefault");
    /** ULONG: the terminal-services session. */
    public static final long SESSION_ID_OFFSET = X64.offset("SessionId");
    /** ULONG, count: entries in UserAndGroups (the user is entry 0). */
    public static final long USER_AND_GROUP_COUNT_OFFSET = X64.offset("UserAndGroupCount");
    /** ULONG, count: entries in RestrictedSids (0: offkern makes no restricted tokens). */
    public static final long RESTRICTED_SID_COUNT_OFFSET = X64.offset("RestrictedSidCount");
    /** ULONG, bytes: the variable part's length. */
    public static final long VARIABLE_LENGTH_OFFSET = X64.offset("VariableLength");
    /** ULONG, bytes: the dynamic part's length (primary group and default DACL). */
    public static final long DYNAMIC_CHARGED_OFFSET = X64.offset("DynamicCharged");
    /** ULONG: index in UserAndGroups of the default owner. */
    public static final long DEFAULT_OWNER_INDEX_OFFSET = X64.offset("DefaultOwnerIndex");
    /** PSID_AND_ATTRIBUTES: the user (entry 0) and the groups. */
    public static final long USER_AND_GROUPS_OFFSET = X64.offset("UserAndGroups");
    /** PSID_AND_ATTRIBUTES: restricting SIDs, or NULL. */
    public static final long RESTRICTED_SIDS_OFFSET = X64.offset("RestrictedSids");
    /** PSID: the default primary group (in the dynamic part). */
    public static final long PRIMARY_GROUP_OFFSET = X64.offset("PrimaryGroup");
    /** PULONG: the dynamic part (primary group SID, then the default DACL). */
    public static final long DYNAMIC_PART_OFFSET = X64.offset("DynamicPart");
    /** PACL: the default DACL (in the dynamic part), or NULL. */
    public static final long DEFAULT_DACL_OFFSET = X64.offset("DefaultDacl");
    /** TOKEN_TYPE (enum): TokenPrimary 1, TokenImpersonation 2. */
    public static final long TOKEN_TYPE_OFFSET = X64.offset("TokenType");
    /** SECURITY_IMPERSONATION_LEVEL (enum): an impersonation token's level. */
    public static final long IMPERSONATION_LEVEL_OFFSET = X64.offset("ImpersonationLevel");
    /** ULONG: TOKEN_* flags (TOKEN_HAS_TRAVERSE_PRIVILEGE 0x1, ...). */
    public static final long TOKEN_FLAGS_OFFSET = X64.offset("TokenFlags");
    /** BOOLEAN: a primary token that is some process's token. */
    public static final long TOKEN_IN_USE_OFFSET = X64.offset("TokenInUse");
    /** LUID: the logon session the token was made in. */
    public static final long ORIGINATING_LOGON_SESSION_OFFSET = X64.offset("OriginatingLogonSession");
    /** ULONGLONG: where the variable part (SID_AND_ATTRIBUTES array, SIDs, dynamic part) starts. */
    public static final long VARIABLE_PART_OFFSET = X64.offset("VariablePart");

    private TOKEN() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        boolean x64 = abi == Abi.X64;
        CStruct.Builder b = CStruct.opaque("TOKEN", abi)
                .field("TokenSource", TOKEN_SOURCE.of(abi))
                .field("TokenId", LUID.of(abi))
                .field("AuthenticationId", LUID.of(abi))
                .field("ParentTokenId", LUID.of(abi))
                .field("ExpirationTime", LARGE_INTEGER.of(abi))
                .field("TokenLock", CType.pointer("PERESOURCE"))
                .field("ModifiedId", LUID.of(abi))
                .struct("Privileges", p -> p
                        .field("Present", CType.ULONGLONG)
                        .field("Enabled", CType.ULONGLONG)
                        .field("EnabledByDefault", CType.ULONGLONG))
                .array("AuditPolicy", CType.UCHAR, 0x1f)
                .field("SessionId", CType.ULONG)
                .field("UserAndGroupCount", CType.ULONG)
                .field("RestrictedSidCount", CType.ULONG)
                .field("VariableLength", CType.ULONG)
                .field("DynamicCharged", CType.ULONG)
                .field("DynamicAvailable", CType.ULONG)
                .field("DefaultOwnerIndex", CType.ULONG)
                .field("UserAndGroups", CType.pointer("PSID_AND_ATTRIBUTES"))
                .field("RestrictedSids", CType.pointer("PSID_AND_ATTRIBUTES"))
                .field("PrimaryGroup", CType.PVOID)
                .field("DynamicPart", CType.pointer("PULONG"))
                .field("DefaultDacl", CType.pointer("PACL"))
                .field("TokenType", CType.ENUM)
                .field("ImpersonationLevel", CType.ENUM)
                .field("TokenFlags", CType.ULONG)
                .field("TokenInUse", CType.BOOLEAN)
                .field("IntegrityLevelIndex", CType.ULONG)
                .field("MandatoryPolicy", CType.ULONG)
                .field("LogonSession", CType.pointer("PSEP_LOGON_SESSION_REFERENCES"))
                .field("OriginatingLogonSession", LUID.of(abi));
        if (x64) {
            b.at(0x490).field("VariablePart", CType.ULONGLONG).sizeTo(0x498);
        } else {
            b.field("VariablePart", CType.ULONGLONG);
        }
        return b.build();
    }
}
