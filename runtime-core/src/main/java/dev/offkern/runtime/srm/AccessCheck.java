package dev.offkern.runtime.srm;

import dev.offkern.runtime.se.SecurityParsers;
import static dev.offkern.runtime.se.SecurityParsers.POINTER;
import static dev.offkern.runtime.se.SecurityParsers.UCHAR;
import static dev.offkern.runtime.se.SecurityParsers.ULONG;
import static dev.offkern.runtime.se.SecurityParsers.USHORT;

import dev.offkern.layout.se.ACCESS_ALLOWED_ACE;
import dev.offkern.layout.se.ACE_HEADER;
import dev.offkern.layout.se.ACL;
import dev.offkern.layout.se.GENERIC_MAPPING;
import dev.offkern.layout.se.LUID_AND_ATTRIBUTES;
import dev.offkern.layout.se.PRIVILEGE_SET;
import dev.offkern.layout.se.SECURITY_SUBJECT_CONTEXT;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolType;
import dev.offkern.nt.SeConstants;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;

/**
 * {@code SeAccessCheck}: MS-DTYP 2.5.3.2's access-check algorithm over a security descriptor (either
 * form) and a captured subject context, as the Windows kernel runs it.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>KernelMode: granted without looking at the descriptor ({@code MAXIMUM_ALLOWED} gives the
 *       mapping's GenericAll); TRUE.</li>
 *   <li>The descriptor must be valid and have an owner and a group (STATUS_INVALID_SECURITY_DESCR;
 *       NULL: STATUS_ACCESS_DENIED). A client token below SecurityImpersonation cannot be used
 *       (STATUS_BAD_IMPERSONATION_LEVEL). The effective token is the client token, else the primary.</li>
 *   <li>Generic rights in DesiredAccess and PreviouslyGrantedAccess are mapped with GenericMapping;
 *       a generic right the mapping maps to nothing is STATUS_GENERIC_NOT_MAPPED. ACE masks are used
 *       as stored (MS-DTYP; descriptors are mapped when assigned) — ReactOS maps them, Windows does not.</li>
 *   <li>ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege enabled (else STATUS_PRIVILEGE_NOT_HELD);
 *       WRITE_OWNER (asked or under MAXIMUM_ALLOWED) is granted by SeTakeOwnershipPrivilege. The
 *       privileges used come back in a PRIVILEGE_SET (paged pool, SeFreePrivileges) when the check
 *       grants.</li>
 *   <li>No DACL (absent, or present and NULL): everything asked is granted. An empty DACL grants
 *       nothing but the owner's implicit rights and the privileges'.</li>
 *   <li>The owner (the owner SID is the user or an enabled group) gets READ_CONTROL | WRITE_DAC
 *       implicitly, which no ACE denies — unless the DACL has an effective ACE naming OWNER RIGHTS
 *       (S-1-3-4), whose ACEs then apply to the owner instead.</li>
 *   <li>The ACEs in order, inherit-only ones skipped: an access-allowed ACE whose SID is in the
 *       token (user unless deny-only; enabled, not deny-only groups) grants its rights not yet
 *       denied; an access-denied ACE whose SID is in the token (user, enabled or deny-only groups)
 *       denies its rights not yet granted. Object and callback ACEs apply only to checks with an
 *       object-type list or claims, so SeAccessCheck skips them. Without MAXIMUM_ALLOWED the walk
 *       stops as soon as every right is decided.</li>
 *   <li>Granted iff every right asked is granted (and, for MAXIMUM_ALLOWED, something is):
 *       {@code *GrantedAccess} = the rights asked (MAXIMUM_ALLOWED: every right the DACL allows)
 *       | PreviouslyGrantedAccess; else 0 and STATUS_ACCESS_DENIED. DesiredAccess 0 grants
 *       PreviouslyGrantedAccess, or is denied when that is 0 too.</li>
 * </ol>
 *
 * <p>Progress: wait-free apart from the shared token lock when {@code SubjectContextLocked} is FALSE
 * (taken for the check, as Windows does) and the pool allocation of a privilege set.
 */
public final class AccessCheck {
    private static final int GENERIC = AccessMask.GENERIC_READ | AccessMask.GENERIC_WRITE | AccessMask.GENERIC_EXECUTE
            | AccessMask.GENERIC_ALL;
    /** GENERIC_READ, _WRITE, _EXECUTE, _ALL in GENERIC_MAPPING's order. */
    private static final int[] GENERIC_BITS = {AccessMask.GENERIC_READ, AccessMask.GENERIC_WRITE, AccessMask.GENERIC_EXECUTE,
            AccessMask.GENERIC_ALL};
    private static final int IMPLICIT_OWNER = AccessMask.READ_CONTROL | AccessMask.WRITE_DAC;
    private static final MemorySegment OWNER_RIGHTS = MemorySegment.ofArray(WellKnownSids.ownerRights());
    private static final long OWNER_RIGHTS_FIRST = OWNER_RIGHTS.get(POINTER, 0);

