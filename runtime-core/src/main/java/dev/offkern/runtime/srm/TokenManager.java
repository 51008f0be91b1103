package dev.offkern.runtime.srm;

import dev.offkern.runtime.se.SecurityParsers;
import static dev.offkern.runtime.se.SecurityParsers.POINTER;
import static dev.offkern.runtime.se.SecurityParsers.UCHAR;
import static dev.offkern.runtime.se.SecurityParsers.ULONG;
import static dev.offkern.runtime.se.SecurityParsers.USHORT;

import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.layout.ps.EPROCESS;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.layout.se.ACL;
import dev.offkern.layout.se.LUID_AND_ATTRIBUTES;
import dev.offkern.layout.se.SECURITY_QUALITY_OF_SERVICE;
import dev.offkern.layout.se.SID;
import dev.offkern.layout.se.SID_AND_ATTRIBUTES;
import dev.offkern.layout.se.TOKEN;
import dev.offkern.layout.se.TOKEN_DEFAULT_DACL;
import dev.offkern.layout.se.TOKEN_GROUPS;
import dev.offkern.layout.se.TOKEN_OWNER;
import dev.offkern.layout.se.TOKEN_PRIMARY_GROUP;
import dev.offkern.layout.se.TOKEN_PRIVILEGES;
import dev.offkern.layout.se.TOKEN_SOURCE;
import dev.offkern.layout.se.TOKEN_USER;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.nt.SeConstants;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ob.ObRoutines;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.ob.ObjectType;
import dev.offkern.runtime.pool.LeakReport;
import dev.offkern.runtime.pool.Pools;
import dev.offkern.runtime.ps.ProcessManager;
import dev.offkern.runtime.ps.ProcessSecurity;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A kernel's access tokens: Token objects ({@code SeTokenObjectType}) whose bodies are byte-exact
 * TOKEN structures (layout in {@link TokenData}), each process's primary token in
 * {@code EPROCESS.Token} ({@link PrimaryTokenRef}, the EX_FAST_REF protocol), each thread's
 * impersonation in {@code ETHREAD.ClientSecurity} ({@link ClientSecurity}); the {@code Zw*Token}
 * services, {@code SeQueryInformationToken}, {@code SeTokenIsAdmin} and the {@code Ps*} impersonation
 * routines.
 *
 * <h2>Tokens in offkern</h2>
 * A token's contents never change after creation (offkern has no NtAdjustPrivilegesToken /
 * NtSetInformationToken yet), so readers need no lock; {@link #tokenLock} is the token lock the
 * subject-context routines take in shared mode (SeLockSubjectContext), kept so that a driver's
 * unbalanced unlock is an error, as it is on Windows. The System process's token is a SYSTEM token
 * (see {@link #systemToken()}); every other process gets a primary duplicate of the System
 * process's token at creation. Handles to tokens are the object manager's; the {@code Zw} services
 * run with previous mode KernelMode, so they check no handle access.
 *
 * <p>Where offkern differs from Windows: ExpirationTime is stored but not enforced (Windows does not
 * enforce it either); restricted SIDs, integrity levels, claims, capabilities and logon sessions are
 * not modelled (their TOKEN fields stay 0); PsImpersonateClient's CopyOnOpen is accepted and not kept
 * (ZwOpenThreadTokenEx always opens the thread's token itself). A token made by ZwCreateToken or
 * ZwDuplicateToken gets a security descriptor (OBJECT_ATTRIBUTES' or the creator's defaults); the
 * tokens the kernel makes for processes have none.
 *
 * <p>Progress: token reads are wait-free; {@code PsReferencePrimaryToken} lock-free on its fast path;
 * creation allocates (blocking on the pool's locks).
 */
public final class TokenManager implements ProcessSecurity {
    /** The pool tag of SeQueryInformationToken's results ('SeTi'), freed with ExFreePool. */
    public static final int QUERY_TAG = PoolTags.tag("SeTi");
    /** SYSTEM_LUID: the logon session of LocalSystem. */
    public static final long SYSTEM_LUID = 0x3E7;
    private static final int MAX_GROUPS = 4096;
    private static final int MAX_PRIVILEGES = 4096;

    final KernelCore core;
    final ObjectManager ob;
    final ProcessManager ps;
    final Pools pools;
    final PrimaryTokenRef primary;
    final ClientSecurity client;
    /** The lock SeLockSubjectContext takes shared (tokens are immutable: nobody takes it exclusively yet). */
    final ReentrantReadWriteLock tokenLock = new ReentrantReadWriteLock();
    /** Locally unique ids (TokenId, ModifiedId, AuthenticationId of new sessions): above the well-known LUIDs. */
    private final AtomicLong nextLuid = new AtomicLong(0x10000);
    /** The System process's token (0 until the System process exists); volatile: read by any thread. */
    private volatile long systemToken;

    public TokenManager(KernelCore core, ObjectManager ob, ProcessManager ps, Pools pools) {
        this.core = core;
        this.ob = ob;
        this.ps = ps;
        this.pools = pools;
        this.primary = new PrimaryTokenRef(ob);
        this.client = new ClientSecurity(ob);
    }

    /** A new locally unique id (ExAllocateLocallyUniqueId's role). */
    long allocateLuid() {
        return nextLuid.getAndIncrement();
    }

    // ===== token bodies =====

    /** Creates a Token object from {@code d}; returns its body with the creation reference. */
    long create(TokenData d) {
        ObjectType t = ob.tokenType();
        long size = d.bodySize();
        long body = ob.createObject(t, 0, size);
        if (body == 0) {
            throw new SeFailure(NtStatus.STATUS_INSUFFICIENT_RESOURCES, "no pool memory for a token of " + size + " bytes");
        }
        MemorySegment b = ob.body(body, size);
        b.fill((byte) 0);
        d.write(b, allocateLuid(), allocateLuid());
        return body;
    }

    /** The whole body of token {@code token}; IllegalArgumentException if it is no Token object (0x18 if no object). */
    MemorySegment body(long token, String routine) {
        if (token == 0) {
            throw new IllegalArgumentException(routine + ": Token is NULL");
        }
        ObjectType t = ob.objectType(token);
        if (t != ob.tokenType()) {
            throw new IllegalArgumentException(routine + ": 0x" + Long.toHexString(token) + " is a " + t.name()
                    + " object, not a token (PACCESS_TOKEN)");
        }
        MemorySegment fixed = ob.body(token, TokenData.VARIABLE);
        return ob.body(token, TokenData.bodySizeOf(fixed));
    }

    /** The SYSTEM token: user S-1-5-18, Administrators (the default owner), Everyone, Authenticated Users, System integrity. */
    private TokenData systemTokenData() {
        int on = SeConstants.SE_GROUP_MANDATORY | SeConstants.SE_GROUP_ENABLED_BY_DEFAULT | SeConstants.SE_GROUP_ENABLED;
        List<byte[]> groups = List.of(WellKnownSids.administrators(), WellKnownSids.everyone(), WellKnownSids.authenticatedUsers(),
                WellKnownSids.systemIntegrity());
        int[] attrs = {SeConstants.SE_GROUP_ENABLED_BY_DEFAULT | SeConstants.SE_GROUP_ENABLED | SeConstants.SE_GROUP_OWNER, on, on,
                SeConstants.SE_GROUP_INTEGRITY | SeConstants.SE_GROUP_INTEGRITY_ENABLED};
        long present = 0;
        for (int p = SeConstants.SE_MIN_WELL_KNOWN_PRIVILEGE; p <= SeConstants.SE_MAX_WELL_KNOWN_PRIVILEGE; p++) {
            present |= 1L << p;
        }
        long disabled = 0;
        for (int p : SYSTEM_DISABLED) {
            disabled |= 1L << p;
        }
        long enabled = present & ~disabled;
        byte[] source = {'*', 'S', 'Y', 'S', 'T', 'E', 'M', '*', 0, 0, 0, 0, 0, 0, 0, 0};
        return new TokenData(WellKnownSids.localSystem(), 0, groups, attrs, present, enabled, enabled, 1,
                WellKnownSids.localSystem(), systemDefaultDacl(), source, SeConstants.TokenPrimary, SeConstants.SecurityAnonymous,
                SYSTEM_LUID, Long.MAX_VALUE, 0, 0);
    }

    /**
     * Privileges a SYSTEM token holds disabled (every other one is enabled): those that change what
     * an access check or the system's state allows and that Windows' SYSTEM token keeps disabled
     * until a caller enables them.
     */
    private static final int[] SYSTEM_DISABLED = {SeConstants.SE_ASSIGNPRIMARYTOKEN_PRIVILEGE, SeConstants.SE_INCREASE_QUOTA_PRIVILEGE,
            SeConstants.SE_SECURITY_PRIVILEGE, SeConstants.SE_TAKE_OWNERSHIP_PRIVILEGE, SeConstants.SE_LOAD_DRIVER_PRIVILEGE,
            SeConstants.SE_SYSTEMTIME_PRIVILEGE, SeConstants.SE_BACKUP_PRIVILEGE, SeConstants.SE_RESTORE_PRIVILEGE,
            SeConstants.SE_SHUTDOWN_PRIVILEGE, SeConstants.SE_SYSTEM_ENVIRONMENT_PRIVILEGE, SeConstants.SE_UNDOCK_PRIVILEGE,
            SeConstants.SE_MANAGE_VOLUME_PRIVILEGE, SeConstants.SE_REMOTE_SHUTDOWN_PRIVILEGE, SeConstants.SE_MACHINE_ACCOUNT_PRIVILEGE,
            SeConstants.SE_SYNC_AGENT_PRIVILEGE, SeConstants.SE_ENABLE_DELEGATION_PRIVILEGE, SeConstants.SE_TRUSTED_CREDMAN_ACCESS_PRIVILEGE,
            SeConstants.SE_RELABEL_PRIVILEGE};

    /** D:(A;;GA;;;SY)(A;;GRGXRC;;;BA): the SYSTEM token's default DACL. */
    private static byte[] systemDefaultDacl() {
        return AclBytes.of(List.of(
                AclBytes.ace(AclBytes.ACCESS_ALLOWED, 0, AccessMask.GENERIC_ALL, WellKnownSids.localSystem()),
                AclBytes.ace(AclBytes.ACCESS_ALLOWED, 0, AccessMask.GENERIC_READ | AccessMask.GENERIC_EXECUTE | AccessMask.READ_CONTROL,
                        WellKnownSids.administrators())));
    }

    /** The System process's token (no reference taken; it lives as long as the System process). */
    public long systemToken() {
        ps.systemProcess();
        return systemToken;
    }

    // ===== ProcessSecurity =====

    /**
     * A new process's primary token: the SYSTEM token for the System process; for any other a primary
     * duplicate of its parent's token (EPROCESS.InheritedFromUniqueProcessId), or of the System
     * process's when the parent is gone or unknown.
     */
    @Override
    public void processCreated(MemorySegment eprocess) {
        long token;
        if (eprocess.get(POINTER, EPROCESS.UNIQUE_PROCESS_ID_OFFSET) == ProcessManager.SYSTEM_PROCESS_ID) {
            token = create(systemTokenData());
            systemToken = token; // volatile write
        } else {
            long parent = parentToken(eprocess.get(POINTER, EPROCESS.INHERITED_FROM_UNIQUE_PROCESS_ID_OFFSET));
            try {
                TokenData d = TokenData.read(body(parent, "PspInitializeProcessSecurity"));
                token = create(d.duplicate(SeConstants.TokenPrimary, SeConstants.SecurityAnonymous, false,
                        ob.body(parent, TokenData.VARIABLE).get(POINTER, TOKEN.TOKEN_ID_OFFSET)));
            } finally {
                ob.dereference(parent);
            }
        }
        ob.body(token, TokenData.VARIABLE).set(UCHAR, TOKEN.TOKEN_IN_USE_OFFSET, (byte) 1);
        primary.assign(eprocess, token);
        ob.assignSecurity(eprocess.address(), 0, token, "PspCreateProcess"); // the word holds the token's reference meanwhile
    }

    /**
     * A new thread's security descriptor: SeAssignSecurity with its process's primary token as the
     * subject (the token's default owner, primary group and default DACL, mapped for the Thread type).
     * The token is read without a reference (the word's reserve stays whole): a process that may
     * still get threads is alive and keeps its token until its deletion.
     */
    @Override
    public void threadCreated(MemorySegment ethread, MemorySegment eprocess) {
        long token = PrimaryTokenRef.peek(eprocess);
        if (token == 0) {
            throw new IllegalStateException("PspCreateThread: the thread's process has no primary token");
        }
        ob.assignSecurity(ethread.address(), 0, token, "PspCreateThread");
    }

    @Override
    public boolean debugPrivilege(int previousMode) {
        return SubjectContexts.singlePrivilegeCheck(this, SeConstants.SE_DEBUG_PRIVILEGE, previousMode);
    }

    /** A reference on the primary token of process {@code parentId}, or on the System process's. */
    private long parentToken(long parentId) {
        if (parentId != 0 && parentId != ProcessManager.SYSTEM_PROCESS_ID) {
            MemorySegment out = java.lang.foreign.Arena.ofAuto().allocate(8, 8); // native: the lookup refuses address 0 (a heap segment's)
            if (ps.lookupProcess(parentId, out) == NtStatus.STATUS_SUCCESS) {
                long process = out.get(ValueLayout.JAVA_LONG, 0);
                try {
                    long t = primary.reference(ob.body(process, EPROCESS.X64.size()));
                    if (t != 0) {
                        return t;
                    }
                } finally {
                    ob.dereference(process);
                }
            }
        }
        return primary.reference(ps.systemProcess());
    }

    @Override
    public void processDeleted(MemorySegment eprocess) {
        primary.release(eprocess);
    }

    @Override
    public void threadDeleted(MemorySegment ethread) {
        client.clear(ethread);
    }

    // ===== Ps routines =====

    /** {@code PsReferencePrimaryToken(Process)}: a referenced token (the caller dereferences it). */
    public long referencePrimaryToken(MemorySegment process) {
        MemorySegment e = ps.checkedProcess(process, "PsReferencePrimaryToken");
        long t = primary.reference(e);
        if (t == 0) {
            throw new IllegalStateException("PsReferencePrimaryToken: the process has no primary token (it is being deleted)");
        }
        return t;
    }

    /** {@code PsDereferencePrimaryToken} / {@code PsDereferenceImpersonationToken}: ObDereferenceObject (NULL: nothing). */
    public void dereferenceToken(long token, String routine) {
        if (token == 0) {
            return;
        }
        body(token, routine);
        ob.dereference(token);
    }

    /**
     * {@code PsReferenceImpersonationToken(Thread, CopyOnOpen, EffectiveOnly, ImpersonationLevel)}: the
     * thread's impersonation token referenced, or 0; the three out values (BOOLEAN, BOOLEAN, enum)
     * are written only when it impersonates.
     */
    public long referenceImpersonationToken(MemorySegment thread, MemorySegment copyOnOpen, MemorySegment effectiveOnly,
                                            MemorySegment level) {
        String routine = "PsReferenceImpersonationToken";
        MemorySegment e = ps.checkedThread(thread, routine);
        MemorySegment c = SecurityParsers.out(copyOnOpen, 1, routine);
        MemorySegment eo = SecurityParsers.out(effectiveOnly, 1, routine);
        MemorySegment l = SecurityParsers.out(level, 4, routine);
        long v = client.reference(e);
        if (v == 0) {
            return 0;
        }
        c.set(UCHAR, 0, (byte) 0);
        eo.set(UCHAR, 0, (byte) ((v & ETHREAD.CLIENT_SECURITY_EFFECTIVE_ONLY) != 0 ? 1 : 0));
        l.set(ULONG, 0, (int) (v & ETHREAD.CLIENT_SECURITY_LEVEL_MASK));
        return v & ~7L;
    }

    /**
     * {@code PsImpersonateClient(Thread, Token, CopyOnOpen, EffectiveOnly, ImpersonationLevel)}: the
     * thread impersonates {@code token} (referenced; NULL ends impersonation) at {@code level};
     * STATUS_BAD_IMPERSONATION_LEVEL for a level outside SecurityAnonymous..SecurityDelegation.
     */
    public int impersonateClient(MemorySegment thread, long token, boolean copyOnOpen, boolean effectiveOnly, int level) {
        String routine = "PsImpersonateClient";
        MemorySegment e = ps.checkedThread(thread, routine);
        if (token == 0) {
            client.clear(e);
            return NtStatus.STATUS_SUCCESS;
        }
        MemorySegment b = body(token, routine);
        if (level < SeConstants.SecurityAnonymous || level > SeConstants.SecurityDelegation) {
            return NtStatus.STATUS_BAD_IMPERSONATION_LEVEL;
        }
        if (b.get(ULONG, TOKEN.TOKEN_TYPE_OFFSET) == SeConstants.TokenImpersonation) {
            level = Math.min(level, b.get(ULONG, TOKEN.IMPERSONATION_LEVEL_OFFSET)); // never above the token's own level
        }
        client.set(e, token, level, effectiveOnly);
        return NtStatus.STATUS_SUCCESS;
    }

    /** {@code PsRevertToSelf()}: the calling thread stops impersonating. */
    public void revertToSelf() {
        client.clear(ps.currentThread());
    }

    // ===== SeTokenIsAdmin, SeQueryInformationToken =====

    /** {@code SeTokenIsAdmin(Token)}: whether the token has BUILTIN\Administrators enabled (not deny-only). */
    public boolean tokenIsAdmin(long token) {
        MemorySegment b = body(token, "SeTokenIsAdmin");
        return TokenView.hasEnabledSid(b, MemorySegment.ofArray(WellKnownSids.administrators()));
    }

    /**
     * {@code SeQueryInformationToken(Token, TokenInformationClass, TokenInformation)}: {@code *TokenInformation}
     * receives a paged-pool block (tag 'SeTi', freed with ExFreePool) in the class's user-mode format:
     * TokenUser, TokenGroups, TokenPrivileges, TokenOwner, TokenPrimaryGroup, TokenDefaultDacl,
     * TokenSource, TokenType, TokenImpersonationLevel (STATUS_INVALID_INFO_CLASS for a primary token),
     * TokenSessionId; STATUS_INVALID_INFO_CLASS for other classes, STATUS_INSUFFICIENT_RESOURCES.
     */
    public int queryInformationToken(long token, int infoClass, MemorySegment out) {
        String routine = "SeQueryInformationToken";
        MemorySegment target = SecurityParsers.out(out, 8, routine);
        MemorySegment b = body(token, routine);
        TokenData d = TokenData.read(b);
        byte[] bytes;
        switch (infoClass) {
            case SeConstants.TokenUser -> bytes = sidAndAttributesBlock(List.of(d.user()), new int[] {d.userAttributes()}, false);
            case SeConstants.TokenGroups -> bytes = sidAndAttributesBlock(d.groups(), d.groupAttributes(), true);
            case SeConstants.TokenPrivileges -> bytes = privilegesBlock(d);
            case SeConstants.TokenOwner -> bytes = pointerBlock(d.sid(d.ownerIndex()));
            case SeConstants.TokenPrimaryGroup -> bytes = pointerBlock(d.primaryGroup());
            case SeConstants.TokenDefaultDacl -> bytes = pointerBlock(d.defaultDacl());
            case SeConstants.TokenSource -> bytes = d.source().clone();
            case SeConstants.TokenType -> bytes = ulong(d.type());
            case SeConstants.TokenImpersonationLevel -> {
                if (d.type() != SeConstants.TokenImpersonation) {
                    return NtStatus.STATUS_INVALID_INFO_CLASS;
                }
                bytes = ulong(d.level());
            }
            case SeConstants.TokenSessionId -> bytes = ulong(d.sessionId());
            default -> {
                return NtStatus.STATUS_INVALID_INFO_CLASS;
            }
        }
        MemorySegment block = pools.allocateWithTag(PoolType.PagedPool, bytes.length, QUERY_TAG, true);
        if (block == null || block.address() == 0) {
            return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        }
        block = block.reinterpret(bytes.length);
        block.copyFrom(MemorySegment.ofArray(bytes));
        relocate(block, infoClass, d);
        target.set(POINTER, 0, block.address());
        return NtStatus.STATUS_SUCCESS;
    }

    private static byte[] ulong(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    /** A block whose first 8 bytes will point at the bytes after them ({@code payload}; null: a NULL pointer and nothing). */
    private static byte[] pointerBlock(byte[] payload) {
        byte[] b = new byte[8 + (payload == null ? 0 : payload.length)];
        if (payload != null) {
            System.arraycopy(payload, 0, b, 8, payload.length);
        }
        return b;
    }

    /** TOKEN_USER (no count) or TOKEN_GROUPS (a ULONG count, the array at 8), the SIDs after the array; pointers set by relocate. */
    private static byte[] sidAndAttributesBlock(List<byte[]> sids, int[] attrs, boolean counted) {
        long head = counted ? TOKEN_GROUPS.GROUPS_OFFSET : TOKEN_USER.USER_OFFSET;
        long entry = SID_AND_ATTRIBUTES.X64.size();
        long size = head + sids.size() * entry;
        for (byte[] s : sids) {
            size += (s.length + 3) & ~3;
        }
        if (counted && sids.isEmpty()) {
            size = TOKEN_GROUPS.X64.size() - entry + head - TOKEN_GROUPS.GROUPS_OFFSET; // just the count, padded to the array's start
        }
        MemorySegment m = MemorySegment.ofArray(new byte[(int) Math.max(size, head)]);
        if (counted) {
            m.set(ULONG, TOKEN_GROUPS.GROUP_COUNT_OFFSET, sids.size());
        }
        long sidAt = head + sids.size() * entry;
        for (int i = 0; i < sids.size(); i++) {
            long e = head + i * entry;
            m.set(POINTER, e + SID_AND_ATTRIBUTES.SID_OFFSET, sidAt); // relative for now; relocate adds the block's address
            m.set(ULONG, e + SID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET, attrs[i]);
            MemorySegment.copy(MemorySegment.ofArray(sids.get(i)), 0, m, sidAt, sids.get(i).length);
            sidAt += (sids.get(i).length + 3) & ~3;
        }
        return m.toArray(ValueLayout.JAVA_BYTE);
    }

    private static byte[] privilegesBlock(TokenData d) {
        int n = Long.bitCount(d.present());
        long entry = LUID_AND_ATTRIBUTES.X64.size();
        MemorySegment m = MemorySegment.ofArray(new byte[(int) (TOKEN_PRIVILEGES.PRIVILEGES_OFFSET + n * entry)]);
        m.set(ULONG, TOKEN_PRIVILEGES.PRIVILEGE_COUNT_OFFSET, n);
        int i = 0;
        for (int p = 0; p < 64; p++) {
            if ((d.present() & (1L << p)) == 0) {
                continue;
            }
            long e = TOKEN_PRIVILEGES.PRIVILEGES_OFFSET + i * entry;
            m.set(ULONG, e + LUID_AND_ATTRIBUTES.LUID_OFFSET, p);
            m.set(ULONG, e + LUID_AND_ATTRIBUTES.LUID_OFFSET + 4, 0);
            int a = ((d.enabled() >>> p) & 1) != 0 ? SeConstants.SE_PRIVILEGE_ENABLED : 0;
            a |= ((d.enabledByDefault() >>> p) & 1) != 0 ? SeConstants.SE_PRIVILEGE_ENABLED_BY_DEFAULT : 0;
            m.set(ULONG, e + LUID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET, a);
            i++;
        }
        return m.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Turns the block-relative pointers the builders left into addresses. */
    private static void relocate(MemorySegment block, int infoClass, TokenData d) {
        long base = block.address();
        switch (infoClass) {
            case SeConstants.TokenUser -> block.set(POINTER, TOKEN_USER.USER_OFFSET + SID_AND_ATTRIBUTES.SID_OFFSET,
                    base + block.get(POINTER, TOKEN_USER.USER_OFFSET + SID_AND_ATTRIBUTES.SID_OFFSET));
            case SeConstants.TokenGroups -> {
                for (int i = 0; i < d.groups().size(); i++) {
                    long e = TOKEN_GROUPS.GROUPS_OFFSET + i * SID_AND_ATTRIBUTES.X64.size() + SID_AND_ATTRIBUTES.SID_OFFSET;
                    block.set(POINTER, e, base + block.get(POINTER, e));
                }
            }
            case SeConstants.TokenOwner, SeConstants.TokenPrimaryGroup, SeConstants.TokenDefaultDacl -> {
                if (block.byteSize() > 8) {
                    block.set(POINTER, 0, base + 8); // TOKEN_OWNER.Owner / PrimaryGroup / DefaultDacl: all at offset 0
                }
            }
            default -> {
            }
        }
    }

    // ===== ZwCreateToken =====

    /** What OBJECT_ATTRIBUTES said to a token service: OBJ_* attributes and the SQOS level (-1: none). */
    record TokenAttributes(int attributes, int level, boolean effectiveOnly, long securityDescriptor) {
    }

    static TokenAttributes tokenAttributes(MemorySegment oa, String routine) {
        if (oa == null || oa.address() == 0) {
            return new TokenAttributes(0, -1, false, 0);
        }
        MemorySegment s = SecurityParsers.out(oa, OBJECT_ATTRIBUTES.X64.size(), routine);
        int length = s.get(ULONG, OBJECT_ATTRIBUTES.LENGTH_OFFSET);
        if (length != OBJECT_ATTRIBUTES.X64.size()) {
            throw new SeFailure(NtStatus.STATUS_INVALID_PARAMETER, routine + ": OBJECT_ATTRIBUTES.Length is " + length);
        }
        if (s.get(POINTER, OBJECT_ATTRIBUTES.OBJECT_NAME_OFFSET) != 0 || s.get(POINTER, OBJECT_ATTRIBUTES.ROOT_DIRECTORY_OFFSET) != 0) {
            throw new SeFailure(NtStatus.STATUS_INVALID_PARAMETER, routine + ": token objects have no names (ObjectName/RootDirectory must be NULL)");
        }
        int attributes = s.get(ULONG, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET);
        long sd = s.get(POINTER, OBJECT_ATTRIBUTES.SECURITY_DESCRIPTOR_OFFSET);
        long qos = s.get(POINTER, OBJECT_ATTRIBUTES.SECURITY_QUALITY_OF_SERVICE_OFFSET);
        if (qos == 0) {
            return new TokenAttributes(attributes, -1, false, sd);
        }
        MemorySegment q = SecurityParsers.buffer(MemorySegment.ofAddress(qos), routine, "SecurityQualityOfService");
        if (q.byteSize() < SECURITY_QUALITY_OF_SERVICE.X64.size()) {
            throw new SeFailure(NtStatus.STATUS_INVALID_PARAMETER, routine + ": SecurityQualityOfService lies outside its memory");
        }
        int level = q.get(ULONG, SECURITY_QUALITY_OF_SERVICE.IMPERSONATION_LEVEL_OFFSET);
        if (level < SeConstants.SecurityAnonymous || level > SeConstants.SecurityDelegation) {
            throw new SeFailure(NtStatus.STATUS_BAD_IMPERSONATION_LEVEL, routine + ": ImpersonationLevel " + level + " is no level");
        }
        return new TokenAttributes(attributes, level, q.get(UCHAR, SECURITY_QUALITY_OF_SERVICE.EFFECTIVE_ONLY_OFFSET) != 0, sd);
    }

    /** A valid SID's bytes at {@code address}: STATUS_INVALID_SID otherwise. */
    static byte[] sidBytes(long address, String routine, String what) {
        if (address == 0) {
            throw new SeFailure(NtStatus.STATUS_INVALID_SID, routine + ": " + what + " is NULL");
        }
        MemorySegment s = SecurityParsers.buffer(MemorySegment.ofAddress(address), routine, what);
        if (!SecurityParsers.validSid(s)) {
            throw new SeFailure(NtStatus.STATUS_INVALID_SID, routine + ": " + what + " is no valid SID");
        }
        int count = Byte.toUnsignedInt(s.get(UCHAR, SID.SUB_AUTHORITY_COUNT_OFFSET));
        return s.asSlice(0, SecurityParsers.sidLength(count)).toArray(ValueLayout.JAVA_BYTE);
    }

    /** A valid ACL's bytes at {@code address} (AclSize of them): STATUS_INVALID_ACL otherwise. */
    static byte[] aclBytes(long address, String routine, String what) {
        MemorySegment s = SecurityParsers.buffer(MemorySegment.ofAddress(address), routine, what);
        if (!SecurityParsers.validAcl(s)) {
            throw new SeFailure(NtStatus.STATUS_INVALID_ACL, routine + ": " + what + " is no valid ACL");
        }
        return s.asSlice(0, Short.toUnsignedInt(s.get(USHORT, ACL.ACL_SIZE_OFFSET))).toArray(ValueLayout.JAVA_BYTE);
    }

    private static MemorySegment required(MemorySegment p, long bytes, String routine, String name) {
        if (p == null || p.address() == 0) {
            throw new SeFailure(NtStatus.STATUS_INVALID_PARAMETER, routine + ": " + name + " is NULL");
        }
        return SecurityParsers.out(p, bytes, routine);
    }

    /**
     * {@code ZwCreateToken}: validates every part (see {@link dev.offkern.runtime.srm.TokenManager}'s
     * facade javadoc for the statuses), creates the token and a handle to it in {@code tokenHandle}.
     */
    public int createToken(MemorySegment tokenHandle, int desiredAccess, MemorySegment objectAttributes, int tokenType,
                           MemorySegment authenticationId, MemorySegment expirationTime, MemorySegment user, MemorySegment groups,
                           MemorySegment privileges, MemorySegment owner, MemorySegment primaryGroup, MemorySegment defaultDacl,
                           MemorySegment source) {
        String routine = "ZwCreateToken";
        try {
            if (tokenHandle == null || tokenHandle.address() == 0) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
            if (tokenType != SeConstants.TokenPrimary && tokenType != SeConstants.TokenImpersonation) {
                return NtStatus.STATUS_BAD_TOKEN_TYPE;
            }
            TokenAttributes oa = tokenAttributes(objectAttributes, routine);
            int level = SeConstants.SecurityAnonymous;
            if (tokenType == SeConstants.TokenImpersonation) {
                if (oa.level() < 0) {
                    return NtStatus.STATUS_BAD_IMPERSONATION_LEVEL; // an impersonation token needs its SQOS
                }
                level = oa.level();
            }
            long authId = required(authenticationId, 8, routine, "AuthenticationId").get(POINTER, 0);
            long expiration = required(expirationTime, 8, routine, "ExpirationTime").get(POINTER, 0);
            MemorySegment u = required(user, TOKEN_USER.X64.size(), routine, "User");
            byte[] userSid = sidBytes(u.get(POINTER, TOKEN_USER.USER_OFFSET + SID_AND_ATTRIBUTES.SID_OFFSET), routine, "User->User.Sid");
            int userAttrs = u.get(ULONG, TOKEN_USER.USER_OFFSET + SID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET);
            if ((userAttrs & ~SeConstants.SE_GROUP_USE_FOR_DENY_ONLY) != 0) {
                return NtStatus.STATUS_INVALID_GROUP_ATTRIBUTES;
            }
            MemorySegment g = required(groups, TOKEN_GROUPS.GROUPS_OFFSET, routine, "Groups");
            long groupCount = Integer.toUnsignedLong(g.get(ULONG, TOKEN_GROUPS.GROUP_COUNT_OFFSET));
            if (groupCount > MAX_GROUPS) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
            long entry = SID_AND_ATTRIBUTES.X64.size();
            g = SecurityParsers.out(groups, TOKEN_GROUPS.GROUPS_OFFSET + groupCount * entry, routine);
            List<byte[]> groupSids = new ArrayList<>();
            int[] groupAttrs = new int[(int) groupCount];
            for (int i = 0; i < groupCount; i++) {
                long e = TOKEN_GROUPS.GROUPS_OFFSET + i * entry;
                groupSids.add(sidBytes(g.get(POINTER, e + SID_AND_ATTRIBUTES.SID_OFFSET), routine, "Groups->Groups[" + i + "].Sid"));
                int a = g.get(ULONG, e + SID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET);
                if ((a & ~SeConstants.SE_GROUP_VALID_ATTRIBUTES) != 0
                        || ((a & SeConstants.SE_GROUP_USE_FOR_DENY_ONLY) != 0 && (a & SeConstants.SE_GROUP_ENABLED) != 0)) {
                    return NtStatus.STATUS_INVALID_GROUP_ATTRIBUTES;
                }
                groupAttrs[i] = a;
            }
            MemorySegment p = required(privileges, TOKEN_PRIVILEGES.PRIVILEGES_OFFSET, routine, "Privileges");
            long privCount = Integer.toUnsignedLong(p.get(ULONG, TOKEN_PRIVILEGES.PRIVILEGE_COUNT_OFFSET));
            if (privCount > MAX_PRIVILEGES) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
            long pe = LUID_AND_ATTRIBUTES.X64.size();
            p = SecurityParsers.out(privileges, TOKEN_PRIVILEGES.PRIVILEGES_OFFSET + privCount * pe, routine);
            long present = 0;
            long enabled = 0;
            long byDefault = 0;
            for (int i = 0; i < privCount; i++) {
                long e = TOKEN_PRIVILEGES.PRIVILEGES_OFFSET + i * pe;
                long luid = p.get(POINTER, e + LUID_AND_ATTRIBUTES.LUID_OFFSET);
                if (luid < SeConstants.SE_MIN_WELL_KNOWN_PRIVILEGE || luid > SeConstants.SE_MAX_WELL_KNOWN_PRIVILEGE) {
                    return NtStatus.STATUS_NO_SUCH_PRIVILEGE;
                }
                int a = p.get(ULONG, e + LUID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET);
                present |= 1L << luid;
                if ((a & SeConstants.SE_PRIVILEGE_ENABLED) != 0) {
                    enabled |= 1L << luid;
                }
                if ((a & SeConstants.SE_PRIVILEGE_ENABLED_BY_DEFAULT) != 0) {
                    byDefault |= 1L << luid;
                }
            }
            int ownerIndex = 0;
            if (owner != null && owner.address() != 0) {
                byte[] o = sidBytes(SecurityParsers.out(owner, TOKEN_OWNER.X64.size(), routine).get(POINTER, TOKEN_OWNER.OWNER_OFFSET),
                        routine, "Owner->Owner");
                ownerIndex = -1;
                if (java.util.Arrays.equals(o, userSid)) {
                    ownerIndex = 0;
                } else {
                    for (int i = 0; i < groupSids.size(); i++) {
                        if ((groupAttrs[i] & SeConstants.SE_GROUP_OWNER) != 0 && java.util.Arrays.equals(o, groupSids.get(i))) {
                            ownerIndex = i + 1;
                            break;
                        }
                    }
                }
                if (ownerIndex < 0) {
                    return NtStatus.STATUS_INVALID_OWNER;
                }
            }
            MemorySegment pg = required(primaryGroup, TOKEN_PRIMARY_GROUP.X64.size(), routine, "PrimaryGroup");
            byte[] pgSid = sidBytes(pg.get(POINTER, TOKEN_PRIMARY_GROUP.PRIMARY_GROUP_OFFSET), routine, "PrimaryGroup->PrimaryGroup");
            boolean pgKnown = java.util.Arrays.equals(pgSid, userSid);
            for (byte[] s : groupSids) {
                pgKnown |= java.util.Arrays.equals(pgSid, s);
            }
            if (!pgKnown) {
                return NtStatus.STATUS_INVALID_PRIMARY_GROUP;
            }
            byte[] dacl = null;
            if (defaultDacl != null && defaultDacl.address() != 0) {
                long d = SecurityParsers.out(defaultDacl, TOKEN_DEFAULT_DACL.X64.size(), routine).get(POINTER, TOKEN_DEFAULT_DACL.DEFAULT_DACL_OFFSET);
                if (d != 0) {
                    dacl = aclBytes(d, routine, "DefaultDacl->DefaultDacl");
                }
            }
            byte[] src = required(source, TOKEN_SOURCE.X64.size(), routine, "Source").asSlice(0, TOKEN_SOURCE.X64.size())
                    .toArray(ValueLayout.JAVA_BYTE);
            TokenData data = new TokenData(userSid, userAttrs, groupSids, groupAttrs, present, enabled, byDefault, ownerIndex, pgSid, dacl,
                    src, tokenType, level, authId, expiration, 0, 0);
            long token = create(data);
            int st = assignSecurity(token, oa, routine);
            if (st != NtStatus.STATUS_SUCCESS) {
                return st;
            }
            return openHandle(token, oa.attributes(), desiredAccess, tokenHandle, true);
        } catch (SeFailure f) {
            return f.status();
        }
    }

    /**
     * The new token's security descriptor (a Token is SecurityRequired): OBJECT_ATTRIBUTES'
     * SecurityDescriptor if given, the rest from the caller's token (SeAssignSecurity). On failure the
     * token is dereferenced (deleted) and the status returned.
     */
    private int assignSecurity(long token, TokenAttributes oa, String routine) {
        try {
            ob.assignSecurity(token, oa.securityDescriptor(), routine);
            return NtStatus.STATUS_SUCCESS;
        } catch (dev.offkern.runtime.ob.ObFailure f) {
            ob.dereference(token);
            return f.status();
        }
    }

    /** A handle to {@code token} in {@code handleOut}; with {@code consume} the caller's reference is dropped afterwards. */
    int openHandle(long token, int handleAttributes, int desiredAccess, MemorySegment handleOut, boolean consume) {
        try {
            return ObRoutines.openObjectByPointer(ob, MemorySegment.ofAddress(token), handleAttributes, MemorySegment.NULL,
                    desiredAccess, ob.tokenType().segment(), ObjectManager.KernelMode, handleOut);
        } finally {
            if (consume) {
                ob.dereference(token);
            }
        }
    }

    // ===== ZwOpenProcessTokenEx / ZwOpenThreadTokenEx / ZwDuplicateToken =====

    /** NtCurrentProcess() / NtCurrentThread(). */
    static final long CURRENT_PROCESS = -1;
    static final long CURRENT_THREAD = -2;

    /** {@code ZwOpenProcessTokenEx(ProcessHandle, DesiredAccess, HandleAttributes, TokenHandle)}. */
    public int openProcessToken(long processHandle, int desiredAccess, int handleAttributes, MemorySegment tokenHandle) {
        if (tokenHandle == null || tokenHandle.address() == 0) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        MemorySegment process;
        long referenced = 0;
        if (processHandle == CURRENT_PROCESS) {
            process = ps.currentProcess();
        } else {
            long body = ob.referenceByHandle(processHandle, 0, ob.processType(), ObjectManager.KernelMode, null);
            if (body < 0) {
                return (int) body;
            }
            referenced = body;
            process = ob.body(body, EPROCESS.X64.size());
        }
        try {
            long token = primary.reference(process);
            if (token == 0) {
                return NtStatus.STATUS_PROCESS_IS_TERMINATING;
            }
            return openHandle(token, handleAttributes, desiredAccess, tokenHandle, true);
        } finally {
            if (referenced != 0) {
                ob.dereference(referenced);
            }
        }
    }

    /** {@code ZwOpenThreadTokenEx(ThreadHandle, DesiredAccess, OpenAsSelf, HandleAttributes, TokenHandle)}. */
    public int openThreadToken(long threadHandle, int desiredAccess, boolean openAsSelf, int handleAttributes, MemorySegment tokenHandle) {
        if (tokenHandle == null || tokenHandle.address() == 0) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        MemorySegment thread;
        long referenced = 0;
        if (threadHandle == CURRENT_THREAD) {
            thread = ps.currentThread();
        } else {
            long body = ob.referenceByHandle(threadHandle, 0, ob.threadType(), ObjectManager.KernelMode, null);
            if (body < 0) {
                return (int) body;
            }
            referenced = body;
            thread = ob.body(body, ETHREAD.X64.size());
        }
        try {
            long v = client.reference(thread);
            if (v == 0) {
                return NtStatus.STATUS_NO_TOKEN;
            }
            long token = v & ~7L;
            if ((v & ETHREAD.CLIENT_SECURITY_LEVEL_MASK) == SeConstants.SecurityAnonymous) {
                ob.dereference(token);
                return NtStatus.STATUS_CANT_OPEN_ANONYMOUS;
            }
            return openHandle(token, handleAttributes, desiredAccess, tokenHandle, true);
        } finally {
            if (referenced != 0) {
                ob.dereference(referenced);
            }
        }
    }

    /** {@code ZwDuplicateToken(ExistingTokenHandle, DesiredAccess, ObjectAttributes, EffectiveOnly, TokenType, NewTokenHandle)}. */
    public int duplicateToken(long existingHandle, int desiredAccess, MemorySegment objectAttributes, boolean effectiveOnly,
                              int tokenType, MemorySegment newTokenHandle) {
        String routine = "ZwDuplicateToken";
        if (newTokenHandle == null || newTokenHandle.address() == 0) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        if (tokenType != SeConstants.TokenPrimary && tokenType != SeConstants.TokenImpersonation) {
            return NtStatus.STATUS_BAD_TOKEN_TYPE;
        }
        try {
            TokenAttributes oa = tokenAttributes(objectAttributes, routine);
            long existing = ob.referenceByHandle(existingHandle, SeConstants.TOKEN_DUPLICATE, ob.tokenType(), ObjectManager.KernelMode, null);
            if (existing < 0) {
                return (int) existing;
            }
            TokenData d;
            long parentId;
            try {
                MemorySegment b = body(existing, routine);
                d = TokenData.read(b);
                parentId = b.get(POINTER, TOKEN.TOKEN_ID_OFFSET);
            } finally {
                ob.dereference(existing);
            }
            int level = oa.level() < 0 ? SeConstants.SecurityAnonymous : oa.level();
            if (d.type() == SeConstants.TokenImpersonation) {
                if (tokenType == SeConstants.TokenImpersonation && level > d.level()) {
                    return NtStatus.STATUS_BAD_IMPERSONATION_LEVEL; // never raise a level
                }
                if (tokenType == SeConstants.TokenPrimary && d.level() < SeConstants.SecurityImpersonation) {
                    return NtStatus.STATUS_BAD_IMPERSONATION_LEVEL; // an identification token cannot become primary
                }
            }
            if (tokenType == SeConstants.TokenPrimary) {
                level = SeConstants.SecurityAnonymous;
            }
            long token = create(d.duplicate(tokenType, level, effectiveOnly || oa.effectiveOnly(), parentId));
            int st = assignSecurity(token, oa, routine);
            if (st != NtStatus.STATUS_SUCCESS) {
                return st;
            }
            return openHandle(token, oa.attributes(), desiredAccess, newTokenHandle, true);
        } catch (SeFailure f) {
            return f.status();
        }
    }

    // ===== shutdown =====

    /** Token blocks (header + body size → count) that only the kernel's own processes hold, noted by {@link #close()}. */
    private final java.util.Map<Long, Long> ownTokens = new java.util.HashMap<>();

    /**
     * Kernel close, after the process manager's: notes the primary token of every process still on
     * PsActiveProcessHead (the System process and tenants never terminated, which the process manager
     * counts as the kernel's own) when only that process holds it (1 + its reserve, no handle), so
     * that {@link #excludingOwn} drops it from the leak report, as the processes themselves are.
     */
    public synchronized void close() {
        if (systemToken == 0) {
            return;
        }
        try {
            long head = ps.activeProcessHead();
            long link = linkAt(head);
            int guard = 0;
            while (link != head && link != 0 && guard++ < 1_000_000) {
                MemorySegment e = ob.body(link - EPROCESS.ACTIVE_PROCESS_LINKS_OFFSET, EPROCESS.X64.size());
                long t = PrimaryTokenRef.peek(e);
                if (t != 0 && ob.pointerCount(t) == 1 + PrimaryTokenRef.reserve(e) && ob.handleCount(t) == 0) {
                    ownTokens.merge(ObjectManager.HEADER_SIZE + TokenData.bodySizeOf(ob.body(t, TokenData.VARIABLE)), 1L, Long::sum);
                }
                link = linkAt(link);
            }
        } catch (RuntimeException unreadable) {
            // the report shows what was not noted
        }
    }

    private long linkAt(long listEntry) {
        return core.find(listEntry, 8).segment().get(ValueLayout.JAVA_LONG_UNALIGNED, core.find(listEntry, 8).offsetOf(listEntry));
    }

    /** {@code report} without the token blocks {@link #close()} found held by the kernel's own processes alone. */
    public synchronized LeakReport excludingOwn(LeakReport report) {
        if (ownTokens.isEmpty()) {
            return report;
        }
        java.util.Map<Long, Long> left = new java.util.HashMap<>(ownTokens);
        List<LeakReport.Leak> out = new ArrayList<>();
        for (LeakReport.Leak l : report.leaks()) {
            Long n = l.tag() == ob.tokenType().key() ? left.remove(l.size()) : null;
            long count = n == null ? l.count() : l.count() - n;
            if (count > 0) {
                out.add(new LeakReport.Leak(l.tag(), l.poolType(), l.size(), count, l.driver()));
            }
        }
        return new LeakReport(out);
    }
}
