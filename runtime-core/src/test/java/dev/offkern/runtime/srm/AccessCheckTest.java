package dev.offkern.runtime.srm;

import static dev.offkern.nt.NtStatus.STATUS_ACCESS_DENIED;
import static dev.offkern.nt.NtStatus.STATUS_BAD_IMPERSONATION_LEVEL;
import static dev.offkern.nt.NtStatus.STATUS_GENERIC_NOT_MAPPED;
import static dev.offkern.nt.NtStatus.STATUS_INVALID_SECURITY_DESCR;
import static dev.offkern.nt.NtStatus.STATUS_PRIVILEGE_NOT_HELD;
import static dev.offkern.nt.NtStatus.STATUS_SUCCESS;
import static dev.offkern.nt.SeConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Rtl;
import dev.offkern.ddi.Se;
import dev.offkern.layout.se.LUID_AND_ATTRIBUTES;
import dev.offkern.layout.se.PRIVILEGE_SET;
import dev.offkern.nt.AccessMask;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SeAccessCheck against MS-DTYP 2.5.3.2's algorithm. The vectors are MS-DTYP's rules, each on the
 * smallest descriptor that shows it, and the cases of Wine's advapi32 security tests
 * (dlls/advapi32/tests/security.c, test_AccessCheck: NULL DACL, empty DACL, the owner's implicit
 * READ_CONTROL | WRITE_DAC, ACCESS_SYSTEM_SECURITY with and without SeSecurityPrivilege and the
 * privilege set it returns) and ReactOS's SeAccessCheck (kernel mode, a NULL descriptor, an
 * impersonation level below SecurityImpersonation). A random property test then compares thousands
 * of DACLs against a plain Java model of the same algorithm ({@link AccessCheckModel}).
 *
 * <p>The subject's token U: user S-1-5-21-1-2-3-1001; Users and Everyone enabled; Administrators
 * deny-only; S-1-5-21-1-2-3-513 disabled; S-1-5-21-1-2-3-1100 enabled with SE_GROUP_OWNER;
 * SeChangeNotifyPrivilege enabled. Token P is U plus SeSecurityPrivilege and SeTakeOwnershipPrivilege
 * enabled. The generic mapping is {0x20001, 0x20002, 0x20004, 0x1F01FF}.
 */
class AccessCheckTest {
    private static final String U = "S-1-5-21-1-2-3-1001";
    private static final int ALL = 0x1F01FF;
    private static final int RC = AccessMask.READ_CONTROL;
    private static final int WD = AccessMask.WRITE_DAC;
    private static final int MAX = AccessMask.MAXIMUM_ALLOWED;

    private Kernel kernel;
    private TokenFixture fx;
    private MemorySegment tokenU;
    private MemorySegment tokenP;
    private MemorySegment mapping;

    static TokenFixture.Spec specU() {
        TokenFixture.Spec s = new TokenFixture.Spec();
        s.user = U;
        return s.group("S-1-5-32-545", TokenFixture.ENABLED)
                .group("S-1-1-0", TokenFixture.ENABLED)
                .group("S-1-5-32-544", SE_GROUP_USE_FOR_DENY_ONLY)
                .group("S-1-5-21-1-2-3-513", SE_GROUP_ENABLED_BY_DEFAULT)
                .group("S-1-5-21-1-2-3-1100", TokenFixture.ENABLED | SE_GROUP_OWNER)
                .privilege(SE_CHANGE_NOTIFY_PRIVILEGE, SE_PRIVILEGE_ENABLED);
    }

    @BeforeEach
    void boot() {
        kernel = Kernel.boot();
        fx = new TokenFixture();
        tokenU = fx.token(specU());
        tokenP = fx.token(specU().privilege(SE_SECURITY_PRIVILEGE, SE_PRIVILEGE_ENABLED)
                .privilege(SE_TAKE_OWNERSHIP_PRIVILEGE, SE_PRIVILEGE_ENABLED));
        mapping = fx.mapping(0x20001, 0x20002, 0x20004, ALL);
    }

    @AfterEach
    void close() {
        Ob.ObDereferenceObject(tokenU);
        Ob.ObDereferenceObject(tokenP);
        fx.free();
        kernel.close();
    }

