package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ex;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Under the verifier, freeing pool that holds a set timer or a queued DPC is TIMER_OR_DPC_INVALID (0xC7). */
class LiveObjectsTest {
    private static final int TAG = 0x74736554; // 'Test'
    private static final long HOUR = -3600L * 10_000_000;

    @TempDir
    Path dumps;
    Kernel kernel;

    @AfterEach
    void close() {
        resetThread();
        if (kernel != null) {
            kernel.close();
        }
    }

    private void boot(boolean dpcFamily) {
        EnumSet<VerifierCheck> checks = EnumSet.allOf(VerifierCheck.class);
        if (!dpcFamily) {
            checks.remove(VerifierCheck.DPC);
        }
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)
                .withBugCheckPolicy(BugCheckPolicy.THROW).withVerifierChecks(checks)).leakReportSink(s -> { });
    }

    private static BugCheck assertC7(long p1, long object, MemorySegment block, Runnable free) {
        BugCheck bc = org.junit.jupiter.api.Assertions.assertThrows(BugCheck.class, free::run);
        assertEquals(BugCheckCode.TIMER_OR_DPC_INVALID, bc.code(), bc.getMessage());
        assertEquals(p1, bc.parameter1());
        assertEquals(object, bc.parameters()[1], "P2: the object");
        assertEquals(block.address(), bc.parameters()[2], "P3: start of the freed block");
        assertTrue(bc.parameters()[3] >= block.address() + block.byteSize(), "P4: end of the freed block");
        return bc;
    }

    @Test
    void shouldBugCheckFreeingPoolThatHoldsASetTimerAndFreeItOnceCancelled() {
        boot(true);
        MemorySegment block = Ex.ExAllocatePoolWithTag(PoolType.NonPagedPool, 0x100, TAG);
        MemorySegment timer = block.asSlice(0x40, KTIMER.X64.size());
        KeInitializeTimer(timer);
        KeSetTimer(timer, HOUR, MemorySegment.NULL);
        assertC7(0, timer.address(), block, () -> Ex.ExFreePoolWithTag(block, TAG));
        assertTrue(KeCancelTimer(timer), "the refused free changed nothing: the timer is still set");
        Ex.ExFreePoolWithTag(block, TAG);
        assertEquals(0, kernel.core().liveObjects().size());
    }

    @Test
    void shouldBugCheckFreeingPoolThatHoldsAQueuedDpc() {
        boot(true);
        MemorySegment block = Ex.ExAllocatePoolWithTag(PoolType.NonPagedPool, 0x80, TAG);
        MemorySegment dpc = block.asSlice(0x10, KDPC.X64.size());
        KeInitializeDpc(dpc, (d, c, a1, a2) -> { }, MemorySegment.NULL);
        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL); // queued until this thread lowers its IRQL
        try {
            assertTrue(KeInsertQueueDpc(dpc, MemorySegment.NULL, MemorySegment.NULL));
            assertC7(KeDpc.DPC_INVALID_MEMORY, dpc.address(), block, () -> Ex.ExFreePoolWithTag(block, TAG));
            assertTrue(KeRemoveQueueDpc(dpc));
        } finally {
            KeLowerIrql(old);
        }
        Ex.ExFreePoolWithTag(block, TAG);
    }

    @Test
    void shouldBugCheckFreeingAnArmedExTimerWithExFreePool() {
        boot(true);
        MemorySegment t = Ex.ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 0);
        Ex.ExSetTimer(t, HOUR, 0, MemorySegment.NULL);
        assertC7(0, t.address(), t, () -> Ex.ExFreePool(t));
        assertTrue(Ex.ExDeleteTimer(t, true, true, MemorySegment.NULL), "still set after the refused free");
        MemorySegment idle = Ex.ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 0);
        assertC7(0, idle.address(), idle, () -> Ex.ExFreePool(idle)); // not deleted: ExDeleteTimer frees it
        assertTrue(!Ex.ExDeleteTimer(idle, true, true, MemorySegment.NULL));
    }

    @Test
    void shouldFreeLargeBlocksAndBlocksOfExpiredTimersWithoutComplaint() throws Exception {
        boot(true);
        MemorySegment large = Ex.ExAllocatePoolWithTag(PoolType.NonPagedPool, 3 * 4096, TAG);
        MemorySegment timer = large.asSlice(2 * 4096 + 8, KTIMER.X64.size());
        KeInitializeTimer(timer);
        KeSetTimer(timer, HOUR, MemorySegment.NULL);
        assertC7(0, timer.address(), large, () -> Ex.ExFreePoolWithTag(large, TAG));
        KeSetTimer(timer, -10_000, MemorySegment.NULL); // 1 ms
        assertEquals(dev.offkern.nt.NtStatus.STATUS_SUCCESS,
                KeWaitForSingleObject(timer, Executive, KernelMode, false, MemorySegment.NULL));
        Ex.ExFreePoolWithTag(large, TAG); // expired: no longer in the timer table
    }

    /**
     * The check runs on every pool free under the DPC family. It allocates nothing while nothing is
     * registered, and at most the boxed start of the block while something is registered elsewhere (the
     * range view it made before, with its bounds and entry set, was ~100 B per free).
     */
    @Test
    void shouldCheckAFreeWithoutAllocatingARangeViewWhenNothingLiesInTheBlock() {
        boot(true);
        LiveObjects live = kernel.core().liveObjects();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().threadId();
        int calls = 20_000;
        assertEquals(0, live.size(), "a fresh kernel has no armed timer or queued DPC");
        long before = mx.getThreadAllocatedBytes(me);
        for (int i = 0; i < calls; i++) {
            live.checkFree(0x7000_0000L + i * 0x100L, 0x80);
        }
        long nothingRegistered = mx.getThreadAllocatedBytes(me) - before;
        assertTrue(nothingRegistered < 4096, nothingRegistered + " bytes for " + calls + " checks with nothing registered");

        MemorySegment block = Ex.ExAllocatePoolWithTag(PoolType.NonPagedPool, 0x100, TAG);
        MemorySegment timer = block.asSlice(0x40, KTIMER.X64.size());
        KeInitializeTimer(timer);
        KeSetTimer(timer, HOUR, MemorySegment.NULL);
        long elsewhere = timer.address() + 0x10_0000L; // above the timer: no registered object in any checked range
        before = mx.getThreadAllocatedBytes(me);
        for (int i = 0; i < calls; i++) {
            live.checkFree(elsewhere + i * 0x100L, 0x80);
        }
        long perCall = (mx.getThreadAllocatedBytes(me) - before) / calls;
        assertTrue(perCall <= 32, perCall + " bytes per check with a timer registered outside the block");
        assertC7(0, timer.address(), block, () -> live.checkFree(block.address(), block.byteSize()));
        assertTrue(KeCancelTimer(timer));
        Ex.ExFreePoolWithTag(block, TAG);
    }

    @Test
    void shouldNotTrackAnythingWithoutTheDpcFamily() {
        boot(false);
        assertNull(kernel.core().liveObjects());
        MemorySegment block = Ex.ExAllocatePoolWithTag(PoolType.NonPagedPool, 0x100, TAG);
        KeInitializeTimer(block);
        KeSetTimer(block, HOUR, MemorySegment.NULL);
        KeCancelTimer(block);
        Ex.ExFreePoolWithTag(block, TAG);
    }
}
