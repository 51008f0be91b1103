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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code offkern poolmon}: boots a kernel, runs a small demo workload through the pool DDIs (a few
 * tags, alloc/free patterns, a lookaside-like churn) and prints the poolmon table.
 */
@Command(name = "poolmon", mixinStandardHelpOptions = true,
        description = {"Boots a kernel, runs a demo pool workload and prints the per-tag pool accounting, as poolmon does.",
                "Tags: DmSm small blocks, DmCa cache-aligned, DmLg large blocks, DmLk a lookaside-like churn, "
                        + "DmPg mixed paged blocks (some left allocated to show Diff)."},
        exitCodeList = {"0:the table was printed", "2:usage error (unknown option, bad --sort or --rounds)"},
        footer = {"  offkern poolmon                      # the demo, sorted by bytes",
                "  offkern poolmon -n 10000 --sort tag",
                "  offkern poolmon --leaks              # and the leak report at shutdown"})
public final class PoolmonCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = {"-s", "--sort"}, paramLabel = "KEY", defaultValue = "BYTES",
            description = "Sort by TAG, ALLOCS, FREES, DIFF or BYTES (default: ${DEFAULT-VALUE}; case-insensitive).")
    private PoolMonitor.Sort sort;

    @Option(names = {"-n", "--rounds"}, paramLabel = "N", defaultValue = "1000",
            description = "Rounds of the demo workload (1..1000000, default: ${DEFAULT-VALUE}).")
    private int rounds;

    @Option(names = "--leaks", description = "Leave the demo's outstanding blocks allocated and print the leak report the kernel makes at shutdown.")
    private boolean leaks;

    @Override
    public Integer call() {
        if (rounds < 1 || rounds > 1_000_000) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--rounds must be between 1 and 1000000, not " + rounds);
        }
        PrintWriter out = spec.commandLine().getOut();
        List<String> leakReport = new ArrayList<>();
        try (Kernel kernel = Kernel.boot().attach().leakReportSink(leakReport::add)) {
            List<MemorySegment> outstanding = runDemo(rounds);
            out.print(PoolMonitor.snapshot(kernel.nonPagedPool(), kernel.pagedPool(), sort).format());
            if (!leaks) {
                for (MemorySegment p : outstanding) {
                    ExFreePoolWithTag(p, PoolTags.tag("DmPg"));
                }
            }
        } finally {
            Kernel.detach();
        }
        if (leaks) {
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
