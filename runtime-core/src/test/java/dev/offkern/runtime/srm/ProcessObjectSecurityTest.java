package dev.offkern.runtime.srm;

import static dev.offkern.nt.SeConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Se;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.ob.OBJECT_HANDLE_INFORMATION;
import dev.offkern.layout.ob.OBJECT_HEADER;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Process and thread objects carry security descriptors from their creation (the System process and
 * its threads: the SYSTEM token's defaults; a tenant: its parent's token's), mapped with the Process /
 * Thread generic mappings; UserMode opens of them (ObOpenObjectByPointer, NtOpenProcess, NtOpenThread)
 * run the access check, SeDebugPrivilege bypasses it; Zw/NtOpenProcess and Zw/NtOpenThread with every
 * documented status. Facts: Microsoft's ZwOpenProcess / ZwOpenThread pages (statuses), ReactOS
 * ntoskrnl/ps (process.c NtOpenProcess, thread.c NtOpenThread, cid.c PsLookupProcessThreadByCid: the
 * order of the steps and the SeDebugPrivilege rule).
 */
class ProcessObjectSecurityTest {
    private static final String USER_A = "S-1-5-21-1-2-3-1001";
    /** The SYSTEM token's owner, group and default DACL, GA / GR|GX|RC mapped with the Process type's mapping. */
    private static final String SYSTEM_PROCESS_SD = "O:BAG:SYD:(A;;0x1fffff;;;SY)(A;;0x121410;;;BA)";
    /** The same with the Thread type's mapping. */
    private static final String SYSTEM_THREAD_SD = "O:BAG:SYD:(A;;0x1fffff;;;SY)(A;;0x121848;;;BA)";

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

    /** A plain user's token: no privilege but SeChangeNotify (plus {@code privilege} enabled when not 0). */
    private MemorySegment userToken(int privilege) {
        TokenFixture.Spec s = new TokenFixture.Spec();
        s.user = USER_A;
        s.group("S-1-1-0", TokenFixture.ENABLED).privilege(SE_CHANGE_NOTIFY_PRIVILEGE, SE_PRIVILEGE_ENABLED);
        if (privilege != 0) {
            s.privilege(privilege, SE_PRIVILEGE_ENABLED);
        }
        MemorySegment t = fx.token(s);
        tokens.add(t);
        return t;
    }

    private void impersonate(MemorySegment token) {
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), token, false, false, SecurityImpersonation));
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

    private String canon(String sddl) {
        return sddlOf(fx.sd(sddl).address());
    }

    private String descriptorOf(MemorySegment body) {
        long word = headerWord(body);
        assertNotEquals(0, word & ~15L, "the object has a security descriptor");
        return sddlOf(word & ~15L);
    }

    private int grantedAccess(long handle) {
        MemorySegment out = fx.alloc(8);
        MemorySegment info = fx.alloc(OBJECT_HANDLE_INFORMATION.X64.size());
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, MemorySegment.NULL, Ob.KernelMode, out, info));
        Ob.ObDereferenceObject(MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)));
        return info.get(JAVA_INT_UNALIGNED, OBJECT_HANDLE_INFORMATION.GRANTED_ACCESS_OFFSET);
    }

    /** ObOpenObjectByPointer: the status; the granted access in {@code granted[0]} (the handle closed again). */
    private int openByPointer(MemorySegment body, MemorySegment type, int desired, int mode, int[] granted) {
        MemorySegment h = fx.alloc(8);
        int st = Ob.ObOpenObjectByPointer(body, 0, MemorySegment.NULL, desired, type, mode, h);
        if (st == NtStatus.STATUS_SUCCESS) {
            long handle = h.get(JAVA_LONG_UNALIGNED, 0);
            granted[0] = grantedAccess(handle);
            assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
        }
        return st;
    }

    private int userOpenByPointer(MemorySegment body, MemorySegment type, int desired, int[] granted) {
        return kernel.objects().callFromUserMode(() -> openByPointer(body, type, desired, ObjectManager.UserMode, granted));
    }

    private MemorySegment clientId(long process, long thread) {
        MemorySegment c = fx.alloc(16);
        c.set(JAVA_LONG_UNALIGNED, 0, process);
        c.set(JAVA_LONG_UNALIGNED, 8, thread);
        return c;
    }

    private MemorySegment attributes(int attributes) {
        MemorySegment oa = fx.alloc(0x30);
        Ob.InitializeObjectAttributes(oa, MemorySegment.NULL, attributes, 0, MemorySegment.NULL);
        return oa;
    }

    private interface Open {
        int call(MemorySegment handle, int desired, MemorySegment oa, MemorySegment cid);
    }

    /** The status of an open; on success the granted access in {@code granted[0]} and the handle closed. */
    private int open(Open routine, int desired, MemorySegment oa, MemorySegment cid, int[] granted) {
        MemorySegment h = fx.alloc(8);
        int st = routine.call(h, desired, oa, cid);
        if (st == NtStatus.STATUS_SUCCESS) {
            long handle = h.get(JAVA_LONG_UNALIGNED, 0);
            granted[0] = grantedAccess(handle);
            assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
        }
        return st;
    }

    private int userOpen(Open routine, int desired, MemorySegment oa, MemorySegment cid, int[] granted) {
        return kernel.objects().callFromUserMode(() -> open(routine, desired, oa, cid, granted));
    }

    // ===== descriptors =====

    @Test
    void shouldGiveTheSystemProcessAndTheCallingThreadTheSystemTokensDefaultsMappedForTheirTypes() {
        assertEquals(canon(SYSTEM_PROCESS_SD), descriptorOf(Ps.PsInitialSystemProcess()));
        assertEquals(canon(SYSTEM_THREAD_SD), descriptorOf(Ps.PsGetCurrentThread()));
        closeWithoutLeaks();
    }

    @Test
    void shouldGiveEveryNewJavaThreadADescriptorAndFreeItWithTheThread() throws Exception {
        AtomicLong word = new AtomicLong();
        AtomicLong sddl = new AtomicLong();
        String[] seen = new String[1];
        Thread t = new Thread(() -> {
            MemorySegment me = Ps.PsGetCurrentThread(); // the thread's first call: its ETHREAD is made now
            word.set(headerWord(me));
            seen[0] = sddlOf(headerWord(me) & ~15L);
            sddl.set(1);
        });
        t.start();
        t.join();
        assertNotEquals(0, word.get() & ~15L, "the new thread's ETHREAD has a descriptor from its first call on");
        assertEquals(canon(SYSTEM_THREAD_SD), seen[0]);
        closeWithoutLeaks(); // the ended thread's ETHREAD and descriptor are freed or counted as the kernel's: nothing leaks
    }

    @Test
    void shouldGiveATenantProcessTheDefaultsOfItsParentsToken() {
        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsCreateTenantProcess(h, AccessMask.PROCESS_ALL_ACCESS, MemorySegment.NULL, "tenant.exe"));
        long handle = h.get(JAVA_LONG_UNALIGNED, 0);
        MemorySegment out = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, Ps.PsProcessType(), Ob.KernelMode, out, MemorySegment.NULL));
        MemorySegment tenant = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        assertEquals(canon(SYSTEM_PROCESS_SD), descriptorOf(tenant), "a primary duplicate of the System process's token: the same defaults");
        Ob.ObDereferenceObject(tenant);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwTerminateProcess(handle, NtStatus.STATUS_SUCCESS));
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
        closeWithoutLeaks();
    }

    // ===== access checks =====

    @Test
    void shouldAccessCheckUserModeOpensOfProcessesAndThreadsByPointer() {
        MemorySegment system = Ps.PsInitialSystemProcess();
        MemorySegment me = Ps.PsGetCurrentThread();
        int[] g = new int[1];
        assertEquals(NtStatus.STATUS_SUCCESS, userOpenByPointer(system, Ps.PsProcessType(), AccessMask.PROCESS_QUERY_INFORMATION, g),
                "SYSTEM: (A;;PROCESS_ALL_ACCESS;;;SY)");
        assertEquals(AccessMask.PROCESS_QUERY_INFORMATION, g[0]);
        assertEquals(NtStatus.STATUS_SUCCESS, userOpenByPointer(system, Ps.PsProcessType(), AccessMask.MAXIMUM_ALLOWED, g));
        assertEquals(AccessMask.PROCESS_ALL_ACCESS, g[0]);
        impersonate(userToken(0));
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, userOpenByPointer(system, Ps.PsProcessType(), AccessMask.PROCESS_QUERY_INFORMATION, g),
                "a plain user is neither SYSTEM nor an administrator");
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, userOpenByPointer(me, Ps.PsThreadType(), AccessMask.THREAD_QUERY_INFORMATION, g));
        assertEquals(NtStatus.STATUS_SUCCESS, openByPointer(system, Ps.PsProcessType(), AccessMask.PROCESS_QUERY_INFORMATION,
                ObjectManager.KernelMode, g), "KernelMode: no check");
        Ps.PsRevertToSelf();
        assertEquals(NtStatus.STATUS_SUCCESS, userOpenByPointer(me, Ps.PsThreadType(), AccessMask.THREAD_ALL_ACCESS, g));
        assertEquals(AccessMask.THREAD_ALL_ACCESS, g[0]);
        closeWithoutLeaks();
    }

    @Test
    void shouldOpenProcessesAndThreadsByClientIdWithEveryDocumentedStatus() {
        long pid = Ps.PsGetCurrentProcessId();
        long tid = Ps.PsGetCurrentThreadId();
        int[] g = new int[1];
        MemorySegment oa = attributes(ObjectAttributes.OBJ_KERNEL_HANDLE);
        Open zwProcess = Zw::ZwOpenProcess;
        Open zwThread = Zw::ZwOpenThread;
        assertEquals(NtStatus.STATUS_SUCCESS, open(zwProcess, AccessMask.PROCESS_QUERY_INFORMATION, oa, clientId(pid, 0), g));
        assertEquals(AccessMask.PROCESS_QUERY_INFORMATION, g[0]);
        assertEquals(NtStatus.STATUS_SUCCESS, open(zwProcess, AccessMask.SYNCHRONIZE, oa, clientId(0, tid), g), "through a thread id");
        assertEquals(NtStatus.STATUS_SUCCESS, open(zwProcess, AccessMask.SYNCHRONIZE, oa, clientId(pid, tid), g));
        assertEquals(NtStatus.STATUS_SUCCESS, open(zwThread, AccessMask.THREAD_QUERY_INFORMATION, oa, clientId(0, tid), g));
        assertEquals(AccessMask.THREAD_QUERY_INFORMATION, g[0]);
        assertEquals(NtStatus.STATUS_SUCCESS, open(zwThread, AccessMask.SYNCHRONIZE, oa, clientId(pid, tid), g));

        assertEquals(NtStatus.STATUS_INVALID_PARAMETER_MIX, open(zwProcess, AccessMask.SYNCHRONIZE, oa, MemorySegment.NULL, g),
                "no client id");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER_MIX, open(zwThread, AccessMask.SYNCHRONIZE, oa, MemorySegment.NULL, g));
        MemorySegment named = fx.alloc(0x30);
        MemorySegment name = fx.alloc(24);
        name.set(JAVA_SHORT_UNALIGNED, UNICODE_STRING.LENGTH_OFFSET, (short) 2);
        name.set(JAVA_SHORT_UNALIGNED, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) 2);
        name.set(JAVA_LONG_UNALIGNED, UNICODE_STRING.BUFFER_OFFSET, name.address() + 16);
        name.set(JAVA_SHORT_UNALIGNED, 16, (short) '\\');
        Ob.InitializeObjectAttributes(named, name, ObjectAttributes.OBJ_KERNEL_HANDLE, 0, MemorySegment.NULL);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER_MIX, open(zwProcess, AccessMask.SYNCHRONIZE, named, clientId(pid, 0), g),
                "a name and a client id");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER_MIX, open(zwThread, AccessMask.SYNCHRONIZE, named, MemorySegment.NULL, g),
                "a name: processes and threads have none");

        assertEquals(NtStatus.STATUS_INVALID_CID, open(zwProcess, AccessMask.SYNCHRONIZE, oa, clientId(0x7FFFFFF0L, 0), g),
                "an id never issued");
        assertEquals(NtStatus.STATUS_INVALID_CID, open(zwProcess, AccessMask.SYNCHRONIZE, oa, clientId(tid, 0), g), "a thread's id");
        assertEquals(NtStatus.STATUS_INVALID_CID, open(zwThread, AccessMask.SYNCHRONIZE, oa, clientId(0, pid), g), "a process's id");
        assertEquals(NtStatus.STATUS_INVALID_CID, open(zwThread, AccessMask.SYNCHRONIZE, oa, clientId(pid + 0x1000, tid), g),
                "the thread is in another process");
        assertEquals(NtStatus.STATUS_INVALID_CID, open(zwProcess, AccessMask.SYNCHRONIZE, oa, clientId(pid + 0x1000, tid), g));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, open(zwProcess, AccessMask.SYNCHRONIZE, MemorySegment.NULL, clientId(pid, 0), g),
                "ObjectAttributes is required");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, open(zwProcess, AccessMask.SYNCHRONIZE, attributes(0x100000),
                clientId(pid, 0), g), "attributes a handle may not have");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, Zw.ZwOpenThread(MemorySegment.NULL, AccessMask.SYNCHRONIZE, oa, clientId(0, tid)));
        closeWithoutLeaks();
    }

    @Test
    void shouldAccessCheckUserModeOpensByClientIdUnlessTheCallerHoldsSeDebugPrivilege() {
        long pid = Ps.PsGetCurrentProcessId();
        long tid = Ps.PsGetCurrentThreadId();
        int[] g = new int[1];
        MemorySegment oa = attributes(ObjectAttributes.OBJ_KERNEL_HANDLE);
        Open ntProcess = Zw::NtOpenProcess;
        Open ntThread = Zw::NtOpenThread;
        Open zwProcess = Zw::ZwOpenProcess;
        impersonate(userToken(0));
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, userOpen(ntProcess, AccessMask.PROCESS_QUERY_INFORMATION, oa, clientId(pid, 0), g));
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, userOpen(ntThread, AccessMask.SYNCHRONIZE, oa, clientId(0, tid), g));
        assertEquals(NtStatus.STATUS_SUCCESS, open(ntProcess, AccessMask.PROCESS_QUERY_INFORMATION, oa, clientId(pid, 0), g),
                "NtOpenProcess from kernel mode: no check");
        assertEquals(NtStatus.STATUS_SUCCESS, userOpen(zwProcess, AccessMask.PROCESS_QUERY_INFORMATION, oa, clientId(pid, 0), g),
                "ZwOpenProcess is KernelMode whatever the previous mode");

        impersonate(userToken(SE_DEBUG_PRIVILEGE));
        assertEquals(NtStatus.STATUS_SUCCESS, userOpen(ntProcess, AccessMask.PROCESS_QUERY_INFORMATION | AccessMask.PROCESS_VM_READ, oa,
                clientId(pid, 0), g), "SeDebugPrivilege grants what is asked");
        assertEquals(AccessMask.PROCESS_QUERY_INFORMATION | AccessMask.PROCESS_VM_READ, g[0]);
        assertEquals(NtStatus.STATUS_SUCCESS, userOpen(ntProcess, AccessMask.MAXIMUM_ALLOWED, oa, clientId(pid, 0), g));
        assertEquals(AccessMask.PROCESS_ALL_ACCESS, g[0], "MAXIMUM_ALLOWED with SeDebugPrivilege: every right");
        assertEquals(NtStatus.STATUS_SUCCESS, userOpen(ntThread, AccessMask.GENERIC_READ, oa, clientId(pid, tid), g));
        assertEquals(0x20048, g[0], "GENERIC_READ mapped with the Thread type's mapping");
        Ps.PsRevertToSelf();

        MemorySegment h = fx.alloc(8);
        assertEquals(NtStatus.STATUS_SUCCESS, kernel.objects().callFromUserMode(() -> Zw.NtOpenProcess(h, AccessMask.SYNCHRONIZE, oa,
                clientId(pid, 0))), "SYSTEM from user mode: (A;;PROCESS_ALL_ACCESS;;;SY)");
        long handle = h.get(JAVA_LONG_UNALIGNED, 0);
        assertTrue(handle > 0, "OBJ_KERNEL_HANDLE is ignored from user mode: a handle of the process's own table");
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
        closeWithoutLeaks();
    }
}
