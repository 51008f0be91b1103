package dev.offkern.runtime.ke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Ps;
import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.layout.ke.KGUARDED_MUTEX;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ThreadState#current()} through {@link CallerTable}: the entry is used by its owner only, is
 * dropped when the thread forgets its state (detach, attach) or its kernel closes, and holds the state
 * weakly, so that a thread that called the lock routines and ended releases its state and its ETHREAD
 * exactly as with the {@code ThreadLocal} alone.
 */
class CallerTableTest {
    private static final int TAG = PoolTags.tag("CTbl");

    @TempDir
    Path dumps;

    private Kernel kernel;

    @AfterEach
    void shutdown() {
        Kernel.detach();
        if (kernel != null) {
            kernel.close();
        }
    }

    private static CallerTable.Entry slotOf(Thread t) {
        return CallerTable.BY_THREAD[CallerTable.slot(t)];
    }

    /** One round of every lock routine whose acquire and release call ThreadState.current(). */
    private static void lockRoutines(MemorySegment spinLock, MemorySegment fastMutex, MemorySegment guardedMutex) {
        int old = Ke.KeAcquireSpinLock(spinLock);
        Ke.KeReleaseSpinLock(spinLock, old);
        old = Ke.KeRaiseIrql(Irql.DISPATCH_LEVEL);
        Ke.KeLowerIrql(old);
        Ex.ExAcquireFastMutex(fastMutex);
        Ex.ExReleaseFastMutex(fastMutex);
        Ke.KeAcquireGuardedMutex(guardedMutex);
        Ke.KeReleaseGuardedMutex(guardedMutex);
    }

