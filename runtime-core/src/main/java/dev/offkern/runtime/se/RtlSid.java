package dev.offkern.runtime.se;

import static dev.offkern.runtime.se.SecurityBuffer.POINTER;
import static dev.offkern.runtime.se.SecurityBuffer.UCHAR;
import static dev.offkern.runtime.se.SecurityBuffer.ULONG;
import static dev.offkern.runtime.se.SecurityBuffer.USHORT;

import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.layout.se.SID;
import dev.offkern.layout.se.SID_IDENTIFIER_AUTHORITY;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.pool.Pools;
import java.lang.foreign.MemorySegment;

/**
 * The SID routines: {@code RtlValidSid}, {@code RtlLengthSid}, {@code RtlLengthRequiredSid},
 * {@code RtlEqualSid}, {@code RtlCopySid}, {@code RtlInitializeSid}, {@code RtlSubAuthoritySid},
 * {@code RtlConvertSidToUnicodeString} (and {@code RtlFreeUnicodeString} for the string it allocates).
 *
 * <p><b>Format</b> (MS-DTYP 2.4.2.2): {@code Revision} (1), {@code SubAuthorityCount} (at most 15),
 * a 48-bit big-endian {@code IdentifierAuthority}, then {@code SubAuthorityCount} little-endian
 * ULONGs; the length is {@code 8 + 4 * SubAuthorityCount}.
 *
 * <p><b>Untrusted bytes.</b> A SID is read only inside the buffer it was passed in
 * ({@link SecurityBuffer}): a SID whose count is over 15 or whose sub-authorities run past the
 * buffer is not valid (FALSE from {@code RtlValidSid} and {@code RtlEqualSid}, STATUS_INVALID_SID
 * from {@code RtlCopySid} and {@code RtlConvertSidToUnicodeString}), never an out-of-bounds read.
 * Where Windows does not validate (RtlLengthSid, RtlSubAuthoritySid) offkern computes what Windows
 * computes without reading more than the two header bytes.
 *
 * <p>Progress: every routine is wait-free; only RtlConvertSidToUnicodeString with
 * AllocateDestinationString allocates (pool). Callers serialize writers of a SID themselves.
 */
public final class RtlSid {

    /** SID_REVISION. */
    public static final int SID_REVISION = 1;
    /** SID_MAX_SUB_AUTHORITIES. */
    public static final int SID_MAX_SUB_AUTHORITIES = 15;
    /** The pool tag of strings RtlConvertSidToUnicodeString allocates (offkern's; freed by RtlFreeUnicodeString). */
    public static final int STRING_TAG = 'U' | 's' << 8 | 't' << 16 | 'r' << 24;

    private static final long REVISION = SID.REVISION_OFFSET;
    private static final long COUNT = SID.SUB_AUTHORITY_COUNT_OFFSET;
    private static final long AUTHORITY = SID.IDENTIFIER_AUTHORITY_OFFSET + SID_IDENTIFIER_AUTHORITY.VALUE_OFFSET;
    private static final long SUB_AUTHORITIES = SID.SUB_AUTHORITY_OFFSET;
    private static final long AUTHORITY_BYTES = SID_IDENTIFIER_AUTHORITY.LAYOUT.byteSize();
    private static final long US_LENGTH = UNICODE_STRING.LENGTH_OFFSET;
    private static final long US_MAXIMUM_LENGTH = UNICODE_STRING.MAXIMUM_LENGTH_OFFSET;
    private static final long US_BUFFER = UNICODE_STRING.BUFFER_OFFSET;
    private static final long US_SIZE = UNICODE_STRING.LAYOUT.byteSize();

    private RtlSid() {
    }

    /** The length of a SID with {@code count} sub-authorities, as the ULONG C computes. */
    static long lengthFor(long count) {
        return (SUB_AUTHORITIES + 4 * count) & 0xFFFFFFFFL;
    }

    /**
     * Whether the SID at the start of {@code b} is structurally valid and lies wholly inside
     * {@code b}: Revision (low nibble, as Windows tests it) SID_REVISION, at most 15 sub-authorities.
     */
    static boolean validIn(MemorySegment b) {
        if (b == null || b.byteSize() < SUB_AUTHORITIES) {
            return false;
        }
        int count = Byte.toUnsignedInt(b.get(UCHAR, COUNT));
        return (b.get(UCHAR, REVISION) & 0x0F) == SID_REVISION && count <= SID_MAX_SUB_AUTHORITIES
                && lengthFor(count) <= b.byteSize();
    }

    /** {@code BOOLEAN RtlValidSid(PSID Sid)}: FALSE for NULL or unmapped memory too (Windows catches the fault). */
    public static boolean validSid(MemorySegment sid) {
        return validIn(SecurityBuffer.find(sid, "RtlValidSid", "Sid"));
    }

