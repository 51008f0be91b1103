package dev.offkern.runtime.counters;

import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.ex.LookasideRegistry;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.Processor;
import dev.offkern.runtime.ke.TimerTable;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.runtime.pool.Pools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

/**
 * Publishes one kernel's statistics as Agrona counters in a {@link CountersFile} that other processes
 * watch ({@code offkern stat}, {@code offkern poolmon --attach}): per pool tag and pool type the
 * allocations, frees and bytes in use; each pool's mapped bytes; lookaside lists' allocate/free
 * totals and misses; per processor and queue the DPCs inserted, run and queued now; timer sets,
 * expiries and pending timers; bug checks (see {@link CounterType}).
 *
 * <p><b>Cost model.</b> Nothing on the kernel's hot paths: the publisher thread ({@code
 * offkern-counters}, a daemon) wakes every interval and copies what the kernel already counts — the
 * pools' per-thread tag counters (summed with opaque reads, as poolmon does), the lookaside lists'
 * own ULONG counters (under the lookaside registry's monitor, which only initialize and delete
 * take), the PRCBs' DPC statistics, the timer table's and bug checks' counts — into the file with
 * ordered (release) writes. It is the values buffer's only writer, so no write is contended. In
 * steady state a publish allocates nothing; a tag seen for the first time allocates its three
 * counters. A publish costs O(tags × threads that allocated) opaque loads plus one ordered store
 * per counter, once per interval (250 ms by default): 18 µs for 20 tags and 2 threads, 102 µs for
 * 1,000 tags and 8 threads on the 2-vCPU test machine ({@code CountersPublishCost} in the tests).
 *
 * <p><b>Lifecycle.</b> {@link #start} creates the file and the thread; {@link #close} (from
 * {@code Kernel.close()}, before anything of the kernel is torn down) stops the thread, publishes a
 * last time, marks the file CLOSED and deletes it. If the JVM dies without closing the kernel the
 * file stays, marked RUNNING or HALTED with a dead pid: watchers report it as stale.
 *
 * <p>Progress: the publisher is a periodic blocking loop; the kernel never waits for it.
 */
public final class CountersPublisher implements AutoCloseable {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final int ALLOCS = 0;
    private static final int FREES = 1;
    private static final int BYTES = 2;

    private final KernelCore core;
    private final Pools pools;
    private final LookasideRegistry lookasides;
    private final CountersFile file;
    private final CountersManager manager;
    private final long intervalNanos;
    /** Per (tag, pool type): the ids of its ALLOCS, FREES, BYTES counters (empty: the file is full). Publisher thread only. */
    private final Long2ObjectHashMap<int[]> tagCounters = new Long2ObjectHashMap<>();
    private final Pool.UsageVisitor tagVisitor = this::publishTag;
    private final int[] mappedBytes = new int[2];
    private final int[][] lookaside = new int[2][LookasideRegistry.ROW];
    private final long[] lookasideTotals = new long[2 * LookasideRegistry.ROW];
    /** [processor][queue]: DPC_QUEUED, DPC_RUN, DPC_QUEUE_DEPTH ids. */
    private final int[][][] dpc;
    private final int timersSet;
    private final int timersExpired;
    private final int timersPending;
    private final int timerDpcsCoalesced;
    private final int bugChecks;
    private final int bugCheckLastCode;
    private final Thread thread;
    /** Set by {@link #close}; volatile: the publisher thread polls it. */
    private volatile boolean closing;
    private boolean closed;

