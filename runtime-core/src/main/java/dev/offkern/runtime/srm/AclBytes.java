package dev.offkern.runtime.srm;

import dev.offkern.runtime.se.SecurityParsers;
import dev.offkern.layout.se.ACCESS_ALLOWED_ACE;
import dev.offkern.layout.se.ACE_HEADER;
import dev.offkern.layout.se.ACL;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Builds ACLs and the simple ACEs (allowed, denied, audit: header, mask, SID) as byte arrays, for
 * the descriptors and tokens the security manager makes itself (a token's default DACL, an assigned
 * descriptor's inherited ACLs). Offsets from the layout classes.
 */
final class AclBytes {
    static final int ACCESS_ALLOWED = 0;
    static final int ACCESS_DENIED = 1;
    static final int SYSTEM_AUDIT = 2;
    /** SYSTEM_MANDATORY_LABEL_ACE_TYPE: its mask is the label's policy, not rights. */
    static final int SYSTEM_MANDATORY_LABEL = 0x11;
    /** ACL_REVISION. */
    static final int ACL_REVISION = 2;
    /** ACL_REVISION_DS (object ACEs). */
    static final int ACL_REVISION_DS = 4;
    private static final long HEADER = ACL.LAYOUT.byteSize();

    private AclBytes() {
    }

    /** A simple ACE: type, flags, mask, SID. */
    static byte[] ace(int type, int flags, int mask, byte[] sid) {
        int size = (int) (ACCESS_ALLOWED_ACE.SID_START_OFFSET + sid.length);
        MemorySegment m = MemorySegment.ofArray(new byte[size]);
        m.set(SecurityParsers.UCHAR, ACE_HEADER.ACE_TYPE_OFFSET, (byte) type);
        m.set(SecurityParsers.UCHAR, ACE_HEADER.ACE_FLAGS_OFFSET, (byte) flags);
        m.set(SecurityParsers.USHORT, ACE_HEADER.ACE_SIZE_OFFSET, (short) size);
        m.set(SecurityParsers.ULONG, ACCESS_ALLOWED_ACE.MASK_OFFSET, mask);
        MemorySegment.copy(MemorySegment.ofArray(sid), 0, m, ACCESS_ALLOWED_ACE.SID_START_OFFSET, sid.length);
        return m.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** An ACL of revision ACL_REVISION holding {@code aces} in order. */
    static byte[] of(List<byte[]> aces) {
        return of(aces, ACL_REVISION);
    }

    static byte[] of(List<byte[]> aces, int revision) {
        long size = HEADER;
        for (byte[] a : aces) {
            size += a.length;
        }
        if (size > 0xFFFF) {
            throw new SeFailure(dev.offkern.nt.NtStatus.STATUS_INVALID_ACL, "an ACL of " + size + " bytes exceeds 65535");
        }
        MemorySegment m = MemorySegment.ofArray(new byte[(int) size]);
        m.set(SecurityParsers.UCHAR, ACL.ACL_REVISION_OFFSET, (byte) revision);
        m.set(SecurityParsers.USHORT, ACL.ACL_SIZE_OFFSET, (short) size);
        m.set(SecurityParsers.USHORT, ACL.ACE_COUNT_OFFSET, (short) aces.size());
        long at = HEADER;
        for (byte[] a : aces) {
            MemorySegment.copy(MemorySegment.ofArray(a), 0, m, at, a.length);
            at += a.length;
        }
        return m.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }
}
