package dev.offkern.runtime.se;

import static dev.offkern.runtime.se.SecurityBuffer.POINTER;
import static dev.offkern.runtime.se.SecurityBuffer.UCHAR;
import static dev.offkern.runtime.se.SecurityBuffer.ULONG;
import static dev.offkern.runtime.se.SecurityBuffer.USHORT;

import dev.offkern.layout.se.SID;
import dev.offkern.layout.se.ACCESS_ALLOWED_ACE;
import dev.offkern.layout.se.ACCESS_ALLOWED_OBJECT_ACE;
import dev.offkern.layout.se.ACE_HEADER;
import dev.offkern.layout.se.ACL;
import dev.offkern.nt.NtStatus;
import java.lang.foreign.MemorySegment;

/**
 * The ACL routines: {@code RtlCreateAcl}, {@code RtlValidAcl}, {@code RtlGetAce}, {@code RtlAddAce},
 * {@code RtlDeleteAce}, {@code RtlAddAccessAllowedAce(Ex)}, {@code RtlAddAccessDeniedAce(Ex)}.
 *
 * <p><b>Format</b> (MS-DTYP 2.4.5, 2.4.4): an 8-byte header (AclRevision, Sbz1, AclSize, AceCount,
 * Sbz2) followed by AceCount ACEs, each starting with ACE_HEADER (AceType, AceFlags, AceSize) and
 * AceSize bytes long, packed from offset 8; the bytes after the last ACE up to AclSize are free.
 *
 * <p><b>Untrusted bytes.</b> Every walk is bounded by the smaller of AclSize and the buffer the ACL
 * was passed in ({@link SecurityBuffer}); an AclSize past the buffer, an AceCount whose ACEs do not
 * fit, an AceSize of less than a header, not a multiple of 4 or past the end, or an ACE whose SID does
 * not fit inside it make the ACL invalid: FALSE from RtlValidAcl, STATUS_INVALID_ACL from the
 * RtlAdd*Ace routines, STATUS_INVALID_PARAMETER from RtlGetAce/RtlDeleteAce/RtlAddAce (their
 * documented failure) — never a read outside the buffer.
 *
 * <p>Windows details kept: RtlCreateAcl rounds AclLength down to a multiple of 4 (so the ACL it makes
 * is valid); adding an ACE raises AclRevision to the ACE's revision; RtlDeleteAce zeroes the bytes it
 * frees. Progress: wait-free, allocation-free; callers serialize writers of an ACL themselves.
 */
public final class RtlAcl {

    public static final int ACL_REVISION = 2;
    public static final int ACL_REVISION_DS = 4;
    public static final int MIN_ACL_REVISION = 2;
    public static final int MAX_ACL_REVISION = 4;
    public static final int ACCESS_ALLOWED_ACE_TYPE = 0;
    public static final int ACCESS_DENIED_ACE_TYPE = 1;
    /** OBJECT_INHERIT, CONTAINER_INHERIT, NO_PROPAGATE_INHERIT, INHERIT_ONLY, INHERITED. */
    public static final int VALID_INHERIT_FLAGS = 0x1F;

    private static final long REVISION = ACL.ACL_REVISION_OFFSET;
    private static final long SIZE = ACL.ACL_SIZE_OFFSET;
    private static final long COUNT = ACL.ACE_COUNT_OFFSET;
    private static final long HEADER = ACL.LAYOUT.byteSize();
    private static final long ACE_TYPE = ACE_HEADER.ACE_TYPE_OFFSET;
    private static final long ACE_FLAGS = ACE_HEADER.ACE_FLAGS_OFFSET;
    private static final long ACE_SIZE = ACE_HEADER.ACE_SIZE_OFFSET;
    private static final long ACE_HEADER_SIZE = ACE_HEADER.LAYOUT.byteSize();
    private static final long MASK = ACCESS_ALLOWED_ACE.MASK_OFFSET;
    private static final long SID_START = ACCESS_ALLOWED_ACE.SID_START_OFFSET;
    private static final long OBJECT_FLAGS = ACCESS_ALLOWED_OBJECT_ACE.FLAGS_OFFSET;
    private static final long OBJECT_TYPE = ACCESS_ALLOWED_OBJECT_ACE.OBJECT_TYPE_OFFSET;
    private static final long GUID_SIZE = ACCESS_ALLOWED_OBJECT_ACE.INHERITED_OBJECT_TYPE_OFFSET - OBJECT_TYPE;

