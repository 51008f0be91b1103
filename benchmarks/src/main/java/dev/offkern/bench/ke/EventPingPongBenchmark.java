package dev.offkern.bench.ke;

import static dev.offkern.ddi.Ke.Executive;
import static dev.offkern.ddi.Ke.KeInitializeEvent;
import static dev.offkern.ddi.Ke.KeSetEvent;
import static dev.offkern.ddi.Ke.KeWaitForSingleObject;
import static dev.offkern.ddi.Ke.KernelMode;
import static dev.offkern.ddi.Ke.SynchronizationEvent;

import dev.offkern.nt.NtStatus;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Set-to-wake latency: a ping-pong between two threads. {@code keEvent}: ping sets event A and
 * waits on B, pong waits on A and sets B (SynchronizationEvents, KeSetEvent/KeWaitForSingleObject).
 * {@code unpark}: the same hand-off with a volatile turn flag and {@link LockSupport#unpark}/park,
 * the JDK floor. The score is one round trip (two hand-offs); each ping also records its round trip
 * in an HdrHistogram whose p50/p99/p99.9 are printed at the end of every iteration.
 *
 * <p>Waits use a 10 ms timeout so that neither side hangs when JMH stops the other at the end of
 * an iteration; a timed-out round is not recorded.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EventPingPongBenchmark {
    private static final long TIMEOUT_NANOS = 10_000_000L;

    private Arena arena;
    private MemorySegment timeout;
    private MemorySegment eventA;
    private MemorySegment eventB;
    private final Histogram eventHistogram = new Histogram(TimeUnit.SECONDS.toNanos(1), 2);
    private final Histogram unparkHistogram = new Histogram(TimeUnit.SECONDS.toNanos(1), 2);

    private volatile int turn; // unpark baseline: 1 = pong's turn, 2 = ping's turn
    private volatile Thread pingThread;
    private volatile Thread pongThread;

    @Setup(Level.Trial)
    public void setUp(SharedKernel k) {
        arena = Arena.ofShared();
        timeout = arena.allocate(8, 8);
        timeout.set(ValueLayout.JAVA_LONG, 0, -TIMEOUT_NANOS / 100); // relative, 100 ns units
        eventA = k.block(0x18);
        eventB = k.block(0x18);
        KeInitializeEvent(eventA, SynchronizationEvent, false);
        KeInitializeEvent(eventB, SynchronizationEvent, false);
    }

    @TearDown(Level.Iteration)
    public void report() {
        print("keEvent", eventHistogram);
        print("unpark ", unparkHistogram);
        eventHistogram.reset();
        unparkHistogram.reset();
    }

    private static void print(String name, Histogram h) {
        if (h.getTotalCount() > 0) {
            System.out.printf("%n  %s round trip: p50 %d ns, p99 %d ns, p99.9 %d ns (%d samples)%n", name,
                    h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getTotalCount());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @Group("keEvent")
    @GroupThreads(1)
    public int keEventPing() {
        long t0 = System.nanoTime();
        KeSetEvent(eventA, 0, false);
        int st = KeWaitForSingleObject(eventB, Executive, KernelMode, false, timeout);
        if (st == NtStatus.STATUS_SUCCESS) {
            eventHistogram.recordValue(Math.min(System.nanoTime() - t0, TimeUnit.SECONDS.toNanos(1)));
        }
        return st;
    }

    @Benchmark
    @Group("keEvent")
    @GroupThreads(1)
    public int keEventPong() {
        int st = KeWaitForSingleObject(eventA, Executive, KernelMode, false, timeout);
        if (st == NtStatus.STATUS_SUCCESS) {
            KeSetEvent(eventB, 0, false);
        }
        return st;
    }

    @Benchmark
    @Group("unpark")
    @GroupThreads(1)
    public int unparkPing() {
        if (pingThread == null) {
            pingThread = Thread.currentThread();
        }
        long t0 = System.nanoTime();
        turn = 1;
        Thread pong = pongThread;
        if (pong != null) {
            LockSupport.unpark(pong);
        }
        if (await(2, t0)) {
            unparkHistogram.recordValue(Math.min(System.nanoTime() - t0, TimeUnit.SECONDS.toNanos(1)));
            return 1;
        }
        return 0;
    }

    @Benchmark
    @Group("unpark")
    @GroupThreads(1)
    public int unparkPong() {
        if (pongThread == null) {
            pongThread = Thread.currentThread();
        }
        if (!await(1, System.nanoTime())) {
            return 0;
        }
        turn = 2;
        Thread ping = pingThread;
        if (ping != null) {
            LockSupport.unpark(ping);
        }
        return 1;
    }

    /** Waits (short spin, then park) until turn == want or the timeout passes. */
    private boolean await(int want, long t0) {
        int spins = 0;
        while (turn != want) {
            if (spins++ < 64) {
                Thread.onSpinWait();
                continue;
            }
            long left = TIMEOUT_NANOS - (System.nanoTime() - t0);
            if (left <= 0) {
                return false;
            }
            LockSupport.parkNanos(this, left);
        }
        return true;
    }
}
