package dev.offkern.runtime.rtl;

import static dev.offkern.nt.NtStatus.STATUS_INVALID_PARAMETER;
import static dev.offkern.nt.NtStatus.STATUS_PENDING;
import static dev.offkern.nt.NtStatus.STATUS_SUCCESS;
import static dev.offkern.nt.NtStatus.STATUS_UNSUCCESSFUL;
import static dev.offkern.ddi.Rtl.RtlRunOnceBeginInitialize;
import static dev.offkern.ddi.Rtl.RtlRunOnceComplete;
import static dev.offkern.ddi.Rtl.RtlRunOnceExecuteOnce;
import static dev.offkern.ddi.Rtl.RtlRunOnceInitialize;
import static dev.offkern.nt.RunOnceFlags.RTL_RUN_ONCE_ASYNC;
import static dev.offkern.nt.RunOnceFlags.RTL_RUN_ONCE_CHECK_ONLY;
import static dev.offkern.nt.RunOnceFlags.RTL_RUN_ONCE_INIT_FAILED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.layout.rtl.RTL_RUN_ONCE;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RtlRunOnceTest {

    private Kernel kernel;
    private Arena arena;
    private MemorySegment runOnce;
    private MemorySegment ctx;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot();
        arena = Arena.ofShared();
        runOnce = arena.allocate(8, 8);
        runOnce.set(ValueLayout.JAVA_LONG, 0, -1L);
        ctx = arena.allocate(8, 8);
        RtlRunOnceInitialize(runOnce);
    }

    @AfterEach
    void close() {
        kernel.close();
        arena.close();
    }

    private long word() {
        return runOnce.get(ValueLayout.JAVA_LONG, 0);
    }

    private static MemorySegment ptr(long value) {
        return MemorySegment.ofAddress(value);
    }

    @Test
    void shouldInitializeToNull() {
        assertEquals(0, word());
    }

    @Test
    void shouldHandTheInitializationToTheFirstCallerAndTheContextToLaterOnes() {
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        assertEquals(1, word(), "state 1: synchronous initialization in progress, no waiters");
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, 0, ptr(0x12340)));
        assertEquals(0x12340 | 2, word(), "the context lives in the upper bits, state 2 in the low bits");
        ctx.set(ValueLayout.JAVA_LONG, 0, 0);
        assertEquals(STATUS_SUCCESS, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        assertEquals(0x12340, ctx.get(ValueLayout.JAVA_LONG, 0));
    }

    @Test
    void shouldAnswerCheckOnlyWithoutChangingState() {
        assertEquals(STATUS_UNSUCCESSFUL, RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_CHECK_ONLY, ctx));
        assertEquals(0, word());
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        assertEquals(STATUS_UNSUCCESSFUL, RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_CHECK_ONLY, ctx), "in progress: never blocks");
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, 0, ptr(0x40)));
        assertEquals(STATUS_SUCCESS, RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_CHECK_ONLY, ctx));
        assertEquals(0x40, ctx.get(ValueLayout.JAVA_LONG, 0));
    }

    @Test
    void shouldRejectCheckOnlyCombinedWithAsync() {
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_CHECK_ONLY | RTL_RUN_ONCE_ASYNC, ctx));
    }

    @Test
    void shouldRejectUnknownFlags() {
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceBeginInitialize(runOnce, 0x10, ctx));
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_INIT_FAILED, ctx));
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceComplete(runOnce, RTL_RUN_ONCE_CHECK_ONLY, MemorySegment.NULL));
        assertEquals(1, word());
    }

    @Test
    void shouldAcceptANullContextPointer() {
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, MemorySegment.NULL));
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, 0, MemorySegment.NULL));
        assertEquals(2, word());
        assertEquals(STATUS_SUCCESS, RtlRunOnceBeginInitialize(runOnce, 0, MemorySegment.NULL));
    }

    @Test
    void shouldRejectAContextWithReservedBitsSet() {
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceComplete(runOnce, 0, ptr(0x1001)));
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceComplete(runOnce, 0, ptr(0x1002)));
        assertEquals(1, word(), "a refused completion leaves the initialization in progress");
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, 0, ptr(0x1004)));
    }

    @Test
    void shouldRejectInitFailedWithAContextOrWithAsync() {
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceComplete(runOnce, RTL_RUN_ONCE_INIT_FAILED, ptr(0x100)));
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceComplete(runOnce, RTL_RUN_ONCE_INIT_FAILED | RTL_RUN_ONCE_ASYNC, MemorySegment.NULL));
        assertEquals(1, word());
    }

    @Test
    void shouldResetToUninitializedWhenTheInitializationFailed() {
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, RTL_RUN_ONCE_INIT_FAILED, MemorySegment.NULL));
        assertEquals(0, word());
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx), "the next caller retries");
    }

    @Test
    void shouldReportUnsuccessfulWhenNoInitializationIsInProgress() {
        assertEquals(STATUS_UNSUCCESSFUL, RtlRunOnceComplete(runOnce, 0, ptr(0x40)));
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, 0, ptr(0x40)));
        assertEquals(STATUS_UNSUCCESSFUL, RtlRunOnceComplete(runOnce, 0, ptr(0x80)), "already done");
        assertEquals(0x42, word());
    }

    @Test
    void shouldLetSeveralAsyncInitializersRunAndTheFirstCompleterWin() {
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_ASYNC, ctx));
        assertEquals(3, word());
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_ASYNC, ctx));
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, RTL_RUN_ONCE_ASYNC, ptr(0x1000)));
        assertEquals(STATUS_UNSUCCESSFUL, RtlRunOnceComplete(runOnce, RTL_RUN_ONCE_ASYNC, ptr(0x2000)), "the loser discards its work");
        assertEquals(STATUS_SUCCESS, RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_ASYNC, ctx));
        assertEquals(0x1000, ctx.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(STATUS_SUCCESS, RtlRunOnceBeginInitialize(runOnce, 0, ctx), "done: any mode reads the context");
    }

    @Test
    void shouldRejectMixingSyncAndAsyncWhileInProgress() {
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_ASYNC, ctx));
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceComplete(runOnce, 0, ptr(0x40)));
        assertEquals(3, word());
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, RTL_RUN_ONCE_ASYNC, ptr(0x40)));

        RtlRunOnceInitialize(runOnce);
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceBeginInitialize(runOnce, RTL_RUN_ONCE_ASYNC, ctx));
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, RTL_RUN_ONCE_ASYNC, ptr(0x40)),
                "an ASYNC completion of a synchronous initialization is accepted (as in Windows' ntdll)");
    }

    @Test
    void shouldBlockASynchronousCallerUntilTheInitializerCompletes() throws Exception {
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        int[] status = new int[1];
        long[] seen = new long[1];
        MemorySegment theirCtx = arena.allocate(8, 8);
        Thread waiter = Thread.ofPlatform().start(() -> {
            status[0] = RtlRunOnceBeginInitialize(runOnce, 0, theirCtx);
            seen[0] = theirCtx.get(ValueLayout.JAVA_LONG, 0);
        });
        long w = awaitWaiterLinked();
        long node = w & ~RTL_RUN_ONCE.STATE_MASK;
        assertEquals(0, node & 15, "the waiter's node (its thread's wake block) is 16-byte aligned");
        assertTrue(kernel.addressSpace().isValid(node, OFFKERN_THREAD_BLOCK.WAKE_BLOCK_SIZE));
        MemorySegment owner = MemorySegment.ofAddress(node - dev.offkern.runtime.ke.WakeBlock.IN_KTHREAD);
        assertEquals(dev.offkern.ddi.Ps.PsThreadType().address(), dev.offkern.ddi.Ob.ObGetObjectType(owner).address(),
                "the node is the wake block inside the waiting thread's Thread object: no pool block per wait");
        assertTrue(waiter.isAlive());
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, 0, ptr(0x7700)));
        waiter.join(10_000);
        assertFalse(waiter.isAlive());
        assertEquals(STATUS_SUCCESS, status[0]);
        assertEquals(0x7700, seen[0]);
    }

    @Test
    void shouldWakeWaitersToRetryWhenTheInitializationFailed() throws Exception {
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        int[] status = new int[1];
        Thread waiter = Thread.ofPlatform().start(() -> status[0] = RtlRunOnceBeginInitialize(runOnce, 0, arena.allocate(8, 8)));
        awaitWaiterLinked();
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, RTL_RUN_ONCE_INIT_FAILED, MemorySegment.NULL));
        waiter.join(10_000);
        assertFalse(waiter.isAlive());
        assertEquals(STATUS_PENDING, status[0], "the woken waiter takes the initialization over");
        assertEquals(1, word());
    }

    @Test
    void shouldRunTheInitFunctionOnceAndReturnItsContext() {
        AtomicInteger runs = new AtomicInteger();
        MemorySegment param = arena.allocate(8, 8);
        param.set(ValueLayout.JAVA_LONG, 0, 0x5550);
        for (int i = 0; i < 3; i++) {
            ctx.set(ValueLayout.JAVA_LONG, 0, 0);
            int s = RtlRunOnceExecuteOnce(runOnce, (ro, p, c) -> {
                runs.incrementAndGet();
                assertEquals(runOnce.address(), ro.address());
                c.set(ValueLayout.JAVA_LONG, 0, p.get(ValueLayout.JAVA_LONG, 0));
                return true;
            }, param, ctx);
            assertEquals(STATUS_SUCCESS, s);
            assertEquals(0x5550, ctx.get(ValueLayout.JAVA_LONG, 0));
        }
        assertEquals(1, runs.get());
    }

    @Test
    void shouldRetryTheInitFunctionAfterItFailed() {
        AtomicInteger runs = new AtomicInteger();
        assertEquals(STATUS_UNSUCCESSFUL, RtlRunOnceExecuteOnce(runOnce, (ro, p, c) -> runs.incrementAndGet() > 1, MemorySegment.NULL, ctx));
        assertEquals(0, word());
        assertEquals(STATUS_SUCCESS, RtlRunOnceExecuteOnce(runOnce, (ro, p, c) -> runs.incrementAndGet() > 1, MemorySegment.NULL, ctx));
        assertEquals(2, runs.get());
        assertEquals(2, word(), "the init function stored no context: NULL");
    }

    @Test
    void shouldFailAndReleaseWaitersWhenTheInitFunctionStoresAContextWithReservedBits() {
        assertEquals(STATUS_INVALID_PARAMETER, RtlRunOnceExecuteOnce(runOnce, (ro, p, c) -> {
            c.set(ValueLayout.JAVA_LONG, 0, 0x1003);
            return true;
        }, MemorySegment.NULL, ctx));
        assertEquals(0, word(), "marked failed so that the next caller retries");
    }

    @Test
    void shouldMarkTheInitializationFailedWhenTheInitFunctionThrows() {
        assertThrows(IllegalStateException.class, () -> RtlRunOnceExecuteOnce(runOnce, (ro, p, c) -> {
            throw new IllegalStateException("boom");
        }, MemorySegment.NULL, ctx));
        assertEquals(0, word());
    }

    @Test
    void shouldRejectAMisalignedRunOnce() {
        MemorySegment buf = arena.allocate(16, 8);
        assertThrows(IllegalArgumentException.class, () -> RtlRunOnceInitialize(buf.asSlice(2)));
    }

    @Test
    void shouldReturnTheContextStoredBeforeAnyCheck() {
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        MemorySegment payload = arena.allocate(64, 64);
        payload.set(ValueLayout.JAVA_LONG, 0, 99);
        assertEquals(STATUS_SUCCESS, RtlRunOnceComplete(runOnce, 0, payload));
        assertEquals(STATUS_SUCCESS, RtlRunOnceBeginInitialize(runOnce, 0, ctx));
        assertEquals(payload.address(), ctx.get(ValueLayout.JAVA_LONG, 0));
    }

    @Test
    void shouldBugCheckACallAboveApcLevel() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.offkern.runtime.verifier.Verifier.ENABLED);
        int old = dev.offkern.runtime.ke.Irql.raise(dev.offkern.runtime.ke.Irql.DISPATCH_LEVEL);
        try {
            dev.offkern.nt.BugCheck b = assertThrows(dev.offkern.nt.BugCheck.class,
                    () -> RtlRunOnceExecuteOnce(runOnce, (ro, p, c) -> true, MemorySegment.NULL, ctx));
            assertEquals(dev.offkern.nt.BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, b.code());
            assertEquals(runOnce.address(), b.parameter1());
        } finally {
            dev.offkern.runtime.ke.Irql.lower(old);
        }
        assertEquals(0, word());
    }

    private long awaitWaiterLinked() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            long w = word();
            if ((w & 3) == 1 && (w & ~3L) != 0) {
                return w;
            }
            Thread.sleep(1);
        }
        throw new AssertionError("no waiter linked itself; word 0x" + Long.toHexString(word()));
    }
}