    /** {@code ULONG RtlLengthSid(PSID Sid)}: {@code 8 + 4 * SubAuthorityCount}, not validated (as in Windows). */
    public static int lengthSid(MemorySegment sid) {
        MemorySegment b = SecurityBuffer.of(sid, "RtlLengthSid", "Sid");
        if (b.byteSize() < COUNT + 1) {
            throw new IllegalArgumentException("RtlLengthSid: Sid is a buffer of " + b.byteSize()
                    + " bytes, too short for a SID header");
        }
        return (int) lengthFor(Byte.toUnsignedInt(b.get(UCHAR, COUNT)));
    }

    /** {@code ULONG RtlLengthRequiredSid(ULONG SubAuthorityCount)}: {@code 8 + 4 * SubAuthorityCount} (ULONG arithmetic). */
    public static int lengthRequiredSid(int subAuthorityCount) {
        return (int) lengthFor(Integer.toUnsignedLong(subAuthorityCount));
    }

    /**
     * {@code BOOLEAN RtlEqualSid(PSID Sid1, PSID Sid2)}: same revision, same count and the same bytes.
     * A SID that is not valid inside its buffer is equal to nothing.
     */
    public static boolean equalSid(MemorySegment sid1, MemorySegment sid2) {
        MemorySegment a = SecurityBuffer.of(sid1, "RtlEqualSid", "Sid1");
        MemorySegment b = SecurityBuffer.of(sid2, "RtlEqualSid", "Sid2");
        if (!validIn(a) || !validIn(b)) {
            return false;
        }
        long length = lengthFor(Byte.toUnsignedInt(a.get(UCHAR, COUNT)));
        return a.get(UCHAR, REVISION) == b.get(UCHAR, REVISION) && a.get(UCHAR, COUNT) == b.get(UCHAR, COUNT)
                && MemorySegment.mismatch(a, 0, length, b, 0, length) < 0;
    }

    /**
     * {@code NTSTATUS RtlCopySid(ULONG DestinationSidLength, PSID DestinationSid, PSID SourceSid)}:
     * STATUS_BUFFER_TOO_SMALL when the source's length exceeds DestinationSidLength,
     * STATUS_INVALID_SID when the source is not a valid SID inside its buffer.
     */
    public static int copySid(int destinationSidLength, MemorySegment destinationSid, MemorySegment sourceSid) {
        MemorySegment source = SecurityBuffer.of(sourceSid, "RtlCopySid", "SourceSid");
        if (!validIn(source)) {
            return NtStatus.STATUS_INVALID_SID;
        }
        long length = lengthFor(Byte.toUnsignedInt(source.get(UCHAR, COUNT)));
        if (length > Integer.toUnsignedLong(destinationSidLength)) {
            return NtStatus.STATUS_BUFFER_TOO_SMALL;
        }
        MemorySegment destination = SecurityBuffer.of(destinationSid, "RtlCopySid", "DestinationSid");
        if (destination.byteSize() < length) {
            throw new IllegalArgumentException("RtlCopySid: DestinationSid is a buffer of " + destination.byteSize()
                    + " bytes; DestinationSidLength claimed " + Integer.toUnsignedLong(destinationSidLength)
                    + " and the SID needs " + length);
        }
        MemorySegment.copy(source, 0, destination, 0, length);
        return NtStatus.STATUS_SUCCESS;
    }

    /**
     * {@code NTSTATUS RtlInitializeSid(PSID Sid, PSID_IDENTIFIER_AUTHORITY IdentifierAuthority, UCHAR SubAuthorityCount)}:
     * writes Revision, SubAuthorityCount and the authority (the sub-authorities are left as they are);
     * STATUS_INVALID_PARAMETER for more than 15 sub-authorities.
     */
    public static int initializeSid(MemorySegment sid, MemorySegment identifierAuthority, byte subAuthorityCount) {
        if (Byte.toUnsignedInt(subAuthorityCount) > SID_MAX_SUB_AUTHORITIES) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        MemorySegment authority = SecurityBuffer.of(identifierAuthority, "RtlInitializeSid", "IdentifierAuthority");
        MemorySegment b = SecurityBuffer.of(sid, "RtlInitializeSid", "Sid");
        if (authority.byteSize() < AUTHORITY_BYTES || b.byteSize() < SUB_AUTHORITIES) {
            throw new IllegalArgumentException("RtlInitializeSid: IdentifierAuthority (" + authority.byteSize()
                    + " bytes) needs 6 bytes and Sid (" + b.byteSize() + " bytes) needs 8");
        }
        b.set(UCHAR, REVISION, (byte) SID_REVISION);
        b.set(UCHAR, COUNT, subAuthorityCount);
        MemorySegment.copy(authority, 0, b, AUTHORITY, AUTHORITY_BYTES);
        return NtStatus.STATUS_SUCCESS;
    }

    /**
     * {@code PULONG RtlSubAuthoritySid(PSID Sid, ULONG SubAuthority)}: the address of
     * {@code SubAuthority[n]}, not validated (as in Windows). Inside the SID's buffer it is a 4-byte
     * segment; elsewhere a raw pointer (zero-length segment) that, like any raw pointer, is resolved
     * through the address space when a routine follows it.
     */
    public static MemorySegment subAuthoritySid(MemorySegment sid, int subAuthority) {
        MemorySegment b = SecurityBuffer.of(sid, "RtlSubAuthoritySid", "Sid");
        long offset = SUB_AUTHORITIES + 4 * Integer.toUnsignedLong(subAuthority);
        if (offset + 4 <= b.byteSize()) {
            return b.asSlice(offset, 4);
        }
        return MemorySegment.ofAddress(b.address() + offset);
    }

