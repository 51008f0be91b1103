package dev.offkern.nt;

/**
 * Security constants with their Windows names and values (winnt.h, wdm.h, ntifs.h): token access
 * rights, TOKEN_TYPE, SECURITY_IMPERSONATION_LEVEL, TOKEN_INFORMATION_CLASS, SE_GROUP_* and
 * SE_PRIVILEGE_* attributes, the privilege LUIDs (SE_*_PRIVILEGE, the LowPart; HighPart 0), ACE
 * flags and the SEF_* auto-inherit flags of SeAssignSecurityEx.
 */
public final class SeConstants {
    private SeConstants() {
    }

    // ===== token access rights =====
    public static final int TOKEN_ASSIGN_PRIMARY = 0x0001;
    public static final int TOKEN_DUPLICATE = 0x0002;
    public static final int TOKEN_IMPERSONATE = 0x0004;
    public static final int TOKEN_QUERY = 0x0008;
    public static final int TOKEN_QUERY_SOURCE = 0x0010;
    public static final int TOKEN_ADJUST_PRIVILEGES = 0x0020;
    public static final int TOKEN_ADJUST_GROUPS = 0x0040;
    public static final int TOKEN_ADJUST_DEFAULT = 0x0080;
    public static final int TOKEN_ADJUST_SESSIONID = 0x0100;
    public static final int TOKEN_ALL_ACCESS = AccessMask.TOKEN_ALL_ACCESS;

    // ===== TOKEN_TYPE =====
    public static final int TokenPrimary = 1;
    public static final int TokenImpersonation = 2;

    // ===== SECURITY_IMPERSONATION_LEVEL =====
    public static final int SecurityAnonymous = 0;
    public static final int SecurityIdentification = 1;
    public static final int SecurityImpersonation = 2;
    public static final int SecurityDelegation = 3;

    // ===== TOKEN_INFORMATION_CLASS (the classes SeQueryInformationToken answers) =====
    public static final int TokenUser = 1;
    public static final int TokenGroups = 2;
    public static final int TokenPrivileges = 3;
    public static final int TokenOwner = 4;
    public static final int TokenPrimaryGroup = 5;
    public static final int TokenDefaultDacl = 6;
    public static final int TokenSource = 7;
    public static final int TokenType = 8;
    public static final int TokenImpersonationLevel = 9;
    public static final int TokenStatistics = 10;
    public static final int TokenSessionId = 12;

    // ===== SE_GROUP_* (SID_AND_ATTRIBUTES.Attributes of a group) =====
    public static final int SE_GROUP_MANDATORY = 0x00000001;
    public static final int SE_GROUP_ENABLED_BY_DEFAULT = 0x00000002;
    public static final int SE_GROUP_ENABLED = 0x00000004;
    public static final int SE_GROUP_OWNER = 0x00000008;
    public static final int SE_GROUP_USE_FOR_DENY_ONLY = 0x00000010;
    public static final int SE_GROUP_INTEGRITY = 0x00000020;
    public static final int SE_GROUP_INTEGRITY_ENABLED = 0x00000040;
    public static final int SE_GROUP_RESOURCE = 0x20000000;
    public static final int SE_GROUP_LOGON_ID = 0xC0000000;
    /** Every SE_GROUP_* bit ZwCreateToken accepts. */
    public static final int SE_GROUP_VALID_ATTRIBUTES = SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED
            | SE_GROUP_OWNER | SE_GROUP_USE_FOR_DENY_ONLY | SE_GROUP_INTEGRITY | SE_GROUP_INTEGRITY_ENABLED | SE_GROUP_RESOURCE
            | SE_GROUP_LOGON_ID;

    // ===== SE_PRIVILEGE_* (LUID_AND_ATTRIBUTES.Attributes of a privilege) =====
    public static final int SE_PRIVILEGE_ENABLED_BY_DEFAULT = 0x00000001;
    public static final int SE_PRIVILEGE_ENABLED = 0x00000002;
    public static final int SE_PRIVILEGE_REMOVED = 0x00000004;
    public static final int SE_PRIVILEGE_USED_FOR_ACCESS = 0x80000000;
    /** PRIVILEGE_SET.Control: every privilege in the set is required (else any one suffices). */
    public static final int PRIVILEGE_SET_ALL_NECESSARY = 1;

