package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Se;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.layout.se.SECURITY_QUALITY_OF_SERVICE;
import dev.offkern.layout.se.SECURITY_SUBJECT_CONTEXT;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.SeConstants;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Tokens, impersonation, subject contexts and the access check: each step makes a token with random
 * well-formed parts (some groups deny-only or disabled, some privileges enabled), queries it, may
 * duplicate it, impersonates it on the calling thread at a random level, captures a subject context
 * and runs SeAccessCheck against one of a set of SDDL descriptors in both modes, checking what must
 * hold whatever the token: KernelMode always grants, a NULL DACL grants what was asked, a denial
 * grants 0 with a failure status, a grant never includes MAXIMUM_ALLOWED itself; the references the
 * step takes are given back in its clean-up (the leak check at kernel close sees the rest). Hostile steps pass pointers that are no token, bad levels and bad
 * token types: an IllegalArgumentException, a status, or REFERENCE_BY_POINTER / 0x50.
 */
final class TokenOps {
    private TokenOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("se.tokens", 3, TokenOps::tokens, "ZwCreateToken", "SeQueryInformationToken", "SeTokenIsAdmin", "ZwDuplicateToken",
                        "ZwOpenProcessTokenEx", "ZwOpenThreadTokenEx", "PsImpersonateClient", "PsRevertToSelf", "PsReferencePrimaryToken",
                        "PsDereferencePrimaryToken", "PsReferenceImpersonationToken", "PsDereferenceImpersonationToken",
                        "SeCaptureSubjectContext", "SeLockSubjectContext", "SeUnlockSubjectContext", "SeReleaseSubjectContext",
                        "SeQuerySubjectContextToken", "SeAccessCheck", "SeFreePrivileges", "SeSinglePrivilegeCheck", "SePrivilegeCheck",
                        "ConvertStringSecurityDescriptorToSecurityDescriptorW", "ConvertStringSidToSidW", "ObReferenceObjectByHandle",
                        "ObDereferenceObject", "ZwClose", "SeTokenObjectType", "SeAssignSecurity", "SeAssignSecurityEx",
                        "SeDeassignSecurity", "RtlValidSecurityDescriptor"),
                Op.of("se.tokensHostile", 2, TokenOps::hostile, "SeTokenIsAdmin", "SeQueryInformationToken", "PsDereferencePrimaryToken",
                        "PsImpersonateClient", "PsReferencePrimaryToken", "ZwDuplicateToken", "ZwOpenThreadTokenEx", "SeAccessCheck"));
    }

    private static final String[] GROUPS = {"S-1-1-0", "S-1-5-32-544", "S-1-5-32-545", "S-1-5-11", "S-1-5-21-7-7-7-513",
            "S-1-5-21-7-7-7-1100"};
    private static final String[] DESCRIPTORS = {
            "O:S-1-5-21-7-7-7-1001G:SYD:(A;;0x1f01ff;;;WD)",
            "O:BAG:SYD:(D;;0x2;;;BA)(A;;0x1f01ff;;;WD)",
            "O:S-1-5-21-7-7-7-1100G:SYD:",
            "O:SYG:SYD:(A;IO;0x1;;;WD)(A;;0x20000;;;OW)(A;;0x3;;;S-1-5-21-7-7-7-1001)",
            "O:BAG:SY",
            "O:BAG:SYD:NO_ACCESS_CONTROL"};

    static MemorySegment scratch(Ctx c, long bytes) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, bytes, World.TAG);
        if (b.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("fuzzer: no pool for a scratch block");
        }
        c.after.add(x -> Ex.ExFreePool(b));
        return b.reinterpret(bytes);
    }

    private static long sid(Ctx c, MemorySegment b, String s) {
        if (!Se.ConvertStringSidToSidW(s, b.asSlice(0, 8))) {
            throw new FuzzInvariantException("ConvertStringSidToSidW refused " + s);
        }
        long a = b.get(JAVA_LONG_UNALIGNED, 0);
        c.after.add(x -> Ex.ExFreePool(MemorySegment.ofAddress(a)));
        return a;
    }

    /** A token with random well-formed parts; returns its handle (closed after the step). */
    static long createToken(Ctx c, MemorySegment b, int type, int level) {
        MemorySegment oa = b.asSlice(0, OBJECT_ATTRIBUTES.X64.size());
        oa.fill((byte) 0);
        oa.set(JAVA_INT_UNALIGNED, OBJECT_ATTRIBUTES.LENGTH_OFFSET, (int) OBJECT_ATTRIBUTES.X64.size());
        oa.set(JAVA_INT_UNALIGNED, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET, ObjectAttributes.OBJ_KERNEL_HANDLE);
        MemorySegment q = b.asSlice(64, SECURITY_QUALITY_OF_SERVICE.X64.size());
        q.fill((byte) 0);
        q.set(JAVA_INT_UNALIGNED, SECURITY_QUALITY_OF_SERVICE.LENGTH_OFFSET, (int) SECURITY_QUALITY_OF_SERVICE.X64.size());
        q.set(JAVA_INT_UNALIGNED, SECURITY_QUALITY_OF_SERVICE.IMPERSONATION_LEVEL_OFFSET, level);
        oa.set(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.SECURITY_QUALITY_OF_SERVICE_OFFSET, q.address());
        MemorySegment misc = b.asSlice(80, 48);
        misc.fill((byte) 0); // AuthenticationId at 80, ExpirationTime at 88, Source at 96, User at 112
        misc.set(JAVA_LONG_UNALIGNED, 32, sid(c, b.asSlice(1000, 8), "S-1-5-21-7-7-7-1001"));
        int groups = c.n(GROUPS.length + 1);
        MemorySegment g = b.asSlice(128, 8 + 16L * GROUPS.length);
        g.set(JAVA_INT_UNALIGNED, 0, groups);
        for (int i = 0; i < groups; i++) {
            g.set(JAVA_LONG_UNALIGNED, 8 + 16L * i, sid(c, b.asSlice(1000, 8), GROUPS[i]));
            int a = switch (c.n(4)) {
                case 0 -> SeConstants.SE_GROUP_USE_FOR_DENY_ONLY;
                case 1 -> 0;
                case 2 -> SeConstants.SE_GROUP_ENABLED | SeConstants.SE_GROUP_OWNER;
                default -> SeConstants.SE_GROUP_ENABLED | SeConstants.SE_GROUP_ENABLED_BY_DEFAULT | SeConstants.SE_GROUP_MANDATORY;
            };
            g.set(JAVA_INT_UNALIGNED, 12 + 16L * i, a);
        }
        int privileges = c.n(6);
        MemorySegment p = b.asSlice(240, 4 + 12L * 6);
        p.set(JAVA_INT_UNALIGNED, 0, privileges);
        for (int i = 0; i < privileges; i++) {
            p.set(JAVA_LONG_UNALIGNED, 4 + 12L * i, SeConstants.SE_MIN_WELL_KNOWN_PRIVILEGE + c.n(35));
            p.set(JAVA_INT_UNALIGNED, 12 + 12L * i, c.p(0.5) ? SeConstants.SE_PRIVILEGE_ENABLED : 0);
        }
        MemorySegment pg = b.asSlice(320, 8);
        pg.set(JAVA_LONG_UNALIGNED, 0, misc.get(JAVA_LONG_UNALIGNED, 32));
        MemorySegment h = b.asSlice(328, 8);
        int st = Zw.ZwCreateToken(h, SeConstants.TOKEN_ALL_ACCESS, oa, type, misc.asSlice(0, 8), misc.asSlice(8, 8), misc.asSlice(32, 16),
                g, p, MemorySegment.NULL, pg, MemorySegment.NULL, misc.asSlice(16, 16));
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException("ZwCreateToken of a well-formed token returned 0x" + Integer.toHexString(st));
        }
        long handle = h.get(JAVA_LONG_UNALIGNED, 0);
        c.after.add(x -> Zw.ZwClose(handle));
        return handle;
    }

    static void tokens(Ctx c) {
        MemorySegment b = scratch(c, 1100);
        int level = c.n(4);
        long handle = createToken(c, b, c.p(0.5) ? SeConstants.TokenPrimary : SeConstants.TokenImpersonation, level);
        MemorySegment out = b.asSlice(336, 8);
        if (Ob.ObReferenceObjectByHandle(handle, 0, Se.SeTokenObjectType(), Ob.KernelMode, out, MemorySegment.NULL) != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException("the new token's handle does not resolve");
        }
        MemorySegment token = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        c.after.add(x -> Ob.ObDereferenceObject(token));
        Se.SeTokenIsAdmin(token);
        for (int cls = 1; cls <= 12; cls++) {
            int st = Se.SeQueryInformationToken(token, cls, b.asSlice(344, 8));
            if (st == NtStatus.STATUS_SUCCESS) {
                Ex.ExFreePool(MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 344)));
            } else if (st != NtStatus.STATUS_INVALID_INFO_CLASS) {
                throw new FuzzInvariantException("SeQueryInformationToken class " + cls + " returned 0x" + Integer.toHexString(st));
            }
        }
        if (c.p(0.3)) {
            int st = Zw.ZwDuplicateToken(handle, 0, MemorySegment.NULL, c.p(0.5), 1 + c.n(2), b.asSlice(352, 8));
            if (st == NtStatus.STATUS_SUCCESS) {
                Zw.ZwClose(b.get(JAVA_LONG_UNALIGNED, 352));
            }
        }
        if (c.p(0.3) && Zw.ZwOpenProcessTokenEx(Zw.NtCurrentProcess, SeConstants.TOKEN_QUERY, ObjectAttributes.OBJ_KERNEL_HANDLE,
                b.asSlice(352, 8)) == NtStatus.STATUS_SUCCESS) {
            Zw.ZwClose(b.get(JAVA_LONG_UNALIGNED, 352));
        }
        boolean impersonate = c.p(0.7);
        if (impersonate) {
            Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), token, false, c.p(0.5), c.n(4));
            c.after.add(x -> Ps.PsRevertToSelf());
            MemorySegment r = Ps.PsReferenceImpersonationToken(Ps.PsGetCurrentThread(), b.asSlice(360, 1), b.asSlice(361, 1), b.asSlice(364, 4));
            if (r.address() != token.address()) {
                throw new FuzzInvariantException("PsReferenceImpersonationToken returned another token");
            }
            Ps.PsDereferenceImpersonationToken(r);
            int st = Zw.ZwOpenThreadTokenEx(Zw.NtCurrentThread, SeConstants.TOKEN_QUERY, c.p(0.5), ObjectAttributes.OBJ_KERNEL_HANDLE,
                    b.asSlice(352, 8));
            if (st == NtStatus.STATUS_SUCCESS) {
                Zw.ZwClose(b.get(JAVA_LONG_UNALIGNED, 352));
            } else if (st != NtStatus.STATUS_CANT_OPEN_ANONYMOUS) {
                throw new FuzzInvariantException("ZwOpenThreadTokenEx while impersonating returned 0x" + Integer.toHexString(st));
            }
        }
        MemorySegment ctx = b.asSlice(368, SECURITY_SUBJECT_CONTEXT.X64.size());
        Se.SeCaptureSubjectContext(ctx);
        if (impersonate && Se.SeQuerySubjectContextToken(ctx).address() != token.address()) {
            throw new FuzzInvariantException("SeQuerySubjectContextToken is not the impersonation token");
        }
        Se.SeLockSubjectContext(ctx);
        try {
            String sddl = DESCRIPTORS[c.n(DESCRIPTORS.length)];
            if (!Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 1, b.asSlice(400, 8), MemorySegment.NULL)) {
                throw new FuzzInvariantException("SDDL refused: " + sddl);
            }
            MemorySegment sd = MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 400));
            c.after.add(x -> Ex.ExFreePool(sd));
            MemorySegment gm = b.asSlice(408, 16);
            gm.set(JAVA_INT_UNALIGNED, 0, 0x20001);
            gm.set(JAVA_INT_UNALIGNED, 4, 0x20002);
            gm.set(JAVA_INT_UNALIGNED, 8, 0x20004);
            gm.set(JAVA_INT_UNALIGNED, 12, 0x1f01ff);
            int desired = switch (c.n(4)) {
                case 0 -> AccessMask.MAXIMUM_ALLOWED;
                case 1 -> AccessMask.GENERIC_READ;
                case 2 -> 1 << c.n(32);
                default -> c.anyInt() & 0x1f01ff;
            };
            for (int mode = 0; mode < 2; mode++) {
                MemorySegment privs = b.asSlice(424, 8);
                boolean ok = Se.SeAccessCheck(sd, ctx, true, desired, 0, privs, gm, mode, b.asSlice(432, 4), b.asSlice(436, 4));
                int granted = b.get(JAVA_INT_UNALIGNED, 432);
                int status = b.get(JAVA_INT_UNALIGNED, 436);
                long set = b.get(JAVA_LONG_UNALIGNED, 424);
                if (set != 0) {
                    Se.SeFreePrivileges(MemorySegment.ofAddress(set));
                }
                if (ok != (status == NtStatus.STATUS_SUCCESS) || (!ok && granted != 0)) {
                    throw new FuzzInvariantException("SeAccessCheck returned " + ok + " with status 0x" + Integer.toHexString(status)
                            + " and granted 0x" + Integer.toHexString(granted));
                }
                if (mode == Ob.KernelMode && !ok) {
                    throw new FuzzInvariantException("SeAccessCheck in KernelMode denied 0x" + Integer.toHexString(desired));
                }
                // (nothing asked and nothing granted before is STATUS_ACCESS_DENIED whatever the DACL: ReactOS's SeAccessCheck)
                if (sddl.endsWith("NO_ACCESS_CONTROL") && desired != 0 && (desired & AccessMask.ACCESS_SYSTEM_SECURITY) == 0 && !ok
                        && status != NtStatus.STATUS_BAD_IMPERSONATION_LEVEL) {
                    throw new FuzzInvariantException("a NULL DACL denied 0x" + Integer.toHexString(desired) + ": 0x" + Integer.toHexString(status));
                }
                if (ok && (granted & ~AccessMask.MAXIMUM_ALLOWED) != granted) {
                    throw new FuzzInvariantException("SeAccessCheck granted MAXIMUM_ALLOWED itself");
                }
            }
        } finally {
            Se.SeUnlockSubjectContext(ctx);
            Se.SeReleaseSubjectContext(ctx);
        }
        assign(c, b, ctx);
        Se.SeSinglePrivilegeCheck(SeConstants.SE_MIN_WELL_KNOWN_PRIVILEGE + c.n(35), c.n(2));
        MemorySegment ps = b.asSlice(440, 4 + 4 + 12);
        ps.set(JAVA_INT_UNALIGNED, 0, 1);
        ps.set(JAVA_INT_UNALIGNED, 4, c.n(2));
        ps.set(JAVA_LONG_UNALIGNED, 8, SeConstants.SE_MIN_WELL_KNOWN_PRIVILEGE + c.n(35));
        ps.set(JAVA_INT_UNALIGNED, 16, 0);
        Se.SeCaptureSubjectContext(ctx);
        Se.SePrivilegeCheck(ps, ctx, c.n(2));
        Se.SeReleaseSubjectContext(ctx);
        MemorySegment primary = Ps.PsReferencePrimaryToken(Ps.PsGetCurrentProcess());
        Ps.PsDereferencePrimaryToken(primary);
    }

    private static final String[] PARENTS = {"O:BAG:SYD:(A;OICI;GA;;;CO)(A;CI;0x1;;;WD)(A;OI;0x2;;;BU)(A;OICINP;0x4;;;SY)",
            "O:BAG:SYD:(A;;0x1;;;WD)", "O:BAG:SYD:NO_ACCESS_CONTROL", "O:BAG:SYD:(A;OICIIO;GR;;;CG)S:(AU;OICISA;0x1;;;WD)"};
    private static final String[] EXPLICIT = {"D:(A;;0x1;;;WD)", "O:S-1-5-21-7-7-7-1001D:(A;;0x3;;;BU)", "O:SYG:SY", "D:P(A;;0x1;;;WD)",
            "S:(AU;SA;0x1;;;WD)", "D:NO_ACCESS_CONTROL"};

    /** SeAssignSecurity(Ex) from a parent and an explicit descriptor: a valid self-relative result, or a documented status. */
    private static void assign(Ctx c, MemorySegment b, MemorySegment ctx) {
        MemorySegment parent = MemorySegment.NULL;
        MemorySegment explicit = MemorySegment.NULL;
        if (c.p(0.7) && Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(PARENTS[c.n(PARENTS.length)], 1, b.asSlice(464, 8),
                MemorySegment.NULL)) {
            parent = MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 464));
            MemorySegment f = parent;
            c.after.add(x -> Ex.ExFreePool(f));
        }
        if (c.p(0.5) && Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(EXPLICIT[c.n(EXPLICIT.length)], 1, b.asSlice(472, 8),
                MemorySegment.NULL)) {
            explicit = MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 472));
            MemorySegment f = explicit;
            c.after.add(x -> Ex.ExFreePool(f));
        }
        Se.SeCaptureSubjectContext(ctx);
        try {
            MemorySegment out = b.asSlice(480, 8);
            int st = c.p(0.5) ? Se.SeAssignSecurity(parent, explicit, out, c.p(0.5), ctx, b.asSlice(408, 16), 1)
                    : Se.SeAssignSecurityEx(parent, explicit, out, MemorySegment.NULL, c.p(0.5), c.n(0x80), ctx, b.asSlice(408, 16), 1);
            if (st == NtStatus.STATUS_SUCCESS) {
                MemorySegment sd = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
                if (!dev.offkern.ddi.Rtl.RtlValidSecurityDescriptor(sd)) {
                    throw new FuzzInvariantException("SeAssignSecurity made an invalid descriptor");
                }
                Se.SeDeassignSecurity(out);
                if (out.get(JAVA_LONG_UNALIGNED, 0) != 0) {
                    throw new FuzzInvariantException("SeDeassignSecurity left the pointer set");
                }
            } else if (st != NtStatus.STATUS_INVALID_OWNER && st != NtStatus.STATUS_PRIVILEGE_NOT_HELD) {
                throw new FuzzInvariantException("SeAssignSecurity returned 0x" + Integer.toHexString(st));
            }
        } finally {
            Se.SeReleaseSubjectContext(ctx);
        }
    }

    static void hostile(Ctx c) {
        MemorySegment b = scratch(c, 256);
        MemorySegment p = switch (c.n(3)) {
            case 0 -> MemorySegment.ofAddress(c.unmappedAddress());
            case 1 -> Ps.PsGetCurrentThread();
            default -> Ps.PsInitialSystemProcess();
        };
        c.note("hostile token 0x" + Long.toHexString(p.address()));
        switch (c.n(7)) {
            case 0 -> Se.SeTokenIsAdmin(p);
            case 1 -> Se.SeQueryInformationToken(p, 1 + c.n(12), b.asSlice(0, 8));
            case 2 -> Ps.PsDereferencePrimaryToken(p);
            case 3 -> Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), p, false, false, c.n(6));
            case 4 -> Ps.PsReferencePrimaryToken(p.equals(Ps.PsInitialSystemProcess()) ? Ps.PsGetCurrentThread() : p);
            case 5 -> {
                int st = Zw.ZwDuplicateToken(c.r.nextLong(), 0, MemorySegment.NULL, false, c.n(4), b.asSlice(0, 8));
                if (st == NtStatus.STATUS_SUCCESS) {
                    Zw.ZwClose(b.get(JAVA_LONG_UNALIGNED, 0));
                }
            }
            default -> {
                MemorySegment ctx = b.asSlice(64, SECURITY_SUBJECT_CONTEXT.X64.size());
                ctx.fill((byte) 0);
                ctx.set(JAVA_LONG_UNALIGNED, SECURITY_SUBJECT_CONTEXT.PRIMARY_TOKEN_OFFSET, p.address());
                b.asSlice(96, 16).fill((byte) 1);
                MemorySegment sd = b.asSlice(128, 64);
                if (c.p(0.5) && Se.ConvertStringSecurityDescriptorToSecurityDescriptorW("O:BAG:SYD:(A;;1;;;WD)", 1, b.asSlice(0, 8),
                        MemorySegment.NULL)) {
                    sd = MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 0));
                    MemorySegment free = sd;
                    c.after.add(x -> Ex.ExFreePool(free));
                }
                Se.SeAccessCheck(sd, ctx, c.p(0.5), c.anyInt(), 0, MemorySegment.NULL, b.asSlice(96, 16), 1,
                        b.asSlice(112, 4), b.asSlice(116, 4));
            }
        }
    }
}
