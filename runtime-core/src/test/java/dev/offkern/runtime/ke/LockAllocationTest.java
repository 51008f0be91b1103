package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ex.*;
import static dev.offkern.ddi.Ke.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock, event and wait hot paths allocate nothing on the Java heap once compiled (measured on
 * the calling thread with ThreadMXBean, verifier on).
 */
class LockAllocationTest {
    private static final int WARMUP = 200_000;
    private static final int MEASURED = 500_000;

    @TempDir
    Path dumps;
    Kernel kernel;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)).leakReportSink(s -> { });
    }

    @AfterEach
    void close() {
        ThreadState.current().setIrql(Irql.PASSIVE_LEVEL);
        kernel.close();
    }

    private MemorySegment block(Kernel k, long size) {
        return k.nonPagedPool().allocate(size, 16);
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    private static void assertAllocationFree(String what, Runnable op) {
        for (int i = 0; i < WARMUP; i++) {
            op.run();
        }
        long before = allocated();
        for (int i = 0; i < MEASURED; i++) {
            op.run();
        }
        long bytes = allocated() - before;
        assertTrue(bytes < 4096, what + " allocated " + bytes + " bytes over " + MEASURED + " operations");
    }

    @Test
    void shouldAcquireAndReleaseEveryLockWithoutAllocating() {
        MemorySegment spin = block(kernel, 8);
        MemorySegment queued = block(kernel, 8);
        MemorySegment handle = block(kernel, 0x18);
        MemorySegment fast = block(kernel, 0x38);
        MemorySegment guarded = block(kernel, 0x38);
        ExInitializeFastMutex(fast);
        KeInitializeGuardedMutex(guarded);
        assertAllocationFree("KeAcquireSpinLock/KeReleaseSpinLock", () -> KeReleaseSpinLock(spin, KeAcquireSpinLock(spin)));
        assertAllocationFree("in-stack queued spin lock", () -> {
            KeAcquireInStackQueuedSpinLock(queued, handle);
            KeReleaseInStackQueuedSpinLock(handle);
        });
        assertAllocationFree("fast mutex", () -> {
            ExAcquireFastMutex(fast);
            ExReleaseFastMutex(fast);
        });
        assertAllocationFree("guarded mutex", () -> {
            KeAcquireGuardedMutex(guarded);
            KeReleaseGuardedMutex(guarded);
        });
    }

    @Test
    void shouldSetAndSatisfyEventsAndSemaphoresWithoutAllocating() {
        MemorySegment ev = block(kernel, 0x18);
        MemorySegment sem = block(kernel, 0x20);
        MemorySegment poll = block(kernel, 8);
        KeInitializeEvent(ev, SynchronizationEvent, false);
        KeInitializeSemaphore(sem, 0, 10);
        assertAllocationFree("KeSetEvent + satisfied KeWaitForSingleObject", () -> {
            KeSetEvent(ev, 0, false);
            KeWaitForSingleObject(ev, Executive, KernelMode, false, poll);
        });
        assertAllocationFree("KeReleaseSemaphore + satisfied wait", () -> {
            KeReleaseSemaphore(sem, 0, 1, false);
            KeWaitForSingleObject(sem, Executive, KernelMode, false, poll);
        });
    }
}
