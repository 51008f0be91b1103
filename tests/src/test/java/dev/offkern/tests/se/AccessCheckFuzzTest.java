package dev.offkern.tests.se;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Rtl;
import dev.offkern.ddi.Se;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Jazzer fuzz targets for the security reference monitor's readers of untrusted descriptors:
 * {@code SeAccessCheck} and {@code SeAssignSecurity} given the fuzzer's bytes as a self-relative
 * descriptor (after a 4-byte desired access), placed at the end of a guarded pool block
 * ({@link Guarded}). Without {@code JAZZER_FUZZ} each target replays its committed corpus
 * ({@code src/test/resources/dev/offkern/tests/se/AccessCheckFuzzTestInputs/<target>/}).
 *
 * <p>Property: only documented outcomes — SeAccessCheck's status from its documented set, FALSE
 * with GrantedAccess 0, TRUE only for a descriptor RtlValidSecurityDescriptor accepts (or with
 * nothing asked beyond what kernel mode grants); SeAssignSecurity's status from its set and, on
 * success, a valid self-relative result; the canary and the input unchanged (both are readers).
 */
class AccessCheckFuzzTest {
    private static final Set<Integer> CHECK_STATUSES = Set.of(NtStatus.STATUS_SUCCESS, NtStatus.STATUS_ACCESS_DENIED,
            NtStatus.STATUS_PRIVILEGE_NOT_HELD, NtStatus.STATUS_GENERIC_NOT_MAPPED, NtStatus.STATUS_INVALID_SECURITY_DESCR);
    private static final Set<Integer> ASSIGN_STATUSES = Set.of(NtStatus.STATUS_SUCCESS, NtStatus.STATUS_INVALID_SECURITY_DESCR,
            NtStatus.STATUS_INVALID_OWNER, NtStatus.STATUS_PRIVILEGE_NOT_HELD);

    private static Kernel kernel;

    @BeforeAll
    static void boot() {
        kernel = Kernel.boot();
    }

    @AfterAll
    static void close() {
        kernel.close();
    }

    private static int desired(byte[] input) {
        return input.length < 4 ? 0x1 : (input[0] & 0xFF) | (input[1] & 0xFF) << 8 | (input[2] & 0xFF) << 16 | (input[3] & 0xFF) << 24;
    }

    private static byte[] descriptor(byte[] input) {
        return input.length < 4 ? input : Arrays.copyOfRange(input, 4, input.length);
    }

    /** SeAccessCheck in UserMode, the caller's subject context (the SYSTEM token), on the bytes as a descriptor. */
    @FuzzTest(maxDuration = "3m")
    void accessCheck(byte[] input) {
        kernel.attach();
        byte[] sd = descriptor(input);
        int desired = desired(input);
        try (Arena arena = Arena.ofConfined(); Guarded guarded = Guarded.holding(sd)) {
            MemorySegment ctx = arena.allocate(32);
            Se.SeCaptureSubjectContext(ctx);
            try {
                MemorySegment mapping = arena.allocate(16);
                mapping.set(JAVA_INT_UNALIGNED, 0, 0x20001);
                mapping.set(JAVA_INT_UNALIGNED, 4, 0x20002);
                mapping.set(JAVA_INT_UNALIGNED, 8, 0x20004);
                mapping.set(JAVA_INT_UNALIGNED, 12, 0x1F01FF);
                MemorySegment out = arena.allocate(16);
                MemorySegment target = sd.length == 0 ? MemorySegment.NULL : guarded.pointer();
                boolean ok = Se.SeAccessCheck(target, ctx, false, desired, 0, out.asSlice(8, 8), mapping, 1, out.asSlice(0, 4),
                        out.asSlice(4, 4));
                int granted = out.get(JAVA_INT_UNALIGNED, 0);
                int status = out.get(JAVA_INT_UNALIGNED, 4);
                long privileges = out.get(JAVA_LONG_UNALIGNED, 8);
                if (privileges != 0) {
                    Se.SeFreePrivileges(MemorySegment.ofAddress(privileges));
                }
                if (!CHECK_STATUSES.contains(status) || ok != (status == NtStatus.STATUS_SUCCESS) || (!ok && granted != 0)) {
                    throw new AssertionError("SeAccessCheck: " + ok + ", status 0x" + Integer.toHexString(status) + ", granted 0x"
                            + Integer.toHexString(granted) + " for desired 0x" + Integer.toHexString(desired) + " and " + hex(sd));
                }
                if (ok && sd.length > 0 && !Rtl.RtlValidSecurityDescriptor(guarded.pointer())) {
                    throw new AssertionError("SeAccessCheck granted through a descriptor RtlValidSecurityDescriptor refuses: " + hex(sd));
                }
                guarded.check("SeAccessCheck", true);
                if (sd.length > 0) {
                    MemorySegment newSd = arena.allocate(8);
                    int st = Se.SeAssignSecurity(guarded.pointer(), MemorySegment.NULL, newSd, (desired & 1) != 0, ctx, mapping, 1);
                    if (!ASSIGN_STATUSES.contains(st)) {
                        throw new AssertionError("SeAssignSecurity returned 0x" + Integer.toHexString(st) + " for " + hex(sd));
                    }
                    if (st == NtStatus.STATUS_SUCCESS) {
                        if (!Rtl.RtlValidSecurityDescriptor(MemorySegment.ofAddress(newSd.get(JAVA_LONG_UNALIGNED, 0)))) {
                            throw new AssertionError("SeAssignSecurity made an invalid descriptor from parent " + hex(sd));
                        }
                        Se.SeDeassignSecurity(newSd);
                    }
                    guarded.check("SeAssignSecurity", true);
                }
            } finally {
                Se.SeReleaseSubjectContext(ctx);
            }
        }
        if (Ps.PsGetCurrentProcess().address() == 0) {
            throw new AssertionError("no current process");
        }
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xFF));
        }
        return s.toString();
    }
}
