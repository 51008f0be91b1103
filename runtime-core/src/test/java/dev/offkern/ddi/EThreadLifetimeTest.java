package dev.offkern.ddi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.nt.KSTART_ROUTINE;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lifetime of the ETHREADs the kernel makes for the threads that call in (each thread's KTHREAD):
 * made on a thread's first call, freed when the last reference goes, never freed while referenced.
 *
 * <p>The regression behind it (the DDI fuzzer's ethread-reap, ethread-free-batch and
 * ethread-partner-first-call findings): Thread objects came from the general nonpaged pool, in the
 * same size class as callers' blocks, and a new one is made on every thread's first call. A caller
 * that freed one of its blocks and later passed the stale pointer to ExFreePool (a double free, which
 * the pool refuses with 0xC2/0x7 while the block is still free) freed a live ETHREAD once the pool had
 * reused that block for a new thread: the thread went on running on freed memory (its writes landed in
 * free-list links: ThreadCache.push's index exception), and the reap of its end found the object gone
 * (0x18, or 0xC2/0xA when the block had been reused again) on some other thread's first call (a
 * partner thread that then never signalled its caller). Thread objects now come from segregated pool
 * memory that no caller block ever shares, so such a stale pointer can only name a caller's block.
 */
class EThreadLifetimeTest {
    private static final int TAG = PoolTags.tag("EtLt");
    /** Bytes of a Thread object's pool block request: the OBJECT_HEADER, then the ETHREAD and offkern's block. */
    private static final long THREAD_OBJECT_BYTES = ObjectManager.HEADER_SIZE + OFFKERN_THREAD_BLOCK.THREAD_OBJECT_BODY_SIZE;

    @TempDir
    Path dumps;

    private Kernel kernel;

    private void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)
                .withBugCheckPolicy(BugCheckPolicy.THROW)).attach();
        Ps.PsGetCurrentThread(); // the test thread's own ETHREAD, before any baseline is taken
    }

    @AfterEach
    void shutdown() {
        if (kernel != null && !kernel.isClosed()) {
            kernel.close();
        }
        Kernel.detach();
    }

    /** Starts a thread that attaches to the kernel and runs {@code body}; its failure (if any) goes to {@code failures}. */
    private Thread start(String name, ConcurrentLinkedQueue<Throwable> failures, Runnable body) {
        Thread t = Thread.ofPlatform().name(name).daemon().unstarted(() -> {
            try {
                kernel.attach();
                body.run();
            } catch (Throwable e) {
                failures.add(e);
            } finally {
                Kernel.detach();
            }
        });
        t.start();
        return t;
    }

    /**
     * Collects and reaps ended threads (their states' Cleaner actions queue them; a Ps lookup reaps)
     * until no thread the test started is live, or 60 s pass (then fails). Not a timing assertion:
     * a liveness bound on the GC.
     */
    private void reapUntilLiveThreads(int expected) throws InterruptedException {
        MemorySegment out = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, TAG);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (kernel.processes().liveThreadCount() != expected) {
                if (System.nanoTime() > deadline) {
                    fail(kernel.processes().liveThreadCount() + " threads still live, not " + expected);
                }
                System.gc();
                Thread.sleep(10);
                Ps.PsLookupThreadByThreadId(1, out); // reaps; id 1 names nothing
            }
        } finally {
            Ex.ExFreePool(out);
        }
    }

    @Test
    void shouldNeverMakeAThreadObjectFromABlockACallerFreed() throws Exception {
        boot();
        int baseline = kernel.processes().liveThreadCount();
        // Blocks of exactly a Thread object's size, freed: enough that whole batches reach the pool's shared
        // free lists, where the next thread's first call would take its ETHREAD from if they shared a class.
        List<Long> freed = new ArrayList<>();
        for (int i = 0; i < 96; i++) {
            MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, THREAD_OBJECT_BYTES, TAG);
            assertFalse(b.equals(MemorySegment.NULL));
            freed.add(b.address());
        }
        for (long a : freed) {
            Ex.ExFreePoolWithTag(MemorySegment.ofAddress(a), TAG);
        }
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLongArray headers = new AtomicLongArray(24);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < headers.length(); i++) {
            int slot = i;
            threads.add(start("first-call-" + i, failures,
                    () -> headers.set(slot, Ps.PsGetCurrentThread().address() - ObjectManager.HEADER_SIZE)));
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertTrue(failures.isEmpty(), () -> "first calls failed: " + failures);
        Set<Long> freedSet = new HashSet<>(freed);
        for (int i = 0; i < headers.length(); i++) {
            long h = headers.get(i);
            assertTrue(h > 0);
            assertFalse(freedSet.contains(h), "thread " + i + "'s Thread object is a block the caller freed: 0x" + Long.toHexString(h));
        }
        // So a stale pointer to one of those blocks names a free block: the double free is refused, and no
        // ETHREAD is touched.
        for (int i = 0; i < 8; i++) {
            long stale = freed.get(i);
            BugCheck bc = assertThrows(BugCheck.class, () -> Ex.ExFreePool(MemorySegment.ofAddress(stale)));
            assertEquals(BugCheckCode.BAD_POOL_CALLER, bc.code());
            assertEquals(0x07, bc.parameter1(), "already freed");
        }
        reapUntilLiveThreads(baseline); // every ended thread's ETHREAD terminated and freed without a bug check
    }

    /**
     * Threads that call in and end, detach and re-attach (a new state and ETHREAD for the same Java
     * thread), look each other up by id, end owning a fast mutex (the ETHREAD stays) or waiting with a
     * timeout, create system threads, while one thread frees blocks of a Thread object's size and then
     * frees the stale pointers again. Invariants: no call but the stale frees fails; every stale free is
     * refused; no ETHREAD is freed while referenced (a reap that found one freed would bug-check on some
     * thread's first call); afterwards the live threads are back to the baseline, an abandoned mutex's
     * Owner is a live Thread object holding exactly its state's reference, and at close nothing leaked.
     */
    @Test
    void shouldKeepEveryThreadObjectAliveWhileReferencedUnderChurnStaleFreesAndReattach() throws Exception {
        boot();
        kernel.leakReportSink(s -> { });
        int baseline = kernel.processes().liveThreadCount();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> recentIds = new ConcurrentLinkedQueue<>();
        List<MemorySegment> abandoned = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong refusedStaleFrees = new AtomicLong();
        MemorySegment event = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, KEVENT.LAYOUT.byteSize(), TAG);
        Ke.KeInitializeEvent(event, Ke.NotificationEvent, false);
        Thread hostile = start("stale-frees", failures, () -> {
            SplittableRandom r = new SplittableRandom(1);
            for (int round = 0; round < 60 && !stop.get(); round++) {
                // Blocks of a Thread object's size, all freed (whole batches reach the shared free lists, where
                // the churn threads' first calls refill from), then stale frees of some of them: each must be
                // refused as a double free, since only this thread ever allocates blocks of that size.
                List<Long> graveyard = new ArrayList<>();
                for (int i = 0; i < 48; i++) {
                    MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, THREAD_OBJECT_BYTES, TAG);
                    if (!b.equals(MemorySegment.NULL)) {
                        graveyard.add(b.address());
                    }
                }
                for (long a : graveyard) {
                    Ex.ExFreePoolWithTag(MemorySegment.ofAddress(a), TAG);
                }
                try {
                    Thread.sleep(1); // lets churn threads make their first calls meanwhile (no timing is asserted)
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 8 && !graveyard.isEmpty(); i++) {
                    long stale = graveyard.get(r.nextInt(graveyard.size()));
                    try {
                        Ex.ExFreePool(MemorySegment.ofAddress(stale));
                        failures.add(new AssertionError("a stale ExFreePool of 0x" + Long.toHexString(stale) + " freed a live block"));
                    } catch (BugCheck bc) {
                        if (bc.code() != BugCheckCode.BAD_POOL_CALLER || bc.parameter1() != 0x07) {
                            throw bc;
                        }
                        refusedStaleFrees.incrementAndGet();
                    }
                }
            }
        });
        KSTART_ROUTINE returns = ctx -> Ps.PsGetCurrentThreadId();
        int rounds = 150;
        for (int round = 0; round < rounds; round++) {
            List<Thread> batch = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int kind = (round + i) % 5;
                batch.add(start("churn-" + round + "-" + i, failures, () -> churn(kind, recentIds, abandoned, event, returns)));
            }
            for (Thread t : batch) {
                t.join(TimeUnit.SECONDS.toMillis(30));
                assertFalse(t.isAlive(), "a churn thread is stuck");
            }
            if (round % 25 == 24) {
                System.gc(); // lets the Cleaner queue ended threads, so that the next first calls reap while others run
            }
        }
        stop.set(true);
        hostile.join(TimeUnit.SECONDS.toMillis(30));
        assertTrue(failures.isEmpty(), () -> "unexpected failures: " + failures);
        assertTrue(refusedStaleFrees.get() > 0, "the stale frees ran");
        reapUntilLiveThreads(baseline);
        for (MemorySegment m : abandoned) {
            long owner = m.get(ValueLayout.JAVA_LONG, FAST_MUTEX.OWNER_OFFSET);
            assertEquals(kernel.objects().threadType(), kernel.objects().objectType(owner), "an abandoned mutex's Owner is a live Thread object");
            assertEquals(1, kernel.objects().pointerCount(owner), "held by its ended thread's state alone");
        }
        Ex.ExFreePool(event);
        for (MemorySegment m : abandoned) {
            Ex.ExFreePool(m);
        }
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), () -> "leaked: " + kernel.leakReport());
    }

    /** One churn thread's life: {@code kind} says what it does besides its first call. */
    private static void churn(int kind, ConcurrentLinkedQueue<Long> recentIds, List<MemorySegment> abandoned, MemorySegment event,
                              KSTART_ROUTINE returns) {
        long me = Ps.PsGetCurrentThreadId();
        recentIds.add(me);
        while (recentIds.size() > 32) {
            recentIds.poll();
        }
        MemorySegment out = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 16, TAG);
        for (Long id : recentIds.toArray(new Long[0])) { // some ended already (STATUS_INVALID_CID), some run
            if (Ps.PsLookupThreadByThreadId(id, out) == NtStatus.STATUS_SUCCESS) {
                MemorySegment t = MemorySegment.ofAddress(out.get(ValueLayout.JAVA_LONG, 0));
                assertEquals((long) id, Ps.PsGetThreadId(t));
                Ob.ObDereferenceObject(t);
            }
        }
        switch (kind) {
            case 0 -> { // ends owning a fast mutex: its ETHREAD must stay (the mutex's Owner names it)
                MemorySegment m = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, FAST_MUTEX.LAYOUT.byteSize(), TAG);
                Ex.ExInitializeFastMutex(m);
                Ex.ExAcquireFastMutex(m);
                Ke.KeLowerIrql(0); // the thread ends at PASSIVE_LEVEL, still the owner
                abandoned.add(m);
            }
            case 1 -> { // a new kernel state (and ETHREAD) for the same Java thread, twice
                Kernel k = Kernel.current();
                for (int i = 0; i < 2; i++) {
                    Kernel.detach();
                    k.attach();
                    Ps.PsGetCurrentThread();
                }
            }
            case 2 -> { // a wait that times out: its wait block was linked into the event's list
                MemorySegment timeout = out.asSlice(8, 8);
                timeout.set(ValueLayout.JAVA_LONG, 0, -10_000L); // 1 ms
                assertEquals(NtStatus.STATUS_TIMEOUT, Ke.KeWaitForSingleObject(event, Ke.Executive, Ke.KernelMode, false, timeout));
            }
            case 3 -> { // a system thread, waited for through its handle, then closed
                MemorySegment h = out.asSlice(0, 8);
                assertEquals(NtStatus.STATUS_SUCCESS, Ps.PsCreateSystemThread(h, AccessMask.THREAD_ALL_ACCESS, MemorySegment.NULL, 0,
                        MemorySegment.NULL, returns, MemorySegment.NULL));
                long handle = h.get(ValueLayout.JAVA_LONG, 0);
                MemorySegment timeout = out.asSlice(8, 8);
                timeout.set(ValueLayout.JAVA_LONG, 0, -300_000_000L); // 30 s: a liveness bound
                assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwWaitForSingleObject(handle, false, timeout));
                assertEquals(NtStatus.STATUS_SUCCESS, Zw.ZwClose(handle));
            }
            default -> { // reference its own ETHREAD past a detach: the reference keeps it after the state goes
                MemorySegment self = Ps.PsGetCurrentThread();
                Ob.ObReferenceObject(self);
                Kernel k = Kernel.current();
                Kernel.detach();
                k.attach();
                assertEquals(me, Ps.PsGetThreadId(self));
                Ob.ObDereferenceObject(self);
            }
        }
        Ex.ExFreePool(out);
    }

    /**
     * A kernel closed while threads make first calls, end, re-attach and reap: every call ends with its
     * result or with the kernel-closed exception, never another failure.
     */
    @Test
    void shouldEndEveryThreadCleanlyWhenTheKernelClosesDuringChurn() throws Exception {
        boot();
        kernel.leakReportSink(s -> { });
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> recentIds = new ConcurrentLinkedQueue<>();
        List<MemorySegment> abandoned = Collections.synchronizedList(new ArrayList<>());
        MemorySegment event = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, KEVENT.LAYOUT.byteSize(), TAG);
        Ke.KeInitializeEvent(event, Ke.NotificationEvent, false);
        KSTART_ROUTINE returns = ctx -> Ps.PsGetCurrentThreadId();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> spawners = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            int seed = s;
            Thread spawner = Thread.ofPlatform().daemon().name("spawner-" + s).start(() -> {
                int n = 0;
                while (!stop.get()) {
                    int kind = (seed + n++) % 5;
                    Thread t = start("closing-churn-" + seed + "-" + n, failures, () -> churn(kind, recentIds, abandoned, event, returns));
                    try {
                        t.join(TimeUnit.SECONDS.toMillis(30));
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (n % 20 == 0) {
                        System.gc();
                    }
                }
            });
            spawners.add(spawner);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (recentIds.size() < 12 && failures.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(1); // some churn under way before the close
        }
        kernel.close();
        stop.set(true);
        for (Thread s : spawners) {
            s.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(s.isAlive(), "a thread did not end after the close");
        }
        for (Throwable t : failures) {
            if (!closedKernel(t)) {
                throw new AssertionError("a call failed otherwise than with the kernel closed", t);
            }
        }
    }

    /** Whether {@code t} is (or is caused by) the exception a call on a closed kernel ends with. */
    private static boolean closedKernel(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof KernelHaltedException || (c instanceof IllegalStateException && String.valueOf(c.getMessage()).contains("closed"))) {
                return true;
            }
        }
        return false;
    }
}
