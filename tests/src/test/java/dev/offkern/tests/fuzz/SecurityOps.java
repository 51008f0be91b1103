package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Rtl;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The security run-time routines on a private pool block of 256 bytes (SIDs at 0 and 72, a
 * UNICODE_STRING at 144 and its buffer from 160; private because other operations scribble on the
 * world's blocks concurrently, which would race the invariants checked here): well-formed SIDs whose results are checked (length, equality after a
 * copy, the string's prefix), SIDs with scribbled bytes (lying SubAuthorityCount, bad revision) that must
 * be judged invalid without a read outside their buffer, and hostile pointers for every parameter.
 */
final class SecurityOps {
    private SecurityOps() {
    }

    private static final int TAG = 'S' | 'e' << 8 | 'F' << 16 | 'z' << 24;
    private static final long SID_A = 0;
    private static final long SID_B = 72;
    private static final long US = 144;
    private static final long STRING = 160;

    static List<Op> ops() {
        return List.of(
                Op.of("se.sid", 4, SecurityOps::sid, "RtlInitializeSid", "RtlSubAuthoritySid", "RtlValidSid",
                        "RtlLengthSid", "RtlLengthRequiredSid", "RtlCopySid", "RtlEqualSid"),
                Op.of("se.sidString", 3, SecurityOps::sidString, "RtlConvertSidToUnicodeString", "RtlFreeUnicodeString"),
                Op.of("se.sidScribbled", 3, SecurityOps::sidScribbled, "RtlValidSid", "RtlEqualSid", "RtlCopySid",
                        "RtlConvertSidToUnicodeString", "RtlLengthSid"),
                Op.of("se.sidHostile", 2, SecurityOps::sidHostile, "RtlValidSid", "RtlLengthSid", "RtlEqualSid",
                        "RtlCopySid", "RtlInitializeSid", "RtlSubAuthoritySid", "RtlConvertSidToUnicodeString"),
                Op.of("se.acl", 4, SecurityOps::acl, "RtlCreateAcl", "RtlAddAccessAllowedAce", "RtlAddAccessAllowedAceEx",
                        "RtlAddAccessDeniedAce", "RtlAddAccessDeniedAceEx", "RtlGetAce", "RtlDeleteAce", "RtlAddAce",
                        "RtlValidAcl"),
                Op.of("se.aclHostile", 2, SecurityOps::aclHostile, "RtlCreateAcl", "RtlValidAcl", "RtlGetAce",
                        "RtlDeleteAce", "RtlAddAce", "RtlAddAccessAllowedAce", "RtlAddAccessDeniedAceEx"),
                Op.of("se.descriptor", 3, SecurityOps::descriptor, "RtlCreateSecurityDescriptor",
                        "RtlSetDaclSecurityDescriptor", "RtlGetDaclSecurityDescriptor", "RtlSetOwnerSecurityDescriptor",
                        "RtlGetOwnerSecurityDescriptor", "RtlSetGroupSecurityDescriptor", "RtlGetGroupSecurityDescriptor",
                        "RtlLengthSecurityDescriptor", "RtlMapGenericMask"),
                Op.of("se.descriptorHostile", 2, SecurityOps::descriptorHostile, "RtlCreateSecurityDescriptor",
                        "RtlSetDaclSecurityDescriptor", "RtlGetOwnerSecurityDescriptor", "RtlLengthSecurityDescriptor",
                        "RtlMapGenericMask", "RtlValidRelativeSecurityDescriptor"),
                Op.of("se.forms", 3, SecurityOps::forms, "RtlAbsoluteToSelfRelativeSD", "RtlSelfRelativeToAbsoluteSD",
                        "RtlValidSecurityDescriptor", "RtlValidRelativeSecurityDescriptor"),
                Op.of("se.formsHostile", 2, SecurityOps::formsHostile, "RtlAbsoluteToSelfRelativeSD",
                        "RtlSelfRelativeToAbsoluteSD", "RtlValidSecurityDescriptor"));
    }

    /**
     * A valid SID with {@code count} sub-authorities written at {@code at} of {@code block}; the
     * authority is staged in the block's last 8 bytes, which no layout here uses for anything else.
     */
    private static void writeSid(Ctx c, MemorySegment block, long at, int count) {
        MemorySegment authority = block.asSlice(block.byteSize() - 8, 6);
        for (int i = 0; i < 6; i++) {
            authority.set(JAVA_BYTE, i, (byte) (c.p(0.7) && i < 5 ? 0 : c.n(256)));
        }
        check(Rtl.RtlInitializeSid(block.asSlice(at), authority, (byte) count), "RtlInitializeSid");
        for (int i = 0; i < count; i++) {
            Rtl.RtlSubAuthoritySid(block.asSlice(at), i).set(JAVA_INT_UNALIGNED, 0, c.anyInt());
        }
    }

    private static void check(int status, String routine) {
        if (status != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException(routine + " on a valid SID returned 0x" + Integer.toHexString(status));
        }
    }

    static void sid(Ctx c) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 256, TAG);
        if (b.equals(MemorySegment.NULL)) {
            return;
        }
        sidOn(c, b);
        Ex.ExFreePoolWithTag(b, TAG);  // not in finally: a halted kernel's free would hide the outcome
    }

    private static void sidOn(Ctx c, MemorySegment b) {
        int count = c.n(16);
        writeSid(c, b, SID_A, count);
        MemorySegment a = b.asSlice(SID_A, 8 + 4L * count);
        if (!Rtl.RtlValidSid(a) || Rtl.RtlLengthSid(a) != 8 + 4 * count || Rtl.RtlLengthRequiredSid(count) != 8 + 4 * count) {
            throw new FuzzInvariantException("a SID of " + count + " sub-authorities is not valid or has the wrong length");
        }
        int destinationLength = c.p(0.8) ? 68 : c.n(68);
        int st = Rtl.RtlCopySid(destinationLength, b.asSlice(SID_B, 68), a);
        if (destinationLength < 8 + 4 * count ? st != NtStatus.STATUS_BUFFER_TOO_SMALL : st != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException("RtlCopySid(" + destinationLength + ") of a " + (8 + 4 * count)
                    + "-byte SID returned 0x" + Integer.toHexString(st));
        }
        if (st == NtStatus.STATUS_SUCCESS && !Rtl.RtlEqualSid(a, b.asSlice(SID_B, 68))) {
            throw new FuzzInvariantException("a copied SID is not equal to its source");
        }
    }

    static void sidString(Ctx c) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 256, TAG);
        if (b.equals(MemorySegment.NULL)) {
            return;
        }
        sidStringOn(c, b);
        Ex.ExFreePoolWithTag(b, TAG);  // not in finally: a halted kernel's free would hide the outcome
    }

    private static void sidStringOn(Ctx c, MemorySegment b) {
        int count = c.n(16);
        writeSid(c, b, SID_A, count);
        MemorySegment us = b.asSlice(US, UNICODE_STRING.X64.size());
        boolean allocate = c.p(0.5);
        us.set(JAVA_LONG_UNALIGNED, UNICODE_STRING.BUFFER_OFFSET, allocate ? 0 : b.address() + STRING);
        us.set(JAVA_SHORT_UNALIGNED, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) (allocate ? 0 : c.n(97)));
        int st = Rtl.RtlConvertSidToUnicodeString(us, b.asSlice(SID_A), allocate);
        if ((st == NtStatus.STATUS_BUFFER_OVERFLOW && !allocate) || (st == NtStatus.STATUS_NO_MEMORY && allocate)) {
            return;
        }
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException("RtlConvertSidToUnicodeString returned 0x" + Integer.toHexString(st));
        }
        MemorySegment text = c.w.kernel.addressSpace().resolve(us.get(JAVA_LONG_UNALIGNED, UNICODE_STRING.BUFFER_OFFSET), 8);
        if (text.get(JAVA_SHORT_UNALIGNED, 0) != 'S' || text.get(JAVA_SHORT_UNALIGNED, 2) != '-'
                || text.get(JAVA_SHORT_UNALIGNED, 4) != '1') {
            throw new FuzzInvariantException("the SID string does not start with S-1");
        }
        if (allocate) {
            Rtl.RtlFreeUnicodeString(us);
        }
    }

    static void sidScribbled(Ctx c) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 256, TAG);
        if (b.equals(MemorySegment.NULL)) {
            return;
        }
        sidScribbledOn(c, b);
        Ex.ExFreePoolWithTag(b, TAG);  // not in finally: a halted kernel's free would hide the outcome
    }

    private static void sidScribbledOn(Ctx c, MemorySegment b) {
        int count = c.n(16);
        writeSid(c, b, SID_A, count);
        long bufferLength = c.p(0.5) ? 8 + 4L * count : 1 + c.n(71);   // never 0: a zero-length segment is a raw pointer
        switch (c.n(3)) {
            case 0 -> b.set(JAVA_BYTE, SID_A + 1, (byte) c.n(256));
            case 1 -> b.set(JAVA_BYTE, SID_A, (byte) c.n(256));
            default -> b.set(JAVA_BYTE, SID_A + c.n(68), (byte) c.n(256));
        }
        MemorySegment a = b.asSlice(SID_A, bufferLength);
        boolean valid = bufferLength >= 8 && (b.get(JAVA_BYTE, SID_A) & 0xF) == 1 && (b.get(JAVA_BYTE, SID_A + 1) & 0xFF) <= 15
                && 8 + 4L * (b.get(JAVA_BYTE, SID_A + 1) & 0xFF) <= bufferLength;
        c.note("scribbled SID valid=" + valid + " in " + bufferLength);
        if (Rtl.RtlValidSid(a) != valid || Rtl.RtlEqualSid(a, a) != valid) {
            throw new FuzzInvariantException("RtlValidSid/RtlEqualSid disagree with the SID's structure (valid=" + valid + ")");
        }
        int st = Rtl.RtlCopySid(68, b.asSlice(SID_B, 68), a);
        if (st != (valid ? NtStatus.STATUS_SUCCESS : NtStatus.STATUS_INVALID_SID)) {
            throw new FuzzInvariantException("RtlCopySid of a scribbled SID returned 0x" + Integer.toHexString(st));
        }
        if (!valid) {
            int s2 = Rtl.RtlConvertSidToUnicodeString(b.asSlice(US, UNICODE_STRING.X64.size()), a, true);
            if (s2 != NtStatus.STATUS_INVALID_SID) {
                throw new FuzzInvariantException("an invalid SID converted with 0x" + Integer.toHexString(s2));
            }
        }
        if (bufferLength >= 2) {
            Rtl.RtlLengthSid(a);
        }
    }

    static void sidHostile(Ctx c) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 256, TAG);
        if (b.equals(MemorySegment.NULL)) {
            return;
        }
        sidHostileOn(c, b);
        Ex.ExFreePoolWithTag(b, TAG);  // not in finally: a halted kernel's free would hide the outcome
    }

    private static void sidHostileOn(Ctx c, MemorySegment b) {
        writeSid(c, b, SID_A, c.n(16));
        MemorySegment good = b.asSlice(SID_A);
        MemorySegment bad = c.hostile(null, 68, false);
        switch (c.n(8)) {
            case 0 -> Rtl.RtlValidSid(bad);
            case 1 -> Rtl.RtlLengthSid(bad);
            case 2 -> Rtl.RtlEqualSid(c.p(0.5) ? bad : good, c.p(0.5) ? good : bad);
            case 3 -> Rtl.RtlCopySid(c.anyInt(), c.p(0.5) ? bad : b.asSlice(SID_B, 68), c.p(0.5) ? good : bad);
            case 4 -> Rtl.RtlInitializeSid(bad, c.p(0.5) ? b.asSlice(b.byteSize() - 8, 6) : c.hostile(null, 6, false), (byte) c.anyInt());
            case 5 -> Rtl.RtlSubAuthoritySid(bad, c.anyInt());
            case 6 -> Rtl.RtlConvertSidToUnicodeString(bad, good, false);   // allocating into a bad string would only leak
            default -> Rtl.RtlConvertSidToUnicodeString(b.asSlice(US, UNICODE_STRING.X64.size()), bad, false);
        }
    }

    // ----- ACLs: a private 512-byte block: the ACL in [0, 256), a SID at 256, a PVOID at 328, an ACE list from 336 -----

    private static final long ACL_SID = 256;
    private static final long ACL_OUT = 328;
    private static final long ACL_LIST = 336;

    static void acl(Ctx c) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 512, TAG);
        if (b.equals(MemorySegment.NULL)) {
            return;
        }
        aclOn(c, b);
        Ex.ExFreePoolWithTag(b, TAG);  // not in finally: a halted kernel's free would hide the outcome
    }

    private static void aclOn(Ctx c, MemorySegment b) {
        MemorySegment acl = b.asSlice(0, 256);
        int length = 8 + c.n(249);
        int st = Rtl.RtlCreateAcl(acl, length, 2 + c.n(3));
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException("RtlCreateAcl(" + length + ") returned 0x" + Integer.toHexString(st));
        }
        boolean scribble = c.p(0.3);
        for (int i = 0; i < 1 + c.n(10); i++) {
            if (scribble && c.p(0.2)) {
                acl.set(JAVA_BYTE, c.n(length), (byte) c.n(256));
                c.note("scribbled");
            }
            boolean validBefore = Rtl.RtlValidAcl(acl);
            writeSid(c, b, ACL_SID, c.n(16));
            MemorySegment sid = b.asSlice(ACL_SID, 68);
            int flags = c.p(0.8) ? c.n(0x20) : c.anyInt();
            int mask = c.anyInt();
            int op = c.n(7);
            st = switch (op) {
                case 0 -> Rtl.RtlAddAccessAllowedAce(acl, 2 + c.n(3), mask, sid);
                case 1 -> Rtl.RtlAddAccessAllowedAceEx(acl, 2 + c.n(3), flags, mask, sid);
                case 2 -> Rtl.RtlAddAccessDeniedAce(acl, 2 + c.n(3), mask, sid);
                case 3 -> Rtl.RtlAddAccessDeniedAceEx(acl, 2 + c.n(3), flags, mask, sid);
                case 4 -> Rtl.RtlGetAce(acl, c.p(0.8) ? c.n(8) : c.anyInt(), b.asSlice(ACL_OUT, 8));
                case 5 -> Rtl.RtlDeleteAce(acl, c.p(0.8) ? c.n(8) : c.anyInt());
                default -> {
                    // a one-ACE list built with the routines themselves, inserted anywhere
                    MemorySegment list = b.asSlice(ACL_LIST, 8 + 20);
                    Rtl.RtlCreateAcl(list, 28, 2);
                    writeSid(c, b, ACL_SID, 1);
                    Rtl.RtlAddAccessDeniedAce(list, 2, mask, sid);
                    yield Rtl.RtlAddAce(acl, 2 + c.n(3), c.p(0.5) ? -1 : c.n(4), list.asSlice(8), c.p(0.9) ? 20 : c.n(24));
                }
            };
            c.note("acl op " + op + " -> 0x" + Integer.toHexString(st));
            if (!validBefore && st == NtStatus.STATUS_SUCCESS && op != 4 && op != 5) {
                throw new FuzzInvariantException("acl op " + op + " succeeded on an invalid ACL");
            }
            if (validBefore && st == NtStatus.STATUS_SUCCESS && !Rtl.RtlValidAcl(acl)) {
                throw new FuzzInvariantException("acl op " + op + " left a valid ACL invalid");
            }
            if (validBefore && !scribble && st != NtStatus.STATUS_SUCCESS && st != NtStatus.STATUS_ALLOTTED_SPACE_EXCEEDED
                    && st != NtStatus.STATUS_BUFFER_TOO_SMALL && st != NtStatus.STATUS_INVALID_PARAMETER) {
                throw new FuzzInvariantException("acl op " + op + " on a valid ACL returned 0x" + Integer.toHexString(st));
            }
        }
    }

    static void aclHostile(Ctx c) {
        MemorySegment bad = c.hostile(null, 64, false);
        MemorySegment sid = MemorySegment.NULL;
        switch (c.n(7)) {
            case 0 -> Rtl.RtlCreateAcl(bad, c.anyInt(), c.anyInt());
            case 1 -> Rtl.RtlValidAcl(bad);
            case 2 -> Rtl.RtlGetAce(bad, c.anyInt(), c.hostile(null, 8, false));
            case 3 -> Rtl.RtlDeleteAce(bad, c.anyInt());
            case 4 -> Rtl.RtlAddAce(bad, c.anyInt(), c.anyInt(), c.hostile(null, 64, false), c.anyInt());
            case 5 -> Rtl.RtlAddAccessAllowedAce(bad, c.anyInt(), c.anyInt(), c.hostile(null, 68, false));
            default -> Rtl.RtlAddAccessDeniedAceEx(bad, c.anyInt(), c.anyInt(), c.anyInt(), c.p(0.5) ? sid : bad);
        }
    }

    // ----- descriptors: a private 512-byte block: the SD at 0, owner SID at 64, group SID at 136, DACL at 208,
    // out parameters at 400 (present), 408 (pointer), 416 (defaulted), a mask at 424, a mapping at 432 -----

    static void descriptor(Ctx c) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 512, TAG);
        if (b.equals(MemorySegment.NULL)) {
            return;
        }
        descriptorOn(c, b);
        Ex.ExFreePoolWithTag(b, TAG);  // not in finally: a halted kernel's free would hide the outcome
    }

    private static void descriptorOn(Ctx c, MemorySegment b) {
        MemorySegment sd = b.asSlice(0, 40);
        expect(Rtl.RtlCreateSecurityDescriptor(sd, 1), NtStatus.STATUS_SUCCESS, "RtlCreateSecurityDescriptor");
        int ownerCount = c.n(16);
        int groupCount = c.n(16);
        writeSid(c, b, 64, ownerCount);
        writeSid(c, b, 136, groupCount);
        int daclLength = 8 + 4 * c.n(40);
        expect(Rtl.RtlCreateAcl(b.asSlice(208, 192), daclLength, 2), NtStatus.STATUS_SUCCESS, "RtlCreateAcl");
        boolean daclPresent = c.p(0.7);
        boolean ownerDefaulted = c.p(0.5);
        long expected = 40 + 8 + 4L * ownerCount;
        expect(Rtl.RtlSetOwnerSecurityDescriptor(sd, b.asSlice(64, 68), ownerDefaulted), NtStatus.STATUS_SUCCESS, "SetOwner");
        if (c.p(0.5)) {
            expect(Rtl.RtlSetGroupSecurityDescriptor(sd, b.asSlice(136, 68), c.p(0.5)), NtStatus.STATUS_SUCCESS, "SetGroup");
            expected += 8 + 4L * groupCount;
        }
        expect(Rtl.RtlSetDaclSecurityDescriptor(sd, daclPresent, b.asSlice(208, 192), c.p(0.5)), NtStatus.STATUS_SUCCESS,
                "SetDacl");
        if (daclPresent) {
            expected += daclLength;
        }
        int length = Rtl.RtlLengthSecurityDescriptor(sd);
        if (length != expected) {
            throw new FuzzInvariantException("RtlLengthSecurityDescriptor " + length + ", expected " + expected);
        }
        expect(Rtl.RtlGetOwnerSecurityDescriptor(sd, b.asSlice(408, 8), b.asSlice(416, 1)), NtStatus.STATUS_SUCCESS,
                "GetOwner");
        if (b.get(JAVA_LONG_UNALIGNED, 408) != b.address() + 64 || (b.get(JAVA_BYTE, 416) != 0) != ownerDefaulted) {
            throw new FuzzInvariantException("RtlGetOwnerSecurityDescriptor does not return what was set");
        }
        expect(Rtl.RtlGetDaclSecurityDescriptor(sd, b.asSlice(400, 1), b.asSlice(408, 8), b.asSlice(416, 1)),
                NtStatus.STATUS_SUCCESS, "GetDacl");
        if ((b.get(JAVA_BYTE, 400) != 0) != daclPresent) {
            throw new FuzzInvariantException("RtlGetDaclSecurityDescriptor: DaclPresent is not what was set");
        }
        Rtl.RtlGetGroupSecurityDescriptor(sd, b.asSlice(408, 8), b.asSlice(416, 1));
        int mask = c.anyInt();
        b.set(JAVA_INT_UNALIGNED, 424, mask);
        for (int i = 0; i < 4; i++) {
            b.set(JAVA_INT_UNALIGNED, 432 + 4L * i, c.anyInt());
        }
        Rtl.RtlMapGenericMask(b.asSlice(424, 4), b.asSlice(432, 16));
        if ((b.get(JAVA_INT_UNALIGNED, 424) & 0xF0000000) != 0) {
            throw new FuzzInvariantException("RtlMapGenericMask left a generic bit set");
        }
    }

    private static void expect(int status, int expected, String what) {
        if (status != expected) {
            throw new FuzzInvariantException(what + " returned 0x" + Integer.toHexString(status));
        }
    }

    static void descriptorHostile(Ctx c) {
        MemorySegment bad = c.hostile(null, 40, false);
        switch (c.n(7)) {
            case 6 -> Rtl.RtlValidRelativeSecurityDescriptor(bad, c.anyInt(), c.anyInt());
            case 0 -> Rtl.RtlCreateSecurityDescriptor(bad, c.p(0.5) ? 1 : c.anyInt());
            case 1 -> Rtl.RtlSetDaclSecurityDescriptor(bad, c.p(0.5), c.hostile(null, 8, false), c.p(0.5));
            case 2 -> Rtl.RtlGetOwnerSecurityDescriptor(bad, c.hostile(null, 8, false), c.hostile(null, 1, false));
            case 3 -> Rtl.RtlLengthSecurityDescriptor(bad);
            case 4 -> Rtl.RtlMapGenericMask(bad, c.hostile(null, 16, false));
            case 5 -> {
                // a descriptor whose pointers are wild: its length reads through them
                MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, TAG);
                if (b.equals(MemorySegment.NULL)) {
                    return;
                }
                Rtl.RtlCreateSecurityDescriptor(b, 1);
                Rtl.RtlSetOwnerSecurityDescriptor(b, bad, false);
                Rtl.RtlSetDaclSecurityDescriptor(b, true, c.hostile(null, 8, false), false);
                if (c.p(0.3)) {
                    b.set(JAVA_BYTE, c.n(40), (byte) c.n(256));
                }
                Rtl.RtlLengthSecurityDescriptor(b);
                Ex.ExFreePoolWithTag(b, TAG);
            }
        }
    }

    // ----- the two forms: the absolute descriptor of descriptorOn in a private 1024-byte block, its
    // self-relative copy at 448 (up to 320 bytes), the absolute rebuild at 768 (body), 808 (DACL), 1000 (sizes) -----

    static void forms(Ctx c) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 1024, TAG);
        if (b.equals(MemorySegment.NULL)) {
            return;
        }
        descriptorOn(c, b);
        formsOn(c, b);
        Ex.ExFreePoolWithTag(b, TAG);
    }

    private static void formsOn(Ctx c, MemorySegment b) {
        MemorySegment sd = b.asSlice(0, 40);
        if (!Rtl.RtlValidSecurityDescriptor(sd)) {
            throw new FuzzInvariantException("RtlValidSecurityDescriptor judged a well-formed absolute descriptor invalid");
        }
        MemorySegment length = b.asSlice(1000, 4);
        length.set(JAVA_INT_UNALIGNED, 0, 0);
        expect(Rtl.RtlAbsoluteToSelfRelativeSD(sd, MemorySegment.NULL, length), NtStatus.STATUS_BUFFER_TOO_SMALL, "size query");
        int needed = length.get(JAVA_INT_UNALIGNED, 0);
        if (needed != Rtl.RtlLengthSecurityDescriptor(sd) - 20 || needed > 320) {
            throw new FuzzInvariantException("RtlAbsoluteToSelfRelativeSD needs " + needed + " bytes; the absolute length is "
                    + Rtl.RtlLengthSecurityDescriptor(sd));
        }
        MemorySegment relative = b.asSlice(448, 320);
        expect(Rtl.RtlAbsoluteToSelfRelativeSD(sd, relative, length), NtStatus.STATUS_SUCCESS, "RtlAbsoluteToSelfRelativeSD");
        if (!Rtl.RtlValidRelativeSecurityDescriptor(relative, needed, 1) || !Rtl.RtlValidSecurityDescriptor(relative)
                || Rtl.RtlLengthSecurityDescriptor(relative) != needed) {
            throw new FuzzInvariantException("the self-relative copy is not a valid descriptor of " + needed + " bytes");
        }
        MemorySegment sizes = b.asSlice(1000, 20);
        for (int i = 0; i < 5; i++) {
            sizes.set(JAVA_INT_UNALIGNED, 4L * i, c.p(0.3) ? 0 : 200);
        }
        int st = Rtl.RtlSelfRelativeToAbsoluteSD(relative, b.asSlice(768, 40), sizes.asSlice(0, 4), b.asSlice(808, 192),
                sizes.asSlice(4, 4), MemorySegment.NULL, sizes.asSlice(8, 4), b.asSlice(64, 68), sizes.asSlice(12, 4),
                b.asSlice(136, 68), sizes.asSlice(16, 4));
        if (st == NtStatus.STATUS_BUFFER_TOO_SMALL) {
            return;
        }
        expect(st, NtStatus.STATUS_SUCCESS, "RtlSelfRelativeToAbsoluteSD");
        if (Rtl.RtlLengthSecurityDescriptor(b.asSlice(768, 40)) != needed + 20) {
            throw new FuzzInvariantException("the rebuilt absolute descriptor has another length");
        }
        if (c.p(0.5)) {
            // scribble the copy: the judges and the converter must stay inside it
            relative.set(JAVA_BYTE, c.n(needed), (byte) c.n(256));
            Rtl.RtlValidSecurityDescriptor(relative);
            Rtl.RtlValidRelativeSecurityDescriptor(relative, c.n(300), c.anyInt());
            Rtl.RtlSelfRelativeToAbsoluteSD(relative, b.asSlice(768, 40), sizes.asSlice(0, 4), b.asSlice(808, 192),
                    sizes.asSlice(4, 4), MemorySegment.NULL, sizes.asSlice(8, 4), b.asSlice(64, 68), sizes.asSlice(12, 4),
                    b.asSlice(136, 68), sizes.asSlice(16, 4));
        }
    }

    static void formsHostile(Ctx c) {
        MemorySegment bad = c.hostile(null, 40, false);
        MemorySegment size = c.hostile(null, 4, false);
        switch (c.n(3)) {
            case 0 -> Rtl.RtlValidSecurityDescriptor(bad);
            case 1 -> Rtl.RtlAbsoluteToSelfRelativeSD(bad, c.hostile(null, 64, false), size);
            default -> Rtl.RtlSelfRelativeToAbsoluteSD(bad, c.hostile(null, 40, false), size, c.hostile(null, 32, false),
                    c.hostile(null, 4, false), c.hostile(null, 32, false), c.hostile(null, 4, false),
                    c.hostile(null, 16, false), c.hostile(null, 4, false), c.hostile(null, 16, false),
                    c.hostile(null, 4, false));
        }
    }
}
