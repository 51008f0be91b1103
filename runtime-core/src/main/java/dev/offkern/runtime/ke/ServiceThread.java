package dev.offkern.runtime.ke;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A processor's service thread: a daemon that parks while idle and runs, at DISPATCH_LEVEL on its
 * processor, the requests submitted to it and (once the DPC issue sets it) the DPC drain routine.
 *
 * <p>Per request: IRQL := DISPATCH_LEVEL, DpcRoutineActive := 1, run, DpcRoutineActive := 0. A
 * request that returns at another IRQL is a bug check under the IRQL verifier
 * (IRQL_UNEXPECTED_VALUE 0xC8, P1 = current &lt;&lt; 16 | expected &lt;&lt; 8); a request that
 * throws a non-bug-check exception is KMODE_EXCEPTION_NOT_HANDLED (0x1E, P1 =
 * STATUS_UNHANDLED_EXCEPTION) as an exception escaping a DPC is in NT. Bug checks are processed by
 * the kernel (callbacks, dump) where they are raised; the loop then continues (THROW) or ends
 * (HALT).
 *
 * <p>The park/run loop and its wake-up protocol are {@link ParkingLoop}'s: producers offer to the
 * queue (or set dpcRequested) and then wake the thread; each pass checks both sources.
 *
 * <p>Progress: submit is lock-free; the loop blocks (parks) only while there is no work.
 */
final class ServiceThread extends ParkingLoop {
    private final Processor processor;
    private final ConcurrentLinkedQueue<Runnable> requests = new ConcurrentLinkedQueue<>();
    private volatile boolean dpcRequested;
    private volatile Runnable dpcDrain;

    ServiceThread(Processor processor, ThreadState state) {
        super(state, state.thread());
        this.processor = processor;
    }

    static Thread newThread(Runnable body, int number) {
        Thread t = Thread.ofPlatform().daemon(true).name("offkern-cpu-" + number).unstarted(body);
        return t;
    }

    boolean submit(Runnable request) {
        if (stopping()) {
            return false;
        }
        requests.offer(request);
        wake();
        return true;
    }

    void setDpcDrain(Runnable drain) {
        dpcDrain = drain;
    }

    void requestDpcDrain() {
        dpcRequested = true; // volatile write before the wake-up: the loop's volatile read sees it
        wake();
    }

    /** One pass: the DPC drain if requested, then one request. */
    @Override
    boolean work() {
        boolean worked = false;
        if (dpcRequested) {
            dpcRequested = false;
            Runnable drain = dpcDrain;
            if (drain != null) {
                runAtDispatch(drain, false);
                worked = true;
            }
        }
        Runnable r = requests.poll();
        if (r != null) {
            runAtDispatch(r, true);
            worked = true;
        }
        return worked;
    }

    @Override
    void stopped() {
        requests.clear();
    }

    private void runAtDispatch(Runnable work, boolean countAsService) {
        ThreadState state = state();
        state.irql = Irql.DISPATCH_LEVEL;
        Prcb.setDpcRoutineActive(processor.prcb(), 1);
        try {
            work.run();
            if (state.verifies(VerifierCheck.IRQL) && state.irql != Irql.DISPATCH_LEVEL) {
                int found = state.irql;
                state.irql = Irql.DISPATCH_LEVEL;
                throw processor.kernel().bugCheck(BugCheckCode.IRQL_UNEXPECTED_VALUE,
                        ((long) found << 16) | ((long) Irql.DISPATCH_LEVEL << 8), 0, 0, 0,
                        "a request on processor " + processor.number() + " returned at IRQL " + found);
            }
        } catch (BugCheck alreadyProcessed) {
            // THROW policy: callbacks ran and the dump was written where it was raised; keep serving.
        } catch (Throwable t) {
            state.irql = Irql.DISPATCH_LEVEL;
            survive(t, processor.kernel(), "a request on processor " + processor.number());
        } finally {
            Prcb.setDpcRoutineActive(processor.prcb(), 0);
            if (countAsService) {
                Prcb.incrementServiceCount(processor.prcb());
            }
            state.irql = Irql.PASSIVE_LEVEL; // idle between requests
        }
    }
}
