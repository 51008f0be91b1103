package dev.offkern.runtime.ke;

/**
 * The one spin policy of the runtime: how a thread waits for a condition another thread will soon
 * make true (a spin lock word going free, a queued lock's hand-off, the dispatcher lock, a wait's
 * status). Every busy-wait loop in offkern goes through here.
 *
 * <h2>Policy</h2>
 * Spin with {@link Thread#onSpinWait()} (x86 PAUSE) for {@link #SPIN_LIMIT} rounds — long enough to
 * cover a critical section that is already running on another processor (a few microseconds on
 * current x86 parts, where PAUSE costs tens to ~150 cycles) — then stop burning the time slice:
 * <ul>
 *   <li>{@link #spinOrYield}: for waits that cannot block (spin locks, whose owner may not sleep
 *       either, and the dispatcher lock): {@link Thread#yield()} on every later round, so that on an
 *       over-committed host a descheduled owner gets the processor back;</li>
 *   <li>{@link #spin}: for waits that can block (dispatcher waits): the caller parks once the
 *       spin budget is spent.</li>
 * </ul>
 * Windows spins at DISPATCH_LEVEL without yielding, because there the owner cannot be preempted;
 * here it can (many JVM threads on few vCPUs), which is why the yield exists. One limit for all
 * loops: measured on a 2-vCPU guest, 128 rounds keep the queued spin lock's convoy short (see
 * {@link KeQueuedSpinLock}) and let a ping-ponged event hand over without a park in the common case.
 *
 * <p>Progress: the helpers themselves are wait-free; the loops that use them are blocking.
 */
public final class Backoff {
    /** Rounds of {@link Thread#onSpinWait()} before a waiter yields (or parks). */
    public static final int SPIN_LIMIT = 128;

    private Backoff() {
    }

    /**
     * One round of a spin-then-yield wait. Start with {@code round} 0 and pass back what this returns.
     *
     * @return the next round number (saturates at {@link #SPIN_LIMIT})
     */
    public static int spinOrYield(int round) {
        if (round < SPIN_LIMIT) {
            Thread.onSpinWait();
            return round + 1;
        }
        Thread.yield();
        return round;
    }

    /**
     * One round of a spin-then-block wait: spins once and returns true while the budget lasts;
     * false means the caller should block now (and not call again for this wait).
     */
    public static boolean spin(int round) {
        if (round < SPIN_LIMIT) {
            Thread.onSpinWait();
            return true;
        }
        return false;
    }
}
