package dev.offkern.runtime.se;

import static dev.offkern.ddi.Rtl.RtlAbsoluteToSelfRelativeSD;
import static dev.offkern.ddi.Rtl.RtlAddAccessAllowedAce;
import static dev.offkern.ddi.Rtl.RtlCreateAcl;
import static dev.offkern.ddi.Rtl.RtlCreateSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlInitializeSid;
import static dev.offkern.ddi.Rtl.RtlLengthSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlSelfRelativeToAbsoluteSD;
import static dev.offkern.ddi.Rtl.RtlSetDaclSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlSetGroupSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlSetOwnerSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlSubAuthoritySid;
import static dev.offkern.ddi.Rtl.RtlValidRelativeSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlValidSecurityDescriptor;
import static dev.offkern.nt.NtStatus.STATUS_BAD_DESCRIPTOR_FORMAT;
import static dev.offkern.nt.NtStatus.STATUS_BUFFER_TOO_SMALL;
import static dev.offkern.nt.NtStatus.STATUS_INVALID_SECURITY_DESCR;
import static dev.offkern.nt.NtStatus.STATUS_INVALID_SID;
import static dev.offkern.nt.NtStatus.STATUS_SUCCESS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ex;
import dev.offkern.layout.se.SECURITY_DESCRIPTOR;
import dev.offkern.layout.se.SECURITY_DESCRIPTOR_RELATIVE;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Absolute and self-relative descriptors converted both ways and judged (MS-DTYP 2.4.6; the
 * self-relative component order SACL, DACL, owner, group is Windows' RtlMakeSelfRelativeSD's).
 */
class SecurityDescriptorFormsTest {

    private static final ValueLayout.OfInt ULONG = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong POINTER = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort USHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int TAG = 'S' | 'd' << 8 | 'F' << 16 | 't' << 24;
    private static final int GENERIC_ALL = 0x10000000;

