package dev.offkern.bench.ke;

import static dev.offkern.ddi.Ke.KeAcquireInStackQueuedSpinLock;
import static dev.offkern.ddi.Ke.KeAcquireSpinLock;
import static dev.offkern.ddi.Ke.KeReleaseInStackQueuedSpinLock;
import static dev.offkern.ddi.Ke.KeReleaseSpinLock;

import static dev.offkern.ddi.Ke.KeLowerIrql;
import static dev.offkern.ddi.Ke.KeRaiseIrql;

import dev.offkern.runtime.ke.Irql;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * One acquire+release of an executive spin lock (KeAcquireSpinLock/KeReleaseSpinLock, with the
 * IRQL raise and lower) and of an in-stack queued spin lock, against {@link ReentrantLock} and
 * {@code synchronized}, each with a one-word critical section; 1 thread (uncontended) and 2
 * threads (contended: on a 2-vCPU guest this measures cache-line hand-offs between vCPUs). Each
 * benchmark method makes its calls itself (no shared helper), as in MutexAcquireReleaseBenchmark:
 * a helper compiled on its own can be too big to inline into the measured loop.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SpinLockAcquireReleaseBenchmark {
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();
    private final ReentrantLock reentrantLock = new ReentrantLock();
    private final Object monitor = new Object();
    private long counter;

    /** Each thread's KLOCK_QUEUE_HANDLE ("stack" memory from the pool). */
    @State(Scope.Thread)
    public static class Handle {
        MemorySegment handle;

        @Setup
        public void setUp(SharedKernel k) {
            handle = k.block(0x18);
        }
    }

    @Benchmark
    @Threads(1)
    public long spinLock1(SharedKernel k) {
        int old = KeAcquireSpinLock(k.spinLock);
        long c = ++counter;
        KeReleaseSpinLock(k.spinLock, old);
        return c;
    }

    @Benchmark
    @Threads(2)
    public long spinLock2(SharedKernel k) {
        int old = KeAcquireSpinLock(k.spinLock);
        long c = ++counter;
        KeReleaseSpinLock(k.spinLock, old);
        return c;
    }

    @Benchmark
    @Threads(1)
    public long queuedSpinLock1(SharedKernel k, Handle h) {
        KeAcquireInStackQueuedSpinLock(k.queuedLock, h.handle);
        long c = ++counter;
        KeReleaseInStackQueuedSpinLock(h.handle);
        return c;
    }

    @Benchmark
    @Threads(2)
    public long queuedSpinLock2(SharedKernel k, Handle h) {
        KeAcquireInStackQueuedSpinLock(k.queuedLock, h.handle);
        long c = ++counter;
        KeReleaseInStackQueuedSpinLock(h.handle);
        return c;
    }

    /**
     * {@link #spinLock1} in an embedder's default JVM: the verifier's JVM-wide switch on (no
     * {@code -Doffkern.verifier=false}), the kernel's verifier off (SharedKernel). The checks the kernel
     * does not run must cost only their family test, not a second thread-state lookup (session 31: 23.9-26.1
     * against 15.2-16.5 ns before that was fixed). The fork's later -D wins over run.sh's prepended flags.
     */
    @Benchmark
    @Threads(1)
    @Fork(jvmArgsAppend = "-Doffkern.verifier=true")
    public long spinLock1SwitchOn(SharedKernel k) {
        int old = KeAcquireSpinLock(k.spinLock);
        long c = ++counter;
        KeReleaseSpinLock(k.spinLock, old);
        return c;
    }

    /** {@link #queuedSpinLock1} with the verifier's JVM-wide switch on and the kernel's verifier off (see {@link #spinLock1SwitchOn}). */
    @Benchmark
    @Threads(1)
    @Fork(jvmArgsAppend = "-Doffkern.verifier=true")
    public long queuedSpinLock1SwitchOn(SharedKernel k, Handle h) {
        KeAcquireInStackQueuedSpinLock(k.queuedLock, h.handle);
        long c = ++counter;
        KeReleaseInStackQueuedSpinLock(h.handle);
        return c;
    }

    /** Breakdown: the IRQL raise to DISPATCH_LEVEL and lower back that KeAcquire/ReleaseSpinLock add. */
    @Benchmark
    @Threads(1)
    public int irqlRaiseLower1(SharedKernel k) {
        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
        KeLowerIrql(old);
        return old;
    }

    /** Floor: the lock word's CAS and release store alone (no thread state, no IRQL). */
    @Benchmark
    @Threads(1)
    public long rawCas1(SharedKernel k) {
        while (!WORD.compareAndSet(k.spinLock, 0L, 0L, 1L)) {
            Thread.onSpinWait();
        }
        long c = ++counter;
        WORD.setRelease(k.spinLock, 0L, 0L);
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

    @Benchmark
    @Threads(1)
    public long synchronized1() {
        synchronized (monitor) {
            return ++counter;
        }
    }

    @Benchmark
    @Threads(2)
    public long synchronized2() {
        synchronized (monitor) {
            return ++counter;
        }
    }
}
