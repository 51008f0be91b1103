package dev.offkern.bench.ob;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Se;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.SeConstants;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Opening a handle with the object manager's access check and closing it: {@code ObOpenObjectByPointer}
 * with AccessMode UserMode (SeCaptureSubjectContext of the impersonating thread, SeAccessCheck
 * against the event's descriptor, the grant recorded in the handle entry) + {@code ZwClose}, against
 * the same open with KernelMode (no check) + ZwClose. The event is named and has a descriptor of
 * {@code aces} ACEs whose last grants what is asked; the benchmark thread impersonates a token with a
 * user and 10 groups. Setup checks that the UserMode open is granted exactly what is asked.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ObOpenAccessCheckBenchmark {
    private static final int TAG = PoolTags.tag("BnOa");
    private static final String PREFIX = "S-1-5-21-100-200-300-";
    private static final int GROUPS = 10;
    private static final int DESIRED = AccessMask.EVENT_QUERY_STATE | AccessMask.SYNCHRONIZE;

    @Param({"10"})
    public int aces;

    private Kernel kernel;
    private final List<MemorySegment> blocks = new ArrayList<>();
    private MemorySegment event;
    private MemorySegment eventType;
    private MemorySegment handle;
    private MemorySegment token;
    private long eventHandle;

    private MemorySegment alloc(long bytes) {
        MemorySegment s = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, bytes, TAG).reinterpret(bytes);
        blocks.add(s);
        return s;
    }

    private MemorySegment sid(String text) {
        MemorySegment out = alloc(8);
        if (!Se.ConvertStringSidToSidW(text, out)) {
            throw new IllegalStateException("bad SID " + text);
        }
        MemorySegment s = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        blocks.add(s);
        return s;
    }

    @Setup
    public void setUp() {
        kernel = Kernel.boot(KernelConfig.defaults().withVerifier(false)).leakReportSink(s -> { });
        kernel.attach();
        MemorySegment user = alloc(16);
        user.set(JAVA_LONG_UNALIGNED, 0, sid(PREFIX + "1001").address());
        MemorySegment groups = alloc(8 + 16L * GROUPS);
        groups.set(JAVA_INT_UNALIGNED, 0, GROUPS);
        for (int i = 0; i < GROUPS; i++) {
            groups.set(JAVA_LONG_UNALIGNED, 8 + 16L * i, sid(PREFIX + (2000 + i)).address());
            groups.set(JAVA_INT_UNALIGNED, 16 + 16L * i, SeConstants.SE_GROUP_ENABLED | SeConstants.SE_GROUP_ENABLED_BY_DEFAULT
                    | SeConstants.SE_GROUP_MANDATORY);
        }
        MemorySegment privileges = alloc(16);
        privileges.set(JAVA_INT_UNALIGNED, 0, 0);
        MemorySegment primaryGroup = alloc(8);
        primaryGroup.set(JAVA_LONG_UNALIGNED, 0, sid(PREFIX + "2000").address());
        MemorySegment zero = alloc(16);
        zero.fill((byte) 0);
        MemorySegment h = alloc(8);
        MemorySegment qos = alloc(16);
        qos.fill((byte) 0);
        qos.set(JAVA_INT_UNALIGNED, 0, 12);
        qos.set(JAVA_INT_UNALIGNED, 4, SeConstants.SecurityImpersonation);
        MemorySegment oa = alloc(48);
        Ob.InitializeObjectAttributes(oa, MemorySegment.NULL, 0, 0, MemorySegment.NULL);
        oa.set(JAVA_LONG_UNALIGNED, 40, qos.address()); // SecurityQualityOfService
        int st = Zw.ZwCreateToken(h, SeConstants.TOKEN_ALL_ACCESS, oa, SeConstants.TokenImpersonation, zero.asSlice(0, 8),
                zero.asSlice(8, 8), user, groups, privileges, MemorySegment.NULL, primaryGroup, MemorySegment.NULL, zero);
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new IllegalStateException("ZwCreateToken: 0x" + Integer.toHexString(st));
        }
        MemorySegment object = alloc(8);
        Ob.ObReferenceObjectByHandle(h.get(JAVA_LONG_UNALIGNED, 0), 0, Se.SeTokenObjectType(), Ob.KernelMode, object, MemorySegment.NULL);
        Zw.ZwClose(h.get(JAVA_LONG_UNALIGNED, 0));
        token = MemorySegment.ofAddress(object.get(JAVA_LONG_UNALIGNED, 0));

        StringBuilder sddl = new StringBuilder("O:SYG:SYD:");
        for (int i = 0; i < aces - 1; i++) {
            sddl.append("(A;;0x1f0003;;;").append(PREFIX).append(5000 + i).append(')');
        }
        sddl.append("(A;;0x100001;;;").append(PREFIX).append(2000 + GROUPS - 1).append(')');
        MemorySegment sdOut = alloc(8);
        if (!Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.toString(), 1, sdOut, MemorySegment.NULL)) {
            throw new IllegalStateException("bad SDDL " + sddl);
        }
        MemorySegment sd = MemorySegment.ofAddress(sdOut.get(JAVA_LONG_UNALIGNED, 0));
        blocks.add(sd);
        byte[] chars = "\\BaseNamedObjects\\BenchOpen".getBytes(StandardCharsets.UTF_16LE);
        MemorySegment name = alloc(16 + chars.length);
        name.set(JAVA_SHORT_UNALIGNED, UNICODE_STRING.LENGTH_OFFSET, (short) chars.length);
        name.set(JAVA_SHORT_UNALIGNED, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) chars.length);
        name.set(JAVA_LONG_UNALIGNED, UNICODE_STRING.BUFFER_OFFSET, name.address() + 16);
        MemorySegment.copy(chars, 0, name, JAVA_BYTE, 16, chars.length);
        MemorySegment eoa = alloc(48);
        Ob.InitializeObjectAttributes(eoa, name, ObjectAttributes.OBJ_KERNEL_HANDLE, 0, sd);
        MemorySegment eh = alloc(8);
        st = Zw.ZwCreateEvent(eh, AccessMask.EVENT_ALL_ACCESS, eoa, Ke.NotificationEvent, false);
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new IllegalStateException("ZwCreateEvent: 0x" + Integer.toHexString(st));
        }
        eventHandle = eh.get(JAVA_LONG_UNALIGNED, 0);
        MemorySegment eo = alloc(8);
        Ob.ObReferenceObjectByHandle(eventHandle, 0, MemorySegment.NULL, Ob.KernelMode, eo, MemorySegment.NULL);
        event = MemorySegment.ofAddress(eo.get(JAVA_LONG_UNALIGNED, 0));
        eventType = Ex.ExEventObjectType();
        handle = alloc(8);
        st = Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), token, false, false, SeConstants.SecurityImpersonation);
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new IllegalStateException("PsImpersonateClient: 0x" + Integer.toHexString(st));
        }
        if (userMode() != NtStatus.STATUS_SUCCESS) {
            throw new IllegalStateException("the UserMode open was refused");
        }
        st = Ob.ObOpenObjectByPointer(event, 0, MemorySegment.NULL, AccessMask.EVENT_MODIFY_STATE, eventType, Ob.UserMode, handle);
        if (st != NtStatus.STATUS_ACCESS_DENIED) {
            throw new IllegalStateException("a right the descriptor does not grant was not denied: 0x" + Integer.toHexString(st));
        }
    }

    @TearDown
    public void tearDown() {
        Ps.PsRevertToSelf();
        Ob.ObDereferenceObject(event);
        Zw.ZwClose(eventHandle);
        Ob.ObDereferenceObject(token);
        for (MemorySegment b : blocks) {
            Ex.ExFreePool(b);
        }
        kernel.close();
    }

    /** ObOpenObjectByPointer(UserMode): the access check; then ZwClose. */
    @Benchmark
    public int userMode() {
        int st = Ob.ObOpenObjectByPointer(event, 0, MemorySegment.NULL, DESIRED, eventType, Ob.UserMode, handle);
        Zw.ZwClose(handle.get(JAVA_LONG_UNALIGNED, 0));
        return st;
    }

    /** ObOpenObjectByPointer(KernelMode): no check; then ZwClose. */
    @Benchmark
    public int kernelMode() {
        int st = Ob.ObOpenObjectByPointer(event, 0, MemorySegment.NULL, DESIRED, eventType, Ob.KernelMode, handle);
        Zw.ZwClose(handle.get(JAVA_LONG_UNALIGNED, 0));
        return st;
    }
}
