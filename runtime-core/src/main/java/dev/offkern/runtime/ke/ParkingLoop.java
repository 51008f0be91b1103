package dev.offkern.runtime.ke;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatus;
import java.util.concurrent.locks.LockSupport;

/**
 * The loop a processor's daemon threads share (its {@link ServiceThread} and its
 * {@link ThreadedDpcThread}): the thread installs its kernel thread state, then repeats "do the
 * pending work; park if there was none" until {@link #shutdown} or a halted kernel
 * ({@link KernelHaltedException} ends the loop: HALT policy), and forgets its state when it ends.
 *
 * <p>Wake-up protocol: a producer first publishes its work (a queue offer, a volatile flag) and then
 * calls {@link #wake} (unpark). {@link #work} checks every source on each pass, and the loop parks
 * only after a pass that found nothing, so a wake-up between that pass and the park is not lost:
 * an unpark before the park makes the park return at once. A spurious return from park is just
 * another pass.
 *
 * <p>Invariants: {@link #stopping} only goes from false to true (shutdown, or the loop's end); after
 * the loop ends the thread holds no kernel thread state. Progress: the loop blocks (parks) only
 * while there is no work; {@link #wake} and {@link #shutdown}'s signal are wait-free.
 */
abstract class ParkingLoop implements Runnable {
    private final ThreadState state;
    private final Thread thread;
    /** Counted down once the loop's thread has its KTHREAD (or could not get one): what {@link #awaitBound} waits for. */
    private final java.util.concurrent.CountDownLatch bound = new java.util.concurrent.CountDownLatch(1);
    /** Set once by {@link #shutdown} or the loop's end; volatile: read by the loop and by producers. */
    private volatile boolean stopping;

    ParkingLoop(ThreadState state, Thread thread) {
        this.state = state;
        this.thread = thread;
    }

    /** One pass over the pending work, on the loop's thread; false if there was none (the loop then parks). */
    abstract boolean work();

    /**
     * What the loop does with an exception its work let escape: {@code kernel}'s own halt (HALT
     * policy) ends the loop (rethrown); anything else — another kernel's halt included — is the
     * work's unhandled exception, bug check KMODE_EXCEPTION_NOT_HANDLED (0x1E) raised through the
     * kernel's one path, after which (THROW policy) the loop keeps serving: a processor whose
     * service or threaded-DPC thread ended would never drain its queues again. On a kernel that is
     * closed (or closing under the loop) there is no one to report to: the exception is dropped, and
     * the shutdown that closed the kernel ends the loop.
     */
    static void survive(Throwable escaped, KernelCore kernel, String where) {
        if (escaped instanceof KernelHaltedException halted && kernel.isHalted()) {
            throw halted;
        }
        if (kernel.isClosed()) {
            return;
        }
        try {
            throw kernel.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL,
                    0, 0, 0, "exception escaped " + where + ": " + escaped);
        } catch (BugCheck processed) {
            // THROW policy: processed (callbacks, dump); keep serving.
        } catch (IllegalStateException refused) {
            // The bug-check path refuses a kernel that closed after the test above; anything else is real.
            if (!kernel.isClosed()) {
                throw refused;
            }
        }
    }

    /** Called on the loop's thread when the loop ends, before its thread state is forgotten. */
    void stopped() {
    }

    final ThreadState state() {
        return state;
    }

    final Thread thread() {
        return thread;
    }

    final void start() {
        thread.start();
    }

    /**
     * Waits (up to 10 s) until the loop's thread has made its KTHREAD: the boot waits for its
     * service threads, so a booted kernel's objects and pool use do not change under its first caller.
     */
    final void awaitBound() {
        try {
            bound.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the loop is shutting down or has ended (producers stop submitting). */
    final boolean stopping() {
        return stopping;
    }

    /** Wakes the loop; call after publishing the work it is to find. */
    final void wake() {
        LockSupport.unpark(thread);
    }

    /** Stops the loop and waits up to 2 s for it to end (unless called from the loop's own thread). */
    final void shutdown() {
        stopping = true; // volatile write before unpark: the loop's next check sees it
        LockSupport.unpark(thread);
        if (Thread.currentThread() != thread) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public final void run() {
        ThreadState.install(state);
        try {
            if (!state.bound()) {
                try {
                    state.kernel().processors().bind(state, true); // a runtime thread: a system thread of the System process
                } catch (IllegalStateException closed) {
                    if (state.kernel().isRunningFast()) {
                        throw closed; // no KTHREAD for a running kernel (nonpaged pool exhausted): the thread cannot serve
                    }
                    return; // the kernel closed or halted as the thread started (the finally still runs)
                } finally {
                    bound.countDown();
                }
            }
            bound.countDown();
            while (!stopping) {
                if (!work() && !stopping) {
                    LockSupport.park(this);
                }
            }
        } catch (KernelHaltedException halted) {
            // HALT policy: the kernel stopped; this thread stops with it.
        } finally {
            stopping = true;
            stopped();
            ThreadState.forget();
        }
    }
}
