package dev.offkern.runtime.counters;

import static dev.offkern.ddi.Ex.ExAllocateFromLookasideListEx;
import static dev.offkern.ddi.Ex.ExAllocatePool2;
import static dev.offkern.ddi.Ex.ExDeleteLookasideListEx;
import static dev.offkern.ddi.Ex.ExFreePoolWithTag;
import static dev.offkern.ddi.Ex.ExFreeToLookasideListEx;
import static dev.offkern.ddi.Ex.ExInitializeLookasideListEx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.LiveCounters;
import dev.offkern.runtime.ex.ExLookaside;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live counters under real contention: four threads allocate and free with four tags and through
 * one shared lookaside list while the publisher publishes every 10 ms and a watcher reads the file
 * as fast as it can. Invariants: every cumulative counter a watcher sees (per-tag allocs and frees,
 * lookaside totals and misses) never goes backwards between two snapshots, and once the workers have
 * joined the published values are exact.
 */
class CountersContentionTest {
    private static final int THREADS = 4;
    private static final int[] TAGS = {PoolTags.tag("Cn0 "), PoolTags.tag("Cn1 "), PoolTags.tag("Cn2 "), PoolTags.tag("Cn3 ")};
    /** The lookaside list's own memory, and the blocks it takes from the pool. */
    private static final int LIST_TAG = PoolTags.tag("CnL ");
    private static final int LOOKASIDE_TAG = PoolTags.tag("CnM ");

    @TempDir
    Path tmp;

    @Test
    void shouldNeverShowACumulativeCounterGoingBackwardsAndEndExact() throws Exception {
        int rounds = 20_000 * Integer.getInteger("offkern.stress.scale", 1);
        try (Kernel kernel = Kernel.boot(KernelConfig.defaults().withDumpDirectory(tmp.resolve("dumps"))
                .withLiveCounters(LiveCounters.in(tmp.resolve("counters")).every(Duration.ofMillis(10))))) {
            kernel.attach();
            MemorySegment list = ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, ExLookaside.LOOKASIDE_LIST_EX_SIZE, LIST_TAG);
            assertEquals(NtStatus.STATUS_SUCCESS, ExInitializeLookasideListEx(list, null, null, PoolType.NonPagedPool, 0, 48,
                    LOOKASIDE_TAG, 0));
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(THREADS);
            Thread[] workers = new Thread[THREADS];
            for (int w = 0; w < THREADS; w++) {
                int tag = TAGS[w % TAGS.length];
                workers[w] = Thread.ofPlatform().start(() -> {
                    try {
                        kernel.attach();
                        for (int i = 0; i < rounds; i++) {
                            MemorySegment b = ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 32 + (i & 255), tag);
                            MemorySegment e = ExAllocateFromLookasideListEx(list);
                            ExFreeToLookasideListEx(list, e);
                            ExFreePoolWithTag(b, tag);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        Kernel.detach();
                        done.countDown();
                    }
                });
            }
            long snapshots = 0;
            Map<String, Long> previous = new HashMap<>();
            try (CountersFile file = CountersFile.open(kernel.liveCountersFile())) {
                while (!done.await(0, TimeUnit.MILLISECONDS)) {
                    CountersSnapshot s = CountersSnapshot.take(file);
                    snapshots++;
                    for (CountersSnapshot.Counter c : s.counters()) {
                        if (c.type() == CounterType.POOL_ALLOCS || c.type() == CounterType.POOL_FREES
                                || c.type() == CounterType.LOOKASIDE_ALLOCATES || c.type() == CounterType.LOOKASIDE_ALLOCATE_MISSES
                                || c.type() == CounterType.LOOKASIDE_FREES || c.type() == CounterType.LOOKASIDE_FREE_MISSES) {
                            Long before = previous.put(c.label(), c.value());
                            if (before != null && c.value() < before) {
                                throw new AssertionError(c.label() + " went backwards: " + before + " -> " + c.value());
                            }
                        }
                    }
                }
                for (Thread t : workers) {
                    t.join();
                }
                assertNull(failure.get(), () -> "a worker failed: " + failure.get());
                long total = (long) rounds * THREADS;
                long perTag = (long) rounds * (THREADS / TAGS.length);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                CountersSnapshot last;
                do {
                    Thread.sleep(10);
                    last = CountersSnapshot.take(file);
                } while (last.value(CounterType.LOOKASIDE_FREES, PoolType.NonPagedPool, 0) != total && System.nanoTime() < deadline);
                Thread.sleep(30); // three more publish periods: every counter of the quiescent kernel is final
                last = CountersSnapshot.take(file);
                for (int tag : TAGS) {
                    assertEquals(perTag, last.value(CounterType.POOL_ALLOCS, tag, PoolType.NonPagedPool), PoolTags.toString(tag));
                    assertEquals(perTag, last.value(CounterType.POOL_FREES, tag, PoolType.NonPagedPool), PoolTags.toString(tag));
                }
                assertEquals(total, last.value(CounterType.LOOKASIDE_ALLOCATES, PoolType.NonPagedPool, 0));
                assertEquals(total, last.value(CounterType.LOOKASIDE_FREES, PoolType.NonPagedPool, 0));
                long misses = last.value(CounterType.LOOKASIDE_ALLOCATE_MISSES, PoolType.NonPagedPool, 0);
                assertTrue(misses >= 1 && misses <= total, "misses " + misses);
                assertEquals(misses, last.value(CounterType.POOL_ALLOCS, LOOKASIDE_TAG, PoolType.NonPagedPool),
                        "every allocate miss took a block from the pool with the list's tag");
                assertTrue(snapshots > 1, "the watcher read while the workers ran");
            }
            ExDeleteLookasideListEx(list);
            ExFreePoolWithTag(list, LIST_TAG);
        } finally {
            Kernel.detach();
        }
    }
}
