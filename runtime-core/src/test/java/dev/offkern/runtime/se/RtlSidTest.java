package dev.offkern.runtime.se;

import static dev.offkern.ddi.Rtl.RtlConvertSidToUnicodeString;
import static dev.offkern.ddi.Rtl.RtlCopySid;
import static dev.offkern.ddi.Rtl.RtlEqualSid;
import static dev.offkern.ddi.Rtl.RtlFreeUnicodeString;
import static dev.offkern.ddi.Rtl.RtlInitializeSid;
import static dev.offkern.ddi.Rtl.RtlLengthRequiredSid;
import static dev.offkern.ddi.Rtl.RtlLengthSid;
import static dev.offkern.ddi.Rtl.RtlSubAuthoritySid;
import static dev.offkern.ddi.Rtl.RtlValidSid;
import static dev.offkern.nt.NtStatus.STATUS_BUFFER_OVERFLOW;
import static dev.offkern.nt.NtStatus.STATUS_BUFFER_TOO_SMALL;
import static dev.offkern.nt.NtStatus.STATUS_INVALID_PARAMETER;
import static dev.offkern.nt.NtStatus.STATUS_INVALID_SID;
import static dev.offkern.nt.NtStatus.STATUS_SUCCESS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ex;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SID routines. Vectors: the well-known SIDs of Microsoft's documentation ("Well-known SIDs",
 * MS-DTYP 2.4.2.4): Everyone S-1-1-0, LocalSystem S-1-5-18, BUILTIN\Administrators S-1-5-32-544, and
 * the two authority forms of RtlConvertSidToUnicodeString's documentation (S-1-281736-12-72-9-110,
 * S-1-0x28651FE848-12-72-9-110).
 */
class RtlSidTest {

    private static final ValueLayout.OfInt ULONG = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort USHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int TAG = 'S' | 'i' << 8 | 'd' << 16 | 'T' << 24;

