package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeTimerTest {
    /** 1 ms in 100 ns units, negative: relative. */
    private static final long MS = -10_000;
    /** Far enough to never expire during a test. */
    private static final long HOUR = 3600L * 1000 * MS;

    @TempDir
    Path dumps;
    Kernel kernel;

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps).leakReportSink(s -> { });
    }

    @AfterEach
    void close() {
        resetThread();
        kernel.close();
    }

    private MemorySegment timer(int type) {
        MemorySegment t = block(kernel, KTIMER.X64.size());
        KeInitializeTimerEx(t, type);
        return t;
    }

    @Test
    void shouldInitializeTheKtimerByteExact() {
        MemorySegment t = block(kernel, KTIMER.X64.size());
        t.fill((byte) 0x77);
        KeInitializeTimerEx(t, SynchronizationTimer);
        assertEquals(9, t.get(ValueLayout.JAVA_BYTE, 0), "TimerSynchronizationObject");
        assertEquals(0x10, t.get(ValueLayout.JAVA_BYTE, 2), "Size in LONGs");
        assertEquals(0, t.get(ValueLayout.JAVA_BYTE, 3), "TimerMiscFlags: not inserted");
        assertEquals(0, t.get(ValueLayout.JAVA_INT, 4), "SignalState");
        assertEquals(t.address() + 8, t.get(ValueLayout.JAVA_LONG, 8), "empty wait list");
        assertEquals(0, t.get(ValueLayout.JAVA_LONG, KTIMER.DPC_OFFSET));
        assertEquals(0, t.get(ValueLayout.JAVA_INT, KTIMER.PERIOD_OFFSET));
        assertEquals(1, t.get(ValueLayout.JAVA_SHORT, KTIMER.TIMER_TYPE_OFFSET));
        MemorySegment n = block(kernel, KTIMER.X64.size());
        KeInitializeTimer(n);
        assertEquals(8, n.get(ValueLayout.JAVA_BYTE, 0), "KeInitializeTimer: TimerNotificationObject");
    }

    @Test
    void shouldReturnTrueWhenSettingATimerThatIsAlreadySetAndReplaceIt() {
        MemorySegment t = timer(NotificationTimer);
        assertFalse(KeSetTimer(t, HOUR, MemorySegment.NULL));
        assertTrue(KeTimer.isSet(t));
        long firstDue = t.get(ValueLayout.JAVA_LONG, KTIMER.DUE_TIME_OFFSET);
        assertTrue(KeSetTimer(t, 2 * HOUR, MemorySegment.NULL), "was pending");
        assertTrue(t.get(ValueLayout.JAVA_LONG, KTIMER.DUE_TIME_OFFSET) > firstDue, "replaced");
        assertEquals(1, kernel.core().clock().timers().pending(), "one timer, one entry");
        assertTrue(KeCancelTimer(t));
        assertFalse(KeCancelTimer(t));
        assertEquals(0, kernel.core().clock().timers().pending());
    }

    @Test
    void shouldSignalANotificationTimerAndWakeEveryWaiter() throws Exception {
        MemorySegment t = timer(NotificationTimer);
        AtomicInteger woken = new AtomicInteger();
        Thread[] waiters = new Thread[3];
        for (int i = 0; i < waiters.length; i++) {
            waiters[i] = new Thread(() -> {
                assertEquals(NtStatus.STATUS_SUCCESS, KeWaitForSingleObject(t, Executive, KernelMode, false, MemorySegment.NULL));
                woken.incrementAndGet();
            });
            waiters[i].start();
        }
        KeEventTest.awaitWaiters(t, 3);
        KeSetTimer(t, 5 * MS, MemorySegment.NULL);
        for (Thread w : waiters) {
            w.join(10_000);
        }
        assertEquals(3, woken.get());
        assertTrue(KeReadStateTimer(t), "a notification timer stays signalled");
        assertFalse(KeTimer.isSet(t));
    }

    @Test
    void shouldSatisfyOneWaiterOfASynchronizationTimerAndResetIt() throws Exception {
        MemorySegment t = timer(SynchronizationTimer);
        AtomicInteger woken = new AtomicInteger();
        Thread[] waiters = new Thread[2];
        for (int i = 0; i < waiters.length; i++) {
            waiters[i] = new Thread(() -> {
                MemorySegment timeout = Arena.ofAuto().allocate(8);
                timeout.set(ValueLayout.JAVA_LONG, 0, 2000 * MS);
                if (KeWaitForSingleObject(t, Executive, KernelMode, false, timeout) == NtStatus.STATUS_SUCCESS) {
                    woken.incrementAndGet();
                }
            });
            waiters[i].start();
        }
        KeEventTest.awaitWaiters(t, 2);
        KeSetTimer(t, 2 * MS, MemorySegment.NULL);
        for (Thread w : waiters) {
            w.join(10_000);
        }
        assertEquals(1, woken.get(), "one waiter satisfied, the other timed out");
        assertFalse(KeReadStateTimer(t), "reset by the satisfied wait");
    }

    @Test
    void shouldQueueTheTimersDpcWithTheSystemTimeInTheSystemArguments() throws Exception {
        MemorySegment t = timer(NotificationTimer);
        MemorySegment d = block(kernel, KDPC.X64.size());
        CompletableFuture<long[]> seen = new CompletableFuture<>();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> seen.complete(new long[] {a1.address(), a2.address(), KeGetCurrentIrql(),
                ctx.address()}), MemorySegment.ofAddress(42));
        long before = KeQuerySystemTimePrecise();
        assertFalse(KeSetTimer(t, 3 * MS, d));
        long[] s = seen.get(10, TimeUnit.SECONDS);
        long at = (s[1] << 32) | s[0];
        assertTrue(at >= before && at <= KeQuerySystemTimePrecise(), "system time at expiry in SystemArgument1/2");
        assertTrue(s[0] <= 0xFFFFFFFFL && s[1] <= 0xFFFFFFFFL, "low and high 32 bits");
        assertEquals(Irql.DISPATCH_LEVEL, s[2]);
        assertEquals(42, s[3]);
        assertTrue(KeReadStateTimer(t));
    }

    @Test
    void shouldLeaveTheSignalStateAloneWhenCancelling() throws Exception {
        MemorySegment t = timer(NotificationTimer);
        KeSetTimer(t, 0, MemorySegment.NULL);
        assertTrue(KeReadStateTimer(t), "a due time of 0 expires at once");
        assertFalse(KeCancelTimer(t), "not pending any more");
        assertTrue(KeReadStateTimer(t), "cancel leaves the signal state alone");
        KeSetTimer(t, HOUR, MemorySegment.NULL);
        assertFalse(KeReadStateTimer(t), "set resets the signal state");
        assertTrue(KeCancelTimer(t));
        assertFalse(KeReadStateTimer(t));
    }

    @Test
    void shouldFaultOnATimerWhoseRegionWasUnregisteredEvenRightAfterUsingIt() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment mem = arena.allocate(0x1000, 64);
            dev.offkern.runtime.mm.Region region = kernel.core().addressSpace().register(mem, "test timers");
            MemorySegment t = mem.asSlice(0x100, KTIMER.X64.size());
            KeInitializeTimer(t);
            assertFalse(KeSetTimer(t, HOUR, MemorySegment.NULL));
            assertTrue(KeCancelTimer(t)); // the table now remembers this region for the next call
            kernel.core().addressSpace().unregister(region);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, null, () -> KeSetTimer(t, HOUR, MemorySegment.NULL));
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, null, () -> KeCancelTimer(t));
        }
    }

    @Test
    void shouldCancelATimerAloneInTheLastBucketWhoseHeadEndsTheTableRegion() {
        // The last bucket head is the last 16 bytes of the table's region: unlinking its only timer
        // writes head.Blink, which must be found as part of the head, not as 16 bytes from head + 8
        // (that range runs past the region: a PAGE_FAULT_IN_NONPAGED_AREA on a sound list).
        MemorySegment t = timer(NotificationTimer);
        TimerTable table = kernel.core().clock().timers();
        dev.offkern.runtime.mm.AddressSpace as = kernel.core().addressSpace();
        dev.offkern.runtime.mm.Region r = as.regionOf(t.address(), KTIMER.X64.size());
        long off = r.offsetOf(t.address());
        long future = kernel.core().clock().interruptTimePrecise() + HOUR;
        long due = future;
        while (table.bucketOf(due) != TimerTable.BUCKETS - 1) {
            due += 1000; // 100 us steps: reaches every bucket of an increment of 100 us or more in order
        }
        t.set(ValueLayout.JAVA_LONG, KTIMER.DUE_TIME_OFFSET, due);
        table.lock();
        try {
            table.link(as, r.segment(), off, due);
        } finally {
            table.unlock();
        }
        assertTrue(KeCancelTimer(t), "it was linked");
        assertFalse(KeReadStateTimer(t));
        assertFalse(KeCancelTimer(t), "and is no longer");
    }

    @Test
    void shouldReArmALatePeriodicTimerInItsPhaseSkippingOnlyWholeMissedPeriods() {
        MemorySegment t = timer(NotificationTimer);
        KeSetTimerEx(t, HOUR, 1, MemorySegment.NULL); // 1 ms period
        TimerTable table = kernel.core().clock().timers();
        dev.offkern.runtime.mm.AddressSpace as = kernel.core().addressSpace();
        dev.offkern.runtime.mm.Region r = as.regionOf(t.address(), KTIMER.X64.size());
        long off = r.offsetOf(t.address());
        long d0 = kernel.core().clock().interruptTimePrecise() - 100_000; // due 10 ms ago
        table.lock();
        try {
            assertTrue(table.unlink(as, r.segment(), off));
            t.set(ValueLayout.JAVA_LONG, KTIMER.DUE_TIME_OFFSET, d0);
            // the clock runs 2.5 periods late: the period due at d0 + 1 ms was missed entirely (skipped),
            // the one due at d0 + 2 ms is still delivered (at the next tick), in the timer's phase
            table.expire(ThreadState.current(), as, r.segment(), off, d0 + 25_000, 0);
            assertEquals(d0 + 20_000, t.get(ValueLayout.JAVA_LONG, KTIMER.DUE_TIME_OFFSET));
            assertTrue(TimerTable.inserted(r.segment(), off), "re-linked");
        } finally {
            table.unlock();
        }
        KeCancelTimer(t);
    }

    @Test
    void shouldReArmAPeriodicTimer() throws Exception {
        MemorySegment t = timer(SynchronizationTimer);
        MemorySegment d = block(kernel, KDPC.X64.size());
        CountDownLatch five = new CountDownLatch(5);
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> five.countDown(), MemorySegment.NULL);
        KeSetTimerEx(t, 2 * MS, 2, d);
        assertTrue(five.await(10, TimeUnit.SECONDS), "five expiries of a 2 ms periodic timer");
        assertTrue(KeTimer.isSet(t), "re-armed after each expiry");
        assertTrue(KeCancelTimer(t));
        assertEquals(2, t.get(ValueLayout.JAVA_INT, KTIMER.PERIOD_OFFSET));
    }

    /**
     * A periodic timer set with a due time already past expires in the set, which re-arms it: that
     * re-arm must wake a clock thread parked with nothing pending (it used to be lost, and the timer
     * then never fired again: no later set woke the clock either, its planned tick being earlier).
     */
    @Test
    void shouldKeepFiringAPeriodicTimerSetWithAPastDueTimeWhileNothingElseIsPending() throws Exception {
        Thread.sleep(20); // nothing pending: the clock thread parks without a deadline
        MemorySegment t = timer(SynchronizationTimer);
        MemorySegment d = block(kernel, KDPC.X64.size());
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch three = new CountDownLatch(3);
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> {
            runs.incrementAndGet();
            three.countDown();
        }, MemorySegment.NULL);
        KeSetTimerEx(t, KeQuerySystemTimePrecise() - 10_000_000, 1, d); // absolute, a second ago; every 1 ms
        assertTrue(three.await(10, TimeUnit.SECONDS), "expiries of the re-armed timer: " + runs.get());
        assertTrue(KeCancelTimer(t));
    }

    @Test
    void shouldExpireAnAbsoluteDueTime() throws Exception {
        MemorySegment t = timer(NotificationTimer);
        MemorySegment d = block(kernel, KDPC.X64.size());
        CompletableFuture<Boolean> ran = new CompletableFuture<>();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> ran.complete(true), MemorySegment.NULL);
        KeSetTimer(t, KeQuerySystemTimePrecise() + 5 * 10_000, d);
        assertEquals(1, t.get(ValueLayout.JAVA_BYTE, 1) & 1, "TimerControlFlags.Absolute");
        assertTrue(ran.get(10, TimeUnit.SECONDS));
        MemorySegment past = timer(NotificationTimer);
        KeSetTimer(past, KeQuerySystemTimePrecise() - 10_000_000, MemorySegment.NULL);
        assertTrue(KeReadStateTimer(past), "an absolute time already past expires at once");
    }

    @Test
    void shouldCoalesceWithinTheTolerableDelay() {
        long inc = 10_000;
        assertEquals(80_000, KeTimer.coalesce(70_000, 100_000, inc), "to a multiple of 8 ticks");
        assertEquals(70_000, KeTimer.coalesce(70_000, 10_000, inc), "one tick of tolerance: unchanged");
        MemorySegment t = timer(NotificationTimer);
        assertFalse(KeSetCoalescableTimer(t, HOUR, 0, 32, MemorySegment.NULL));
        assertEquals(0, t.get(ValueLayout.JAVA_LONG, KTIMER.DUE_TIME_OFFSET) % (32 * inc));
        assertTrue(KeCancelTimer(t));
    }

    @Test
    void shouldBugCheckSettingAndCancellingAboveDispatch() {
        MemorySegment t = timer(NotificationTimer);
        KeRaiseIrql(Irql.HIGH_LEVEL);
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, new long[] {t.address(), 15, 1, 0},
                () -> KeSetTimer(t, HOUR, MemorySegment.NULL));
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, new long[] {t.address(), 15, 1, 0},
                () -> KeCancelTimer(t));
    }

    @Test
    void shouldAllowSettingATimerAtDispatchLevel() {
        MemorySegment t = timer(NotificationTimer);
        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertFalse(KeSetTimer(t, HOUR, MemorySegment.NULL));
        assertTrue(KeCancelTimer(t));
        KeLowerIrql(old);
    }

    @Test
    void shouldRefuseBadTimers() {
        assertThrows(IllegalArgumentException.class, () -> KeInitializeTimer(MemorySegment.NULL));
        MemorySegment b = block(kernel, 0x80);
        assertThrows(IllegalArgumentException.class, () -> KeInitializeTimer(b.asSlice(4, 0x40)));
        assertThrows(IllegalArgumentException.class, () -> KeInitializeTimer(b.asSlice(0, 0x38)));
        assertThrows(IllegalArgumentException.class, () -> KeInitializeTimerEx(b, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeSetTimer(b, HOUR, MemorySegment.NULL));
        assertTrue(e.getMessage().contains("not an initialized KTIMER"), e.getMessage());
        MemorySegment t = timer(NotificationTimer);
        assertThrows(IllegalArgumentException.class, () -> KeSetTimerEx(t, HOUR, -1, MemorySegment.NULL));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment outside = a.allocate(0x40, 16);
            KeInitializeTimer(outside);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {outside.address(), 0, 0, 0},
                    () -> KeSetTimer(outside, HOUR, MemorySegment.NULL));
        }
    }

    @Test
    void shouldBugCheckOnTheClockThreadForATimerDpcOutsideKernelMemoryAndKeepTicking() throws Exception {
        MemorySegment bad = timer(NotificationTimer);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(0x40, 16);
            KeInitializeDpc(d, (dpc, ctx, a1, a2) -> { }, MemorySegment.NULL);
            KeSetTimer(bad, 2 * MS, d);
            MemorySegment good = timer(NotificationTimer);
            MemorySegment gd = block(kernel, KDPC.X64.size());
            CompletableFuture<Boolean> ran = new CompletableFuture<>();
            KeInitializeDpc(gd, (dpc, ctx, a1, a2) -> ran.complete(true), MemorySegment.NULL);
            KeSetTimer(good, 20 * MS, gd);
            assertTrue(ran.get(10, TimeUnit.SECONDS), "the clock keeps expiring timers");
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, kernel.bugChecks().last().bugCheck().code());
            assertEquals(d.address(), kernel.bugChecks().last().bugCheck().parameter1());
            assertTrue(KeReadStateTimer(bad), "the timer itself expired");
        }
    }

    @Test
    void shouldCountEveryExpiryOfManyConcurrentTimersExactlyOnce() throws Exception {
        int n = 500;
        MemorySegment[] timers = new MemorySegment[n];
        MemorySegment[] dpcs = new MemorySegment[n];
        AtomicLong[] runs = new AtomicLong[n];
        CountDownLatch all = new CountDownLatch(n);
        // one routine object for all (an upcall stub per routine object is costly); the context says which timer
        dev.offkern.nt.KDEFERRED_ROUTINE routine = (dpc, ctx, a1, a2) -> {
            runs[(int) ctx.address()].incrementAndGet();
            all.countDown();
        };
        for (int i = 0; i < n; i++) {
            timers[i] = timer(i % 2);
            dpcs[i] = block(kernel, KDPC.X64.size());
            runs[i] = new AtomicLong();
            KeInitializeDpc(dpcs[i], routine, MemorySegment.ofAddress(i));
        }
        for (int i = 0; i < n; i++) {
            KeSetTimer(timers[i], (1 + i % 50) * MS, dpcs[i]);
        }
        assertTrue(all.await(30, TimeUnit.SECONDS));
        KeFlushQueuedDpcs();
        for (int i = 0; i < n; i++) {
            assertEquals(1, runs[i].get(), "timer " + i);
            assertTrue(KeReadStateTimer(timers[i]) || i % 2 == 1);
        }
        assertEquals(0, kernel.core().clock().timers().pending());
    }

    @Test
    void shouldBugCheckReinitializingASetTimer() {
        MemorySegment t = timer(NotificationTimer);
        KeSetTimer(t, HOUR, MemorySegment.NULL);
        assertBugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, new long[] {0, t.address(), t.address(), t.address() + 0x40},
                () -> KeInitializeTimer(t));
        assertTrue(KeCancelTimer(t), "still set and intact");
    }

    @Test
    void shouldBugCheckCancellingATimerWhoseLinksWereOverwritten() {
        MemorySegment t = timer(NotificationTimer);
        KeSetTimer(t, HOUR, MemorySegment.NULL);
        MemorySegment junk = block(kernel, 0x40);
        t.set(ValueLayout.JAVA_LONG, KTIMER.TIMER_LIST_ENTRY_OFFSET, junk.address());
        long entry = t.address() + KTIMER.TIMER_LIST_ENTRY_OFFSET;
        assertBugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, new long[] {3, entry, 0, 0}, () -> KeCancelTimer(t));
        assertFalse(KeTimer.isSet(t));
    }
}
