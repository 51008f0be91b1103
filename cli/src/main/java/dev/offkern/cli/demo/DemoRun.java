package dev.offkern.cli.demo;

import dev.offkern.ddi.Io;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.pool.PoolMonitor;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One run of {@code offkern demo}: boots a kernel (verifier on, THROW policy, so a finding is
 * reported and counted rather than ending the run), loads {@link DemoDriver} with IoCreateDriver,
 * runs the requesters ({@link DemoLoad}) with a progress line, unloads the driver with
 * IoDeleteDriver, closes the kernel and prints the report. The run passes when every request was
 * answered (completed + cancelled + failed = sent, and the driver counted the same), nothing the
 * driver allocated is left, the kernel's leak report is empty and no bug check was raised.
 */
public final class DemoRun {
    private final int threads;
    private final int requests;
    private final int cancelPercent;
    private final long seed;
    private final PrintWriter progress;

    /**
     * @param progress where the progress line goes (redrawn with a carriage return), or null for none
     */
    public DemoRun(int threads, int requests, int cancelPercent, long seed, PrintWriter progress) {
        this.threads = threads;
        this.requests = requests;
        this.cancelPercent = cancelPercent;
        this.seed = seed;
        this.progress = progress;
    }

    /** Runs the demo and prints the report to {@code out}; returns whether it passed. */
    public boolean run(PrintWriter out) {
        List<String> leaks = new ArrayList<>();
        DemoLoad.Totals totals = new DemoLoad.Totals();
        DemoDriver driver;
        String poolDuring;
        PoolMonitor poolAfter;
        long bugChecks;
        long interruptsDelivered;
        long interruptsClaimed;
        long elapsedNanos;
        boolean requesterFailed;
        out.printf(Locale.ROOT, "offkern demo: %d threads x %d requests, %d%% cancelled (seed %d)%n", threads, requests,
                cancelPercent, seed);
        out.flush();
        // HALT: a bug check stops the kernel at once (every wait ends with KernelHaltedException), so a
        // driver bug ends the run with its bug check instead of a flood of them; dumps go to a
        // directory of the run's own, deleted afterwards unless a bug check wrote one.
        java.nio.file.Path dumps;
        try {
            dumps = java.nio.file.Files.createTempDirectory("offkern-demo-dumps");
        } catch (java.io.IOException e) {
            out.println("cannot create a directory for crash dumps: " + e);
            return false;
        }
        Kernel kernel = Kernel.boot(KernelConfig.defaults().withVerifier(true).withBugCheckPolicy(dev.offkern.nt.BugCheckPolicy.HALT)
                .withDumpDirectory(dumps)).attach().leakReportSink(leaks::add);
        try {
            DemoInterrupts interrupts = new DemoInterrupts(kernel);
            driver = new DemoDriver(kernel, interrupts);
            int st = Io.IoCreateDriver("\\Driver\\OffkernDemo", driver::driverEntry);
            if (st != NtStatus.STATUS_SUCCESS) {
                out.printf(Locale.ROOT, "the demo driver did not load: IoCreateDriver returned 0x%08X%n", st);
                return false;
            }
            long start = System.nanoTime();
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < threads; t++) {
                long threadSeed = seed * 1_000_003L + t;
                DemoLoad load = new DemoLoad(kernel, driver.device, cancelPercent, totals);
                Thread w = Thread.ofPlatform().name("demo-requester-" + t).start(() -> {
                    try {
                        load.run(requests, threadSeed);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                workers.add(w);
            }
            interrupts.startHardware(driver);
            long total = (long) threads * requests;
            for (Thread w : workers) {
                while (w.isAlive()) {
                    w.join(200);
                    showProgress(totals, total, driver);
                }
            }
            elapsedNanos = System.nanoTime() - start;
            interrupts.stopHardware();
            showProgress(totals, total, driver); // the final count, then a new line
            if (progress != null) {
                progress.println();
                progress.flush();
            }
            requesterFailed = !failures.isEmpty();
            if (requesterFailed) {
                Throwable f = failures.get(0);
                out.println("a requester failed: " + f);
                for (StackTraceElement e : f.getStackTrace()) {
                    out.println("    at " + e);
                }
            }
            poolDuring = PoolMonitor.snapshot(kernel.nonPagedPool(), kernel.pagedPool()).format();
            Io.IoDeleteDriver(driver.driverObject); // calls DriverUnload
            poolAfter = PoolMonitor.snapshot(kernel.nonPagedPool(), kernel.pagedPool());
            interruptsDelivered = interrupts.delivered();
            interruptsClaimed = interrupts.claimed();
            bugChecks = kernel.bugChecks().raisedCount();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.println("interrupted");
            return false;
        } catch (dev.offkern.nt.KernelHaltedException halted) {
            out.println("result       FAIL: the kernel bug-checked and halted");
            out.println("  " + halted.getMessage());
            return false;
        } finally {
            if (kernel.isHalted()) {
                out.println("bug check    " + kernel.haltedBy().getMessage());
                out.println("crash dumps  " + dumps);
            }
            Kernel.detach();
            kernel.close();
            deleteIfEmpty(dumps);
        }
        return report(out, totals, driver, poolDuring, poolAfter, leaks, bugChecks, interruptsDelivered, interruptsClaimed,
                elapsedNanos) && !requesterFailed;
    }

    private static void deleteIfEmpty(java.nio.file.Path dir) {
        try (var entries = java.nio.file.Files.list(dir)) {
            if (entries.findAny().isEmpty()) {
                java.nio.file.Files.delete(dir);
            }
        } catch (java.io.IOException ignored) {
            // a temporary directory: left for the system to clean
        }
    }

    private void showProgress(DemoLoad.Totals totals, long total, DemoDriver driver) {
        if (progress == null) {
            return;
        }
        progress.printf(Locale.ROOT, "\r  %,d / %,d requests  completed %,d  cancelled %,d  in flight %d ", totals.done.get(), total,
                totals.completed.get(), totals.cancelled.get(), driver.inFlight());
        progress.flush();
    }

    private boolean report(PrintWriter out, DemoLoad.Totals t, DemoDriver d, String poolDuring, PoolMonitor poolAfter, List<String> leaks,
                           long bugChecks, long interruptsDelivered, long interruptsClaimed, long elapsedNanos) {
        long sent = t.sent.get();
        long answered = t.completed.get() + t.cancelled.get() + t.failed.get();
        long driverCompleted = d.completedByPath.get(DemoDriver.PATH_TIMER_DPC) + d.completedByPath.get(DemoDriver.PATH_EX_TIMER)
                + d.completedByPath.get(DemoDriver.PATH_INTERRUPT_DPC);
        long driverCancelled = d.completedByPath.get(DemoDriver.PATH_CANCELLED) + d.completedByPath.get(DemoDriver.PATH_AT_UNLOAD);
        double seconds = elapsedNanos / 1e9;
        out.printf(Locale.ROOT, "requests     %,d sent in %.2f s (%,.0f/s): %,d completed, %,d cancelled, %,d failed, %,d lost%n",
                sent, seconds, sent / Math.max(seconds, 1e-9), t.completed.get(), t.cancelled.get(), t.failed.get(), sent - answered);
        out.printf(Locale.ROOT, "cancels      %,d attempted: %,d took effect, %,d lost the race to a completion%n", t.cancelAttempts.get(),
                t.cancelled.get(), t.cancelAttempts.get() - t.cancelled.get());
        StringBuilder paths = new StringBuilder();
        for (int p = 0; p < DemoDriver.PATH_NAMES.length; p++) {
            paths.append(p == 0 ? "" : ", ").append(DemoDriver.PATH_NAMES[p]).append(' ')
                    .append(String.format(Locale.ROOT, "%,d", d.completedByPath.get(p)));
        }
        out.println("driver       ended them by path: " + paths);
        out.printf(Locale.ROOT, "interrupts   %,d delivered, %,d claimed by the service routine%n", interruptsDelivered, interruptsClaimed);
        out.printf(Locale.ROOT, "work item    %,d runs folded %,d completion records (%,d completions found no free record)%n",
                d.workItemRuns, d.recordsFolded, d.recordsMissed.get());
        out.printf(Locale.ROOT, "latency      requester (IoCallDriver to wake-up): p50 %s  p90 %s  p99 %s  max %s%n",
                micros(t.latency.percentile(50)), micros(t.latency.percentile(90)), micros(t.latency.percentile(99)), micros(t.latency.max()));
        out.printf(Locale.ROOT, "             driver (queued to completed):        p50 %s  p90 %s  p99 %s  max %s%n",
                micros(d.driverLatency.percentile(50)), micros(d.driverLatency.percentile(90)), micros(d.driverLatency.percentile(99)),
                micros(d.driverLatency.max()));
        out.println();
        out.println("pool while loaded (poolmon):");
        out.print(indent(poolDuring));
        out.println("pool after unload (poolmon):");
        out.print(indent(poolAfter.format()));
        out.println();
        long left = 0;
        for (int type : new int[] {dev.offkern.nt.PoolType.NonPagedPool, dev.offkern.nt.PoolType.PagedPool}) {
            dev.offkern.runtime.pool.PoolUsage u = poolAfter.row(DemoDriver.TAG, type);
            left += u == null ? 0 : u.diff();
        }
        boolean driverClean = left == 0;
        out.println("driver pool  " + (driverClean ? "nothing left under tag Demo after unload"
                : left + " block(s) left under tag Demo after unload"));
        out.println("leaks        " + (leaks.isEmpty() ? "none (the kernel's leak report at close is empty)" : "\n" + indent(String.join("\n", leaks))));
        out.println("verifier     " + (bugChecks == 0 ? "0 findings (no bug check raised)" : bugChecks + " bug check(s) raised"));
        boolean pass = sent == answered && driverCompleted == t.completed.get() && driverCancelled == t.cancelled.get()
                && driverClean && leaks.isEmpty() && bugChecks == 0;
        out.println("result       " + (pass ? "PASS" : "FAIL") + (sent == answered ? "" : " (requests lost)")
                + (driverCompleted == t.completed.get() && driverCancelled == t.cancelled.get() ? ""
                        : " (the driver's counts differ from the requesters')"));
        return pass;
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.0f us", nanos / 1000.0);
    }

    private static String indent(String s) {
        StringBuilder b = new StringBuilder();
        for (String line : s.split("\n")) {
            b.append("  ").append(line).append('\n');
        }
        return b.toString();
    }
}
