package dev.offkern.ddi;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.srm.AccessCheck;
import dev.offkern.runtime.srm.AssignSecurity;
import dev.offkern.runtime.se.Sddl;
import dev.offkern.runtime.srm.SubjectContexts;
import dev.offkern.runtime.srm.TokenManager;
import java.lang.foreign.MemorySegment;

/**
 * Security routines: the {@code Se*} kernel routines (subject contexts, privilege checks,
 * SeAccessCheck, SeAssignSecurity(Ex), token queries: semantics in {@code dev.offkern.runtime.srm},
 * docs/security.md) and, as their family, advapi32's SDDL conversions
 * under their verbatim names with C parameters in C order. The SDDL routines keep Win32 semantics: a
 * BOOL result and, on failure, the Win32 error in {@link Rtl#RtlGetLastWin32Error()}; their results are
 * allocated in paged pool and freed with {@link Ex#ExFreePool}. PASSIVE_LEVEL. Semantics:
 * {@code dev.offkern.runtime.se.Sddl}.
 */
public final class Se {

    private Se() {
    }

    // ===== SDDL =====
    // LPCWSTR: a NUL-terminated UTF-16LE string in native memory (a String overload is offered);
    // PSECURITY_DESCRIPTOR*, PSID*, LPWSTR*: 8-byte segments receiving the pool address; PULONG: 4 bytes.