    /** {granted ? 1 : 0, *GrantedAccess, *AccessStatus, privileges in the returned set (or -1 for NULL)}. */
    private int[] check(MemorySegment sd, MemorySegment ctx, int desired, int previous, int mode, MemorySegment map) {
        MemorySegment out = fx.alloc(24);
        out.fill((byte) 0x5A);
        boolean ok = Se.SeAccessCheck(sd, ctx, false, desired, previous, out.asSlice(8, 8), map, mode, out.asSlice(0, 4),
                out.asSlice(4, 4));
        long set = out.get(JAVA_LONG_UNALIGNED, 8);
        int privileges = -1;
        if (set != 0) {
            MemorySegment p = MemorySegment.ofAddress(set).reinterpret(PRIVILEGE_SET.PRIVILEGE_OFFSET + 2 * LUID_AND_ATTRIBUTES.X64.size());
            int count = p.get(JAVA_INT_UNALIGNED, PRIVILEGE_SET.PRIVILEGE_COUNT_OFFSET);
            privileges = count;
            for (int i = 0; i < count; i++) {
                long e = PRIVILEGE_SET.PRIVILEGE_OFFSET + i * LUID_AND_ATTRIBUTES.X64.size();
                assertEquals(SE_PRIVILEGE_USED_FOR_ACCESS, p.get(JAVA_INT_UNALIGNED, e + LUID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET));
                privileges = privileges * 100 + p.get(JAVA_INT_UNALIGNED, e + LUID_AND_ATTRIBUTES.LUID_OFFSET);
            }
            Se.SeFreePrivileges(MemorySegment.ofAddress(set));
        }
        return new int[] {ok ? 1 : 0, out.get(JAVA_INT_UNALIGNED, 0), out.get(JAVA_INT_UNALIGNED, 4), privileges};
    }

    private int[] check(String sddl, MemorySegment token, int desired) {
        return check(fx.sd(sddl), fx.context(token, null, 0), desired, 0, ObjectManager.UserMode, mapping);
    }

    private static int[] granted(int mask) {
        return new int[] {1, mask, STATUS_SUCCESS, -1};
    }

    private static int[] denied(int status) {
        return new int[] {0, 0, status, -1};
    }

    // ===== no DACL, NULL DACL, empty DACL (MS-DTYP; Wine test_AccessCheck) =====

    @Test
    void shouldGrantEverythingAskedThroughANullDaclAndGenericAllForMaximumAllowed() {
        assertArrayEquals(granted(0x3), check("O:BAG:SYD:NO_ACCESS_CONTROL", tokenU, 0x3));
        assertArrayEquals(granted(ALL), check("O:BAG:SYD:NO_ACCESS_CONTROL", tokenU, MAX));
        assertArrayEquals(granted(0x3), check("O:BAG:SY", tokenU, 0x3), "no DACL at all: the same");
    }

