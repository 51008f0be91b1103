package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.ExAllocateFromLookasideListEx;
import static dev.offkern.ddi.Ex.ExAllocateFromPagedLookasideList;
import static dev.offkern.ddi.Ex.ExDeleteLookasideListEx;
import static dev.offkern.ddi.Ex.ExDeletePagedLookasideList;
import static dev.offkern.ddi.Ex.ExFlushLookasideListEx;
import static dev.offkern.ddi.Ex.ExFreeToLookasideListEx;
import static dev.offkern.ddi.Ex.ExFreeToPagedLookasideList;
import static dev.offkern.ddi.Ex.ExInitializeLookasideListEx;
import static dev.offkern.ddi.Ex.ExInitializePagedLookasideList;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.*;
import static dev.offkern.runtime.ex.ExLookaside.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.nt.NtStatusException;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.pool.PoolUsage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Lookaside lists with the default routines: blocks come from and go back to the kernel's pools, per tag. */
class ExLookasidePoolTest {
    static final int TAG = PoolTags.tag("LkTs");
    static final int LIST_TAG = PoolTags.tag("LkHd");

    private static PoolUsage usage(Pool pool, int tag) {
        for (PoolUsage u : pool.usage()) {
            if (u.tag() == tag) {
                return u;
            }
        }
        return new PoolUsage(tag, pool.poolType(), 0, 0, 0);
    }

    /** The list structure itself, from the nonpaged pool as a driver would put it. */
    private static MemorySegment newList(Kernel kernel) {
        long a = kernel.nonPagedPool().allocate(GENERAL_LOOKASIDE_SIZE, LIST_TAG, 0);
        return kernel.addressSpace().resolve(a, GENERAL_LOOKASIDE_SIZE);
    }

