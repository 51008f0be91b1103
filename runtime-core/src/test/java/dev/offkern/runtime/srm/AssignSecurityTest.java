package dev.offkern.runtime.srm;

import static dev.offkern.nt.SeConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_CHAR_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Rtl;
import dev.offkern.ddi.Se;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SeAssignSecurity(Ex) and SeDeassignSecurity against MS-DTYP 2.5.3.4 (CreateSecurityDescriptor,
 * ComputeACL, ComputeInheritedACLFromParent) — the same cases ReactOS's kmtest SeAssignSecurity
 * and Wine's CreatePrivateObjectSecurity tests exercise: defaults from the token, an explicit DACL,
 * inheritance into containers and objects (OBJECT_INHERIT, CONTAINER_INHERIT, NO_PROPAGATE,
 * INHERIT_ONLY, CREATOR OWNER / CREATOR GROUP with generic mapping), auto-inheritance and
 * protection, the owner check and the SACL's privilege. Results are compared as SDDL, the expected
 * string made canonical by a round trip through the same converter.
 *
 * <p>The creator's token: user S-1-5-21-1-2-3-1001 (the default owner), primary group
 * S-1-5-21-1-2-3-513, group S-1-5-21-1-2-3-1100 with SE_GROUP_OWNER, default DACL
 * D:(A;;GA;;;S-1-5-21-1-2-3-1001)(A;;GR;;;SY). Generic mapping {0x20001, 0x20002, 0x20004, 0x1F01FF}: the
 * new descriptor holds the default DACL mapped (Windows' RtlpApplyAclToObject), {@link #DEFAULT_DACL}.
 */
class AssignSecurityTest {
    private static final String U = "S-1-5-21-1-2-3-1001";
    private static final String G = "S-1-5-21-1-2-3-513";
    /** The token's default DACL as a new object's descriptor holds it: GA and GR mapped (0x1F01FF, 0x20001). */
    private static final String DEFAULT_DACL = "D:(A;;0x1f01ff;;;" + U + ")(A;;0x20001;;;SY)";

    private Kernel kernel;
    private TokenFixture fx;
    private MemorySegment token;
    private MemorySegment ctx;
    private MemorySegment mapping;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot();
        fx = new TokenFixture();
        TokenFixture.Spec s = new TokenFixture.Spec();
        s.user = U;
        s.group(G, TokenFixture.ENABLED).group("S-1-5-21-1-2-3-1100", TokenFixture.ENABLED | SE_GROUP_OWNER)
                .group("S-1-1-0", TokenFixture.ENABLED);
        s.primaryGroup = G;
        s.defaultDacl = "D:(A;;GA;;;" + U + ")(A;;GR;;;SY)";
        token = fx.token(s);
        ctx = fx.context(token, null, 0);
        mapping = fx.mapping(0x20001, 0x20002, 0x20004, 0x1F01FF);
    }

    @AfterEach
    void close() {
        Ob.ObDereferenceObject(token);
        fx.free();
        kernel.close();
    }

    private String sddl(MemorySegment sd) {
        MemorySegment out = fx.alloc(8);
        assertTrue(Se.ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, 1, 0xF, out, MemorySegment.NULL));
        MemorySegment s = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)).reinterpret(1 << 14);
        StringBuilder b = new StringBuilder();
        for (long i = 0; s.get(JAVA_CHAR_UNALIGNED, 2 * i) != 0; i++) {
            b.append(s.get(JAVA_CHAR_UNALIGNED, 2 * i));
        }
        Ex.ExFreePool(s);
        return b.toString();
    }

    private String canonical(String sddl) {
        return sddl(fx.sd(sddl));
    }

    private MemorySegment sdOrNull(String sddl) {
        return sddl == null ? MemorySegment.NULL : fx.sd(sddl);
    }

    /** The new descriptor as SDDL, or "status 0x..." . */
    private String assign(String parent, String explicit, boolean container, int flags) {
        MemorySegment out = fx.alloc(8);
        int st = Se.SeAssignSecurityEx(sdOrNull(parent), sdOrNull(explicit), out, MemorySegment.NULL, container, flags, ctx, mapping, 1);
        if (st != NtStatus.STATUS_SUCCESS) {
            assertEquals(0, out.get(JAVA_LONG_UNALIGNED, 0), "no descriptor after a failure");
            return "status 0x" + Integer.toHexString(st);
        }
        MemorySegment sd = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        assertTrue(Rtl.RtlValidSecurityDescriptor(sd));
        String s = sddl(sd);
        assertEquals(NtStatus.STATUS_SUCCESS, Se.SeDeassignSecurity(out));
        assertEquals(0, out.get(JAVA_LONG_UNALIGNED, 0), "SeDeassignSecurity clears the pointer");
        assertEquals(NtStatus.STATUS_SUCCESS, Se.SeDeassignSecurity(out), "a NULL descriptor: nothing to free");
        return s;
    }

    @Test
    void shouldTakeOwnerGroupAndDaclFromTheTokenWhenNothingElseGivesThem() {
        assertEquals(canonical("O:" + U + "G:" + G + DEFAULT_DACL), assign(null, null, false, 0));
        assertEquals(canonical("O:" + U + "G:" + G + DEFAULT_DACL),
                assign("O:BAG:SYD:(A;CI;0x1;;;WD)", null, false, 0), "a parent with nothing an object inherits");
    }

    @Test
    void shouldUseAnExplicitDaclAsGivenAndIgnoreTheParentWithoutAutoInheritance() {
        assertEquals(canonical("O:" + U + "G:" + G + "D:(A;;0x1;;;WD)"), assign("O:BAG:SYD:(A;OICI;0x2;;;BU)", "D:(A;;0x1;;;WD)", true, 0));
        assertEquals(canonical("O:" + U + "G:" + G + "D:NO_ACCESS_CONTROL"), assign(null, "D:NO_ACCESS_CONTROL", false, 0),
                "an explicit NULL DACL stays NULL");
        assertEquals(canonical("O:SYG:SY" + DEFAULT_DACL), assign(null, "O:SYG:SY", false, SEF_AVOID_OWNER_CHECK));
    }

    @Test
    void shouldMapTheGenericRightsOfTheAcesThatApplyToTheNewObjectAndKeepInheritOnlyOnes() {
        assertEquals(canonical("O:" + U + "G:" + G + "D:(A;;0x20003;;;WD)(D;;0x20004;;;BU)(A;OICIIO;GA;;;CO)"),
                assign(null, "D:(A;;GRGW;;;WD)(D;;GX;;;BU)(A;OICIIO;GA;;;CO)", true, 0),
                "RtlpApplyAclToObject: effective ACEs mapped, the inherit-only one keeps GA for the children");
    }

    @Test
    void shouldInheritIntoAContainerSplittingCreatorOwnerAndGenericAces() {
        String parent = "O:BAG:SYD:(A;OICI;GA;;;CO)(A;CI;0x1;;;WD)(A;OI;0x2;;;BU)(A;OICINP;0x4;;;SY)(A;;0x8;;;WD)";
        assertEquals(canonical("O:" + U + "G:" + G + "D:(A;ID;0x1f01ff;;;" + U + ")(A;OICIIOID;GA;;;CO)(A;CIID;0x1;;;WD)"
                + "(A;OIIOID;0x2;;;BU)(A;ID;0x4;;;SY)"), assign(parent, null, true, 0));
    }

    @Test
    void shouldInheritIntoAnObjectOnlyObjectInheritAcesAsEffectiveAces() {
        String parent = "O:BAG:SYD:(A;OICI;GA;;;CO)(A;CI;0x1;;;WD)(A;OI;0x2;;;BU)(A;OICINP;0x4;;;SY)(A;OIIO;GR;;;CG)";
        assertEquals(canonical("O:" + U + "G:" + G + "D:(A;ID;0x1f01ff;;;" + U + ")(A;ID;0x2;;;BU)(A;ID;0x4;;;SY)(A;ID;0x20001;;;" + G + ")"),
                assign(parent, null, false, 0));
    }

    @Test
    void shouldMergeExplicitAndInheritedAcesUnderAutoInheritanceUnlessProtected() {
        String parent = "O:BAG:SYD:(A;OICI;0x2;;;BU)";
        assertEquals(canonical("O:" + U + "G:" + G + "D:AI(A;;0x1;;;WD)(A;OICIID;0x2;;;BU)"),
                assign(parent, "D:(A;;0x1;;;WD)(A;ID;0x4;;;SY)", true, SEF_DACL_AUTO_INHERIT), "the explicit inherited ACE is replaced");
        assertEquals(canonical("O:" + U + "G:" + G + "D:P(A;;0x1;;;WD)"), assign(parent, "D:P(A;;0x1;;;WD)", true, SEF_DACL_AUTO_INHERIT));
        assertEquals(canonical("O:" + U + "G:" + G + "D:AI(A;ID;0x2;;;BU)"), assign(parent, null, false, SEF_DACL_AUTO_INHERIT));
    }

    @Test
    void shouldTakeOwnerAndGroupFromTheParentWhenAsked() {
        String parent = "O:BAG:SYD:(A;OI;0x2;;;BU)";
        assertEquals(canonical("O:BAG:SYD:(A;ID;0x2;;;BU)"),
                assign(parent, null, false, SEF_DEFAULT_OWNER_FROM_PARENT | SEF_DEFAULT_GROUP_FROM_PARENT));
    }

    @Test
    void shouldCheckTheExplicitOwnerAgainstTheToken() {
        assertEquals("status 0x" + Integer.toHexString(NtStatus.STATUS_INVALID_OWNER), assign(null, "O:BA", false, 0));
        assertEquals(canonical("O:S-1-5-21-1-2-3-1100G:" + G + DEFAULT_DACL),
                assign(null, "O:S-1-5-21-1-2-3-1100", false, 0), "a group with SE_GROUP_OWNER");
        assertEquals("status 0x" + Integer.toHexString(NtStatus.STATUS_INVALID_OWNER), assign(null, "O:WD", false, 0),
                "a group without SE_GROUP_OWNER");
    }

    @Test
    void shouldRequireSeSecurityPrivilegeForAnExplicitSaclAndInheritAuditAces() {
        assertEquals("status 0x" + Integer.toHexString(NtStatus.STATUS_PRIVILEGE_NOT_HELD), assign(null, "S:(AU;SA;0x1;;;WD)", false, 0));
        assertEquals(canonical("O:" + U + "G:" + G + DEFAULT_DACL + "S:(AU;SA;0x1;;;WD)"),
                assign(null, "S:(AU;SA;0x1;;;WD)", false, SEF_AVOID_PRIVILEGE_CHECK));
        assertEquals(canonical("O:" + U + "G:" + G + DEFAULT_DACL + "S:(AU;IDSA;0x1;;;WD)"),
                assign("O:BAG:SYS:(AU;OISA;0x1;;;WD)", null, false, 0));
    }

    @Test
    void shouldRefuseAnInvalidParent() {
        MemorySegment garbage = fx.alloc(40);
        garbage.fill((byte) 0);
        MemorySegment out = fx.alloc(8);
        assertEquals(NtStatus.STATUS_INVALID_SECURITY_DESCR,
                Se.SeAssignSecurity(garbage, MemorySegment.NULL, out, false, ctx, mapping, 1));
        assertEquals(0, out.get(JAVA_LONG_UNALIGNED, 0));
    }
}