    /** The SID at the start of {@code b} (valid inside it) as "S-1-authority-sub-..." (MS-DTYP 2.4.2.1). */
    static String format(MemorySegment b) {
        StringBuilder s = new StringBuilder("S-").append(b.get(UCHAR, REVISION) & 0xFF).append('-');
        long authority = 0;
        for (int i = 0; i < AUTHORITY_BYTES; i++) {
            authority = authority << 8 | Byte.toUnsignedLong(b.get(UCHAR, AUTHORITY + i));
        }
        // Microsoft's documentation: decimal below 2^32, else hexadecimal (S-1-0x28651FE848-...).
        if (authority < 1L << 32) {
            s.append(authority);
        } else {
            s.append("0x").append(Long.toHexString(authority).toUpperCase(java.util.Locale.ROOT));
        }
        int count = Byte.toUnsignedInt(b.get(UCHAR, COUNT));
        for (int i = 0; i < count; i++) {
            s.append('-').append(Integer.toUnsignedLong(b.get(ULONG, SUB_AUTHORITIES + 4L * i)));
        }
        return s.toString();
    }

    /**
     * {@code NTSTATUS RtlConvertSidToUnicodeString(PUNICODE_STRING UnicodeString, PSID Sid, BOOLEAN
     * AllocateDestinationString)}: the string form, NUL-terminated. STATUS_INVALID_SID for a SID not
     * valid inside its buffer; with a caller's buffer, STATUS_BUFFER_OVERFLOW when MaximumLength cannot
     * hold the string and its NUL (nothing written); when allocating, a paged-pool buffer of exactly
     * that size (MaximumLength set), STATUS_NO_MEMORY if the pool refuses.
     */
    public static int convertSidToUnicodeString(MemorySegment unicodeString, MemorySegment sid,
                                                boolean allocateDestinationString, Pools pools) {
        MemorySegment b = SecurityBuffer.find(sid, "RtlConvertSidToUnicodeString", "Sid");
        if (!validIn(b)) {
            return NtStatus.STATUS_INVALID_SID;
        }
        String text = format(b);
        MemorySegment us = SecurityBuffer.of(unicodeString, "RtlConvertSidToUnicodeString", "UnicodeString");
        if (us.byteSize() < US_SIZE) {
            throw new IllegalArgumentException("RtlConvertSidToUnicodeString: UnicodeString is a buffer of "
                    + us.byteSize() + " bytes; UNICODE_STRING needs " + US_SIZE);
        }
        int needed = 2 * text.length() + 2;     // at most 2 * 184 + 2: always a USHORT
        MemorySegment target;
        if (allocateDestinationString) {
            target = pools.allocateWithTag(PoolType.PagedPool, needed, STRING_TAG, false);
            if (target == null || target.address() == 0) {
                return NtStatus.STATUS_NO_MEMORY;
            }
            us.set(USHORT, US_MAXIMUM_LENGTH, (short) needed);
            us.set(POINTER, US_BUFFER, target.address());
        } else {
            int maximum = Short.toUnsignedInt(us.get(USHORT, US_MAXIMUM_LENGTH));
            if (needed > maximum) {
                return NtStatus.STATUS_BUFFER_OVERFLOW;
            }
            target = SecurityBuffer.at(us.get(POINTER, US_BUFFER), needed, true);
        }
        for (int i = 0; i < text.length(); i++) {
            target.set(USHORT, 2L * i, (short) text.charAt(i));
        }
        target.set(USHORT, 2L * text.length(), (short) 0);
        us.set(USHORT, US_LENGTH, (short) (2 * text.length()));
        return NtStatus.STATUS_SUCCESS;
    }

    /**
     * {@code VOID RtlFreeUnicodeString(PUNICODE_STRING UnicodeString)}: frees a Buffer that
     * RtlConvertSidToUnicodeString allocated (bug check BAD_POOL_CALLER for any other) and zeroes the
     * UNICODE_STRING; a NULL Buffer is left alone.
     */
    public static void freeUnicodeString(MemorySegment unicodeString, Pools pools) {
        MemorySegment us = SecurityBuffer.of(unicodeString, "RtlFreeUnicodeString", "UnicodeString");
        if (us.byteSize() < US_SIZE) {
            throw new IllegalArgumentException("RtlFreeUnicodeString: UnicodeString is a buffer of " + us.byteSize()
                    + " bytes; UNICODE_STRING needs " + US_SIZE);
        }
        long buffer = us.get(POINTER, US_BUFFER);
        if (buffer != 0) {
            pools.free(buffer, STRING_TAG);
            us.asSlice(0, US_SIZE).fill((byte) 0);
        }
    }
}
