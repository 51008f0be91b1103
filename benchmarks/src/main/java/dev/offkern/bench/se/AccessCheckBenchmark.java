package dev.offkern.bench.se;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.bench.peers.HeapAccessCheck;
import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Se;
import dev.offkern.ddi.Zw;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.SeConstants;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
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
 * {@code SeAccessCheck} (UserMode, subject context not locked by the caller, so the check takes the
 * token lock shared) on a self-relative descriptor whose DACL has {@code aces} ACEs, for a token with
 * a user and 30 groups (24 enabled, 3 deny-only, 3 disabled): every ACE but the last two names a SID
 * the token does not have, then a deny ACE for a deny-only group (a right not asked) and the allow
 * ACE that grants what is asked, naming the token's last group — the worst case of the walk. Asked:
 * 0x3 ({@code specific}) or MAXIMUM_ALLOWED ({@code maximum}). Against {@link HeapAccessCheck}, the
 * same algorithm on heap objects. Setup checks both grant the same.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AccessCheckBenchmark {
    private static final int TAG = PoolTags.tag("BnAc");
    private static final String PREFIX = "S-1-5-21-100-200-300-";
    private static final String USER = PREFIX + "1001";
    private static final int GROUPS = 30;
    private static final int GENERIC_ALL = 0x1F01FF;

    @Param({"10", "50"})
    public int aces;

    @Param({"specific", "maximum"})
    public String ask;

    private Kernel kernel;
    private final List<MemorySegment> blocks = new ArrayList<>();
    private MemorySegment descriptor;
    private MemorySegment context;
    private MemorySegment mapping;
    private MemorySegment granted;
    private MemorySegment status;
    private MemorySegment token;
    private int desired;
    private HeapAccessCheck.Descriptor heapDescriptor;
    private HeapAccessCheck.Token heapToken;

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

    private static byte[] sidBytes(String text) {
        String[] p = text.split("-");
        int subs = p.length - 3;
        byte[] b = new byte[8 + 4 * subs];
        b[0] = 1;
        b[1] = (byte) subs;
        b[7] = (byte) Integer.parseInt(p[2]);
        for (int i = 0; i < subs; i++) {
            int v = (int) Long.parseLong(p[3 + i]);
            for (int k = 0; k < 4; k++) {
                b[8 + 4 * i + k] = (byte) (v >>> (8 * k));
            }
        }
        return b;
    }

    private static int groupAttributes(int i) {
        if (i >= 24 && i < 27) {
            return SeConstants.SE_GROUP_USE_FOR_DENY_ONLY;
        }
        if (i >= 27 && i < 29) {
            return 0;
        }
        return SeConstants.SE_GROUP_ENABLED | SeConstants.SE_GROUP_ENABLED_BY_DEFAULT | SeConstants.SE_GROUP_MANDATORY;
    }

    @Setup
    public void setUp() {
        kernel = Kernel.boot(KernelConfig.defaults().withVerifier(false)).leakReportSink(s -> { });
        kernel.attach();
        desired = ask.equals("maximum") ? HeapAccessCheck.MAXIMUM_ALLOWED : 0x3;
        // The token: ZwCreateToken from pool structures.
        MemorySegment user = alloc(16);
        user.set(JAVA_LONG_UNALIGNED, 0, sid(USER).address());
        MemorySegment groups = alloc(8 + 16L * GROUPS);
        groups.set(JAVA_INT_UNALIGNED, 0, GROUPS);
        byte[][] heapSids = new byte[GROUPS + 1][];
        int[] heapAttrs = new int[GROUPS + 1];
        heapSids[0] = sidBytes(USER);
        for (int i = 0; i < GROUPS; i++) {
            String g = PREFIX + (2000 + i);
            groups.set(JAVA_LONG_UNALIGNED, 8 + 16L * i, sid(g).address());
            groups.set(JAVA_INT_UNALIGNED, 16 + 16L * i, groupAttributes(i));
            heapSids[i + 1] = sidBytes(g);
            heapAttrs[i + 1] = groupAttributes(i);
        }
        MemorySegment privileges = alloc(4 + 12);
        privileges.set(JAVA_INT_UNALIGNED, 0, 1);
        privileges.set(JAVA_LONG_UNALIGNED, 4, SeConstants.SE_CHANGE_NOTIFY_PRIVILEGE);
        privileges.set(JAVA_INT_UNALIGNED, 12, SeConstants.SE_PRIVILEGE_ENABLED);
        MemorySegment primaryGroup = alloc(8);
        primaryGroup.set(JAVA_LONG_UNALIGNED, 0, sid(PREFIX + "2000").address());
        MemorySegment zero = alloc(16);
        zero.fill((byte) 0);
        MemorySegment handle = alloc(8);
        int st = Zw.ZwCreateToken(handle, SeConstants.TOKEN_ALL_ACCESS, MemorySegment.NULL, SeConstants.TokenPrimary, zero.asSlice(0, 8),
                zero.asSlice(8, 8), user, groups, privileges, MemorySegment.NULL, primaryGroup, MemorySegment.NULL, zero);
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new IllegalStateException("ZwCreateToken: 0x" + Integer.toHexString(st));
        }
        MemorySegment object = alloc(8);
        Ob.ObReferenceObjectByHandle(handle.get(JAVA_LONG_UNALIGNED, 0), 0, Se.SeTokenObjectType(), Ob.KernelMode, object, MemorySegment.NULL);
        Zw.ZwClose(handle.get(JAVA_LONG_UNALIGNED, 0));
        token = MemorySegment.ofAddress(object.get(JAVA_LONG_UNALIGNED, 0));
        heapToken = new HeapAccessCheck.Token(heapSids, heapAttrs, 1L << SeConstants.SE_CHANGE_NOTIFY_PRIVILEGE);
        // The descriptor.
        StringBuilder sddl = new StringBuilder("O:SYG:SYD:");
        HeapAccessCheck.Ace[] heapAces = new HeapAccessCheck.Ace[aces];
        for (int i = 0; i < aces - 2; i++) {
            boolean deny = i % 4 == 1;
            String s = PREFIX + (5000 + i);
            sddl.append('(').append(deny ? 'D' : 'A').append(";;0x1f01ff;;;").append(s).append(')');
            heapAces[i] = new HeapAccessCheck.Ace(deny, false, GENERIC_ALL, sidBytes(s));
        }
        sddl.append("(D;;0x100;;;").append(PREFIX).append(2024).append(')');
        heapAces[aces - 2] = new HeapAccessCheck.Ace(true, false, 0x100, sidBytes(PREFIX + 2024));
        sddl.append("(A;;0x3;;;").append(PREFIX).append(2023).append(')');
        heapAces[aces - 1] = new HeapAccessCheck.Ace(false, false, 0x3, sidBytes(PREFIX + 2023));
        heapDescriptor = new HeapAccessCheck.Descriptor(sidBytes("S-1-5-18"), heapAces);
        MemorySegment out = alloc(8);
        if (!Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.toString(), 1, out, MemorySegment.NULL)) {
            throw new IllegalStateException("bad SDDL " + sddl);
        }
        descriptor = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        blocks.add(descriptor);
        context = alloc(32);
        context.fill((byte) 0);
        context.set(JAVA_LONG_UNALIGNED, 16, token.address()); // PrimaryToken
        mapping = alloc(16);
        mapping.set(JAVA_INT_UNALIGNED, 0, 0x20001);
        mapping.set(JAVA_INT_UNALIGNED, 4, 0x20002);
        mapping.set(JAVA_INT_UNALIGNED, 8, 0x20004);
        mapping.set(JAVA_INT_UNALIGNED, 12, GENERIC_ALL);
        granted = alloc(4);
        status = alloc(4);
        int offkern = offkern();
        int peer = peer();
        if (offkern != peer || offkern != 0x3) {
            throw new IllegalStateException("offkern granted 0x" + Integer.toHexString(offkern) + ", the peer 0x" + Integer.toHexString(peer));
        }
    }

    @TearDown
    public void tearDown() {
        Ob.ObDereferenceObject(token);
        for (MemorySegment b : blocks) {
            Ex.ExFreePool(b);
        }
        kernel.close();
    }

    /** SeAccessCheck, UserMode; returns *GrantedAccess (0 when denied). */
    @Benchmark
    public int offkern() {
        Se.SeAccessCheck(descriptor, context, false, desired, 0, MemorySegment.NULL, mapping, 1, granted, status);
        return granted.get(JAVA_INT_UNALIGNED, 0);
    }

    /** The heap model; returns the granted access (0 when denied). */
    @Benchmark
    public int peer() {
        int g = HeapAccessCheck.check(heapDescriptor, heapToken, desired, 0, GENERIC_ALL);
        return g < 0 ? 0 : g;
    }
}
