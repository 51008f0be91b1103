package dev.offkern.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Booting and closing kernels in a loop does not grow the heap: once closed and dropped by the
 * embedder, a kernel — its pools' chunk tables, processors, thread states, callback lists — is
 * garbage. Checked with weak references and explicit collections, never with timing: a kernel that
 * something static still reaches (a Cleaner action holding its processors, a registry) stays
 * reachable however long the test waits.
 */
class KernelLifecycleTest {
    private static final int KERNELS = 12;
    private static final int TAG = PoolTags.tag("Life");

    @TempDir
    Path dumps;

    /** Uses {@code k} the way an embedder does: pool, events, a wait satisfied by another thread, a delay. */
    private static void use(Kernel k) throws InterruptedException {
        k.attach();
        try {
            MemorySegment block = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 256, TAG);
            MemorySegment paged = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_PAGED, 5000, TAG);
            MemorySegment event = block.asSlice(0, 0x18);
            Ke.KeInitializeEvent(event, Ke.SynchronizationEvent, false);
            AtomicReference<Object> waited = new AtomicReference<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    k.attach();
                    waited.set(Ke.KeWaitForSingleObject(event, Ke.Executive, Ke.KernelMode, false, MemorySegment.NULL));
                } catch (Throwable t) {
                    waited.set(t);
                } finally {
                    Kernel.detach();
                }
            });
            Ke.KeSetEvent(event, Ke.EVENT_INCREMENT, false);
            waiter.join(TimeUnit.SECONDS.toMillis(20));
            assertFalse(waiter.isAlive(), "the waiter hung");
            MemorySegment interval = block.asSlice(0x20, 8);
            interval.set(ValueLayout.JAVA_LONG, 0, -10_000L);
            assertEquals(NtStatus.STATUS_SUCCESS, Ke.KeDelayExecutionThread(Ke.KernelMode, false, interval));
            Ex.ExFreePoolWithTag(paged, TAG);
            Ex.ExFreePoolWithTag(block, TAG);
        } finally {
            Kernel.detach();
        }
    }

    @Test
    void shouldLetEveryClosedKernelBeCollected() throws Exception {
        List<WeakReference<Kernel>> closed = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // A thread of its own, which then ends: what its thread-locals still hold is not the question.
        Thread loop = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < KERNELS; i++) {
                    Kernel k = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps))
                            .leakReportSink(s -> { });
                    use(k);
                    k.close();
                    closed.add(new WeakReference<>(k));
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        loop.join();
        if (failure.get() != null) {
            throw new AssertionError("using the kernels failed", failure.get());
        }
        for (int round = 0; round < 40 && reachable(closed) > 0; round++) {
            System.gc();
            Thread.sleep(25); // lets the reference handler and Cleaner threads run (no assertion depends on it)
        }
        assertEquals(0, reachable(closed), "closed kernels still reachable after " + KERNELS
                + " boot/close cycles and repeated collections: something static holds them");
    }

    private static int reachable(List<WeakReference<Kernel>> refs) {
        int n = 0;
        for (WeakReference<Kernel> r : refs) {
            if (r.get() != null) {
                n++;
            }
        }
        return n;
    }
}
