package dev.offkern.bench.probe;

import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * One row of a plain-loop probe: a name and a loop body that runs {@link #OPS} operations and
 * returns a sink value. {@link #runAll} times each selected row {@link #ROUNDS} times and prints the
 * fastest round per operation (a minimum, not a mean: the probes are for a loaded machine, where the
 * minimum is the stable figure).
 */
record ProbeCase(String name, LongSupplier body) {
    /** Operations per round ({@code -Dprobe.ops}). */
    static final int OPS = Integer.getInteger("probe.ops", 20_000);
    /** Rounds per row ({@code -Dprobe.rounds}). */
    static final int ROUNDS = Integer.getInteger("probe.rounds", 1000);

    /**
     * Runs every case whose name contains {@code filter} (or, for a filter starting with {@code =}, the case named
     * exactly the rest), printing the fastest round's ns per operation.
     */
    static void runAll(List<ProbeCase> cases, String filter) {
        for (ProbeCase c : cases) {
            if (filter.startsWith("=") ? !c.name().equals(filter.substring(1)) : !c.name().contains(filter)) {
                continue;
            }
            double best = Double.MAX_VALUE;
            long sink = 0;
            for (int r = 0; r < ROUNDS; r++) {
                long t0 = System.nanoTime();
                sink += c.body().getAsLong();
                best = Math.min(best, (System.nanoTime() - t0) / (double) OPS);
            }
            System.out.printf(Locale.ROOT, "%-48s %7.2f ns/pair  (sink %d)%n", c.name(), best, sink & 1);
        }
    }
}