    @Test
    void shouldTakeBlocksFromThePoolAndReturnThemAtFlushAndDelete() {
        try (Kernel kernel = Kernel.boot().attach()) {
            ExLookaside.setPeriodicScan(kernel.lookasideLists(), false);
            MemorySegment list = newList(kernel);
            assertEquals(NtStatus.STATUS_SUCCESS, ExInitializeLookasideListEx(list, null, null, PoolType.NonPagedPool, 0, 200, TAG, 0));
            List<MemorySegment> blocks = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                MemorySegment b = ExAllocateFromLookasideListEx(list);
                assertTrue(kernel.nonPagedPool().owns(b.address()));
                assertEquals(0, b.address() & 15);
                b.fill((byte) i);
                blocks.add(b);
            }
            assertEquals(10, usage(kernel.nonPagedPool(), TAG).allocs());
            for (MemorySegment b : blocks) {
                ExFreeToLookasideListEx(list, b);
            }
            PoolUsage u = usage(kernel.nonPagedPool(), TAG);
            assertEquals(6, u.frees(), "Depth 4: six frees reached the pool");
            assertEquals(4, u.diff(), "four blocks cached by the list are still allocated in the pool");
            assertEquals(ExSList.depth(list, 0), u.diff());
            ExFlushLookasideListEx(list);
            assertEquals(0, usage(kernel.nonPagedPool(), TAG).diff(), "flush returned every cached block");
            ExFreeToLookasideListEx(list, ExAllocateFromLookasideListEx(list));
            assertEquals(1, usage(kernel.nonPagedPool(), TAG).diff());
            ExDeleteLookasideListEx(list);
            assertEquals(0, usage(kernel.nonPagedPool(), TAG).diff(), "delete returned every cached block");
            kernel.nonPagedPool().free(list.address(), LIST_TAG);
        }
    }

    @Test
    void shouldServePagedListsFromThePagedPool() {
        try (Kernel kernel = Kernel.boot().attach()) {
            ExLookaside.setPeriodicScan(kernel.lookasideLists(), false);
            MemorySegment list = newList(kernel);
            ExInitializePagedLookasideList(list, null, null, 0, 64, TAG, 0);
            MemorySegment b = ExAllocateFromPagedLookasideList(list);
            assertTrue(kernel.pagedPool().owns(b.address()), "entries from paged pool");
            assertEquals(1, usage(kernel.pagedPool(), TAG).allocs());
            ExFreeToPagedLookasideList(list, b);
            ExDeletePagedLookasideList(list);
            assertEquals(0, usage(kernel.pagedPool(), TAG).diff());
            kernel.nonPagedPool().free(list.address(), LIST_TAG);
        }
    }

    @Test
    void shouldRaiseOrReturnNullWhenThePoolIsExhausted() {
        KernelConfig small = KernelConfig.defaults().withNonPagedPoolLimit(4 << 20);
        try (Kernel kernel = Kernel.boot(small).attach()) {
            ExLookaside.setPeriodicScan(kernel.lookasideLists(), false);
            MemorySegment raising = newList(kernel);
            MemorySegment quiet = newList(kernel);
            ExInitializeLookasideListEx(raising, null, null, PoolType.NonPagedPool, EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL,
                    256 * 1024, TAG, 0);
            ExInitializeLookasideListEx(quiet, null, null, PoolType.NonPagedPool, 0, 256 * 1024, TAG, 0);
            List<MemorySegment> held = new ArrayList<>();
            MemorySegment b;
            while ((b = ExAllocateFromLookasideListEx(quiet)).address() != 0) {
                held.add(b);
                assertTrue(held.size() < 64, "a 4 MiB pool cannot hold 64 blocks of 256 KiB");
            }
            NtStatusException e = assertThrows(NtStatusException.class, () -> ExAllocateFromLookasideListEx(raising));
            assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, e.status());
            for (MemorySegment h : held) {
                ExFreeToLookasideListEx(quiet, h);
            }
            ExDeleteLookasideListEx(quiet);
            ExDeleteLookasideListEx(raising);
            assertEquals(0, usage(kernel.nonPagedPool(), TAG).diff());
            kernel.nonPagedPool().free(raising.address(), LIST_TAG);
            kernel.nonPagedPool().free(quiet.address(), LIST_TAG);
        }
    }

    @Test
    void shouldReconcilePoolAccountingWhenThreadsShareAPoolBackedList() throws Exception {
        int threads = 3;
        int rounds = 20_000 * Integer.getInteger("offkern.stress.scale", 1);
        try (Kernel kernel = Kernel.boot()) {
            ExLookaside.setPeriodicScan(kernel.lookasideLists(), false);
            MemorySegment list = newList(kernel);
            long l = list.address();
            ExLookaside.initializeEx(kernel.lookasideLists(), l, null, null, PoolType.NonPagedPool, 0, 96, TAG, 0);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CyclicBarrier start = new CyclicBarrier(threads + 1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long pattern = 0x1111_1111_1111_1111L * (t + 1);
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        long[] held = new long[12];
                        for (int r = 0; r < rounds && failure.get() == null; r++) {
                            int n = 1 + (r % held.length);
                            for (int k = 0; k < n; k++) {
                                held[k] = ExLookaside.allocate(kernel.lookasideLists(), l);
                                MemorySegment s = kernel.addressSpace().resolve(held[k], 96);
                                for (long o = 0; o < 96; o += 8) {
                                    s.set(ValueLayout.JAVA_LONG, o, pattern + o);
                                }
                            }
                            for (int k = 0; k < n; k++) {
                                MemorySegment s = kernel.addressSpace().resolve(held[k], 96);
                                for (long o = 0; o < 96; o += 8) {
                                    if (s.get(ValueLayout.JAVA_LONG, o) != pattern + o) {
                                        throw new AssertionError("block shared between threads");
                                    }
                                }
                                ExLookaside.free(kernel.lookasideLists(), l, held[k]);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            start.await();
            while (workers.stream().anyMatch(Thread::isAlive)) {
                ExLookaside.scanAll(kernel.lookasideLists());
                Thread.sleep(1);
            }
            for (Thread w : workers) {
                w.join();
            }
            if (failure.get() != null) {
                fail(failure.get());
            }
            int totalAllocates = list.get(ValueLayout.JAVA_INT, TOTAL_ALLOCATES_OFFSET);
            int totalFrees = list.get(ValueLayout.JAVA_INT, TOTAL_FREES_OFFSET);
            int misses = list.get(ValueLayout.JAVA_INT, ALLOCATE_MISSES_OFFSET);
            int freeMisses = list.get(ValueLayout.JAVA_INT, FREE_MISSES_OFFSET);
            PoolUsage u = usage(kernel.nonPagedPool(), TAG);
            assertEquals(totalAllocates, totalFrees, "outstanding = 0");
            assertEquals(misses, u.allocs(), "every allocate miss is one pool allocation");
            assertEquals(freeMisses, u.frees(), "every free miss is one pool free");
            assertEquals(ExSList.depth(list, 0), u.diff(), "what the pool still counts is what the list caches");
            ExLookaside.delete(kernel.lookasideLists(), l);
            assertEquals(0, usage(kernel.nonPagedPool(), TAG).diff());
            kernel.nonPagedPool().free(l, LIST_TAG);
        }
    }
}
