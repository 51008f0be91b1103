package dev.offkern.bench.ex;

import dev.offkern.bench.peers.NativeSListLoop;
import dev.offkern.bench.peers.TreiberStack;
import dev.offkern.ddi.Ex;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ex.ExSList;
import dev.offkern.runtime.mm.AddressSpace;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * One push+pop pair on a shared stack, 1 thread and 2 threads ({@code _2t} methods), every peer in
 * one class so that they run in one JVM on one machine:
 * <ul>
 *   <li>offkern x64 SLIST_HEADER, long tier ({@code ExSList.push(AddressSpace, long, long)}: two
 *       critical downcalls into the shim's cmpxchg16b, every dereference checked against the address
 *       space's granule table inside the call) and DDI tier ({@code InterlockedPushEntrySList} over
 *       MemorySegments: the same, plus a segment wrapper per pop);</li>
 *   <li>the x86-format research header ({@link SListX86}: 64-bit VarHandle CAS over one region);</li>
 *   <li>the native floor: the same pair in a C loop (the benchmark-only {@link NativeSListLoop}, no
 *       checks), {@value #BATCH} pairs per downcall, reported per pair;</li>
 *   <li>{@link ConcurrentLinkedDeque}, an {@code AtomicReference} Treiber stack (a node per push),
 *       Agrona's {@link ManyToManyConcurrentArrayQueue} (a queue: offer+poll).</li>
 * </ul>
 * Each thread pushes and pops its own entry, so the list holds at most one entry per thread.
 * Contended (_2t) figures measure cache-line transfer between the two vCPUs; compare them only
 * within one run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Doffkern.verifier=false"})
public class SListPushPopBenchmark {
    static final int BATCH = 1000;

    /** The shared stacks. */
    @State(Scope.Benchmark)
    public static class Shared {
        Kernel kernel;
        AddressSpace space;
        Arena arena;
        MemorySegment memory;
        long header;
        MemorySegment headerSegment;
        MemorySegment x86Region;
        final AtomicInteger slots = new AtomicInteger();
        final ConcurrentLinkedDeque<Object> deque = new ConcurrentLinkedDeque<>();
        final TreiberStack<Object> treiber = new TreiberStack<>();
        final ManyToManyConcurrentArrayQueue<Object> agrona = new ManyToManyConcurrentArrayQueue<>(64);

        @Setup(Level.Trial)
        public void setUp() {
            kernel = Kernel.boot();
            space = kernel.addressSpace();
            arena = Arena.ofShared();
            memory = arena.allocate(64 * 1024, 4096);
            kernel.addressSpace().register(memory, "SListPushPopBenchmark");
            headerSegment = memory.asSlice(0, 16);
            header = headerSegment.address();
            Ex.InitializeSListHead(headerSegment);
            x86Region = arena.allocate(64 * 1024, 4096);
            SListX86.initialize(x86Region, 0);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            kernel.close();
            arena.close();
        }
    }

    /** Each thread's own entry (on its own cache lines). */
    @State(Scope.Thread)
    public static class Mine {
        long entry;
        MemorySegment entrySegment;
        long x86Entry;
        final Object item = new Object();

        @Setup(Level.Trial)
        public void setUp(Shared shared) {
            shared.kernel.attach();
            int slot = shared.slots.getAndIncrement();
            long offset = 4096 + 256L * slot;
            entrySegment = shared.memory.asSlice(offset, 16);
            entry = entrySegment.address();
            x86Entry = offset;
        }
    }

    // ----- 1 thread -----

    @Benchmark
    public long offkernRaw(Shared s, Mine m) {
        ExSList.push(s.space, s.header, m.entry);
        return ExSList.pop(s.space, s.header);
    }

    @Benchmark
    public MemorySegment offkernDdi(Shared s, Mine m) {
        Ex.InterlockedPushEntrySList(s.headerSegment, m.entrySegment);
        return Ex.InterlockedPopEntrySList(s.headerSegment);
    }

    /**
     * The DDI with the popped entry kept local (only its address leaves): what a caller that uses the
     * entry and drops it costs, and whether the returned segments are scalar-replaced (gc.alloc.rate.norm).
     */
    @Benchmark
    public long offkernDdiLocal(Shared s, Mine m) {
        Ex.InterlockedPushEntrySList(s.headerSegment, m.entrySegment);
        return Ex.InterlockedPopEntrySList(s.headerSegment).address();
    }

    /**
     * The raw tier plus the DDI's address-space lookup on each call ({@code Kernel.current().addressSpace()}): with
     * {@link #offkernRawResolve}, what each of the DDI's additions to the raw tier costs in this harness.
     */
    @Benchmark
    public long offkernRawSpaceLookup(Shared s, Mine m) {
        ExSList.push(Kernel.current().addressSpace(), s.header, m.entry);
        return ExSList.pop(Kernel.current().addressSpace(), s.header);
    }

    /** The raw tier plus the popped entry resolved to a segment of its region, kept local, as the DDI returns it. */
    @Benchmark
    public long offkernRawResolve(Shared s, Mine m) {
        ExSList.push(s.space, s.header, m.entry);
        long popped = ExSList.pop(s.space, s.header);
        return popped == 0 ? 0 : s.space.resolve(popped, ExSList.ENTRY_SIZE).address();
    }

    @Benchmark
    public long x86Research(Shared s, Mine m) {
        SListX86.push(s.x86Region, 0, m.x86Entry);
        return SListX86.pop(s.x86Region, 0);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long nativeLoop(Shared s, Mine m) {
        return NativeSListLoop.pushPop(s.header, m.entry, BATCH);
    }

    /**
     * The per-call native floor: the same C push and pop as {@link #nativeLoop}, each behind its own critical
     * downcall, with no address check — what offkernRaw would cost if the shim checked nothing.
     */
    @Benchmark
    public long nativePerCall(Shared s, Mine m) {
        NativeSListLoop.push(s.header, m.entry);
        return NativeSListLoop.pop(s.header);
    }

    @Benchmark
    public Object concurrentLinkedDeque(Shared s, Mine m) {
        s.deque.push(m.item);
        return s.deque.pop();
    }

    @Benchmark
    public Object treiberStack(Shared s, Mine m) {
        s.treiber.push(m.item);
        return s.treiber.pop();
    }

    @Benchmark
    public Object agronaManyToManyQueue(Shared s, Mine m) {
        s.agrona.offer(m.item);
        return s.agrona.poll();
    }

    // ----- 2 threads on the same stack -----

    @Benchmark
    @Threads(2)
    public long offkernRaw_2t(Shared s, Mine m) {
        return offkernRaw(s, m);
    }

    @Benchmark
    @Threads(2)
    public MemorySegment offkernDdi_2t(Shared s, Mine m) {
        return offkernDdi(s, m);
    }

    @Benchmark
    @Threads(2)
    public long x86Research_2t(Shared s, Mine m) {
        return x86Research(s, m);
    }

    @Benchmark
    @Threads(2)
    @OperationsPerInvocation(BATCH)
    public long nativeLoop_2t(Shared s, Mine m) {
        return nativeLoop(s, m);
    }

    @Benchmark
    @Threads(2)
    public Object concurrentLinkedDeque_2t(Shared s, Mine m) {
        return concurrentLinkedDeque(s, m);
    }

    @Benchmark
    @Threads(2)
    public Object treiberStack_2t(Shared s, Mine m) {
        return treiberStack(s, m);
    }

    @Benchmark
    @Threads(2)
    public Object agronaManyToManyQueue_2t(Shared s, Mine m) {
        return agronaManyToManyQueue(s, m);
    }
}
