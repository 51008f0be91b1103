package dev.offkern.runtime;

import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.runtime.pool.DecodedPoolType;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * How a {@link Kernel} is booted. Immutable; start from {@link #defaults()} and change with the
 * {@code with...} methods.
 *
 * @param nonPagedPoolLimit bytes the non-paged pool may map in all (its chunks included)
 * @param pagedPoolLimit    bytes the paged pool may map in all
 * @param poolChunkSize     bytes each pool chunk maps at once (a multiple of 64 KiB)
 * @param processorCount    logical processors (1..64, one processor group); default: the host's
 *                          {@code Runtime.availableProcessors()} (capped at 64)
 * @param verifierChecks    the verifier's check families that run (all by default); the JVM-wide
 *                          master switch {@code Verifier.ENABLED} still gates them all
 * @param bugCheckPolicy    what a bug check does after callbacks and dump: HALT or THROW (default)
 * @param dumpDirectory     where bug-check dumps are written (default: {@code offkern.dump.dir}
 *                          if set, else {@code <java.io.tmpdir>/offkern-dumps})
 * @param threadedDpcs      whether threaded DPCs run at PASSIVE_LEVEL on each processor's DPC thread
 *                          (default) or, as on Windows with threaded DPCs disabled, as normal DPCs
 * @param timeIncrement     the clock tick in 100 ns units ({@code KeQueryTimeIncrement}): the
 *                          granularity of KeQueryInterruptTime/KeQuerySystemTime/KeQueryTickCount and
 *                          of timer expiry; 1 ms by default (Windows' clock under a 1 ms timer
 *                          resolution), 1000..156250 (0.1 ms .. 15.625 ms)
 * @param liveCounters      whether and where the kernel publishes live counters for other processes
 *                          ({@link LiveCounters}; off unless {@code offkern.counters} or
 *                          {@code offkern.counters.dir} says otherwise)
 */
public record KernelConfig(long nonPagedPoolLimit, long pagedPoolLimit, long poolChunkSize,
                           int processorCount, Set<VerifierCheck> verifierChecks,
                           BugCheckPolicy bugCheckPolicy, Path dumpDirectory,
                           boolean threadedDpcs, long timeIncrement, LiveCounters liveCounters) {

    /** The default clock tick: 1 ms in 100 ns units. */
    public static final long DEFAULT_TIME_INCREMENT = 10_000;
    /** The shortest clock tick accepted: 0.1 ms. */
    public static final long MINIMUM_TIME_INCREMENT = 1_000;
    /** The longest clock tick accepted: Windows' default 15.625 ms. */
    public static final long MAXIMUM_TIME_INCREMENT = 156_250;

    /** Processors in one processor group: the most a KAFFINITY mask can name. */
    public static final int MAXIMUM_PROCESSORS = 64;

    public KernelConfig {
        if (poolChunkSize <= 0 || poolChunkSize % (64 * 1024) != 0) {
            throw new IllegalArgumentException("poolChunkSize must be a positive multiple of 64 KiB, not " + poolChunkSize);
        }
        if (nonPagedPoolLimit < poolChunkSize || pagedPoolLimit < poolChunkSize) {
            throw new IllegalArgumentException("pool limits must be at least one chunk (" + poolChunkSize + " bytes)");
        }
        if (processorCount < 1 || processorCount > MAXIMUM_PROCESSORS) {
            throw new IllegalArgumentException("processorCount must be 1.." + MAXIMUM_PROCESSORS
                    + " (one processor group), not " + processorCount);
        }
        if (verifierChecks == null || bugCheckPolicy == null || dumpDirectory == null || liveCounters == null) {
            throw new IllegalArgumentException("verifierChecks, bugCheckPolicy, dumpDirectory and liveCounters must not be null");
        }
        if (timeIncrement < MINIMUM_TIME_INCREMENT || timeIncrement > MAXIMUM_TIME_INCREMENT) {
            throw new IllegalArgumentException("timeIncrement must be " + MINIMUM_TIME_INCREMENT + ".." + MAXIMUM_TIME_INCREMENT
                    + " (100 ns units), not " + timeIncrement);
        }
        EnumSet<VerifierCheck> copy = EnumSet.noneOf(VerifierCheck.class);
        copy.addAll(verifierChecks);
        verifierChecks = Collections.unmodifiableSet(copy);
    }

    /** The settings before threaded DPCs and the clock tick were configurable (those at their defaults). */
    public KernelConfig(long nonPagedPoolLimit, long pagedPoolLimit, long poolChunkSize, int processorCount,
                        Set<VerifierCheck> verifierChecks, BugCheckPolicy bugCheckPolicy, Path dumpDirectory) {
        this(nonPagedPoolLimit, pagedPoolLimit, poolChunkSize, processorCount, verifierChecks, bugCheckPolicy, dumpDirectory,
                true, DEFAULT_TIME_INCREMENT, LiveCounters.fromSystemProperties());
    }

    /**
     * The limit of the pool that serves {@code poolType} (a POOL_TYPE, decoded by {@link DecodedPoolType}).
     *
     * @throws IllegalArgumentException if {@code poolType} is no POOL_TYPE
     */
    public long poolLimit(int poolType) {
        DecodedPoolType type = DecodedPoolType.decode(poolType);
        if (type == null) {
            throw new IllegalArgumentException("not a POOL_TYPE: " + poolType);
        }
        return type.paged() ? pagedPoolLimit : nonPagedPoolLimit;
    }

    /** The pool settings with the kernel-core defaults for everything else. */
    public KernelConfig(long nonPagedPoolLimit, long pagedPoolLimit, long poolChunkSize) {
        this(nonPagedPoolLimit, pagedPoolLimit, poolChunkSize, defaultProcessorCount(),
                defaultVerifierChecks(), BugCheckPolicy.THROW, defaultDumpDirectory());
    }

    /**
     * 512 MiB of non-paged and 512 MiB of paged pool, in 4 MiB chunks; the host's processors; the verifier families of
     * {@link #defaultVerifierChecks()} (all unless offkern.verifier.checks says otherwise); THROW; dumps under the temp directory;
     * live counters as {@link LiveCounters#fromSystemProperties()} says (off unless offkern.counters or offkern.counters.dir is set).
     */
    public static KernelConfig defaults() {
        return new KernelConfig(512L << 20, 512L << 20, 4L << 20);
    }

    /**
     * The verifier families a default configuration runs: every family, or the ones the system
     * property {@code offkern.verifier.checks} names (comma-separated {@link VerifierCheck} names,
     * {@code none} for none; {@code -NAME} entries remove a family from all, e.g.
     * {@code -SPECIAL_POOL}), so that a benchmark or a test run can measure one family's cost.
     *
     * @throws IllegalArgumentException if the property names no family
     */
    public static Set<VerifierCheck> defaultVerifierChecks() {
        String spec = System.getProperty("offkern.verifier.checks");
        if (spec == null || spec.isBlank()) {
            return EnumSet.allOf(VerifierCheck.class);
        }
        EnumSet<VerifierCheck> checks = spec.trim().startsWith("-") ? EnumSet.allOf(VerifierCheck.class)
                : EnumSet.noneOf(VerifierCheck.class);
        for (String part : spec.split(",")) {
            String name = part.trim();
            if (name.isEmpty() || name.equalsIgnoreCase("none")) {
                continue;
            }
            try {
                if (name.startsWith("-")) {
                    checks.remove(VerifierCheck.valueOf(name.substring(1).trim()));
                } else {
                    checks.add(VerifierCheck.valueOf(name));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("offkern.verifier.checks: '" + name + "' is no verifier family (families: "
                        + java.util.Arrays.toString(VerifierCheck.values()) + ")");
            }
        }
        return checks;
    }

    /** The host's processor count, capped at {@link #MAXIMUM_PROCESSORS}. */
    public static int defaultProcessorCount() {
        return Math.min(MAXIMUM_PROCESSORS, Runtime.getRuntime().availableProcessors());
    }

    /** {@code offkern.dump.dir} if set, else {@code <java.io.tmpdir>/offkern-dumps}. */
    public static Path defaultDumpDirectory() {
        String dir = System.getProperty("offkern.dump.dir");
        return dir != null ? Path.of(dir) : Path.of(System.getProperty("java.io.tmpdir"), "offkern-dumps");
    }

    /** Whether verifier check family {@code check} is configured on (the master switch aside). */
    public boolean verifies(VerifierCheck check) {
        return verifierChecks.contains(check);
    }

    public KernelConfig withNonPagedPoolLimit(long bytes) {
        return new KernelConfig(bytes, pagedPoolLimit, poolChunkSize, processorCount, verifierChecks, bugCheckPolicy, dumpDirectory, threadedDpcs, timeIncrement, liveCounters);
    }

    public KernelConfig withPagedPoolLimit(long bytes) {
        return new KernelConfig(nonPagedPoolLimit, bytes, poolChunkSize, processorCount, verifierChecks, bugCheckPolicy, dumpDirectory, threadedDpcs, timeIncrement, liveCounters);
    }

    public KernelConfig withPoolChunkSize(long bytes) {
        return new KernelConfig(nonPagedPoolLimit, pagedPoolLimit, bytes, processorCount, verifierChecks, bugCheckPolicy, dumpDirectory, threadedDpcs, timeIncrement, liveCounters);
    }

    public KernelConfig withProcessorCount(int count) {
        return new KernelConfig(nonPagedPoolLimit, pagedPoolLimit, poolChunkSize, count, verifierChecks, bugCheckPolicy, dumpDirectory, threadedDpcs, timeIncrement, liveCounters);
    }

    /** Runs exactly {@code checks} (an empty set turns the kernel's verifier off). */
    public KernelConfig withVerifierChecks(Set<VerifierCheck> checks) {
        return new KernelConfig(nonPagedPoolLimit, pagedPoolLimit, poolChunkSize, processorCount, checks, bugCheckPolicy, dumpDirectory, threadedDpcs, timeIncrement, liveCounters);
    }

    /** Verifier on (every check) or off (none). */
    public KernelConfig withVerifier(boolean on) {
        return withVerifierChecks(on ? EnumSet.allOf(VerifierCheck.class) : EnumSet.noneOf(VerifierCheck.class));
    }

    public KernelConfig withBugCheckPolicy(BugCheckPolicy policy) {
        return new KernelConfig(nonPagedPoolLimit, pagedPoolLimit, poolChunkSize, processorCount, verifierChecks, policy, dumpDirectory, threadedDpcs, timeIncrement, liveCounters);
    }

    public KernelConfig withDumpDirectory(Path directory) {
        return new KernelConfig(nonPagedPoolLimit, pagedPoolLimit, poolChunkSize, processorCount, verifierChecks, bugCheckPolicy, directory, threadedDpcs, timeIncrement, liveCounters);
    }

    /** Threaded DPCs on each processor's DPC thread (true) or run as normal DPCs (false). */
    public KernelConfig withThreadedDpcs(boolean on) {
        return new KernelConfig(nonPagedPoolLimit, pagedPoolLimit, poolChunkSize, processorCount, verifierChecks, bugCheckPolicy,
                dumpDirectory, on, timeIncrement, liveCounters);
    }

    /** The clock tick in 100 ns units (see {@link #timeIncrement()}). */
    public KernelConfig withTimeIncrement(long increment) {
        return new KernelConfig(nonPagedPoolLimit, pagedPoolLimit, poolChunkSize, processorCount, verifierChecks, bugCheckPolicy,
                dumpDirectory, threadedDpcs, increment, liveCounters);
    }

    /** Live counters as {@code counters} says ({@link LiveCounters#off()}, {@link LiveCounters#in(Path)}, ...). */
    public KernelConfig withLiveCounters(LiveCounters counters) {
        return new KernelConfig(nonPagedPoolLimit, pagedPoolLimit, poolChunkSize, processorCount, verifierChecks, bugCheckPolicy,
                dumpDirectory, threadedDpcs, timeIncrement, counters);
    }
}
