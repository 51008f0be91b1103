package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.ExAcquireRundownProtection;
import static dev.offkern.ddi.Ex.ExAcquireRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExInitializeRundownProtection;
import static dev.offkern.ddi.Ex.ExInitializeRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExSizeOfRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExWaitForRundownProtectionRelease;
import static dev.offkern.ddi.Ex.ExWaitForRundownProtectionReleaseCacheAware;
import static dev.offkern.ddi.Ke.KeBugCheckEx;
import static dev.offkern.ddi.Rtl.RtlRunOnceBeginInitialize;
import static dev.offkern.ddi.Rtl.RtlRunOnceInitialize;
import static dev.offkern.nt.NtStatus.STATUS_PENDING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.layout.rtl.RTL_RUN_ONCE;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executive's own waits — ExWaitForRundownProtectionRelease (plain and cache-aware) and a
 * second RtlRunOnceBeginInitialize meeting an initialization in progress — end when their kernel
 * closes (IllegalStateException "this offkern kernel is closed ...") or a bug check halts it
 * (KernelHaltedException), as dispatcher waits do: they are dispatcher waits on the waiting
 * thread's wake block.
 */
class ExecutiveWaitShutdownTest {
    private static final long JOIN_SECONDS = 20;
    private static final long WAKE_EVENT_IN_BLOCK = OFFKERN_THREAD_BLOCK.WAKE_EVENT_OFFSET - OFFKERN_THREAD_BLOCK.WAKE_BLOCK_OFFSET;

