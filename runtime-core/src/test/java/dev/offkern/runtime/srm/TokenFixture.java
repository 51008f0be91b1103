package dev.offkern.runtime.srm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Se;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.layout.se.GENERIC_MAPPING;
import dev.offkern.layout.se.LUID_AND_ATTRIBUTES;
import dev.offkern.layout.se.SECURITY_QUALITY_OF_SERVICE;
import dev.offkern.layout.se.SECURITY_SUBJECT_CONTEXT;
import dev.offkern.layout.se.SID_AND_ATTRIBUTES;
import dev.offkern.layout.se.TOKEN_GROUPS;
import dev.offkern.layout.se.TOKEN_PRIVILEGES;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.SeConstants;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the inputs of the token routines in nonpaged pool (the routines follow the pointers inside
 * TOKEN_USER, TOKEN_GROUPS, ... through the kernel's address space, so the memory must be the
 * kernel's): SIDs and descriptors from SDDL, ZwCreateToken's structures, subject contexts naming a
 * token directly. Everything it allocates is freed by {@link #free()}.
 */
final class TokenFixture {
    static final int TAG = PoolTags.tag("TkFx");
    private final List<MemorySegment> blocks = new ArrayList<>();

    MemorySegment alloc(long bytes) {
        MemorySegment s = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, bytes, TAG).reinterpret(bytes);
        blocks.add(s);
        return s;
    }

    void free() {
        for (MemorySegment b : blocks) {
            Ex.ExFreePool(b);
        }
        blocks.clear();
    }

    /** The pool SID for "S-1-..." or an SDDL alias; freed with the fixture. */
    MemorySegment sid(String text) {
        MemorySegment out = alloc(8);
        if (!Se.ConvertStringSidToSidW(text, out)) {
            throw new IllegalArgumentException("bad SID " + text);
        }
        MemorySegment s = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        MemorySegment sized = s.reinterpret(8 + 4L * Byte.toUnsignedInt(s.reinterpret(2).get(JAVA_BYTE, 1)));
        blocks.add(sized);
        return sized;
    }

    /** A self-relative descriptor from SDDL (in pool). */
    MemorySegment sd(String sddl) {
        MemorySegment out = alloc(8);
        MemorySegment size = alloc(4);
        if (!Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 1, out, size)) {
            throw new IllegalArgumentException("bad SDDL " + sddl);
        }
        MemorySegment s = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)).reinterpret(size.get(JAVA_INT_UNALIGNED, 0));
        blocks.add(s);
        return s;
    }

    /** The DACL of a descriptor made from SDDL (a pointer into it). */
    long dacl(String sddl) {
        MemorySegment d = sd(sddl);
        int off = d.get(JAVA_INT_UNALIGNED, 16);
        return off == 0 ? 0 : d.address() + off;
    }

    /** A GENERIC_MAPPING in pool. */
    MemorySegment mapping(int read, int write, int execute, int all) {
        MemorySegment m = alloc(GENERIC_MAPPING.X64.size());
        m.set(JAVA_INT_UNALIGNED, GENERIC_MAPPING.GENERIC_READ_OFFSET, read);
        m.set(JAVA_INT_UNALIGNED, GENERIC_MAPPING.GENERIC_WRITE_OFFSET, write);
        m.set(JAVA_INT_UNALIGNED, GENERIC_MAPPING.GENERIC_EXECUTE_OFFSET, execute);
        m.set(JAVA_INT_UNALIGNED, GENERIC_MAPPING.GENERIC_ALL_OFFSET, all);
        return m;
    }

    /** What a token is made of (SIDs as SDDL strings). */
    static final class Spec {
        String user = "S-1-5-21-1-2-3-1001";
        int userAttributes;
        final List<String> groups = new ArrayList<>();
        final List<Integer> groupAttributes = new ArrayList<>();
        final List<long[]> privileges = new ArrayList<>();
        String owner;
        String primaryGroup;
        String defaultDacl; // SDDL of a descriptor whose DACL becomes the default DACL
        int type = SeConstants.TokenPrimary;
        int level = -1;

        Spec group(String sid, int attributes) {
            groups.add(sid);
            groupAttributes.add(attributes);
            return this;
        }

        Spec privilege(long luid, int attributes) {
            privileges.add(new long[] {luid, attributes});
            return this;
        }
    }

    static final int ENABLED = SeConstants.SE_GROUP_ENABLED | SeConstants.SE_GROUP_ENABLED_BY_DEFAULT | SeConstants.SE_GROUP_MANDATORY;

    /** ZwCreateToken's status for {@code spec}; the handle goes to {@code handleOut}. */
    int create(Spec spec, MemorySegment handleOut) {
        MemorySegment luid = alloc(8);
        luid.set(JAVA_LONG_UNALIGNED, 0, 0x12345L);
        MemorySegment expiration = alloc(8);
        expiration.set(JAVA_LONG_UNALIGNED, 0, Long.MAX_VALUE);
        MemorySegment user = alloc(16);
        user.set(JAVA_LONG_UNALIGNED, 0, sid(spec.user).address());
        user.set(JAVA_INT_UNALIGNED, 8, spec.userAttributes);
        long entry = SID_AND_ATTRIBUTES.X64.size();
        MemorySegment groups = alloc(TOKEN_GROUPS.GROUPS_OFFSET + Math.max(1, spec.groups.size()) * entry);
        groups.set(JAVA_INT_UNALIGNED, 0, spec.groups.size());
        for (int i = 0; i < spec.groups.size(); i++) {
            long e = TOKEN_GROUPS.GROUPS_OFFSET + i * entry;
            groups.set(JAVA_LONG_UNALIGNED, e, sid(spec.groups.get(i)).address());
            groups.set(JAVA_INT_UNALIGNED, e + 8, spec.groupAttributes.get(i));
        }
        long pe = LUID_AND_ATTRIBUTES.X64.size();
        MemorySegment privs = alloc(TOKEN_PRIVILEGES.PRIVILEGES_OFFSET + Math.max(1, spec.privileges.size()) * pe);
        privs.set(JAVA_INT_UNALIGNED, 0, spec.privileges.size());
        for (int i = 0; i < spec.privileges.size(); i++) {
            long e = TOKEN_PRIVILEGES.PRIVILEGES_OFFSET + i * pe;
            privs.set(JAVA_LONG_UNALIGNED, e, spec.privileges.get(i)[0]);
            privs.set(JAVA_INT_UNALIGNED, e + 8, (int) spec.privileges.get(i)[1]);
        }
        MemorySegment owner = MemorySegment.NULL;
        if (spec.owner != null) {
            owner = alloc(8);
            owner.set(JAVA_LONG_UNALIGNED, 0, sid(spec.owner).address());
        }
        MemorySegment pg = alloc(8);
        pg.set(JAVA_LONG_UNALIGNED, 0, sid(spec.primaryGroup != null ? spec.primaryGroup : spec.user).address());
        MemorySegment dd = MemorySegment.NULL;
        if (spec.defaultDacl != null) {
            dd = alloc(8);
            dd.set(JAVA_LONG_UNALIGNED, 0, dacl(spec.defaultDacl));
        }
        MemorySegment source = alloc(16);
        source.copyFrom(MemorySegment.ofArray(new byte[] {'o', 'f', 'f', 'k', 'e', 'r', 'n', 0, 1, 0, 0, 0, 0, 0, 0, 0}));
        return Zw.ZwCreateToken(handleOut, SeConstants.TOKEN_ALL_ACCESS, attributes(spec.level), spec.type, luid, expiration, user, groups,
                privs, owner, pg, dd, source);
    }

    /** The SecurityDescriptor {@link #attributes} puts in the OBJECT_ATTRIBUTES of new tokens (null: none). */
    MemorySegment securityDescriptor;

    /** OBJECT_ATTRIBUTES with a SECURITY_QUALITY_OF_SERVICE at {@code level} (-1: none) and OBJ_KERNEL_HANDLE. */
    MemorySegment attributes(int level) {
        MemorySegment oa = alloc(OBJECT_ATTRIBUTES.X64.size());
        oa.fill((byte) 0);
        if (securityDescriptor != null) {
            oa.set(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.SECURITY_DESCRIPTOR_OFFSET, securityDescriptor.address());
        }
        oa.set(JAVA_INT_UNALIGNED, OBJECT_ATTRIBUTES.LENGTH_OFFSET, (int) OBJECT_ATTRIBUTES.X64.size());
        oa.set(JAVA_INT_UNALIGNED, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET, dev.offkern.nt.ObjectAttributes.OBJ_KERNEL_HANDLE);
        if (level >= 0) {
            MemorySegment q = alloc(SECURITY_QUALITY_OF_SERVICE.X64.size());
            q.fill((byte) 0);
            q.set(JAVA_INT_UNALIGNED, SECURITY_QUALITY_OF_SERVICE.LENGTH_OFFSET, (int) SECURITY_QUALITY_OF_SERVICE.X64.size());
            q.set(JAVA_INT_UNALIGNED, SECURITY_QUALITY_OF_SERVICE.IMPERSONATION_LEVEL_OFFSET, level);
            oa.set(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.SECURITY_QUALITY_OF_SERVICE_OFFSET, q.address());
        }
        return oa;
    }

    /** A token made from {@code spec}: its body (one reference, the caller's) and its handle closed. */
    MemorySegment token(Spec spec) {
        MemorySegment h = alloc(8);
        int st = create(spec, h);
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new IllegalStateException("ZwCreateToken: 0x" + Integer.toHexString(st));
        }
        MemorySegment obj = alloc(8);
        long handle = h.get(JAVA_LONG_UNALIGNED, 0);
        int r = Ob.ObReferenceObjectByHandle(handle, 0, Se.SeTokenObjectType(), ObjectManager.KernelMode, obj, MemorySegment.NULL);
        if (r != NtStatus.STATUS_SUCCESS) {
            throw new IllegalStateException("ObReferenceObjectByHandle: 0x" + Integer.toHexString(r));
        }
        Zw.ZwClose(handle);
        return MemorySegment.ofAddress(obj.get(JAVA_LONG_UNALIGNED, 0));
    }

    /** A SECURITY_SUBJECT_CONTEXT naming {@code primary} (and {@code client} at {@code level}, if not NULL); no references taken. */
    MemorySegment context(MemorySegment primary, MemorySegment client, int level) {
        MemorySegment c = alloc(SECURITY_SUBJECT_CONTEXT.X64.size());
        c.fill((byte) 0);
        c.set(JAVA_LONG_UNALIGNED, SECURITY_SUBJECT_CONTEXT.PRIMARY_TOKEN_OFFSET, primary.address());
        if (client != null) {
            c.set(JAVA_LONG_UNALIGNED, SECURITY_SUBJECT_CONTEXT.CLIENT_TOKEN_OFFSET, client.address());
            c.set(JAVA_INT_UNALIGNED, SECURITY_SUBJECT_CONTEXT.IMPERSONATION_LEVEL_OFFSET, level);
        }
        return c;
    }
}
