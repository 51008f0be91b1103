package dev.offkern.runtime.srm;

import static dev.offkern.nt.SeConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Se;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.ps.EPROCESS;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.layout.se.LUID_AND_ATTRIBUTES;
import dev.offkern.layout.se.PRIVILEGE_SET;
import dev.offkern.layout.se.SECURITY_SUBJECT_CONTEXT;
import dev.offkern.layout.se.TOKEN;
import dev.offkern.layout.se.TOKEN_GROUPS;
import dev.offkern.layout.se.TOKEN_PRIVILEGES;
import dev.offkern.layout.se.TOKEN_SOURCE;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tokens: the SYSTEM token of the System process and EPROCESS.Token's fast reference, ZwCreateToken
 * and each of its statuses, SeQueryInformationToken's formats, ZwDuplicateToken, ZwOpen*TokenEx,
 * impersonation (PsImpersonateClient, PsReferenceImpersonationToken, PsRevertToSelf), subject
 * contexts and the privilege checks. Facts: Microsoft's documentation of each routine and
 * ReactOS's ntoskrnl/se (token.c, tokenlif.c, priv.c, subject.c) for the statuses.
 */
class TokenManagerTest {
    private Kernel kernel;
    private TokenFixture fx;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot();
        fx = new TokenFixture();
    }

    @AfterEach
    void close() {
        Ps.PsRevertToSelf();
        fx.free();
        kernel.close();
    }

    private static TokenFixture.Spec user() {
        return new TokenFixture.Spec()
                .group("S-1-5-32-545", TokenFixture.ENABLED)                       // Users
                .group("S-1-1-0", TokenFixture.ENABLED)                            // Everyone
                .group("S-1-5-32-544", SE_GROUP_USE_FOR_DENY_ONLY)                 // Administrators, deny-only
                .group("S-1-5-21-1-2-3-513", SE_GROUP_ENABLED_BY_DEFAULT)          // disabled
                .group("S-1-5-21-1-2-3-1100", TokenFixture.ENABLED | SE_GROUP_OWNER)
                .privilege(SE_CHANGE_NOTIFY_PRIVILEGE, SE_PRIVILEGE_ENABLED | SE_PRIVILEGE_ENABLED_BY_DEFAULT)
                .privilege(SE_SHUTDOWN_PRIVILEGE, 0);
    }

    private long sidOf(MemorySegment block, long off) {
        return block.get(JAVA_LONG_UNALIGNED, off);
    }

    private String sidString(long address) {
        MemorySegment out = fx.alloc(8);
        assertTrue(Se.ConvertSidToStringSidW(MemorySegment.ofAddress(address), out));
        MemorySegment s = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)).reinterpret(400);
        StringBuilder b = new StringBuilder();
        for (int i = 0; s.get(JAVA_BYTE, 2L * i) != 0; i++) {
            b.append((char) s.get(JAVA_BYTE, 2L * i));
        }
        Ex.ExFreePool(s);
        return b.toString();
    }

    private MemorySegment query(MemorySegment token, int cls) {
        MemorySegment out = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Se.SeQueryInformationToken(token, cls, out));
        MemorySegment r = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)).reinterpret(4096);
        return r;
    }

    private long pointerCount(MemorySegment object) {
        return kernel.objects().pointerCount(object.address());
    }

    // ===== the System process's token =====

    @Test
    void shouldGiveTheSystemProcessASystemTokenOwnedByAdministrators() {
        MemorySegment t = Ps.PsReferencePrimaryToken(Ps.PsInitialSystemProcess());
        try {
            MemorySegment u = query(t, TokenUser);
            assertEquals("S-1-5-18", sidString(sidOf(u, 0)));
            Ex.ExFreePool(u);
            MemorySegment o = query(t, TokenOwner);
            assertEquals("S-1-5-32-544", sidString(sidOf(o, 0)));
            Ex.ExFreePool(o);
            MemorySegment pg = query(t, TokenPrimaryGroup);
            assertEquals("S-1-5-18", sidString(sidOf(pg, 0)));
            Ex.ExFreePool(pg);
            assertTrue(Se.SeTokenIsAdmin(t));
            MemorySegment type = query(t, TokenType);
            assertEquals(TokenPrimary, type.get(JAVA_INT_UNALIGNED, 0));
            Ex.ExFreePool(type);
            MemorySegment privs = query(t, TokenPrivileges);
            assertEquals(SE_MAX_WELL_KNOWN_PRIVILEGE - 1, privs.get(JAVA_INT_UNALIGNED, 0), "every privilege held");
            Ex.ExFreePool(privs);
            MemorySegment body = t.reinterpret(TOKEN.X64.size());
            assertEquals(TokenManager.SYSTEM_LUID, body.get(JAVA_LONG_UNALIGNED, TOKEN.AUTHENTICATION_ID_OFFSET));
            assertEquals(1, body.get(JAVA_BYTE, TOKEN.TOKEN_IN_USE_OFFSET));
            assertTrue((body.get(JAVA_LONG_UNALIGNED, TOKEN.PRIVILEGES_ENABLED_OFFSET) & (1L << SE_TCB_PRIVILEGE)) != 0);
            assertEquals(0, body.get(JAVA_LONG_UNALIGNED, TOKEN.PRIVILEGES_ENABLED_OFFSET) & (1L << SE_SECURITY_PRIVILEGE));
        } finally {
            Ps.PsDereferencePrimaryToken(t);
        }
    }

    @Test
    void shouldGiveTheSystemTokenTheDefaultDaclOfSystemAndAdministrators() {
        MemorySegment t = Ps.PsReferencePrimaryToken(Ps.PsInitialSystemProcess());
        MemorySegment d = query(t, TokenDefaultDacl);
        long acl = d.get(JAVA_LONG_UNALIGNED, 0);
        assertEquals(d.address() + 8, acl);
        long expected = fx.dacl("D:(A;;GA;;;SY)(A;;GRGXRC;;;BA)");
        int size = MemorySegment.ofAddress(expected).reinterpret(4).get(dev.offkern.runtime.se.SecurityParsers.USHORT, 2);
        assertArrayEquals(MemorySegment.ofAddress(expected).reinterpret(size).toArray(JAVA_BYTE),
                MemorySegment.ofAddress(acl).reinterpret(size).toArray(JAVA_BYTE));
        Ex.ExFreePool(d);
        Ps.PsDereferencePrimaryToken(t);
    }

    @Test
    void shouldKeepACachedReferenceCountInTheLowBitsOfEprocessToken() {
        MemorySegment e = Ps.PsInitialSystemProcess().reinterpret(EPROCESS.X64.size());
        long word = e.get(JAVA_LONG_UNALIGNED, EPROCESS.TOKEN_OFFSET);
        long token = word & ~15L;
        assertEquals(15, word & 15, "a full reserve after assignment");
        long before = kernel.objects().pointerCount(token);
        MemorySegment[] taken = new MemorySegment[40];
        for (int i = 0; i < taken.length; i++) {
            taken[i] = Ps.PsReferencePrimaryToken(Ps.PsInitialSystemProcess());
            assertEquals(token, taken[i].address());
        }
        long now = e.get(JAVA_LONG_UNALIGNED, EPROCESS.TOKEN_OFFSET);
        assertEquals(token, now & ~15L);
        // Invariant: PointerCount = 1 (the word's own) + reserve + references handed out.
        assertEquals(1 + (now & 15) + 40, kernel.objects().pointerCount(token));
        for (MemorySegment t : taken) {
            Ps.PsDereferencePrimaryToken(t);
        }
        assertEquals(1 + (now & 15), kernel.objects().pointerCount(token));
        assertTrue(before >= 1);
    }

    @Test
    void shouldKeepTheFastReferenceInvariantUnderContention() throws Exception {
        MemorySegment e = Ps.PsInitialSystemProcess().reinterpret(EPROCESS.X64.size());
        long token = e.get(JAVA_LONG_UNALIGNED, EPROCESS.TOKEN_OFFSET) & ~15L;
        int threads = 4;
        int rounds = 20_000;
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = new Thread(() -> {
                try {
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        MemorySegment t = Ps.PsReferencePrimaryToken(Ps.PsInitialSystemProcess());
                        if (t.address() != token) {
                            throw new AssertionError("wrong token");
                        }
                        Ps.PsDereferencePrimaryToken(t);
                    }
                } catch (Throwable x) {
                    failure.compareAndSet(null, x);
                }
            });
            ts[i].start();
        }
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        long word = e.get(JAVA_LONG_UNALIGNED, EPROCESS.TOKEN_OFFSET);
        assertEquals(token, word & ~15L);
        assertEquals(1 + (word & 15), kernel.objects().pointerCount(token), "no reference lost or leaked");
    }

    @Test
    void shouldGiveATenantProcessAPrimaryDuplicateOfItsParentsToken() {
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsCreateTenantProcess(h, 0x1FFFFF, MemorySegment.NULL, "tenant"));
        MemorySegment obj = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(h.get(JAVA_LONG_UNALIGNED, 0), 0, Ps.PsProcessType(), 0, obj,
                MemorySegment.NULL));
        MemorySegment tenant = MemorySegment.ofAddress(obj.get(JAVA_LONG_UNALIGNED, 0));
        MemorySegment t = Ps.PsReferencePrimaryToken(tenant);
        MemorySegment sys = Ps.PsReferencePrimaryToken(Ps.PsInitialSystemProcess());
        try {
            assertNotEquals(sys.address(), t.address(), "its own token object");
            MemorySegment u = query(t, TokenUser);
            assertEquals("S-1-5-18", sidString(sidOf(u, 0)));
            Ex.ExFreePool(u);
            MemorySegment tb = t.reinterpret(TOKEN.X64.size());
            MemorySegment sb = sys.reinterpret(TOKEN.X64.size());
            assertEquals(sb.get(JAVA_LONG_UNALIGNED, TOKEN.TOKEN_ID_OFFSET), tb.get(JAVA_LONG_UNALIGNED, TOKEN.PARENT_TOKEN_ID_OFFSET));
            assertNotEquals(sb.get(JAVA_LONG_UNALIGNED, TOKEN.TOKEN_ID_OFFSET), tb.get(JAVA_LONG_UNALIGNED, TOKEN.TOKEN_ID_OFFSET));
            assertEquals(14, tenant.reinterpret(EPROCESS.X64.size()).get(JAVA_LONG_UNALIGNED, EPROCESS.TOKEN_OFFSET) & 15, "a full reserve less the one taken above");
            assertTrue(Se.SeTokenIsAdmin(t));
        } finally {
            Ps.PsDereferencePrimaryToken(t);
            Ps.PsDereferencePrimaryToken(sys);
            Ob.ObDereferenceObject(tenant);
            Zw.ZwClose(h.get(JAVA_LONG_UNALIGNED, 0));
        }
        fx.free();
        kernel.close();
        assertTrue(kernel.leakReport().leaks().isEmpty(), () -> "a live tenant's token is the kernel's, not a leak: " + kernel.leakReport());
        kernel = Kernel.boot(); // for close()
    }

    // ===== ZwCreateToken =====

    @Test
    void shouldCreateATokenWhoseQueriesReturnWhatItWasGiven() {
        TokenFixture.Spec spec = user();
        spec.owner = "S-1-5-21-1-2-3-1100";
        spec.primaryGroup = "S-1-5-21-1-2-3-513";
        spec.defaultDacl = "D:(A;;GA;;;S-1-5-21-1-2-3-1001)";
        MemorySegment t = fx.token(spec);
        try {
            MemorySegment u = query(t, TokenUser);
            assertEquals("S-1-5-21-1-2-3-1001", sidString(sidOf(u, 0)));
            Ex.ExFreePool(u);
            MemorySegment g = query(t, TokenGroups);
            assertEquals(5, g.get(JAVA_INT_UNALIGNED, TOKEN_GROUPS.GROUP_COUNT_OFFSET));
            assertEquals("S-1-5-32-544", sidString(sidOf(g, TOKEN_GROUPS.GROUPS_OFFSET + 2 * 16)));
            assertEquals(SE_GROUP_USE_FOR_DENY_ONLY, g.get(JAVA_INT_UNALIGNED, TOKEN_GROUPS.GROUPS_OFFSET + 2 * 16 + 8));
            long firstSid = sidOf(g, TOKEN_GROUPS.GROUPS_OFFSET);
            assertEquals(g.address() + TOKEN_GROUPS.GROUPS_OFFSET + 5 * 16, firstSid, "the SIDs follow the array");
            Ex.ExFreePool(g);
            MemorySegment p = query(t, TokenPrivileges);
            assertEquals(2, p.get(JAVA_INT_UNALIGNED, TOKEN_PRIVILEGES.PRIVILEGE_COUNT_OFFSET));
            long e0 = TOKEN_PRIVILEGES.PRIVILEGES_OFFSET;
            assertEquals(SE_SHUTDOWN_PRIVILEGE, p.get(JAVA_INT_UNALIGNED, e0 + LUID_AND_ATTRIBUTES.LUID_OFFSET));
            assertEquals(0, p.get(JAVA_INT_UNALIGNED, e0 + LUID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET));
            long e1 = e0 + LUID_AND_ATTRIBUTES.X64.size();
            assertEquals(SE_CHANGE_NOTIFY_PRIVILEGE, p.get(JAVA_INT_UNALIGNED, e1 + LUID_AND_ATTRIBUTES.LUID_OFFSET));
            assertEquals(SE_PRIVILEGE_ENABLED | SE_PRIVILEGE_ENABLED_BY_DEFAULT, p.get(JAVA_INT_UNALIGNED, e1 + LUID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET));
            Ex.ExFreePool(p);
            MemorySegment o = query(t, TokenOwner);
            assertEquals("S-1-5-21-1-2-3-1100", sidString(sidOf(o, 0)));
            Ex.ExFreePool(o);
            MemorySegment pg = query(t, TokenPrimaryGroup);
            assertEquals("S-1-5-21-1-2-3-513", sidString(sidOf(pg, 0)));
            Ex.ExFreePool(pg);
            MemorySegment src = query(t, TokenSource);
            assertEquals('o', src.get(JAVA_BYTE, TOKEN_SOURCE.SOURCE_NAME_OFFSET));
            assertEquals(1, src.get(JAVA_INT_UNALIGNED, TOKEN_SOURCE.SOURCE_IDENTIFIER_OFFSET));
            Ex.ExFreePool(src);
            MemorySegment session = query(t, TokenSessionId);
            assertEquals(0, session.get(JAVA_INT_UNALIGNED, 0));
            Ex.ExFreePool(session);
            assertFalse(Se.SeTokenIsAdmin(t), "a deny-only Administrators group is no admin");
            MemorySegment body = t.reinterpret(TOKEN.X64.size());
            assertEquals(0x12345L, body.get(JAVA_LONG_UNALIGNED, TOKEN.AUTHENTICATION_ID_OFFSET));
            assertEquals(6, body.get(JAVA_INT_UNALIGNED, TOKEN.USER_AND_GROUP_COUNT_OFFSET));
            assertEquals(5, body.get(JAVA_INT_UNALIGNED, TOKEN.DEFAULT_OWNER_INDEX_OFFSET));
        } finally {
            Ob.ObDereferenceObject(t);
        }
    }

    @Test
    void shouldRefuseEachBadPartOfATokenWithItsStatus() {
        MemorySegment h = fx.alloc(8);
        TokenFixture.Spec s = user();
        s.type = 3;
        assertEquals(NtStatus.STATUS_BAD_TOKEN_TYPE, fx.create(s, h));
        s = user();
        s.type = TokenImpersonation; // no SecurityQualityOfService
        assertEquals(NtStatus.STATUS_BAD_IMPERSONATION_LEVEL, fx.create(s, h));
        s.level = 4;
        assertEquals(NtStatus.STATUS_BAD_IMPERSONATION_LEVEL, fx.create(s, h));
        s = user().group("S-1-1-0", SE_GROUP_ENABLED | SE_GROUP_USE_FOR_DENY_ONLY);
        assertEquals(NtStatus.STATUS_INVALID_GROUP_ATTRIBUTES, fx.create(s, h));
        s = user().group("S-1-1-0", 0x100);
        assertEquals(NtStatus.STATUS_INVALID_GROUP_ATTRIBUTES, fx.create(s, h));
        s = user();
        s.userAttributes = SE_GROUP_ENABLED;
        assertEquals(NtStatus.STATUS_INVALID_GROUP_ATTRIBUTES, fx.create(s, h));
        s = user().privilege(99, SE_PRIVILEGE_ENABLED);
        assertEquals(NtStatus.STATUS_NO_SUCH_PRIVILEGE, fx.create(s, h));
        s = user().privilege(1L << 32 | SE_DEBUG_PRIVILEGE, 0);
        assertEquals(NtStatus.STATUS_NO_SUCH_PRIVILEGE, fx.create(s, h), "a HighPart makes it no privilege");
        s = user();
        s.owner = "S-1-1-0"; // a group without SE_GROUP_OWNER
        assertEquals(NtStatus.STATUS_INVALID_OWNER, fx.create(s, h));
        s = user();
        s.primaryGroup = "S-1-5-99";
        assertEquals(NtStatus.STATUS_INVALID_PRIMARY_GROUP, fx.create(s, h));
        assertEquals(0, h.get(JAVA_LONG_UNALIGNED, 0), "no handle was made");
    }

    @Test
    void shouldRefuseAnInvalidSidAndAnInvalidDefaultDacl() {
        MemorySegment h = fx.alloc(8);
        MemorySegment badSid = fx.alloc(16);
        badSid.fill((byte) 0);
        badSid.set(JAVA_BYTE, 0, (byte) 1);
        badSid.set(JAVA_BYTE, 1, (byte) 16); // more sub-authorities than SID_MAX_SUB_AUTHORITIES (15)
        MemorySegment user = fx.alloc(16);
        user.set(JAVA_LONG_UNALIGNED, 0, badSid.address());
        user.set(JAVA_INT_UNALIGNED, 8, 0);
        MemorySegment zero = fx.alloc(24);
        zero.fill((byte) 0);
        MemorySegment pg = fx.alloc(8);
        pg.set(JAVA_LONG_UNALIGNED, 0, fx.sid("S-1-1-0").address());
        assertEquals(NtStatus.STATUS_INVALID_SID, Zw.ZwCreateToken(h, 0, MemorySegment.NULL, TokenPrimary, zero, zero, user, zero, zero,
                MemorySegment.NULL, pg, MemorySegment.NULL, zero));
        MemorySegment goodUser = fx.alloc(16);
        goodUser.set(JAVA_LONG_UNALIGNED, 0, fx.sid("S-1-1-0").address());
        goodUser.set(JAVA_INT_UNALIGNED, 8, 0);
        MemorySegment badAcl = fx.alloc(16);
        badAcl.fill((byte) 0);
        badAcl.set(JAVA_BYTE, 0, (byte) 9); // AclRevision 9
        badAcl.set(dev.offkern.runtime.se.SecurityParsers.USHORT, 2, (short) 8);
        MemorySegment dd = fx.alloc(8);
        dd.set(JAVA_LONG_UNALIGNED, 0, badAcl.address());
        assertEquals(NtStatus.STATUS_INVALID_ACL, Zw.ZwCreateToken(h, 0, MemorySegment.NULL, TokenPrimary, zero, zero, goodUser, zero,
                zero, MemorySegment.NULL, pg, dd, zero));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwCreateToken(h, 0, MemorySegment.NULL, TokenPrimary, zero, zero,
                MemorySegment.NULL, zero, zero, MemorySegment.NULL, pg, MemorySegment.NULL, zero), "User is required");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwCreateToken(MemorySegment.NULL, 0, MemorySegment.NULL, TokenPrimary, zero,
                zero, goodUser, zero, zero, MemorySegment.NULL, pg, MemorySegment.NULL, zero), "TokenHandle is required");
    }

    @Test
    void shouldAnswerInvalidInfoClassForUnsupportedClassesAndAPrimaryTokensLevel() {
        MemorySegment t = fx.token(user());
        MemorySegment out = fx.alloc(8);
        assertEquals(NtStatus.STATUS_INVALID_INFO_CLASS, Se.SeQueryInformationToken(t, TokenImpersonationLevel, out));
        assertEquals(NtStatus.STATUS_INVALID_INFO_CLASS, Se.SeQueryInformationToken(t, 99, out));
        assertEquals(NtStatus.STATUS_INVALID_INFO_CLASS, Se.SeQueryInformationToken(t, TokenStatistics, out));
        Ob.ObDereferenceObject(t);
    }

    @Test
    void shouldRefuseAPointerThatIsNoToken() {
        assertThrows(IllegalArgumentException.class, () -> Se.SeTokenIsAdmin(Ps.PsInitialSystemProcess()));
        assertThrows(IllegalArgumentException.class, () -> Se.SeQueryInformationToken(MemorySegment.NULL, TokenUser, fx.alloc(8)));
    }

    // ===== duplicate and open =====

    @Test
    void shouldDuplicateIntoAnImpersonationTokenAndNeverRaiseItsLevel() {
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, fx.create(user(), h));
        long primary = h.get(JAVA_LONG_UNALIGNED, 0);
        MemorySegment h2 = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwDuplicateToken(primary, TOKEN_ALL_ACCESS, fx.attributes(SecurityIdentification), false,
                TokenImpersonation, h2));
        long imp = h2.get(JAVA_LONG_UNALIGNED, 0);
        MemorySegment obj = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(imp, 0, Se.SeTokenObjectType(), 0, obj, MemorySegment.NULL));
        MemorySegment t = MemorySegment.ofAddress(obj.get(JAVA_LONG_UNALIGNED, 0));
        MemorySegment lvl = query(t, TokenImpersonationLevel);
        assertEquals(SecurityIdentification, lvl.get(JAVA_INT_UNALIGNED, 0));
        Ex.ExFreePool(lvl);
        MemorySegment body = t.reinterpret(TOKEN.X64.size());
        assertNotEquals(0, body.get(JAVA_LONG_UNALIGNED, TOKEN.PARENT_TOKEN_ID_OFFSET));
        Ob.ObDereferenceObject(t);
        MemorySegment h3 = fx.alloc(8);
        assertEquals(NtStatus.STATUS_BAD_IMPERSONATION_LEVEL, Zw.ZwDuplicateToken(imp, 0, fx.attributes(SecurityImpersonation), false,
                TokenImpersonation, h3), "raising Identification to Impersonation");
        assertEquals(NtStatus.STATUS_BAD_IMPERSONATION_LEVEL, Zw.ZwDuplicateToken(imp, 0, MemorySegment.NULL, false, TokenPrimary, h3),
                "an identification token cannot become primary");
        assertEquals(NtStatus.STATUS_BAD_TOKEN_TYPE, Zw.ZwDuplicateToken(imp, 0, MemorySegment.NULL, false, 0, h3));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, Zw.ZwDuplicateToken(0x7FF0, 0, MemorySegment.NULL, false, TokenPrimary, h3));
        Zw.ZwClose(imp);
        Zw.ZwClose(primary);
    }

    @Test
    void shouldDropDisabledGroupsAndPrivilegesWhenDuplicatingEffectiveOnly() {
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, fx.create(user(), h));
        MemorySegment h2 = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwDuplicateToken(h.get(JAVA_LONG_UNALIGNED, 0), 0, MemorySegment.NULL, true, TokenPrimary, h2));
        MemorySegment obj = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(h2.get(JAVA_LONG_UNALIGNED, 0), 0, Se.SeTokenObjectType(), 0, obj,
                MemorySegment.NULL));
        MemorySegment t = MemorySegment.ofAddress(obj.get(JAVA_LONG_UNALIGNED, 0));
        MemorySegment g = query(t, TokenGroups);
        assertEquals(4, g.get(JAVA_INT_UNALIGNED, 0), "the disabled group is gone; the deny-only one stays");
        Ex.ExFreePool(g);
        MemorySegment p = query(t, TokenPrivileges);
        assertEquals(1, p.get(JAVA_INT_UNALIGNED, 0), "only the enabled privilege stays");
        Ex.ExFreePool(p);
        Ob.ObDereferenceObject(t);
        Zw.ZwClose(h.get(JAVA_LONG_UNALIGNED, 0));
        Zw.ZwClose(h2.get(JAVA_LONG_UNALIGNED, 0));
    }

    @Test
    void shouldOpenTheCurrentProcesssTokenAndTheSameObjectAsPsReferencePrimaryToken() {
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwOpenProcessTokenEx(Zw.NtCurrentProcess, TOKEN_QUERY, 0x200, h));
        MemorySegment obj = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(h.get(JAVA_LONG_UNALIGNED, 0), 0, Se.SeTokenObjectType(), 0, obj,
                MemorySegment.NULL));
        MemorySegment t = Ps.PsReferencePrimaryToken(Ps.PsGetCurrentProcess());
        assertEquals(t.address(), obj.get(JAVA_LONG_UNALIGNED, 0));
        Ps.PsDereferencePrimaryToken(t);
        Ob.ObDereferenceObject(MemorySegment.ofAddress(obj.get(JAVA_LONG_UNALIGNED, 0)));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h.get(JAVA_LONG_UNALIGNED, 0)));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, Zw.ZwOpenProcessTokenEx(0x7FF0, TOKEN_QUERY, 0, h));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwOpenProcessTokenEx(Zw.NtCurrentProcess, TOKEN_QUERY, 0, MemorySegment.NULL));
    }

    // ===== impersonation =====

    @Test
    void shouldImpersonateRevertAndAnswerNoTokenAfterwards() {
        MemorySegment t = fx.token(user());
        long before = pointerCount(t);
        MemorySegment thread = Ps.PsGetCurrentThread();
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsImpersonateClient(thread, t, false, true, SecurityImpersonation));
        assertEquals(before + 1, pointerCount(t), "ClientSecurity holds one reference");
        long word = thread.reinterpret(ETHREAD.X64.size()).get(JAVA_LONG_UNALIGNED, ETHREAD.CLIENT_SECURITY_OFFSET);
        assertEquals(t.address() | SecurityImpersonation | ETHREAD.CLIENT_SECURITY_EFFECTIVE_ONLY, word);
        MemorySegment copy = fx.alloc(1);
        MemorySegment eff = fx.alloc(1);
        MemorySegment lvl = fx.alloc(4);
        MemorySegment r = Ps.PsReferenceImpersonationToken(thread, copy, eff, lvl);
        assertEquals(t.address(), r.address());
        assertEquals(1, eff.get(JAVA_BYTE, 0));
        assertEquals(SecurityImpersonation, lvl.get(JAVA_INT_UNALIGNED, 0));
        Ps.PsDereferenceImpersonationToken(r);
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwOpenThreadTokenEx(Zw.NtCurrentThread, TOKEN_QUERY, false, 0x200, h));
        Zw.ZwClose(h.get(JAVA_LONG_UNALIGNED, 0));
        Ps.PsRevertToSelf();
        assertEquals(before, pointerCount(t));
        assertEquals(0, Ps.PsReferenceImpersonationToken(thread, copy, eff, lvl).address());
        assertEquals(NtStatus.STATUS_NO_TOKEN, Zw.ZwOpenThreadTokenEx(Zw.NtCurrentThread, TOKEN_QUERY, false, 0, h));
        Ob.ObDereferenceObject(t);
    }

    @Test
    void shouldRefuseToOpenAnAnonymousImpersonationTokenAndABadLevel() {
        MemorySegment t = fx.token(user());
        MemorySegment thread = Ps.PsGetCurrentThread();
        assertEquals(NtStatus.STATUS_BAD_IMPERSONATION_LEVEL, Ps.PsImpersonateClient(thread, t, false, false, 4));
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsImpersonateClient(thread, t, false, false, SecurityAnonymous));
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_CANT_OPEN_ANONYMOUS, Zw.ZwOpenThreadTokenEx(Zw.NtCurrentThread, TOKEN_QUERY, true, 0, h));
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsImpersonateClient(thread, MemorySegment.NULL, false, false, 0), "NULL ends impersonation");
        assertEquals(NtStatus.STATUS_NO_TOKEN, Zw.ZwOpenThreadTokenEx(Zw.NtCurrentThread, TOKEN_QUERY, true, 0, h));
        Ob.ObDereferenceObject(t);
    }

    @Test
    void shouldNeverImpersonateAboveAnImpersonationTokensOwnLevel() {
        TokenFixture.Spec s = user();
        s.type = TokenImpersonation;
        s.level = SecurityIdentification;
        MemorySegment t = fx.token(s);
        MemorySegment thread = Ps.PsGetCurrentThread();
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsImpersonateClient(thread, t, false, false, SecurityDelegation));
        MemorySegment lvl = fx.alloc(4);
        MemorySegment r = Ps.PsReferenceImpersonationToken(thread, fx.alloc(1), fx.alloc(1), lvl);
        assertEquals(SecurityIdentification, lvl.get(JAVA_INT_UNALIGNED, 0));
        Ps.PsDereferenceImpersonationToken(r);
        Ps.PsRevertToSelf();
        Ob.ObDereferenceObject(t);
    }

    @Test
    void shouldDropTheImpersonationTokenWhenTheThreadIsDeleted() throws Exception {
        MemorySegment t = fx.token(user());
        long before = pointerCount(t);
        MemorySegment handle = fx.alloc(8);
        CountDownLatch done = new CountDownLatch(1);
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsCreateSystemThread(handle, 0x1FFFFF, MemorySegment.NULL, 0, MemorySegment.NULL, ctx -> {
            Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), t, false, false, SecurityImpersonation);
            done.countDown();
        }, MemorySegment.NULL));
        done.await();
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWaitForSingleObject(handle.get(JAVA_LONG_UNALIGNED, 0), false, MemorySegment.NULL));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle.get(JAVA_LONG_UNALIGNED, 0)));
        for (int i = 0; i < 200 && pointerCount(t) != before; i++) {
            Thread.sleep(5); // the ETHREAD's last reference may be dropped by the ending thread itself
        }
        assertEquals(before, pointerCount(t));
        Ob.ObDereferenceObject(t);
    }

    // ===== subject contexts and privilege checks =====

    @Test
    void shouldCaptureTheImpersonationAndPrimaryTokensAndReleaseTheirReferences() {
        MemorySegment t = fx.token(user());
        MemorySegment sys = Ps.PsReferencePrimaryToken(Ps.PsInitialSystemProcess());
        long sysCount = pointerCount(sys);
        long tCount = pointerCount(t);
        Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), t, false, false, SecurityDelegation);
        MemorySegment ctx = fx.alloc(SECURITY_SUBJECT_CONTEXT.X64.size());
        Se.SeCaptureSubjectContext(ctx);
        assertEquals(t.address(), ctx.get(JAVA_LONG_UNALIGNED, SECURITY_SUBJECT_CONTEXT.CLIENT_TOKEN_OFFSET));
        assertEquals(SecurityDelegation, ctx.get(JAVA_INT_UNALIGNED, SECURITY_SUBJECT_CONTEXT.IMPERSONATION_LEVEL_OFFSET));
        assertEquals(sys.address(), ctx.get(JAVA_LONG_UNALIGNED, SECURITY_SUBJECT_CONTEXT.PRIMARY_TOKEN_OFFSET));
        assertEquals(Ps.PsGetCurrentProcessId(), ctx.get(JAVA_LONG_UNALIGNED, SECURITY_SUBJECT_CONTEXT.PROCESS_AUDIT_ID_OFFSET));
        assertEquals(t.address(), Se.SeQuerySubjectContextToken(ctx).address());
        Se.SeLockSubjectContext(ctx);
        Se.SeLockSubjectContext(ctx);
        Se.SeUnlockSubjectContext(ctx);
        Se.SeUnlockSubjectContext(ctx);
        assertThrows(IllegalStateException.class, () -> Se.SeUnlockSubjectContext(ctx), "an unlock without its lock");
        Ps.PsRevertToSelf();
        assertEquals(tCount + 1, pointerCount(t), "the context still holds its reference");
        Se.SeReleaseSubjectContext(ctx);
        assertEquals(tCount, pointerCount(t));
        Se.SeReleaseSubjectContext(ctx); // cleared: drops nothing more
        assertEquals(tCount, pointerCount(t));
        Se.SeCaptureSubjectContext(ctx);
        assertEquals(0, ctx.get(JAVA_LONG_UNALIGNED, SECURITY_SUBJECT_CONTEXT.CLIENT_TOKEN_OFFSET));
        assertEquals(sys.address(), Se.SeQuerySubjectContextToken(ctx).address());
        Se.SeReleaseSubjectContext(ctx);
        Ps.PsDereferencePrimaryToken(sys);
        long word = Ps.PsInitialSystemProcess().reinterpret(EPROCESS.X64.size()).get(JAVA_LONG_UNALIGNED, EPROCESS.TOKEN_OFFSET);
        assertEquals(1 + (word & 15), pointerCount(sys), "every reference given back: the word's own and its reserve remain");
        assertTrue(sysCount >= 2);
        Ob.ObDereferenceObject(t);
    }

    @Test
    void shouldCheckSinglePrivilegesInTheEffectiveToken() {
        assertTrue(Se.SeSinglePrivilegeCheck(SE_SECURITY_PRIVILEGE, ObjectManager.KernelMode), "KernelMode always holds");
        assertFalse(Se.SeSinglePrivilegeCheck(SE_SECURITY_PRIVILEGE, ObjectManager.UserMode), "SYSTEM keeps it disabled");
        assertTrue(Se.SeSinglePrivilegeCheck(SE_TCB_PRIVILEGE, ObjectManager.UserMode));
        MemorySegment t = fx.token(user());
        Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), t, false, false, SecurityImpersonation);
        assertTrue(Se.SeSinglePrivilegeCheck(SE_CHANGE_NOTIFY_PRIVILEGE, ObjectManager.UserMode));
        assertFalse(Se.SeSinglePrivilegeCheck(SE_SHUTDOWN_PRIVILEGE, ObjectManager.UserMode), "held but disabled");
        assertFalse(Se.SeSinglePrivilegeCheck(SE_TCB_PRIVILEGE, ObjectManager.UserMode), "the impersonation token's, not SYSTEM's");
        Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), t, false, false, SecurityAnonymous);
        assertFalse(Se.SeSinglePrivilegeCheck(SE_CHANGE_NOTIFY_PRIVILEGE, ObjectManager.UserMode), "an anonymous client holds none");
        Ps.PsRevertToSelf();
        Ob.ObDereferenceObject(t);
    }

    @Test
    void shouldMarkUsedPrivilegesAndHonourAllNecessary() {
        MemorySegment t = fx.token(user());
        MemorySegment ctx = fx.context(t, null, 0);
        long entry = LUID_AND_ATTRIBUTES.X64.size();
        MemorySegment set = fx.alloc(PRIVILEGE_SET.PRIVILEGE_OFFSET + 2 * entry);
        set.fill((byte) 0);
        set.set(JAVA_INT_UNALIGNED, PRIVILEGE_SET.PRIVILEGE_COUNT_OFFSET, 2);
        set.set(JAVA_INT_UNALIGNED, PRIVILEGE_SET.CONTROL_OFFSET, PRIVILEGE_SET_ALL_NECESSARY);
        set.set(JAVA_LONG_UNALIGNED, PRIVILEGE_SET.PRIVILEGE_OFFSET, SE_CHANGE_NOTIFY_PRIVILEGE);
        set.set(JAVA_LONG_UNALIGNED, PRIVILEGE_SET.PRIVILEGE_OFFSET + entry, SE_SHUTDOWN_PRIVILEGE);
        assertFalse(Se.SePrivilegeCheck(set, ctx, ObjectManager.UserMode), "all necessary: shutdown is disabled");
        assertEquals(SE_PRIVILEGE_USED_FOR_ACCESS, set.get(JAVA_INT_UNALIGNED, PRIVILEGE_SET.PRIVILEGE_OFFSET + LUID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET));
        assertEquals(0, set.get(JAVA_INT_UNALIGNED, PRIVILEGE_SET.PRIVILEGE_OFFSET + entry + LUID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET));
        set.set(JAVA_INT_UNALIGNED, PRIVILEGE_SET.CONTROL_OFFSET, 0);
        assertTrue(Se.SePrivilegeCheck(set, ctx, ObjectManager.UserMode), "any one suffices");
        assertTrue(Se.SePrivilegeCheck(set, ctx, ObjectManager.KernelMode));
        MemorySegment client = fx.context(t, t, SecurityAnonymous);
        assertFalse(Se.SePrivilegeCheck(set, client, ObjectManager.UserMode), "an anonymous client holds none");
        Ob.ObDereferenceObject(t);
    }

    @Test
    void shouldLeaveNothingBehindAtKernelClose() {
        MemorySegment t = fx.token(user());
        Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), t, false, false, SecurityImpersonation);
        MemorySegment ctx = fx.alloc(SECURITY_SUBJECT_CONTEXT.X64.size());
        Se.SeCaptureSubjectContext(ctx);
        Se.SeReleaseSubjectContext(ctx);
        Ps.PsRevertToSelf();
        Ob.ObDereferenceObject(t);
        fx.free();
        kernel.close();
        assertTrue(kernel.leakReport().leaks().isEmpty(), () -> "leaks: " + kernel.leakReport());
        kernel = Kernel.boot(); // for close()
    }
}
