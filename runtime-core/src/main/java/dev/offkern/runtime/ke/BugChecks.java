package dev.offkern.runtime.ke;

import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.nt.BugCheck;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A kernel's bug-check procedure ({@code KeBugCheckEx}): runs the registered callbacks once each,
 * writes the dump, then halts the kernel or throws, by {@link BugCheckPolicy}.
 *
 * <h2>Sequence</h2>
 * <ol>
 *   <li>Under HALT the kernel is marked halted at once: every other thread's call fails fast from
 *       here on (NT freezes the other processors); the bug-checking thread may still call in.</li>
 *   <li>The calling thread's IRQL is raised to HIGH_LEVEL (callbacks run at HIGH_LEVEL).</li>
 *   <li>Reason callbacks: KbCallbackSecondaryDumpData (two-phase: size query, then data),
 *       KbCallbackAddPages and KbCallbackRemovePages collect what goes into the dump.</li>
 *   <li>Simple callbacks (KeRegisterBugCheckCallback) run, in registration order. offkern runs
 *       them before writing the dump so that the data they put in their buffers is in it (Windows
 *       since XP SP1 runs them after the dump; drivers wanting data in the dump there use
 *       secondary dump data).</li>
 *   <li>The dump is written ({@link CrashDump}); KbCallbackDumpIo callbacks see every write
 *       (header, body, secondary data, then one Complete call).</li>
 *   <li>The IRQL is restored; under THROW the {@link BugCheck} is returned for the caller to
 *       throw, under HALT a {@link dev.offkern.nt.KernelHaltedException} is thrown.</li>
 * </ol>
 * A callback that throws (a Java exception or a nested bug check) is marked BufferIncomplete and
 * the others still run. Under THROW the kernel survives, so afterwards every record is re-armed
 * (State back to BufferInserted) for the next bug check; under HALT the states stay as the
 * dispatcher left them (BufferFinished/BufferIncomplete), for inspection.
 *
 * <h2>Nested and concurrent bug checks</h2>
 * A bug check raised on the thread that is already running one (from a callback, or from a
 * routine a callback calls) is nested: it is recorded in the dump's NESTED section and its
 * {@link BugCheck} is thrown back into the callback, which the dispatcher catches (so the callback
 * counts as incomplete). It runs no callbacks and writes no dump: no recursion. Bug checks of
 * different threads are serialized; under HALT a later one fails fast with the halt; under THROW
 * a thread waits at most {@link #CONCURRENT_WAIT_SECONDS} for the running one (a callback blocked on
 * a thread that is itself bug checking cannot deadlock the kernel), then returns its bug check
 * without callbacks or dump (its detail says so).
 *
 * <h2>Raised under the dispatcher lock</h2>
 * A bug check raised by the holder of the dispatcher lock returns its {@link BugCheck} at once for
 * the routine to throw, and its sequence above runs when that thread releases the lock
 * ({@link Dispatcher#unlock()}): the lock is never held across callbacks, a dump or the wait for
 * another thread's bug check. Under HALT the kernel is then halted and the unlock throws the
 * {@link dev.offkern.nt.KernelHaltedException}.
 */
public final class BugChecks {
    /** How long a second thread waits for a running bug check under THROW. */
    public static final int CONCURRENT_WAIT_SECONDS = 10;
    /** Nested bug checks recorded per bug check (more are counted, not recorded). */
    public static final int MAX_NESTED = 64;

    /**
     * Name of the pool's tag-summary section: the hook the pool fills with
     * {@code kernel.bugChecks().addDumpContributor(new DumpContributor(POOL_TAG_SUMMARY, ...))}.
     */
    public static final String POOL_TAG_SUMMARY = "pool tag summary";

    private final KernelCore kernel;
    private final BugCheckCallbacks callbacks;
    private final java.util.concurrent.CopyOnWriteArrayList<DumpContributor> contributors = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    /** The thread running a bug check now, or null (volatile: read by nested-detection on any thread). */
    private volatile Thread activeOwner;
    private BugCheckReport active;
    private volatile BugCheckReport last;
    /** Bug checks raised on this kernel while it was open (nested and concurrent ones included); rare, so an atomic add. */
    private final java.util.concurrent.atomic.AtomicLong raised = new java.util.concurrent.atomic.AtomicLong();
    /** The code of the latest bug check raised, 0 before the first (volatile: read by the live counters). */
    private volatile int lastCode;

    public BugChecks(KernelCore kernel) {
        this.kernel = kernel;
        this.callbacks = new BugCheckCallbacks(kernel);
    }

    /** The callback lists. */
    public BugCheckCallbacks callbacks() {
        return callbacks;
    }

    /** Adds a section to every later dump. */
    public void addDumpContributor(DumpContributor contributor) {
        contributors.add(contributor);
    }

    /** Removes a section added with {@link #addDumpContributor}. */
    public void removeDumpContributor(DumpContributor contributor) {
        contributors.remove(contributor);
    }

    /** Bug checks raised so far on this kernel (KeBugCheckEx calls while open, nested ones included). */
    public long raisedCount() {
        return raised.get();
    }

    /** The code of the latest bug check raised, 0 if none was. */
    public int lastCode() {
        return lastCode;
    }

    /** The report of the last completed bug check, or null. */
    public BugCheckReport last() {
        return last;
    }

    /** Frees the list heads and stubs (kernel close). */
    public void close() {
        callbacks.close();
    }

    /** See {@code Kernel.bugCheck}. */
    public BugCheck bugCheck(int code, long p1, long p2, long p3, long p4, String detail) {
        BugCheck bc = new BugCheck(code, p1, p2, p3, p4, detail);
        if (kernel.isClosed()) {
            // A check failed on a kernel close() has begun to tear down (the call started after the
            // close, or the close ran under it): whatever the caller did, the answer it needs is that the
            // kernel was closed (issue 8 case 8); the check's finding rides along as the cause.
            IllegalStateException closed = KernelCore.closedException();
            closed.initCause(bc);
            throw closed;
        }
        lastCode = code;
        raised.incrementAndGet(); // volatile add: bug checks are rare and may come from several threads
        if (activeOwner == Thread.currentThread()) {
            recordNested(bc);
            return bc;
        }
        if (kernel.isHalted()) {
            throw kernel.haltedException();
        }
        if (Dispatcher.heldByCurrentThread()) {
            // Raised under the dispatcher lock (a bad pointer met while signalling, waiting or expiring
            // a timer; nothing was changed: validate before mutate). The callbacks, the dump and the
            // halt run once the lock is released (Dispatcher.unlock): never with every other thread's
            // dispatcher call spinning behind a dump's I/O, a callback, or the wait for another
            // thread's bug check, and a callback may call dispatcher routines.
            Dispatcher.deferBugCheck(this, bc);
            return bc;
        }
        return process(bc, detail);
    }

    /**
     * Runs the machinery for a bug check {@link #bugCheck} deferred because it was raised under the
     * dispatcher lock: called by {@link Dispatcher#unlock()} right after the release, on the same
     * thread. Under THROW it returns (the caller is already throwing {@code bc}, or a caller under
     * the lock caught it); under HALT it throws the kernel's {@link dev.offkern.nt.KernelHaltedException}.
     */
    void processDeferred(BugCheck bc) {
        if (kernel.isClosed()) {
            return;
        }
        if (kernel.isHalted()) {
            throw kernel.haltedException();
        }
        BugCheck processed = process(bc, null);
        if (processed != bc) {
            bc.addSuppressed(processed); // callbacks and dump skipped: the detail says why
        }
    }

    private BugCheck process(BugCheck bc, String detail) {
        int code = bc.code();
        long p1 = bc.parameter1();
        long p2 = bc.parameter2();
        long p3 = bc.parameter3();
        long p4 = bc.parameter4();
        boolean locked;
        try {
            locked = lock.tryLock(CONCURRENT_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            locked = false;
        }
        if (!locked) {
            return new BugCheck(code, p1, p2, p3, p4, (detail == null ? "" : detail + "; ")
                    + "another bug check was still running: callbacks and dump skipped");
        }
        BugCheckReport report;
        ThreadState ts = ThreadState.peek();
        if (ts != null && ts.kernel() != kernel) {
            ts = null;
        }
        int savedIrql = ts != null ? ts.irql() : -1;
        try {
            if (kernel.isHalted()) {
                throw kernel.haltedException();
            }
            boolean halt = kernel.bugCheckPolicy() == BugCheckPolicy.HALT;
            report = new BugCheckReport(bc, System.currentTimeMillis(), Thread.currentThread(),
                    ts != null ? ts.processorNumber() : -1, savedIrql, kernel.bugCheckPolicy());
            active = report;
            activeOwner = Thread.currentThread();
            if (halt) {
                kernel.halt(bc);
            }
            if (ts != null) {
                ts.enterBugCheck();
                ts.setIrql(Irql.HIGH_LEVEL);
            }
            try {
                callbacks.collectReasonData(report);
                callbacks.runSimpleCallbacks(report);
                CrashDump.write(kernel, report, callbacks, java.util.List.copyOf(contributors));
                if (!halt) {
                    callbacks.rearm(); // before the lock is released: the next bug check finds them armed
                }
            } finally {
                if (ts != null) {
                    ts.setIrql(savedIrql);
                    ts.leaveBugCheck();
                }
            }
        } finally {
            activeOwner = null;
            active = null;
            lock.unlock();
        }
        last = report;
        if (report.policy() == BugCheckPolicy.HALT) {
            kernel.haltComplete(report.dumpFile() == null ? null : report.dumpFile().toString());
            throw kernel.haltedException();
        }
        return bc;
    }

    private void recordNested(BugCheck bc) {
        BugCheckReport r = active;
        if (r != null) {
            r.addNested(bc, r.phase());
        }
    }
}
