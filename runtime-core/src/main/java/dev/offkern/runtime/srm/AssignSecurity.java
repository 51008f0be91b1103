package dev.offkern.runtime.srm;

import dev.offkern.runtime.se.SecurityParsers;
import static dev.offkern.runtime.se.SecurityParsers.POINTER;
import static dev.offkern.runtime.se.SecurityParsers.UCHAR;
import static dev.offkern.runtime.se.SecurityParsers.ULONG;
import static dev.offkern.runtime.se.SecurityParsers.USHORT;

import dev.offkern.layout.se.ACCESS_ALLOWED_ACE;
import dev.offkern.layout.se.ACE_HEADER;
import dev.offkern.layout.se.ACL;
import dev.offkern.layout.se.SECURITY_DESCRIPTOR_RELATIVE;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.nt.SeConstants;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code SeAssignSecurity}/{@code SeAssignSecurityEx}: the security descriptor of a new object from
 * its parent's (inheritance), the creator's explicit one and the creator's token (defaults), as
 * MS-DTYP 2.5.3.4 (CreateSecurityDescriptor, ComputeACL, ComputeInheritedACLFromParent) specifies.
 *
 * <h2>Owner and group</h2>
 * The explicit descriptor's, else (SEF_DEFAULT_OWNER_FROM_PARENT / SEF_DEFAULT_GROUP_FROM_PARENT)
 * the parent's, else the token's default owner and primary group. An explicit owner must be the
 * token's user or one of its groups with SE_GROUP_OWNER, or the token must have SeRestorePrivilege
 * enabled; else STATUS_INVALID_OWNER (SEF_AVOID_OWNER_CHECK skips the check).
 *
 * <h2>DACL</h2>
 * An explicit, non-defaulted DACL is used as given (a NULL DACL stays NULL); with
 * SEF_DACL_AUTO_INHERIT and no SE_DACL_PROTECTED its non-inherited ACEs are kept and the parent's
 * inheritable ACEs appended (SE_DACL_AUTO_INHERITED). Else the ACEs inherited from the parent, if
 * any; else an explicit defaulted DACL; else the token's default DACL; else none. The SACL follows
 * the same rules without a token default, and an explicit SACL needs SeSecurityPrivilege
 * (STATUS_PRIVILEGE_NOT_HELD; SEF_AVOID_PRIVILEGE_CHECK skips it). Whatever their source, the
 * generic rights of the new DACL's and SACL's ACEs that apply to the object (not INHERIT_ONLY) are
 * mapped with GenericMapping, as Windows' RtlpApplyAclToObject does (the access check compares ACE
 * masks as stored).
 *
 * <h2>Inheritance (one parent ACE)</h2>
 * <ul>
 *   <li>Object (not a container): an OBJECT_INHERIT ACE becomes an effective ACE with no inheritance
 *       flags; any other is not inherited.</li>
 *   <li>Container: a CONTAINER_INHERIT ACE is inherited; with NO_PROPAGATE_INHERIT as an effective ACE
 *       only, else keeping OBJECT_/CONTAINER_INHERIT for the container's children. When the ACE
 *       names CREATOR OWNER / CREATOR GROUP or holds generic rights, it splits in two: an effective
 *       ACE (the SID replaced by the new owner / group, the rights mapped with GenericMapping, no
 *       inheritance flags) and an inherit-only copy of the original to pass on. An OBJECT_INHERIT-only
 *       ACE becomes inherit-only (OI | IO) for the container's objects, unless NO_PROPAGATE_INHERIT.</li>
 *   <li>Every inherited ACE carries INHERITED_ACE; effective ACEs of objects have their SIDs replaced
 *       and rights mapped too. Object ACEs (GUIDs before the SID) are inherited by the same flag rules
 *       without SID replacement or mapping.</li>
 * </ul>
 * The result is self-relative (Windows' order: SACL, DACL, owner, group) in paged pool, freed with
 * SeDeassignSecurity. PoolType is ignored, as on Windows.
 *
 * <p>Progress: blocking only in the pool allocation; no locks (tokens are immutable).
 */
public final class AssignSecurity {
    static final int SE_SACL_DEFAULTED = 0x0020;
    static final int SE_DACL_AUTO_INHERIT_REQ = 0x0100;
    static final int SE_SACL_AUTO_INHERIT_REQ = 0x0200;
    static final int SE_DACL_AUTO_INHERITED = 0x0400;
    static final int SE_SACL_AUTO_INHERITED = 0x0800;
    static final int SE_DACL_PROTECTED = 0x1000;
    static final int SE_SACL_PROTECTED = 0x2000;
    /** The pool tag of assigned descriptors ('SeSd'). */
    public static final int TAG = PoolTags.tag("SeSd");

    private static final int GENERIC = AccessMask.GENERIC_READ | AccessMask.GENERIC_WRITE | AccessMask.GENERIC_EXECUTE
            | AccessMask.GENERIC_ALL;
    private static final byte[] CREATOR_OWNER = WellKnownSids.creatorOwner();
    private static final byte[] CREATOR_GROUP = WellKnownSids.creatorGroup();
    private static final int INHERIT_FLAGS = SeConstants.OBJECT_INHERIT_ACE | SeConstants.CONTAINER_INHERIT_ACE
            | SeConstants.NO_PROPAGATE_INHERIT_ACE | SeConstants.INHERIT_ONLY_ACE;

    private AssignSecurity() {
    }

    /** A descriptor's components as bytes (null: absent); {@code daclPresent} distinguishes a NULL DACL from none. */
    private record Parts(byte[] owner, byte[] group, boolean daclPresent, byte[] dacl, boolean saclPresent, byte[] sacl, int control) {
    }

    private static Parts parts(MemorySegment sd, String routine, String name) {
        if (sd == null || sd.address() == 0) {
            return null;
        }
        if (!SecurityParsers.validDescriptor(sd)) {
            throw new SeFailure(NtStatus.STATUS_INVALID_SECURITY_DESCR, routine + ": " + name + " is no valid security descriptor");
        }
        MemorySegment b = SecurityParsers.buffer(sd, routine, name);
        int control = SecurityParsers.control(b);
        return new Parts(bytes(SecurityParsers.owner(b, routine)), bytes(SecurityParsers.group(b, routine)),
                (control & dev.offkern.runtime.se.RtlSecurityDescriptor.SE_DACL_PRESENT) != 0, bytes(SecurityParsers.dacl(b, routine)),
                (control & dev.offkern.runtime.se.RtlSecurityDescriptor.SE_SACL_PRESENT) != 0, bytes(SecurityParsers.sacl(b, routine)), control);
    }

    private static byte[] bytes(MemorySegment c) {
        return c == null ? null : c.toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * {@code SeAssignSecurityEx(ParentDescriptor, ExplicitDescriptor, NewDescriptor, ObjectType,
     * IsDirectoryObject, AutoInheritFlags, SubjectContext, GenericMapping, PoolType)}.
     */
    public static int assign(TokenManager tm, MemorySegment parent, MemorySegment explicit, MemorySegment newOut,
                             boolean isContainer, int flags, MemorySegment ctx, MemorySegment genericMapping) {
        return assign(tm, parent, explicit, newOut, isContainer, flags, ctx, genericMapping, PoolType.PagedPool);
    }

    /**
     * As {@link #assign(TokenManager, MemorySegment, MemorySegment, MemorySegment, boolean, int, MemorySegment,
     * MemorySegment)}, the result in {@code poolType} (the kernel's own transient copies for processes and
     * threads: NonPagedPool, so making a thread's ETHREAD leaves no small-block page in the paged pool).
     */
    static int assign(TokenManager tm, MemorySegment parent, MemorySegment explicit, MemorySegment newOut,
                      boolean isContainer, int flags, MemorySegment ctx, MemorySegment genericMapping, int poolType) {
        String routine = "SeAssignSecurityEx";
        MemorySegment out = SecurityParsers.out(newOut, 8, routine);
        out.set(POINTER, 0, 0L);
        int[] m = AccessCheck.mapping(genericMapping, routine);
        MemorySegment c = SubjectContexts.context(ctx, routine);
        MemorySegment tb = SubjectContexts.effectiveToken(tm, c, SeConstants.SecurityAnonymous, routine);
        try {
            Parts p = parts(parent, routine, "ParentDescriptor");
            Parts e = parts(explicit, routine, "ExplicitDescriptor");
            TokenData token = TokenData.read(tb);
            long privileges = TokenView.enabledPrivileges(tb);

            byte[] owner;
            if (e != null && e.owner() != null) {
                owner = e.owner();
                if ((flags & SeConstants.SEF_AVOID_OWNER_CHECK) == 0 && !validOwner(token, owner)
                        && (privileges & (1L << SeConstants.SE_RESTORE_PRIVILEGE)) == 0) {
                    return NtStatus.STATUS_INVALID_OWNER;
                }
            } else if ((flags & SeConstants.SEF_DEFAULT_OWNER_FROM_PARENT) != 0 && p != null && p.owner() != null) {
                owner = p.owner();
            } else {
                owner = token.sid(token.ownerIndex());
            }
            byte[] group;
            if (e != null && e.group() != null) {
                group = e.group();
            } else if ((flags & SeConstants.SEF_DEFAULT_GROUP_FROM_PARENT) != 0 && p != null && p.group() != null) {
                group = p.group();
            } else {
                group = token.primaryGroup();
            }

            int control = SECURITY_DESCRIPTOR_RELATIVE_SELF;
            // ===== DACL =====
            Acl dacl = compute(p == null ? null : p.dacl(), e == null ? null : new Explicit(e.daclPresent(), e.dacl(),
                            (e.control() & dev.offkern.runtime.se.RtlSecurityDescriptor.SE_DACL_DEFAULTED) != 0, (e.control() & SE_DACL_PROTECTED) != 0),
                    (flags & SeConstants.SEF_DACL_AUTO_INHERIT) != 0, isContainer, owner, group, m, token.defaultDacl());
            if (dacl.present) {
                control |= dev.offkern.runtime.se.RtlSecurityDescriptor.SE_DACL_PRESENT;
            }
            control |= dacl.extraControl & (SE_DACL_AUTO_INHERITED | SE_DACL_PROTECTED);
            // ===== SACL =====
            if (e != null && e.saclPresent() && (flags & SeConstants.SEF_AVOID_PRIVILEGE_CHECK) == 0
                    && (privileges & (1L << SeConstants.SE_SECURITY_PRIVILEGE)) == 0) {
                return NtStatus.STATUS_PRIVILEGE_NOT_HELD;
            }
            Acl sacl = compute(p == null ? null : p.sacl(), e == null ? null : new Explicit(e.saclPresent(), e.sacl(),
                            (e.control() & SE_SACL_DEFAULTED) != 0, (e.control() & SE_SACL_PROTECTED) != 0),
                    (flags & SeConstants.SEF_SACL_AUTO_INHERIT) != 0, isContainer, owner, group, m, null);
            if (sacl.present) {
                control |= dev.offkern.runtime.se.RtlSecurityDescriptor.SE_SACL_PRESENT;
            }
            if ((sacl.extraControl & SE_DACL_AUTO_INHERITED) != 0) {
                control |= SE_SACL_AUTO_INHERITED;
            }
            if ((sacl.extraControl & SE_DACL_PROTECTED) != 0) {
                control |= SE_SACL_PROTECTED;
            }
            long block = write(tm, control, owner, group, applyToObject(sacl.bytes, m), applyToObject(dacl.bytes, m), poolType);
            if (block == 0) {
                return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
            }
            out.set(POINTER, 0, block);
            return NtStatus.STATUS_SUCCESS;
        } catch (SeFailure f) {
            return f.status();
        }
    }

    private static final int SECURITY_DESCRIPTOR_RELATIVE_SELF = dev.offkern.runtime.se.RtlSecurityDescriptor.SE_SELF_RELATIVE;

    private static boolean validOwner(TokenData t, byte[] owner) {
        if (Arrays.equals(t.user(), owner)) {
            return true;
        }
        for (int i = 0; i < t.groups().size(); i++) {
            if ((t.groupAttributes()[i] & SeConstants.SE_GROUP_OWNER) != 0 && Arrays.equals(t.groups().get(i), owner)) {
                return true;
            }
        }
        return false;
    }

    /** What the creator gave for one ACL. */
    private record Explicit(boolean present, byte[] acl, boolean defaulted, boolean protect) {
    }

    /** A computed ACL: whether present (bytes null and present: a NULL ACL), and the control bits it brings. */
    private record Acl(boolean present, byte[] bytes, int extraControl) {
    }

    private static Acl compute(byte[] parentAcl, Explicit explicit, boolean autoInherit, boolean isContainer, byte[] owner, byte[] group,
                               int[] m, byte[] tokenDefault) {
        List<byte[]> inherited = parentAcl == null ? List.of() : inherit(parentAcl, isContainer, owner, group, m);
        int auto = autoInherit ? SE_DACL_AUTO_INHERITED : 0;
        if (explicit != null && explicit.present() && !explicit.defaulted()) {
            if (explicit.acl() == null) {
                return new Acl(true, null, explicit.protect() ? SE_DACL_PROTECTED : 0); // an explicit NULL ACL
            }
            if (autoInherit && !explicit.protect()) {
                List<byte[]> aces = new ArrayList<>();
                for (byte[] a : aces(explicit.acl())) {
                    if ((Byte.toUnsignedInt(a[(int) ACE_HEADER.ACE_FLAGS_OFFSET]) & SeConstants.INHERITED_ACE) == 0) {
                        aces.add(a);
                    }
                }
                aces.addAll(inherited);
                return new Acl(true, AclBytes.of(aces, revision(explicit.acl(), parentAcl)), auto);
            }
            return new Acl(true, explicit.acl(), explicit.protect() ? SE_DACL_PROTECTED : 0);
        }
        if (!inherited.isEmpty()) {
            return new Acl(true, AclBytes.of(inherited, revision(parentAcl, null)), auto);
        }
        if (explicit != null && explicit.present()) {
            return new Acl(true, explicit.acl(), 0);
        }
        if (tokenDefault != null) {
            return new Acl(true, tokenDefault, 0);
        }
        return new Acl(false, null, 0);
    }

    private static int revision(byte[] a, byte[] b) {
        int r = a == null ? AclBytes.ACL_REVISION : Byte.toUnsignedInt(a[(int) ACL.ACL_REVISION_OFFSET]);
        if (b != null) {
            r = Math.max(r, Byte.toUnsignedInt(b[(int) ACL.ACL_REVISION_OFFSET]));
        }
        return Math.max(r, AclBytes.ACL_REVISION);
    }

    /** The ACEs of a valid ACL, each as its bytes. */
    static List<byte[]> aces(byte[] acl) {
        MemorySegment s = MemorySegment.ofArray(acl);
        int count = Short.toUnsignedInt(s.get(USHORT, ACL.ACE_COUNT_OFFSET));
        List<byte[]> out = new ArrayList<>(count);
        long at = ACL.LAYOUT.byteSize();
        for (int i = 0; i < count; i++) {
            int size = Short.toUnsignedInt(s.get(USHORT, at + ACE_HEADER.ACE_SIZE_OFFSET));
            out.add(s.asSlice(at, size).toArray(ValueLayout.JAVA_BYTE));
            at += size;
        }
        return out;
    }

    /** Whether the ACE type has the simple layout (header, mask, SID at SidStart). */
    private static boolean simple(int type) {
        return type <= 3 || type == 9 || type == 0xA || type == 0x11 || type == 0x12 || type == 0x13 || type == 0x14;
    }

    /** ComputeInheritedACLFromParent: the ACEs a new object (container or not) inherits from {@code parentAcl}. */
    static List<byte[]> inherit(byte[] parentAcl, boolean isContainer, byte[] owner, byte[] group, int[] m) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] ace : aces(parentAcl)) {
            int type = Byte.toUnsignedInt(ace[(int) ACE_HEADER.ACE_TYPE_OFFSET]);
            int flags = Byte.toUnsignedInt(ace[(int) ACE_HEADER.ACE_FLAGS_OFFSET]);
            boolean oi = (flags & SeConstants.OBJECT_INHERIT_ACE) != 0;
            boolean ci = (flags & SeConstants.CONTAINER_INHERIT_ACE) != 0;
            boolean np = (flags & SeConstants.NO_PROPAGATE_INHERIT_ACE) != 0;
            int keep = flags & ~(INHERIT_FLAGS | SeConstants.INHERITED_ACE); // audit flags (SUCCESSFUL/FAILED_ACCESS) stay
            if (!isContainer) {
                if (oi) {
                    out.add(effective(ace, type, keep, owner, group, m));
                }
                continue;
            }
            if (ci) {
                if (np) {
                    out.add(effective(ace, type, keep, owner, group, m));
                } else if (needsSplit(ace, type)) {
                    out.add(effective(ace, type, keep, owner, group, m));
                    out.add(withFlags(ace, keep | (flags & (SeConstants.OBJECT_INHERIT_ACE | SeConstants.CONTAINER_INHERIT_ACE))
                            | SeConstants.INHERIT_ONLY_ACE | SeConstants.INHERITED_ACE));
                } else {
                    out.add(withFlags(ace, keep | (flags & (SeConstants.OBJECT_INHERIT_ACE | SeConstants.CONTAINER_INHERIT_ACE))
                            | SeConstants.INHERITED_ACE));
                }
            } else if (oi && !np) {
                out.add(withFlags(ace, keep | SeConstants.OBJECT_INHERIT_ACE | SeConstants.INHERIT_ONLY_ACE | SeConstants.INHERITED_ACE));
            }
        }
        return out;
    }

    private static boolean needsSplit(byte[] ace, int type) {
        if (!simple(type)) {
            return false;
        }
        MemorySegment s = MemorySegment.ofArray(ace);
        int mask = s.get(ULONG, ACCESS_ALLOWED_ACE.MASK_OFFSET);
        byte[] sid = sidOf(ace);
        return (mask & GENERIC) != 0 || Arrays.equals(sid, CREATOR_OWNER) || Arrays.equals(sid, CREATOR_GROUP);
    }

    private static byte[] sidOf(byte[] ace) {
        MemorySegment s = MemorySegment.ofArray(ace);
        long at = ACCESS_ALLOWED_ACE.SID_START_OFFSET;
        int count = Byte.toUnsignedInt(s.get(UCHAR, at + dev.offkern.layout.se.SID.SUB_AUTHORITY_COUNT_OFFSET));
        return Arrays.copyOfRange(ace, (int) at, (int) (at + SecurityParsers.sidLength(count)));
    }

    private static byte[] withFlags(byte[] ace, int flags) {
        byte[] copy = ace.clone();
        copy[(int) ACE_HEADER.ACE_FLAGS_OFFSET] = (byte) flags;
        return copy;
    }

    /** The effective form: no inheritance flags, INHERITED_ACE, CREATOR OWNER/GROUP replaced, generic rights mapped. */
    private static byte[] effective(byte[] ace, int type, int keep, byte[] owner, byte[] group, int[] m) {
        if (!simple(type)) {
            return withFlags(ace, keep | SeConstants.INHERITED_ACE);
        }
        byte[] sid = sidOf(ace);
        if (Arrays.equals(sid, CREATOR_OWNER)) {
            sid = owner;
        } else if (Arrays.equals(sid, CREATOR_GROUP)) {
            sid = group;
        }
        int mask = MemorySegment.ofArray(ace).get(ULONG, ACCESS_ALLOWED_ACE.MASK_OFFSET);
        long mapped = AccessCheck.map(mask, m);
        int newMask = mapped < 0 ? mask & ~GENERIC : (int) mapped;
        return AclBytes.ace(type, keep | SeConstants.INHERITED_ACE, newMask, sid);
    }

    /** A self-relative descriptor in paged pool: header, SACL, DACL, owner, group, each 4-aligned. */
    private static long write(TokenManager tm, int control, byte[] owner, byte[] group, byte[] sacl, byte[] dacl) {
        return write(tm, control, owner, group, sacl, dacl, PoolType.PagedPool);
    }

    private static long write(TokenManager tm, int control, byte[] owner, byte[] group, byte[] sacl, byte[] dacl, int poolType) {
        long header = SECURITY_DESCRIPTOR_RELATIVE.X64.size();
        long size = header + r4(sacl) + r4(dacl) + r4(owner) + r4(group);
        MemorySegment s = tm.pools.allocateWithTag(poolType, size, TAG, true);
        if (s == null || s.address() == 0) {
            return 0;
        }
        s = s.reinterpret(size);
        s.set(UCHAR, SECURITY_DESCRIPTOR_RELATIVE.REVISION_OFFSET, (byte) dev.offkern.runtime.se.RtlSecurityDescriptor.SECURITY_DESCRIPTOR_REVISION);
        s.set(USHORT, SECURITY_DESCRIPTOR_RELATIVE.CONTROL_OFFSET, (short) control);
        long at = header;
        at = put(s, at, sacl, SECURITY_DESCRIPTOR_RELATIVE.SACL_OFFSET);
        at = put(s, at, dacl, SECURITY_DESCRIPTOR_RELATIVE.DACL_OFFSET);
        at = put(s, at, owner, SECURITY_DESCRIPTOR_RELATIVE.OWNER_OFFSET);
        put(s, at, group, SECURITY_DESCRIPTOR_RELATIVE.GROUP_OFFSET);
        return s.address();
    }

    private static long r4(byte[] b) {
        return b == null ? 0 : (b.length + 3) & ~3L;
    }

    private static long put(MemorySegment s, long at, byte[] b, long field) {
        if (b == null) {
            return at;
        }
        MemorySegment.copy(MemorySegment.ofArray(b), 0, s, at, b.length);
        s.set(ULONG, field, (int) at);
        return at + r4(b);
    }

    /**
     * SeSetSecurityDescriptorInfo ({@code strict}) and the reader side of SeQuerySecurityDescriptorInfo:
     * a new self-relative descriptor (paged pool, 'SeSd') whose parts named by {@code information}
     * (OWNER_, GROUP_, DACL_, SACL_SECURITY_INFORMATION) come from {@code modification} and the rest
     * from {@code current} (0: none). Strict: a named owner or group must be present in
     * {@code modification} (STATUS_INVALID_OWNER, STATUS_INVALID_PRIMARY_GROUP) and generic rights in
     * the new ACEs are mapped with {@code genericMapping}; an invalid descriptor is
     * STATUS_INVALID_SECURITY_DESCR.
     *
     * @throws dev.offkern.runtime.ob.ObFailure with those statuses, or STATUS_INSUFFICIENT_RESOURCES
     */
    public static long compose(TokenManager tm, long current, int information, long modification, MemorySegment genericMapping,
                               boolean strict) {
        return compose(tm, current, information, modification, genericMapping, strict, null);
    }

    /**
     * As {@link #compose(TokenManager, long, int, long, MemorySegment, boolean)}; with {@code subject} (the
     * setter's effective token body) a new owner (OWNER_SECURITY_INFORMATION) must be one the subject
     * may assign — its user or a group with SE_GROUP_OWNER — unless it has SeRestorePrivilege enabled:
     * else STATUS_INVALID_OWNER (RtlpValidOwnerSubjectContext).
     */
    static long compose(TokenManager tm, long current, int information, long modification, MemorySegment genericMapping,
                        boolean strict, MemorySegment subject) {
        String routine = strict ? "SeSetSecurityDescriptorInfo" : "SeQuerySecurityDescriptorInfo";
        try {
            Parts mod = parts(modification == 0 ? null : MemorySegment.ofAddress(modification), routine, "SecurityDescriptor");
            Parts cur = parts(current == 0 ? null : MemorySegment.ofAddress(current), routine, "ObjectsSecurityDescriptor");
            if (mod == null) {
                throw new SeFailure(NtStatus.STATUS_INVALID_SECURITY_DESCR, routine + ": SecurityDescriptor is NULL");
            }
            int[] m = strict ? AccessCheck.mapping(genericMapping, routine) : null;
            byte[] owner;
            if ((information & SeConstants.OWNER_SECURITY_INFORMATION) != 0) {
                owner = mod.owner();
                if (owner == null && strict) {
                    throw new SeFailure(NtStatus.STATUS_INVALID_OWNER, routine + ": OWNER_SECURITY_INFORMATION without an owner");
                }
                if (subject != null && !validOwner(TokenData.read(subject), owner)
                        && (TokenView.enabledPrivileges(subject) & (1L << SeConstants.SE_RESTORE_PRIVILEGE)) == 0) {
                    throw new SeFailure(NtStatus.STATUS_INVALID_OWNER, routine + ": the new owner is neither the caller's user nor"
                            + " one of its groups with SE_GROUP_OWNER, and SeRestorePrivilege is not enabled");
                }
            } else {
                owner = cur == null ? null : cur.owner();
            }
            byte[] group;
            if ((information & SeConstants.GROUP_SECURITY_INFORMATION) != 0) {
                group = mod.group();
                if (group == null && strict) {
                    throw new SeFailure(NtStatus.STATUS_INVALID_PRIMARY_GROUP, routine + ": GROUP_SECURITY_INFORMATION without a group");
                }
            } else {
                group = cur == null ? null : cur.group();
            }
            int control = SECURITY_DESCRIPTOR_RELATIVE_SELF;
            int daclBits = dev.offkern.runtime.se.RtlSecurityDescriptor.SE_DACL_PRESENT | dev.offkern.runtime.se.RtlSecurityDescriptor.SE_DACL_DEFAULTED
                    | SE_DACL_AUTO_INHERITED | SE_DACL_PROTECTED;
            int saclBits = dev.offkern.runtime.se.RtlSecurityDescriptor.SE_SACL_PRESENT | SE_SACL_DEFAULTED | SE_SACL_AUTO_INHERITED
                    | SE_SACL_PROTECTED;
            byte[] dacl;
            if ((information & SeConstants.DACL_SECURITY_INFORMATION) != 0) {
                dacl = strict ? applyToObject(mod.dacl(), m) : mod.dacl();
                control |= mod.control() & daclBits;
            } else {
                dacl = cur == null ? null : cur.dacl();
                control |= cur == null ? 0 : cur.control() & daclBits;
            }
            byte[] sacl;
            if ((information & SeConstants.SACL_SECURITY_INFORMATION) != 0) {
                sacl = strict ? applyToObject(mod.sacl(), m) : mod.sacl();
                control |= mod.control() & saclBits;
            } else {
                sacl = cur == null ? null : cur.sacl();
                control |= cur == null ? 0 : cur.control() & saclBits;
            }
            long block = write(tm, control, owner, group, sacl, dacl);
            if (block == 0) {
                throw new SeFailure(NtStatus.STATUS_INSUFFICIENT_RESOURCES, routine + ": no pool for the descriptor");
            }
            return block;
        } catch (SeFailure f) {
            throw new dev.offkern.runtime.ob.ObFailure(f.status(), f.getMessage());
        }
    }

    /**
     * RtlpApplyAclToObject: {@code acl} with the generic rights of its simple ACEs that apply to the
     * object (not INHERIT_ONLY: those keep their generic rights for the children's own mappings)
     * mapped with the object type's mapping (null: null). Windows' RtlpNewSecurityObject applies it
     * to the new descriptor's DACL and SACL, so ACEs from the creator's descriptor or the token's
     * default DACL hold specific rights, as SeAccessCheck (which compares masks as stored) needs.
     */
    private static byte[] applyToObject(byte[] acl, int[] m) {
        if (acl == null) {
            return null;
        }
        List<byte[]> out = new ArrayList<>();
        boolean changed = false;
        for (byte[] ace : aces(acl)) {
            int type = Byte.toUnsignedInt(ace[(int) ACE_HEADER.ACE_TYPE_OFFSET]);
            int flags = Byte.toUnsignedInt(ace[(int) ACE_HEADER.ACE_FLAGS_OFFSET]);
            int mask = MemorySegment.ofArray(ace).get(ULONG, ACCESS_ALLOWED_ACE.MASK_OFFSET);
            if (simple(type) && type != AclBytes.SYSTEM_MANDATORY_LABEL && (flags & SeConstants.INHERIT_ONLY_ACE) == 0
                    && (mask & GENERIC) != 0) {
                long mapped = AccessCheck.map(mask, m);
                byte[] copy = ace.clone();
                MemorySegment.ofArray(copy).set(ULONG, ACCESS_ALLOWED_ACE.MASK_OFFSET, mapped < 0 ? mask & ~GENERIC : (int) mapped);
                out.add(copy);
                changed = true;
            } else {
                out.add(ace);
            }
        }
        return changed ? AclBytes.of(out, revision(acl, null)) : acl;
    }

    /** {@code SeDeassignSecurity(SecurityDescriptor)}: frees {@code *SecurityDescriptor} (NULL: nothing) and sets it to NULL. */
    public static int deassign(TokenManager tm, MemorySegment sdOut) {
        MemorySegment p = SecurityParsers.out(sdOut, 8, "SeDeassignSecurity");
        long sd = p.get(POINTER, 0);
        if (sd != 0) {
            tm.pools.free(sd, 0);
            p.set(POINTER, 0, 0L);
        }
        return NtStatus.STATUS_SUCCESS;
    }
}
