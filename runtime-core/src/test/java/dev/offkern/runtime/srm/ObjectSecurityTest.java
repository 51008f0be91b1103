package dev.offkern.runtime.srm;

import static dev.offkern.nt.SeConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Se;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.ob.OBJECT_HANDLE_INFORMATION;
import dev.offkern.layout.ob.OBJECT_HEADER;
import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.OB_SECURITY_METHOD;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.ObjectTypeProcedures;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The object manager enforcing security: descriptors on objects (OBJECT_HEADER.SecurityDescriptor as
 * an EX_FAST_REF, assigned at creation from OBJECT_ATTRIBUTES or the creator's token, freed with the
 * object), the access check when a UserMode caller opens a handle (ObOpenObjectByPointer, NtOpenEvent,
 * OBJ_FORCE_ACCESS_CHECK, NtDuplicateObject) and its enforcement by ObReferenceObjectByHandle,
 * ObGetObjectSecurity / ObReleaseObjectSecurity, Ob/Zw/NtSetSecurityObject and Zw/NtQuerySecurityObject,
 * a type's own security procedure, and every documented status. Facts: Microsoft's documentation of
 * each routine; ReactOS ntoskrnl/ob (obsecure.c, obhandle.c, oblife.c) for the statuses and the order
 * of the steps.
 */
class ObjectSecurityTest {
    private static final int QUERY = AccessMask.EVENT_QUERY_STATE;
    private static final int MODIFY = AccessMask.EVENT_MODIFY_STATE;
    private static final int ALL = AccessMask.EVENT_ALL_ACCESS;
    private static final String USER_A = "S-1-5-21-1-2-3-1001";
    private static final String USER_B = "S-1-5-21-1-2-3-1002";

