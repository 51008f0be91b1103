package dev.offkern.bench.ke;

import static dev.offkern.ddi.Ex.ExAcquireFastMutex;
import static dev.offkern.ddi.Ex.ExReleaseFastMutex;
import static dev.offkern.ddi.Ke.KeAcquireGuardedMutex;
import static dev.offkern.ddi.Ke.KeReleaseGuardedMutex;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * One acquire+release of a FAST_MUTEX (ExAcquireFastMutex: raise to APC_LEVEL, lock word, OldIrql)
 * and of a KGUARDED_MUTEX (guarded region + lock word) against {@link ReentrantLock}; 1 thread and
 * 2 threads (contended: waiters block on the embedded event, ReentrantLock's park in AQS). It
 * sits in {@code ke} with the other lock benchmarks: both mutexes block through the ke dispatcher
 * (the fast mutex's DDI names are Ex's). Each benchmark method makes its calls itself, as JMH advises,
 * rather than through a shared helper: a helper is compiled on its own while the harness warms up, and
 * a helper around a mutex pair is then too big for C2 to inline into the measured loop (see
 * {@link #fastMutexInHelper1}, which measures exactly that).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MutexAcquireReleaseBenchmark {
    private final ReentrantLock reentrantLock = new ReentrantLock();
    private long counter;

    @Benchmark
    @Threads(1)
    public long fastMutex1(SharedKernel k) {
        ExAcquireFastMutex(k.fastMutex);
        long c = ++counter;
        ExReleaseFastMutex(k.fastMutex);
        return c;
    }

    @Benchmark
    @Threads(2)
    public long fastMutex2(SharedKernel k) {
        ExAcquireFastMutex(k.fastMutex);
        long c = ++counter;
        ExReleaseFastMutex(k.fastMutex);
        return c;
    }

    /**
     * The pair inside a method of the caller's that is compiled on its own before the loop that calls it:
     * its code (4.1 KB) is over C2's InlineSmallCode (2500 bytes), so the loop calls it instead of inlining it
     * (docs/performance.md, "Locks": "Inlining").
     */
    @Benchmark
    @Threads(1)
    public long fastMutexInHelper1(SharedKernel k) {
        return fastInHelper(k);
    }

    private long fastInHelper(SharedKernel k) {
        ExAcquireFastMutex(k.fastMutex);
        long c = ++counter;
        ExReleaseFastMutex(k.fastMutex);
        return c;
    }

    @Benchmark
    @Threads(1)
    public long guardedMutex1(SharedKernel k) {
        KeAcquireGuardedMutex(k.guardedMutex);
        long c = ++counter;
        KeReleaseGuardedMutex(k.guardedMutex);
        return c;
    }

    @Benchmark
    @Threads(2)
    public long guardedMutex2(SharedKernel k) {
        KeAcquireGuardedMutex(k.guardedMutex);
        long c = ++counter;
        KeReleaseGuardedMutex(k.guardedMutex);
        return c;
    }

    @Benchmark
    @Threads(1)
    public long reentrantLock1() {
        reentrantLock.lock();
        try {
            return ++counter;
        } finally {
            reentrantLock.unlock();
        }
    }

    @Benchmark
    @Threads(2)
    public long reentrantLock2() {
        reentrantLock.lock();
        try {
            return ++counter;
        } finally {
            reentrantLock.unlock();
        }
    }
}