    private RtlAcl() {
    }

    // ----- walking -----

    /** The bytes of the ACL a walk may use: min(AclSize, buffer); -1 if the header does not fit or lies. */
    private static long limit(MemorySegment b) {
        if (b == null || b.byteSize() < HEADER) {
            return -1;
        }
        long size = Short.toUnsignedLong(b.get(USHORT, SIZE));
        return size < HEADER || size > b.byteSize() ? -1 : size;
    }

    private static boolean revisionOk(MemorySegment b) {
        int revision = Byte.toUnsignedInt(b.get(UCHAR, REVISION));
        return revision >= MIN_ACL_REVISION && revision <= MAX_ACL_REVISION;
    }

    /**
     * The offset of ACE {@code index} (or, for {@code index == AceCount}, of the first free byte), or
     * -1 if an ACE before it does not fit inside {@code limit} or is malformed.
     */
    private static long offsetOf(MemorySegment b, long limit, int index) {
        long at = HEADER;
        for (int i = 0; i < index; i++) {
            long size = aceSizeAt(b, limit, at);
            if (size < 0) {
                return -1;
            }
            at += size;
        }
        return at;
    }

    /** The AceSize of the ACE at {@code at} if its header and body fit inside {@code limit}, else -1. */
    private static long aceSizeAt(MemorySegment b, long limit, long at) {
        if (at + ACE_HEADER_SIZE > limit) {
            return -1;
        }
        long size = Short.toUnsignedLong(b.get(USHORT, at + ACE_SIZE));
        if (size < ACE_HEADER_SIZE || (size & 3) != 0 || at + size > limit) {
            return -1;
        }
        return size;
    }

    /** Where the SID of a known ACE type starts inside the ACE, or -1 for types without a SID we read. */
    private static long sidOffset(MemorySegment b, long at, long aceSize, int type) {
        switch (type) {
            case 0x0, 0x1, 0x2, 0x3, 0x9, 0xA, 0xD, 0x11, 0x12, 0x13, 0x14:
                return SID_START;
            case 0x5, 0x6, 0x7, 0x8, 0xB, 0xC, 0xF, 0x10: {
                if (OBJECT_FLAGS + 4 > aceSize) {
                    return Long.MAX_VALUE;          // no room for Flags: malformed
                }
                int flags = b.get(ULONG, at + OBJECT_FLAGS);
                return OBJECT_TYPE + ((flags & 1) != 0 ? GUID_SIZE : 0) + ((flags & 2) != 0 ? GUID_SIZE : 0);
            }
            default:
                return -1;
        }
    }

    /** Whether the ACL at the start of {@code b} is structurally valid inside {@code b}. */
    static boolean validIn(MemorySegment b) {
        long limit = limit(b);
        if (limit < 0 || !revisionOk(b) || (limit & 3) != 0) {
            return false;
        }
        int count = Short.toUnsignedInt(b.get(USHORT, COUNT));
        long at = HEADER;
        for (int i = 0; i < count; i++) {
            long size = aceSizeAt(b, limit, at);
            if (size < 0) {
                return false;
            }
            int type = Byte.toUnsignedInt(b.get(UCHAR, at + ACE_TYPE));
            long sid = sidOffset(b, at, size, type);
            if (sid >= 0) {
                if (sid >= size || !RtlSid.validIn(b.asSlice(at + sid, size - sid))) {
                    return false;
                }
                if (type >= 0x5 && type <= 0x8 && Byte.toUnsignedInt(b.get(UCHAR, REVISION)) < ACL_REVISION_DS) {
                    return false;                   // object ACEs need ACL_REVISION_DS
                }
            }
            at += size;
        }
        return true;
    }

    // ----- routines -----

    /** {@code BOOLEAN RtlValidAcl(PACL Acl)}: FALSE for NULL or unmapped memory too. */
    public static boolean validAcl(MemorySegment acl) {
        return validIn(SecurityBuffer.find(acl, "RtlValidAcl", "Acl"));
    }

