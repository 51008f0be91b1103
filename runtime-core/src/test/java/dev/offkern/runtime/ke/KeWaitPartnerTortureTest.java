package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.SCALE;
import static dev.offkern.runtime.ke.LockTestSupport.block;
import static dev.offkern.runtime.ke.LockTestSupport.resetThread;
import static dev.offkern.runtime.ke.LockTestSupport.runThreads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DDI fuzzer's partner pattern under contention: a thread waits on a private event or
 * semaphore that a freshly started partner thread signals, over and over, while other threads make
 * the dispatcher busy — timed waits, sets, pulses and resets on shared events, and bug checks
 * raised under the dispatcher lock (a KeSetEvent on an event whose wait list links out of the
 * address space) with a callback that itself calls a dispatcher routine. Partners are new threads
 * each round and the heap is collected now and then, so thread blocks of dead partners are recycled
 * for new ones while waits are in progress (what the fuzzer's partner threads do).
 *
 * <p>Invariants: every infinite wait a partner satisfies returns STATUS_SUCCESS (a lost wake-up
 * leaves a worker blocked and fails the run when its join gives up); in the timed variant the
 * partner waits and this thread signals, and a waiter that reports STATUS_TIMEOUT must find the
 * signal still in the event (its timeout beat the set: the set found no waiter) — a set that
 * consumed the signal without waking the only waiter is a lost wake-up. At the end no thread is
 * registered as waiting. No assertion depends on timing.
 */
class KeWaitPartnerTortureTest {
    @TempDir
    Path dumps;
    Kernel kernel;

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps).leakReportSink(s -> { });
    }

    @AfterEach
    void close() {
        resetThread();
        Kernel.detach();
        kernel.close();
    }

    /** Starts {@code body} on a new thread attached to the kernel. */
    private Thread partner(Runnable body, AtomicReference<Throwable> failure) {
        return Thread.ofPlatform().start(() -> {
            try {
                kernel.attach();
                body.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                Kernel.detach();
            }
        });
    }

    private static void spin(SplittableRandom r) {
        for (int i = r.nextInt(2000); i > 0; i--) {
            Thread.onSpinWait();
        }
    }

    private Runnable pairs(int seed, int rounds, AtomicInteger done, AtomicReference<Throwable> failure) {
        return () -> {
            kernel.attach();
            SplittableRandom r = new SplittableRandom(seed);
            MemorySegment object = block(kernel, 0x20);
            MemorySegment timeout = block(kernel, 8);
            for (int i = 0; i < rounds && failure.get() == null; i++) {
                int kind = r.nextInt(3); // 0 notification event, 1 synchronization event, 2 semaphore
                if (kind == 2) {
                    KeInitializeSemaphore(object, 0, 1);
                } else {
                    KeInitializeEvent(object, kind, false);
                }
                if (r.nextBoolean()) {
                    // this thread waits for ever; a new partner signals
                    SplittableRandom pr = r.split(); // the partner's own stream (SplittableRandom is not thread-safe)
                    Thread p = partner(() -> {
                        spin(pr);
                        if (kind == 2) {
                            KeReleaseSemaphore(object, 0, 1, false);
                        } else {
                            KeSetEvent(object, 0, false);
                        }
                    }, failure);
                    int st = KeWaitForSingleObject(object, Executive, KernelMode, false, MemorySegment.NULL);
                    assertEquals(NtStatus.STATUS_SUCCESS, st, "round " + i);
                    join(p);
                } else {
                    // a new partner waits (timed); this thread signals
                    timeout.set(ValueLayout.JAVA_LONG, 0, -50_000_000L); // 5 s
                    int[] status = {-1};
                    Thread p = partner(() -> status[0] = KeWaitForSingleObject(object, Executive, KernelMode, false, timeout),
                            failure);
                    spin(r);
                    int previous = kind == 2 ? KeReleaseSemaphore(object, 0, 1, false) : KeSetEvent(object, 0, false);
                    assertEquals(0, previous, "round " + i + ": nothing else signals the object");
                    join(p);
                    if (status[0] == NtStatus.STATUS_TIMEOUT) {
                        assertTrue(Dispatcher.signalState(object, 0) > 0, "round " + i + ": lost wake-up: the waiter timed"
                                + " out although the set consumed the signal");
                    } else {
                        assertEquals(NtStatus.STATUS_SUCCESS, status[0], "round " + i);
                    }
                }
                if (i % 97 == 0) {
                    System.gc(); // dead partners' thread blocks go back to the free list and are reused
                }
                done.incrementAndGet();
            }
        };
    }

    private static void join(Thread t) {
        try {
            t.join(120_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        if (t.isAlive()) {
            throw new AssertionError("partner thread still running after 120 s: a lost wake-up or a deadlock");
        }
    }

    @Test
    void shouldWakeEveryPartnersWaiterWhileTheDispatcherIsBusyAndBugChecksAreRaisedUnderItsLock() throws Exception {
        int rounds = 400 * SCALE;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger bugChecks = new AtomicInteger();
        AtomicInteger fromCallbacks = new AtomicInteger();
        kernel.attach();
        List<MemorySegment> shared = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            MemorySegment e = block(kernel, 0x18);
            KeInitializeEvent(e, i % 2, false);
            shared.add(e);
        }
        MemorySegment broken = block(kernel, 0x18);
        KeInitializeEvent(broken, NotificationEvent, false);
        broken.set(ValueLayout.JAVA_LONG, 8, 0x10L); // WaitListHead.Flink outside every region: 0x50 under the lock
        broken.set(ValueLayout.JAVA_LONG, 16, 0x10L);
        MemorySegment record = block(kernel, 0x40);
        KeInitializeCallbackRecord(record);
        assertTrue(KeRegisterBugCheckCallback(record, (buffer, length) -> {
            KeClearEvent(shared.get(0)); // a dispatcher routine from a callback of a bug check raised under the lock
            fromCallbacks.incrementAndGet();
        }, MemorySegment.NULL, 0, MemorySegment.NULL));
        Runnable noise = () -> {
            kernel.attach();
            SplittableRandom r = new SplittableRandom(7);
            MemorySegment timeout = block(kernel, 8);
            while (!stop.get()) {
                MemorySegment e = shared.get(r.nextInt(shared.size()));
                switch (r.nextInt(5)) {
                    case 0 -> KeSetEvent(e, 0, false);
                    case 1 -> KePulseEvent(e, 0, false);
                    case 2 -> KeResetEvent(e);
                    default -> {
                        timeout.set(ValueLayout.JAVA_LONG, 0, -1_000L * r.nextInt(20));
                        int st = KeWaitForSingleObject(e, Executive, KernelMode, false, timeout);
                        if (st != NtStatus.STATUS_SUCCESS && st != NtStatus.STATUS_TIMEOUT) {
                            throw new AssertionError("timed wait on a shared event returned 0x" + Integer.toHexString(st));
                        }
                    }
                }
            }
        };
        Runnable faults = () -> {
            kernel.attach();
            while (!stop.get() && bugChecks.get() < 100 * SCALE) {
                try {
                    KeSetEvent(broken, 0, false);
                    throw new AssertionError("KeSetEvent on a wait list outside the address space returned");
                } catch (BugCheck expected) {
                    assertEquals(0x50, expected.code());
                    bugChecks.incrementAndGet();
                }
                assertEquals(0, Dispatcher.signalState(broken, 0), "the refused set left the event unsignalled");
            }
        };
        List<Runnable> bodies = new ArrayList<>();
        AtomicInteger finished = new AtomicInteger();
        for (int t = 0; t < 2; t++) {
            Runnable pairs = pairs(31 + t, rounds, done, failure);
            bodies.add(() -> {
                try {
                    pairs.run();
                } finally {
                    if (finished.incrementAndGet() == 2) {
                        stop.set(true);
                    }
                }
            });
        }
        bodies.add(noise);
        bodies.add(faults);
        runThreads(bodies);
        if (failure.get() != null) {
            throw new AssertionError("a partner failed: " + failure.get(), failure.get());
        }
        assertEquals(2 * rounds, done.get());
        assertTrue(bugChecks.get() > 0, "no bug check was raised under the dispatcher lock");
        assertEquals(bugChecks.get(), fromCallbacks.get(), "every bug check ran its callback, whose dispatcher call returned");
        assertEquals(0, Dispatcher.waitingThreads(), "no wait left registered");
        broken.set(ValueLayout.JAVA_LONG, 8, broken.address() + 8);
        broken.set(ValueLayout.JAVA_LONG, 16, broken.address() + 8);
    }
}