    /** Per-thread array the descriptor's components are parsed into (no allocation per check). */
    private static final ThreadLocal<MemorySegment[]> COMPONENTS = ThreadLocal.withInitial(() -> new MemorySegment[4]);

    private AccessCheck() {
    }

    /** The four rights of a GENERIC_MAPPING: read, write, execute, all. */
    static int[] mapping(MemorySegment gm, String routine) {
        if (gm == null || gm.address() == 0) {
            throw new IllegalArgumentException(routine + ": GenericMapping is NULL");
        }
        MemorySegment g = SecurityParsers.out(gm, GENERIC_MAPPING.X64.size(), routine);
        return new int[] {g.get(ULONG, GENERIC_MAPPING.GENERIC_READ_OFFSET), g.get(ULONG, GENERIC_MAPPING.GENERIC_WRITE_OFFSET),
                g.get(ULONG, GENERIC_MAPPING.GENERIC_EXECUTE_OFFSET), g.get(ULONG, GENERIC_MAPPING.GENERIC_ALL_OFFSET)};
    }

    /** RtlMapGenericMask on a value; -1 when a generic right maps to nothing (not mapped). */
    static long map(int mask, int[] m) {
        int out = mask & ~GENERIC;
        if ((mask & GENERIC) == 0) {
            return Integer.toUnsignedLong(out);
        }
        for (int i = 0; i < 4; i++) {
            if ((mask & GENERIC_BITS[i]) != 0) {
                int to = m[i] & ~GENERIC;
                if (to == 0) {
                    return -1;
                }
                out |= to;
            }
        }
        return Integer.toUnsignedLong(out);
    }

    /**
     * {@code SeAccessCheck(SecurityDescriptor, SubjectSecurityContext, SubjectContextLocked,
     * DesiredAccess, PreviouslyGrantedAccess, Privileges, GenericMapping, AccessMode, GrantedAccess,
     * AccessStatus)}.
     */
    public static boolean check(TokenManager tm, MemorySegment sd, MemorySegment ctx, boolean locked, int desired,
                                int previouslyGranted, MemorySegment privilegesOut, MemorySegment genericMapping, int accessMode,
                                MemorySegment grantedOut, MemorySegment statusOut) {
        String routine = "SeAccessCheck";
        MemorySegment granted = out(grantedOut, routine, "GrantedAccess");
        MemorySegment status = out(statusOut, routine, "AccessStatus");
        MemorySegment privOut = privilegesOut == null || privilegesOut.address() == 0 ? null
                : SecurityParsers.out(privilegesOut, 8, routine);
        if (privOut != null) {
            privOut.set(POINTER, 0, 0L);
        }
        int[] m = mapping(genericMapping, routine);
        MemorySegment c = SubjectContexts.context(ctx, routine);
        long d = map(desired, m);
        long p = map(previouslyGranted, m);
        if (d < 0 || p < 0) {
            return fail(granted, status, NtStatus.STATUS_GENERIC_NOT_MAPPED);
        }
        int want = (int) d;
        int prev = (int) p;
        if (accessMode == ObjectManager.KernelMode) {
            int g = (want & AccessMask.MAXIMUM_ALLOWED) != 0 ? (m[3] & ~GENERIC) | (want & ~AccessMask.MAXIMUM_ALLOWED) | prev : want | prev;
            return succeed(granted, status, g);
        }
        if (sd == null || sd.address() == 0) {
            return fail(granted, status, NtStatus.STATUS_ACCESS_DENIED);
        }
        MemorySegment[] parts = COMPONENTS.get();
        MemorySegment b = SecurityParsers.find(sd, routine, "SecurityDescriptor"); // resolved once, validated and split in one pass
        if (b == null || !SecurityParsers.validDescriptor(b, parts)) {
            return fail(granted, status, NtStatus.STATUS_INVALID_SECURITY_DESCR);
        }
        MemorySegment owner = parts[SecurityParsers.OWNER];
        MemorySegment group = parts[SecurityParsers.GROUP];
        MemorySegment dacl = parts[SecurityParsers.DACL];
        java.util.Arrays.fill(parts, null); // no stale segment kept alive
        if (owner == null || group == null) {
            return fail(granted, status, NtStatus.STATUS_INVALID_SECURITY_DESCR);
        }
        long client = c.get(POINTER, SECURITY_SUBJECT_CONTEXT.CLIENT_TOKEN_OFFSET);
        if (client != 0 && c.get(ULONG, SECURITY_SUBJECT_CONTEXT.IMPERSONATION_LEVEL_OFFSET) < SeConstants.SecurityImpersonation) {
            return fail(granted, status, NtStatus.STATUS_BAD_IMPERSONATION_LEVEL);
        }
        MemorySegment tb = SubjectContexts.effectiveToken(tm, c, SeConstants.SecurityImpersonation, routine);
        if (!locked) {
            tm.tokenLock.readLock().lock();
        }
        try {
            return checkLocked(tm, tb, owner, dacl, want, prev, m, privOut, granted, status);
        } finally {
            if (!locked) {
                tm.tokenLock.readLock().unlock();
            }
        }
    }

