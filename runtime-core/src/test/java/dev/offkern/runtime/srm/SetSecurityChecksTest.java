package dev.offkern.runtime.srm;

import static dev.offkern.nt.SeConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The checks on setting security (ObSetSecurityObjectByPointer, Zw/NtSetSecurityObject): from user
 * mode the handle needs WRITE_OWNER for the owner and group, WRITE_DAC for the DACL,
 * ACCESS_SYSTEM_SECURITY for the SACL (which only SeSecurityPrivilege opens); in every mode a new
 * owner must be one the setter's effective token may assign — its user or a group with
 * SE_GROUP_OWNER — unless SeRestorePrivilege is enabled (STATUS_INVALID_OWNER). Facts: Microsoft's
 * SeSetSecurityAccessMask and ZwSetSecurityObject pages (the rights per part), the Windows
 * "Ownership of objects" rules (SE_GROUP_OWNER, SeRestorePrivilege), ReactOS ntoskrnl/se/sd.c.
 */
class SetSecurityChecksTest {
    private static final String A = "S-1-5-21-1-2-3-1001";
    private static final String B = "S-1-5-21-1-2-3-1002";
    private static final String OWNER_GROUP = "S-1-5-21-1-2-3-1100";

    private Kernel kernel;
    private TokenFixture fx;
    private final List<MemorySegment> tokens = new ArrayList<>();

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

    /** User A; a group with SE_GROUP_OWNER; Everyone (no SE_GROUP_OWNER); the privileges given enabled. */
    private MemorySegment tokenA(int... privileges) {
        TokenFixture.Spec s = new TokenFixture.Spec();
        s.user = A;
        s.group(OWNER_GROUP, TokenFixture.ENABLED | SE_GROUP_OWNER).group("S-1-1-0", TokenFixture.ENABLED)
                .privilege(SE_CHANGE_NOTIFY_PRIVILEGE, SE_PRIVILEGE_ENABLED);
        for (int p : privileges) {
            s.privilege(p, SE_PRIVILEGE_ENABLED);
        }
        MemorySegment t = fx.token(s);
        tokens.add(t);
        return t;
    }

