package dev.offkern.cli;

import dev.offkern.runtime.counters.CountersDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code offkern stat}: watches the live counters a kernel in another process publishes (pools,
 * lookaside lists, DPCs, timers, bug checks), refreshing every interval, as Aeron's AeronStat
 * watches a media driver.
 */
@Command(name = "stat", mixinStandardHelpOptions = true,
        description = {"Shows the live counters of a kernel running in another process, refreshing: pool totals, lookaside "
                + "hit rates, DPCs queued/run, timers set/expired, bug checks.",
                "The kernel publishes when booted with -Doffkern.counters.dir=DIR (or -Doffkern.counters=true, or "
                        + "KernelConfig.withLiveCounters); its JVM needs --add-exports java.base/jdk.internal.misc=ALL-UNNAMED."},
        exitCodeList = {"0:shown (also when the kernel closed meanwhile)",
                "1:nothing live to attach to, or only a stale file (its process died without closing its kernel: shown, marked STALE)",
                "2:usage error (unknown option, bad --format, --interval or --count)"},
        footer = {"  offkern stat --attach /dev/shm/myapp    # every second until the kernel closes",
                "  offkern stat --attach DIR --format json # one JSON snapshot",
                "  offkern stat --interval 0.2 --count 10  # the default directory, 10 snapshots"})
public final class StatCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--attach", paramLabel = "DIR",
            description = "The kernel's counters directory, or one counters file (default: the default directory, ${DEFAULT-VALUE}).")
    private Path attach = CountersDirectory.defaultDirectory();

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (default) or json (one JSON object per snapshot, one per line; --count defaults to 1).")
    private String format;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "1",
            description = "Seconds between refreshes (0.05..3600, default: ${DEFAULT-VALUE}).")
    private double interval;

    @Option(names = "--count", paramLabel = "N",
            description = "Snapshots to show, then exit (default: until the kernel closes; 1 with --format json).")
    private Integer count;

    @Override
    public Integer call() {
        Options o = Options.check(spec, format, interval, count);
        PrintWriter out = spec.commandLine().getOut();
        boolean redraw = !o.json() && CountersWatch.redraw(o.count());
        int[] frame = {0};
        return CountersWatch.watch(attach, o.intervalMillis(), o.count(), out, spec.commandLine().getErr(), "offkern stat", s -> {
            if (o.json()) {
                out.println(CountersView.json(CountersView.statJson(s)));
                return;
            }
            if (redraw) {
                out.print("\033[H\033[2J");
            } else if (frame[0]++ > 0) {
                out.println();
            }
            out.print(CountersView.statText(s));
        });
    }

    /** The checked watch options both commands take. */
    record Options(boolean json, long intervalMillis, int count) {
        static Options check(CommandSpec spec, String format, double interval, Integer count) {
            boolean json = switch (format.toLowerCase(java.util.Locale.ROOT)) {
                case "text" -> false;
                case "json" -> true;
                default -> throw new ParameterException(spec.commandLine(), "--format: '" + format + "' is no format (valid formats: text, json)");
            };
            if (!(interval >= 0.05 && interval <= 3600)) {
                throw new ParameterException(spec.commandLine(), "--interval must be between 0.05 and 3600 seconds, not " + interval);
            }
            if (count != null && count < 1) {
                throw new ParameterException(spec.commandLine(), "--count must be at least 1, not " + count);
            }
            return new Options(json, Math.round(interval * 1000), count != null ? count : json ? 1 : 0);
        }
    }
}
