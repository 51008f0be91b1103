package dev.offkern.cli.demo;

import java.util.Arrays;

/**
 * Latency samples (nanoseconds) and their exact percentiles. A demo run records at most a few
 * hundred thousand samples, so it keeps them all (8 bytes each) and sorts once when asked. Not
 * thread-safe: each requester thread keeps its own and the report merges them; the driver's is
 * written under its guarded mutex.
 */
final class DemoLatency {
    private long[] samples = new long[1024];
    private int count;
    private boolean sorted = true;

    void record(long nanos) {
        if (count == samples.length) {
            samples = Arrays.copyOf(samples, count * 2);
        }
        samples[count++] = nanos;
        sorted = false;
    }

    void addAll(DemoLatency other) {
        for (int i = 0; i < other.count; i++) {
            record(other.samples[i]);
        }
    }

    int count() {
        return count;
    }

    /** The {@code p}-th percentile (0 &lt; p ≤ 100; nearest rank), 0 when empty. */
    long percentile(double p) {
        if (count == 0) {
            return 0;
        }
        if (!sorted) {
            Arrays.sort(samples, 0, count);
            sorted = true;
        }
        int rank = (int) Math.ceil(p / 100.0 * count);
        return samples[Math.min(count, Math.max(1, rank)) - 1];
    }

    long max() {
        return percentile(100);
    }
}
