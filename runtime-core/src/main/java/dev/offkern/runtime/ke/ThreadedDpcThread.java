package dev.offkern.runtime.ke;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.KernelHaltedException;
import java.util.concurrent.locks.LockSupport;

/**
 * A processor's threaded-DPC thread: a daemon, started on the processor's first threaded DPC, that
 * runs the processor's {@code DpcData[DPC_THREADED]} queue at PASSIVE_LEVEL (Windows runs it at
 * real-time priority; offkern has no priorities). Exactly one per processor, so the processor's
 * threaded DPCs never run concurrently.
 *
 * <p>Wake-up protocol as {@link ServiceThread}'s: an inserter queues the DPC, sets {@code signalled}
 * (volatile) and unparks; the loop clears the flag before draining and re-checks it after, so a
 * signal between the drain and the park is not lost. Progress: the loop blocks (parks) only while
 * there is no work.
 */
final class ThreadedDpcThread implements Runnable {
    private final Processor processor;
    private final ThreadState state;
    private final Thread thread;
    private volatile boolean signalled;
    private volatile boolean stopping;

    ThreadedDpcThread(Processor processor, Thread thread, ThreadState state) {
        this.processor = processor;
        this.thread = thread;
        this.state = state;
    }

    static Thread newThread(Runnable body, int number) {
        return Thread.ofPlatform().daemon(true).name("offkern-tdpc-" + number).unstarted(body);
    }

    void start() {
        thread.start();
    }

    Thread thread() {
        return thread;
    }

    void signal() {
        signalled = true; // volatile write before unpark: the loop's volatile read sees it
        LockSupport.unpark(thread);
    }

    void shutdown() {
        stopping = true;
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
    public void run() {
        ThreadState.install(state);
        try {
            while (!stopping) {
                if (signalled) {
                    signalled = false;
                    try {
                        KeDpc.runThreadedQueue(state, processor);
                    } catch (KernelHaltedException halted) {
                        throw halted;
                    } catch (BugCheck processed) {
                        signalled = true; // THROW policy: processed where raised; keep serving the rest
                    }
                    continue;
                }
                LockSupport.park(this);
            }
        } catch (KernelHaltedException halted) {
            // HALT policy: the kernel stopped; this thread stops with it.
        } finally {
            stopping = true;
            ThreadState.forget();
        }
    }
}