    private static boolean checkLocked(TokenManager tm, MemorySegment tb, MemorySegment owner, MemorySegment dacl, int want, int prev,
                                       int[] m, MemorySegment privOut, MemorySegment granted, MemorySegment status) {
        if (want == 0) {
            return prev == 0 ? fail(granted, status, NtStatus.STATUS_ACCESS_DENIED) : succeed(granted, status, prev);
        }
        boolean max = (want & AccessMask.MAXIMUM_ALLOWED) != 0;
        int asked = want & ~AccessMask.MAXIMUM_ALLOWED;
        long privileges = TokenView.enabledPrivileges(tb);
        long used = 0;
        if ((asked & AccessMask.ACCESS_SYSTEM_SECURITY) != 0) {
            if ((privileges & (1L << SeConstants.SE_SECURITY_PRIVILEGE)) == 0) {
                return fail(granted, status, NtStatus.STATUS_PRIVILEGE_NOT_HELD);
            }
            prev |= AccessMask.ACCESS_SYSTEM_SECURITY;
            used |= 1L << SeConstants.SE_SECURITY_PRIVILEGE;
        }
        if (((asked & AccessMask.WRITE_OWNER) != 0 || max) && (privileges & (1L << SeConstants.SE_TAKE_OWNERSHIP_PRIVILEGE)) != 0) {
            prev |= AccessMask.WRITE_OWNER;
            used |= 1L << SeConstants.SE_TAKE_OWNERSHIP_PRIVILEGE;
        }
        int remaining = asked & ~prev;
        if (!max && remaining == 0) {
            return grant(tm, granted, status, privOut, used, asked | prev);
        }
        if (dacl == null) { // no DACL, or a NULL DACL: no protection
            int g = asked | prev | (max ? m[3] & ~GENERIC : 0);
            return grant(tm, granted, status, privOut, used, g);
        }
        int count = Short.toUnsignedInt(dacl.get(USHORT, ACL.ACE_COUNT_OFFSET));
        long ownerLen = owner.byteSize();
        boolean isOwner = TokenView.sidInToken(tb, owner, 0, ownerLen, false);
        if (isOwner && !hasOwnerRightsAce(dacl, count)) {
            prev |= IMPLICIT_OWNER & (max ? -1 : asked);
            remaining = asked & ~prev;
            if (!max && remaining == 0) {
                return grant(tm, granted, status, privOut, used, asked | prev);
            }
        }
        int allowed = 0;
        int denied = 0;
        long at = ACL.LAYOUT.byteSize();
        for (int i = 0; i < count; i++) {
            int type = Byte.toUnsignedInt(dacl.get(UCHAR, at + ACE_HEADER.ACE_TYPE_OFFSET));
            int flags = Byte.toUnsignedInt(dacl.get(UCHAR, at + ACE_HEADER.ACE_FLAGS_OFFSET));
            int size = Short.toUnsignedInt(dacl.get(USHORT, at + ACE_HEADER.ACE_SIZE_OFFSET));
            if ((flags & SeConstants.INHERIT_ONLY_ACE) == 0
                    && (type == AclBytes.ACCESS_ALLOWED || type == AclBytes.ACCESS_DENIED)) {
                boolean deny = type == AclBytes.ACCESS_DENIED;
                int mask = dacl.get(ULONG, at + ACCESS_ALLOWED_ACE.MASK_OFFSET);
                long sid = at + ACCESS_ALLOWED_ACE.SID_START_OFFSET;
                long len = TokenView.sidLength(dacl, sid);
                boolean matches = isOwnerRights(dacl, sid, len) ? TokenView.sidInToken(tb, owner, 0, ownerLen, deny)
                        : TokenView.sidInToken(tb, dacl, sid, len, deny);
                if (matches) {
                    if (deny) {
                        denied |= mask & ~allowed;
                        if (!max && (remaining & denied) != 0) {
                            break; // a right asked is denied
                        }
                    } else {
                        allowed |= mask & ~denied;
                        if (!max && (remaining & ~allowed) == 0) {
                            break; // every right asked is granted
                        }
                    }
                }
            }
            at += size;
        }
        if ((remaining & ~allowed) != 0) {
            return fail(granted, status, NtStatus.STATUS_ACCESS_DENIED);
        }
        int g = max ? allowed | prev | asked : asked | prev;
        if (g == 0) {
            return fail(granted, status, NtStatus.STATUS_ACCESS_DENIED);
        }
        return grant(tm, granted, status, privOut, used, g);
    }