    /**
     * "O:BAG:SYD:(A;;GA;;;WD)" in self-relative form as RtlAbsoluteToSelfRelativeSD lays it out:
     * header (SE_SELF_RELATIVE | SE_DACL_PRESENT; owner 0x30, group 0x40, no SACL, DACL 0x14), the
     * DACL (revision 2, 28 bytes, one ACCESS_ALLOWED_ACE: GENERIC_ALL for S-1-1-0), S-1-5-32-544, S-1-5-18.
     */
    private static final byte[] EXPECTED = HexFormat.of().parseHex(
            "01000480" + "30000000" + "40000000" + "00000000" + "14000000"
                    + "02001c00" + "01000000" + "00001400" + "00000010" + "010100000000000100000000"
                    + "01020000000000052000000020020000"
                    + "010100000000000512000000");

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
        MemorySegment s = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8 + 4L * subs.length, TAG);
        MemorySegment a = arena.allocate(6);
        a.set(ValueLayout.JAVA_BYTE, 5, (byte) authority);
        RtlInitializeSid(s, a, (byte) subs.length);
        for (int i = 0; i < subs.length; i++) {
            RtlSubAuthoritySid(s, i).set(ULONG, 0, subs[i]);
        }
        return s;
    }

    /** O:BA G:SY D:(A;;GA;;;WD) in absolute form, its parts in pool. */
    private MemorySegment absolute() {
        MemorySegment sd = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 40, TAG);
        assertEquals(STATUS_SUCCESS, RtlCreateSecurityDescriptor(sd, 1));
        MemorySegment dacl = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 28, TAG);
        assertEquals(STATUS_SUCCESS, RtlCreateAcl(dacl, 28, 2));
        assertEquals(STATUS_SUCCESS, RtlAddAccessAllowedAce(dacl, 2, GENERIC_ALL, sid(1, 0)));
        assertEquals(STATUS_SUCCESS, RtlSetOwnerSecurityDescriptor(sd, sid(5, 32, 544), false));
        assertEquals(STATUS_SUCCESS, RtlSetGroupSecurityDescriptor(sd, sid(5, 18), false));
        assertEquals(STATUS_SUCCESS, RtlSetDaclSecurityDescriptor(sd, true, dacl, false));
        return sd;
    }

    private static MemorySegment pool(long bytes) {
        return Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, bytes, TAG);
    }

    private MemorySegment ulong(int value) {
        MemorySegment u = arena.allocate(4);
        u.set(ULONG, 0, value);
        return u;
    }

    @Test
    void shouldReportTheSizeNeededThenWriteWindowsLayout() {
        MemorySegment sd = absolute();
        MemorySegment length = ulong(0);
        assertEquals(STATUS_BUFFER_TOO_SMALL, RtlAbsoluteToSelfRelativeSD(sd, MemorySegment.NULL, length));
        assertEquals(EXPECTED.length, length.get(ULONG, 0));
        MemorySegment out = arena.allocate(EXPECTED.length + 8);
        out.fill((byte) 0x55);
        assertEquals(STATUS_SUCCESS, RtlAbsoluteToSelfRelativeSD(sd, out, length));
        assertArrayEquals(EXPECTED, out.asSlice(0, EXPECTED.length).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(0x55, out.get(ValueLayout.JAVA_BYTE, EXPECTED.length), "nothing written past the descriptor");
        assertTrue(RtlValidRelativeSecurityDescriptor(out, EXPECTED.length, 0x7));
        assertTrue(RtlValidSecurityDescriptor(out));
        assertTrue(RtlValidSecurityDescriptor(sd));
        assertEquals(EXPECTED.length, RtlLengthSecurityDescriptor(out));
    }

    @Test
    void shouldRefuseTheWrongFormBothWays() {
        MemorySegment sd = absolute();
        MemorySegment sizes = arena.allocate(4 * 5);
        assertEquals(STATUS_BAD_DESCRIPTOR_FORMAT, RtlSelfRelativeToAbsoluteSD(sd, arena.allocate(40), sizes.asSlice(0, 4),
                MemorySegment.NULL, sizes.asSlice(4, 4), MemorySegment.NULL, sizes.asSlice(8, 4), MemorySegment.NULL,
                sizes.asSlice(12, 4), MemorySegment.NULL, sizes.asSlice(16, 4)));
        MemorySegment relative = arena.allocate(EXPECTED.length);
        relative.copyFrom(MemorySegment.ofArray(EXPECTED));
        assertEquals(STATUS_BAD_DESCRIPTOR_FORMAT, RtlAbsoluteToSelfRelativeSD(relative, arena.allocate(100), ulong(100)));
    }

    @Test
    void shouldReportEveryNeededSizeThenRebuildTheAbsoluteForm() {
        MemorySegment relative = arena.allocate(EXPECTED.length);
        relative.copyFrom(MemorySegment.ofArray(EXPECTED));
        MemorySegment bodySize = ulong(0);
        MemorySegment daclSize = ulong(0);
        MemorySegment saclSize = ulong(0);
        MemorySegment ownerSize = ulong(0);
        MemorySegment groupSize = ulong(100);
        assertEquals(STATUS_BUFFER_TOO_SMALL, RtlSelfRelativeToAbsoluteSD(relative, MemorySegment.NULL, bodySize,
                MemorySegment.NULL, daclSize, MemorySegment.NULL, saclSize, MemorySegment.NULL, ownerSize,
                MemorySegment.NULL, groupSize));
        assertEquals(40, bodySize.get(ULONG, 0));
        assertEquals(28, daclSize.get(ULONG, 0));
        assertEquals(0, saclSize.get(ULONG, 0));
        assertEquals(16, ownerSize.get(ULONG, 0));
        assertEquals(12, groupSize.get(ULONG, 0), "every size is set, not only the short ones");

        // pool memory: the absolute form's pointers are followed through the kernel's address space
        MemorySegment body = pool(40);
        MemorySegment dacl = pool(28);
        MemorySegment owner = pool(16);
        MemorySegment group = pool(12);
        assertEquals(STATUS_SUCCESS, RtlSelfRelativeToAbsoluteSD(relative, body, bodySize, dacl, daclSize,
                MemorySegment.NULL, saclSize, owner, ownerSize, group, groupSize));
        assertEquals(1, body.get(ValueLayout.JAVA_BYTE, SECURITY_DESCRIPTOR.REVISION_OFFSET));
        assertEquals(0x0004, body.get(USHORT, SECURITY_DESCRIPTOR.CONTROL_OFFSET), "SE_DACL_PRESENT, not self-relative");
        assertEquals(owner.address(), body.get(POINTER, SECURITY_DESCRIPTOR.OWNER_OFFSET));
        assertEquals(group.address(), body.get(POINTER, SECURITY_DESCRIPTOR.GROUP_OFFSET));
        assertEquals(0, body.get(POINTER, SECURITY_DESCRIPTOR.SACL_OFFSET));
        assertEquals(dacl.address(), body.get(POINTER, SECURITY_DESCRIPTOR.DACL_OFFSET));
        assertArrayEquals(relative.asSlice(0x14, 28).toArray(ValueLayout.JAVA_BYTE), dacl.toArray(ValueLayout.JAVA_BYTE));
        assertArrayEquals(relative.asSlice(0x30, 16).toArray(ValueLayout.JAVA_BYTE), owner.toArray(ValueLayout.JAVA_BYTE));
        assertArrayEquals(relative.asSlice(0x40, 12).toArray(ValueLayout.JAVA_BYTE), group.toArray(ValueLayout.JAVA_BYTE));
        assertTrue(RtlValidSecurityDescriptor(body));

        MemorySegment again = arena.allocate(EXPECTED.length);
        assertEquals(STATUS_SUCCESS, RtlAbsoluteToSelfRelativeSD(body, again, ulong(EXPECTED.length)));
        assertArrayEquals(EXPECTED, again.toArray(ValueLayout.JAVA_BYTE), "the round trip is byte-exact");
    }

    @Test
    void shouldKeepANullDaclANullDaclInBothForms() {
        MemorySegment sd = arena.allocate(40, 8);
        assertEquals(STATUS_SUCCESS, RtlCreateSecurityDescriptor(sd, 1));
        assertEquals(STATUS_SUCCESS, RtlSetDaclSecurityDescriptor(sd, true, MemorySegment.NULL, false));
        MemorySegment relative = arena.allocate(20);
        assertEquals(STATUS_SUCCESS, RtlAbsoluteToSelfRelativeSD(sd, relative, ulong(20)));
        assertEquals((short) 0x8004, relative.get(USHORT, SECURITY_DESCRIPTOR_RELATIVE.CONTROL_OFFSET));
        assertEquals(0, relative.get(ULONG, SECURITY_DESCRIPTOR_RELATIVE.DACL_OFFSET));
        MemorySegment body = arena.allocate(40, 8);
        MemorySegment zero = arena.allocate(16);
        assertEquals(STATUS_SUCCESS, RtlSelfRelativeToAbsoluteSD(relative, body, ulong(40), MemorySegment.NULL,
                zero.asSlice(0, 4), MemorySegment.NULL, zero.asSlice(4, 4), MemorySegment.NULL, zero.asSlice(8, 4),
                MemorySegment.NULL, zero.asSlice(12, 4)));
        assertEquals(0x0004, body.get(USHORT, SECURITY_DESCRIPTOR.CONTROL_OFFSET));
        assertEquals(0, body.get(POINTER, SECURITY_DESCRIPTOR.DACL_OFFSET));
        assertTrue(RtlValidSecurityDescriptor(body));
    }

    @Test
    void shouldJudgeInvalidDescriptorsFalseWithoutAFault() {
        assertFalse(RtlValidSecurityDescriptor(MemorySegment.NULL));
        assertFalse(RtlValidSecurityDescriptor(MemorySegment.ofAddress(0x10)));
        MemorySegment relative = arena.allocate(EXPECTED.length);
        relative.copyFrom(MemorySegment.ofArray(EXPECTED));
        relative.set(ValueLayout.JAVA_BYTE, 0, (byte) 2);
        assertFalse(RtlValidSecurityDescriptor(relative), "revision 2");
        relative.copyFrom(MemorySegment.ofArray(EXPECTED));
        relative.set(ULONG, SECURITY_DESCRIPTOR_RELATIVE.GROUP_OFFSET, 0x1000);
        assertFalse(RtlValidSecurityDescriptor(relative), "a group offset outside the buffer");
        relative.copyFrom(MemorySegment.ofArray(EXPECTED));
        relative.set(ValueLayout.JAVA_BYTE, 0x41, (byte) 15);
        assertFalse(RtlValidSecurityDescriptor(relative), "a group SID whose 15 sub-authorities run past the buffer");
        relative.copyFrom(MemorySegment.ofArray(EXPECTED));
        relative.set(ValueLayout.JAVA_BYTE, 0x30, (byte) 3);
        assertFalse(RtlValidSecurityDescriptor(relative), "an owner SID of revision 3");
        relative.copyFrom(MemorySegment.ofArray(EXPECTED));
        relative.set(USHORT, 0x14 + 4, (short) 2);
        assertFalse(RtlValidSecurityDescriptor(relative), "a DACL claiming two ACEs in room for one");

        MemorySegment sd = absolute();
        sd.set(POINTER, SECURITY_DESCRIPTOR.OWNER_OFFSET, 0x10L);
        assertFalse(RtlValidSecurityDescriptor(sd), "a wild owner pointer");
    }

    @Test
    void shouldRefuseComponentsOutsideTheirMemory() {
        MemorySegment relative = arena.allocate(EXPECTED.length);
        relative.copyFrom(MemorySegment.ofArray(EXPECTED));
        relative.set(ULONG, SECURITY_DESCRIPTOR_RELATIVE.OWNER_OFFSET, EXPECTED.length - 4);
        MemorySegment big = ulong(1000);
        assertEquals(STATUS_INVALID_SECURITY_DESCR, RtlSelfRelativeToAbsoluteSD(relative, arena.allocate(40), big,
                arena.allocate(100), ulong(100), MemorySegment.NULL, ulong(100), arena.allocate(100), ulong(100),
                arena.allocate(100), ulong(100)));

        MemorySegment sd = absolute();
        MemorySegment shortSid = pool(8);
        shortSid.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        shortSid.set(ValueLayout.JAVA_BYTE, 1, (byte) 4);                 // claims 24 bytes in 8
        assertEquals(STATUS_SUCCESS, RtlSetOwnerSecurityDescriptor(sd, shortSid, false));
        assertEquals(STATUS_INVALID_SID, RtlAbsoluteToSelfRelativeSD(sd, arena.allocate(200), ulong(200)));

        sd.set(POINTER, SECURITY_DESCRIPTOR.OWNER_OFFSET, 0x10L);
        BugCheck b = assertThrows(BugCheck.class, () -> RtlAbsoluteToSelfRelativeSD(sd, arena.allocate(200), ulong(200)));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, b.code());
    }

    @Test
    void shouldWriteNothingWhenAnOutputBufferIsSmallerThanItsSizeClaims() {
        MemorySegment sd = absolute();
        MemorySegment out = arena.allocate(EXPECTED.length - 4);
        out.fill((byte) 0x55);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RtlAbsoluteToSelfRelativeSD(sd, out, ulong(EXPECTED.length)));
        assertTrue(e.getMessage().contains("SelfRelativeSecurityDescriptor is a buffer of " + (EXPECTED.length - 4)),
                e.getMessage());
        for (long i = 0; i < out.byteSize(); i++) {
            assertEquals(0x55, out.get(ValueLayout.JAVA_BYTE, i));
        }

        MemorySegment relative = arena.allocate(EXPECTED.length);
        relative.copyFrom(MemorySegment.ofArray(EXPECTED));
        MemorySegment body = arena.allocate(40, 8);
        body.fill((byte) 0x55);
        MemorySegment dacl = arena.allocate(28);
        MemorySegment owner = arena.allocate(8);                                // says 16
        MemorySegment group = arena.allocate(12);
        e = assertThrows(IllegalArgumentException.class, () -> RtlSelfRelativeToAbsoluteSD(relative, body, ulong(40),
                dacl, ulong(28), MemorySegment.NULL, ulong(0), owner, ulong(16), group, ulong(12)));
        assertTrue(e.getMessage().contains("Owner is a buffer of 8 bytes"), e.getMessage());
        assertEquals(0x55, body.get(ValueLayout.JAVA_BYTE, 0), "the absolute body is untouched");
        assertEquals(0, dacl.get(ValueLayout.JAVA_BYTE, 0), "the DACL buffer is untouched");
    }
}
