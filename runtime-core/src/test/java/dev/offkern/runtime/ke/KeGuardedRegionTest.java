package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheckCode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Critical and guarded regions ({@link KeRegion}). */
class KeGuardedRegionTest {
    @TempDir
    Path dumps;
    Kernel kernel;

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps);
    }

    @AfterEach
    void close() {
        resetThread();
        kernel.close();
    }

    private static ThreadState me() {
        return ThreadState.current();
    }

    @Test
    void shouldNestCriticalAndGuardedRegionsAsCounters() {
        KeEnterCriticalRegion();
        KeEnterCriticalRegion();
        KeEnterGuardedRegion();
        assertEquals(-2, me().kernelApcDisable());
        assertEquals(-1, me().specialApcDisable());
        assertEquals((-1 << 16) | 0xFFFE, me().combinedApcDisable());
        assertTrue(me().apcsDisabled());
        KeLeaveGuardedRegion();
        KeLeaveCriticalRegion();
        KeLeaveCriticalRegion();
        assertEquals(0, me().combinedApcDisable());
        KeRaiseIrql(Irql.APC_LEVEL);
        KeEnterGuardedRegion(); // legal at APC_LEVEL
        KeLeaveGuardedRegion();
    }

    @Test
    void shouldBugCheckLeavingACriticalRegionNotEntered() {
        assertBugCheck(0xC4, new long[] {0x3E, 1, me().address(), 0}, () -> KeLeaveCriticalRegion());
        assertEquals(0, me().kernelApcDisable(), "unchanged");
    }

    @Test
    void shouldBugCheckApcIndexMismatchLeavingAGuardedRegionNotEntered() {
        KeEnterCriticalRegion();
        assertBugCheck(BugCheckCode.APC_INDEX_MISMATCH, new long[] {0, 0, (1 << 16) | 0xFFFF, 0}, () -> KeLeaveGuardedRegion());
        assertEquals(0, me().specialApcDisable(), "unchanged");
        KeLeaveCriticalRegion();
    }

    @Test
    void shouldBugCheckEnterAndLeaveAboveApcLevel() {
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertBugCheck(0xC4, new long[] {0x11A, 2, 0, 0}, () -> KeEnterCriticalRegion());
        assertBugCheck(0xC4, new long[] {0x11A, 2, 0, 0}, () -> KeEnterGuardedRegion());
        assertBugCheck(0xC4, new long[] {0x11B, 2, 0, 0}, () -> KeLeaveCriticalRegion());
        assertBugCheck(0xC4, new long[] {0x11B, 2, 0, 0}, () -> KeLeaveGuardedRegion());
        assertEquals(0, me().combinedApcDisable());
    }
}
