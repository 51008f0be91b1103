package dev.offkern.runtime;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Whether and where a kernel publishes its live counters (pool tags, lookaside totals, DPC and timer
 * counts, bug checks) for {@code offkern stat} and {@code offkern poolmon --attach} in another
 * process. Off by default: publishing costs a daemon thread that wakes every {@code interval}, a
 * file of about 5 MiB (sparse: a few pages are touched) and the JVM flag
 * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} (Agrona's UnsafeBuffer); the
 * kernel's hot paths are the same either way (the thread copies the counts the kernel keeps anyway).
 *
 * <p>{@link #fromSystemProperties()} (what {@link KernelConfig#defaults()} uses) turns it on with
 * {@code -Doffkern.counters=true} (the default directory) or {@code -Doffkern.counters.dir=DIR}, and
 * takes the period from {@code -Doffkern.counters.interval=MILLIS}.
 *
 * @param directory where the kernel writes {@code kernel-<pid>-<n>.counters}; null: off
 * @param interval  how often the values are published ({@link #MINIMUM_INTERVAL}..{@link #MAXIMUM_INTERVAL})
 */
public record LiveCounters(Path directory, Duration interval) {
    /** The default publishing period. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(250);
    /** The shortest period accepted. */
    public static final Duration MINIMUM_INTERVAL = Duration.ofMillis(10);
    /** The longest period accepted. */
    public static final Duration MAXIMUM_INTERVAL = Duration.ofMinutes(1);

    public LiveCounters {
        if (interval == null || interval.compareTo(MINIMUM_INTERVAL) < 0 || interval.compareTo(MAXIMUM_INTERVAL) > 0) {
            throw new IllegalArgumentException("live counters interval must be " + MINIMUM_INTERVAL.toMillis() + " ms.."
                    + MAXIMUM_INTERVAL.toMillis() + " ms, not " + (interval == null ? "null" : interval.toMillis() + " ms"));
        }
    }

    /** No live counters. */
    public static LiveCounters off() {
        return new LiveCounters(null, DEFAULT_INTERVAL);
    }

    /** Live counters in {@code directory}, published every {@link #DEFAULT_INTERVAL}. */
    public static LiveCounters in(Path directory) {
        return new LiveCounters(java.util.Objects.requireNonNull(directory, "directory"), DEFAULT_INTERVAL);
    }

    /** Live counters in the default directory ({@code dev.offkern.runtime.counters.CountersDirectory}). */
    public static LiveCounters inDefaultDirectory() {
        return in(dev.offkern.runtime.counters.CountersDirectory.defaultDirectory());
    }

    /** The same, published every {@code period}. */
    public LiveCounters every(Duration period) {
        return new LiveCounters(directory, period);
    }

    /** Whether the kernel publishes. */
    public boolean enabled() {
        return directory != null;
    }

    /**
     * From the system properties: on with {@code offkern.counters.dir=DIR} or
     * {@code offkern.counters=true} (default directory), else off; the period from
     * {@code offkern.counters.interval} (milliseconds).
     *
     * @throws IllegalArgumentException if the interval property is no number in range
     */
    public static LiveCounters fromSystemProperties() {
        Duration interval = DEFAULT_INTERVAL;
        String ms = System.getProperty("offkern.counters.interval");
        if (ms != null && !ms.isBlank()) {
            try {
                interval = Duration.ofMillis(Long.parseLong(ms.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("offkern.counters.interval: '" + ms + "' is no number of milliseconds");
            }
        }
        String dir = System.getProperty(dev.offkern.runtime.counters.CountersDirectory.DIR_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            return new LiveCounters(Path.of(dir).toAbsolutePath(), interval);
        }
        if (Boolean.getBoolean("offkern.counters")) {
            return new LiveCounters(dev.offkern.runtime.counters.CountersDirectory.defaultDirectory(), interval);
        }
        return new LiveCounters(null, interval);
    }
}
