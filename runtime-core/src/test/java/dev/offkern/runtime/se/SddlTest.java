package dev.offkern.runtime.se;

import static dev.offkern.ddi.Rtl.RtlGetLastWin32Error;
import static dev.offkern.ddi.Rtl.RtlSetLastWin32Error;
import static dev.offkern.ddi.Rtl.RtlValidRelativeSecurityDescriptor;
import static dev.offkern.ddi.Se.ConvertSecurityDescriptorToStringSecurityDescriptorW;
import static dev.offkern.ddi.Se.ConvertSidToStringSidW;
import static dev.offkern.ddi.Se.ConvertStringSecurityDescriptorToSecurityDescriptorW;
import static dev.offkern.ddi.Se.ConvertStringSidToSidW;
import static dev.offkern.nt.Win32Error.ERROR_INVALID_ACL;
import static dev.offkern.nt.Win32Error.ERROR_INVALID_PARAMETER;
import static dev.offkern.nt.Win32Error.ERROR_INVALID_SID;
import static dev.offkern.nt.Win32Error.ERROR_NOACCESS;
import static dev.offkern.nt.Win32Error.ERROR_UNKNOWN_REVISION;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Rtl;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.pool.PoolMonitor;
import dev.offkern.runtime.pool.PoolUsage;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SDDL both ways. Vectors marked "Wine" are the Windows behaviour Wine's advapi32 conformance tests
 * record (dlls/advapi32/tests/security.c: test_ConvertStringSecurityDescriptor,
 * test_ConvertSecurityDescriptorToString, test_PrivateObjectSecurity, test_sid); the rest follow
 * MS-DTYP 2.5.1.
 */
class SddlTest {

    private static final ValueLayout.OfInt ULONG = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort USHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong POINTER = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int ALL_INFORMATION = 0xF;

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

