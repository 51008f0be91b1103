package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.EXT_DELETE_PARAMETERS;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.ThreadState;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EX_TIMER set / cancel / delete racing expiry: threads own short-lived timers (one-shot and
 * periodic, due in 0..2 ms) that a second thread keeps setting and cancelling while the clock
 * thread expires them and the processors run their callbacks; the owner then deletes each (Cancel
 * with and without Wait, and without Cancel). Invariants:
 * <ul>
 *   <li>after ExDeleteTimer(Cancel, Wait) returns, no callback of that timer runs (each callback
 *       checks a per-timer "deleted" flag the deleter sets right after the call returned);</li>
 *   <li>every timer's delete callback runs exactly once, and no callback of a timer runs after
 *       its delete callback;</li>
 *   <li>in the end no EX_TIMER is live and no pool block of tag ExTm is left.</li>
 * </ul>
 */
@Tag("stress")
class ExTimerTortureTest {
    private static final int THREADS = 2;
    private static final int TIMERS_PER_THREAD = 600 * Integer.getInteger("offkern.stress.scale", 1);
    private static final long MS = -10_000;

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
        kernel.close();
        arena.close();
    }

    /** Per timer id: 0 live, 1 deleted with Wait (no callback may run), 2 delete callback ran. */
    private final ConcurrentHashMap<Integer, Integer> phase = new ConcurrentHashMap<>();
    private final AtomicReference<String> violation = new AtomicReference<>();
    private final AtomicLong callbacks = new AtomicLong();
    private final AtomicInteger deleteCallbacks = new AtomicInteger();

    @Test
    void shouldNeverRunACallbackAfterDeleteWithWaitReturnedOrAfterTheDeleteCallback() throws Exception {
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int th = 0; th < THREADS; th++) {
            int base = th * TIMERS_PER_THREAD;
            Thread t = new Thread(() -> {
                try {
                    run(base);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    ThreadState s = ThreadState.peek();
                    if (s != null) {
                        s.setIrql(Irql.PASSIVE_LEVEL);
                    }
                }
            }, "extimer-torture-" + th);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(TimeUnit.MINUTES.toMillis(3));
            assertTrue(!t.isAlive(), t.getName() + " did not finish");
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (deleteCallbacks.get() < THREADS * TIMERS_PER_THREAD && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(null, violation.get());
        assertEquals(THREADS * TIMERS_PER_THREAD, deleteCallbacks.get(), "every delete callback ran once");
        assertEquals(0, kernel.core().clock().timers().exTimerCount(), "no EX_TIMER left live");
        assertTrue(callbacks.get() > 0, "callbacks ran");
    }

    private void run(int base) throws InterruptedException {
        SplittableRandom r = new SplittableRandom(base * 31L + 7);
        MemorySegment params = arena.allocate(EXT_DELETE_PARAMETERS.X64.size(), 8);
        for (int i = 0; i < TIMERS_PER_THREAD; i++) {
            int id = base + i;
            phase.put(id, 0);
            MemorySegment t = ExAllocateTimer((timer, ctx) -> {
                callbacks.incrementAndGet();
                int p = phase.get((int) ctx.address());
                if (p != 0) {
                    violation.compareAndSet(null, "timer " + ctx.address() + ": callback ran in phase " + p);
                }
            }, MemorySegment.ofAddress(id), r.nextInt(3) == 0 ? EX_TIMER_NOTIFICATION : 0);
            ExInitializeDeleteTimerParameters(params, ctx -> {
                deleteCallbacks.incrementAndGet();
                if (phase.put((int) ctx.address(), 2) == null) {
                    violation.compareAndSet(null, "unknown timer " + ctx.address());
                }
            }, MemorySegment.ofAddress(id));
            boolean periodic = r.nextBoolean();
            ExSetTimer(t, MS * r.nextInt(3) - 1, periodic ? 5_000 + r.nextInt(10_000) : 0, MemorySegment.NULL);
            // a partner thread races set / cancel against the clock thread's expiries
            Thread partner = new Thread(() -> {
                SplittableRandom pr = new SplittableRandom(id);
                for (int k = 0; k < 20; k++) {
                    if (pr.nextBoolean()) {
                        ExSetTimer(t, -pr.nextInt(20_000) - 1, pr.nextBoolean() ? 7_000 : 0, MemorySegment.NULL);
                    } else {
                        ExCancelTimer(t, MemorySegment.NULL);
                    }
                    if (pr.nextInt(4) == 0) {
                        Thread.onSpinWait();
                    }
                }
            });
            partner.start();
            partner.join();
            if (r.nextInt(4) == 0) {
                Thread.sleep(0, 200_000);
            }
            switch (r.nextInt(3)) {
                case 0 -> {
                    ExDeleteTimer(t, true, true, params);
                    // Wait: the delete callback ran before the return; no callback may run from now on
                    Integer p = phase.putIfAbsent(id, 1);
                    if (p == null || p != 2) {
                        violation.compareAndSet(null, "timer " + id + ": ExDeleteTimer(Wait) returned before its delete callback");
                    }
                    phase.put(id, 1);
                }
                case 1 -> ExDeleteTimer(t, true, false, params);
                default -> {
                    ExCancelTimer(t, MemorySegment.NULL); // a periodic timer without Cancel would fire once more: fine, but bounded
                    ExDeleteTimer(t, false, false, params);
                }
            }
        }
    }
}
