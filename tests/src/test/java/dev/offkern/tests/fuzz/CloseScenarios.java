package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Rtl;
import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.layout.ke.KGUARDED_MUTEX;
import dev.offkern.layout.ke.KLOCK_QUEUE_HANDLE;
import dev.offkern.nt.PoolFlags;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The end of an epoch: a thread blocked for ever in a routine (a wait with no timeout, a run-down
 * wait with a holder, a second synchronous run-once begin, an acquire of a lock the closing
 * thread holds) while the kernel is closed. The blocked call must end promptly by throwing an
 * exception that says the kernel was closed (issue 8 case 2); the fuzzer's watchdog fails the run
 * if it does not end.
 */
final class CloseScenarios {
    private CloseScenarios() {
    }

    /** The blocking call the victim thread makes. */
    interface Victim {
        void block() throws Throwable;
    }

    /** Prepares, on the closing thread (attached to the kernel), the state the victim blocks on. */
    interface Prepare {
        Victim prepare() throws Throwable;
    }

    record Scenario(String name, Prepare prepare) {
    }

    static final List<String> ROUTINES = List.of("KeWaitForSingleObject", "KeWaitForMultipleObjects",
            "KeDelayExecutionThread", "ExWaitForRundownProtectionRelease", "ExWaitForRundownProtectionReleaseCacheAware",
            "RtlRunOnceBeginInitialize", "ExAcquireFastMutex", "KeAcquireGuardedMutex", "KeAcquireSpinLock",
            "KeAcquireInStackQueuedSpinLock");

    static MemorySegment block(long size) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, World.TAG);
        if (b.equals(MemorySegment.NULL)) {
            throw new FuzzInvariantException("close scenario: the pool refused " + size + " bytes");
        }
        return b;
    }

    static final List<Scenario> ALL = List.of(
            new Scenario("close.waitSingle", () -> {
                MemorySegment e = block(DispatcherOps.EVENT);
                Ke.KeInitializeEvent(e, Ke.SynchronizationEvent, false);
                return () -> Ke.KeWaitForSingleObject(e, Ke.Executive, Ke.KernelMode, false, MemorySegment.NULL);
            }),
            new Scenario("close.waitMultiple", () -> {
                MemorySegment e1 = block(DispatcherOps.EVENT);
                MemorySegment e2 = block(DispatcherOps.EVENT);
                Ke.KeInitializeEvent(e1, Ke.NotificationEvent, true);
                Ke.KeInitializeEvent(e2, Ke.NotificationEvent, false);
                MemorySegment array = block(16);
                array.set(JAVA_LONG, 0, e1.address());
                array.set(JAVA_LONG, 8, e2.address());
                return () -> Ke.KeWaitForMultipleObjects(2, array, Ke.WaitAll, Ke.Executive, Ke.KernelMode, false,
                        MemorySegment.NULL, MemorySegment.NULL);
            }),
            new Scenario("close.delay", () -> {
                MemorySegment t = block(8);
                t.set(JAVA_LONG, 0, -300_000_000L); // 30 s
                return () -> Ke.KeDelayExecutionThread(Ke.KernelMode, false, t);
            }),
            new Scenario("close.rundownWait", () -> {
                MemorySegment r = block(8);
                Ex.ExInitializeRundownProtection(r);
                Ex.ExAcquireRundownProtection(r);
                return () -> Ex.ExWaitForRundownProtectionRelease(r);
            }),
            new Scenario("close.rundownWaitCacheAware", () -> {
                long size = Ex.ExSizeOfRundownProtectionCacheAware();
                MemorySegment r = block(size);
                Ex.ExInitializeRundownProtectionCacheAware(r, size);
                Ex.ExAcquireRundownProtectionCacheAware(r);
                return () -> Ex.ExWaitForRundownProtectionReleaseCacheAware(r);
            }),
            new Scenario("close.runOnceSecondBegin", () -> {
                MemorySegment ro = block(8);
                Rtl.RtlRunOnceInitialize(ro);
                Rtl.RtlRunOnceBeginInitialize(ro, 0, MemorySegment.NULL); // STATUS_PENDING: this thread initializes
                return () -> Rtl.RtlRunOnceBeginInitialize(ro, 0, MemorySegment.NULL);
            }),
            new Scenario("close.fastMutex", () -> {
                MemorySegment m = block(FAST_MUTEX.X64.size());
                Ex.ExInitializeFastMutex(m);
                Ex.ExAcquireFastMutex(m);
                return () -> Ex.ExAcquireFastMutex(m);
            }),
            new Scenario("close.guardedMutex", () -> {
                MemorySegment m = block(KGUARDED_MUTEX.X64.size());
                Ke.KeInitializeGuardedMutex(m);
                Ke.KeAcquireGuardedMutex(m);
                return () -> Ke.KeAcquireGuardedMutex(m);
            }),
            new Scenario("close.spinLock", () -> {
                MemorySegment l = block(8);
                Ke.KeInitializeSpinLock(l);
                Ke.KeAcquireSpinLock(l);
                return () -> Ke.KeAcquireSpinLock(l);
            }),
            new Scenario("close.queuedSpinLock", () -> {
                MemorySegment l = block(8);
                MemorySegment h1 = block(KLOCK_QUEUE_HANDLE.X64.size());
                MemorySegment h2 = block(KLOCK_QUEUE_HANDLE.X64.size());
                Ke.KeInitializeSpinLock(l);
                Ke.KeAcquireInStackQueuedSpinLock(l, h1);
                return () -> Ke.KeAcquireInStackQueuedSpinLock(l, h2);
            }));
}