    private Kernel kernel;
    private TokenFixture fx;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot();
        fx = new TokenFixture();
    }

    @AfterEach
    void close() {
        if (!kernel.isClosed()) {
            Ps.PsRevertToSelf();
            fx.free();
            kernel.close();
        }
    }

    private final List<MemorySegment> tokens = new ArrayList<>();

    /** A token (one reference, dropped by {@link #closeWithoutLeaks}). */
    private MemorySegment tok(TokenFixture.Spec spec) {
        MemorySegment t = fx.token(spec);
        tokens.add(t);
        return t;
    }

    /** Closes the kernel after the fixture's blocks are freed; nothing may be left (the descriptors went with their objects). */
    private void closeWithoutLeaks() {
        Ps.PsRevertToSelf();
        for (MemorySegment t : tokens) {
            Ob.ObDereferenceObject(t);
        }
        tokens.clear();
        fx.free();
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), () -> "leaked: " + kernel.leakReport());
    }

    private static TokenFixture.Spec token(String user) {
        TokenFixture.Spec s = new TokenFixture.Spec();
        s.user = user;
        return s.group("S-1-1-0", TokenFixture.ENABLED)                              // Everyone
                .group("S-1-5-32-544", SE_GROUP_USE_FOR_DENY_ONLY)                   // Administrators, deny-only
                .group("S-1-5-21-1-2-3-513", SE_GROUP_ENABLED_BY_DEFAULT)            // disabled
                .privilege(SE_CHANGE_NOTIFY_PRIVILEGE, SE_PRIVILEGE_ENABLED);
    }

    private void impersonate(MemorySegment token) {
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), token, false, false, SecurityImpersonation));
    }

    private MemorySegment unicode(String s) {
        byte[] chars = s.getBytes(StandardCharsets.UTF_16LE);
        MemorySegment b = fx.alloc(16 + Math.max(2, chars.length));
        b.set(JAVA_SHORT_UNALIGNED, UNICODE_STRING.LENGTH_OFFSET, (short) chars.length);
        b.set(JAVA_SHORT_UNALIGNED, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) chars.length);
        b.set(JAVA_LONG_UNALIGNED, UNICODE_STRING.BUFFER_OFFSET, b.address() + 16);
        MemorySegment.copy(chars, 0, b, JAVA_BYTE, 16, chars.length);
        return b;
    }

    private MemorySegment attributes(String name, int attributes, MemorySegment sd) {
        MemorySegment oa = fx.alloc(0x30);
        Ob.InitializeObjectAttributes(oa, name == null ? MemorySegment.NULL : unicode(name), attributes, 0, sd);
        return oa;
    }

    /** A new event (kernel mode, so unchecked) named {@code name} with descriptor {@code sddl} (null: defaults); its kernel handle. */
    private long event(String name, String sddl) {
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwCreateEvent(h, ALL, attributes(name, ObjectAttributes.OBJ_KERNEL_HANDLE,
                sddl == null ? MemorySegment.NULL : fx.sd(sddl)), Ke.NotificationEvent, false), () -> "ZwCreateEvent " + name + " " + sddl);
        return h.get(JAVA_LONG_UNALIGNED, 0);
    }

    private MemorySegment objectOf(long handle) {
        MemorySegment out = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, MemorySegment.NULL, Ob.KernelMode, out,
                MemorySegment.NULL));
        MemorySegment body = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        Ob.ObDereferenceObject(body); // the handle keeps it alive
        return body;
    }

    private long headerWord(MemorySegment body) {
        return kernel.addressSpace().resolve(body.address() - ObjectManager.HEADER_SIZE, OBJECT_HEADER.X64.size())
                .get(JAVA_LONG_UNALIGNED, OBJECT_HEADER.SECURITY_DESCRIPTOR_OFFSET);
    }

    private String sddlOf(long sd) {
        MemorySegment out = fx.alloc(8);
        assertTrue(Se.ConvertSecurityDescriptorToStringSecurityDescriptorW(MemorySegment.ofAddress(sd), 1,
                OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, out, MemorySegment.NULL));
        MemorySegment s = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)).reinterpret(4000);
        StringBuilder b = new StringBuilder();
        for (long i = 0; s.get(JAVA_SHORT_UNALIGNED, i) != 0; i += 2) {
            b.append((char) s.get(JAVA_SHORT_UNALIGNED, i));
        }
        Ex.ExFreePool(MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)));
        return b.toString();
    }

    /** {@code sddl} in the canonical form ConvertSecurityDescriptorToStringSecurityDescriptorW writes. */
    private String canon(String sddl) {
        return sddlOf(fx.sd(sddl).address());
    }

    /** ObOpenObjectByPointer for the caller: the status, and the handle's granted access in {@code granted[0]} (closed again). */
    private int openByPointer(MemorySegment body, int desired, int mode, int attributes, int[] granted) {
        MemorySegment h = fx.alloc(8);
        int st = Ob.ObOpenObjectByPointer(body, attributes, MemorySegment.NULL, desired, Ex.ExEventObjectType(), mode, h);
        if (st == NtStatus.STATUS_SUCCESS) {
            long handle = h.get(JAVA_LONG_UNALIGNED, 0);
            granted[0] = grantedAccess(handle);
            assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
        }
        return st;
    }

    private int grantedAccess(long handle) {
        MemorySegment out = fx.alloc(8);
        MemorySegment info = fx.alloc(OBJECT_HANDLE_INFORMATION.X64.size());
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, MemorySegment.NULL, Ob.KernelMode, out, info));
        Ob.ObDereferenceObject(MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)));
        return info.get(JAVA_INT_UNALIGNED, OBJECT_HANDLE_INFORMATION.GRANTED_ACCESS_OFFSET);
    }

    // ===== descriptors on objects =====

    @Test
    void shouldKeepTheExplicitDescriptorSelfRelativeBehindAFastReferenceInTheHeader() {
        String sddl = "O:BAG:SYD:(A;;0x1f0003;;;WD)";
        MemorySegment given = fx.sd(sddl);
        long h = event("\\BaseNamedObjects\\Sd1", sddl);
        MemorySegment body = objectOf(h);
        long word = headerWord(body);
        long sd = word & ~15L;
        assertEquals(15, word & 15, "a full reserve of fast references");
        assertEquals(0, sd & 15, "16-aligned");
        assertArrayEquals(given.toArray(JAVA_BYTE), kernel.addressSpace().resolve(sd, given.byteSize()).toArray(JAVA_BYTE),
                "the header names a byte-exact self-relative copy");
        assertEquals(canon(sddl), sddlOf(sd));

        MemorySegment out = fx.alloc(8);
        MemorySegment allocated = fx.alloc(1);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObGetObjectSecurity(body, out, allocated));
        assertEquals(sd, out.get(JAVA_LONG_UNALIGNED, 0));
        assertEquals(0, allocated.get(JAVA_BYTE, 0));
        assertEquals(14, headerWord(body) & 15, "ObGetObjectSecurity took one reserve reference");
        Ob.ObReleaseObjectSecurity(MemorySegment.ofAddress(sd), false);
        Zw.ZwClose(h);
        closeWithoutLeaks();
    }

    @Test
    void shouldDefaultANamedObjectsDescriptorFromTheCreatorsTokenAndLeaveAnUnnamedOneUnprotected() {
        TokenFixture.Spec spec = token(USER_A);
        spec.defaultDacl = "D:(A;;0x1f0003;;;" + USER_A + ")(A;;0x1;;;WD)";
        spec.primaryGroup = "S-1-1-0";
        MemorySegment t = tok(spec);
        impersonate(t);
        long named = event("\\BaseNamedObjects\\Sd2", null);
        long unnamed = event(null, null);
        Ps.PsRevertToSelf();
        long sd = headerWord(objectOf(named)) & ~15L;
        assertEquals(canon("O:" + USER_A + "G:WDD:(A;;0x1f0003;;;" + USER_A + ")(A;;0x1;;;WD)"), sddlOf(sd));
        assertEquals(0, headerWord(objectOf(unnamed)), "an unnamed event of a type without SecurityRequired gets none");
        MemorySegment out = fx.alloc(8);
        MemorySegment allocated = fx.alloc(1);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObGetObjectSecurity(objectOf(unnamed), out, allocated));
        assertEquals(0, out.get(JAVA_LONG_UNALIGNED, 0));
        int[] granted = new int[1];
        impersonate(t);
        assertEquals(NtStatus.STATUS_SUCCESS, openByPointer(objectOf(unnamed), MODIFY, Ob.UserMode, 0, granted), "no descriptor: no protection");
        assertEquals(MODIFY, granted[0]);
        Ps.PsRevertToSelf();
        Ob.ObReleaseObjectSecurity(MemorySegment.NULL, false); // NULL: nothing
        Zw.ZwClose(named);
        Zw.ZwClose(unnamed);
        closeWithoutLeaks();
    }

    @Test
    void shouldGiveANewTokenTheDescriptorItsObjectAttributesName() {
        MemorySegment h = fx.alloc(8);
        fx.securityDescriptor = fx.sd("O:BAG:SYD:(A;;0xf01ff;;;SY)");
        assertEquals(NtStatus.STATUS_SUCCESS, fx.create(token(USER_A), h));
        fx.securityDescriptor = null;
        long handle = h.get(JAVA_LONG_UNALIGNED, 0);
        MemorySegment out = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, Se.SeTokenObjectType(), Ob.KernelMode, out,
                MemorySegment.NULL));
        MemorySegment token = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        assertEquals(canon("O:BAG:SYD:(A;;0xf01ff;;;SY)"), sddlOf(headerWord(token) & ~15L));
        Ob.ObDereferenceObject(token);
        Zw.ZwClose(handle);
        closeWithoutLeaks();
    }

    @Test
    void shouldRefuseACreationWhoseDescriptorIsInvalidOrNamesAnOwnerTheCreatorMayNotBeAndLeakNothing() {
        MemorySegment t = tok(token(USER_A));
        impersonate(t);
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_INVALID_OWNER, Zw.ZwCreateEvent(h, ALL, attributes("\\BaseNamedObjects\\Sd3", ObjectAttributes.OBJ_KERNEL_HANDLE,
                fx.sd("O:S-1-5-21-9-9-9-9G:SYD:")), Ke.NotificationEvent, false));
        MemorySegment garbage = fx.alloc(64);
        garbage.fill((byte) 0x7F);
        assertEquals(NtStatus.STATUS_INVALID_SECURITY_DESCR, Zw.ZwCreateEvent(h, ALL, attributes(null, ObjectAttributes.OBJ_KERNEL_HANDLE,
                garbage), Ke.NotificationEvent, false));
        Ps.PsRevertToSelf();
        closeWithoutLeaks();
    }

    // ===== access checks at open =====

    /** One row: a token (null: the System process's SYSTEM token), a descriptor, the rights asked, the outcome. */
    private record Row(String user, String sddl, int desired, int status, int granted) {
    }

    @Test
    void shouldGrantOrDenyUserModeOpensByTokenAndDescriptorAndSkipTheCheckForKernelMode() {
        String ba = "O:BAG:SYD:";
        List<Row> rows = List.of(
                new Row(USER_A, ba + "(A;;0x1;;;WD)", QUERY, NtStatus.STATUS_SUCCESS, QUERY),
                new Row(USER_A, ba + "(A;;0x1;;;WD)", MODIFY, NtStatus.STATUS_ACCESS_DENIED, 0),
                new Row(USER_A, ba + "(A;;0x1;;;WD)", AccessMask.MAXIMUM_ALLOWED, NtStatus.STATUS_SUCCESS, QUERY),
                new Row(USER_A, ba + "(A;;0x1;;;WD)", AccessMask.GENERIC_READ, NtStatus.STATUS_ACCESS_DENIED, 0), // READ_CONTROL | QUERY
                new Row(USER_A, ba + "(A;;0x20001;;;WD)", AccessMask.GENERIC_READ, NtStatus.STATUS_SUCCESS, 0x20001),
                new Row(USER_A, ba + "(D;;0x2;;;BA)(A;;0x1f0003;;;WD)", MODIFY, NtStatus.STATUS_ACCESS_DENIED, 0), // deny-only group
                new Row(USER_A, ba + "(D;;0x2;;;BA)(A;;0x1f0003;;;WD)", QUERY, NtStatus.STATUS_SUCCESS, QUERY),
                new Row(USER_A, ba + "(D;;0x2;;;BA)(A;;0x1f0003;;;WD)", AccessMask.MAXIMUM_ALLOWED, NtStatus.STATUS_SUCCESS, ALL & ~MODIFY),
                new Row(USER_A, ba + "(A;;0x2;;;S-1-5-21-1-2-3-513)", MODIFY, NtStatus.STATUS_ACCESS_DENIED, 0),  // disabled group
                new Row(USER_A, ba + "(A;;0x1f0003;;;" + USER_A + ")", AccessMask.GENERIC_ALL, NtStatus.STATUS_SUCCESS, ALL),
                new Row(USER_B, ba + "(A;;0x1f0003;;;" + USER_A + ")", QUERY, NtStatus.STATUS_ACCESS_DENIED, 0),
                new Row(USER_A, "O:BAG:SYD:NO_ACCESS_CONTROL", AccessMask.MAXIMUM_ALLOWED, NtStatus.STATUS_SUCCESS, ALL),
                new Row(USER_A, "O:BAG:SYD:NO_ACCESS_CONTROL", MODIFY, NtStatus.STATUS_SUCCESS, MODIFY),
                new Row(USER_A, ba, QUERY, NtStatus.STATUS_ACCESS_DENIED, 0),                                    // empty DACL
                new Row(USER_A, "O:" + USER_A + "G:SYD:", AccessMask.MAXIMUM_ALLOWED, NtStatus.STATUS_SUCCESS,
                        AccessMask.READ_CONTROL | AccessMask.WRITE_DAC),                                          // the owner's implicit rights
                new Row(USER_A, "O:BAG:SYD:NO_ACCESS_CONTROL", AccessMask.ACCESS_SYSTEM_SECURITY, NtStatus.STATUS_PRIVILEGE_NOT_HELD, 0),
                new Row(null, "O:BAG:SYD:(A;;0x1f0003;;;SY)", AccessMask.MAXIMUM_ALLOWED, NtStatus.STATUS_SUCCESS, ALL),  // primary token
                new Row(null, "O:BAG:SYD:(A;;0x1;;;WD)", MODIFY, NtStatus.STATUS_ACCESS_DENIED, 0));
        MemorySegment a = tok(token(USER_A));
        MemorySegment b = tok(token(USER_B));
        int i = 0;
        for (Row r : rows) {
            String at = "row " + i + ": " + r;
            if (r.sddl().startsWith("O:" + USER_A)) {
                impersonate(a); // only user A may make itself the owner (SYSTEM's SeRestorePrivilege is disabled)
            }
            long h = event("\\BaseNamedObjects\\Row" + i++, r.sddl());
            Ps.PsRevertToSelf();
            MemorySegment body = objectOf(h);
            if (r.user() != null) {
                impersonate(r.user().equals(USER_A) ? a : b);
            }
            int[] granted = new int[1];
            assertEquals(r.status(), openByPointer(body, r.desired(), Ob.UserMode, 0, granted), at);
            if (r.status() == NtStatus.STATUS_SUCCESS) {
                assertEquals(r.granted(), granted[0], at);
            }
            // The same answer through the name, from user mode (NtOpenEvent) and with OBJ_FORCE_ACCESS_CHECK (ZwOpenEvent).
            MemorySegment hn = fx.alloc(8);
            MemorySegment oa = attributes("\\BaseNamedObjects\\Row" + (i - 1), 0, MemorySegment.NULL);
            int st = kernel.objects().callFromUserMode(() -> Zw.NtOpenEvent(hn, r.desired(), oa));
            assertEquals(r.status(), st, at + " (NtOpenEvent)");
            if (st == NtStatus.STATUS_SUCCESS) {
                assertEquals(r.granted(), grantedAccess(hn.get(JAVA_LONG_UNALIGNED, 0)), at);
                assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(hn.get(JAVA_LONG_UNALIGNED, 0)));
            }
            MemorySegment forced = attributes("\\BaseNamedObjects\\Row" + (i - 1), ObjectAttributes.OBJ_FORCE_ACCESS_CHECK
                    | ObjectAttributes.OBJ_KERNEL_HANDLE, MemorySegment.NULL);
            st = Zw.ZwOpenEvent(hn, r.desired(), forced);
            assertEquals(r.status(), st, at + " (ZwOpenEvent, OBJ_FORCE_ACCESS_CHECK)");
            if (st == NtStatus.STATUS_SUCCESS) {
                Zw.ZwClose(hn.get(JAVA_LONG_UNALIGNED, 0));
            }
            if (r.desired() != AccessMask.ACCESS_SYSTEM_SECURITY) {
                assertEquals(NtStatus.STATUS_SUCCESS, openByPointer(body, r.desired(), Ob.KernelMode, 0, granted), at + " (KernelMode)");
                assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwOpenEvent(hn, r.desired(), attributes("\\BaseNamedObjects\\Row" + (i - 1),
                        ObjectAttributes.OBJ_KERNEL_HANDLE, MemorySegment.NULL)), at + " (ZwOpenEvent)");
                Zw.ZwClose(hn.get(JAVA_LONG_UNALIGNED, 0));
            }
            Ps.PsRevertToSelf();
            Zw.ZwClose(h);
        }
        closeWithoutLeaks();
    }

    @Test
    void shouldEnforceTheGrantedAccessOnUserModeReferencesOnly() {
        long h = event("\\BaseNamedObjects\\Enforce", "O:BAG:SYD:(A;;0x1;;;WD)");
        MemorySegment body = objectOf(h);
        MemorySegment a = tok(token(USER_A));
        impersonate(a);
        MemorySegment hu = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObOpenObjectByPointer(body, 0, MemorySegment.NULL, AccessMask.MAXIMUM_ALLOWED,
                Ex.ExEventObjectType(), Ob.UserMode, hu));
        Ps.PsRevertToSelf();
        long user = hu.get(JAVA_LONG_UNALIGNED, 0);
        MemorySegment out = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(user, QUERY, Ex.ExEventObjectType(), Ob.UserMode, out,
                MemorySegment.NULL));
        Ob.ObDereferenceObject(MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)));
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, Ob.ObReferenceObjectByHandle(user, MODIFY, Ex.ExEventObjectType(), Ob.UserMode,
                out, MemorySegment.NULL));
        assertEquals(0, out.get(JAVA_LONG_UNALIGNED, 0));
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, Ob.ObReferenceObjectByHandle(user, AccessMask.GENERIC_READ, Ex.ExEventObjectType(),
                Ob.UserMode, out, MemorySegment.NULL), "GENERIC_READ maps to READ_CONTROL | EVENT_QUERY_STATE");
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(user, MODIFY, Ex.ExEventObjectType(), Ob.KernelMode, out,
                MemorySegment.NULL), "KernelMode skips the check");
        Ob.ObDereferenceObject(MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)));
        impersonate(a);
        MemorySegment name = unicode("\\BaseNamedObjects\\Enforce");
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, Ob.ObReferenceObjectByName(name, 0, MemorySegment.NULL, MODIFY, Ex.ExEventObjectType(),
                Ob.UserMode, MemorySegment.NULL, out), "ObReferenceObjectByName checks a UserMode caller's access");
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByName(name, 0, MemorySegment.NULL, QUERY, Ex.ExEventObjectType(),
                Ob.UserMode, MemorySegment.NULL, out));
        Ob.ObDereferenceObject(MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)));
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByName(name, 0, MemorySegment.NULL, MODIFY, Ex.ExEventObjectType(),
                Ob.KernelMode, MemorySegment.NULL, out), "KernelMode: unchecked");
        Ob.ObDereferenceObject(MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)));
        Ps.PsRevertToSelf();
        Zw.ZwClose(user);
        Zw.ZwClose(h);
        closeWithoutLeaks();
    }

    @Test
    void shouldCheckOnlyTheNewRightsOfAUserModeDuplicate() {
        long h = event("\\BaseNamedObjects\\Dup", "O:BAG:SYD:(A;;0x100001;;;WD)");
        MemorySegment body = objectOf(h);
        MemorySegment a = tok(token(USER_A));
        impersonate(a);
        MemorySegment hu = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObOpenObjectByPointer(body, 0, MemorySegment.NULL, QUERY, Ex.ExEventObjectType(),
                Ob.UserMode, hu));
        long user = hu.get(JAVA_LONG_UNALIGNED, 0);
        MemorySegment copy = fx.alloc(8);
        ObjectManager ob = kernel.objects();
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, (int) ob.callFromUserMode(() -> Zw.NtDuplicateObject(Zw.NtCurrentProcess, user,
                Zw.NtCurrentProcess, copy, QUERY | MODIFY, 0, 0)));
        assertEquals(NtStatus.STATUS_SUCCESS, (int) ob.callFromUserMode(() -> Zw.NtDuplicateObject(Zw.NtCurrentProcess, user,
                Zw.NtCurrentProcess, copy, QUERY | AccessMask.SYNCHRONIZE, 0, 0)), "the descriptor grants SYNCHRONIZE too");
        assertEquals(QUERY | AccessMask.SYNCHRONIZE, grantedAccess(copy.get(JAVA_LONG_UNALIGNED, 0)));
        Zw.ZwClose(copy.get(JAVA_LONG_UNALIGNED, 0));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, (int) ob.callFromUserMode(() -> Zw.NtDuplicateObject(Zw.NtCurrentProcess, h,
                Zw.NtCurrentProcess, copy, QUERY, 0, 0)), "kernel handles are invisible to user mode");
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwDuplicateObject(Zw.NtCurrentProcess, user, Zw.NtCurrentProcess, copy, QUERY | MODIFY, 0, 0),
                "ZwDuplicateObject: previous mode KernelMode");
        assertEquals(QUERY | MODIFY, grantedAccess(copy.get(JAVA_LONG_UNALIGNED, 0)));
        Zw.ZwClose(copy.get(JAVA_LONG_UNALIGNED, 0));
        Ps.PsRevertToSelf();
        Zw.ZwClose(user);
        Zw.ZwClose(h);
        closeWithoutLeaks();
    }

    @Test
    void shouldAccessCheckTheOpenOfAnExistingEventThroughOpenIfFromUserMode() {
        long h = event("\\BaseNamedObjects\\OpenIf", "O:BAG:SYD:(A;;0x1;;;WD)");
        MemorySegment a = tok(token(USER_A));
        impersonate(a);
        MemorySegment hn = fx.alloc(8);
        MemorySegment oa = attributes("\\BaseNamedObjects\\OpenIf", ObjectAttributes.OBJ_OPENIF, MemorySegment.NULL);
        ObjectManager ob = kernel.objects();
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, (int) ob.callFromUserMode(() -> Zw.NtCreateEvent(hn, MODIFY, oa, Ke.NotificationEvent, false)));
        assertEquals(NtStatus.STATUS_OBJECT_NAME_EXISTS, (int) ob.callFromUserMode(() -> Zw.NtCreateEvent(hn, QUERY, oa, Ke.NotificationEvent,
                false)));
        assertEquals(QUERY, grantedAccess(hn.get(JAVA_LONG_UNALIGNED, 0)));
        Zw.ZwClose(hn.get(JAVA_LONG_UNALIGNED, 0));
        Ps.PsRevertToSelf();
        Zw.ZwClose(h);
        closeWithoutLeaks();
    }

    // ===== setting and querying =====

    @Test
    void shouldApplyANewDaclToLaterOpensWhileEarlierHandlesKeepTheirAccess() {
        long h = event("\\BaseNamedObjects\\Set", "O:BAG:SYD:(A;;0x1f0003;;;WD)");
        MemorySegment body = objectOf(h);
        MemorySegment a = tok(token(USER_A));
        impersonate(a);
        MemorySegment hu = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObOpenObjectByPointer(body, 0, MemorySegment.NULL, ALL, Ex.ExEventObjectType(),
                Ob.UserMode, hu));
        Ps.PsRevertToSelf();
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObSetSecurityObjectByPointer(body, DACL_SECURITY_INFORMATION, fx.sd("D:(A;;GR;;;WD)")));
        assertEquals(canon("O:BAG:SYD:(A;;0x20001;;;WD)"), sddlOf(headerWord(body) & ~15L), "owner and group kept, generic rights mapped");
        impersonate(a);
        int[] granted = new int[1];
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, openByPointer(body, MODIFY, Ob.UserMode, 0, granted));
        Ps.PsRevertToSelf();
        assertEquals(ALL, grantedAccess(hu.get(JAVA_LONG_UNALIGNED, 0)), "the earlier handle keeps what it was granted");
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwSetSecurityObject(h, OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION,
                fx.sd("O:SYG:BA")));
        assertEquals(canon("O:SYG:BAD:(A;;0x20001;;;WD)"), sddlOf(headerWord(body) & ~15L));
        Zw.ZwClose(hu.get(JAVA_LONG_UNALIGNED, 0));
        Zw.ZwClose(h);
        closeWithoutLeaks();
    }

    @Test
    void shouldReturnEachDocumentedStatusOfTheSetAndQueryRoutines() {
        long h = event("\\BaseNamedObjects\\Statuses", "O:BAG:SYD:(A;;0x1;;;WD)");
        MemorySegment body = objectOf(h);
        assertEquals(NtStatus.STATUS_ACCESS_VIOLATION, Ob.ObSetSecurityObjectByPointer(body, DACL_SECURITY_INFORMATION, MemorySegment.NULL));
        MemorySegment garbage = fx.alloc(64);
        garbage.fill((byte) 0x7F);
        assertEquals(NtStatus.STATUS_INVALID_SECURITY_DESCR, Ob.ObSetSecurityObjectByPointer(body, DACL_SECURITY_INFORMATION, garbage));
        assertEquals(NtStatus.STATUS_INVALID_OWNER, Ob.ObSetSecurityObjectByPointer(body, OWNER_SECURITY_INFORMATION, fx.sd("D:")));
        assertEquals(NtStatus.STATUS_INVALID_PRIMARY_GROUP, Ob.ObSetSecurityObjectByPointer(body, GROUP_SECURITY_INFORMATION, fx.sd("D:")));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, Zw.ZwSetSecurityObject(0x7FFC, DACL_SECURITY_INFORMATION, fx.sd("D:")));

        MemorySegment need = fx.alloc(4);
        MemorySegment buf = fx.alloc(256);
        int info = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
        assertEquals(NtStatus.STATUS_BUFFER_TOO_SMALL, Zw.ZwQuerySecurityObject(h, info, buf, 8, need));
        int needed = need.get(JAVA_INT_UNALIGNED, 0);
        assertTrue(needed > 20);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwQuerySecurityObject(h, info, buf, 256, need));
        assertEquals(canon("O:BAD:(A;;0x1;;;WD)"), sddlOf(buf.address()), "only the parts asked for");
        assertEquals(NtStatus.STATUS_ACCESS_VIOLATION, Zw.ZwQuerySecurityObject(h, info, buf, 256, MemorySegment.NULL));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, Zw.ZwQuerySecurityObject(0x7FFC, info, buf, 256, need));
        long unnamed = event(null, null);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwQuerySecurityObject(unnamed, info, buf, 256, need));
        assertEquals(20, need.get(JAVA_INT_UNALIGNED, 0), "no descriptor: an empty self-relative one");
        assertEquals(NtStatus.STATUS_NO_SECURITY_ON_OBJECT, Zw.ZwSetSecurityObject(unnamed, DACL_SECURITY_INFORMATION, fx.sd("D:")));

        // From user mode the handle must hold READ_CONTROL / WRITE_DAC.
        MemorySegment a = tok(token(USER_A));
        impersonate(a);
        MemorySegment hu = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObOpenObjectByPointer(body, 0, MemorySegment.NULL, QUERY, Ex.ExEventObjectType(),
                Ob.UserMode, hu));
        long user = hu.get(JAVA_LONG_UNALIGNED, 0);
        ObjectManager ob = kernel.objects();
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, (int) ob.callFromUserMode(() -> Zw.NtQuerySecurityObject(user, info, buf, 256, need)));
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, (int) ob.callFromUserMode(() -> Zw.NtSetSecurityObject(user, DACL_SECURITY_INFORMATION,
                fx.sd("D:"))));
        Ps.PsRevertToSelf();
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.NtQuerySecurityObject(user, info, buf, 256, need), "previous mode KernelMode");

        assertThrows(IllegalArgumentException.class, () -> Ob.ObGetObjectSecurity(body, MemorySegment.NULL, fx.alloc(1)));
        assertThrows(IllegalArgumentException.class, () -> Ob.ObReleaseObjectSecurity(fx.alloc(64), false),
                "a pointer ObGetObjectSecurity did not return");
        Zw.ZwClose(user);
        Zw.ZwClose(unnamed);
        Zw.ZwClose(h);
        closeWithoutLeaks();
    }

    @Test
    void shouldGiveEveryObjectOfASecurityRequiredTypeADescriptorNamedOrNot() {
        MemorySegment init = fx.alloc(OBJECT_TYPE_INITIALIZER.X64.size());
        init.fill((byte) 0);
        init.set(JAVA_SHORT_UNALIGNED, OBJECT_TYPE_INITIALIZER.LENGTH_OFFSET, (short) OBJECT_TYPE_INITIALIZER.X64.size());
        init.set(JAVA_SHORT_UNALIGNED, OBJECT_TYPE_INITIALIZER.OBJECT_TYPE_FLAGS_OFFSET, (short) dev.offkern.runtime.ob.ObjectType.SECURITY_REQUIRED);
        init.set(JAVA_INT_UNALIGNED, OBJECT_TYPE_INITIALIZER.VALID_ACCESS_MASK_OFFSET, 0x1F0003);
        long gm = OBJECT_TYPE_INITIALIZER.GENERIC_MAPPING_OFFSET;
        init.set(JAVA_INT_UNALIGNED, gm, 0x20001);
        init.set(JAVA_INT_UNALIGNED, gm + 4, 0x20002);
        init.set(JAVA_INT_UNALIGNED, gm + 8, 0x120000);
        init.set(JAVA_INT_UNALIGNED, gm + 12, 0x1F0003);
        MemorySegment typeOut = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObCreateObjectType(unicode("SecRequired"), init, MemorySegment.NULL, typeOut));
        MemorySegment type = MemorySegment.ofAddress(typeOut.get(JAVA_LONG_UNALIGNED, 0));
        MemorySegment objOut = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObCreateObject(Ob.KernelMode, type, MemorySegment.NULL, Ob.KernelMode, MemorySegment.NULL, 16,
                0, 0, objOut));
        MemorySegment obj = MemorySegment.ofAddress(objOut.get(JAVA_LONG_UNALIGNED, 0));
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObInsertObject(obj, MemorySegment.NULL, ALL, 0, MemorySegment.NULL, h));
        long sd = headerWord(obj) & ~15L;
        assertNotEquals(0, sd, "unnamed, no explicit descriptor: the creator's defaults all the same");
        assertEquals(canon("O:BAG:SYD:(A;;0x1f0003;;;SY)(A;;0x120001;;;BA)"), sddlOf(sd),
                "the SYSTEM token's owner, group and default DACL, its generic rights mapped with the type's mapping");
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h.get(JAVA_LONG_UNALIGNED, 0)));
        closeWithoutLeaks();
    }

    // ===== a type's own security procedure =====

    @Test
    void shouldLeaveTheDescriptorToATypesSecurityProcedureWhenItHasOne() {
        List<Integer> calls = new ArrayList<>();
        OB_SECURITY_METHOD proc = (object, op, info, sd, length, field, poolType, mapping) -> {
            calls.add(op);
            MemorySegment f = field.reinterpret(8);
            switch (op) {
                case OB_SECURITY_METHOD.AssignSecurityDescriptor -> f.set(JAVA_LONG_UNALIGNED, 0, sd.address()); // keeps it
                case OB_SECURITY_METHOD.QuerySecurityDescriptor -> {
                    long stored = f.get(JAVA_LONG_UNALIGNED, 0);
                    int len = dev.offkern.ddi.Rtl.RtlLengthSecurityDescriptor(MemorySegment.ofAddress(stored));
                    MemorySegment lenOut = length.reinterpret(4);
                    if (lenOut.get(JAVA_INT_UNALIGNED, 0) < len) {
                        lenOut.set(JAVA_INT_UNALIGNED, 0, len);
                        return NtStatus.STATUS_BUFFER_TOO_SMALL;
                    }
                    MemorySegment.copy(MemorySegment.ofAddress(stored).reinterpret(len), 0, sd.reinterpret(len), 0, len);
                    lenOut.set(JAVA_INT_UNALIGNED, 0, len);
                }
                case OB_SECURITY_METHOD.DeleteSecurityDescriptor -> Ex.ExFreePool(sd);
                default -> {
                    return NtStatus.STATUS_INVALID_PARAMETER;
                }
            }
            return NtStatus.STATUS_SUCCESS;
        };
        MemorySegment init = fx.alloc(OBJECT_TYPE_INITIALIZER.X64.size());
        init.fill((byte) 0);
        init.set(JAVA_SHORT_UNALIGNED, OBJECT_TYPE_INITIALIZER.LENGTH_OFFSET, (short) OBJECT_TYPE_INITIALIZER.X64.size());
        init.set(JAVA_INT_UNALIGNED, OBJECT_TYPE_INITIALIZER.VALID_ACCESS_MASK_OFFSET, 0x1F0003);
        long gm = OBJECT_TYPE_INITIALIZER.GENERIC_MAPPING_OFFSET;
        init.set(JAVA_INT_UNALIGNED, gm, 0x20001);
        init.set(JAVA_INT_UNALIGNED, gm + 4, 0x20002);
        init.set(JAVA_INT_UNALIGNED, gm + 8, 0x120000);
        init.set(JAVA_INT_UNALIGNED, gm + 12, 0x1F0003);
        MemorySegment typeOut = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObCreateObjectType(unicode("SecProcType"), init, MemorySegment.NULL, typeOut,
                new ObjectTypeProcedures(null, null, null, null, proc)));
        MemorySegment type = MemorySegment.ofAddress(typeOut.get(JAVA_LONG_UNALIGNED, 0));
        MemorySegment objOut = fx.alloc(8);
        MemorySegment oa = attributes("\\SecProc\\One", ObjectAttributes.OBJ_KERNEL_HANDLE, fx.sd("O:BAG:SYD:(A;;0x1;;;WD)"));
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObCreateObject(Ob.KernelMode, type, oa, Ob.KernelMode, MemorySegment.NULL, 16, 0, 0, objOut));
        MemorySegment obj = MemorySegment.ofAddress(objOut.get(JAVA_LONG_UNALIGNED, 0));
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObInsertObject(obj, MemorySegment.NULL, ALL, 0, MemorySegment.NULL, h));
        assertEquals(List.of(OB_SECURITY_METHOD.AssignSecurityDescriptor), calls);
        MemorySegment out = fx.alloc(8);
        MemorySegment allocated = fx.alloc(1);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObGetObjectSecurity(obj, out, allocated));
        assertEquals(1, allocated.get(JAVA_BYTE, 0), "a copy the procedure filled");
        assertEquals(canon("O:BAG:SYD:(A;;0x1;;;WD)"), sddlOf(out.get(JAVA_LONG_UNALIGNED, 0)));
        Ob.ObReleaseObjectSecurity(MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)), true);
        MemorySegment a = tok(token(USER_A));
        impersonate(a);
        MemorySegment hu = fx.alloc(8);
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, Ob.ObOpenObjectByPointer(obj, 0, MemorySegment.NULL, MODIFY, type, Ob.UserMode, hu),
                "the access check reads the descriptor through the procedure");
        Ps.PsRevertToSelf();
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(h.get(JAVA_LONG_UNALIGNED, 0)));
        assertEquals(OB_SECURITY_METHOD.DeleteSecurityDescriptor, calls.get(calls.size() - 1));
        closeWithoutLeaks();
    }

    // ===== concurrency =====

    @Test
    void shouldKeepEveryOpenConsistentWithOneDescriptorWhileAnotherThreadKeepsChangingIt() throws Exception {
        // Two DACLs the setter alternates; each opener's token gets a grant consistent with one of them.
        String daclX = "D:(A;;0x1f0003;;;" + USER_A + ")(A;;0x1;;;" + USER_B + ")";
        String daclY = "D:(A;;0x1;;;" + USER_A + ")(A;;0x1f0003;;;" + USER_B + ")(A;;0x100000;;;WD)";
        long h = event("\\BaseNamedObjects\\Race", "O:BAG:SY" + daclX);
        MemorySegment body = objectOf(h);
        MemorySegment sdX = fx.sd(daclX);
        MemorySegment sdY = fx.sd(daclY);
        String[] users = {USER_A, USER_B, "S-1-5-21-1-2-3-1003"};
        MemorySegment[] tokens = new MemorySegment[users.length];
        for (int i = 0; i < users.length; i++) {
            tokens[i] = tok(token(users[i]));
        }
        // Allowed MAXIMUM_ALLOWED results per user: under X, under Y.
        int sync = AccessMask.SYNCHRONIZE;
        @SuppressWarnings("unchecked")
        Set<Integer>[] allowed = List.of(Set.of(ALL, QUERY | sync), Set.of(QUERY, ALL), Set.of(sync)).toArray(Set[]::new);
        int rounds = 3000;
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong[] opened = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
        AtomicLong[] denied = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int u = 0; u < users.length; u++) {
            int user = u;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    impersonate(tokens[user]);
                    MemorySegment hu = Ex.ExAllocatePool2(dev.offkern.nt.PoolFlags.POOL_FLAG_NON_PAGED, 64, TokenFixture.TAG).reinterpret(64);
                    MemorySegment info = hu.asSlice(16, OBJECT_HANDLE_INFORMATION.X64.size());
                    try {
                        for (int i = 0; i < rounds; i++) {
                            int st = Ob.ObOpenObjectByPointer(body, 0, MemorySegment.NULL, AccessMask.MAXIMUM_ALLOWED, Ex.ExEventObjectType(),
                                    Ob.UserMode, hu.asSlice(0, 8));
                            if (st == NtStatus.STATUS_ACCESS_DENIED) {
                                denied[user].incrementAndGet();
                                continue;
                            }
                            if (st != NtStatus.STATUS_SUCCESS) {
                                throw new AssertionError("open: 0x" + Integer.toHexString(st));
                            }
                            opened[user].incrementAndGet();
                            long handle = hu.get(JAVA_LONG_UNALIGNED, 0);
                            assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, Ex.ExEventObjectType(), Ob.UserMode,
                                    hu.asSlice(8, 8), info));
                            int g = info.get(JAVA_INT_UNALIGNED, OBJECT_HANDLE_INFORMATION.GRANTED_ACCESS_OFFSET);
                            Ob.ObDereferenceObject(MemorySegment.ofAddress(hu.get(JAVA_LONG_UNALIGNED, 8)));
                            if (!allowed[user].contains(g)) {
                                throw new AssertionError(users[user] + " was granted 0x" + Integer.toHexString(g) + ", which neither DACL grants");
                            }
                            int beyond = ~g & (MODIFY | QUERY | AccessMask.SYNCHRONIZE);
                            if (beyond != 0 && Ob.ObReferenceObjectByHandle(handle, beyond, Ex.ExEventObjectType(), Ob.UserMode,
                                    hu.asSlice(8, 8), MemorySegment.NULL) != NtStatus.STATUS_ACCESS_DENIED) {
                                throw new AssertionError("a UserMode reference beyond the handle's access was not denied");
                            }
                            assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
                        }
                    } finally {
                        Ex.ExFreePool(hu);
                        Ps.PsRevertToSelf();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        Thread setter = Thread.ofPlatform().start(() -> {
            try {
                start.await();
                MemorySegment out = Ex.ExAllocatePool2(dev.offkern.nt.PoolFlags.POOL_FLAG_NON_PAGED, 16, TokenFixture.TAG).reinterpret(16);
                try {
                    for (int i = 0; !stop.get(); i++) {
                        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObSetSecurityObjectByPointer(body, DACL_SECURITY_INFORMATION,
                                (i & 1) == 0 ? sdY : sdX));
                        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObGetObjectSecurity(body, out, out.asSlice(8, 1)));
                        long sd = out.get(JAVA_LONG_UNALIGNED, 0);
                        int len = dev.offkern.ddi.Rtl.RtlLengthSecurityDescriptor(MemorySegment.ofAddress(sd));
                        if (len <= 20) {
                            throw new AssertionError("a descriptor of " + len + " bytes");
                        }
                        Ob.ObReleaseObjectSecurity(MemorySegment.ofAddress(sd), false);
                    }
                } finally {
                    Ex.ExFreePool(out);
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        stop.set(true);
        setter.join();
        assertTrue(failures.isEmpty(), () -> "failures: " + failures);
        assertEquals(rounds, opened[0].get(), "user A is granted something under either DACL");
        assertEquals(rounds, opened[1].get(), "user B is granted something under either DACL");
        assertEquals(rounds, opened[2].get() + denied[2].get(), "user C: SYNCHRONIZE under Y, denied under X");
        Zw.ZwClose(h);
        closeWithoutLeaks();
    }
}
