package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ke;
import dev.offkern.layout.ex.EXT_DELETE_PARAMETERS;
import dev.offkern.layout.ex.EXT_SET_PARAMETERS;
import dev.offkern.layout.ex.EX_TIMER;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.nt.EXT_CALLBACK;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ke.ExTimerCore;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.ThreadState;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class ExTimerTest {
    /** 1 ms in 100 ns units, negative: relative. */
    private static final long MS = -10_000;
    private static final long HOUR = 3600L * 1000 * MS;
    private static final long INVALID = NtStatus.STATUS_INVALID_PARAMETER & 0xFFFFFFFFL;

    @TempDir
    Path dumps;
    Kernel kernel;
    Arena arena;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)
                .withBugCheckPolicy(BugCheckPolicy.THROW).withVerifier(true)).leakReportSink(s -> { });
        arena = Arena.ofShared();
    }

    @AfterEach
    void close() {
        ThreadState t = ThreadState.peek();
        if (t != null) {
            t.setIrql(Irql.PASSIVE_LEVEL);
        }
        kernel.close();
        arena.close();
    }

    private static BugCheck assertBugCheck(int code, long[] params, Executable body) {
        BugCheck bc = assertThrows(BugCheck.class, body);
        assertEquals(code, bc.code(), bc.getMessage());
        if (params != null) {
            assertArrayEquals(params, bc.parameters(), bc.getMessage());
        }
        return bc;
    }

    private static int state(MemorySegment timer) {
        return timer.get(ValueLayout.JAVA_INT, EX_TIMER.STATE_OFFSET);
    }

    private int liveTimers() {
        return kernel.core().clock().timers().exTimerCount();
    }

    @Test
    void shouldAllocateANotSetSynchronizationTimerUnlessNotificationIsAsked() {
        MemorySegment t = ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 0);
        assertNotEquals(0, t.address());
        assertEquals(ExTimer.SIZE, t.byteSize());
        assertEquals(9, t.get(ValueLayout.JAVA_BYTE, 0), "TimerSynchronizationObject by default");
        assertEquals(0, t.get(ValueLayout.JAVA_INT, KTIMER.X64.offset("Header") + 4), "not signalled");
        assertEquals(0x13, t.get(ValueLayout.JAVA_BYTE, EX_TIMER.TIMER_DPC_OFFSET), "TimerDpc is a DpcObject");
        assertEquals(t.address(), t.get(ValueLayout.JAVA_LONG, EX_TIMER.TIMER_DPC_OFFSET + dev.offkern.layout.ke.KDPC.DEFERRED_CONTEXT_OFFSET), "DeferredContext = the EX_TIMER");
        assertEquals(EX_TIMER.STATE_LIVE, state(t));
        MemorySegment n = ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, EX_TIMER_NOTIFICATION | EX_TIMER_NO_WAKE);
        assertEquals(8, n.get(ValueLayout.JAVA_BYTE, 0), "TimerNotificationObject");
        assertEquals(EX_TIMER_NOTIFICATION | EX_TIMER_NO_WAKE, n.get(ValueLayout.JAVA_INT, EX_TIMER.ATTRIBUTES_OFFSET));
        assertEquals(2, liveTimers());
        assertFalse(ExDeleteTimer(t, true, true, MemorySegment.NULL));
        assertFalse(ExDeleteTimer(n, true, true, MemorySegment.NULL));
        assertEquals(0, liveTimers());
    }

    @Test
    void shouldReturnNullForUnknownAttributesAndBugCheckHighResolutionWithNoWake() {
        assertEquals(0, ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 0x10).address());
        assertEquals(0, ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 1).address());
        assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, new long[] {INVALID, 0, 0, ExTimer.RULE_HIGH_RESOLUTION_NO_WAKE},
                () -> ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, EX_TIMER_HIGH_RESOLUTION | EX_TIMER_NO_WAKE));
        assertEquals(0, liveTimers());
    }

    @Test
    void shouldRunTheCallbackAtDispatchLevelWithTheTimerAndContextAndSignalTheTimer() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        AtomicInteger irql = new AtomicInteger(-1);
        AtomicLong timerSeen = new AtomicLong();
        AtomicLong contextSeen = new AtomicLong();
        EXT_CALLBACK cb = (timer, context) -> {
            irql.set(Ke.KeGetCurrentIrql());
            timerSeen.set(timer.address());
            contextSeen.set(context.address());
            ran.countDown();
        };
        MemorySegment t = ExAllocateTimer(cb, MemorySegment.ofAddress(0x1234), EX_TIMER_NOTIFICATION);
        assertFalse(ExSetTimer(t, 2 * MS, 0, MemorySegment.NULL));
        assertTrue(ran.await(10, TimeUnit.SECONDS));
        assertEquals(Irql.DISPATCH_LEVEL, irql.get());
        assertEquals(t.address(), timerSeen.get());
        assertEquals(0x1234, contextSeen.get());
        assertTrue(Ke.KeReadStateTimer(t), "a notification EX_TIMER stays signalled after expiry");
        assertFalse(ExCancelTimer(t, MemorySegment.NULL), "already expired");
        awaitCount(t, 1);
        ExDeleteTimer(t, true, true, MemorySegment.NULL);
    }

    @Test
    void shouldBeAWaitableDispatcherObject() {
        MemorySegment t = ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 0);
        ExSetTimer(t, 3 * MS, 0, MemorySegment.NULL);
        assertEquals(NtStatus.STATUS_SUCCESS, Ke.KeWaitForSingleObject(t, Ke.Executive, Ke.KernelMode, false, MemorySegment.NULL));
        assertFalse(Ke.KeReadStateTimer(t), "a synchronization timer is reset by the satisfied wait");
        ExDeleteTimer(t, true, true, MemorySegment.NULL);
    }

    @Test
    void shouldReturnTrueWhenSettingOrCancellingAPendingTimer() {
        MemorySegment t = ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 0);
        assertFalse(ExSetTimer(t, HOUR, 0, MemorySegment.NULL));
        assertTrue(ExSetTimer(t, 2 * HOUR, 0, MemorySegment.NULL), "was pending: replaced");
        assertEquals(2, state(t) >>> EX_TIMER.STATE_GENERATION_SHIFT, "two arms");
        assertTrue(ExCancelTimer(t, MemorySegment.NULL));
        assertFalse(ExCancelTimer(t, MemorySegment.NULL));
        assertFalse(ExSetTimer(t, HOUR, 0, MemorySegment.NULL));
        assertTrue(ExDeleteTimer(t, true, false, MemorySegment.NULL), "Cancel removed the pending expiry");
    }

    @Test
    void shouldAcceptAnAbsoluteDueTimeInThePast() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        MemorySegment t = ExAllocateTimer((timer, ctx) -> ran.countDown(), MemorySegment.NULL, 0);
        assertFalse(ExSetTimer(t, 1, 0, MemorySegment.NULL)); // 1601: long past, expires at once
        assertTrue(ran.await(10, TimeUnit.SECONDS));
        awaitCount(t, 1);
        ExDeleteTimer(t, true, true, MemorySegment.NULL);
    }

    @Test
    void shouldDeliverEveryPeriodOfAPeriodicTimerUntilDeletedWithWait() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        MemorySegment t = ExAllocateTimer((timer, ctx) -> runs.incrementAndGet(), MemorySegment.NULL, 0);
        ExSetTimer(t, MS, 20_000, MemorySegment.NULL); // every 2 ms
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (runs.get() < 5 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(runs.get() >= 5, "periodic: " + runs.get() + " callbacks");
        assertTrue(ExDeleteTimer(t, true, true, MemorySegment.NULL), "a periodic timer is always pending");
        int after = runs.get();
        Thread.sleep(20);
        assertEquals(after, runs.get(), "no callback after ExDeleteTimer(Cancel, Wait) returned");
        assertEquals(0, liveTimers());
    }

    @Test
    void shouldNeverCallTheCallbackOfACancelledExpiry() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        MemorySegment t = ExAllocateTimer((timer, ctx) -> runs.incrementAndGet(), MemorySegment.NULL, 0);
        ExSetTimer(t, 30 * MS, 0, MemorySegment.NULL);
        assertTrue(ExCancelTimer(t, MemorySegment.NULL));
        Thread.sleep(80);
        assertEquals(0, runs.get());
        assertFalse(Ke.KeReadStateTimer(t), "cancelled: never signalled");
        ExDeleteTimer(t, true, true, MemorySegment.NULL);
    }

    @Test
    void shouldFreeAQuiescentTimerAtOnceAfterItsDeleteCallbackAndBugCheckOnLaterUse() {
        AtomicInteger irql = new AtomicInteger(-1);
        AtomicLong context = new AtomicLong();
        MemorySegment params = arena.allocate(EXT_DELETE_PARAMETERS.X64.size(), 8);
        params.fill((byte) 0x55);
        ExInitializeDeleteTimerParameters(params, ctx -> {
            irql.set(Ke.KeGetCurrentIrql());
            context.set(ctx.address());
        }, MemorySegment.ofAddress(0xBEEF));
        assertEquals(0, params.get(ValueLayout.JAVA_INT, EXT_DELETE_PARAMETERS.VERSION_OFFSET));
        MemorySegment t = ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 0);
        long address = t.address();
        assertFalse(ExDeleteTimer(t, false, false, params), "nothing was pending");
        assertEquals(Irql.DISPATCH_LEVEL, irql.get(), "the delete callback runs at DISPATCH_LEVEL");
        assertEquals(0xBEEF, context.get());
        assertEquals(Irql.PASSIVE_LEVEL, Ke.KeGetCurrentIrql());
        assertEquals(0, liveTimers());
        long[] c7 = {0, address, address, address + ExTimer.SIZE};
        assertBugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, c7, () -> ExSetTimer(t, HOUR, 0, MemorySegment.NULL));
        assertBugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, c7, () -> ExCancelTimer(t, MemorySegment.NULL));
        assertBugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, c7, () -> ExDeleteTimer(t, true, true, MemorySegment.NULL));
        MemorySegment never = kernel.nonPagedPool().allocate(ExTimer.SIZE, 16);
        assertBugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, new long[] {0, never.address(), never.address(),
                never.address() + ExTimer.SIZE}, () -> ExSetTimer(never, HOUR, 0, MemorySegment.NULL));
    }

    @Test
    void shouldLetAPendingExpiryFireWhenDeletedWithoutCancelThenFreeIt() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch deleted = new CountDownLatch(1);
        AtomicInteger runsAtDelete = new AtomicInteger(-1);
        MemorySegment t = ExAllocateTimer((timer, ctx) -> runs.incrementAndGet(), MemorySegment.NULL, 0);
        MemorySegment params = arena.allocate(EXT_DELETE_PARAMETERS.X64.size(), 8);
        ExInitializeDeleteTimerParameters(params, ctx -> {
            runsAtDelete.set(runs.get());
            deleted.countDown();
        }, MemorySegment.NULL);
        ExSetTimer(t, 10 * MS, 10_000, MemorySegment.NULL); // periodic, 1 ms
        int before = runs.get(); // on a loaded host the first expiries may already have run
        assertFalse(ExDeleteTimer(t, false, false, params), "Cancel=FALSE returns FALSE");
        assertFalse(ExSetTimer(t, HOUR, 0, MemorySegment.NULL), "disabled");
        assertFalse(ExCancelTimer(t, MemorySegment.NULL), "disabled");
        assertFalse(ExDeleteTimer(t, true, false, MemorySegment.NULL), "a second delete does nothing");
        assertTrue(deleted.await(10, TimeUnit.SECONDS));
        // The pending expiry fires (once; one more may have been in flight when the delete began), then
        // the delete callback runs, and nothing after it.
        assertTrue(runsAtDelete.get() >= Math.max(1, before) && runsAtDelete.get() <= before + 2,
                "callbacks before the delete callback: " + runsAtDelete.get() + " (before the delete: " + before + ")");
        Thread.sleep(20);
        assertEquals(runsAtDelete.get(), runs.get(), "no callback after the delete callback");
        assertEquals(0, liveTimers());
    }

    @Test
    void shouldWaitForARunningCallbackWhenDeletingWithWait() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        MemorySegment t = ExAllocateTimer((timer, ctx) -> {
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            finished.incrementAndGet();
        }, MemorySegment.NULL, 0);
        AtomicInteger finishedAtDeleteCallback = new AtomicInteger(-1);
        MemorySegment params = arena.allocate(EXT_DELETE_PARAMETERS.X64.size(), 8);
        ExInitializeDeleteTimerParameters(params, ctx -> finishedAtDeleteCallback.set(finished.get()), MemorySegment.NULL);
        ExSetTimer(t, MS, 0, MemorySegment.NULL);
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        AtomicReference<Boolean> result = new AtomicReference<>();
        AtomicInteger finishedAtReturn = new AtomicInteger(-1);
        Thread deleter = new Thread(() -> {
            result.set(ExDeleteTimer(t, true, true, params));
            finishedAtReturn.set(finished.get());
        });
        deleter.start();
        deleter.join(100);
        assertTrue(deleter.isAlive(), "ExDeleteTimer(Wait) waits for the running callback");
        release.countDown();
        deleter.join(10_000);
        assertFalse(deleter.isAlive());
        assertFalse(result.get(), "the expiry had already happened: nothing pending to cancel");
        assertEquals(1, finishedAtReturn.get());
        assertEquals(1, finishedAtDeleteCallback.get(), "the delete callback runs after the callback returned");
        assertEquals(0, liveTimers());
    }

    @Test
    void shouldFreeATimerDeletedFromItsOwnCallbackWhenTheCallbackReturns() throws Exception {
        CountDownLatch deleted = new CountDownLatch(1);
        AtomicReference<Boolean> result = new AtomicReference<>();
        MemorySegment params = arena.allocate(EXT_DELETE_PARAMETERS.X64.size(), 8);
        ExInitializeDeleteTimerParameters(params, ctx -> deleted.countDown(), MemorySegment.NULL);
        MemorySegment t = ExAllocateTimer((timer, ctx) -> result.set(ExDeleteTimer(timer, true, false, params)),
                MemorySegment.NULL, 0);
        ExSetTimer(t, MS, 10_000, MemorySegment.NULL); // periodic: pending again while its callback runs
        assertTrue(deleted.await(10, TimeUnit.SECONDS));
        assertTrue(result.get(), "the re-armed period was cancelled");
        assertEquals(0, liveTimers());
    }

    @Test
    void shouldBugCheckWaitFromTheTimersOwnCallback() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        MemorySegment t = ExAllocateTimer((timer, ctx) -> {
            try {
                ExDeleteTimer(timer, true, true, MemorySegment.NULL);
            } catch (Throwable e) {
                thrown.set(e);
            }
            ran.countDown();
        }, MemorySegment.NULL, 0);
        ExSetTimer(t, MS, 0, MemorySegment.NULL);
        assertTrue(ran.await(10, TimeUnit.SECONDS));
        BugCheck bc = (BugCheck) thrown.get();
        assertArrayEquals(new long[] {t.address(), Irql.DISPATCH_LEVEL, 1, 0}, bc.parameters());
        assertEquals(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, bc.code());
        awaitCount(t, 1);
        assertFalse(ExDeleteTimer(t, true, true, MemorySegment.NULL));
    }

    @Test
    void shouldBugCheckTheUndocumentedParameterErrorsWithTheirRule() {
        MemorySegment t = ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 0);
        MemorySegment hr = ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, EX_TIMER_HIGH_RESOLUTION);
        MemorySegment set = arena.allocate(EXT_SET_PARAMETERS.X64.size(), 8);
        set.fill((byte) 0x33);
        ExInitializeSetTimerParameters(set);
        assertEquals(0, set.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(0, set.get(ValueLayout.JAVA_LONG, 8));
        assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, new long[] {INVALID, 0, hr.address(), ExTimer.RULE_ABSOLUTE_HIGH_RESOLUTION},
                () -> ExSetTimer(hr, 0, 0, MemorySegment.NULL));
        assertFalse(ExSetTimer(hr, HOUR, 0, set), "relative due time on a high-resolution timer");
        set.set(ValueLayout.JAVA_LONG, EXT_SET_PARAMETERS.NO_WAKE_TOLERANCE_OFFSET, -2);
        assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, new long[] {INVALID, 0, t.address(), ExTimer.RULE_NO_WAKE_TOLERANCE},
                () -> ExSetTimer(t, HOUR, 0, set));
        set.set(ValueLayout.JAVA_LONG, EXT_SET_PARAMETERS.NO_WAKE_TOLERANCE_OFFSET, EX_TIMER_UNLIMITED_TOLERANCE);
        assertFalse(ExSetTimer(t, HOUR, 0, set));
        set.set(ValueLayout.JAVA_INT, EXT_SET_PARAMETERS.VERSION_OFFSET, 1);
        assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, new long[] {INVALID, 0, t.address(), ExTimer.RULE_VERSION},
                () -> ExSetTimer(t, HOUR, 0, set));
        assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, new long[] {INVALID, 0, t.address(), ExTimer.RULE_PERIOD},
                () -> ExSetTimer(t, HOUR, -1, MemorySegment.NULL));
        assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, new long[] {INVALID, 0, t.address(), ExTimer.RULE_PERIOD},
                () -> ExSetTimer(t, HOUR, 0x80000000L, MemorySegment.NULL));
        assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, new long[] {INVALID, 0, t.address(), ExTimer.RULE_CANCEL_PARAMETERS},
                () -> ExCancelTimer(t, set));
        assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, new long[] {INVALID, 0, t.address(), ExTimer.RULE_WAIT_WITHOUT_CANCEL},
                () -> ExDeleteTimer(t, false, true, MemorySegment.NULL));
        assertTrue(ExCancelTimer(t, MemorySegment.NULL), "the failed calls changed nothing: still pending");
        assertThrows(IllegalArgumentException.class, () -> ExSetTimer(MemorySegment.NULL, HOUR, 0, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> ExInitializeSetTimerParameters(MemorySegment.NULL));
        ExDeleteTimer(t, true, true, MemorySegment.NULL);
        ExDeleteTimer(hr, true, true, MemorySegment.NULL);
    }

    @Test
    void shouldDelayANoWakeTimerWithinItsTolerance() {
        MemorySegment t = ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, EX_TIMER_NO_WAKE);
        MemorySegment set = arena.allocate(EXT_SET_PARAMETERS.X64.size(), 8);
        ExInitializeSetTimerParameters(set);
        set.set(ValueLayout.JAVA_LONG, EXT_SET_PARAMETERS.NO_WAKE_TOLERANCE_OFFSET, 640 * 10_000L); // 640 ms
        long before = Ke.KeQueryInterruptTimePrecise();
        ExSetTimer(t, HOUR, 0, set);
        long due = t.get(ValueLayout.JAVA_LONG, KTIMER.DUE_TIME_OFFSET);
        assertTrue(due >= before - HOUR && due <= Ke.KeQueryInterruptTimePrecise() - HOUR + 640 * 10_000L, "within tolerance");
        assertEquals(0, due % (512 * 10_000L), "coalesced to a 512-tick boundary");
        assertEquals(640 * 10_000L, t.get(ValueLayout.JAVA_LONG, EX_TIMER.NO_WAKE_TOLERANCE_OFFSET));
        ExDeleteTimer(t, true, true, MemorySegment.NULL);
    }

    @Test
    void shouldRequireWaitAtOrBelowApcLevelAndTheOthersAtOrBelowDispatchLevel() {
        MemorySegment t = ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 0);
        int old = Ke.KeRaiseIrql(Irql.DISPATCH_LEVEL);
        try {
            assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, new long[] {t.address(), Irql.DISPATCH_LEVEL, 1, 0},
                    () -> ExDeleteTimer(t, true, true, MemorySegment.NULL));
            assertFalse(ExSetTimer(t, HOUR, 0, MemorySegment.NULL), "DISPATCH_LEVEL is allowed");
            assertTrue(ExCancelTimer(t, MemorySegment.NULL));
        } finally {
            Ke.KeLowerIrql(old);
        }
        Ke.KeRaiseIrql(Irql.DISPATCH_LEVEL + 1);
        try {
            assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, null, () -> ExSetTimer(t, HOUR, 0, MemorySegment.NULL));
        } finally {
            Ke.KeLowerIrql(old);
        }
        assertFalse(ExDeleteTimer(t, true, true, MemorySegment.NULL));
    }

    /** Waits until the timer's callbacks have all returned (CallbacksInFlight 0) and it delivered {@code n}. */
    private static void awaitCount(MemorySegment t, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (((state(t) >>> EX_TIMER.STATE_IN_FLIGHT_SHIFT) & EX_TIMER.STATE_IN_FLIGHT_MASK) != 0
                || t.get(ValueLayout.JAVA_INT, EX_TIMER.EXPIRATION_COUNT_OFFSET) < n) {
            assertTrue(System.nanoTime() < deadline, "callbacks did not finish");
            Thread.sleep(1);
        }
        assertEquals(n, t.get(ValueLayout.JAVA_INT, EX_TIMER.EXPIRATION_COUNT_OFFSET));
    }

    static {
        assertEquals(0xc0, ExTimerCore.size(), "EX_TIMER x64 size");
    }
}
