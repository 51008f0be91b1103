package dev.offkern.runtime.pool;

import static dev.offkern.ddi.Ex.ExAllocatePool2;
import static dev.offkern.ddi.Ex.ExAllocatePoolWithTag;
import static dev.offkern.ddi.Ex.ExFreePool;
import static dev.offkern.ddi.Ex.ExFreePoolWithTag;
import static dev.offkern.nt.PoolFlags.POOL_FLAG_NON_PAGED;
import static dev.offkern.nt.PoolFlags.POOL_FLAG_PAGED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.offkern.ddi.Ke;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The DDI's pool routines find the thread's pools and caches with one lookup ({@link ThreadPools},
 * {@link Kernel#callerPools()}): the thread-id table, else the thread's state, which keeps the record; the
 * same caches as the pool's own lookup; the table entry dropped when the thread changes kernels or the
 * kernel closes; the verifier's IRQL read from the calling thread's state.
 */
class ThreadPoolsTest {
    private static final int TAG = PoolTags.tag("TPol");
    private final Kernel kernel = Kernel.boot().attach().leakReportSink(s -> { });

    @AfterEach
    void close() {
        Kernel.detach();
        kernel.close();
    }

    private static long count(Pool pool, int what) {
        long n = 0;
        for (PoolUsage u : pool.usage()) {
            if (u.tag() == TAG) {
                n += what == 0 ? u.allocs() : u.frees();
            }
        }
        return n;
    }

    @Test
    void shouldHangOneRecordOffTheThreadStateOnTheFirstPoolRoutine() {
        ThreadState state = ThreadState.current();
        assertNull(state.pools(), "no pool routine yet");
        MemorySegment p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
        ThreadPools record = assertInstanceOfThreadPools(state.pools());
        assertSame(kernel.pools(), record.pools());
        assertSame(record, ThreadPools.cached(), "the table holds it");
        assertSame(record, Kernel.callerPools(), "later routines reuse it");
        ExFreePoolWithTag(p, TAG);
        assertSame(record, state.pools());
    }

    private static ThreadPools assertInstanceOfThreadPools(Object o) {
        assertTrue(o instanceof ThreadPools, "the state holds a ThreadPools, not " + o);
        return (ThreadPools) o;
    }

    @Test
    void shouldUseTheCachesThePoolsOwnLookupFinds() {
        ThreadPools record = Kernel.callerPools();
        Pool nonPaged = kernel.nonPagedPool();
        Pool paged = kernel.pagedPool();
        assertSame(nonPaged.cache(), record.cache(nonPaged));
        assertSame(paged.cache(), record.cache(paged));
        // A block allocated through the DDI and freed through the pool's own path (and the other way
        // round) is counted once each way, in the one cache per thread and pool.
        MemorySegment a = ExAllocatePool2(POOL_FLAG_PAGED, 100, TAG);
        paged.free(a.address(), TAG);
        long b = nonPaged.allocate(100, TAG, 0);
        ExFreePool(MemorySegment.ofAddress(b));
        assertEquals(1, count(paged, 0));
        assertEquals(1, count(paged, 1));
        assertEquals(1, count(nonPaged, 0));
        assertEquals(1, count(nonPaged, 1));
    }

    @Test
    void shouldFreeBlocksOfBothPoolsAndLargeBlocksThroughTheRecord() {
        MemorySegment small = ExAllocatePool2(POOL_FLAG_PAGED, 48, TAG);
        MemorySegment large = ExAllocatePool2(POOL_FLAG_NON_PAGED, 3 * 4096 + 5, TAG);
        MemorySegment legacy = ExAllocatePoolWithTag(PoolType.PagedPool, 10_000, TAG);
        assertTrue(kernel.pagedPool().owns(small.address()));
        assertTrue(kernel.nonPagedPool().owns(large.address()));
        ExFreePoolWithTag(small, TAG);
        ExFreePoolWithTag(large, TAG);
        ExFreePoolWithTag(legacy, TAG);
        assertEquals(3, count(kernel.pagedPool(), 0) + count(kernel.nonPagedPool(), 0));
        assertEquals(3, count(kernel.pagedPool(), 1) + count(kernel.nonPagedPool(), 1));
        // An address in neither pool is still BAD_POOL_CALLER 0x42.
        BugCheck b = assertThrows(BugCheck.class, () -> ExFreePool(MemorySegment.ofAddress(0x1000)));
        assertEquals(BugCheckCode.BAD_POOL_CALLER, b.code());
        assertArrayEquals(new long[] {0x42, 0x1000, 0, 0}, b.parameters());
    }

    @Test
    void shouldGiveANewStateANewRecordWithTheSameCaches() {
        ThreadPools first = Kernel.callerPools();
        ThreadCache cache = first.cache(kernel.nonPagedPool());
        Kernel.detach();
        assertNull(ThreadPools.cached(), "detach drops the table entry");
        kernel.attach(); // forgets the state: the next routine makes a new one
        assertNull(ThreadPools.cached(), "attach drops the table entry");
        ThreadPools second = Kernel.callerPools();
        assertNotSame(first, second);
        assertSame(second, ThreadState.current().pools(), "the new state keeps the new record");
        assertSame(cache, second.cache(kernel.nonPagedPool()), "one cache per thread and pool");
    }

    @Test
    void shouldReuseTheRecordTheStateKeepsWhenTheTableMisses() {
        ThreadPools record = Kernel.callerPools();
        ThreadPools.forgetCallingThread(); // as when another thread with the same slot took it
        assertNull(ThreadPools.cached());
        assertSame(record, Kernel.callerPools());
        assertSame(record, ThreadPools.cached());
    }

    @Test
    void shouldNotUseAnotherThreadsEntry() throws InterruptedException {
        Kernel.callerPools();
        AtomicReference<ThreadPools> seen = new AtomicReference<>();
        AtomicReference<ThreadPools> own = new AtomicReference<>();
        Thread t = new Thread(() -> {
            kernel.attach();
            seen.set(ThreadPools.cached());
            own.set(Kernel.callerPools());
            Kernel.detach();
        });
        t.start();
        t.join();
        assertNull(seen.get(), "a new thread has no entry of its own");
        assertNotSame(Kernel.callerPools(), own.get());
    }

    @Test
    void shouldFollowTheThreadToAnotherKernel() {
        try (Kernel other = Kernel.boot().leakReportSink(s -> { })) {
            other.attach();
            MemorySegment p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
            assertSame(other.pools(), Kernel.callerPools().pools());
            assertTrue(other.nonPagedPool().owns(p.address()));
            ExFreePoolWithTag(p, TAG);
            kernel.attach();
            assertSame(kernel.pools(), Kernel.callerPools().pools());
        }
    }

    @Test
    void shouldRefuseAnotherThreadsState() throws InterruptedException {
        AtomicReference<ThreadState> other = new AtomicReference<>();
        Thread t = new Thread(() -> {
            kernel.attach();
            other.set(ThreadState.current());
            Kernel.detach();
        });
        t.start();
        t.join();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ThreadPools.of(other.get(), kernel.pools()));
        assertTrue(e.getMessage().contains("another thread"), e.getMessage());
        assertNull(other.get().pools());
    }

    @Test
    void shouldRefuseTheRoutinesOnAClosedKernel() {
        ThreadPools record = Kernel.callerPools();
        kernel.close();
        assertNull(ThreadPools.cached(), "the kernel does not run: no entry is used");
        ThreadPools.forget(record.pools()); // idempotent: close() dropped it already
        assertThrows(IllegalStateException.class, Kernel::callerPools);
        assertThrows(IllegalStateException.class, () -> ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG));
    }

    @Test
    void shouldCheckTheIrqlOfTheStateTheRoutineFound() {
        assumeTrue(Verifier.ENABLED, "the IRQL checks run under the verifier (-Doffkern.verifier=true, the default)");
        MemorySegment p = ExAllocatePool2(POOL_FLAG_PAGED, 40, TAG);
        int old = Ke.KeRaiseIrql(Irql.DISPATCH_LEVEL);
        try {
            BugCheck alloc = assertThrows(BugCheck.class, () -> ExAllocatePool2(POOL_FLAG_PAGED, 40, TAG));
            assertArrayEquals(new long[] {0x08, Irql.DISPATCH_LEVEL, PoolType.PagedPool, 40}, alloc.parameters());
            BugCheck free = assertThrows(BugCheck.class, () -> ExFreePoolWithTag(p, TAG));
            assertArrayEquals(new long[] {0x09, Irql.DISPATCH_LEVEL, PoolType.PagedPool, p.address()}, free.parameters());
            MemorySegment q = ExAllocatePool2(POOL_FLAG_NON_PAGED, 40, TAG); // non-paged is fine at DISPATCH_LEVEL
            ExFreePoolWithTag(q, TAG);
        } finally {
            Ke.KeLowerIrql(old);
        }
        ExFreePoolWithTag(p, TAG);
    }
}