    /**
     * {@code BOOL ConvertStringSecurityDescriptorToSecurityDescriptorW(LPCWSTR StringSecurityDescriptor,
     * DWORD StringSDRevision, PSECURITY_DESCRIPTOR *SecurityDescriptor, PULONG SecurityDescriptorSize)}:
     * a self-relative descriptor; SecurityDescriptorSize may be NULL.
     */
    public static boolean ConvertStringSecurityDescriptorToSecurityDescriptorW(MemorySegment StringSecurityDescriptor,
            int StringSDRevision, MemorySegment SecurityDescriptor, MemorySegment SecurityDescriptorSize) {
        try {
            return Sddl.stringToDescriptor(StringSecurityDescriptor, StringSDRevision, SecurityDescriptor,
                    SecurityDescriptorSize, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@link #ConvertStringSecurityDescriptorToSecurityDescriptorW(MemorySegment, int, MemorySegment, MemorySegment)} from a Java string. */
    public static boolean ConvertStringSecurityDescriptorToSecurityDescriptorW(String StringSecurityDescriptor,
            int StringSDRevision, MemorySegment SecurityDescriptor, MemorySegment SecurityDescriptorSize) {
        try {
            return Sddl.stringToDescriptor(StringSecurityDescriptor, StringSDRevision, SecurityDescriptor,
                    SecurityDescriptorSize, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOL ConvertSecurityDescriptorToStringSecurityDescriptorW(PSECURITY_DESCRIPTOR SecurityDescriptor,
     * DWORD RequestedStringSDRevision, SECURITY_INFORMATION SecurityInformation, LPWSTR *StringSecurityDescriptor,
     * PULONG StringSecurityDescriptorLen)}: either form in; the length (WCHARs with the NUL) may be NULL.
     */
    public static boolean ConvertSecurityDescriptorToStringSecurityDescriptorW(MemorySegment SecurityDescriptor,
            int RequestedStringSDRevision, int SecurityInformation, MemorySegment StringSecurityDescriptor,
            MemorySegment StringSecurityDescriptorLen) {
        try {
            return Sddl.descriptorToString(SecurityDescriptor, RequestedStringSDRevision, SecurityInformation,
                    StringSecurityDescriptor, StringSecurityDescriptorLen, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOL ConvertStringSidToSidW(LPCWSTR StringSid, PSID *Sid)}: "S-1-..." or a two-letter alias. */
    public static boolean ConvertStringSidToSidW(MemorySegment StringSid, MemorySegment Sid) {
        try {
            return Sddl.stringToSid(StringSid, Sid, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@link #ConvertStringSidToSidW(MemorySegment, MemorySegment)} from a Java string. */
    public static boolean ConvertStringSidToSidW(String StringSid, MemorySegment Sid) {
        try {
            return Sddl.stringToSid(StringSid, Sid, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOL ConvertSidToStringSidW(PSID Sid, LPWSTR *StringSid)}: "S-1-...", never an alias. */
    public static boolean ConvertSidToStringSidW(MemorySegment Sid, MemorySegment StringSid) {
        try {
            return Sddl.sidToString(Sid, StringSid, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end SDDL =====

    // ===== Object types =====

    /** {@code *SeTokenObjectType}: the Token object type (C passes {@code *SeTokenObjectType}). IRQL: any. */
    public static MemorySegment SeTokenObjectType() {
        try {
            return Ob.objects().tokenType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Object types =====

    // ===== Tokens and subject contexts =====
    // PACCESS_TOKEN: a segment over the Token object's body (MemorySegment.NULL for NULL);
    // PSECURITY_SUBJECT_CONTEXT: a segment over a SECURITY_SUBJECT_CONTEXT (0x20 bytes on x64).

    static TokenManager tokens() {
        return Kernel.current().tokens();
    }

    static MemorySegment token(long address) {
        return address == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(address);
    }

    /**
     * {@code VOID SeCaptureSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext)}: the calling
     * thread's impersonation token (ClientToken, with ImpersonationLevel; NULL when it does not
     * impersonate) and its process's primary token, both referenced; ProcessAuditId = the process id.
     * Release with SeReleaseSubjectContext. IRQL: PASSIVE_LEVEL.
     */
    public static void SeCaptureSubjectContext(MemorySegment SubjectContext) {
        try {
            SubjectContexts.capture(tokens(), SubjectContext);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID SeLockSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext)}: the token lock, shared; one unlock per lock. IRQL: PASSIVE_LEVEL. */
    public static void SeLockSubjectContext(MemorySegment SubjectContext) {
        try {
            SubjectContexts.lock(tokens(), SubjectContext);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID SeUnlockSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext)}: IllegalStateException without the lock. IRQL: PASSIVE_LEVEL. */
    public static void SeUnlockSubjectContext(MemorySegment SubjectContext) {
        try {
            SubjectContexts.unlock(tokens(), SubjectContext);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID SeReleaseSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext)}: drops capture's references (and clears the two pointers). IRQL: PASSIVE_LEVEL. */
    public static void SeReleaseSubjectContext(MemorySegment SubjectContext) {
        try {
            SubjectContexts.release(tokens(), SubjectContext);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PACCESS_TOKEN SeQuerySubjectContextToken(PSECURITY_SUBJECT_CONTEXT SubjectContext)}: ClientToken if set, else PrimaryToken; no reference taken. IRQL: PASSIVE_LEVEL. */
    public static MemorySegment SeQuerySubjectContextToken(MemorySegment SubjectContext) {
        try {
            return token(SubjectContexts.queryToken(SubjectContext));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN SeSinglePrivilegeCheck(LUID PrivilegeValue, KPROCESSOR_MODE PreviousMode)}: the LUID
     * by value as a {@code long} (LowPart | HighPart &lt;&lt; 32, e.g. {@code SeConstants.SE_DEBUG_PRIVILEGE});
     * KernelMode TRUE, UserMode whether the caller's effective token has it enabled. IRQL: PASSIVE_LEVEL.
     */
    public static boolean SeSinglePrivilegeCheck(long PrivilegeValue, int PreviousMode) {
        try {
            return SubjectContexts.singlePrivilegeCheck(tokens(), PrivilegeValue, PreviousMode);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN SePrivilegeCheck(PPRIVILEGE_SET RequiredPrivileges, PSECURITY_SUBJECT_CONTEXT
     * SubjectContext, KPROCESSOR_MODE AccessMode)}: KernelMode TRUE; else each held privilege is marked
     * SE_PRIVILEGE_USED_FOR_ACCESS and the result is all (PRIVILEGE_SET_ALL_NECESSARY) or any held. IRQL: PASSIVE_LEVEL.
     */
    public static boolean SePrivilegeCheck(MemorySegment RequiredPrivileges, MemorySegment SubjectContext, int AccessMode) {
        try {
            return SubjectContexts.privilegeCheck(tokens(), RequiredPrivileges, SubjectContext, AccessMode);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN SeAccessCheck(PSECURITY_DESCRIPTOR SecurityDescriptor, PSECURITY_SUBJECT_CONTEXT
     * SubjectSecurityContext, BOOLEAN SubjectContextLocked, ACCESS_MASK DesiredAccess, ACCESS_MASK
     * PreviouslyGrantedAccess, PPRIVILEGE_SET *Privileges, PGENERIC_MAPPING GenericMapping,
     * KPROCESSOR_MODE AccessMode, PACCESS_MASK GrantedAccess, PNTSTATUS AccessStatus)}: MS-DTYP's
     * algorithm (see {@code dev.offkern.runtime.srm.AccessCheck}); {@code *AccessStatus}
     * STATUS_SUCCESS, STATUS_ACCESS_DENIED, STATUS_PRIVILEGE_NOT_HELD, STATUS_GENERIC_NOT_MAPPED,
     * STATUS_INVALID_SECURITY_DESCR or STATUS_BAD_IMPERSONATION_LEVEL. Privileges (optional) receives
     * a PRIVILEGE_SET of the privileges that granted rights (free it with SeFreePrivileges) or NULL.
     * IRQL: PASSIVE_LEVEL.
     */
    public static boolean SeAccessCheck(MemorySegment SecurityDescriptor, MemorySegment SubjectSecurityContext,
                                        boolean SubjectContextLocked, int DesiredAccess, int PreviouslyGrantedAccess,
                                        MemorySegment Privileges, MemorySegment GenericMapping, int AccessMode,
                                        MemorySegment GrantedAccess, MemorySegment AccessStatus) {
        try {
            return AccessCheck.check(tokens(), SecurityDescriptor, SubjectSecurityContext, SubjectContextLocked, DesiredAccess,
                    PreviouslyGrantedAccess, Privileges, GenericMapping, AccessMode, GrantedAccess, AccessStatus);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID SeFreePrivileges(PPRIVILEGE_SET Privileges)}: frees a set SeAccessCheck returned. IRQL: PASSIVE_LEVEL. */
    public static void SeFreePrivileges(MemorySegment Privileges) {
        try {
            Kernel.callerPools().free(Privileges.address(), SubjectContexts.PRIVILEGES_TAG);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS SeQueryInformationToken(PACCESS_TOKEN Token, TOKEN_INFORMATION_CLASS
     * TokenInformationClass, PVOID *TokenInformation)}: a paged-pool block in the class's format
     * (free with ExFreePool): TokenUser, TokenGroups, TokenPrivileges, TokenOwner, TokenPrimaryGroup,
     * TokenDefaultDacl, TokenSource, TokenType, TokenImpersonationLevel, TokenSessionId;
     * STATUS_INVALID_INFO_CLASS otherwise (and TokenImpersonationLevel of a primary token). IRQL: PASSIVE_LEVEL.
     */
    public static int SeQueryInformationToken(MemorySegment Token, int TokenInformationClass, MemorySegment TokenInformation) {
        try {
            return tokens().queryInformationToken(Token.address(), TokenInformationClass, TokenInformation);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN SeTokenIsAdmin(PACCESS_TOKEN Token)}: BUILTIN\Administrators is an enabled group of the token. IRQL: PASSIVE_LEVEL. */
    public static boolean SeTokenIsAdmin(MemorySegment Token) {
        try {
            return tokens().tokenIsAdmin(Token.address());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS SeAssignSecurity(PSECURITY_DESCRIPTOR ParentDescriptor, PSECURITY_DESCRIPTOR
     * ExplicitDescriptor, PSECURITY_DESCRIPTOR *NewDescriptor, BOOLEAN IsDirectoryObject,
     * PSECURITY_SUBJECT_CONTEXT SubjectContext, PGENERIC_MAPPING GenericMapping, POOL_TYPE PoolType)}:
     * SeAssignSecurityEx with no ObjectType and no AutoInheritFlags. IRQL: PASSIVE_LEVEL.
     */
    public static int SeAssignSecurity(MemorySegment ParentDescriptor, MemorySegment ExplicitDescriptor, MemorySegment NewDescriptor,
                                       boolean IsDirectoryObject, MemorySegment SubjectContext, MemorySegment GenericMapping, int PoolType) {
        return SeAssignSecurityEx(ParentDescriptor, ExplicitDescriptor, NewDescriptor, MemorySegment.NULL, IsDirectoryObject, 0,
                SubjectContext, GenericMapping, PoolType);
    }

    /**
     * {@code NTSTATUS SeAssignSecurityEx(PSECURITY_DESCRIPTOR ParentDescriptor, PSECURITY_DESCRIPTOR
     * ExplicitDescriptor, PSECURITY_DESCRIPTOR *NewDescriptor, GUID *ObjectType, BOOLEAN IsDirectoryObject,
     * ULONG AutoInheritFlags, PSECURITY_SUBJECT_CONTEXT SubjectContext, PGENERIC_MAPPING GenericMapping,
     * POOL_TYPE PoolType)}: the new object's self-relative descriptor in paged pool (free it with
     * SeDeassignSecurity): owner, group, DACL and SACL from the explicit descriptor, the parent's
     * inheritable ACEs and the token's defaults (see {@code dev.offkern.runtime.srm.AssignSecurity}).
     * STATUS_SUCCESS, STATUS_INVALID_OWNER, STATUS_PRIVILEGE_NOT_HELD (an explicit SACL without
     * SeSecurityPrivilege), STATUS_INVALID_SECURITY_DESCR. ObjectType and PoolType are not used. IRQL: PASSIVE_LEVEL.
     */
    public static int SeAssignSecurityEx(MemorySegment ParentDescriptor, MemorySegment ExplicitDescriptor, MemorySegment NewDescriptor,
                                         MemorySegment ObjectType, boolean IsDirectoryObject, int AutoInheritFlags,
                                         MemorySegment SubjectContext, MemorySegment GenericMapping, int PoolType) {
        try {
            return AssignSecurity.assign(tokens(), ParentDescriptor, ExplicitDescriptor, NewDescriptor, IsDirectoryObject,
                    AutoInheritFlags, SubjectContext, GenericMapping);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS SeDeassignSecurity(PSECURITY_DESCRIPTOR *SecurityDescriptor)}: frees it and sets the pointer to NULL. IRQL: PASSIVE_LEVEL. */
    public static int SeDeassignSecurity(MemorySegment SecurityDescriptor) {
        try {
            return AssignSecurity.deassign(tokens(), SecurityDescriptor);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Tokens and subject contexts =====
}