    @TempDir
    Path dumps;
    private final Arena arena = Arena.ofShared();
    private final List<Kernel> kernels = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    @AfterEach
    void cleanUp() throws InterruptedException {
        Kernel.detach();
        for (Kernel k : kernels) {
            k.close();
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(JOIN_SECONDS));
        }
        arena.close();
    }

    private Kernel boot(BugCheckPolicy policy) {
        Kernel k = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)
                .withBugCheckPolicy(policy)).leakReportSink(s -> { });
        kernels.add(k);
        k.attach();
        return k;
    }

    /** Runs {@code wait} on a new thread attached to {@code k}; completes with what it returned or threw. */
    private CompletableFuture<Object> waiter(Kernel k, String name, Runnable wait) {
        CompletableFuture<Object> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                k.attach();
                wait.run();
                result.complete("returned");
            } catch (Throwable x) {
                result.complete(x);
            } finally {
                Kernel.detach();
            }
        }, name);
        t.setDaemon(true); // a failing (hanging) test must not keep the JVM alive
        threads.add(t);
        t.start();
        return result;
    }

    private static Object outcome(CompletableFuture<Object> f) throws Exception {
        return f.get(JOIN_SECONDS, TimeUnit.SECONDS); // a TimeoutException here means the waiter hung
    }

    private static void assertClosedException(Object outcome) {
        IllegalStateException e = assertInstanceOf(IllegalStateException.class, outcome, String.valueOf(outcome));
        assertTrue(e.getMessage().startsWith("this offkern kernel is closed"), e.getMessage());
    }

    /**
     * Waits until the word read by {@code word} points (with its state bits {@code stateMask}) at a
     * wake block whose event has a waiter linked: the waiting thread is inside its dispatcher wait.
     */
    private static void awaitBlocked(Kernel k, LongSupplier word, long stateMask) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_SECONDS);
        while (System.nanoTime() < deadline) {
            long w = word.getAsLong();
            long block = w & ~stateMask;
            if ((w & stateMask) != 0 && block != 0) {
                long event = block + WAKE_EVENT_IN_BLOCK;
                Region r = k.addressSpace().find(event, DISPATCHER_HEADER.LAYOUT.byteSize());
                if (r != null) {
                    long head = r.offsetOf(event) + DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET;
                    if (r.segment().get(ValueLayout.JAVA_LONG, head) != event + DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET) {
                        return; // a wait block is linked on the wake event
                    }
                }
            }
            Thread.sleep(1);
        }
        throw new AssertionError("the waiter never blocked on its wake event (word 0x" + Long.toHexString(word.getAsLong()) + ")");
    }

    /** A rundown reference (in caller memory) with one holder and a thread blocked in its run-down. */
    private CompletableFuture<Object> blockedInRundown(Kernel k) throws InterruptedException {
        MemorySegment runRef = arena.allocate(8, 8);
        ExInitializeRundownProtection(runRef);
        assertTrue(ExAcquireRundownProtection(runRef));
        CompletableFuture<Object> f = waiter(k, "rundown-waiter", () -> ExWaitForRundownProtectionRelease(runRef));
        awaitBlocked(k, () -> runRef.get(ValueLayout.JAVA_LONG, 0), ExRundown.EX_RUNDOWN_ACTIVE);
        return f;
    }

    /** A cache-aware rundown reference with one holder and a thread blocked in its run-down. */
    private CompletableFuture<Object> blockedInCacheAwareRundown(Kernel k) throws InterruptedException {
        long size = ExSizeOfRundownProtectionCacheAware();
        MemorySegment rr = arena.allocate(size, 8);
        ExInitializeRundownProtectionCacheAware(rr, size);
        assertTrue(ExAcquireRundownProtectionCacheAware(rr));
        CompletableFuture<Object> f = waiter(k, "cache-aware-rundown-waiter", () -> ExWaitForRundownProtectionReleaseCacheAware(rr));
        awaitBlocked(k, () -> ExRundownCacheAware.stripeWord(rr, 0), ExRundown.EX_RUNDOWN_ACTIVE);
        return f;
    }

    /** An RTL_RUN_ONCE whose initialization this thread began, and a second caller blocked on it. */
    private CompletableFuture<Object> blockedInRunOnce(Kernel k) throws InterruptedException {
        MemorySegment runOnce = arena.allocate(8, 8);
        RtlRunOnceInitialize(runOnce);
        assertEquals(STATUS_PENDING, RtlRunOnceBeginInitialize(runOnce, 0, MemorySegment.NULL));
        CompletableFuture<Object> f = waiter(k, "run-once-waiter",
                () -> RtlRunOnceBeginInitialize(runOnce, 0, MemorySegment.NULL));
        awaitBlocked(k, () -> runOnce.get(ValueLayout.JAVA_LONG, 0), RTL_RUN_ONCE.STATE_MASK);
        return f;
    }

    @Test
    void shouldWakeAThreadBlockedInExWaitForRundownProtectionReleaseWithIllegalStateExceptionWhenTheKernelCloses() throws Exception {
        Kernel k = boot(BugCheckPolicy.THROW);
        CompletableFuture<Object> f = blockedInRundown(k);
        k.close();
        assertClosedException(outcome(f));
    }

    @Test
    void shouldWakeAThreadBlockedInTheCacheAwareRundownWaitWithIllegalStateExceptionWhenTheKernelCloses() throws Exception {
        Kernel k = boot(BugCheckPolicy.THROW);
        CompletableFuture<Object> f = blockedInCacheAwareRundown(k);
        k.close();
        assertClosedException(outcome(f));
    }

    @Test
    void shouldWakeAThreadBlockedInASecondRtlRunOnceBeginInitializeWithIllegalStateExceptionWhenTheKernelCloses() throws Exception {
        Kernel k = boot(BugCheckPolicy.THROW);
        CompletableFuture<Object> f = blockedInRunOnce(k);
        k.close();
        assertClosedException(outcome(f));
    }

    @Test
    void shouldEndEveryExecutiveWaitAtOnceWhenTheKernelCloses() throws Exception {
        Kernel k = boot(BugCheckPolicy.THROW);
        CompletableFuture<Object> rundown = blockedInRundown(k);
        CompletableFuture<Object> cacheAware = blockedInCacheAwareRundown(k);
        CompletableFuture<Object> runOnce = blockedInRunOnce(k);
        k.close();
        assertClosedException(outcome(rundown));
        assertClosedException(outcome(cacheAware));
        assertClosedException(outcome(runOnce));
    }

    @Test
    void shouldWakeEveryExecutiveWaitWithKernelHaltedExceptionWhenABugCheckHaltsTheKernel() throws Exception {
        Kernel k = boot(BugCheckPolicy.HALT);
        CompletableFuture<Object> rundown = blockedInRundown(k);
        CompletableFuture<Object> cacheAware = blockedInCacheAwareRundown(k);
        CompletableFuture<Object> runOnce = blockedInRunOnce(k);
        KernelHaltedException mine = assertThrows(KernelHaltedException.class, () -> KeBugCheckEx(0xE2, 9, 0, 0, 0));
        for (CompletableFuture<Object> f : List.of(rundown, cacheAware, runOnce)) {
            KernelHaltedException theirs = assertInstanceOf(KernelHaltedException.class, outcome(f));
            assertEquals(0xE2, theirs.code());
            assertEquals(9, theirs.parameters()[0]);
            assertNotNull(theirs.dumpFile(), "woken after the dump was written: the exception names it");
            assertEquals(mine.dumpFile(), theirs.dumpFile());
        }
    }
}