    // ===== privilege LUIDs (LowPart; HighPart 0) =====
    public static final int SE_MIN_WELL_KNOWN_PRIVILEGE = 2;
    public static final int SE_CREATE_TOKEN_PRIVILEGE = 2;
    public static final int SE_ASSIGNPRIMARYTOKEN_PRIVILEGE = 3;
    public static final int SE_LOCK_MEMORY_PRIVILEGE = 4;
    public static final int SE_INCREASE_QUOTA_PRIVILEGE = 5;
    public static final int SE_MACHINE_ACCOUNT_PRIVILEGE = 6;
    public static final int SE_TCB_PRIVILEGE = 7;
    public static final int SE_SECURITY_PRIVILEGE = 8;
    public static final int SE_TAKE_OWNERSHIP_PRIVILEGE = 9;
    public static final int SE_LOAD_DRIVER_PRIVILEGE = 10;
    public static final int SE_SYSTEM_PROFILE_PRIVILEGE = 11;
    public static final int SE_SYSTEMTIME_PRIVILEGE = 12;
    public static final int SE_PROF_SINGLE_PROCESS_PRIVILEGE = 13;
    public static final int SE_INC_BASE_PRIORITY_PRIVILEGE = 14;
    public static final int SE_CREATE_PAGEFILE_PRIVILEGE = 15;
    public static final int SE_CREATE_PERMANENT_PRIVILEGE = 16;
    public static final int SE_BACKUP_PRIVILEGE = 17;
    public static final int SE_RESTORE_PRIVILEGE = 18;
    public static final int SE_SHUTDOWN_PRIVILEGE = 19;
    public static final int SE_DEBUG_PRIVILEGE = 20;
    public static final int SE_AUDIT_PRIVILEGE = 21;
    public static final int SE_SYSTEM_ENVIRONMENT_PRIVILEGE = 22;
    public static final int SE_CHANGE_NOTIFY_PRIVILEGE = 23;
    public static final int SE_REMOTE_SHUTDOWN_PRIVILEGE = 24;
    public static final int SE_UNDOCK_PRIVILEGE = 25;
    public static final int SE_SYNC_AGENT_PRIVILEGE = 26;
    public static final int SE_ENABLE_DELEGATION_PRIVILEGE = 27;
    public static final int SE_MANAGE_VOLUME_PRIVILEGE = 28;
    public static final int SE_IMPERSONATE_PRIVILEGE = 29;
    public static final int SE_CREATE_GLOBAL_PRIVILEGE = 30;
    public static final int SE_TRUSTED_CREDMAN_ACCESS_PRIVILEGE = 31;
    public static final int SE_RELABEL_PRIVILEGE = 32;
    public static final int SE_INC_WORKING_SET_PRIVILEGE = 33;
    public static final int SE_TIME_ZONE_PRIVILEGE = 34;
    public static final int SE_CREATE_SYMBOLIC_LINK_PRIVILEGE = 35;
    public static final int SE_DELEGATE_SESSION_USER_IMPERSONATE_PRIVILEGE = 36;
    public static final int SE_MAX_WELL_KNOWN_PRIVILEGE = 36;

    // ===== ACE flags (ACE_HEADER.AceFlags) =====
    public static final int OBJECT_INHERIT_ACE = 0x01;
    public static final int CONTAINER_INHERIT_ACE = 0x02;
    public static final int NO_PROPAGATE_INHERIT_ACE = 0x04;
    public static final int INHERIT_ONLY_ACE = 0x08;
    public static final int INHERITED_ACE = 0x10;
    public static final int VALID_INHERIT_FLAGS = 0x1F;

    // ===== SECURITY_INFORMATION (ZwQuerySecurityObject, ZwSetSecurityObject) =====
    public static final int OWNER_SECURITY_INFORMATION = 0x01;
    public static final int GROUP_SECURITY_INFORMATION = 0x02;
    public static final int DACL_SECURITY_INFORMATION = 0x04;
    public static final int SACL_SECURITY_INFORMATION = 0x08;
    public static final int LABEL_SECURITY_INFORMATION = 0x10;

    // ===== SEF_* (SeAssignSecurityEx AutoInheritFlags) =====
    public static final int SEF_DACL_AUTO_INHERIT = 0x01;
    public static final int SEF_SACL_AUTO_INHERIT = 0x02;
    public static final int SEF_DEFAULT_DESCRIPTOR_FOR_OBJECT = 0x04;
    public static final int SEF_AVOID_PRIVILEGE_CHECK = 0x08;
    public static final int SEF_AVOID_OWNER_CHECK = 0x10;
    public static final int SEF_DEFAULT_OWNER_FROM_PARENT = 0x20;
    public static final int SEF_DEFAULT_GROUP_FROM_PARENT = 0x40;
    public static final int SEF_MACL_NO_WRITE_UP = 0x100;
    public static final int SEF_MACL_NO_READ_UP = 0x200;
    public static final int SEF_MACL_NO_EXECUTE_UP = 0x400;
    public static final int SEF_AVOID_OWNER_RESTRICTION = 0x1000;
    public static final int SEF_FORCE_USER_MODE = 0x2000;
}