    /** A self-relative descriptor parsed from {@code sddl}, its bytes copied out and the pool block freed. */
    private byte[] parse(String sddl) {
        MemorySegment out = arena.allocate(8);
        MemorySegment size = arena.allocate(4);
        assertTrue(ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 1, out, size),
                () -> sddl + ": error " + RtlGetLastWin32Error());
        int length = size.get(ULONG, 0);
        MemorySegment sd = MemorySegment.ofAddress(out.get(POINTER, 0)).reinterpret(length);
        assertTrue(RtlValidRelativeSecurityDescriptor(sd, length, 0), sddl + " is not a valid self-relative descriptor");
        byte[] bytes = sd.toArray(ValueLayout.JAVA_BYTE);
        Ex.ExFreePool(MemorySegment.ofAddress(sd.address()));
        return bytes;
    }

    private String format(MemorySegment sd, int information) {
        MemorySegment out = arena.allocate(8);
        MemorySegment length = arena.allocate(4);
        assertTrue(ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, 1, information, out, length),
                () -> "error " + RtlGetLastWin32Error());
        String text = wide(out.get(POINTER, 0));
        assertEquals(text.length() + 1, length.get(ULONG, 0), "the length counts the NUL");
        Ex.ExFreePool(MemorySegment.ofAddress(out.get(POINTER, 0)));
        return text;
    }

    private static String wide(long address) {
        MemorySegment s = MemorySegment.ofAddress(address).reinterpret(1 << 16);
        int n = 0;
        while (s.get(USHORT, 2L * n) != 0) {
            n++;
        }
        return new String(s.asSlice(0, 2L * n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_16LE);
    }

    /** {@code text} as a NUL-terminated UTF-16LE string in pool. */
    private static MemorySegment lpcwstr(String text) {
        MemorySegment s = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 2L * text.length() + 2, 'T' | 's' << 8);
        for (int i = 0; i < text.length(); i++) {
            s.set(USHORT, 2L * i, (short) text.charAt(i));
        }
        return s;
    }

    private String roundTrip(String sddl) {
        byte[] bytes = parse(sddl);
        MemorySegment copy = arena.allocate(bytes.length);
        copy.copyFrom(MemorySegment.ofArray(bytes));
        return format(copy, ALL_INFORMATION);
    }

    private boolean refused(String sddl, int revision, int error) {
        RtlSetLastWin32Error(0);
        boolean ok = ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, revision, arena.allocate(8), MemorySegment.NULL);
        assertEquals(error, RtlGetLastWin32Error(), sddl);
        return !ok;
    }

    @Test
    void shouldLayOutASelfRelativeDescriptorAsRtlAbsoluteToSelfRelativeSdDoes() {
        // the same bytes as SecurityDescriptorFormsTest's: SACL, DACL, owner, group
        byte[] expected = HexFormat.of().parseHex("01000480" + "30000000" + "40000000" + "00000000" + "14000000"
                + "02001c00" + "01000000" + "00001400" + "00000010" + "010100000000000100000000"
                + "01020000000000052000000020020000" + "010100000000000512000000");
        assertArrayEquals(expected, parse("O:BAG:SYD:(A;;GA;;;WD)"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"D:(A;;GA;;;WD)", "D:(D;;GA;;;WD)", "D:(A;;GRGWGX;;;WD)", "D:(A;;RCSDWDWO;;;WD)",
            "D:(A;;RPWPCCDCLCSWLODTCR;;;WD)", "D:(A;;FAFRFWFX;;;WD)", "D:(A;;KAKRKWKX;;;WD)", "D:(A;;0xFFFFFFFF;;;WD)",
            "S:(AU;;0xFFFFFFFF;;;WD)", "D:(D;;GA;;;S-1-0-0)", ""})
    void shouldAcceptWhatWindowsAccepts(String sddl) {
        parse(sddl);   // Wine: test_ConvertStringSecurityDescriptor
    }

    @Test
    void shouldRefuseWhatWindowsRefusesWithItsErrorCode() {
        // Wine: test_ConvertStringSecurityDescriptor
        assertTrue(refused("D:(A;;GA;;;WD)", 0xdeadbeef, ERROR_UNKNOWN_REVISION));
        assertTrue(refused("ERROR:(D;;GA;;;WD)", 1, ERROR_INVALID_PARAMETER));
        assertTrue(refused("D:(A;;ROB;;;WD)", 1, ERROR_INVALID_ACL));
        assertTrue(refused("D:(D;;GA;;;Nonexistent account)", 1, ERROR_INVALID_ACL));
        assertTrue(refused("S:(AU;;GR0xFFFFFFFF;;;WD)", 1, ERROR_INVALID_ACL));
        assertTrue(refused("S:(AU;;0xFFFFFGR;;;WD)", 1, ERROR_INVALID_ACL));
        // MS-DTYP grammar
        assertTrue(refused("D", 1, ERROR_INVALID_PARAMETER));
        assertTrue(refused("O:SYO:SY", 1, ERROR_INVALID_PARAMETER));
        assertTrue(refused("O:XX", 1, ERROR_INVALID_SID));
        assertTrue(refused("D:(A;;GA;;WD)", 1, ERROR_INVALID_ACL));
        assertTrue(refused("D:(Q;;GA;;;WD)", 1, ERROR_INVALID_ACL));
        assertTrue(refused("D:(A;ZZ;GA;;;WD)", 1, ERROR_INVALID_ACL));
        assertTrue(refused("D:(A;;GA;;;WD", 1, ERROR_INVALID_ACL));
        assertTrue(refused("D:(A;;GA;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)", 1, ERROR_INVALID_ACL));
        assertTrue(refused("D:(OA;;CR;not-a-guid;;WD)", 1, ERROR_INVALID_ACL));
        assertTrue(refused("D:(OA;;CR;ab721a53-1e2f--1d0-9819-00aa0040529b;;WD)", 1, ERROR_INVALID_ACL));  // fuzz: 0x8abce1ec2a634cd5/67
        assertTrue(refused("D:(OA;;CR;ab721a53x1e2f-11d0-9819-00aa0040529b;;WD)", 1, ERROR_INVALID_ACL));
        assertTrue(refused("D:(A;;GA;;;WD)junk", 1, ERROR_INVALID_PARAMETER));
        assertTrue(refused("D:NO_ACCESS_CONTROL(A;;GA;;;WD)", 1, ERROR_INVALID_PARAMETER));
        assertTrue(refused("D:(A;;0x1FFFFFFFF;;;WD)", 1, ERROR_INVALID_ACL));
        assertTrue(refused("D:(XA;;FX;;;WD;(@User.Title == \"PM\"))", 1, ERROR_INVALID_ACL));
        assertTrue(refused(null, 1, ERROR_INVALID_PARAMETER));
    }

    @Test
    void shouldFormatTheDescriptorsOfWinesConformanceTest() {
        // Wine: test_ConvertSecurityDescriptorToString, step by step on one absolute descriptor
        MemorySegment sd = pool(40);
        assertEquals(0, Rtl.RtlCreateSecurityDescriptor(sd, 1));
        assertEquals("", format(sd, ALL_INFORMATION));
        Rtl.RtlSetOwnerSecurityDescriptor(sd, sid("S-1-2-0"), false);
        assertEquals("O:S-1-2-0", format(sd, ALL_INFORMATION));
        Rtl.RtlSetOwnerSecurityDescriptor(sd, sid("S-1-2-0"), true);
        assertEquals("O:S-1-2-0", format(sd, ALL_INFORMATION));
        Rtl.RtlSetOwnerSecurityDescriptor(sd, sid("S-1-5-18"), true);
        assertEquals("O:SY", format(sd, ALL_INFORMATION));
        MemorySegment domain = sid("S-1-5-21-93476-23408-4576");
        Rtl.RtlSetGroupSecurityDescriptor(sd, domain, true);
        assertEquals("O:SYG:S-1-5-21-93476-23408-4576", format(sd, ALL_INFORMATION));
        assertEquals("G:S-1-5-21-93476-23408-4576", format(sd, 0x2));
        MemorySegment acl = pool(512);
        assertEquals(0, Rtl.RtlCreateAcl(acl, 512, 2));
        Rtl.RtlSetDaclSecurityDescriptor(sd, true, acl, true);
        assertEquals("O:SYG:S-1-5-21-93476-23408-4576D:", format(sd, ALL_INFORMATION));
        MemorySegment su = sid("S-1-5-6");
        Rtl.RtlAddAccessAllowedAceEx(acl, 2, 0x04, 0xf0000000, su);
        assertEquals("O:SYG:S-1-5-21-93476-23408-4576D:(A;NP;GAGXGWGR;;;SU)", format(sd, ALL_INFORMATION));
        Rtl.RtlAddAccessAllowedAceEx(acl, 2, 0x08 | 0x10, 0x3, su);
        assertEquals("O:SYG:S-1-5-21-93476-23408-4576D:(A;NP;GAGXGWGR;;;SU)(A;IOID;CCDC;;;SU)", format(sd, ALL_INFORMATION));
        Rtl.RtlAddAccessDeniedAceEx(acl, 2, 0x01 | 0x02, 0xffffffff, domain);
        assertEquals("O:SYG:S-1-5-21-93476-23408-4576D:(A;NP;GAGXGWGR;;;SU)(A;IOID;CCDC;;;SU)"
                + "(D;OICI;0xffffffff;;;S-1-5-21-93476-23408-4576)", format(sd, ALL_INFORMATION));
    }

    @Test
    void shouldRoundTripWinesPrivateObjectSecurityDescriptor() {
        // Wine: test_PrivateObjectSecurity (and the audit ACEs of test_ConvertSecurityDescriptorToString)
        String sddl = "O:SYG:S-1-5-21-93476-23408-4576"
                + "D:(A;NP;GAGXGWGR;;;SU)(A;IOID;CCDC;;;SU)(D;OICI;0xffffffff;;;S-1-5-21-93476-23408-4576)"
                + "S:(AU;OICINPIOIDSAFA;CCDCLCSWRPRC;;;SU)(AU;NPSA;0x12019f;;;SU)";
        byte[] bytes = parse(sddl);
        assertEquals(0x8014, bytes[2] & 0xFF | (bytes[3] & 0xFF) << 8, "self-relative, DACL and SACL present");
        assertEquals(sddl, roundTrip(sddl));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // input | Windows' canonical form
            "O:AOG:DAD:(A;;RPWPCCDCLCSWRCWDWOGA;;;S-1-0-0)|O:AOG:DAD:(A;;CCDCLCSWRPWPRCWDWOGA;;;S-1-0-0)",
            "D:PAI(A;OICI;FA;;;BA)(A;OICIIO;GA;;;CO)|D:PAI(A;OICI;FA;;;BA)(A;OICIIO;GA;;;CO)",
            "D:ARAIP(A;;0x1200a9;;;BU)|D:PARAI(A;;0x1200a9;;;BU)",
            "D:NO_ACCESS_CONTROL|D:NO_ACCESS_CONTROL",
            "S:(ML;;NW;;;LW)|S:(ML;;NW;;;LW)",
            "S:(ML;;NWNRNX;;;HI)|S:(ML;;NWNRNX;;;HI)",
            "D:(A;;0x120089;;;S-1-5-32-544)|D:(A;;FR;;;BA)",
            "D:(A;;KR;;;BU)(A;;KX;;;BU)|D:(A;;KR;;;BU)(A;;KR;;;BU)",
            "D:(A;;01777;;;WD)(A;;17;;;WD)|D:(A;;0x3ff;;;WD)(A;;CCRP;;;WD)",
            "D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)|D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)",
            "D:(OD;CI;RPWP;;BF967ABA-0DE6-11D0-A285-00AA003049E2;S-1-5-21-1-2-3-1105)|D:(OD;CI;RPWP;;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1105)",
            "D:(A;;GA;;;LA)(A;;GA;;;S-1-5-21-0-0-0-501)|D:(A;;GA;;;LA)(A;;GA;;;LG)",
            "O:S-1-0x123456789ABC-7|O:S-1-0x123456789ABC-7",
            "G:s-1-5-18|G:SY",
            "D:S:|D:S:",
    })
    void shouldWriteWindowsCanonicalForm(String input, String canonical) {
        assertEquals(canonical, roundTrip(input));
    }

    @Test
    void shouldWriteObjectAceGuidsInGuidMemoryOrderUnderAclRevisionDs() {
        byte[] sd = parse("D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)");
        int dacl = sd[16] & 0xFF;
        assertEquals(4, sd[dacl], "ACL_REVISION_DS");
        assertEquals("531a72ab2f1ed011981900aa0040529b", HexFormat.of().formatHex(sd, dacl + 8 + 12, dacl + 8 + 28));
        assertEquals(1, sd[dacl + 8 + 8], "ACE_OBJECT_TYPE_PRESENT only");
    }

    @Test
    void shouldWriteOnlyTheLabelWhenLabelSecurityInformationIsAsked() {
        byte[] bytes = parse("S:(AU;SA;GA;;;WD)(ML;;NW;;;LW)");
        MemorySegment copy = arena.allocate(bytes.length);
        copy.copyFrom(MemorySegment.ofArray(bytes));
        assertEquals("S:(ML;;NW;;;LW)", format(copy, 0x10));
        assertEquals("S:(AU;SA;GA;;;WD)(ML;;NW;;;LW)", format(copy, 0x8));
    }

    private MemorySegment pool(long bytes) {
        return Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, bytes, 'T' | 's' << 8);
    }

    /** A SID in pool from its string (ConvertStringSidToSidW, the string given in native memory). */
    private MemorySegment sid(String text) {
        MemorySegment out = arena.allocate(8);
        assertTrue(ConvertStringSidToSidW(lpcwstr(text), out), () -> text + ": error " + RtlGetLastWin32Error());
        return MemorySegment.ofAddress(out.get(POINTER, 0));
    }

    @Test
    void shouldConvertSidStringsAndAliasesAsWindowsDoes() {
        // Wine: test_sid
        String[][] aliases = {{"WD", "S-1-1-0"}, {"CO", "S-1-3-0"}, {"CG", "S-1-3-1"}, {"OW", "S-1-3-4"}, {"NU", "S-1-5-2"},
                {"IU", "S-1-5-4"}, {"SU", "S-1-5-6"}, {"AN", "S-1-5-7"}, {"ED", "S-1-5-9"}, {"PS", "S-1-5-10"},
                {"AU", "S-1-5-11"}, {"RC", "S-1-5-12"}, {"SY", "S-1-5-18"}, {"LS", "S-1-5-19"}, {"NS", "S-1-5-20"},
                {"BO", "S-1-5-32-551"}, {"BA", "S-1-5-32-544"}, {"BU", "S-1-5-32-545"}, {"BG", "S-1-5-32-546"},
                {"PU", "S-1-5-32-547"}, {"AO", "S-1-5-32-548"}, {"SO", "S-1-5-32-549"}, {"PO", "S-1-5-32-550"},
                {"RE", "S-1-5-32-552"}, {"RU", "S-1-5-32-554"}, {"RD", "S-1-5-32-555"}, {"NO", "S-1-5-32-556"},
                {"AC", "S-1-15-2-1"}, {"LA", "S-1-5-21-0-0-0-500"}, {"LG", "S-1-5-21-0-0-0-501"}};
        for (String[] a : aliases) {
            MemorySegment out = arena.allocate(8);
            assertTrue(ConvertSidToStringSidW(sid(a[0]), out));
            assertEquals(a[1], wide(out.get(POINTER, 0)), a[0]);
        }
        MemorySegment s = sid("S-1-5-21-93476-23408-4576").reinterpret(24);
        assertEquals(4, s.get(ValueLayout.JAVA_BYTE, 1));
        assertEquals(21, s.get(ULONG, 8));
        assertEquals(4576, s.get(ULONG, 20));
        // authorities below 2^32 print in decimal
        MemorySegment out = arena.allocate(8);
        MemorySegment raw = pool(12);
        raw.copyFrom(MemorySegment.ofArray(HexFormat.of().parseHex("010100003344556601000000")));
        assertTrue(ConvertSidToStringSidW(raw, out));
        assertEquals("S-1-860116326-1", wide(out.get(POINTER, 0)));
    }

    @Test
    void shouldRefuseBadSidsAndBadParametersWithTheirWin32Errors() {
        MemorySegment out = arena.allocate(8);
        // Wine: test_sid
        assertFalse(ConvertStringSidToSidW(lpcwstr("S-1-5"), out));
        assertEquals(ERROR_INVALID_SID, RtlGetLastWin32Error());
        assertFalse(ConvertStringSidToSidW(MemorySegment.NULL, out));
        assertEquals(ERROR_INVALID_PARAMETER, RtlGetLastWin32Error());
        assertFalse(ConvertStringSidToSidW(lpcwstr("S-1-5-18"), MemorySegment.NULL));
        assertEquals(ERROR_INVALID_PARAMETER, RtlGetLastWin32Error());
        // MS-DTYP: at most 15 sub-authorities, each a ULONG, authority under 2^48
        for (String bad : new String[]{"S-1-1-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", "S-1-5-4294967296", "S-2-5-18",
                "S-1-0x1000000000000-1", "S-1-5-", "S-1-5-1a", "XY", "S-1-\u0665-1"}) {
            assertFalse(ConvertStringSidToSidW(bad, out), bad);
            assertEquals(ERROR_INVALID_SID, RtlGetLastWin32Error(), bad);
        }
        assertFalse(ConvertStringSidToSidW(MemorySegment.ofAddress(0x10), out));
        assertEquals(ERROR_NOACCESS, RtlGetLastWin32Error());
        MemorySegment unterminated = arena.allocate(8);
        unterminated.fill((byte) 'S');
        assertFalse(ConvertStringSidToSidW(unterminated, out));
        assertEquals(ERROR_INVALID_PARAMETER, RtlGetLastWin32Error(), "no NUL inside its buffer");
        MemorySegment badSid = arena.allocate(12);
        badSid.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        badSid.set(ValueLayout.JAVA_BYTE, 1, (byte) 9);
        assertFalse(ConvertSidToStringSidW(badSid, out));
        assertEquals(ERROR_INVALID_SID, RtlGetLastWin32Error());
        assertFalse(ConvertSecurityDescriptorToStringSecurityDescriptorW(MemorySegment.NULL, 1, 0xF, out, MemorySegment.NULL));
        assertEquals(ERROR_INVALID_PARAMETER, RtlGetLastWin32Error());
        MemorySegment sd = arena.allocate(20);
        sd.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        sd.set(USHORT, 2, (short) 0x8000);
        assertFalse(ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, 2, 0xF, out, MemorySegment.NULL));
        assertEquals(ERROR_UNKNOWN_REVISION, RtlGetLastWin32Error());
        sd.set(ULONG, 4, 400);                                   // an owner offset outside the buffer
        assertFalse(ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, 1, 0xF, out, MemorySegment.NULL));
        assertEquals(dev.offkern.nt.Win32Error.ERROR_INVALID_SECURITY_DESCR, RtlGetLastWin32Error());
    }

    @Test
    void shouldLeaveNothingInPoolOnceTheResultsAreFreed() {
        for (int i = 0; i < 100; i++) {
            roundTrip("O:BAG:SYD:PAI(A;OICI;FA;;;BA)S:(AU;FA;GA;;;WD)");
            refused("D:(A;;ROB;;;WD)", 1, ERROR_INVALID_ACL);
        }
        PoolUsage sddl = PoolMonitor.snapshot(kernel.nonPagedPool(), kernel.pagedPool()).row(Sddl.TAG, PoolType.PagedPool);
        assertTrue(sddl.allocs() >= 200, "a descriptor and a string per round");
        assertEquals(0, sddl.diff(), "every result was freed and no failure leaked one");
    }
}