    private CountersPublisher(KernelCore core, Pools pools, LookasideRegistry lookasides, CountersFile file, Duration interval) {
        this.core = core;
        this.pools = pools;
        this.lookasides = lookasides;
        this.file = file;
        this.intervalNanos = interval.toNanos();
        this.manager = new CountersManager(file.metadataBuffer(), file.valuesBuffer());
        for (int type = 0; type < 2; type++) {
            String pool = poolName(type);
            mappedBytes[type] = counter(CounterType.POOL_MAPPED_BYTES, type, 0, "pool " + pool + " mapped bytes");
            lookaside[type][LookasideRegistry.LISTS] = counter(CounterType.LOOKASIDE_LISTS, type, 0, "lookaside " + pool + " lists");
            lookaside[type][LookasideRegistry.TOTAL_ALLOCATES] = counter(CounterType.LOOKASIDE_ALLOCATES, type, 0,
                    "lookaside " + pool + " TotalAllocates");
            lookaside[type][LookasideRegistry.ALLOCATE_MISSES] = counter(CounterType.LOOKASIDE_ALLOCATE_MISSES, type, 0,
                    "lookaside " + pool + " AllocateMisses");
            lookaside[type][LookasideRegistry.TOTAL_FREES] = counter(CounterType.LOOKASIDE_FREES, type, 0,
                    "lookaside " + pool + " TotalFrees");
            lookaside[type][LookasideRegistry.FREE_MISSES] = counter(CounterType.LOOKASIDE_FREE_MISSES, type, 0,
                    "lookaside " + pool + " FreeMisses");
        }
        int processors = core.processorCount();
        dpc = new int[processors][2][3];
        for (int p = 0; p < processors; p++) {
            for (int q = 0; q < 2; q++) {
                String queue = q == 0 ? "normal" : "threaded";
                dpc[p][q][0] = counter(CounterType.DPC_QUEUED, p, q, "dpc cpu " + p + " " + queue + " queued");
                dpc[p][q][1] = counter(CounterType.DPC_RUN, p, q, "dpc cpu " + p + " " + queue + " run");
                dpc[p][q][2] = counter(CounterType.DPC_QUEUE_DEPTH, p, q, "dpc cpu " + p + " " + queue + " depth");
            }
        }
        timersSet = counter(CounterType.TIMERS_SET, 0, 0, "timers set");
        timersExpired = counter(CounterType.TIMERS_EXPIRED, 0, 0, "timers expired");
        timersPending = counter(CounterType.TIMERS_PENDING, 0, 0, "timers pending");
        timerDpcsCoalesced = counter(CounterType.TIMER_DPCS_COALESCED, 0, 0, "timer DPCs coalesced");
        bugChecks = counter(CounterType.BUG_CHECKS, 0, 0, "bug checks raised");
        bugCheckLastCode = counter(CounterType.BUG_CHECK_LAST_CODE, 0, 0, "bug check last code");
        this.thread = Thread.ofPlatform().daemon(true).name("offkern-counters").unstarted(this::run);
    }

    /**
     * Creates the kernel's counters file in {@code directory}, publishes once and starts publishing
     * every {@code interval}.
     *
     * @throws UncheckedIOException if the file cannot be created (the message names it)
     * @throws IllegalStateException if this JVM may not use Agrona's UnsafeBuffer (the message gives the flag)
     */
    public static CountersPublisher start(Path directory, Duration interval, KernelCore core, Pools pools,
                                          LookasideRegistry lookasides) {
        int sequence = SEQUENCE.incrementAndGet();
        long pid = ProcessHandle.current().pid();
        long started = ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
        String description = System.getProperty("sun.java.command", "java");
        CountersFile f;
        try {
            f = CountersFile.create(directory, CountersDirectory.fileName(pid, sequence), new CountersFile.Identity(pid, started,
                    System.currentTimeMillis(), interval.toMillis(), sequence, core.processorCount(), description));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the live counters file in " + directory + ": " + e, e);
        } catch (LinkageError e) {
            throw CountersFile.agronaNeedsUnsafe(e);
        }
        try {
            CountersPublisher p = new CountersPublisher(core, pools, lookasides, f, interval);
            p.publish();
            p.thread.start();
            return p;
        } catch (RuntimeException | Error e) {
            f.close();
            try {
                Files.deleteIfExists(f.path());
            } catch (IOException ignored) {
                // best effort: the file is marked nothing yet (RUNNING with this live pid); a later start replaces it
            }
            throw e;
        }
    }

    /** The counters file. */
    public Path file() {
        return file.path();
    }

    private int counter(CounterType type, int key0, int key1, String label) {
        UnsafeBuffer key = new UnsafeBuffer(new byte[8]);
        key.putInt(0, key0);
        key.putInt(4, key1);
        byte[] l = label.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return manager.allocate(type.typeId(), key, 0, 8, new UnsafeBuffer(l), 0, l.length);
    }

    private static String poolName(int poolType) {
        return poolType == PoolType.PagedPool ? "Paged" : "Nonp";
    }

    private void run() {
        while (!closing) { // volatile read: pairs with close()
            LockSupport.parkNanos(this, intervalNanos);
            if (closing) {
                break;
            }
            try {
                publish();
            } catch (RuntimeException e) {
                // A statistic must not kill the kernel's process or the thread: report and go on.
                System.err.println("offkern: publishing live counters failed: " + e);
            }
        }
    }