    private void impersonate(MemorySegment token) {
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), token, false, false, SecurityImpersonation));
    }

    private int user(Supplier<Integer> call) {
        return kernel.objects().callFromUserMode(call);
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

    /** A named event made in kernel mode (by SYSTEM) with descriptor {@code sddl}; its kernel handle. */
    private long event(String name, String sddl) {
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwCreateEvent(h, AccessMask.EVENT_ALL_ACCESS,
                attributes(name, ObjectAttributes.OBJ_KERNEL_HANDLE, fx.sd(sddl)), Ke.NotificationEvent, false));
        return h.get(JAVA_LONG_UNALIGNED, 0);
    }

    /** NtOpenEvent from user mode for {@code desired}: the status, the handle in {@code out[0]}. */
    private int userOpen(String name, int desired, long[] out) {
        MemorySegment h = fx.alloc(8);
        int st = user(() -> Zw.NtOpenEvent(h, desired, attributes(name, 0, MemorySegment.NULL)));
        out[0] = h.get(JAVA_LONG_UNALIGNED, 0);
        return st;
    }

    private MemorySegment body(long handle) {
        MemorySegment out = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, MemorySegment.NULL, Ob.KernelMode, out,
                MemorySegment.NULL));
        MemorySegment b = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        Ob.ObDereferenceObject(b); // the handle keeps it alive
        return b;
    }

    @Test
    void shouldRequireTheHandleRightEachPartNeedsFromUserMode() {
        long k = event("\\SetChecks\\Rights", "O:BAG:SYD:(A;;0x120001;;;WD)(A;;WO;;;" + A + ")(A;;WD;;;" + B + ")");
        impersonate(tokenA());
        long[] h = new long[1];
        assertEquals(NtStatus.STATUS_SUCCESS, userOpen("\\SetChecks\\Rights", AccessMask.EVENT_QUERY_STATE | AccessMask.READ_CONTROL, h));
        long query = h[0];
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, user(() -> Zw.NtSetSecurityObject(query, OWNER_SECURITY_INFORMATION, fx.sd("O:" + A))),
                "the owner needs WRITE_OWNER");
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, user(() -> Zw.NtSetSecurityObject(query, GROUP_SECURITY_INFORMATION, fx.sd("G:" + A))),
                "the group needs WRITE_OWNER");
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, user(() -> Zw.NtSetSecurityObject(query, DACL_SECURITY_INFORMATION, fx.sd("D:(A;;GA;;;WD)"))),
                "the DACL needs WRITE_DAC");
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, user(() -> Zw.NtSetSecurityObject(query, SACL_SECURITY_INFORMATION, fx.sd("S:"))),
                "the SACL needs ACCESS_SYSTEM_SECURITY");
        assertEquals(NtStatus.STATUS_PRIVILEGE_NOT_HELD, userOpen("\\SetChecks\\Rights", AccessMask.ACCESS_SYSTEM_SECURITY, h),
                "ACCESS_SYSTEM_SECURITY without SeSecurityPrivilege");
        assertEquals(NtStatus.STATUS_SUCCESS, userOpen("\\SetChecks\\Rights", AccessMask.WRITE_OWNER, h));
        long writeOwner = h[0];
        assertEquals(NtStatus.STATUS_SUCCESS, user(() -> Zw.NtSetSecurityObject(writeOwner, OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION,
                fx.sd("O:" + A + "G:" + B))));
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, user(() -> Zw.NtSetSecurityObject(writeOwner, DACL_SECURITY_INFORMATION, fx.sd("D:(A;;GA;;;WD)"))),
                "WRITE_OWNER is not WRITE_DAC (and the new owner's implicit WRITE_DAC is not in this handle)");
        Ps.PsRevertToSelf();
        impersonate(tokenA(SE_SECURITY_PRIVILEGE));
        assertEquals(NtStatus.STATUS_SUCCESS, userOpen("\\SetChecks\\Rights", AccessMask.ACCESS_SYSTEM_SECURITY, h));
        long sacl = h[0];
        assertEquals(NtStatus.STATUS_SUCCESS, user(() -> Zw.NtSetSecurityObject(sacl, SACL_SECURITY_INFORMATION, fx.sd("S:(AU;SA;0x1;;;WD)"))));
        Ps.PsRevertToSelf();
        for (long x : new long[] {query, writeOwner, sacl, k}) {
            assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(x));
        }
        closeWithoutLeaks();
    }

    @Test
    void shouldAcceptOnlyAnOwnerTheSettersTokenMayAssignUnlessItHasSeRestorePrivilege() {
        long k = event("\\SetChecks\\Owner", "O:BAG:SYD:(A;;0x1f0003;;;WD)(A;;WO;;;WD)");
        MemorySegment obj = body(k);
        // as SYSTEM (no impersonation): its user and Administrators (SE_GROUP_OWNER); SeRestorePrivilege disabled
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObSetSecurityObjectByPointer(obj, OWNER_SECURITY_INFORMATION, fx.sd("O:SY")));
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObSetSecurityObjectByPointer(obj, OWNER_SECURITY_INFORMATION, fx.sd("O:BA")));
        assertEquals(NtStatus.STATUS_INVALID_OWNER, Ob.ObSetSecurityObjectByPointer(obj, OWNER_SECURITY_INFORMATION, fx.sd("O:" + A)),
                "kernel mode too: SeSetSecurityDescriptorInfo checks the owner against the caller's token");
        assertEquals(NtStatus.STATUS_INVALID_OWNER, Zw.ZwSetSecurityObject(k, OWNER_SECURITY_INFORMATION, fx.sd("O:" + A)));
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObSetSecurityObjectByPointer(obj, GROUP_SECURITY_INFORMATION, fx.sd("G:" + A)),
                "a group is not checked");

        impersonate(tokenA());
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObSetSecurityObjectByPointer(obj, OWNER_SECURITY_INFORMATION, fx.sd("O:" + A)), "the user");
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObSetSecurityObjectByPointer(obj, OWNER_SECURITY_INFORMATION, fx.sd("O:" + OWNER_GROUP)),
                "a group with SE_GROUP_OWNER");
        assertEquals(NtStatus.STATUS_INVALID_OWNER, Ob.ObSetSecurityObjectByPointer(obj, OWNER_SECURITY_INFORMATION, fx.sd("O:WD")),
                "a group without SE_GROUP_OWNER");
        assertEquals(NtStatus.STATUS_INVALID_OWNER, Ob.ObSetSecurityObjectByPointer(obj, OWNER_SECURITY_INFORMATION, fx.sd("O:" + B)),
                "a SID not in the token");
        long[] h = new long[1];
        assertEquals(NtStatus.STATUS_SUCCESS, userOpen("\\SetChecks\\Owner", AccessMask.WRITE_OWNER, h));
        long writeOwner = h[0];
        assertEquals(NtStatus.STATUS_INVALID_OWNER, user(() -> Zw.NtSetSecurityObject(writeOwner, OWNER_SECURITY_INFORMATION, fx.sd("O:" + B))));
        assertEquals(NtStatus.STATUS_INVALID_OWNER, user(() -> Zw.NtSetSecurityObject(writeOwner, OWNER_SECURITY_INFORMATION, fx.sd("G:" + B))),
                "OWNER_SECURITY_INFORMATION without an owner");
        Ps.PsRevertToSelf();

        impersonate(tokenA(SE_RESTORE_PRIVILEGE));
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObSetSecurityObjectByPointer(obj, OWNER_SECURITY_INFORMATION, fx.sd("O:" + B)),
                "SeRestorePrivilege: any owner");
        assertEquals(NtStatus.STATUS_SUCCESS, user(() -> Zw.NtSetSecurityObject(writeOwner, OWNER_SECURITY_INFORMATION, fx.sd("O:WD"))));
        Ps.PsRevertToSelf();
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(writeOwner));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(k));
        closeWithoutLeaks();
    }
}
