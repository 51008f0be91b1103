package dev.offkern.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BenchReport reads JMH's JSON (NaN included) and compares each row with its offkern row. */
class BenchReportTest {
    @TempDir
    Path dir;

    /** Two rows of one group as JMH writes them: an offkern method and a peer, one with NaN error. */
    private static final String JMH = """
            [
              {
                "benchmark" : "dev.offkern.bench.pool.PoolAllocFreeBenchmark.poolAllocFree",
                "mode" : "avgt", "threads" : 1, "forks" : 1,
                "params" : { "size" : "64" },
                "primaryMetric" : { "score" : 15.0, "scoreError" : NaN, "scoreConfidence" : [ NaN, NaN ],
                                    "scoreUnit" : "ns/op" },
                "secondaryMetrics" : { "\\u00b7gc.alloc.rate.norm" : { "score" : 0.001, "scoreUnit" : "B/op" } }
              },
              {
                "benchmark" : "dev.offkern.bench.pool.PoolAllocFreeBenchmark.mallocFree",
                "mode" : "avgt", "threads" : 1, "forks" : 1,
                "params" : { "size" : "64" },
                "primaryMetric" : { "score" : 30.0, "scoreError" : 1.5, "scoreUnit" : "ns/op" },
                "secondaryMetrics" : { }
              }
            ]
            """;

    @Test
    void shouldReadJmhRowsIncludingNaNAndCompareThemWithTheOffkernRow() throws Exception {
        Path file = dir.resolve("jmh.json");
        Files.writeString(file, JMH);
        List<BenchReport.Row> rows = BenchReport.read(file);
        assertEquals(2, rows.size());
        BenchReport.Row offkern = rows.get(0);
        assertEquals("PoolAllocFreeBenchmark", offkern.clazz());
        assertEquals("size=64", offkern.params());
        assertTrue(Double.isNaN(offkern.error()));
        assertEquals(0.001, offkern.allocBytesPerOp());
        assertTrue(Double.isNaN(rows.get(1).allocBytesPerOp()));
        Map<String, List<BenchReport.Row>> groups = BenchReport.group(rows);
        String md = BenchReport.markdown(groups, "test machine");
        assertTrue(md.contains("| PoolAllocFreeBenchmark.poolAllocFree | size=64 | 1 | 15.000 | - | ns/op | (offkern) | 1.00x | 0.0 | - |"), md);
        assertTrue(md.contains("| PoolAllocFreeBenchmark.mallocFree | size=64 | 1 | 30.000 | 1.500 | ns/op | poolAllocFree | 2.00x | - | - |"), md);
        String json = BenchReport.summaryJson(groups, "a \"quoted\" machine");
        assertTrue(json.startsWith("{\"machine\": \"a \\\"quoted\\\" machine\", \"rows\": ["), json);
        assertTrue(json.contains("\"ratioVsOffkern\": 2.00000"), json);
    }

    @Test
    void shouldRefuseAFileThatIsNotAJmhResultArray() throws Exception {
        Path file = dir.resolve("other.json");
        Files.writeString(file, "{\"benchmark\": 1}");
        assertThrows(IllegalArgumentException.class, () -> BenchReport.read(file));
    }

    @Test
    void shouldChartAbsoluteTimesWithErrorBarsOffkernApartAndALogAxisOnlyWhenValuesSpanADecade() throws Exception {
        Path file = dir.resolve("jmh.json");
        Files.writeString(file, JMH);
        List<BenchReport.Row> rows = BenchReport.read(file);
        org.knowm.xchart.CategoryChart chart = BenchReport.chart(rows);
        assertEquals(List.of("offkern: poolAllocFree", "mallocFree"), List.copyOf(chart.getSeriesMap().keySet()));
        var offkern = chart.getSeriesMap().get("offkern: poolAllocFree");
        var peer = chart.getSeriesMap().get("mallocFree");
        assertEquals(List.of(15.0), List.copyOf(offkern.getYData()));
        assertEquals(List.of(0.0), List.copyOf(offkern.getExtraValues()), "JMH gave no error (NaN): no bar");
        assertEquals(List.of(30.0), List.copyOf(peer.getYData()));
        assertEquals(List.of(1.5), List.copyOf(peer.getExtraValues()));
        assertTrue(!chart.getStyler().getSeriesColors()[0].equals(chart.getStyler().getSeriesColors()[1]), "offkern coloured apart");
        assertTrue(!chart.getStyler().isYAxisLogarithmic(), "15 vs 30 ns is one decade: linear axis");
        List<BenchReport.Row> wide = List.of(rows.get(0), new BenchReport.Row("PoolAllocFreeBenchmark", "slowPeer", "size=64", 1,
                "avgt", 4000, 10, "ns/op", Double.NaN));
        assertTrue(BenchReport.chart(wide).getStyler().isYAxisLogarithmic(), "15 vs 4000 ns spans decades: log axis");
        BenchReport.charts(BenchReport.group(rows), dir);
        assertTrue(Files.size(dir.resolve("PoolAllocFreeBenchmark_size=64_t1.png")) > 0);
    }

    @Test
    void shouldDrawAThroughputAsTimePerOperation() {
        BenchReport.Row r = new BenchReport.Row("C", "offkernX", "", 1, "thrpt", 4, 0.4, "ops/us", Double.NaN);
        assertEquals("us", BenchReport.timeUnit(r));
        assertEquals(0.25, BenchReport.timePerOp(r), 1e-12);
        assertEquals(0.025, BenchReport.errorOfTimePerOp(r), 1e-12);
    }

    @Test
    void shouldCarrySampleTimePercentilesIntoTheTableAndTheSummaryJson() throws Exception {
        Path file = dir.resolve("sample.json");
        Files.writeString(file, """
                [ { "benchmark" : "dev.offkern.bench.ke.DpcLatencyBenchmark.dpcOtherProcessor", "mode" : "sample", "threads" : 1,
                    "primaryMetric" : { "score" : 7.5, "scoreError" : 0.5, "scoreUnit" : "us/op",
                      "scorePercentiles" : { "0.0" : 1.0, "50.0" : 6.6, "90.0" : 9.0, "99.0" : 24.1, "99.9" : 5169.0, "100.0" : 9000.0 } },
                    "secondaryMetrics" : { } } ]
                """);
        List<BenchReport.Row> rows = BenchReport.read(file);
        assertEquals("p50=6.600 p99=24.10 p99.9=5169 p100=9000", rows.get(0).percentileSummary());
        Map<String, List<BenchReport.Row>> groups = BenchReport.group(rows);
        assertTrue(BenchReport.markdown(groups, "").contains("| p50=6.600 p99=24.10 p99.9=5169 p100=9000 |"));
        String json = BenchReport.summaryJson(groups, "");
        assertTrue(json.contains("\"percentiles\": {\"0.0\": 1.00000, \"100.0\": 9000.00, \"50.0\": 6.60000,"), json);
    }
}
