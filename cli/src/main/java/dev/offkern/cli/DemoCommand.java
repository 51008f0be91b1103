package dev.offkern.cli;

import dev.offkern.cli.demo.DemoRun;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code offkern demo}: boots a kernel, loads the demo driver, drives a load of requests at it from
 * several threads (some cancelled), unloads it and reports what happened.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = BuildVersion.class,
        description = {"Loads offkern's demo driver, drives requests at its device from several threads, unloads it and reports.",
                "",
                "The driver (Java, shipped with offkern) queues each request in a cancel-safe queue (IO_CSQ) and completes it",
                "from a periodic KTIMER's DPC, an EX_TIMER, or an interrupt's DPC (KINTERRUPT); a work item (IO_WORKITEM)",
                "folds completion records from an SLIST into statistics under a guarded mutex; contexts come from a lookaside",
                "list, slots from a bitmap; rundown protection guards unload; a bug-check callback is registered throughout.",
                "The requesters cancel a share of their requests. The report gives the requests completed and cancelled by",
                "path, latency percentiles, the pool after unload (poolmon), the kernel's leak report and the bug checks raised."},
        exitCodeList = {"0:every request was answered, nothing leaked, no bug check",
                "1:a request was lost, the driver leaked, or the kernel bug-checked",
                "2:usage error"},
        footer = {"  offkern demo                # 4 threads x 2500 requests, 10%% cancelled",
                "  offkern demo --threads 8 --cancel 30 --seed 7"})
public final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "4", description = "requester threads (1-64; default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--requests", paramLabel = "N", defaultValue = "2500",
            description = "requests per thread (1-1000000; default ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--cancel", paramLabel = "PERCENT", defaultValue = "10",
            description = "share of requests the requester tries to cancel (0-100; default ${DEFAULT-VALUE})")
    int cancelPercent;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "seed of the requesters' choices (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--no-progress", description = "no progress line while it runs")
    boolean noProgress;

    /** Creates the command (picocli calls this). */
    public DemoCommand() {
    }

    @Override
    public Integer call() {
        if (threads < 1 || threads > 64) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be 1 to 64, not " + threads);
        }
        if (requests < 1 || requests > 1_000_000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--requests must be 1 to 1000000, not " + requests);
        }
        if (cancelPercent < 0 || cancelPercent > 100) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--cancel must be 0 to 100, not " + cancelPercent);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean ok = new DemoRun(threads, requests, cancelPercent, seed, noProgress ? null : err).run(out);
        out.flush();
        return ok ? 0 : 1;
    }
}
