package dev.offkern.tests.fuzz;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A short-lived helper thread that ends a wait: after {@code delayMillis} it runs one DDI call
 * (a release, a set). Its outcome is classified like a step's; {@link #join} rethrows a finding.
 *
 * <p>The partner makes its first call into the kernel (which makes its kernel state and ETHREAD,
 * and reaps ended threads' ETHREADs) before {@link #start} returns, and start throws what that call
 * threw: a caller never starts an infinite wait on a partner that cannot act (a failed first call
 * once left its caller waiting until the watchdog closed the kernel, reported as a hang instead of
 * the failure itself).
 */
final class Partner {
    /** The last failure of each partner thread name, for hang reports (a failed partner explains a caller's endless wait). */
    static final java.util.concurrent.ConcurrentHashMap<String, String> FAILURES = new java.util.concurrent.ConcurrentHashMap<>();

    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private Partner(Thread thread) {
        this.thread = thread;
    }

    interface Action {
        void run() throws Throwable;
    }

    static Partner start(Ctx c, int delayMillis, Action action) throws Throwable {
        Partner[] self = new Partner[1];
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
        Throwable[] firstCall = new Throwable[1]; // written before ready's count-down, read after its await
        Thread t = Thread.ofPlatform().daemon().name("fuzz-partner-" + c.thread).unstarted(() -> {
            try {
                try {
                    dev.offkern.ddi.Ke.KeGetCurrentIrql(); // the first call: kernel state and ETHREAD made here
                } catch (Throwable e) {
                    firstCall[0] = e;
                    FAILURES.put(Thread.currentThread().getName(), "first call: " + e);
                    return;
                } finally {
                    ready.countDown();
                }
                Thread.sleep(delayMillis);
                action.run();
            } catch (Throwable e) {
                self[0].failure.set(e);
                // Said at once: a partner that failed leaves its caller waiting for a signal that never
                // comes, and the hang report must show why.
                FAILURES.put(Thread.currentThread().getName(), e.toString());
            }
        });
        self[0] = new Partner(t);
        t.start();
        if (!ready.await(20, TimeUnit.SECONDS)) {
            throw new FuzzInvariantException("partner thread's first call into the kernel still running after 20 s: " + stack(t));
        }
        if (firstCall[0] != null) {
            throw firstCall[0]; // the step's outcome, classified like any: the caller does not wait for this partner
        }
        return self[0];
    }

    /** Whether the partner's action threw (read by a caller deciding whether its wait can still be satisfied). */
    boolean failed() {
        return failure.get() != null;
    }

    /** Whether the partner thread has ended (its action ran, or failed). */
    boolean ended() {
        return !thread.isAlive();
    }

    /** Waits for the partner (at most 20 s: a partner that does not finish is a hang) and rethrows an undocumented outcome. */
    void join() throws Throwable {
        thread.join(TimeUnit.SECONDS.toMillis(20));
        if (thread.isAlive()) {
            throw new FuzzInvariantException("partner thread still running after 20 s: " + stack(thread));
        }
        Throwable f = failure.get();
        if (f != null && !Outcome.classify(f, false).allowed()) {
            throw f;
        }
    }

    static String stack(Thread t) {
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            sb.append("\n\tat ").append(e);
        }
        return sb.toString();
    }
}
