package dev.offkern.bench.pool;

import dev.offkern.bench.peers.NativeMalloc;
import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.pool.Pool;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How the pool's alloc+free throughput grows with threads and with the number of live tags: each
 * thread first allocates one 64-byte block under each of {@code tags} tags of its own and keeps them
 * live (so that many tags are in use, as poolmon shows them), then every operation allocates and frees
 * a 64-byte uninitialized block under the next of those tags, round robin. Throughput (ops/µs, all
 * threads together): the 2-thread row over the 1-thread row is the scaling (the goal is ≥ 1.7x),
 * with glibc malloc/free (per-thread tcache) as the peer that scales. On 2 vCPUs shared with other
 * work, the 2-thread rows measure the machine as much as the allocator: compare within one run.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Doffkern.verifier=false"})
public class PoolScalingBenchmark {
    private static final int SIZE = 64;

    /** The kernel every thread allocates from. */
    @State(Scope.Benchmark)
    public static class Shared {
        Kernel kernel;
        Pool pool;
        final AtomicInteger threads = new AtomicInteger();
        /** Every thread's live blocks (address, tag), freed here before the kernel closes (JMH tears this state down first). */
        final ConcurrentLinkedQueue<long[]> live = new ConcurrentLinkedQueue<>();

        @Setup(Level.Trial)
        public void boot() {
            kernel = Kernel.boot();
            pool = kernel.nonPagedPool();
        }

        @TearDown(Level.Trial)
        public void shutdown() {
            long[] b;
            while ((b = live.poll()) != null) {
                pool.free(b[0], (int) b[1]);
            }
            kernel.close();
        }
    }

    /** One thread's tags and the blocks it keeps live under them. */
    @State(Scope.Thread)
    public static class Mine {
        @Param({"1", "100", "10000"})
        public int tags;
        int[] tag;
        int next;

        @Setup(Level.Trial)
        public void setUp(Shared shared) {
            int id = shared.threads.getAndIncrement();
            tag = new int[tags];
            for (int i = 0; i < tags; i++) {
                tag[i] = 'S' | (i + 1) << 8 | ('0' + id) << 24; // distinct per thread and index (i < 65535)
                shared.live.add(new long[] {shared.pool.allocate(SIZE, tag[i], PoolFlags.POOL_FLAG_UNINITIALIZED), tag[i]});
            }
        }

        int nextTag() {
            int i = next + 1;
            next = i == tag.length ? 0 : i;
            return tag[next];
        }
    }

    @Benchmark
    public long poolAllocFree(Shared s, Mine m) {
        int t = m.nextTag();
        long p = s.pool.allocate(SIZE, t, PoolFlags.POOL_FLAG_UNINITIALIZED);
        s.pool.free(p, t);
        return p;
    }

    @Benchmark
    @Threads(2)
    public long poolAllocFree_2t(Shared s, Mine m) {
        return poolAllocFree(s, m);
    }

    @Benchmark
    public long mallocFree(Mine m) {
        long p = NativeMalloc.malloc(SIZE);
        NativeMalloc.free(p);
        return p;
    }

    @Benchmark
    @Threads(2)
    public long mallocFree_2t(Mine m) {
        return mallocFree(m);
    }
}
