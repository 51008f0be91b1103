package dev.offkern.runtime.ke;

import dev.offkern.runtime.verifier.VerifierCheck;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import static dev.offkern.ddi.Ke.KeLowerIrql;
import static dev.offkern.ddi.Ke.KeRaiseIrql;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IrqlChecksTest {
    @TempDir
    Path dumps;
    Kernel kernel;

    @AfterEach
    void close() {
        if (kernel != null) {
            KeLowerIrqlQuietly();
            kernel.close();
        }
    }

    private void KeLowerIrqlQuietly() {
        try {
            KeLowerIrql(Irql.PASSIVE_LEVEL);
        } catch (RuntimeException ignored) {
            // kernel may be gone
        }
    }

    private void boot(EnumSet<VerifierCheck> checks) {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(1).withDumpDirectory(dumps).withVerifierChecks(checks));
    }

    @Test
    void shouldPassRequireAtMostBelowAndAtTheLimitAndBugCheckOneLevelAbove() {
        boot(EnumSet.allOf(VerifierCheck.class));
        assertDoesNotThrow(() -> IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, 0x1000, IrqlChecks.WRITE, "KeSomething"));
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertDoesNotThrow(() -> IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, 0x1000, IrqlChecks.WRITE, "KeSomething"));
        assertNull(kernel.bugChecks().last(), "no bug check at or below the limit");
        KeRaiseIrql(Irql.DISPATCH_LEVEL + 1);
        BugCheck above = assertThrows(BugCheck.class,
                () -> IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, 0x1000, IrqlChecks.WRITE, "KeSomething"));
        assertEquals(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, above.code());
        assertArrayEquals(new long[] {0x1000, Irql.DISPATCH_LEVEL + 1, 1, 0}, above.parameters());
        assertEquals(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, kernel.bugChecks().last().bugCheck().code());
    }

    @Test
    void shouldRaiseDriverIrqlNotLessOrEqualWithAddressIrqlAndAccess() {
        boot(EnumSet.allOf(VerifierCheck.class));
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        BugCheck bc = assertThrows(BugCheck.class,
                () -> IrqlChecks.requireAtMost(Irql.APC_LEVEL, 0xABC0, IrqlChecks.WRITE, "ExAllocatePagedThing"));
        assertEquals(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, bc.code());
        assertArrayEquals(new long[] {0xABC0, 2, 1, 0}, bc.parameters());
        assertTrue(bc.getMessage().contains("ExAllocatePagedThing"), bc.getMessage());
        BugCheck plain = assertThrows(BugCheck.class, () -> IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "ZwClose"));
        assertArrayEquals(new long[] {0, 2, 0, 0}, plain.parameters());
    }

    @Test
    void shouldRaiseIrqlNotLessOrEqualForSystemAttributedViolations() {
        boot(EnumSet.allOf(VerifierCheck.class));
        KeRaiseIrql(Irql.HIGH_LEVEL);
        BugCheck bc = assertThrows(BugCheck.class,
                () -> IrqlChecks.requireAtMostSystem(ThreadState.current(), Irql.DISPATCH_LEVEL, 0x2000, IrqlChecks.READ, "x"));
        assertEquals(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, bc.code());
        assertArrayEquals(new long[] {0x2000, 15, 0, 0}, bc.parameters());
    }

    @Test
    void shouldRaiseDriverVerifierSubcodesForExactlyAtLeastAndAtMost() {
        boot(EnumSet.allOf(VerifierCheck.class));
        BugCheck exact = assertThrows(BugCheck.class,
                () -> IrqlChecks.requireExactly(ThreadState.current(), Irql.DISPATCH_LEVEL, 0x32, 0x5000, 0, "KeReleaseSpinLock"));
        assertEquals(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, exact.code());
        assertArrayEquals(new long[] {0x32, 0, 0x5000, 0}, exact.parameters());
        BugCheck least = assertThrows(BugCheck.class,
                () -> IrqlChecks.requireAtLeast(ThreadState.current(), Irql.DISPATCH_LEVEL, 0x40, 0x6000, 0, "KeAcquireSpinLockAtDpcLevel"));
        assertArrayEquals(new long[] {0x40, 0, 0x6000, 0}, least.parameters());
        KeRaiseIrql(Irql.CLOCK_LEVEL);
        BugCheck most = assertThrows(BugCheck.class,
                () -> IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, 0x42, 0x7000, 0, "KeAcquireSpinLock"));
        assertArrayEquals(new long[] {0x42, 13, 0x7000, 0}, most.parameters());
        IrqlChecks.requireAtLeast(ThreadState.current(), Irql.DISPATCH_LEVEL, 0x40, 0, 0, "ok");
        IrqlChecks.requireExactly(ThreadState.current(), Irql.CLOCK_LEVEL, 0x32, 0, 0, "ok");
    }

    @Test
    void shouldCheckWaitsAtAndAboveDispatchLevel() {
        boot(EnumSet.allOf(VerifierCheck.class));
        IrqlChecks.requireWaitAllowed(ThreadState.current(), 0x100, false, 0, "KeWaitForSingleObject");
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        IrqlChecks.requireWaitAllowed(ThreadState.current(), 0x100, true, 0, "KeWaitForSingleObject"); // a poll is allowed
        BugCheck nullTimeout = assertThrows(BugCheck.class, () -> IrqlChecks.requireWaitAllowed(ThreadState.current(), 0x100, false, 0, "KeWait"));
        assertArrayEquals(new long[] {0x121, 2, 0x100, 0}, nullTimeout.parameters());
        BugCheck timeout = assertThrows(BugCheck.class, () -> IrqlChecks.requireWaitAllowed(ThreadState.current(), 0x100, true, -10_000, "KeWait"));
        assertArrayEquals(new long[] {0x122, 2, 0x100, -10_000}, timeout.parameters());
        KeRaiseIrql(Irql.SYNCH_LEVEL);
        BugCheck above = assertThrows(BugCheck.class, () -> IrqlChecks.requireWaitAllowed(ThreadState.current(), 0x100, true, 0, "KeWait"));
        assertArrayEquals(new long[] {0x120, 12, 0x100, 0}, above.parameters());
    }

    @Test
    void shouldRunOnlyTheConfiguredCheckFamilies() {
        boot(EnumSet.of(VerifierCheck.POOL));
        KeRaiseIrql(Irql.HIGH_LEVEL);
        assertDoesNotThrow(() -> IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "no IRQL family: no check"));
        assertDoesNotThrow(() -> IrqlChecks.requireWaitAllowed(ThreadState.current(), 0, false, 0, "no WAITS family: no check"));
        assertNull(kernel.bugChecks().last(), "no family that is off raised a bug check");
        assertEquals(Irql.HIGH_LEVEL, KeRaiseIrql(Irql.PASSIVE_LEVEL), "KeRaiseIrql's own check is off too");
    }

    @Test
    void shouldRaiseAnyDriverVerifierSubcode() {
        boot(EnumSet.allOf(VerifierCheck.class));
        BugCheck bc = IrqlChecks.violation(0x3E, 1, 2, 3, "leave without enter");
        assertEquals(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, bc.code());
        assertArrayEquals(new long[] {0x3E, 1, 2, 3}, bc.parameters());
    }

    @Test
    void shouldAnswerWhetherAFamilyIsEnabledForTheCallingThread() {
        boot(EnumSet.of(VerifierCheck.LOCKS));
        assertTrue(ThreadState.current().verifies(VerifierCheck.LOCKS));
        assertTrue(!ThreadState.current().verifies(VerifierCheck.IRQL));
    }

    @Test
    void shouldNameEveryCheckFamilyWithADistinctBit() {
        int all = VerifierCheck.mask(EnumSet.allOf(VerifierCheck.class));
        assertEquals(VerifierCheck.values().length, Integer.bitCount(all));
    }
}
