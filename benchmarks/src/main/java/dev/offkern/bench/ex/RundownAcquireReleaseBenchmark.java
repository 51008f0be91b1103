package dev.offkern.bench.ex;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ex.ExRundown;
import dev.offkern.runtime.ex.ExRundownCacheAware;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.StampedLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * One rundown acquire+release pair on a shared reference, by 1 and by 2 threads: the plain
 * EX_RUNDOWN_REF (one word: both threads fight over one cache line), the cache-aware one (one stripe
 * per processor), and the JDK's nearest peers doing the same job — a {@link LongAdder}
 * increment+decrement (striped counter), a {@link Semaphore} tryAcquire+release, and a
 * {@link StampedLock} readLock+unlockRead. Run with {@code -Doffkern.verifier=false}; 0 B/op expected
 * everywhere ({@code -prof gc}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RundownAcquireReleaseBenchmark {
    private Kernel kernel;
    private Arena arena;
    private MemorySegment runRef;
    private MemorySegment cacheAware;
    private final LongAdder adder = new LongAdder();
    private final Semaphore semaphore = new Semaphore(Integer.MAX_VALUE);
    private final StampedLock stampedLock = new StampedLock();

    @Setup
    public void setUp() {
        kernel = Kernel.boot();
        arena = Arena.ofShared();
        runRef = arena.allocate(128, 128);
        ExRundown.initialize(runRef);
        long size = ExRundownCacheAware.sizeOf();
        cacheAware = arena.allocate(size, 128);
        ExRundownCacheAware.initialize(cacheAware, size);
    }

    @TearDown
    public void tearDown() {
        if (ExRundown.word(runRef) != 0 || ExRundownCacheAware.holders(cacheAware) != 0) {
            throw new IllegalStateException("unbalanced acquire/release");
        }
        arena.close();
        kernel.close();
    }

    // ----- 1 thread -----

    @Benchmark
    public boolean rundown() {
        boolean ok = ExRundown.acquire(runRef);
        ExRundown.release(runRef);
        return ok;
    }

    @Benchmark
    public boolean rundownCacheAware() {
        boolean ok = ExRundownCacheAware.acquire(cacheAware);
        ExRundownCacheAware.release(cacheAware);
        return ok;
    }

    @Benchmark
    public void longAdder() {
        adder.increment();
        adder.decrement();
    }

    @Benchmark
    public boolean semaphore() {
        boolean ok = semaphore.tryAcquire();
        semaphore.release();
        return ok;
    }

    @Benchmark
    public long stampedLockRead() {
        long stamp = stampedLock.readLock();
        stampedLock.unlockRead(stamp);
        return stamp;
    }

    // ----- 2 threads on the same reference -----

    @Benchmark
    @Threads(2)
    public boolean rundown2T() {
        return rundown();
    }

    @Benchmark
    @Threads(2)
    public boolean rundownCacheAware2T() {
        return rundownCacheAware();
    }

    @Benchmark
    @Threads(2)
    public void longAdder2T() {
        longAdder();
    }

    @Benchmark
    @Threads(2)
    public boolean semaphore2T() {
        return semaphore();
    }

    @Benchmark
    @Threads(2)
    public long stampedLockRead2T() {
        return stampedLockRead();
    }
}
