package dev.offkern.runtime.se;

import static dev.offkern.ddi.Rtl.RtlAddAccessAllowedAce;
import static dev.offkern.ddi.Rtl.RtlAddAccessAllowedAceEx;
import static dev.offkern.ddi.Rtl.RtlAddAccessDeniedAce;
import static dev.offkern.ddi.Rtl.RtlAddAccessDeniedAceEx;
import static dev.offkern.ddi.Rtl.RtlAddAce;
import static dev.offkern.ddi.Rtl.RtlCreateAcl;
import static dev.offkern.ddi.Rtl.RtlDeleteAce;
import static dev.offkern.ddi.Rtl.RtlGetAce;
import static dev.offkern.ddi.Rtl.RtlInitializeSid;
import static dev.offkern.ddi.Rtl.RtlSubAuthoritySid;
import static dev.offkern.ddi.Rtl.RtlValidAcl;
import static dev.offkern.nt.NtStatus.STATUS_ALLOTTED_SPACE_EXCEEDED;
import static dev.offkern.nt.NtStatus.STATUS_BUFFER_TOO_SMALL;
import static dev.offkern.nt.NtStatus.STATUS_INVALID_ACL;
import static dev.offkern.nt.NtStatus.STATUS_INVALID_PARAMETER;
import static dev.offkern.nt.NtStatus.STATUS_INVALID_SID;
import static dev.offkern.nt.NtStatus.STATUS_REVISION_MISMATCH;
import static dev.offkern.nt.NtStatus.STATUS_SUCCESS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ACL routines. The byte-exact vector is the DACL of SDDL "D:(A;;GA;;;WD)" (one ACCESS_ALLOWED
 * ACE granting GENERIC_ALL to Everyone), laid out per MS-DTYP 2.4.5 and 2.4.4.2.
 */
class RtlAclTest {

    private static final ValueLayout.OfShort USHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int GENERIC_ALL = 0x10000000;

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

    private MemorySegment sid(int authority, int... subs) {
        MemorySegment s = arena.allocate(8 + 4L * subs.length, 4);
        MemorySegment a = arena.allocate(6);
        a.set(ValueLayout.JAVA_BYTE, 5, (byte) authority);
        RtlInitializeSid(s, a, (byte) subs.length);
        for (int i = 0; i < subs.length; i++) {
            RtlSubAuthoritySid(s, i).set(ValueLayout.JAVA_INT_UNALIGNED, 0, subs[i]);
        }
        return s;
    }

    private MemorySegment acl(int size) {
        MemorySegment acl = arena.allocate(size, 4);
        assertEquals(STATUS_SUCCESS, RtlCreateAcl(acl, size, 2));
        return acl;
    }

    private int count(MemorySegment acl) {
        return acl.get(USHORT, 4);
    }

    @Test
    void shouldBuildTheEveryoneGenericAllDaclByteForByte() {
        MemorySegment acl = acl(28);
        assertEquals(STATUS_SUCCESS, RtlAddAccessAllowedAce(acl, 2, GENERIC_ALL, sid(1, 0)));
        assertArrayEquals(new byte[] {2, 0, 28, 0, 1, 0, 0, 0,          // ACL: revision 2, size 28, 1 ACE
                0, 0, 20, 0, 0, 0, 0, 0x10,                             // ACE: allowed, no flags, 20 bytes, GENERIC_ALL
                1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0},                   // S-1-1-0
                acl.toArray(ValueLayout.JAVA_BYTE));
        assertTrue(RtlValidAcl(acl));
    }

    @Test
    void shouldCheckLengthAndRevisionOnCreate() {
        MemorySegment buffer = arena.allocate(0x10000, 4);
        assertEquals(STATUS_BUFFER_TOO_SMALL, RtlCreateAcl(buffer, 7, 2));
        assertEquals(STATUS_INVALID_PARAMETER, RtlCreateAcl(buffer, 64, 1));
        assertEquals(STATUS_INVALID_PARAMETER, RtlCreateAcl(buffer, 64, 5));
        assertEquals(STATUS_INVALID_PARAMETER, RtlCreateAcl(buffer, 0x10000, 2));
        assertEquals(STATUS_SUCCESS, RtlCreateAcl(buffer, 0xFFFF, 4));
        assertEquals(0xFFFC, Short.toUnsignedInt(buffer.get(USHORT, 2)), "rounded down to a ULONG multiple");
        assertTrue(RtlValidAcl(buffer));
        assertEquals(STATUS_SUCCESS, RtlCreateAcl(buffer, 8, 2));
        assertTrue(RtlValidAcl(buffer), "an empty ACL is valid");
    }

