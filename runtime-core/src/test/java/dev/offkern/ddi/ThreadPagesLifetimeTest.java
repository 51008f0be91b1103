package dev.offkern.ddi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.pool.LeakReport;
import dev.offkern.runtime.pool.Pool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Thread objects' pages (the nonpaged pool's segregated memory: every thread's KTHREAD) outlive
 * {@code Kernel.close()} while a thread state that may store into its KTHREAD lives, and are unmapped
 * once the last one is gone. A state stores the APC-disable and owned-mutex counts without a segment
 * check (ThreadState's overview), so a thread between its run-state check and such a store while
 * another thread closes the kernel must find its KTHREAD still mapped; its next call says the kernel
 * is closed.
 */
class ThreadPagesLifetimeTest {
    @TempDir
    Path dumps;

    private Kernel boot() {
        return Kernel.boot(KernelConfig.defaults().withProcessorCount(1).withDumpDirectory(dumps)).leakReportSink(s -> { });
    }

    /**
     * Threads hammer KeAcquireGuardedMutex/KeReleaseGuardedMutex (each on its own mutex: two in memory the
     * close does not unmap, so the hammers run on into the KTHREAD stores after it, one in the kernel's
     * pool) while another thread closes the kernel: each ends with the closed kernel's
     * IllegalStateException, the JVM does not crash, and the leak report is exactly the pool mutex.
     */
    @Test
    void shouldEndGuardedMutexHammersWithTheClosedKernelsExceptionWhenAnotherThreadClosesIt() throws Exception {
        int hammers = 3;
        for (int round = 0; round < 25; round++) {
            Kernel kernel = boot();
            CountDownLatch warm = new CountDownLatch(hammers);
            AtomicReferenceArray<Throwable> ended = new AtomicReferenceArray<>(hammers);
            Thread[] threads = new Thread[hammers];
            try (Arena arena = Arena.ofShared()) {
                for (int i = 0; i < hammers; i++) {
                    MemorySegment mutex = i == 0 ? kernel.nonPagedPool().allocate(FAST_MUTEX.LAYOUT.byteSize(), 8)
                            : arena.allocate(FAST_MUTEX.LAYOUT);
                    int index = i;
                    threads[i] = Thread.ofPlatform().daemon().start(() -> {
                        try {
                            kernel.attach();
                            Ke.KeInitializeGuardedMutex(mutex);
                            for (long n = 1; ; n++) {
                                Ke.KeAcquireGuardedMutex(mutex);
                                Ke.KeReleaseGuardedMutex(mutex);
                                if (n == 2000) {
                                    warm.countDown();
                                }
                            }
                        } catch (Throwable t) {
                            ended.set(index, t);
                        } finally {
                            warm.countDown(); // a hammer that failed early must not hang the test; the check below reports it
                            Kernel.detach();
                        }
                    });
                }
                assertTrue(warm.await(60, TimeUnit.SECONDS), "the hammers did not start");
                kernel.close();
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(30));
                    assertFalse(t.isAlive(), "a hammer is still running after close");
                }
            }
            for (int i = 0; i < hammers; i++) {
                Throwable t = ended.get(i);
                assertTrue(t instanceof IllegalStateException && t.getMessage() != null && t.getMessage().contains("closed"),
                        "round " + round + ", hammer " + i + ": " + t);
            }
            assertEquals(List.of(new LeakReport.Leak(Pool.SEGMENT_ALLOCATOR_TAG, PoolType.NonPagedPool, FAST_MUTEX.LAYOUT.byteSize(), 1)),
                    kernel.leakReport().leaks(), "the leak report is the pool mutex, nothing of the threads");
        }
    }

    /**
     * A thread's KTHREAD stays mapped past the close while the thread's state is installed (it may still
     * store into it), and is unmapped once that state and every other one of the kernel are gone.
     */
    @Test
    void shouldUnmapTheThreadPagesOnlyOnceTheLastStateIsGone() throws Exception {
        AtomicReference<MemorySegment> kthread = new AtomicReference<>();
        AtomicReference<Object> afterClose = new AtomicReference<>();
        CountDownLatch called = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        AtomicReference<Throwable> closing = new AtomicReference<>();
        // Boot, calls and close on threads that end, and no reference to the kernel kept here: its service
        // threads' states are reachable from it, and would pin the memory for as long as it is.
        Thread owner = Thread.ofPlatform().start(() -> {
            try {
                Kernel kernel = boot();
                Thread caller = Thread.ofPlatform().start(() -> {
                    kernel.attach();
                    Ke.KeEnterGuardedRegion();
                    Ke.KeLeaveGuardedRegion();
                    kthread.set(Ke.KeGetCurrentThread());
                    called.countDown();
                    try {
                        closed.await();
                        // the state is still this thread's: its KTHREAD is mapped, and its next call says closed
                        afterClose.set(kthread.get().scope().isAlive());
                        Ke.KeEnterGuardedRegion();
                        afterClose.set("returned");
                    } catch (Throwable t) {
                        afterClose.compareAndSet(Boolean.TRUE, t);
                    }
                });
                called.await();
                kernel.close();
                assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
                closed.countDown();
                caller.join(TimeUnit.SECONDS.toMillis(30));
            } catch (Throwable t) {
                closing.set(t);
            }
        });
        owner.join(TimeUnit.SECONDS.toMillis(60));
        assertEquals(null, closing.get());
        assertTrue(afterClose.get() instanceof IllegalStateException e && e.getMessage().contains("closed"),
                "the KTHREAD was unmapped under its live state, or the call after close did not fail: " + afterClose.get());
        MemorySegment k = kthread.get();
        assertNotNull(k);
        // Every state of the kernel is unreachable now (its threads ended; nothing here holds the kernel):
        // their Cleaners release the pins once the collector has found them.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (k.scope().isAlive() && System.nanoTime() < deadline) {
            System.gc();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // waits for the Cleaner thread; asserts nothing by itself
        }
        assertFalse(k.scope().isAlive(), "the Thread objects' pages are still mapped after every state is gone");
    }
}
