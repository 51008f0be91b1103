package dev.offkern.ddi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.ke.KGUARDED_MUTEX;
import dev.offkern.layout.ke.KWAIT_BLOCK;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.KSTART_ROUTINE;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The thread's KTHREAD is its ETHREAD: what FAST_MUTEX.Owner, KGUARDED_MUTEX.Owner and
 * KWAIT_BLOCK.Thread store is PsGetCurrentThread's address (KeGetCurrentThread's too); the wait and
 * APC-disable state lives at the KTHREAD's Windows offsets; a thread object is waitable and wakes
 * its waiters when the thread ends; a thread that ends owning a mutex keeps its ETHREAD; contention
 * on both mutexes with the owner checked inside every critical section.
 */
class KThreadTest {
    private static final int TAG = PoolTags.tag("KtTs");
    private static final long TEN_SECONDS = -100_000_000L;

    @TempDir
    Path dumps;

    private Kernel kernel;

    private void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)).attach().leakReportSink(s -> { });
    }

    @AfterEach
    void shutdown() {
        if (kernel != null && !kernel.isClosed()) {
            kernel.close();
        }
        Kernel.detach();
    }

    private static MemorySegment block(long size) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
        assertFalse(b.equals(MemorySegment.NULL));
        return b;
    }

    private static MemorySegment timeout() {
        MemorySegment t = block(8);
        t.set(JAVA_LONG, 0, TEN_SECONDS);
        return t;
    }

    /** The ETHREAD at {@code address} as a segment of the ETHREAD's size (a live Thread object of the kernel). */
    private MemorySegment ethread(long address) {
        return kernel.objects().body(address, ETHREAD.X64.size());
    }

    /** Polls {@code condition} for up to 10 s. */
    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
            Thread.sleep(1);
        }
    }

    @Test
    void shouldReturnTheEthreadAddressFromKeGetCurrentThread() {
        boot();
        MemorySegment k = Ke.KeGetCurrentThread();
        MemorySegment e = Ps.PsGetCurrentThread();
        assertEquals(e.address(), k.address(), "the KTHREAD is the ETHREAD's first member");
        assertEquals(ETHREAD.X64.field("Tcb").size(), k.byteSize());
        assertEquals(6, k.get(JAVA_BYTE, DISPATCHER_HEADER.TYPE_OFFSET), "Header.Type ThreadObject");
        assertEquals(ETHREAD.Running, k.get(JAVA_BYTE, ETHREAD.TCB_STATE_OFFSET));
        assertEquals(Ke.KeGetCurrentProcessorNumber(), k.get(JAVA_INT, ETHREAD.TCB_NEXT_PROCESSOR_OFFSET));
        assertEquals(k.address(), Ke.KeGetCurrentThread().address(), "stable across calls");
    }

    @Test
    void shouldGiveEveryThreadItsOwnEthreadAsKthread() throws Exception {
        boot();
        CompletableFuture<long[]> other = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            kernel.attach();
            other.complete(new long[] {Ke.KeGetCurrentThread().address(), Ps.PsGetCurrentThread().address(), Ps.PsGetCurrentThreadId()});
        });
        t.start();
        long[] o = other.get(10, TimeUnit.SECONDS);
        assertEquals(o[0], o[1]);
        assertNotEquals(Ke.KeGetCurrentThread().address(), o[0]);
        assertEquals(o[2], Ps.PsGetThreadId(ethread(o[0])));
    }

    @Test
    void shouldStoreTheCallersEthreadAsFastMutexOwnerWhileHeld() {
        boot();
        MemorySegment m = block(FAST_MUTEX.LAYOUT.byteSize());
        Ex.ExInitializeFastMutex(m);
        long me = Ps.PsGetCurrentThread().address();
        Ex.ExAcquireFastMutex(m);
        assertEquals(me, m.get(JAVA_LONG, FAST_MUTEX.OWNER_OFFSET), "FAST_MUTEX.Owner is PsGetCurrentThread()");
        Ex.ExReleaseFastMutex(m);
        assertEquals(0L, m.get(JAVA_LONG, FAST_MUTEX.OWNER_OFFSET));
        assertTrue(Ex.ExTryToAcquireFastMutex(m));
        assertEquals(me, m.get(JAVA_LONG, FAST_MUTEX.OWNER_OFFSET), "ExTryToAcquireFastMutex too");
        Ex.ExReleaseFastMutex(m);
        Ke.KeEnterCriticalRegion();
        Ex.ExAcquireFastMutexUnsafe(m);
        assertEquals(me, m.get(JAVA_LONG, FAST_MUTEX.OWNER_OFFSET), "ExAcquireFastMutexUnsafe too");
        Ex.ExReleaseFastMutexUnsafe(m);
        Ke.KeLeaveCriticalRegion();
        Ex.ExFreePool(m);
    }

    @Test
    void shouldStoreTheCallersEthreadAsGuardedMutexOwnerAndCountTheRegionInTheKthread() {
        boot();
        MemorySegment m = block(KGUARDED_MUTEX.LAYOUT.byteSize());
        Ke.KeInitializeGuardedMutex(m);
        MemorySegment k = Ke.KeGetCurrentThread();
        Ke.KeAcquireGuardedMutex(m);
        assertEquals(Ps.PsGetCurrentThread().address(), m.get(JAVA_LONG, KGUARDED_MUTEX.OWNER_OFFSET), "KGUARDED_MUTEX.Owner is PsGetCurrentThread()");
        assertEquals(-1, k.get(JAVA_SHORT, ETHREAD.TCB_SPECIAL_APC_DISABLE_OFFSET), "KTHREAD.SpecialApcDisable inside the guarded region");
        assertEquals(0xFFFF0000, k.get(JAVA_INT, ETHREAD.TCB_COMBINED_APC_DISABLE_OFFSET));
        Ke.KeReleaseGuardedMutex(m);
        assertEquals(0L, m.get(JAVA_LONG, KGUARDED_MUTEX.OWNER_OFFSET));
        assertEquals(0, k.get(JAVA_SHORT, ETHREAD.TCB_SPECIAL_APC_DISABLE_OFFSET));
        Ke.KeEnterCriticalRegion();
        Ke.KeEnterCriticalRegion();
        assertEquals(-2, k.get(JAVA_SHORT, ETHREAD.TCB_KERNEL_APC_DISABLE_OFFSET), "KTHREAD.KernelApcDisable counts critical regions");
        Ke.KeLeaveCriticalRegion();
        Ke.KeLeaveCriticalRegion();
        assertEquals(0, k.get(JAVA_INT, ETHREAD.TCB_COMBINED_APC_DISABLE_OFFSET));
        Ex.ExFreePool(m);
    }

    @Test
    void shouldPointTheWaitBlockAtTheWaitersEthreadAndRecordTheWaitInItsKthread() throws Exception {
        boot();
        MemorySegment event = block(KEVENT.LAYOUT.byteSize());
        Ke.KeInitializeEvent(event, Ke.NotificationEvent, false);
        CompletableFuture<Long> waiterThread = new CompletableFuture<>();
        CompletableFuture<Integer> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            kernel.attach();
            waiterThread.complete(Ps.PsGetCurrentThread().address());
            result.complete(Ke.KeWaitForSingleObject(event, Ke.Executive, Ke.KernelMode, false, MemorySegment.NULL));
        });
        t.start();
        long waiter = waiterThread.get(10, TimeUnit.SECONDS);
        long head = event.address() + DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET;
        await(() -> event.get(JAVA_LONG, DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET) != head, "the waiter's block on the event's wait list");
        long wb = event.get(JAVA_LONG, DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET) - KWAIT_BLOCK.WAIT_LIST_ENTRY_OFFSET;
        MemorySegment k = ethread(waiter);
        assertEquals(waiter + ETHREAD.TCB_WAIT_BLOCK_OFFSET, wb, "the waiter's built-in KTHREAD.WaitBlock[0]");
        MemorySegment block = kernel.addressSpace().resolve(wb, KWAIT_BLOCK.LAYOUT.byteSize());
        assertEquals(waiter, block.get(JAVA_LONG, KWAIT_BLOCK.THREAD_OFFSET), "KWAIT_BLOCK.Thread is the waiter's PsGetCurrentThread()");
        assertEquals(event.address(), block.get(JAVA_LONG, KWAIT_BLOCK.OBJECT_OFFSET));
        await(() -> k.get(JAVA_BYTE, ETHREAD.TCB_STATE_OFFSET) == ETHREAD.Waiting, "KTHREAD.State Waiting");
        assertEquals(wb, k.get(JAVA_LONG, ETHREAD.TCB_WAIT_BLOCK_LIST_OFFSET), "KTHREAD.WaitBlockList");
        assertEquals(0, k.get(JAVA_BYTE, ETHREAD.TCB_WAIT_IRQL_OFFSET), "KTHREAD.WaitIrql PASSIVE_LEVEL");
        assertEquals(Ke.KernelMode, k.get(JAVA_BYTE, ETHREAD.TCB_WAIT_MODE_OFFSET));
        Ke.KeSetEvent(event, 0, false);
        assertEquals(NtStatus.STATUS_WAIT_0, result.get(10, TimeUnit.SECONDS));
        t.join(10_000);
        Ex.ExFreePool(event);
    }

    @Test
    void shouldRecordTheStatusTheWaitEndedWithInTheKthread() {
        boot();
        MemorySegment event = block(KEVENT.LAYOUT.byteSize());
        Ke.KeInitializeEvent(event, Ke.SynchronizationEvent, false);
        MemorySegment t = block(8);
        t.set(JAVA_LONG, 0, -10_000L); // 1 ms
        assertEquals(NtStatus.STATUS_TIMEOUT, Ke.KeWaitForSingleObject(event, Ke.Executive, Ke.KernelMode, false, t));
        MemorySegment k = Ke.KeGetCurrentThread();
        assertEquals(NtStatus.STATUS_TIMEOUT, k.get(JAVA_LONG, ETHREAD.TCB_WAIT_STATUS_OFFSET), "KTHREAD.WaitStatus");
        assertEquals(ETHREAD.Running, k.get(JAVA_BYTE, ETHREAD.TCB_STATE_OFFSET));
        Ex.ExFreePool(t);
        Ex.ExFreePool(event);
    }

    @Test
    void shouldWakeEveryThreadWaitingOnASystemThreadWhenItEnds() throws Exception {
        boot();
        MemorySegment go = block(KEVENT.LAYOUT.byteSize());
        Ke.KeInitializeEvent(go, Ke.NotificationEvent, false);
        MemorySegment h = block(8);
        KSTART_ROUTINE routine = c -> Ke.KeWaitForSingleObject(go, Ke.Executive, Ke.KernelMode, false, MemorySegment.NULL);
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsCreateSystemThread(h, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, 0,
                MemorySegment.NULL, routine, MemorySegment.NULL));
        long handle = h.get(JAVA_LONG, 0);
        MemorySegment o = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObReferenceObjectByHandle(handle, 0, Ps.PsThreadType(), Ob.KernelMode, o, MemorySegment.NULL));
        MemorySegment thread = ethread(o.get(JAVA_LONG, 0));
        int waiters = 3;
        CountDownLatch started = new CountDownLatch(waiters);
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            CompletableFuture<Integer> r = new CompletableFuture<>();
            results.add(r);
            Thread w = new Thread(() -> {
                kernel.attach();
                started.countDown();
                r.complete(Ke.KeWaitForSingleObject(thread, Ke.Executive, Ke.KernelMode, false, MemorySegment.NULL));
            });
            threads.add(w);
            w.start();
        }
        assertTrue(started.await(10, TimeUnit.SECONDS));
        // the system thread itself is blocked in a wait whose block names its own ETHREAD
        await(() -> thread.get(JAVA_BYTE, ETHREAD.TCB_STATE_OFFSET) == ETHREAD.Waiting, "the system thread waiting");
        long wb = go.get(JAVA_LONG, DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET) - KWAIT_BLOCK.WAIT_LIST_ENTRY_OFFSET;
        assertEquals(thread.address(), kernel.addressSpace().resolve(wb, KWAIT_BLOCK.LAYOUT.byteSize()).get(JAVA_LONG, KWAIT_BLOCK.THREAD_OFFSET));
        Thread.sleep(20); // let the waiters reach their waits (they wake either way: the thread object stays signalled)
        Ke.KeSetEvent(go, 0, false);
        for (CompletableFuture<Integer> r : results) {
            assertEquals(NtStatus.STATUS_WAIT_0, r.get(10, TimeUnit.SECONDS), "a waiter on the thread object wakes when it ends");
        }
        for (Thread w : threads) {
            w.join(10_000);
        }
        assertEquals(ETHREAD.Terminated, thread.get(JAVA_BYTE, ETHREAD.TCB_STATE_OFFSET), "KTHREAD.State Terminated");
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsGetThreadExitStatus(thread));
        Ob.ObDereferenceObject(thread);
        assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
        for (MemorySegment b : List.of(go, h, o)) {
            Ex.ExFreePool(b);
        }
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldWakeAThreadWaitingOnAJavaThreadWhenThatThreadDies() throws Exception {
        boot();
        AtomicReference<MemorySegment> referenced = new AtomicReference<>();
        Thread t = new Thread(() -> {
            kernel.attach();
            MemorySegment me = Ps.PsGetCurrentThread();
            Ob.ObReferenceObject(me); // kept for the waiter: the ETHREAD outlives the thread
            referenced.set(me);
        });
        t.start();
        t.join(10_000);
        MemorySegment thread = referenced.get();
        CompletableFuture<Integer> result = new CompletableFuture<>();
        Thread w = new Thread(() -> {
            kernel.attach();
            MemorySegment guard = timeout();
            result.complete(Ke.KeWaitForSingleObject(thread, Ke.Executive, Ke.KernelMode, false, guard));
            Ex.ExFreePool(guard);
        });
        w.start();
        t = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!result.isDone() && System.nanoTime() < deadline) { // the dead thread's state is collected, then reaped
            System.gc();
            Thread reaper = new Thread(() -> {
                kernel.attach();
                Ps.PsGetCurrentThreadId();
            });
            reaper.start();
            reaper.join();
            Thread.sleep(10);
        }
        assertEquals(NtStatus.STATUS_WAIT_0, result.get(10, TimeUnit.SECONDS), "the dead thread's ETHREAD was signalled");
        assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsGetThreadExitStatus(thread));
        assertTrue(Ps.PsIsThreadTerminating(thread));
        assertEquals(1, kernel.objects().pointerCount(thread.address()), "only the waiter's reference is left");
        Ob.ObDereferenceObject(thread);
        w.join(10_000);
    }

    @Test
    void shouldKeepTheEthreadOfAThreadThatEndedOwningAMutex() throws Exception {
        boot();
        MemorySegment m = block(FAST_MUTEX.LAYOUT.byteSize());
        Ex.ExInitializeFastMutex(m);
        AtomicLong owner = new AtomicLong();
        Thread t = new Thread(() -> {
            kernel.attach();
            Ke.KeEnterCriticalRegion();
            Ex.ExAcquireFastMutexUnsafe(m); // and never released: the thread dies owning it
            owner.set(Ps.PsGetCurrentThread().address());
        });
        t.start();
        t.join(10_000);
        t = null;
        long dead = owner.get();
        assertEquals(dead, m.get(JAVA_LONG, FAST_MUTEX.OWNER_OFFSET));
        MemorySegment thread = ethread(dead);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Ps.PsIsThreadTerminating(thread) && System.nanoTime() < deadline) {
            System.gc();
            Thread reaper = new Thread(() -> {
                kernel.attach();
                Ps.PsGetCurrentThreadId();
            });
            reaper.start();
            reaper.join();
            Thread.sleep(10);
        }
        assertTrue(Ps.PsIsThreadTerminating(thread), "the dead thread was terminated");
        for (int i = 0; i < 3; i++) { // more collections and reaps: the reference is still not dropped
            System.gc();
            Thread reaper = new Thread(() -> {
                kernel.attach();
                Ps.PsGetCurrentThreadId();
            });
            reaper.start();
            reaper.join();
        }
        assertEquals(1, kernel.objects().pointerCount(dead), "the KTHREAD that Owner names stays referenced");
        assertEquals(6, thread.get(JAVA_BYTE, DISPATCHER_HEADER.TYPE_OFFSET), "still a thread object, never reused");
        Ex.ExFreePool(m);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), "the abandoned ETHREAD is the kernel's, not a leak: " + kernel.leakReport());
    }

    @Test
    void shouldKeepOwnerEqualToTheHoldersEthreadUnderContention() throws Exception {
        boot();
        MemorySegment fast = block(FAST_MUTEX.LAYOUT.byteSize());
        MemorySegment guarded = block(KGUARDED_MUTEX.LAYOUT.byteSize());
        Ex.ExInitializeFastMutex(fast);
        Ke.KeInitializeGuardedMutex(guarded);
        int threads = 4;
        int rounds = 20_000 * Integer.getInteger("offkern.stress.scale", 1);
        long[] counter = new long[2]; // plain: the mutexes are the only protection
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> all = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                kernel.attach();
                long me = Ps.PsGetCurrentThread().address();
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int r = 0; r < rounds && failure.get() == null; r++) {
                    boolean useFast = (r & 1) == 0;
                    MemorySegment m = useFast ? fast : guarded;
                    if (useFast) {
                        Ex.ExAcquireFastMutex(m);
                    } else {
                        Ke.KeAcquireGuardedMutex(m);
                    }
                    long owner = m.get(JAVA_LONG, FAST_MUTEX.OWNER_OFFSET);
                    if (owner != me) {
                        failure.compareAndSet(null, "Owner 0x" + Long.toHexString(owner) + " while 0x" + Long.toHexString(me) + " holds it");
                    }
                    int slot = useFast ? 0 : 1;
                    long v = counter[slot];
                    Thread.onSpinWait();
                    counter[slot] = v + 1;
                    if (useFast) {
                        Ex.ExReleaseFastMutex(m);
                    } else {
                        Ke.KeReleaseGuardedMutex(m);
                    }
                }
                if (dev.offkern.runtime.ke.ThreadState.current().ownedMutexes() != 0) {
                    failure.compareAndSet(null, "a thread still counts mutexes after releasing every one");
                }
            });
            all.add(t);
            t.start();
        }
        start.countDown();
        for (Thread t : all) {
            t.join(120_000);
            assertFalse(t.isAlive(), "a contender hung");
        }
        assertEquals(null, failure.get());
        assertEquals((long) threads * rounds / 2, counter[0], "every fast-mutex increment kept");
        assertEquals((long) threads * rounds / 2, counter[1], "every guarded-mutex increment kept");
        for (MemorySegment m : List.of(fast, guarded)) {
            assertEquals(0L, m.get(JAVA_LONG, FAST_MUTEX.OWNER_OFFSET), "free at the end");
            assertEquals(1, m.get(JAVA_INT, FAST_MUTEX.COUNT_OFFSET), "Count FM_LOCK_BIT: free, no waiter registered");
            Ex.ExFreePool(m);
        }
    }
}