    /**
     * {@code NTSTATUS RtlCreateAcl(PACL Acl, ULONG AclLength, ULONG AclRevision)}: STATUS_BUFFER_TOO_SMALL
     * under 8 bytes; STATUS_INVALID_PARAMETER for a revision outside 2..4 or a length over 0xFFFF.
     */
    public static int createAcl(MemorySegment acl, int aclLength, int aclRevision) {
        MemorySegment b = SecurityBuffer.of(acl, "RtlCreateAcl", "Acl");
        long length = Integer.toUnsignedLong(aclLength);
        if (length < HEADER) {
            return NtStatus.STATUS_BUFFER_TOO_SMALL;
        }
        if (aclRevision < MIN_ACL_REVISION || aclRevision > MAX_ACL_REVISION || length > 0xFFFF) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        if (b.byteSize() < (length & ~3L)) {
            throw new IllegalArgumentException("RtlCreateAcl: Acl is a buffer of " + b.byteSize()
                    + " bytes; AclLength claims " + length);
        }
        b.asSlice(0, HEADER).fill((byte) 0);
        b.set(UCHAR, REVISION, (byte) aclRevision);
        b.set(USHORT, SIZE, (short) (length & ~3L));
        return NtStatus.STATUS_SUCCESS;
    }

    /**
     * {@code NTSTATUS RtlGetAce(PACL Acl, ULONG AceIndex, PVOID *Ace)}: stores the ACE's address in
     * {@code *Ace}; STATUS_INVALID_PARAMETER for a bad revision, an index at or past AceCount, or
     * ACEs before it that do not fit.
     */
    public static int getAce(MemorySegment acl, int aceIndex, MemorySegment ace) {
        MemorySegment b = SecurityBuffer.of(acl, "RtlGetAce", "Acl");
        long limit = limit(b);
        if (limit < 0 || !revisionOk(b) || Integer.toUnsignedLong(aceIndex) >= Short.toUnsignedInt(b.get(USHORT, COUNT))) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        long at = offsetOf(b, limit, aceIndex);
        if (at < 0 || aceSizeAt(b, limit, at) < 0) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        MemorySegment out = SecurityBuffer.of(ace, "RtlGetAce", "Ace");
        if (out.byteSize() < 8) {
            throw new IllegalArgumentException("RtlGetAce: Ace is a buffer of " + out.byteSize() + " bytes; a PVOID needs 8");
        }
        out.set(POINTER, 0, b.address() + at);
        return NtStatus.STATUS_SUCCESS;
    }

    /**
     * {@code NTSTATUS RtlDeleteAce(PACL Acl, ULONG AceIndex)}: moves the later ACEs down over it and
     * zeroes the freed bytes; STATUS_INVALID_PARAMETER as RtlGetAce.
     */
    public static int deleteAce(MemorySegment acl, int aceIndex) {
        MemorySegment b = SecurityBuffer.of(acl, "RtlDeleteAce", "Acl");
        long limit = limit(b);
        int count = limit < 0 ? 0 : Short.toUnsignedInt(b.get(USHORT, COUNT));
        if (limit < 0 || !revisionOk(b) || Integer.toUnsignedLong(aceIndex) >= count) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        long at = offsetOf(b, limit, aceIndex);
        long end = offsetOf(b, limit, count);
        if (at < 0 || end < 0) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        long size = aceSizeAt(b, limit, at);
        MemorySegment.copy(b, at + size, b, at, end - at - size);
        b.asSlice(end - size, size).fill((byte) 0);
        b.set(USHORT, COUNT, (short) (count - 1));
        return NtStatus.STATUS_SUCCESS;
    }