    private static boolean isOwnerRights(MemorySegment acl, long sid, long len) {
        return len == OWNER_RIGHTS.byteSize() && acl.get(POINTER, sid) == OWNER_RIGHTS_FIRST
                && MemorySegment.mismatch(acl, sid, sid + len, OWNER_RIGHTS, 0, len) == -1;
    }

    private static boolean hasOwnerRightsAce(MemorySegment dacl, int count) {
        long at = ACL.LAYOUT.byteSize();
        for (int i = 0; i < count; i++) {
            int type = Byte.toUnsignedInt(dacl.get(UCHAR, at + ACE_HEADER.ACE_TYPE_OFFSET));
            int flags = Byte.toUnsignedInt(dacl.get(UCHAR, at + ACE_HEADER.ACE_FLAGS_OFFSET));
            if ((flags & SeConstants.INHERIT_ONLY_ACE) == 0
                    && (type == AclBytes.ACCESS_ALLOWED || type == AclBytes.ACCESS_DENIED)) {
                long sid = at + ACCESS_ALLOWED_ACE.SID_START_OFFSET;
                if (isOwnerRights(dacl, sid, TokenView.sidLength(dacl, sid))) {
                    return true;
                }
            }
            at += Short.toUnsignedInt(dacl.get(USHORT, at + ACE_HEADER.ACE_SIZE_OFFSET));
        }
        return false;
    }

    private static boolean grant(TokenManager tm, MemorySegment granted, MemorySegment status, MemorySegment privOut, long used, int g) {
        if (used != 0 && privOut != null) {
            privOut.set(POINTER, 0, privilegeSet(tm, used));
        }
        return succeed(granted, status, g);
    }

    /** A PRIVILEGE_SET (paged pool, 'SePr') of the privileges in {@code used}, each SE_PRIVILEGE_USED_FOR_ACCESS. */
    private static long privilegeSet(TokenManager tm, long used) {
        int n = Long.bitCount(used);
        long entry = LUID_AND_ATTRIBUTES.X64.size();
        long size = PRIVILEGE_SET.PRIVILEGE_OFFSET + n * entry;
        MemorySegment s = tm.pools.allocateWithTag(PoolType.PagedPool, size, SubjectContexts.PRIVILEGES_TAG, true);
        if (s == null || s.address() == 0) {
            return 0; // no memory: the caller learns no privilege set (the check's answer stands)
        }
        s = s.reinterpret(size);
        s.set(ULONG, PRIVILEGE_SET.PRIVILEGE_COUNT_OFFSET, n);
        s.set(ULONG, PRIVILEGE_SET.CONTROL_OFFSET, 0);
        int i = 0;
        for (int luid = 0; luid < 64; luid++) {
            if ((used & (1L << luid)) != 0) {
                long e = PRIVILEGE_SET.PRIVILEGE_OFFSET + i++ * entry;
                s.set(POINTER, e + LUID_AND_ATTRIBUTES.LUID_OFFSET, luid);
                s.set(ULONG, e + LUID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET, SeConstants.SE_PRIVILEGE_USED_FOR_ACCESS);
            }
        }
        return s.address();
    }

    private static MemorySegment out(MemorySegment p, String routine, String name) {
        if (p == null || p.address() == 0) {
            throw new IllegalArgumentException(routine + ": " + name + " is NULL");
        }
        return SecurityParsers.out(p, 4, routine);
    }

    private static boolean fail(MemorySegment granted, MemorySegment status, int st) {
        granted.set(ULONG, 0, 0);
        status.set(ULONG, 0, st);
        return false;
    }

    private static boolean succeed(MemorySegment granted, MemorySegment status, int g) {
        granted.set(ULONG, 0, g);
        status.set(ULONG, 0, NtStatus.STATUS_SUCCESS);
        return true;
    }
}
