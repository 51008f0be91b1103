package dev.offkern.tests.fuzz;

import dev.offkern.ddi.Ke;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * The DDI fuzzer's engine (run in a child JVM by {@code DdiFuzzTest}, so that a JVM crash is a
 * reported failure rather than the end of the build).
 *
 * <p>A run is a sequence of <em>epochs</em>. Each epoch boots a kernel (bug-check policy, pool chunk
 * size and the close scenario drawn from the epoch's seed), builds a {@link World}, and runs
 * {@code threads} fuzzing threads, each drawing operations from the {@link Catalogue} with its own
 * random stream ({@code seed}, epoch and thread number determine it). Before some operations the
 * thread raises its IRQL to a random level first (misuse at the wrong IRQL). After every step the
 * thread's kernel state is reset if the step left it unbalanced, the step's outcome is classified
 * ({@link Outcome}), and the bystanders are compared with their snapshots. The epoch ends with
 * the kernel's close: while a thread is blocked in a routine ({@link CloseScenarios}), in the
 * middle of the threads' steps, or after them; the threads then run a few more steps against the
 * closed kernel, which must each say the kernel is closed.
 *
 * <p>A watchdog thread reports any step running longer than {@link #HANG_SECONDS} as a hang and
 * ends the JVM with exit code 3. Output lines start with {@code FUZZ-}: {@code FUZZ-FINDING} (new
 * finding, with the replay command), {@code FUZZ-KNOWN} (a finding {@link KnownFindings} lists),
 * {@code FUZZ-DISABLED}, {@code FUZZ-UNEXERCISED} and one {@code FUZZ-SUMMARY}.
 */
final class DdiFuzzer {

    /** A step longer than this is a hang. */
    static final int HANG_SECONDS = 60;
    /** Steps each thread runs against a closed or halted kernel before the epoch ends. */
    static final int STEPS_AFTER_CLOSE = 20;

    record Config(long seed, long millis, int threads, int firstEpoch, int maxEpochs, Path workDir) {
    }

    /** A distinct finding: its first occurrence in full, and how often it recurred. */
    static final class Finding {
        final String signature;
        final String detail;
        final LongAdder count = new LongAdder();
        final KnownFindings.Known known;

        Finding(String signature, String detail, KnownFindings.Known known) {
            this.signature = signature;
            this.detail = detail;
            this.known = known;
        }
    }

    private final Config config;
    private final PrintStream out;
    private final Map<String, Finding> findings = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> opCounts = new ConcurrentHashMap<>();
    private final Map<Outcome.Kind, LongAdder> outcomes = new EnumMap<>(Outcome.Kind.class);
    private final AtomicLong steps = new AtomicLong();
    private final List<Op> enabled = new ArrayList<>();
    private final int totalWeight;
    private final TreeSet<String> exercised = new TreeSet<>();
    /** Per worker slot: the operation running and since when (nanoTime; 0 = idle), for the watchdog. */
    private final String[] runningOp = new String[64];
    private final long[] runningSince = new long[64];
    private final Thread[] runningThread = new Thread[64];
    private final Ctx[] runningCtx = new Ctx[64];
    private volatile String epochNote = "";
    /** Kernels of finished epochs, to check that a closed kernel can be collected. */
    private final List<java.lang.ref.WeakReference<Kernel>> closedKernels = new ArrayList<>();
    /** The epoch's world, for the watchdog (which closes its kernel to end a hung wait). */
    private volatile World currentWorld;
    /** -Doffkern.fuzz.trace=DIR: every step of thread t appended (unbuffered) to DIR/trace-t.log, to find what a crash followed. */
    private final java.nio.channels.FileChannel[] trace = new java.nio.channels.FileChannel[64];
    private int epochsRun;

    DdiFuzzer(Config config, PrintStream out) {
        this.config = config;
        this.out = out;
        for (Outcome.Kind k : Outcome.Kind.values()) {
            outcomes.put(k, new LongAdder());
        }
        String traceDir = System.getProperty("offkern.fuzz.trace");
        if (traceDir != null && !traceDir.isBlank()) {
            try {
                java.nio.file.Files.createDirectories(Path.of(traceDir));
                for (int t = 0; t < config.threads(); t++) {
                    trace[t] = java.nio.channels.FileChannel.open(Path.of(traceDir, "trace-" + t + ".log"),
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
                            java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        int w = 0;
        java.util.Set<String> extra = java.util.Set.of(System.getProperty("offkern.fuzz.disable", "").split(","));
        for (Op op : Catalogue.ALL) {
            if (extra.contains(op.name())) {
                out.println("FUZZ-DISABLED op=" + op.name() + " (-Doffkern.fuzz.disable)");
            } else if (KnownFindings.disabling(op.name()) == null) {
                enabled.add(op);
                w += op.weight();
            }
        }
        totalWeight = w;
    }

    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Runs until the time budget or the epoch limit is spent; returns the process exit code (0: no new finding). */
    int run() throws Exception {
        for (KnownFindings.Known k : KnownFindings.ALL) {
            for (String op : k.disabledOps()) {
                out.println("FUZZ-DISABLED op=" + op + " known=" + k.id() + " (" + k.why() + ")");
            }
            for (String input : k.disabledInputs()) {
                out.println("FUZZ-DISABLED input=" + input + " known=" + k.id() + " (" + k.why() + ")");
            }
        }
        // A kernel thread (a processor's service or threaded-DPC thread, a system thread) that dies on
        // an exception leaves work nobody serves: a finding, reported where it happens rather than as
        // the hang it causes later.
        Thread.setDefaultUncaughtExceptionHandler((th, e) -> {
            if (th.getName().startsWith("offkern-")) {
                record(new Finding("THREAD-DEATH " + th.getName().replaceAll("\\d+", "#") + " " + e.getClass().getName(),
                        "kernel thread " + th.getName() + " ended on an exception (" + epochNote + ")\n" + stack(e), null), e);
            } else {
                out.println("FUZZ-NOTE thread " + th.getName() + " ended on " + e);
            }
        });
        Thread watchdog = Thread.ofPlatform().daemon().name("fuzz-watchdog").start(this::watch);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.millis());
        long start = System.nanoTime();
        int epoch = config.firstEpoch();
        while (System.nanoTime() < deadline && epochsRun < config.maxEpochs()) {
            runEpoch(epoch++);
            epochsRun++;
            if (epochsRun % 10 == 0) {
                checkClosedKernelsCollected(epoch - 1);
            }
        }
        watchdog.interrupt();
        return summarize(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    // ===== epochs =====

    private void runEpoch(int epoch) throws Exception {
        long es = mix(config.seed(), epoch);
        SplittableRandom er = new SplittableRandom(es);
        BugCheckPolicy policy = er.nextInt(8) == 0 ? BugCheckPolicy.HALT : BugCheckPolicy.THROW;
        long chunk = new long[] {64 << 10, 1 << 20, 4 << 20}[er.nextInt(3)];
        int stepsPerThread = 100 + er.nextInt(1200);
        int closeMode = er.nextInt(3); // 0: a blocked thread; 1: mid-run; 2: after the steps
        CloseScenarios.Scenario scenario = CloseScenarios.ALL.get(er.nextInt(CloseScenarios.ALL.size()));
        if (KnownFindings.disabling(scenario.name()) != null) {
            closeMode = 2;
        }
        Path dumps = Files.createTempDirectory(dumpRoot(), "dumps-");
        KernelConfig kc = KernelConfig.defaults().withNonPagedPoolLimit(96L << 20).withPagedPoolLimit(96L << 20)
                .withPoolChunkSize(chunk).withProcessorCount(2).withBugCheckPolicy(policy).withDumpDirectory(dumps);
        epochNote = String.format(Locale.ROOT, "epoch=%d policy=%s chunk=%d steps=%d close=%s", epoch, policy, chunk,
                stepsPerThread, closeMode == 0 ? scenario.name() : closeMode == 1 ? "mid-run" : "after");
        Kernel kernel = Kernel.boot(kc);
        kernel.leakReportSink(s -> { });
        World world;
        try {
            kernel.attach();
            world = WorldSetup.build(kernel, es, config.threads());
        } finally {
            Kernel.detach();
        }
        currentWorld = world;
        AtomicLong progress = new AtomicLong();
        Thread[] workers = new Thread[config.threads()];
        for (int t = 0; t < workers.length; t++) {
            int thread = t;
            workers[t] = Thread.ofPlatform().name("fuzz-" + t).unstarted(
                    () -> worker(world, epoch, thread, mix(es, thread + 1), stepsPerThread, progress));
            workers[t].setDaemon(true);
        }
        for (Thread w : workers) {
            w.start();
        }
        if (closeMode == 1) {
            long closeAt = er.nextLong(Math.max(1, (long) stepsPerThread * workers.length));
            while (progress.get() < closeAt && anyAlive(workers)) {
                Thread.sleep(1);
            }
            close(world);
        }
        for (Thread w : workers) {
            w.join();
        }
        if (closeMode == 0 && !world.closed && !kernel.isHalted()) {
            closeWhileBlocked(world, epoch, scenario);
        }
        close(world);
        deleteTree(dumps);
        closedKernels.add(new java.lang.ref.WeakReference<>(kernel));
        currentWorld = null;
    }

    /**
     * A closed kernel must become garbage: everything it mapped is unmapped, and its Java-side
     * bookkeeping (pool chunk tables, processors, callback lists) must go too, or an embedder that
     * boots and closes kernels runs out of heap. After a GC more than a few closed kernels still
     * reachable (a blocked thread a close could not end may pin one) is a finding.
     */
    private void checkClosedKernelsCollected(int epoch) {
        // Up to three GCs 50 ms apart: what a thread-state or service-thread cleaner releases only
        // becomes garbage after the cleaner thread ran (the GC after the one that found the state
        // unreachable); a kernel a live reference pins stays reachable however often the GC runs.
        for (int round = 0; round < 3; round++) {
            System.gc();
            closedKernels.removeIf(r -> r.get() == null);
            if (closedKernels.size() <= 5) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (closedKernels.size() > 5) {
            record(new Finding("LEAK closed kernels stay reachable", closedKernels.size() + " of the kernels closed by epoch "
                    + epoch + " are still reachable after three GCs (each keeps its pools' chunk tables, processors and"
                    + " callback lists on the heap)\n  replay: " + replay(epoch), null), null);
        }
    }

    /**
     * Where the epochs' bug-check dumps go (deleted with the epoch): a RAM file system when there
     * is one, since every bug check writes and syncs a dump and the fuzzer raises thousands.
     */
    private Path dumpRoot() throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            Path p = shm.resolve("offkern-fuzz-" + ProcessHandle.current().pid());
            Files.createDirectories(p);
            p.toFile().deleteOnExit();
            return p;
        }
        return config.workDir();
    }

    private static boolean anyAlive(Thread[] ts) {
        for (Thread t : ts) {
            if (t.isAlive()) {
                return true;
            }
        }
        return false;
    }

    static void close(World w) {
        w.closeLock.writeLock().lock();
        try {
            w.closed = true;
        } finally {
            w.closeLock.writeLock().unlock();
        }
        w.kernel.close();
    }

    private void worker(World w, int epoch, int thread, long seed, int stepCount, AtomicLong progress) {
        runningThread[thread] = Thread.currentThread();
        try {
            try {
                w.kernel.attach();
            } catch (IllegalStateException closedOrHalted) {
                return;
            }
            Ctx c = new Ctx(w, thread, seed);
            runningCtx[thread] = c;
            c.entries.addAll(w.initialEntries.get(thread));
            int afterEnd = 0;
            for (int i = 0; i < stepCount; i++) {
                if ((w.closed || w.kernel.isHalted() || w.kernel.isClosed()) && ++afterEnd > STEPS_AFTER_CLOSE) {
                    break;
                }
                step(c, epoch, i);
                progress.incrementAndGet();
            }
        } catch (Throwable t) {
            record(new Finding("FUZZER " + t.getClass().getName(), "the fuzzer itself failed: " + stack(t), null), t);
        } finally {
            Kernel.detach();
            runningSince[thread] = 0;
        }
    }

    private void step(Ctx c, int epoch, int index) {
        Op op = Catalogue.pick(c.r, enabled, totalWeight);
        c.beginStep();
        runningOp[c.thread] = op.name();
        runningSince[c.thread] = System.nanoTime();
        // The kernel itself closed (Kernel.close() marks it first), not only the fuzzer's flag, which
        // is set just before: a call that starts in between runs on a live kernel and may bug-check.
        boolean closedBefore = c.w.kernel.isClosed();
        Throwable thrown = null;
        if (trace[c.thread] != null) {
            traceLine(c.thread, epoch + ":" + index + " " + op.name() + "\n");
        }
        try {
            if (!LockOps.BALANCED.contains(op.name()) && c.p(0.06)) {
                int level = 1 + c.n(15);
                c.note("raised to IRQL " + level + " first");
                c.dirty = true;
                Ke.KeRaiseIrql(level);
            }
            op.body().run(c);
        } catch (Throwable t) {
            thrown = t;
        }
        reset(c, thrown != null);
        Throwable late = null;
        for (Op.Body a : List.copyOf(c.after)) {
            try {
                a.run(c);
            } catch (Throwable t) {
                late = late == null ? t : late;
            }
        }
        if (late != null) {
            reset(c, true);
        }
        steps.incrementAndGet();
        opCounts.computeIfAbsent(op.name(), k -> new LongAdder()).increment();
        if (trace[c.thread] != null) {
            traceLine(c.thread, "    " + c.log + (thrown == null ? "ok" : thrown.toString()) + "\n");
        }
        judge(c, op, epoch, index, thrown, closedBefore, "");
        if (late != null) {
            judge(c, op, epoch, index, late, closedBefore, " (in the step's cleanup)");
        }
        String corrupted = c.w.checkBystanders();
        if (corrupted != null) {
            record(new Finding("BYSTANDER after " + op.name(), corrupted + "\n  " + where(c, op, epoch, index)
                    + "\n  other threads' operations: " + othersRunning(c.thread), null), null);
        }
        runningSince[c.thread] = 0;
    }

    private void traceLine(int t, String line) {
        try {
            trace[t].write(java.nio.ByteBuffer.wrap(line.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Undoes what a step may have left in the thread's kernel state (IRQL, regions, owned locks). */
    private static void reset(Ctx c, boolean threw) {
        try {
            if (threw || c.dirty || Ke.KeGetCurrentIrql() != 0) {
                Kernel.detach();
                c.w.kernel.attach();
            }
        } catch (Throwable closedOrHalted) {
            // A closed or halted kernel: the next steps will say so.
        }
    }

    private void judge(Ctx c, Op op, int epoch, int index, Throwable t, boolean closedBefore, String phase) {
        if (t == null) {
            outcomes.get(Outcome.Kind.OK).increment();
            return;
        }
        if (t instanceof FuzzInvariantException) {
            record(new Finding("INVARIANT " + op.name() + ": " + normalize(t.getMessage()),
                    t.getMessage() + phase + "\n  " + where(c, op, epoch, index), null), t);
            return;
        }
        Outcome o = Outcome.classify(t, c.javaNull);
        boolean closed = c.w.closed || c.w.kernel.isClosed();
        boolean outsideRoutine = o.routine() == null || "<fuzzer>".equals(o.routine());
        if (outsideRoutine && closed && t instanceof IllegalStateException) {
            // The fuzzer's own access to memory the close just unmapped: FFM's exception, not a
            // routine's outcome. Counted as CLOSED, so that UNDOCUMENTED counts routines' outcomes only.
            outcomes.get(Outcome.Kind.CLOSED).increment();
            return;
        }
        outcomes.get(o.kind()).increment();
        if (o.kind() == Outcome.Kind.CALLBACK) {
            return;
        }
        if (outsideRoutine) {
            record(new Finding("FUZZER " + op.name() + " " + t.getClass().getName(),
                    "exception outside any DDI routine" + phase + "\n  " + where(c, op, epoch, index) + "\n" + stack(t), null), t);
            return;
        }
        if (!o.allowed()) {
            record(new Finding(o.signature(), o.what() + phase + ": " + t + "\n  " + where(c, op, epoch, index)
                    + "\n" + stack(t), null), t);
            return;
        }
        if (closedBefore && c.w.kernel.isClosed() && t instanceof BugCheck bc) {
            // Issue 8 case 8: after close() a call must say the kernel is closed, not fault.
            record(new Finding(String.format(Locale.ROOT, "AFTER-CLOSE %s BugCheck 0x%X", o.routine(), bc.code()),
                    "a call on a closed kernel raised " + t + "\n  " + where(c, op, epoch, index) + "\n" + stack(t), null), t);
        }
    }

    private void closeWhileBlocked(World w, int epoch, CloseScenarios.Scenario scenario) throws Exception {
        CloseScenarios.Victim victim;
        try {
            w.kernel.attach();
            victim = scenario.prepare().prepare();
        } catch (Throwable t) {
            Outcome o = Outcome.classify(t, false);
            if (!o.allowed() || t instanceof FuzzInvariantException) {
                record(new Finding("CLOSE " + scenario.name() + " setup " + o.what(), "setting up " + scenario.name()
                        + " failed: " + t + "\n" + stack(t), null), t);
            }
            Kernel.detach();
            return;
        }
        Object[] result = new Object[1];
        Thread v = Thread.ofPlatform().daemon().name("fuzz-victim").start(() -> {
            try {
                victim.block();
                result[0] = "returned normally";
            } catch (Throwable t) {
                result[0] = t;
            }
        });
        Thread.sleep(20);
        String replay = "  " + replay(epoch) + " (" + epochNote + ")";
        try {
            close(w);
        } catch (Throwable t) {
            record(new Finding("CLOSE " + scenario.name() + " close() threw " + t.getClass().getName(),
                    "Kernel.close() with a thread blocked in " + scenario.name() + " threw " + t + "\n" + replay + "\n" + stack(t), null), t);
        } finally {
            Kernel.detach();
        }
        v.join(TimeUnit.SECONDS.toMillis(15));
        if (v.isAlive()) {
            record(new Finding("HANG " + scenario.name(), "a thread blocked in " + scenario.name()
                    + " is still blocked 15 s after Kernel.close()\n" + replay + Partner.stack(v), null), null);
            return;
        }
        Object r = result[0];
        if (!(r instanceof Throwable t)) {
            record(new Finding("CLOSE " + scenario.name() + " returned", "the blocked call returned normally after close\n" + replay, null), null);
            return;
        }
        Outcome o = Outcome.classify(t, false);
        outcomes.get(o.kind()).increment();
        if (o.kind() != Outcome.Kind.CLOSED && o.kind() != Outcome.Kind.HALTED) {
            record(new Finding("CLOSE " + scenario.name() + " " + o.what(), "the blocked call ended by close() with "
                    + t + " instead of saying the kernel was closed\n" + replay + "\n" + stack(t), null), t);
        }
    }

    // ===== findings and reporting =====

    private void record(Finding f, Throwable t) {
        KnownFindings.Known known = KnownFindings.match(f.signature, f.detail);
        Finding first = findings.computeIfAbsent(f.signature, s -> new Finding(f.signature, f.detail, known));
        first.count.increment();
        if (first.count.sum() == 1) {
            synchronized (out) {
                out.println(known != null ? "FUZZ-KNOWN " + f.signature + " | known=" + known.id() : "FUZZ-FINDING " + f.signature);
                out.println("  " + f.detail.replace("\n", "\n  "));
            }
        }
    }

    private String where(Ctx c, Op op, int epoch, int index) {
        return String.format(Locale.ROOT, "op=%s thread=%d step=%d %s | %s\n  replay: %s", op.name(), c.thread, index,
                epochNote, c.log, replay(epoch));
    }

    String replay(int epoch) {
        return String.format(Locale.ROOT,
                "mvn -B -pl tests -am verify -Doffkern.jcstress.skip=true -Dtest=DdiFuzzTest -Dsurefire.failIfNoSpecifiedTests=false"
                        + " -Doffkern.fuzz.seed=0x%x -Doffkern.fuzz.epoch=%d -Doffkern.fuzz.epochs=1 -Doffkern.fuzz.threads=%d",
                config.seed(), epoch, config.threads());
    }

    private String othersRunning(int self) {
        StringBuilder sb = new StringBuilder();
        for (int t = 0; t < config.threads(); t++) {
            if (t != self) {
                sb.append("thread ").append(t).append(": ").append(runningSince[t] == 0 ? "idle" : runningOp[t]).append("; ");
            }
        }
        return sb.toString();
    }

    static String normalize(String s) {
        if (s == null) {
            return "";
        }
        String n = s.replaceAll("0x[0-9a-fA-F]+", "#").replaceAll("-?\\d+", "#");
        return n.length() > 100 ? n.substring(0, 100) : n;
    }

    /** The live kernel threads (offkern-*), each with its state and top frames: what a hang report needs to see who is not serving. */
    static String kernelThreads() {
        StringBuilder sb = new StringBuilder("\n  kernel, worker and partner threads:");
        Thread.getAllStackTraces().forEach((th, frames) -> {
            String name = th.getName();
            if (name.startsWith("offkern-") || (name.startsWith("fuzz-") && !name.startsWith("fuzz-watchdog"))) {
                sb.append("\n    ").append(th.getName()).append(' ').append(th.getState());
                for (int i = 0; i < Math.min(frames.length, 6); i++) {
                    sb.append("\n      at ").append(frames[i]);
                }
            }
        });
        Partner.FAILURES.forEach((name, failure) -> sb.append("\n  last failure of partner ").append(name).append(": ").append(failure));
        return sb.toString();
    }

    /** Every processor's DPC queue bookkeeping (a hang in KeFlushQueuedDpcs waits on one of these). */
    static String dpcState(World w) {
        if (w == null) {
            return "";
        }
        try {
            return "\n  DPC queues:\n    " + dev.offkern.runtime.ke.KeDpc.describeQueues(w.kernel.core()).strip().replace("\n", "\n    ");
        } catch (RuntimeException closing) {
            return "\n  DPC queues: unreadable (" + closing + ")";
        }
    }

    static String stack(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Throwable x = t;
        int depth = 0;
        while (x != null && depth++ < 3) {
            sb.append(depth > 1 ? "  caused by " : "  ").append(x).append('\n');
            StackTraceElement[] st = x.getStackTrace();
            for (int i = 0; i < Math.min(st.length, 18); i++) {
                sb.append("      at ").append(st[i]).append('\n');
            }
            x = x.getCause();
        }
        return sb.toString();
    }

    /**
     * Every second: a step running longer than {@link #HANG_SECONDS} is reported as a hang; the
     * watchdog then closes the epoch's kernel (which ends every wait) and lets the run go on if the
     * thread comes back within 15 s, else ends the JVM with exit code 3.
     */
    private void watch() {
        java.util.Set<Long> reported = new java.util.HashSet<>();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (int t = 0; t < config.threads(); t++) {
                long since = runningSince[t];
                if (since != 0 && now - since > TimeUnit.SECONDS.toNanos(HANG_SECONDS) && reported.add(since)) {
                    Thread th = runningThread[t];
                    String sig = "HANG " + runningOp[t];
                    int epoch = Integer.parseInt(epochNote.replaceAll("epoch=(\\d+).*", "$1"));
                    record(new Finding(sig, "thread " + t + " has run " + runningOp[t] + " for more than " + HANG_SECONDS
                            + " s (" + epochNote + ")\n  step: " + logOf(t) + "\n  replay: " + replay(epoch)
                            + (th == null ? "" : Partner.stack(th)) + kernelThreads() + dpcState(currentWorld), null), null);
                    World w = currentWorld;
                    if (w != null) {
                        // On its own thread: close() may block on whatever the stuck thread holds.
                        Thread.ofPlatform().daemon().name("fuzz-watchdog-close").start(() -> {
                            try {
                                close(w);
                            } catch (Throwable closeFailed) {
                                out.println("FUZZ-WATCHDOG close() after a hang threw " + closeFailed);
                            }
                        });
                    }
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                    while (runningSince[t] == since && System.nanoTime() < deadline) {
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    if (runningSince[t] == since) {
                        synchronized (out) {
                            out.println("FUZZ-WATCHDOG thread " + t + " is still stuck 15 s after the kernel was closed: ending the JVM");
                            summarize(-1);
                        }
                        out.flush();
                        Runtime.getRuntime().halt(3);
                    }
                }
            }
        }
    }

    private String logOf(int t) {
        try {
            Ctx c = runningCtx[t];
            return c == null ? "?" : c.log.toString();
        } catch (RuntimeException racing) {
            return "?";
        }
    }

    private int summarize(long elapsedMillis) {
        TreeSet<String> all = Catalogue.routines();
        TreeSet<String> run = new TreeSet<>();
        for (Op op : Catalogue.ALL) {
            if (opCounts.containsKey(op.name())) {
                run.addAll(op.routines());
            }
        }
        if (epochsRun > 0) {
            run.addAll(CloseScenarios.ROUTINES);
        }
        TreeSet<String> missing = new TreeSet<>(all);
        missing.removeAll(run);
        long fresh = findings.values().stream().filter(f -> f.known == null).count();
        long known = findings.values().stream().filter(f -> f.known != null).count();
        TreeMap<String, Long> byKind = new TreeMap<>();
        outcomes.forEach((k, v) -> byKind.put(k.name(), v.sum()));
        for (Finding f : findings.values().stream().sorted(Comparator.comparing(x -> x.signature)).toList()) {
            out.println((f.known == null ? "FUZZ-FINDING-COUNT " : "FUZZ-KNOWN-COUNT ") + f.count.sum() + " " + f.signature);
        }
        if (!missing.isEmpty()) {
            out.println("FUZZ-UNEXERCISED " + String.join(" ", missing));
        }
        out.println(String.format(Locale.ROOT, "FUZZ-SUMMARY seed=0x%x threads=%d epochs=%d steps=%d elapsedMs=%d routines=%d/%d"
                        + " outcomes=%s findings=%d known=%d", config.seed(), config.threads(), epochsRun, steps.get(),
                elapsedMillis, all.size() - missing.size(), all.size(), byKind, fresh, known));
        out.flush();
        return fresh == 0 ? 0 : 1;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