    /**
     * {@code NTSTATUS RtlAddAce(PACL Acl, ULONG AceRevision, ULONG StartingAceIndex, PVOID AceList,
     * ULONG AceListLength)}: inserts the ACEs of the list before ACE StartingAceIndex (at the end for
     * MAXULONG or any index past AceCount). STATUS_INVALID_PARAMETER for an invalid ACL, a revision
     * outside 2..4 or a list whose ACEs do not exactly fill AceListLength; STATUS_BUFFER_TOO_SMALL when
     * the list does not fit in the free space.
     */
    public static int addAce(MemorySegment acl, int aceRevision, int startingAceIndex, MemorySegment aceList,
                             int aceListLength) {
        MemorySegment b = SecurityBuffer.of(acl, "RtlAddAce", "Acl");
        if (!validIn(b) || aceRevision < MIN_ACL_REVISION || aceRevision > MAX_ACL_REVISION) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        long listLength = Integer.toUnsignedLong(aceListLength);
        MemorySegment list = listLength == 0 ? MemorySegment.NULL : SecurityBuffer.of(aceList, "RtlAddAce", "AceList");
        if (list.byteSize() < listLength) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        int added = 0;
        for (long at = 0; at < listLength; added++) {
            long size = aceSizeAt(list, listLength, at);
            if (size < 0) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
            at += size;
        }
        long limit = limit(b);
        int count = Short.toUnsignedInt(b.get(USHORT, COUNT));
        long free = offsetOf(b, limit, count);
        if (free + listLength > limit) {
            return NtStatus.STATUS_BUFFER_TOO_SMALL;
        }
        if (count + added > 0xFFFF) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        long insert = offsetOf(b, limit, (int) Math.min(Integer.toUnsignedLong(startingAceIndex), count));
        MemorySegment.copy(b, insert, b, insert + listLength, free - insert);
        MemorySegment.copy(list, 0, b, insert, listLength);
        b.set(USHORT, COUNT, (short) (count + added));
        raiseRevision(b, aceRevision);
        return NtStatus.STATUS_SUCCESS;
    }

    private static void raiseRevision(MemorySegment b, int aceRevision) {
        if (aceRevision > Byte.toUnsignedInt(b.get(UCHAR, REVISION))) {
            b.set(UCHAR, REVISION, (byte) aceRevision);
        }
    }

    /**
     * The body of {@code RtlAddAccessAllowedAce(Ex)} and {@code RtlAddAccessDeniedAce(Ex)}: appends an
     * ACE of {@code type} with {@code flags}, {@code mask} and a copy of {@code sid}. Statuses in
     * Windows' order: STATUS_INVALID_SID, STATUS_REVISION_MISMATCH (ACL or ACE revision over 4),
     * STATUS_INVALID_PARAMETER (flags outside VALID_INHERIT_FLAGS, Ex only), STATUS_INVALID_ACL,
     * STATUS_ALLOTTED_SPACE_EXCEEDED.
     */
    public static int addAccessAce(String routine, MemorySegment acl, int aceRevision, int aceFlags, int accessMask,
                                   MemorySegment sid, int type) {
        MemorySegment s = SecurityBuffer.find(sid, routine, "Sid");
        if (!RtlSid.validIn(s)) {
            return NtStatus.STATUS_INVALID_SID;
        }
        MemorySegment b = SecurityBuffer.of(acl, routine, "Acl");
        if (b.byteSize() < HEADER || Byte.toUnsignedInt(b.get(UCHAR, REVISION)) > MAX_ACL_REVISION
                || Integer.toUnsignedLong(aceRevision) > MAX_ACL_REVISION) {
            return b.byteSize() < HEADER ? NtStatus.STATUS_INVALID_ACL : NtStatus.STATUS_REVISION_MISMATCH;
        }
        if ((aceFlags & ~VALID_INHERIT_FLAGS) != 0) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        if (!validIn(b)) {
            return NtStatus.STATUS_INVALID_ACL;
        }
        long sidLength = RtlSid.lengthFor(Byte.toUnsignedInt(s.get(UCHAR, SID.SUB_AUTHORITY_COUNT_OFFSET)));
        long aceSize = SID_START + sidLength;
        long limit = limit(b);
        int count = Short.toUnsignedInt(b.get(USHORT, COUNT));
        long free = offsetOf(b, limit, count);
        if (free + aceSize > limit || count == 0xFFFF) {
            return NtStatus.STATUS_ALLOTTED_SPACE_EXCEEDED;
        }
        b.set(UCHAR, free + ACE_TYPE, (byte) type);
        b.set(UCHAR, free + ACE_FLAGS, (byte) aceFlags);
        b.set(USHORT, free + ACE_SIZE, (short) aceSize);
        b.set(ULONG, free + MASK, accessMask);
        MemorySegment.copy(s, 0, b, free + SID_START, sidLength);
        b.set(USHORT, COUNT, (short) (count + 1));
        raiseRevision(b, aceRevision);
        return NtStatus.STATUS_SUCCESS;
    }
}