    @Test
    void shouldAppendAcesInOrderAndFailWhenTheSpaceIsExhausted() {
        MemorySegment acl = acl(8 + 20 + 24);
        assertEquals(STATUS_SUCCESS, RtlAddAccessDeniedAce(acl, 2, 1, sid(1, 0)));
        assertEquals(STATUS_SUCCESS, RtlAddAccessAllowedAceEx(acl, 2, 0x3, 2, sid(5, 32, 544)));
        assertEquals(STATUS_ALLOTTED_SPACE_EXCEEDED, RtlAddAccessAllowedAce(acl, 2, 4, sid(5, 18)));
        assertEquals(2, count(acl));
        MemorySegment out = arena.allocate(8);
        assertEquals(STATUS_SUCCESS, RtlGetAce(acl, 1, out));
        assertEquals(acl.address() + 28, out.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(0, acl.get(ValueLayout.JAVA_BYTE, 28), "ACCESS_ALLOWED_ACE_TYPE");
        assertEquals(3, acl.get(ValueLayout.JAVA_BYTE, 29), "the Ex flags");
        assertEquals(1, acl.get(ValueLayout.JAVA_BYTE, 8), "ACCESS_DENIED_ACE_TYPE");
        assertEquals(STATUS_INVALID_PARAMETER, RtlGetAce(acl, 2, out));
        assertTrue(RtlValidAcl(acl));
    }

    @Test
    void shouldReportStatusesInWindowsOrder() {
        MemorySegment acl = acl(64);
        MemorySegment bad = sid(5, 18);
        bad.set(ValueLayout.JAVA_BYTE, 1, (byte) 16);
        assertEquals(STATUS_INVALID_SID, RtlAddAccessAllowedAce(acl, 9, 1, bad));
        assertEquals(STATUS_REVISION_MISMATCH, RtlAddAccessAllowedAce(acl, 5, 1, sid(5, 18)));
        assertEquals(STATUS_INVALID_PARAMETER, RtlAddAccessDeniedAceEx(acl, 2, 0x20, 1, sid(5, 18)));
        acl.set(USHORT, 4, (short) 3);                                     // a lying AceCount
        assertEquals(STATUS_INVALID_ACL, RtlAddAccessDeniedAce(acl, 2, 1, sid(5, 18)));
    }

    @Test
    void shouldRaiseTheRevisionToTheAces() {
        MemorySegment acl = acl(64);
        assertEquals(STATUS_SUCCESS, RtlAddAccessAllowedAce(acl, 4, 1, sid(5, 18)));
        assertEquals(4, acl.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void shouldDeleteAnAceAndCloseTheGap() {
        MemorySegment acl = acl(8 + 20 + 24 + 20);
        RtlAddAccessAllowedAce(acl, 2, 1, sid(1, 0));
        RtlAddAccessAllowedAce(acl, 2, 2, sid(5, 32, 544));
        RtlAddAccessAllowedAce(acl, 2, 3, sid(5, 18));
        assertEquals(STATUS_SUCCESS, RtlDeleteAce(acl, 1));
        assertEquals(2, count(acl));
        assertEquals(3, acl.get(ValueLayout.JAVA_INT_UNALIGNED, 8 + 20 + 4), "the third ACE moved down");
        for (int i = 8 + 40; i < 72; i++) {
            assertEquals(0, acl.get(ValueLayout.JAVA_BYTE, i), "freed byte " + i + " zeroed");
        }
        assertEquals(STATUS_INVALID_PARAMETER, RtlDeleteAce(acl, 2));
        assertTrue(RtlValidAcl(acl));
    }

    @Test
    void shouldInsertAnAceListAtAnIndex() {
        MemorySegment acl = acl(8 + 20 * 3);
        RtlAddAccessAllowedAce(acl, 2, 1, sid(1, 0));
        RtlAddAccessAllowedAce(acl, 2, 3, sid(1, 0));
        MemorySegment list = acl(8 + 20);
        RtlAddAccessDeniedAce(list, 2, 2, sid(1, 0));
        assertEquals(STATUS_SUCCESS, RtlAddAce(acl, 2, 1, list.asSlice(8), 20));
        assertEquals(3, count(acl));
        assertEquals(2, acl.get(ValueLayout.JAVA_INT_UNALIGNED, 8 + 20 + 4));
        assertEquals(3, acl.get(ValueLayout.JAVA_INT_UNALIGNED, 8 + 40 + 4));
        assertEquals(STATUS_BUFFER_TOO_SMALL, RtlAddAce(acl, 2, -1, list.asSlice(8), 20));
        list.set(USHORT, 8 + 2, (short) 22);                               // a lying AceSize in the list
        assertEquals(STATUS_INVALID_PARAMETER, RtlAddAce(acl(64), 2, -1, list.asSlice(8), 20));
        assertTrue(RtlValidAcl(acl));
    }

    @Test
    void shouldJudgeLyingSizesInvalidWithoutReadingPastTheBuffer() {
        MemorySegment acl = acl(28);
        RtlAddAccessAllowedAce(acl, 2, 1, sid(1, 0));
        acl.set(USHORT, 2, (short) 32);                                    // AclSize past the buffer
        assertFalse(RtlValidAcl(acl));
        acl.set(USHORT, 2, (short) 28);
        acl.set(USHORT, 8 + 2, (short) 0);                                 // AceSize 0
        assertFalse(RtlValidAcl(acl));
        assertEquals(STATUS_INVALID_PARAMETER, RtlGetAce(acl, 0, arena.allocate(8)));
        acl.set(USHORT, 8 + 2, (short) 16);                                // the SID no longer fits in the ACE
        assertFalse(RtlValidAcl(acl));
        acl.set(USHORT, 8 + 2, (short) 20);
        acl.set(ValueLayout.JAVA_BYTE, 8 + 9, (byte) 3);                   // the SID claims 3 sub-authorities
        assertFalse(RtlValidAcl(acl));
        assertFalse(RtlValidAcl(MemorySegment.NULL));
    }

    @Test
    void shouldNeverThrowOnRandomAcls() {
        Random random = new Random(14);
        MemorySegment out = arena.allocate(8);
        for (int i = 0; i < 5_000; i++) {
            MemorySegment acl = arena.allocate(1 + random.nextInt(96), 4);
            byte[] bytes = new byte[(int) acl.byteSize()];
            random.nextBytes(bytes);
            if (bytes.length >= 8 && random.nextBoolean()) {
                bytes[0] = 2;
                bytes[2] = (byte) (bytes.length & ~3);
                bytes[3] = 0;
                bytes[4] = (byte) random.nextInt(4);
                bytes[5] = 0;
            }
            MemorySegment.copy(bytes, 0, acl, ValueLayout.JAVA_BYTE, 0, bytes.length);
            boolean valid = RtlValidAcl(acl);
            int st = RtlGetAce(acl, random.nextInt(4), out);
            assertTrue(st == STATUS_SUCCESS || st == STATUS_INVALID_PARAMETER);
            int add = RtlAddAccessAllowedAce(acl, 2, 1, sid(1, 0));
            assertTrue(add == STATUS_SUCCESS || add == STATUS_INVALID_ACL || add == STATUS_ALLOTTED_SPACE_EXCEEDED
                    || add == STATUS_REVISION_MISMATCH, Integer.toHexString(add));
            if (add == STATUS_SUCCESS) {
                assertTrue(valid, "an ACE was added to an invalid ACL");
                assertTrue(RtlValidAcl(acl), "adding an ACE left the ACL invalid");
            }
            st = RtlDeleteAce(acl, 0);
            assertTrue(st == STATUS_SUCCESS || st == STATUS_INVALID_PARAMETER);
        }
    }
}
