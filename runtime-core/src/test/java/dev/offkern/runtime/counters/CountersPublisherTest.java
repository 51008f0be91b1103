package dev.offkern.runtime.counters;

import static dev.offkern.ddi.Ex.ExAllocateFromLookasideListEx;
import static dev.offkern.ddi.Ex.ExAllocatePool2;
import static dev.offkern.ddi.Ex.ExDeleteLookasideListEx;
import static dev.offkern.ddi.Ex.ExFreePoolWithTag;
import static dev.offkern.ddi.Ex.ExFreeToLookasideListEx;
import static dev.offkern.ddi.Ex.ExInitializeLookasideListEx;
import static dev.offkern.ddi.Ke.KeCancelTimer;
import static dev.offkern.ddi.Ke.KeFlushQueuedDpcs;
import static dev.offkern.ddi.Ke.KeInitializeDpc;
import static dev.offkern.ddi.Ke.KeInitializeTimer;
import static dev.offkern.ddi.Ke.KeInsertQueueDpc;
import static dev.offkern.ddi.Ke.KeSetTimer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.LiveCounters;
import dev.offkern.runtime.ex.ExLookaside;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The publisher in this JVM: each kind of counter follows what the kernel did (pool tags, lookaside
 * totals and misses, DPCs queued and run, timers set and expired, bug checks), the file is created
 * under its name with its writer's identity, and is marked CLOSED and removed at close.
 */
class CountersPublisherTest {
    private static final int TAG = PoolTags.tag("CtPb");

    @TempDir
    Path tmp;

    private Kernel kernel;

