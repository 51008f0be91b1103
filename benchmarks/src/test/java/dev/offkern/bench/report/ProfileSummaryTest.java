package dev.offkern.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ProfileSummary keeps only the measured loop's samples, charges each to its leaf frame's category and
 * scales the shares by the run's own score, for plain and parameterised benchmarks alike.
 */
class ProfileSummaryTest {
    @TempDir
    Path dir;

    private static final String STUB = "dev/offkern/bench/ke/jmh_generated/SpinLockAcquireReleaseBenchmark_spinLock1_jmhTest."
            + "spinLock1_avgt_jmhStub";

    @Test
    void shouldGroupTheMeasuredLoopsSamplesByLeafAndScaleThemByTheScore() throws Exception {
        Path bench = dir.resolve("dev.offkern.bench.ke.SpinLockAcquireReleaseBenchmark.spinLock1-AverageTime");
        Files.createDirectories(bench);
        Files.writeString(bench.resolve("collapsed-ctimer.csv"), String.join("\n",
                "java/lang/Thread.run;" + STUB + ";dev/offkern/runtime/ke/ThreadState.current 50",
                "java/lang/Thread.run;" + STUB + ";jdk/internal/foreign/AbstractMemorySegmentImpl.checkBounds 20",
                "java/lang/Thread.run;" + STUB + ";jdk/internal/misc/ScopedMemoryAccess.compareAndSetLongInternal 20",
                "java/lang/Thread.run;" + STUB + ";dev/offkern/runtime/ke/KeSpinLock.acquireAtDpc 10",
                // not the measured loop: JMH's own thread and the compiler
                "org/openjdk/jmh/runner/ForkedMain.main;java/io/ObjectOutputStream.flush 500",
                "CompileBroker::compiler_thread_loop;C2Compiler::compile_method 300"));
        Files.writeString(dir.resolve("jmh.json"), """
                [ { "benchmark" : "dev.offkern.bench.ke.SpinLockAcquireReleaseBenchmark.spinLock1", "mode" : "avgt",
                    "primaryMetric" : { "score" : 10.0, "scoreError" : 1.0, "scoreUnit" : "ns/op" } } ]
                """);
        ProfileSummary.main(new String[] {dir.toString()});
        String md = Files.readString(dir.resolve("profile.md"));
        assertTrue(md.contains("SpinLockAcquireReleaseBenchmark.spinLock1 — 10.00 ns/op, 100 samples in the measured loop"), md);
        assertTrue(md.contains("| calling thread's kernel and state (Kernel.current, ThreadState.current, run state) | 50.0% | 5.00 |"), md);
        assertTrue(md.contains("| FFM segment checks (bounds, liveness, alignment, read-only) | 20.0% | 2.00 |"), md);
        assertTrue(md.contains("| interlocked instructions (CAS, exchange, add) and release stores | 20.0% | 2.00 |"), md);
        assertTrue(md.contains("| offkern: the routine's own work | 10.0% | 1.00 |"), md);
        assertTrue(md.contains("`ThreadState.current` 50.0%"), md);
    }

    @Test
    void shouldMatchAParameterisedBenchmarksDirectoryToItsRowAndKeepAPeersOwnMethodOutOfTheLookupGroup() {
        List<String> lines = List.of(
                "a;dev/offkern/bench/ke/jmh_generated/IrqlBenchmark_peerThreadLocalRaiseLower_jmhTest.peerThreadLocalRaiseLower_avgt_jmhStub;"
                        + "dev/offkern/bench/ke/IrqlBenchmark.peerThreadLocalRaiseLower 3",
                "a;dev/offkern/bench/ke/jmh_generated/IrqlBenchmark_peerThreadLocalRaiseLower_jmhTest.peerThreadLocalRaiseLower_avgt_jmhStub;"
                        + "java/lang/ThreadLocal$ThreadLocalMap.getEntry 1");
        ProfileSummary.Profile p = ProfileSummary.profile("dev.offkern.bench.ke.IrqlBenchmark.peerThreadLocalRaiseLower-size-64",
                4.0, "ns/op", lines);
        assertEquals(4, p.total());
        assertEquals(3L, p.byCategory().get("benchmark body"), "the benchmark's own method is its body, whatever its name");
        assertEquals(1L, p.byCategory().get("calling thread's kernel and state (Kernel.current, ThreadState.current, run state)"));
    }
}