    @Test
    void shouldDenyEverythingThroughAnEmptyDaclExceptTheOwnersImplicitRights() {
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:BAG:SYD:", tokenU, 0x1));
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:BAG:SYD:", tokenU, MAX));
        String owned = "O:" + U + "G:SYD:";
        assertArrayEquals(granted(RC), check(owned, tokenU, RC));
        assertArrayEquals(granted(RC | WD), check(owned, tokenU, RC | WD));
        assertArrayEquals(granted(RC | WD), check(owned, tokenU, MAX));
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check(owned, tokenU, RC | 0x1));
        assertArrayEquals(granted(RC), check("O:S-1-5-21-1-2-3-1100G:SYD:", tokenU, RC), "an enabled group as owner");
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:S-1-5-21-1-2-3-513G:SYD:", tokenU, RC), "a disabled group is no owner");
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:BAG:SYD:", tokenU, RC), "a deny-only group is no owner");
    }

    @Test
    void shouldNotLetADenyAceTakeTheOwnersImplicitRights() {
        assertArrayEquals(granted(RC | WD), check("O:" + U + "G:SYD:(D;;0x1F01FF;;;" + U + ")", tokenU, RC | WD));
    }

    @Test
    void shouldReplaceTheOwnersImplicitRightsWithOwnerRightsAces() {
        String sddl = "O:" + U + "G:SYD:(A;;0x1;;;OW)";
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check(sddl, tokenU, RC));
        assertArrayEquals(granted(0x1), check(sddl, tokenU, 0x1));
        assertArrayEquals(granted(0x1), check(sddl, tokenU, MAX));
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:BAG:SYD:(A;;0x1;;;OW)", tokenU, 0x1), "OW names only the owner");
        assertArrayEquals(granted(RC | WD), check("O:" + U + "G:SYD:(A;IO;0x1;;;OW)", tokenU, MAX),
                "an inherit-only OWNER RIGHTS ACE does not replace them");
    }

    // ===== the ACE walk =====

    @Test
    void shouldGrantThroughAnEnabledGroupAndDenyWhatNoAceAllows() {
        assertArrayEquals(granted(0x3), check("O:BAG:SYD:(A;;0x3;;;WD)", tokenU, 0x3));
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:BAG:SYD:(A;;0x3;;;WD)", tokenU, 0x7));
        assertArrayEquals(granted(0x7), check("O:BAG:SYD:(A;;0x3;;;WD)(A;;0x4;;;BU)", tokenU, 0x7), "rights add up across ACEs");
        assertArrayEquals(granted(0x1), check("O:BAG:SYD:(A;;0x1;;;" + U + ")", tokenU, 0x1), "the user");
    }

    @Test
    void shouldDecideEachRightByTheFirstAceThatNamesIt() {
        assertArrayEquals(granted(0x1), check("O:BAG:SYD:(D;;0x2;;;WD)(A;;0x3;;;WD)", tokenU, 0x1));
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:BAG:SYD:(D;;0x2;;;WD)(A;;0x3;;;WD)", tokenU, 0x2));
        assertArrayEquals(granted(0x1), check("O:BAG:SYD:(D;;0x2;;;WD)(A;;0x3;;;WD)", tokenU, MAX));
        assertArrayEquals(granted(0x2), check("O:BAG:SYD:(A;;0x3;;;WD)(D;;0x2;;;WD)", tokenU, 0x2), "an allow before the deny wins");
        assertArrayEquals(granted(0x3), check("O:BAG:SYD:(A;;0x3;;;WD)(D;;0x2;;;WD)", tokenU, MAX));
        assertArrayEquals(granted(0x13), check("O:BAG:SYD:(D;;0x4;;;WD)(A;;0x7;;;BU)(A;;0x10;;;S-1-5-21-1-2-3-1100)", tokenU, MAX));
    }

    @Test
    void shouldUseADenyOnlyGroupToDenyAndNeverToAllow() {
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:SYG:SYD:(A;;0x1;;;BA)", tokenU, 0x1));
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:SYG:SYD:(D;;0x1;;;BA)(A;;0x1;;;WD)", tokenU, 0x1));
    }

    @Test
    void shouldIgnoreADisabledGroupBothWays() {
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:SYG:SYD:(A;;0x1;;;S-1-5-21-1-2-3-513)", tokenU, 0x1));
        assertArrayEquals(granted(0x1), check("O:SYG:SYD:(D;;0x1;;;S-1-5-21-1-2-3-513)(A;;0x1;;;WD)", tokenU, 0x1));
    }

    @Test
    void shouldSkipInheritOnlyAndObjectAces() {
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:SYG:SYD:(A;IO;0x1;;;WD)", tokenU, 0x1));
        assertArrayEquals(granted(0x1), check("O:SYG:SYD:(D;IO;0x1;;;WD)(A;;0x1;;;WD)", tokenU, 0x1));
        assertArrayEquals(granted(0x1), check("O:SYG:SYD:(A;OI;0x1;;;WD)", tokenU, 0x1), "OI alone is effective too");
        assertArrayEquals(denied(STATUS_ACCESS_DENIED),
                check("O:SYG:SYD:(OA;;0x1;bf967a86-0de6-11d0-a285-00aa003049e2;;WD)", tokenU, 0x1), "no object-type list: skipped");
    }

    @Test
    void shouldFindTheGrantingAceAtTheEndOfALongDacl() {
        StringBuilder b = new StringBuilder("O:SYG:SYD:");
        for (int i = 0; i < 40; i++) {
            b.append("(A;;0x1;;;S-1-5-21-9-9-9-").append(2000 + i).append(")");
        }
        b.append("(A;;0x2;;;BU)");
        assertArrayEquals(granted(0x2), check(b.toString(), tokenU, 0x2));
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check(b.toString(), tokenU, 0x3));
    }

    // ===== privileges (Wine test_AccessCheck) =====

    @Test
    void shouldRequireSeSecurityPrivilegeForAccessSystemSecurityAndReportItsUse() {
        assertArrayEquals(denied(STATUS_PRIVILEGE_NOT_HELD), check("O:BAG:SYD:NO_ACCESS_CONTROL", tokenU, AccessMask.ACCESS_SYSTEM_SECURITY));
        assertArrayEquals(new int[] {1, AccessMask.ACCESS_SYSTEM_SECURITY, STATUS_SUCCESS, 100 + SE_SECURITY_PRIVILEGE},
                check("O:BAG:SYD:", tokenP, AccessMask.ACCESS_SYSTEM_SECURITY), "granted by the privilege alone, one privilege used");
        assertArrayEquals(denied(STATUS_PRIVILEGE_NOT_HELD), check("O:BAG:SYD:", tokenU, AccessMask.ACCESS_SYSTEM_SECURITY | MAX),
                "MAXIMUM_ALLOWED does not cover it");
    }

    @Test
    void shouldGrantWriteOwnerThroughSeTakeOwnershipPrivilege() {
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:BAG:SYD:", tokenU, AccessMask.WRITE_OWNER));
        assertArrayEquals(new int[] {1, AccessMask.WRITE_OWNER, STATUS_SUCCESS, 100 + SE_TAKE_OWNERSHIP_PRIVILEGE},
                check("O:BAG:SYD:", tokenP, AccessMask.WRITE_OWNER));
        assertArrayEquals(new int[] {1, AccessMask.WRITE_OWNER | 0x1, STATUS_SUCCESS, 100 + SE_TAKE_OWNERSHIP_PRIVILEGE},
                check("O:BAG:SYD:(A;;0x1;;;WD)", tokenP, MAX));
    }

    // ===== desired and previously granted access, generic rights =====

    @Test
    void shouldAddPreviouslyGrantedAccessAndNeedOnlyTheRest() {
        MemorySegment ctx = fx.context(tokenU, null, 0);
        assertArrayEquals(granted(0x1), check(fx.sd("O:BAG:SYD:"), ctx, 0x1, 0x1, ObjectManager.UserMode, mapping));
        assertArrayEquals(granted(0x3), check(fx.sd("O:BAG:SYD:(A;;0x2;;;WD)"), ctx, 0x3, 0x1, ObjectManager.UserMode, mapping));
        assertArrayEquals(granted(0x4), check(fx.sd("O:BAG:SYD:"), ctx, 0, 0x4, ObjectManager.UserMode, mapping), "nothing asked");
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check(fx.sd("O:BAG:SYD:(A;;0x1;;;WD)"), ctx, 0, 0, ObjectManager.UserMode, mapping));
    }

    @Test
    void shouldMapGenericRightsAndRefuseOnesTheMappingLeavesUnmapped() {
        assertArrayEquals(granted(0x20001), check("O:BAG:SYD:(A;;0x20001;;;WD)", tokenU, AccessMask.GENERIC_READ));
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:BAG:SYD:(A;;0x20001;;;WD)", tokenU, AccessMask.GENERIC_WRITE));
        MemorySegment noRead = fx.mapping(0, 0x20002, 0x20004, ALL);
        assertArrayEquals(denied(STATUS_GENERIC_NOT_MAPPED), check(fx.sd("O:BAG:SYD:NO_ACCESS_CONTROL"), fx.context(tokenU, null, 0),
                AccessMask.GENERIC_READ, 0, ObjectManager.UserMode, noRead));
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check("O:BAG:SYD:(A;;GA;;;WD)", tokenU, 0x1),
                "ACE masks are used as stored: an unmapped GENERIC_ALL in an ACE grants no specific right");
    }

    // ===== modes, descriptors, contexts =====

    @Test
    void shouldGrantKernelModeWithoutLookingAtTheDescriptor() {
        MemorySegment ctx = fx.context(tokenU, null, 0);
        assertArrayEquals(granted(ALL), check(fx.sd("O:BAG:SYD:"), ctx, MAX, 0, ObjectManager.KernelMode, mapping));
        assertArrayEquals(granted(0x3 | 0x10), check(MemorySegment.NULL, ctx, 0x3, 0x10, ObjectManager.KernelMode, mapping));
    }

    @Test
    void shouldRefuseANullOrInvalidDescriptor() {
        MemorySegment ctx = fx.context(tokenU, null, 0);
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check(MemorySegment.NULL, ctx, 0x1, 0, ObjectManager.UserMode, mapping));
        assertArrayEquals(denied(STATUS_INVALID_SECURITY_DESCR), check("G:SYD:(A;;0x1;;;WD)", tokenU, 0x1), "no owner");
        assertArrayEquals(denied(STATUS_INVALID_SECURITY_DESCR), check("O:SYD:(A;;0x1;;;WD)", tokenU, 0x1), "no group");
        MemorySegment garbage = fx.alloc(64);
        garbage.fill((byte) 0);
        assertArrayEquals(denied(STATUS_INVALID_SECURITY_DESCR), check(garbage, ctx, 0x1, 0, ObjectManager.UserMode, mapping));
        assertThrows(IllegalArgumentException.class, () -> check(fx.sd("O:BAG:SY"), ctx, 0x1, 0, ObjectManager.UserMode, MemorySegment.NULL));
    }

    @Test
    void shouldCheckAnAbsoluteDescriptorAsItsSelfRelativeForm() {
        MemorySegment sd = fx.alloc(40);
        assertEquals(STATUS_SUCCESS, Rtl.RtlCreateSecurityDescriptor(sd, 1));
        assertEquals(STATUS_SUCCESS, Rtl.RtlSetOwnerSecurityDescriptor(sd, fx.sid(U), false));
        assertEquals(STATUS_SUCCESS, Rtl.RtlSetGroupSecurityDescriptor(sd, fx.sid("SY"), false));
        assertEquals(STATUS_SUCCESS, Rtl.RtlSetDaclSecurityDescriptor(sd, true,
                MemorySegment.ofAddress(fx.dacl("D:(A;;0x3;;;WD)(D;;0x4;;;BU)")), false));
        MemorySegment ctx = fx.context(tokenU, null, 0);
        assertArrayEquals(granted(0x3 | RC | WD), check(sd, ctx, MAX, 0, ObjectManager.UserMode, mapping));
        assertArrayEquals(denied(STATUS_ACCESS_DENIED), check(sd, ctx, 0x4, 0, ObjectManager.UserMode, mapping));
    }

    @Test
    void shouldUseTheClientTokenOnlyAtSecurityImpersonationOrAbove() {
        MemorySegment sys = dev.offkern.ddi.Ps.PsReferencePrimaryToken(dev.offkern.ddi.Ps.PsInitialSystemProcess());
        try {
            MemorySegment sd = fx.sd("O:BAG:SYD:(A;;0x1;;;SY)(A;;0x2;;;" + U + ")");
            assertArrayEquals(denied(STATUS_BAD_IMPERSONATION_LEVEL),
                    check(sd, fx.context(sys, tokenU, SecurityIdentification), 0x1, 0, ObjectManager.UserMode, mapping));
            assertArrayEquals(denied(STATUS_ACCESS_DENIED),
                    check(sd, fx.context(sys, tokenU, SecurityImpersonation), 0x1, 0, ObjectManager.UserMode, mapping), "U is not SYSTEM");
            assertArrayEquals(granted(0x2), check(sd, fx.context(sys, tokenU, SecurityDelegation), 0x2, 0, ObjectManager.UserMode, mapping));
            assertArrayEquals(granted(0x1), check(sd, fx.context(sys, null, 0), 0x1, 0, ObjectManager.UserMode, mapping));
        } finally {
            dev.offkern.ddi.Ps.PsDereferencePrimaryToken(sys);
        }
    }

    @Test
    void shouldAcceptACallerThatHoldsTheSubjectContextLock() {
        MemorySegment ctx = fx.context(tokenU, null, 0);
        MemorySegment out = fx.alloc(8);
        Se.SeLockSubjectContext(ctx);
        try {
            assertEquals(true, Se.SeAccessCheck(fx.sd("O:BAG:SYD:(A;;0x1;;;WD)"), ctx, true, 0x1, 0, MemorySegment.NULL, mapping,
                    ObjectManager.UserMode, out.asSlice(0, 4), out.asSlice(4, 4)));
        } finally {
            Se.SeUnlockSubjectContext(ctx);
        }
        assertEquals(0x1, out.get(JAVA_INT_UNALIGNED, 0));
    }

    // ===== against the model =====

    @Test
    void shouldAgreeWithAPlainJavaModelOnRandomDacls() {
        Random r = new Random(0x5EC0DE);
        String[] sids = {"WD", "BU", "BA", U, "S-1-5-21-1-2-3-513", "S-1-5-21-1-2-3-1100", "SY", "OW", "S-1-5-21-9-9-9-1"};
        String[] owners = {U, "BA", "SY", "S-1-5-21-1-2-3-1100"};
        AccessCheckModel.Token model = AccessCheckModel.Token.of(specU());
        AccessCheckModel.Token modelP = AccessCheckModel.Token.of(specU().privilege(SE_SECURITY_PRIVILEGE, SE_PRIVILEGE_ENABLED)
                .privilege(SE_TAKE_OWNERSHIP_PRIVILEGE, SE_PRIVILEGE_ENABLED));
        for (int round = 0; round < 400; round++) {
            String owner = owners[r.nextInt(owners.length)];
            StringBuilder sddl = new StringBuilder("O:" + owner + "G:SY");
            List<AccessCheckModel.Ace> aces = new ArrayList<>();
            boolean nullDacl = r.nextInt(20) == 0;
            if (nullDacl) {
                sddl.append("D:NO_ACCESS_CONTROL");
            } else {
                sddl.append("D:");
                int n = r.nextInt(12);
                for (int i = 0; i < n; i++) {
                    boolean deny = r.nextInt(3) == 0;
                    boolean inheritOnly = r.nextInt(6) == 0;
                    int mask = (r.nextInt(0x20) | (r.nextBoolean() ? RC : 0) | (r.nextInt(4) == 0 ? WD : 0)) & 0xFFFFFF;
                    String sid = sids[r.nextInt(sids.length)];
                    sddl.append('(').append(deny ? 'D' : 'A').append(';').append(inheritOnly ? "OIIO" : "").append(";0x")
                            .append(Integer.toHexString(mask)).append(";;;").append(sid).append(')');
                    aces.add(new AccessCheckModel.Ace(deny, inheritOnly, mask, AccessCheckModel.canonical(sid)));
                }
            }
            int desired = switch (r.nextInt(5)) {
                case 0 -> MAX;
                case 1 -> MAX | (1 << r.nextInt(5));
                case 2 -> AccessMask.WRITE_OWNER | (r.nextInt(4));
                default -> (r.nextInt(0x20) | (r.nextBoolean() ? RC : 0)) & ~0;
            };
            int previous = r.nextInt(4) == 0 ? 1 << r.nextInt(5) : 0;
            boolean privileged = r.nextBoolean();
            MemorySegment ctx = fx.context(privileged ? tokenP : tokenU, null, 0);
            int[] actual = check(fx.sd(sddl.toString()), ctx, desired, previous, ObjectManager.UserMode, mapping);
            AccessCheckModel.Result expected = AccessCheckModel.check(privileged ? modelP : model, AccessCheckModel.canonical(owner),
                    nullDacl ? null : aces, desired, previous, ALL);
            String what = sddl + " desired 0x" + Integer.toHexString(desired) + " previous 0x" + Integer.toHexString(previous)
                    + (privileged ? " (privileged)" : "");
            assertEquals(expected.granted() ? 1 : 0, actual[0], what);
            assertEquals(expected.access(), actual[1], what);
            assertEquals(expected.status(), actual[2], what);
        }
    }
}