    private Kernel boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(tmp.resolve("dumps"))
                .withLiveCounters(LiveCounters.in(tmp.resolve("counters")).every(Duration.ofMillis(10)))).attach();
        return kernel;
    }

    @AfterEach
    void close() {
        if (kernel != null) {
            kernel.close();
        }
        Kernel.detach();
    }

    /** Snapshots the kernel's file until {@code until} holds (10 s at most: a hang guard, not a timing assertion). */
    private CountersSnapshot await(Predicate<CountersSnapshot> until) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        CountersSnapshot last = null;
        try (CountersFile f = CountersFile.open(kernel.liveCountersFile())) {
            while (System.nanoTime() < deadline) {
                last = CountersSnapshot.take(f);
                if (until.test(last)) {
                    return last;
                }
                Thread.sleep(5);
            }
        }
        return fail("the counters never showed what was expected; last: " + last);
    }

    @Test
    void shouldPublishTheTagCountsOfBothPools() throws Exception {
        boot();
        MemorySegment a = ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 100, TAG);
        MemorySegment b = ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 100, TAG);
        MemorySegment c = ExAllocatePool2(PoolFlags.POOL_FLAG_PAGED, 5000, TAG);
        ExFreePoolWithTag(b, TAG);
        // A publish reads each counter once, while this thread may still be writing: await every value asserted.
        CountersSnapshot s = await(x -> x.value(CounterType.POOL_FREES, TAG, PoolType.NonPagedPool) == 1
                && x.value(CounterType.POOL_ALLOCS, TAG, PoolType.NonPagedPool) == 2
                && x.value(CounterType.POOL_ALLOCS, TAG, PoolType.PagedPool) == 1
                && x.value(CounterType.POOL_BYTES, TAG, PoolType.PagedPool) >= 5000);
        assertTrue(s.value(CounterType.POOL_BYTES, TAG, PoolType.NonPagedPool) >= 100, s.toString());
        assertTrue(s.value(CounterType.POOL_BYTES, TAG, PoolType.PagedPool) >= 5000, s.toString());
        assertTrue(s.of(CounterType.POOL_ALLOCS).stream().anyMatch(k -> k.label().equals("pool CtPb Nonp allocs")), s.toString());
        ExFreePoolWithTag(a, TAG);
        ExFreePoolWithTag(c, TAG);
        s = await(x -> x.value(CounterType.POOL_BYTES, TAG, PoolType.NonPagedPool) == 0
                && x.value(CounterType.POOL_BYTES, TAG, PoolType.PagedPool) == 0
                && x.value(CounterType.POOL_FREES, TAG, PoolType.NonPagedPool) == 2);
        assertEquals(2, s.value(CounterType.POOL_ALLOCS, TAG, PoolType.NonPagedPool));
    }

    @Test
    void shouldPublishLookasideTotalsAndMissesIncludingDeletedLists() throws Exception {
        boot();
        MemorySegment list = ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, ExLookaside.LOOKASIDE_LIST_EX_SIZE, TAG);
        assertEquals(NtStatus.STATUS_SUCCESS, ExInitializeLookasideListEx(list, null, null, PoolType.NonPagedPool, 0, 64, TAG, 0));
        MemorySegment e = ExAllocateFromLookasideListEx(list); // empty list: a miss
        ExFreeToLookasideListEx(list, e);                     // kept by the list
        e = ExAllocateFromLookasideListEx(list);               // served by the list: a hit
        ExFreeToLookasideListEx(list, e);
        CountersSnapshot s = await(x -> x.value(CounterType.LOOKASIDE_FREES, PoolType.NonPagedPool, 0) == 2
                && x.value(CounterType.LOOKASIDE_ALLOCATES, PoolType.NonPagedPool, 0) == 2);
        assertEquals(1, s.value(CounterType.LOOKASIDE_LISTS, PoolType.NonPagedPool, 0));
        assertEquals(1, s.value(CounterType.LOOKASIDE_ALLOCATE_MISSES, PoolType.NonPagedPool, 0));
        assertEquals(0, s.value(CounterType.LOOKASIDE_FREE_MISSES, PoolType.NonPagedPool, 0));
        assertEquals(0, s.value(CounterType.LOOKASIDE_LISTS, PoolType.PagedPool, 0));

        ExDeleteLookasideListEx(list);
        s = await(x -> x.value(CounterType.LOOKASIDE_LISTS, PoolType.NonPagedPool, 0) == 0);
        assertEquals(2, s.value(CounterType.LOOKASIDE_ALLOCATES, PoolType.NonPagedPool, 0), "a deleted list's counts stay in the sums");
        assertEquals(1, s.value(CounterType.LOOKASIDE_ALLOCATE_MISSES, PoolType.NonPagedPool, 0));
        ExFreePoolWithTag(list, TAG);
    }

    @Test
    void shouldPublishDpcsQueuedAndRunAndTimersSetAndExpired() throws Exception {
        boot();
        AtomicInteger runs = new AtomicInteger();
        MemorySegment dpc = ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, KDPC.X64.size(), TAG);
        KeInitializeDpc(dpc, (d, context, a1, a2) -> runs.incrementAndGet(), MemorySegment.NULL);
        assertTrue(KeInsertQueueDpc(dpc, MemorySegment.NULL, MemorySegment.NULL));
        KeFlushQueuedDpcs();
        assertEquals(1, runs.get());
        MemorySegment later = ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, KTIMER.X64.size(), TAG);
        MemorySegment soon = ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, KTIMER.X64.size(), TAG);
        KeInitializeTimer(later);
        KeInitializeTimer(soon);
        KeSetTimer(later, -3_600L * 10_000_000, MemorySegment.NULL); // an hour from now: pending
        KeSetTimer(soon, -10_000, MemorySegment.NULL);                 // 1 ms: expires
        CountersSnapshot s = await(x -> x.sum(CounterType.TIMERS_EXPIRED) >= 1 && x.sum(CounterType.DPC_RUN) >= 1
                && x.sum(CounterType.TIMERS_SET) == 2 && x.sum(CounterType.TIMERS_PENDING) == 1);
        assertEquals(2, s.sum(CounterType.TIMERS_SET));
        assertEquals(1, s.sum(CounterType.TIMERS_PENDING));
        assertEquals(1, s.sum(CounterType.DPC_QUEUED));
        assertEquals(1, s.sum(CounterType.DPC_RUN));
        assertEquals(0, s.sum(CounterType.DPC_QUEUE_DEPTH));
        assertEquals(2 * 2, s.of(CounterType.DPC_RUN).size(), "one counter per processor and queue");
        assertTrue(KeCancelTimer(later));
        for (MemorySegment m : List.of(dpc, later, soon)) {
            ExFreePoolWithTag(m, TAG);
        }
    }

    @Test
    void shouldCountExSetTimerAsATimerSet() throws Exception {
        boot();
        MemorySegment t = dev.offkern.ddi.Ex.ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 0);
        dev.offkern.ddi.Ex.ExSetTimer(t, -3_600L * 10_000_000, 0, MemorySegment.NULL); // an hour from now
        // The publisher reads the two counts without the timer-table lock: await both.
        await(x -> x.sum(CounterType.TIMERS_SET) == 1 && x.sum(CounterType.TIMERS_PENDING) == 1);
        dev.offkern.ddi.Ex.ExDeleteTimer(t, true, false, MemorySegment.NULL);
        CountersSnapshot s = await(x -> x.sum(CounterType.TIMERS_PENDING) == 0);
        assertEquals(1, s.sum(CounterType.TIMERS_SET), "a delete is no set");
    }

    @Test
    void shouldCountBugChecks() throws Exception {
        boot();
        assertEquals(0, await(x -> true).sum(CounterType.BUG_CHECKS));
        kernel.bugCheck(0xE2, 1, 2, 3, 4, "a test's bug check"); // THROW: returned, not thrown
        CountersSnapshot s = await(x -> x.sum(CounterType.BUG_CHECKS) == 1 && x.sum(CounterType.BUG_CHECK_LAST_CODE) == 0xE2);
        assertEquals(0xE2, s.sum(CounterType.BUG_CHECK_LAST_CODE));
        assertEquals(CountersSnapshot.Status.RUNNING, s.status());
    }

    @Test
    void shouldShowAKernelHaltedByABugCheckAsHalted() throws Exception {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(1).withDumpDirectory(tmp.resolve("dumps"))
                .withBugCheckPolicy(dev.offkern.nt.BugCheckPolicy.HALT)
                .withLiveCounters(LiveCounters.in(tmp.resolve("counters")).every(Duration.ofMillis(10))));
        assertThrows(dev.offkern.nt.KernelHaltedException.class, () -> kernel.bugCheck(0x50, 1, 2, 3, 4, "halt it"));
        CountersSnapshot s = await(x -> x.status() == CountersSnapshot.Status.HALTED && x.sum(CounterType.BUG_CHECKS) == 1);
        assertEquals(1, s.sum(CounterType.BUG_CHECKS));
        assertEquals(0x50, s.sum(CounterType.BUG_CHECK_LAST_CODE));
    }

    @Test
    void shouldNameTheFileAfterThePidAndDescribeItsWriter() throws Exception {
        boot();
        Path file = kernel.liveCountersFile();
        assertEquals(tmp.resolve("counters"), file.getParent());
        assertTrue(file.getFileName().toString().matches("kernel-" + ProcessHandle.current().pid() + "-\\d+\\.counters"),
                file.toString());
        CountersSnapshot s = await(x -> true);
        assertEquals(ProcessHandle.current().pid(), s.pid());
        assertEquals(2, s.processorCount());
        assertEquals(10, s.intervalMillis());
        assertTrue(s.heartbeatMillis() >= s.bootMillis());
        try (var listing = Files.list(tmp.resolve("counters"))) {
            assertEquals(List.of(file), listing.toList(), "no temporary file left behind");
        }
    }

    @Test
    void shouldMarkTheFileClosedAndRemoveItWhenTheKernelCloses() throws Exception {
        boot();
        Path file = kernel.liveCountersFile();
        try (CountersFile watched = CountersFile.open(file)) {
            kernel.close();
            assertFalse(Files.exists(file));
            assertEquals(CountersSnapshot.Status.CLOSED, CountersSnapshot.take(watched).status());
        }
        assertEquals(List.of(), CountersDirectory.scan(tmp.resolve("counters")));
    }

    @Test
    void shouldPublishNothingUnlessConfigured() {
        kernel = Kernel.boot(KernelConfig.defaults().withLiveCounters(LiveCounters.off()));
        assertNull(kernel.liveCountersFile());
    }

    @Test
    void shouldFailBootNamingTheDirectoryWhenTheFileCannotBeCreated() throws IOException {
        Path notADirectory = Files.writeString(tmp.resolve("plain-file"), "x");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Kernel.boot(KernelConfig.defaults()
                .withLiveCounters(LiveCounters.in(notADirectory.resolve("counters")))));
        assertTrue(e.getMessage().contains(notADirectory.resolve("counters").toString()), e.getMessage());
        assertThrows(IllegalStateException.class, Kernel::current, "the half-booted kernel was closed again");
    }

    @Test
    void shouldRefuseAnIntervalOutOfRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LiveCounters.in(tmp).every(Duration.ofMillis(1)));
        assertTrue(e.getMessage().contains("10 ms..60000 ms, not 1 ms"), e.getMessage());
    }

    @Test
    void shouldRefuseAFileThatIsNoCountersFile() throws IOException {
        Path junk = Files.write(tmp.resolve("junk.counters"), new byte[8192]);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CountersFile.open(junk));
        assertTrue(e.getMessage().contains("is no offkern counters file"), e.getMessage());
    }
}