    private Kernel kernel;
    private Arena arena;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot();
        arena = Arena.ofShared();
    }

    @AfterEach
    void close() {
        kernel.close();
        arena.close();
    }

    /** A SID in a buffer of exactly its length. */
    private MemorySegment sid(long authority, int... subAuthorities) {
        MemorySegment s = arena.allocate(8 + 4L * subAuthorities.length, 4);
        MemorySegment auth = authority(authority);
        assertEquals(STATUS_SUCCESS, RtlInitializeSid(s, auth, (byte) subAuthorities.length));
        for (int i = 0; i < subAuthorities.length; i++) {
            RtlSubAuthoritySid(s, i).set(ULONG, 0, subAuthorities[i]);
        }
        return s;
    }

    private MemorySegment authority(long value) {
        MemorySegment a = arena.allocate(6);
        for (int i = 0; i < 6; i++) {
            a.set(ValueLayout.JAVA_BYTE, i, (byte) (value >>> (8 * (5 - i))));
        }
        return a;
    }

    private String convert(MemorySegment sid) {
        MemorySegment us = arena.allocate(UNICODE_STRING.LAYOUT);
        assertEquals(STATUS_SUCCESS, RtlConvertSidToUnicodeString(us, sid, true));
        int length = Short.toUnsignedInt(us.get(USHORT, UNICODE_STRING.LENGTH_OFFSET));
        assertEquals(length + 2, Short.toUnsignedInt(us.get(USHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET)));
        MemorySegment buffer = kernel.addressSpace().resolve(us.get(ValueLayout.JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET),
                length + 2);
        assertEquals(0, buffer.get(USHORT, length), "NUL-terminated");
        String text = new String(buffer.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_16LE);
        RtlFreeUnicodeString(us);
        assertEquals(0, us.get(ValueLayout.JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET));
        return text;
    }

    @Test
    void shouldLayOutTheWellKnownSidsByteForByte() {
        // BUILTIN\Administrators: 01 02 | 00 00 00 00 00 05 | 20 00 00 00 | 20 02 00 00
        MemorySegment admins = sid(5, 32, 544);
        assertArrayEquals(new byte[] {1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 2, 0, 0},
                admins.toArray(ValueLayout.JAVA_BYTE));
        assertTrue(RtlValidSid(admins));
        assertEquals(16, RtlLengthSid(admins));
    }

    @Test
    void shouldConvertTheWellKnownSidsToTheirDocumentedStrings() {
        assertEquals("S-1-1-0", convert(sid(1, 0)));
        assertEquals("S-1-5-18", convert(sid(5, 18)));
        assertEquals("S-1-5-32-544", convert(sid(5, 32, 544)));
        assertEquals("S-1-5-21-1004336348-1177238915-682003330-512",
                convert(sid(5, 21, 1004336348, 1177238915, 682003330, 512)));
        assertEquals("S-1-5-4294967295", convert(sid(5, -1)), "sub-authorities are unsigned");
        assertEquals("S-1-0", convert(sid(0)));
    }

    @Test
    void shouldWriteTheAuthorityInDecimalBelow2To32AndInHexAbove() {
        assertEquals("S-1-281736-12-72-9-110", convert(sid(281736, 12, 72, 9, 110)));
        assertEquals("S-1-4294967295-1", convert(sid(0xFFFFFFFFL, 1)));
        assertEquals("S-1-0x28651FE848-12-72-9-110", convert(sid(173495281736L, 12, 72, 9, 110)));
        assertEquals("S-1-0x100000000-7", convert(sid(1L << 32, 7)));
    }

    @Test
    void shouldComputeLengthsAsTheUlongArithmeticDoes() {
        assertEquals(8, RtlLengthRequiredSid(0));
        assertEquals(12, RtlLengthRequiredSid(1));
        assertEquals(68, RtlLengthRequiredSid(15));
        assertEquals(8 + 4 * 255, RtlLengthRequiredSid(255));
        assertEquals(4, RtlLengthRequiredSid(0x3FFFFFFF), "8 + 4 * 0x3FFFFFFF wraps in a ULONG");
        assertEquals(68, RtlLengthSid(sid(5, new int[15])));
    }

    @Test
    void shouldRefuseMoreThanFifteenSubAuthoritiesOnInitialize() {
        MemorySegment s = arena.allocate(8);
        assertEquals(STATUS_INVALID_PARAMETER, RtlInitializeSid(s, authority(5), (byte) 16));
        assertEquals(STATUS_INVALID_PARAMETER, RtlInitializeSid(s, authority(5), (byte) 0xFF));
        assertEquals(0, s.get(ValueLayout.JAVA_BYTE, 0), "nothing written");
        assertEquals(STATUS_SUCCESS, RtlInitializeSid(s, authority(5), (byte) 0));
        assertTrue(RtlValidSid(s));
    }

    @Test
    void shouldJudgeALyingSubAuthorityCountInvalidWithoutReadingPastTheBuffer() {
        MemorySegment s = sid(5, 32, 544);
        s.set(ValueLayout.JAVA_BYTE, 1, (byte) 3);          // claims 20 bytes in a 16-byte buffer
        assertFalse(RtlValidSid(s));
        assertEquals(20, RtlLengthSid(s), "RtlLengthSid does not validate");
        assertFalse(RtlEqualSid(s, s));
        assertEquals(STATUS_INVALID_SID, RtlCopySid(64, arena.allocate(64), s));
        assertEquals(STATUS_INVALID_SID, RtlConvertSidToUnicodeString(arena.allocate(UNICODE_STRING.LAYOUT), s, true));
        s.set(ValueLayout.JAVA_BYTE, 1, (byte) 16);         // over SID_MAX_SUB_AUTHORITIES
        assertFalse(RtlValidSid(s));
        MemorySegment big = arena.allocate(8 + 4 * 16);
        big.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        big.set(ValueLayout.JAVA_BYTE, 1, (byte) 16);
        assertFalse(RtlValidSid(big), "16 sub-authorities are never valid, even when they fit");
    }

    @Test
    void shouldJudgeRevisionByItsLowNibbleAndShortBuffersInvalid() {
        MemorySegment s = sid(5, 18);
        s.set(ValueLayout.JAVA_BYTE, 0, (byte) 2);
        assertFalse(RtlValidSid(s));
        s.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x11);
        assertTrue(RtlValidSid(s), "Windows tests (Revision & 0x0F) == SID_REVISION");
        assertFalse(RtlValidSid(arena.allocate(7)));
        assertFalse(RtlValidSid(MemorySegment.NULL));
        assertFalse(RtlValidSid(null));
    }

    @Test
    void shouldNeverThrowAnythingButFalseOnRandomBytes() {
        Random random = new Random(14);
        for (int i = 0; i < 5_000; i++) {
            MemorySegment s = arena.allocate(random.nextInt(0, 80) + 1);
            byte[] bytes = new byte[(int) s.byteSize()];
            random.nextBytes(bytes);
            if (random.nextBoolean() && bytes.length > 1) {
                bytes[0] = 1;
                bytes[1] = (byte) random.nextInt(0, 17);
            }
            MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
            boolean valid = RtlValidSid(s);
            boolean expected = bytes.length >= 8 && (bytes[0] & 0xF) == 1 && (bytes[1] & 0xFF) <= 15
                    && 8 + 4 * (bytes[1] & 0xFF) <= bytes.length;
            assertEquals(expected, valid);
            assertEquals(valid, RtlEqualSid(s, s));
            MemorySegment out = arena.allocate(68);
            assertEquals(valid ? STATUS_SUCCESS : STATUS_INVALID_SID, RtlCopySid(68, out, s));
        }
    }

    @Test
    void shouldCompareRevisionCountAndEveryByte() {
        assertTrue(RtlEqualSid(sid(5, 32, 544), sid(5, 32, 544)));
        assertFalse(RtlEqualSid(sid(5, 32, 544), sid(5, 32, 545)));
        assertFalse(RtlEqualSid(sid(5, 32), sid(5, 32, 544)));
        assertFalse(RtlEqualSid(sid(1, 0), sid(5, 0)));
        MemorySegment longer = arena.allocate(32);
        MemorySegment.copy(sid(5, 18), 0, longer, 0, 12);
        longer.set(ValueLayout.JAVA_BYTE, 20, (byte) 9);
        assertTrue(RtlEqualSid(longer, sid(5, 18)), "bytes past the SID do not count");
    }

    @Test
    void shouldCopyOrReportBufferTooSmall() {
        MemorySegment source = sid(5, 32, 544);
        MemorySegment destination = arena.allocate(16);
        assertEquals(STATUS_BUFFER_TOO_SMALL, RtlCopySid(15, destination, source));
        assertEquals(0, destination.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(STATUS_SUCCESS, RtlCopySid(16, destination, source));
        assertTrue(RtlEqualSid(destination, source));
        assertThrows(IllegalArgumentException.class, () -> RtlCopySid(16, arena.allocate(12), source),
                "a DestinationSidLength larger than the real buffer is refused, not overrun");
    }

    @Test
    void shouldAddressSubAuthoritiesLikeWindowsWithoutValidating() {
        MemorySegment s = sid(5, 32, 544);
        assertEquals(544, RtlSubAuthoritySid(s, 1).get(ULONG, 0));
        MemorySegment past = RtlSubAuthoritySid(s, 2);
        assertEquals(0, past.byteSize(), "outside the buffer: a raw pointer");
        assertEquals(s.address() + 16, past.address());
    }

    @Test
    void shouldFillACallersBufferOrReportOverflowWhenTheNulDoesNotFit() {
        MemorySegment buffer = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, TAG);
        MemorySegment us = arena.allocate(UNICODE_STRING.LAYOUT);
        us.set(ValueLayout.JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET, buffer.address());
        us.set(USHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) 24);    // "S-1-5-32-544" is 24 bytes + NUL
        assertEquals(STATUS_BUFFER_OVERFLOW, RtlConvertSidToUnicodeString(us, sid(5, 32, 544), false));
        assertEquals(0, us.get(USHORT, UNICODE_STRING.LENGTH_OFFSET));
        us.set(USHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) 26);
        assertEquals(STATUS_SUCCESS, RtlConvertSidToUnicodeString(us, sid(5, 32, 544), false));
        assertEquals(24, us.get(USHORT, UNICODE_STRING.LENGTH_OFFSET));
        assertEquals(26, us.get(USHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET), "MaximumLength is the caller's");
        assertEquals("S-1-5-32-544", new String(buffer.asSlice(0, 24).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.UTF_16LE));
        Ex.ExFreePoolWithTag(buffer, TAG);
    }

    @Test
    void shouldBugCheckOnAnUnmappedStringBuffer() {
        MemorySegment us = arena.allocate(UNICODE_STRING.LAYOUT);
        us.set(ValueLayout.JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET, 0x10L);
        us.set(USHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) 200);
        BugCheck b = assertThrows(BugCheck.class, () -> RtlConvertSidToUnicodeString(us, sid(5, 18), false));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, b.code());
    }
}
