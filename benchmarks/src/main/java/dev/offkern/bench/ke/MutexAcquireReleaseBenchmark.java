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
 * (the fast mutex's DDI names are Ex's).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MutexAcquireReleaseBenchmark {
    private final ReentrantLock reentrantLock = new ReentrantLock();
    private long counter;

    private long fast(SharedKernel k) {
        ExAcquireFastMutex(k.fastMutex);
        long c = ++counter;
        ExReleaseFastMutex(k.fastMutex);
        return c;
    }

    private long guarded(SharedKernel k) {
        KeAcquireGuardedMutex(k.guardedMutex);
        long c = ++counter;
        KeReleaseGuardedMutex(k.guardedMutex);
        return c;
    }

    private long reentrant() {
        reentrantLock.lock();
        try {
            return ++counter;
        } finally {
            reentrantLock.unlock();
        }
    }

    @Benchmark
    @Threads(1)
    public long fastMutex1(SharedKernel k) {
        return fast(k);
    }

    @Benchmark
    @Threads(2)
    public long fastMutex2(SharedKernel k) {
        return fast(k);
    }

    @Benchmark
    @Threads(1)
    public long guardedMutex1(SharedKernel k) {
        return guarded(k);
    }

    @Benchmark
    @Threads(2)
    public long guardedMutex2(SharedKernel k) {
        return guarded(k);
    }

    @Benchmark
    @Threads(1)
    public long reentrantLock1() {
        return reentrant();
    }

    @Benchmark
    @Threads(2)
    public long reentrantLock2() {
        return reentrant();
    }
}
