package dev.offkern.bench.probe;

import static dev.offkern.ddi.Ex.ExAcquireFastMutex;
import static dev.offkern.ddi.Ex.ExInitializeFastMutex;
import static dev.offkern.ddi.Ex.ExReleaseFastMutex;

import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Why the 2-thread fast-mutex row of {@code MutexAcquireReleaseBenchmark} loses to {@code ReentrantLock}: two
 * threads, started together, each make {@code pairs} acquire+release pairs around a shared counter, first on a
 * FAST_MUTEX through the DDI, then on a {@code ReentrantLock}; per round it prints the wall time per pair and
 * how many of the fast mutex's acquisitions took the contended path (the structure's own Contention field,
 * which the slow path counts exactly). A contended FAST_MUTEX acquire registers as a waiter and blocks on the
 * mutex's KEVENT at once, as the Windows Research Kernel's and ReactOS's do, and its release sets that event:
 * each contended acquire is a block and a wake-up, microseconds on a hypervisor. So a round's time follows its
 * contended share.
 * Run: {@code java <the benchmarks' JVM options> -cp benchmarks/target/benchmarks.jar
 * dev.offkern.bench.probe.MutexContentionProbe [pairs per thread] [rounds]}.
 */
public final class MutexContentionProbe {
    private static long counter;

    private MutexContentionProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 3_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        try (Kernel kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false))) {
            MemorySegment mutex = kernel.nonPagedPool().allocate(FAST_MUTEX.X64.size(), 64);
            ExInitializeFastMutex(mutex);
            ReentrantLock lock = new ReentrantLock();
            for (int round = 0; round < rounds; round++) {
                int contendedBefore = mutex.get(ValueLayout.JAVA_INT, FAST_MUTEX.CONTENTION_OFFSET);
                long fastMutexNs = runTwo(pairs, () -> {
                    ExAcquireFastMutex(mutex);
                    counter++;
                    ExReleaseFastMutex(mutex);
                });
                int contended = mutex.get(ValueLayout.JAVA_INT, FAST_MUTEX.CONTENTION_OFFSET) - contendedBefore;
                long lockNs = runTwo(pairs, () -> {
                    lock.lock();
                    counter++;
                    lock.unlock();
                });
                long all = 2L * pairs;
                System.out.printf("fast mutex %.1f ns per pair, %d of %d acquisitions contended (%.2f%%); ReentrantLock %.1f ns per pair%n",
                        (double) fastMutexNs / all, contended, all, 100.0 * contended / all, (double) lockNs / all);
            }
            kernel.nonPagedPool().free(mutex.address(), 0);
        }
    }

    /** Wall time of two threads that start together and each run {@code pair} {@code pairs} times. */
    private static long runTwo(int pairs, Runnable pair) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(3);
        Thread[] threads = new Thread[2];
        for (int i = 0; i < threads.length; i++) {
            threads[i] = new Thread(() -> {
                await(start);
                for (int j = 0; j < pairs; j++) {
                    pair.run();
                }
            });
            threads[i].start();
        }
        await(start);
        long t0 = System.nanoTime();
        for (Thread t : threads) {
            t.join();
        }
        return System.nanoTime() - t0;
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (InterruptedException | BrokenBarrierException e) {
            throw new IllegalStateException(e);
        }
    }
}