    /** Copies every statistic into the file (the publisher thread, or close() after it ended). */
    void publish() {
        pools.nonPaged().forEachUsage(tagVisitor);
        pools.paged().forEachUsage(tagVisitor);
        manager.setCounterValue(mappedBytes[0], pools.nonPaged().mappedBytes());
        manager.setCounterValue(mappedBytes[1], pools.paged().mappedBytes());
        Arrays.fill(lookasideTotals, 0);
        lookasides.addCounters(lookasideTotals);
        for (int type = 0; type < 2; type++) {
            for (int i = 0; i < LookasideRegistry.ROW; i++) {
                manager.setCounterValue(lookaside[type][i], lookasideTotals[type * LookasideRegistry.ROW + i]);
            }
        }
        for (int p = 0; p < dpc.length; p++) {
            Processor cpu = core.processors().get(p);
            manager.setCounterValue(dpc[p][0][0], Integer.toUnsignedLong(cpu.dpcQueuedCount()));
            manager.setCounterValue(dpc[p][0][1], Integer.toUnsignedLong(cpu.dpcCount()));
            manager.setCounterValue(dpc[p][0][2], cpu.dpcQueueDepth());
            manager.setCounterValue(dpc[p][1][0], Integer.toUnsignedLong(cpu.threadedDpcQueuedCount()));
            manager.setCounterValue(dpc[p][1][1], Integer.toUnsignedLong(cpu.threadedDpcCount()));
            manager.setCounterValue(dpc[p][1][2], cpu.threadedDpcQueueDepth());
        }
        TimerTable timers = core.clock().timers();
        manager.setCounterValue(timersSet, timers.sets());
        manager.setCounterValue(timersExpired, timers.expiries());
        manager.setCounterValue(timersPending, timers.pending());
        manager.setCounterValue(timerDpcsCoalesced, timers.dpcsCoalesced());
        manager.setCounterValue(bugChecks, core.bugChecks().raisedCount());
        manager.setCounterValue(bugCheckLastCode, Integer.toUnsignedLong(core.bugChecks().lastCode()));
        file.setState(core.isHalted() ? CountersFile.HALTED : CountersFile.RUNNING);
        file.heartbeat(System.currentTimeMillis());
    }

    private void publishTag(int tag, int poolType, long allocs, long frees, long bytes) {
        long key = ((long) tag << 32) | (poolType & 0xFFFF_FFFFL);
        int[] ids = tagCounters.get(key);
        if (ids == null) {
            ids = allocateTag(tag, poolType);
            tagCounters.put(key, ids);
        }
        if (ids.length == 3) {
            manager.setCounterValue(ids[ALLOCS], allocs);
            manager.setCounterValue(ids[FREES], frees);
            manager.setCounterValue(ids[BYTES], bytes);
        }
    }

    private int[] allocateTag(int tag, int poolType) {
        if (manager.available() < 3) {
            return new int[0]; // the file is full: this tag is not published (its pool's totals still are, in poolmon)
        }
        String prefix = "pool " + PoolTags.toString(tag) + " " + poolName(poolType) + " ";
        return new int[] {
            counter(CounterType.POOL_ALLOCS, tag, poolType, prefix + "allocs"),
            counter(CounterType.POOL_FREES, tag, poolType, prefix + "frees"),
            counter(CounterType.POOL_BYTES, tag, poolType, prefix + "bytes")};
    }

    /**
     * Stops publishing: ends the thread, publishes the last values, marks the file CLOSED (a watcher
     * with it mapped sees that) and deletes it. Idempotent. Call before the kernel tears anything down.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closing = true; // volatile write: the thread exits at its next poll
        LockSupport.unpark(thread);
        boolean ended = true;
        if (Thread.currentThread() != thread) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ended = !thread.isAlive();
        }
        try {
            if (ended) {
                publish(); // the thread has ended (join: happens-before), so this is the only writer
            }
        } catch (RuntimeException e) {
            System.err.println("offkern: the last publish of live counters failed: " + e);
        } finally {
            file.setState(CountersFile.CLOSED);
            file.heartbeat(System.currentTimeMillis());
            if (ended) {
                file.close();
            }
            try {
                Files.deleteIfExists(file.path());
            } catch (IOException e) {
                System.err.println("offkern: cannot delete the live counters file " + file.path() + ": " + e);
            }
        }
    }
}
