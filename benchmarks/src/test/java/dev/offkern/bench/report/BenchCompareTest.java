package dev.offkern.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BenchCompare matches rows across packages and says faster/slower only beyond the error bars. */
class BenchCompareTest {
    @TempDir
    Path dir;

    private static String row(String pkg, String method, double score, String error, String mode) {
        return """
                { "benchmark" : "dev.offkern.bench.%s.PoolAllocFreeBenchmark.%s", "mode" : "%s", "threads" : 1,
                  "params" : { "size" : "64" },
                  "primaryMetric" : { "score" : %s, "scoreError" : %s, "scoreUnit" : "ns/op" }, "secondaryMetrics" : { } }
                """.formatted(pkg, method, mode, score, error);
    }

    @Test
    void shouldCallAChangeBeyondBothErrorBarsFasterOrSlowerAndTheRestNoise() throws Exception {
        Path old = dir.resolve("old.json");
        Path now = dir.resolve("new");
        Files.createDirectories(now.resolve("stamp"));
        Files.writeString(old, "[" + row("", "a", 40, "1", "avgt").replace("bench..", "bench.") + ","
                + row("", "b", 10, "1", "avgt").replace("bench..", "bench.") + ","
                + row("", "c", 10, "5", "avgt").replace("bench..", "bench.") + ","
                + row("", "gone", 1, "NaN", "avgt").replace("bench..", "bench.") + "]");
        // the class moved into a package: still matched by its simple name
        Files.writeString(now.resolve("stamp/jmh.json"), "[" + row("pool", "a", 20, "1", "avgt") + ","
                + row("pool", "b", 20, "1", "avgt") + "," + row("pool", "c", 12, "5", "avgt") + ","
                + row("pool", "added", 1, "NaN", "avgt") + "]");
        Files.writeString(now.resolve("results.json"), "{ \"not\" : \"jmh\" }"); // skipped
        List<BenchReport.Row> before = BenchCompare.read(old);
        List<BenchReport.Row> after = BenchCompare.read(now);
        List<BenchCompare.Change> changes = BenchCompare.match(before, after);
        assertEquals(3, changes.size());
        assertEquals("faster", changes.get(0).verdict());
        assertEquals(2.0, changes.get(0).speedUp(), 1e-9);
        assertEquals("slower", changes.get(1).verdict());
        assertEquals(0.5, changes.get(1).speedUp(), 1e-9);
        assertEquals("same (noise)", changes.get(2).verdict());
        String md = BenchCompare.markdown("old", "new", before, after);
        assertTrue(md.contains("| PoolAllocFreeBenchmark.a[size=64] t=1 | ns/op | 40.00 ± 1.00 | 20.00 ± 1.00 | 2.00x | faster |"), md);
        assertTrue(md.contains("3 matched: 1 faster, 1 slower, 1 within the noise."), md);
        assertTrue(md.contains("Only in old: PoolAllocFreeBenchmark.gone[size=64] t=1"), md);
        assertTrue(md.contains("Only in new: PoolAllocFreeBenchmark.added[size=64] t=1"), md);
    }

    @Test
    void shouldReadThroughputSoThatHigherIsFaster() throws Exception {
        Path old = dir.resolve("o.json");
        Path now = dir.resolve("n.json");
        Files.writeString(old, "[" + row("x", "t", 1, "0.1", "thrpt") + "]");
        Files.writeString(now, "[" + row("x", "t", 3, "0.1", "thrpt") + "]");
        BenchCompare.Change c = BenchCompare.match(BenchCompare.read(old), BenchCompare.read(now)).get(0);
        assertEquals(3.0, c.speedUp(), 1e-9);
        assertEquals("faster", c.verdict());
    }

    @Test
    void shouldRefuseADirectoryWithoutJmhResultsAndAMissingPath() throws Exception {
        Files.writeString(dir.resolve("results.json"), "{}");
        assertThrows(IllegalArgumentException.class, () -> BenchCompare.read(dir));
        assertThrows(IllegalArgumentException.class, () -> BenchCompare.read(dir.resolve("missing")));
    }
}
