package dev.offkern.runtime.ke;

import dev.offkern.nt.BugCheck;

/**
 * A processor's threaded-DPC thread: a daemon, started on the processor's first threaded DPC, that
 * runs the processor's {@code DpcData[DPC_THREADED]} queue at PASSIVE_LEVEL (Windows runs it at
 * real-time priority; offkern has no priorities). Exactly one per processor, so the processor's
 * threaded DPCs never run concurrently.
 *
 * <p>The park/run loop is {@link ParkingLoop}'s: an inserter queues the DPC, sets {@code signalled}
 * (volatile) and wakes the thread; a pass clears the flag before draining, and the loop passes
 * again after a drain, so a signal between the drain and the park is not lost. Progress: the loop
 * blocks (parks) only while there is no work.
 */
final class ThreadedDpcThread extends ParkingLoop {
    private final Processor processor;
    private volatile boolean signalled;

    ThreadedDpcThread(Processor processor, Thread thread, ThreadState state) {
        super(state, thread);
        this.processor = processor;
    }

    static Thread newThread(Runnable body, int number) {
        return Thread.ofPlatform().daemon(true).name("offkern-tdpc-" + number).unstarted(body);
    }

    void signal() {
        signalled = true; // volatile write before the wake-up: the loop's volatile read sees it
        wake();
    }

    /** One pass: drains the threaded-DPC queue if signalled. */
    @Override
    boolean work() {
        if (!signalled) {
            return false;
        }
        signalled = false;
        try {
            KeDpc.runThreadedQueue(state(), processor);
        } catch (BugCheck processed) {
            signalled = true; // THROW policy: processed where raised; keep serving the rest
        } catch (RuntimeException | Error escaped) {
            // Anything else (memory of a queued KDPC unmapped under the drain, ...) must not end the
            // thread: a processor without its threaded-DPC thread never drains that queue again and
            // KeFlushQueuedDpcs waits for ever.
            state().irql = Irql.PASSIVE_LEVEL;
            signalled = true;
            survive(escaped, processor.kernel(), "the threaded-DPC drain of processor " + processor.number());
        }
        return true;
    }
}
