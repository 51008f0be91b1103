package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.nt.KDEFERRED_ROUTINE;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A million set / cancel / expire races: four threads set (due in 0..3 ms, at PASSIVE and
 * DISPATCH_LEVEL), cancel and re-set 4096 shared timers with DPCs while the clock
 * thread expires them and the processors run their DPCs. Then every timer is cancelled, every DPC
 * flushed, and the books must balance exactly:
 * <ul>
 *   <li>every arm ended exactly once: expiries = arms − cancels that returned TRUE − sets that
 *       returned TRUE (they replaced a pending arm);</li>
 *   <li>no DPC lost or run twice: DPC runs = expiries − expiries whose DPC was still queued
 *       (coalesced, as on Windows), and equal to the processors' DpcCount;</li>
 *   <li>nothing is left queued or set: every DPC's DpcData NULL, every queue empty, every timer
 *       unlinked, the timer table empty.</li>
 * </ul>
 */
@Tag("stress")
class KeTimerTortureTest {
    private static final int TIMERS = 4096;
    private static final int THREADS = 4;
    private static final long OPS = 1_000_000L * SCALE;

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

    @Test
    void shouldAccountForEveryExpiryExactlyOnceUnderAMillionRacingSetsAndCancels() throws Exception {
        MemorySegment[] timers = new MemorySegment[TIMERS];
        MemorySegment[] dpcs = new MemorySegment[TIMERS];
        AtomicLongArray runs = new AtomicLongArray(TIMERS);
        KDEFERRED_ROUTINE routine = (dpc, ctx, a1, a2) -> runs.incrementAndGet((int) ctx.address());
        for (int i = 0; i < TIMERS; i++) {
            timers[i] = block(kernel, KTIMER.X64.size());
            KeInitializeTimerEx(timers[i], i % 2);
            dpcs[i] = block(kernel, KDPC.X64.size());
            KeInitializeDpc(dpcs[i], routine, MemorySegment.ofAddress(i));
            if (i % 3 == 0) {
                KeSetTargetProcessorDpc(dpcs[i], i % 2);
            }
        }
        AtomicLong arms = new AtomicLong();
        AtomicLong cancelled = new AtomicLong();
        AtomicLong replaced = new AtomicLong();
        List<Runnable> bodies = new ArrayList<>();
        for (int th = 0; th < THREADS; th++) {
            int me = th;
            bodies.add(() -> {
                SplittableRandom r = new SplittableRandom(1234 + me);
                long ops = OPS / THREADS;
                for (long k = 0; k < ops; k++) {
                    int i = r.nextInt(TIMERS);
                    boolean dispatch = r.nextInt(4) == 0;
                    int old = dispatch ? KeRaiseIrql(Irql.DISPATCH_LEVEL) : 0;
                    if (r.nextInt(3) == 0) {
                        if (KeCancelTimer(timers[i])) {
                            cancelled.incrementAndGet();
                        }
                    } else {
                        arms.incrementAndGet();
                        if (KeSetTimer(timers[i], -r.nextInt(30_000), dpcs[i])) {
                            replaced.incrementAndGet();
                        }
                    }
                    if (dispatch) {
                        KeLowerIrql(old);
                    }
                }
            });
        }
        long expiriesBefore;
        long coalescedBefore;
        TimerTable table = kernel.core().clock().timers();
        table.lock();
        try {
            expiriesBefore = table.expiries();
            coalescedBefore = table.dpcsCoalesced();
        } finally {
            table.unlock();
        }
        runThreads(bodies);
        for (int i = 0; i < TIMERS; i++) {
            if (KeCancelTimer(timers[i])) {
                cancelled.incrementAndGet();
            }
        }
        KeFlushQueuedDpcs();
        long expiries;
        long coalesced;
        table.lock();
        try {
            expiries = table.expiries() - expiriesBefore;
            coalesced = table.dpcsCoalesced() - coalescedBefore;
            assertEquals(0, table.pending(), "the timer table is empty");
        } finally {
            table.unlock();
        }
        long totalRuns = 0;
        for (int i = 0; i < TIMERS; i++) {
            assertEquals(0, dpcs[i].get(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET), "DPC " + i + " is not queued");
            assertTrue(!KeTimer.isSet(timers[i]), "timer " + i + " is not set");
            totalRuns += runs.get(i);
        }
        long dpcCount = 0;
        for (int p = 0; p < kernel.processors().count(); p++) {
            assertEquals(0, kernel.processors().get(p).dpcQueueDepth(), "processor " + p + "'s queue is empty");
            dpcCount += kernel.processors().get(p).dpcCount();
        }
        assertTrue(arms.get() > OPS / 2, "the threads armed timers");
        assertTrue(expiries > 0 && cancelled.get() > 0 && replaced.get() > 0, "all three endings happened: " + expiries
                + " expired, " + cancelled + " cancelled, " + replaced + " replaced");
        assertEquals(totalRuns, expiries - coalesced, "every expiry's DPC ran once, or was coalesced with a queued one");
        assertEquals(totalRuns, dpcCount, "the processors ran exactly the DPCs the routine saw");
        assertEquals(arms.get() - cancelled.get() - replaced.get(), expiries, "every arm ended exactly once");
    }
}
