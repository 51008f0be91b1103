package dev.offkern.cli;

import static dev.offkern.ddi.Ex.ExAllocatePool2;
import static dev.offkern.ddi.Ex.ExAllocatePoolWithTag;
import static dev.offkern.ddi.Ex.ExFreePoolWithTag;

import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.pool.PoolMonitor;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code offkern poolmon}: the per-tag pool table, as poolmon shows it, either of a kernel running
 * in another process ({@code --attach DIR}: its live counters, refreshing) or of a demo workload run
 * here ({@code --demo}: boots a kernel, runs a few tags' alloc/free patterns, prints the table once).
 */
@Command(name = "poolmon", mixinStandardHelpOptions = true,
        description = {"Shows the per-tag pool accounting, as poolmon does: of a kernel in another process (--attach DIR, "
                + "refreshing) or of a demo workload run here (--demo).",
                "Demo tags: DmSm small blocks, DmCa cache-aligned, DmLg large blocks, DmLk a lookaside-like churn, "
                        + "DmPg mixed paged blocks (some left allocated to show Diff)."},
        exitCodeList = {"0:the table was shown",
                "1:(--attach) nothing live to attach to, or only a stale file (shown, marked STALE)",
                "2:usage error (neither or both of --demo and --attach, unknown option, bad --sort, --rounds, --format, --interval or --count)"},
        footer = {"  offkern poolmon --attach /dev/shm/myapp --sort diff  # another process, live",
                "  offkern poolmon --attach DIR --format json  # one JSON snapshot",
                "  offkern poolmon --demo                      # the demo, sorted by bytes",
                "  offkern poolmon --demo -n 10000 --leaks     # and the leak report at shutdown"})
public final class PoolmonCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--demo", description = "Boot a kernel here, run the demo workload and print its table once.")
    private boolean demo;

    @Option(names = "--attach", paramLabel = "DIR",
            description = "Watch the live counters of the kernel publishing in DIR (its -Doffkern.counters.dir), or one counters file.")
    private Path attach;

    @Option(names = {"-s", "--sort"}, paramLabel = "KEY", defaultValue = "BYTES",
            description = "Sort by TAG, ALLOCS, FREES, DIFF or BYTES (default: ${DEFAULT-VALUE}; case-insensitive).")
    private PoolMonitor.Sort sort;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (default) or json (one JSON object per snapshot, one per line).")
    private String format;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "1",
            description = "With --attach: seconds between refreshes (0.05..3600, default: ${DEFAULT-VALUE}).")
    private double interval;

    @Option(names = "--count", paramLabel = "N",
            description = "With --attach: snapshots to show, then exit (default: until the kernel closes; 1 with --format json).")
    private Integer count;

    @Option(names = {"-n", "--rounds"}, paramLabel = "N", defaultValue = "1000",
            description = "With --demo: rounds of the workload (1..1000000, default: ${DEFAULT-VALUE}).")
    private int rounds;

    @Option(names = "--leaks", description = "With --demo: leave the outstanding blocks allocated and print the leak report the kernel makes at shutdown.")
    private boolean leaks;

    @Override
    public Integer call() {
        if (demo == (attach != null)) {
            throw new ParameterException(spec.commandLine(), demo ? "--demo and --attach exclude each other"
                    : "give --attach DIR (watch a kernel in another process) or --demo (run a demo workload here)");
        }
        StatCommand.Options o = StatCommand.Options.check(spec, format, interval, count);
        PrintWriter out = spec.commandLine().getOut();
        if (attach != null) {
            boolean redraw = !o.json() && CountersWatch.redraw(o.count());
            int[] frame = {0};
            return CountersWatch.watch(attach, o.intervalMillis(), o.count(), out, spec.commandLine().getErr(), "offkern poolmon",
                    s -> {
                        if (o.json()) {
                            out.println(CountersView.json(CountersView.poolmonJson(s, sort)));
                            return;
                        }
                        if (redraw) {
                            out.print("\033[H\033[2J");
                        } else if (frame[0]++ > 0) {
                            out.println();
                        }
                        out.print(CountersView.poolmonText(s, sort));
                    });
        }
        if (rounds < 1 || rounds > 1_000_000) {
            throw new ParameterException(spec.commandLine(), "--rounds must be between 1 and 1000000, not " + rounds);
        }
        List<String> leakReport = new ArrayList<>();
        try (Kernel kernel = Kernel.boot().attach().leakReportSink(leakReport::add)) {
            List<MemorySegment> outstanding = runDemo(rounds);
            PoolMonitor table = PoolMonitor.snapshot(kernel.nonPagedPool(), kernel.pagedPool(), sort);
            if (o.json()) {
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("source", "demo");
                m.put("rounds", rounds);
                m.put("tags", CountersView.jsonTags(table.rows()));
                out.println(CountersView.json(m));
            } else {
                out.print(table.format());
            }
            if (!leaks) {
                for (MemorySegment p : outstanding) {
                    ExFreePoolWithTag(p, PoolTags.tag("DmPg"));
                }
            }
        } finally {
            Kernel.detach();
        }
        if (leaks && !o.json()) {
            out.println();
            out.print(leakReport.isEmpty() ? "offkern pool: no leaks\n" : leakReport.get(0));
        }
        out.flush();
        return 0;
    }

    /** The workload; returns the DmPg blocks it leaves allocated. */
    static List<MemorySegment> runDemo(int rounds) {
        int small = PoolTags.tag("DmSm");
        int aligned = PoolTags.tag("DmCa");
        int large = PoolTags.tag("DmLg");
        int lookaside = PoolTags.tag("DmLk");
        int paged = PoolTags.tag("DmPg");
        SplittableRandom rnd = new SplittableRandom(42);
        ArrayDeque<MemorySegment> smallLive = new ArrayDeque<>();
        ArrayDeque<MemorySegment> lookasideList = new ArrayDeque<>(); // the "lookaside list": depth 16
        List<MemorySegment> pagedLive = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            smallLive.add(ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, small));
            if (smallLive.size() > 32) {
                ExFreePoolWithTag(smallLive.poll(), small);
            }
            MemorySegment ca = ExAllocatePoolWithTag(PoolType.NonPagedPoolNxCacheAligned, 192, aligned);
            ExFreePoolWithTag(ca, aligned);
            if (i % 50 == 0) {
                MemorySegment big = ExAllocatePool2(PoolFlags.POOL_FLAG_PAGED, 16_384 + rnd.nextInt(8192), large);
                ExFreePoolWithTag(big, large);
            }
            // Lookaside-like churn: take from the list, else the pool; give back to the list, else the pool.
            MemorySegment entry = lookasideList.isEmpty()
                    ? ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 256, lookaside) : lookasideList.pop();
            if (lookasideList.size() < 16 && rnd.nextInt(4) != 0) {
                lookasideList.push(entry);
            } else {
                ExFreePoolWithTag(entry, lookaside);
            }
            if (i % 10 == 0) {
                pagedLive.add(ExAllocatePool2(PoolFlags.POOL_FLAG_PAGED, 32 + rnd.nextInt(2000), paged));
                if (pagedLive.size() > 20) {
                    ExFreePoolWithTag(pagedLive.remove(rnd.nextInt(pagedLive.size())), paged);
                }
            }
        }
        for (MemorySegment p : smallLive) {
            ExFreePoolWithTag(p, small);
        }
        for (MemorySegment p : lookasideList) {
            ExFreePoolWithTag(p, lookaside);
        }
        return pagedLive;
    }
}