    @Test
    void shouldReleaseTheStateAndEthreadOfAnEndedThreadWhoseEntryIsStillInTheTable() throws Exception {
        kernel = KernelFixture.boot(dumps); // the only booted kernel: the threads below resolve it without attaching
        kernel.leakReportSink(s -> { });
        MemorySegment spinLock = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, TAG);
        MemorySegment fastMutex = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, FAST_MUTEX.LAYOUT.byteSize(), TAG);
        MemorySegment guardedMutex = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, KGUARDED_MUTEX.LAYOUT.byteSize(), TAG);
        Ke.KeInitializeSpinLock(spinLock);
        Ex.ExInitializeFastMutex(fastMutex);
        Ke.KeInitializeGuardedMutex(guardedMutex);
        lockRoutines(spinLock, fastMutex, guardedMutex);
        int baseline = kernel.processes().liveThreadCount();

        int threads = 8;
        List<WeakReference<ThreadState>> states = new ArrayList<>();
        List<Thread> ended = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            AtomicReference<WeakReference<ThreadState>> seen = new AtomicReference<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread t = Thread.ofPlatform().name("caller-table-" + i).unstarted(() -> {
                try {
                    for (int round = 0; round < 1000; round++) {
                        lockRoutines(spinLock, fastMutex, guardedMutex);
                    }
                    ThreadState s = ThreadState.current();
                    assertSame(s.entry(), slotOf(Thread.currentThread()), "the lookups went through the table");
                    seen.set(new WeakReference<>(s));
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            t.start();
            t.join(TimeUnit.SECONDS.toMillis(30));
            assertNull(failure.get());
            assertNotNull(seen.get());
            states.add(seen.get());
            ended.add(t);
        }
        // The ended threads' entries are still in their slots (no other thread took them, the kernel runs): what
        // the table would keep reachable, if it held the states strongly.
        int stillThere = 0;
        for (Thread t : ended) {
            CallerTable.Entry e = slotOf(t);
            if (e != null && e.owner == t) {
                stillThere++;
            }
        }
        assertTrue(stillThere > 0, "no ended thread's entry left in the table: the test would prove nothing");

        // Bounded GC loop (a liveness bound on the GC, not a timing assertion): every state becomes
        // unreachable, its Cleaner drops the ETHREAD's reference, a Ps lookup reaps the ended threads.
        MemorySegment out = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, TAG);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!allCleared(states) || kernel.processes().liveThreadCount() != baseline) {
            if (System.nanoTime() > deadline) {
                fail("after 60 s of GCs: states cleared " + allCleared(states) + ", live threads "
                        + kernel.processes().liveThreadCount() + " (baseline " + baseline + ")");
            }
            System.gc();
            Thread.sleep(10);
            Ps.PsLookupThreadByThreadId(1, out); // reaps ended threads; id 1 names nothing
        }
        for (Thread t : ended) { // the entries themselves may stay: they now answer a miss
            CallerTable.Entry e = slotOf(t);
            if (e != null && e.owner == t) {
                assertNull(e.get(), "a cleared entry");
            }
        }
        Ex.ExFreePool(out);
        Ex.ExFreePool(spinLock);
        Ex.ExFreePool(fastMutex);
        Ex.ExFreePool(guardedMutex);
    }

    private static boolean allCleared(List<WeakReference<ThreadState>> refs) {
        for (WeakReference<ThreadState> r : refs) {
            if (r.get() != null) {
                return false;
            }
        }
        return true;
    }

    @Test
    void shouldGiveAThreadItsOwnStateBackAfterAnotherThreadTookItsSlot() throws Exception {
        kernel = KernelFixture.boot(dumps).attach();
        ThreadState mine = ThreadState.current();
        Thread me = Thread.currentThread();
        assertSame(mine.entry(), slotOf(me));
        // A thread whose id falls in the same slot (ids are given at construction: make threads until one does;
        // the others are never started).
        AtomicReference<ThreadState> theirs = new AtomicReference<>();
        Runnable body = () -> theirs.set(ThreadState.current()); // the only booted kernel; its entry stays after it ends
        Thread rival = null;
        for (int i = 0; i < 4 * CallerTable.SIZE && rival == null; i++) {
            Thread t = Thread.ofPlatform().unstarted(body);
            if (CallerTable.slot(t) == CallerTable.slot(me)) {
                rival = t;
            }
        }
        assertNotNull(rival);
        rival.start();
        rival.join(TimeUnit.SECONDS.toMillis(30));
        assertNotNull(theirs.get());
        assertNotSame(mine, theirs.get());
        assertSame(theirs.get().entry(), slotOf(me), "the rival's entry is in the shared slot");
        assertSame(mine, ThreadState.current(), "a miss: the slow path finds the thread's own state");
        assertSame(mine.entry(), slotOf(me), "and puts its entry back");
    }

    @Test
    void shouldDropTheEntryWhenTheThreadDetachesAndBuildANewStateForItsNextCall() throws Exception {
        kernel = KernelFixture.boot(dumps).attach();
        ThreadState first = ThreadState.current();
        Kernel.detach();
        assertNull(slotOf(Thread.currentThread()), "detach drops the entry");
        kernel.attach();
        ThreadState second = ThreadState.current();
        assertNotSame(first, second);
        assertSame(second.entry(), slotOf(Thread.currentThread()));
        assertSame(second, ThreadState.current());
    }

    @Test
    void shouldDropEveryEntryOfAClosedKernelAndRefuseItsThreads() throws Exception {
        kernel = KernelFixture.boot(dumps);
        kernel.leakReportSink(s -> { });
        Kernel k = kernel;
        java.util.concurrent.CountDownLatch called = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        AtomicReference<Throwable> after = new AtomicReference<>();
        Thread other = Thread.ofPlatform().start(() -> {
            k.attach();
            try {
                ThreadState.current();
                called.countDown();
                closed.await();
                ThreadState.current();
            } catch (Throwable e) {
                after.set(e);
            } finally {
                Kernel.detach();
            }
        });
        called.await();
        assertEquals(k.core(), slotOf(other).kernel);
        kernel.close();
        for (int i = 0; i < CallerTable.SIZE; i++) {
            CallerTable.Entry e = CallerTable.BY_THREAD[i];
            assertTrue(e == null || e.kernel != k.core(), "slot " + i + " still names the closed kernel");
        }
        closed.countDown();
        other.join(TimeUnit.SECONDS.toMillis(30));
        assertTrue(after.get() instanceof IllegalStateException, "a closed kernel's thread is refused: " + after.get());
        assertThrows(IllegalStateException.class, ThreadState::current);
    }
}
