package dev.offkern.runtime.ex;

import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.*;
import static dev.offkern.runtime.ex.ExLookaside.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offkern.runtime.Kernel;
import dev.offkern.nt.PoolType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Several threads allocate and free through one lookaside list (raw long tier) with custom routines,
 * writing a pattern into every block they hold and verifying it before freeing; the periodic scan
 * runs concurrently (called in a loop). At quiescence the counters reconcile exactly with the
 * routines' call counts and the blocks cached.
 */
class ExLookasideTortureTest {

    @Test
    void shouldReconcileCountersWhenThreadsAllocateAndFreeConcurrently() throws Exception {
        int threads = 3;
        int rounds = 30_000 * Integer.getInteger("offkern.stress.scale", 1);
        int size = 64;
        try (Kernel kernel = Kernel.boot().attach(); TestMemory mem = new TestMemory(kernel, 4 << 20)) {
            ExLookaside.setPeriodicScan(kernel.lookasideLists(), false);
            TestBlocks blocks = new TestBlocks(mem, 64 * 1024, size);
            long list = mem.base();
            assertEquals(0, ExLookaside.initializeEx(kernel.lookasideLists(), list, blocks.allocateEx(), blocks.freeEx(), PoolType.NonPagedPool, 0,
                    size, 0x6B6F6F4C, 0));
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CyclicBarrier start = new CyclicBarrier(threads + 1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long pattern = 0x0101_0101_0101_0101L * (t + 1);
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        ThreadLocalRandom rnd = ThreadLocalRandom.current();
                        long[] held = new long[8];
                        for (int r = 0; r < rounds && failure.get() == null; r++) {
                            int n = 1 + rnd.nextInt(held.length);
                            for (int k = 0; k < n; k++) {
                                long b = ExLookaside.allocate(kernel.lookasideLists(), list);
                                if (b == 0) {
                                    throw new AssertionError("allocation failed");
                                }
                                MemorySegment s = mem.at(b - mem.base(), size);
                                s.fill((byte) 0);
                                for (long o = 0; o < size; o += 8) {
                                    s.set(ValueLayout.JAVA_LONG, o, pattern ^ o);
                                }
                                held[k] = b;
                            }
                            for (int k = 0; k < n; k++) {
                                MemorySegment s = mem.at(held[k] - mem.base(), size);
                                for (long o = 0; o < size; o += 8) {
                                    if (s.get(ValueLayout.JAVA_LONG, o) != (pattern ^ o)) {
                                        throw new AssertionError("block 0x" + Long.toHexString(held[k])
                                                + " was written by another thread while held");
                                    }
                                }
                                ExLookaside.free(kernel.lookasideLists(), list, held[k]);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            start.await();
            while (workers.stream().anyMatch(Thread::isAlive)) {
                ExLookaside.scanAll(kernel.lookasideLists()); // the depth moves under the workers' feet
                Thread.sleep(2);
            }
            for (Thread w : workers) {
                w.join();
            }
            if (failure.get() != null) {
                fail(failure.get());
            }
            MemorySegment l = mem.at(0, LOOKASIDE_LIST_EX_SIZE);
            int totalAllocates = l.get(ValueLayout.JAVA_INT, TOTAL_ALLOCATES_OFFSET);
            int totalFrees = l.get(ValueLayout.JAVA_INT, TOTAL_FREES_OFFSET);
            int misses = l.get(ValueLayout.JAVA_INT, ALLOCATE_MISSES_OFFSET);
            int freeMisses = l.get(ValueLayout.JAVA_INT, FREE_MISSES_OFFSET);
            int cached = ExSList.depth(l, 0);
            assertEquals(totalAllocates, totalFrees, "TotalAllocates - TotalFrees = outstanding = 0");
            assertEquals(blocks.allocations.get(), misses, "every miss called the allocate routine once");
            assertEquals(blocks.frees.get(), freeMisses, "every free miss called the free routine once");
            assertEquals(misses - freeMisses, cached, "blocks allocated by the routine and not freed by it are cached");
            ExLookaside.delete(kernel.lookasideLists(), list);
            assertEquals(blocks.allocations.get(), blocks.frees.get(), "delete returned every cached block");
        }
    }
}
