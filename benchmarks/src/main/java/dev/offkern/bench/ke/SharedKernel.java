package dev.offkern.bench.ke;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One booted kernel per trial (2 processors, verifier checks off in the configuration; run with
 * {@code -Doffkern.verifier=false} to compile them out as well) and the lock structures the lock
 * benchmarks share, all in its non-paged pool.
 */
@State(Scope.Benchmark)
public class SharedKernel {
    Kernel kernel;
    MemorySegment spinLock;
    MemorySegment queuedLock;
    MemorySegment fastMutex;
    MemorySegment guardedMutex;

    @Setup(Level.Trial)
    public void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false)).leakReportSink(s -> { });
        spinLock = block(64);
        queuedLock = block(64);
        fastMutex = block(64);
        guardedMutex = block(64);
        dev.offkern.ddi.Ke.KeInitializeSpinLock(spinLock);
        dev.offkern.ddi.Ke.KeInitializeSpinLock(queuedLock);
        dev.offkern.ddi.Ex.ExInitializeFastMutex(fastMutex);
        dev.offkern.ddi.Ke.KeInitializeGuardedMutex(guardedMutex);
    }

    /** A zeroed, cache-line aligned block from the non-paged pool. */
    MemorySegment block(long size) {
        return kernel.nonPagedPool().allocate(size, 64);
    }

    @TearDown(Level.Trial)
    public void close() {
        kernel.close();
    }
}
