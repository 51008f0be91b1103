package dev.offkern.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Turns a JMH result file ({@code -rf json}, ideally with {@code -prof gc}) into a summary JSON, a
 * markdown table and one PNG bar chart per benchmark class.
 *
 * <p>Rows are grouped by class, parameters and thread count; within a group every row gets a
 * <em>ratio</em>: its time per operation divided by its offkern row's. Which row that is comes from
 * {@code bench-baselines.properties} ({@code Class.method=offkernMethod} for one peer,
 * {@code Class=offkernMethod} for the whole class); unlisted classes use the first method whose
 * name starts with {@code offkern}, else the group's first row. So 1.00 is offkern, 2.00 means
 * the peer needs twice offkern's time, 0.50 half. Throughput scores are inverted first so the
 * ratio always reads the same way. The allocation column is JMH's {@code gc.alloc.rate.norm}.
 *
 * <p>Usage: {@code BenchReport <jmh-result.json> <out-dir> [machine description]}.
 */
public final class BenchReport {

    /** One benchmark result row. */
    record Row(String clazz, String method, String params, int threads, String mode, double score,
               double error, String unit, double allocBytesPerOp, Map<String, Double> percentiles) {

        /** A row without latency percentiles (every mode but JMH's SampleTime). */
        Row(String clazz, String method, String params, int threads, String mode, double score, double error, String unit,
            double allocBytesPerOp) {
            this(clazz, method, params, threads, mode, score, error, unit, allocBytesPerOp, Map.of());
        }

        /** p50, p99, p99.9 and p100 as "p50=1.2 p99=3.4 ..." in the score's unit, or "-" without percentiles. */
        String percentileSummary() {
            if (percentiles.isEmpty()) {
                return "-";
            }
            StringBuilder sb = new StringBuilder();
            for (String p : List.of("50.0", "99.0", "99.9", "100.0")) {
                Double v = percentiles.get(p);
                if (v != null) {
                    sb.append(sb.isEmpty() ? "" : " ").append('p').append(p.replace(".0", "")).append('=')
                            .append(String.format(Locale.ROOT, "%.4g", v));
                }
            }
            return sb.toString();
        }

        String group() {
            return clazz + " " + params + " t=" + threads;
        }

        /** Seconds-like cost per op: lower is better whatever the mode. */
        double cost() {
            return mode.equals("thrpt") ? 1.0 / score : score;
        }

        boolean isOffkern() {
            return method.toLowerCase(Locale.ROOT).startsWith("offkern");
        }
    }

    private BenchReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: BenchReport <jmh-result.json> <out-dir> [machine description]");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true");
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        String machine = args.length > 2 ? args[2] : "";
        Files.createDirectories(out);
        List<Row> rows = read(in);
        Map<String, List<Row>> groups = group(rows);
        Files.writeString(out.resolve("results.md"), markdown(groups, machine));
        Files.writeString(out.resolve("results.json"), summaryJson(groups, machine));
        charts(groups, out);
        System.out.println("wrote " + out.resolve("results.md") + ", results.json and charts for " + rows.size() + " rows");
    }

    /**
     * JMH's {@code -rf json} output: an array of results. JMH writes {@code NaN} unquoted where a
     * value is undefined (the score error of a single iteration), so the reader accepts it.
     */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    static List<Row> read(Path file) throws IOException {
        return read(JSON.readTree(file.toFile()));
    }

    static List<Row> read(JsonNode results) {
        if (!results.isArray()) {
            throw new IllegalArgumentException("not a JMH result file: the top level is not an array");
        }
        List<Row> rows = new ArrayList<>();
        for (JsonNode m : results) {
            String bench = m.required("benchmark").asText();
            int lastDot = bench.lastIndexOf('.');
            String clazz = bench.substring(bench.lastIndexOf('.', lastDot - 1) + 1, lastDot);
            String method = bench.substring(lastDot + 1);
            Map<String, String> params = new TreeMap<>();
            m.path("params").properties().forEach(e -> params.put(e.getKey(), e.getValue().asText()));
            StringBuilder p = new StringBuilder();
            params.forEach((k, v) -> p.append(p.isEmpty() ? "" : ",").append(k).append('=').append(v));
            JsonNode primary = m.required("primaryMetric");
            double alloc = Double.NaN;
            for (Map.Entry<String, JsonNode> e : m.path("secondaryMetrics").properties()) {
                if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                    alloc = e.getValue().required("score").asDouble();
                }
            }
            Map<String, Double> percentiles = new TreeMap<>(); // SampleTime rows carry "scorePercentiles"
            primary.path("scorePercentiles").properties().forEach(e -> percentiles.put(e.getKey(), e.getValue().asDouble()));
            rows.add(new Row(clazz, method, p.toString(), m.required("threads").asInt(), m.required("mode").asText(),
                    primary.required("score").asDouble(), toDouble(primary.path("scoreError")),
                    primary.required("scoreUnit").asText(), alloc, Map.copyOf(percentiles)));
        }
        return rows;
    }

    private static double toDouble(JsonNode n) {
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    static Map<String, List<Row>> group(List<Row> rows) {
        Map<String, List<Row>> groups = new LinkedHashMap<>();
        for (Row r : rows) {
            groups.computeIfAbsent(r.group(), k -> new ArrayList<>()).add(r);
        }
        return groups;
    }

    private static final java.util.Properties BASELINES = loadBaselines();

    private static java.util.Properties loadBaselines() {
        java.util.Properties p = new java.util.Properties();
        try (var in = BenchReport.class.getResourceAsStream("/bench-baselines.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }

    /** The offkern row {@code row} is compared with, inside its group (itself if it is one). */
    static Row baseline(List<Row> group, Row row) {
        if (BASELINES.containsValue(row.method())) {
            return row;
        }
        String named = BASELINES.getProperty(row.clazz() + "." + row.method(), BASELINES.getProperty(row.clazz()));
        if (named != null) {
            for (Row r : group) {
                if (r.method().equals(named)) {
                    return r;
                }
            }
        }
        for (Row r : group) {
            if (r.isOffkern()) {
                return r;
            }
        }
        return group.get(0);
    }

    static String markdown(Map<String, List<Row>> groups, String machine) {
        StringBuilder sb = new StringBuilder();
        if (!machine.isEmpty()) {
            sb.append("Machine: ").append(machine).append("\n\n");
        }
        sb.append("| benchmark | params | threads | score | ± | unit | compared with | time ratio | alloc B/op | percentiles |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (List<Row> group : groups.values()) {
            for (Row r : group) {
                Row base = baseline(group, r);
                sb.append(String.format(Locale.ROOT, "| %s.%s | %s | %d | %.3f | %s | %s | %s | %.2fx | %s | %s |\n",
                        r.clazz(), r.method(), r.params().isEmpty() ? "-" : r.params(), r.threads(), r.score(),
                        Double.isNaN(r.error()) ? "-" : String.format(Locale.ROOT, "%.3f", r.error()), r.unit(),
                        base == r ? "(offkern)" : base.method(), r.cost() / base.cost(),
                        Double.isNaN(r.allocBytesPerOp()) ? "-" : String.format(Locale.ROOT, "%.1f", r.allocBytesPerOp()),
                        r.percentileSummary()));
            }
        }
        return sb.toString();
    }

    static String summaryJson(Map<String, List<Row>> groups, String machine) {
        StringBuilder sb = new StringBuilder("{\"machine\": ").append(quote(machine)).append(", \"rows\": [");
        boolean first = true;
        for (List<Row> group : groups.values()) {
            for (Row r : group) {
                Row base = baseline(group, r);
                sb.append(first ? "\n" : ",\n");
                first = false;
                sb.append(String.format(Locale.ROOT,
                        "  {\"class\": %s, \"method\": %s, \"params\": %s, \"threads\": %d, \"mode\": %s, \"score\": %s,"
                                + " \"error\": %s, \"unit\": %s, \"ratioVsOffkern\": %s, \"baseline\": %s, \"allocBytesPerOp\": %s,"
                                + " \"percentiles\": %s}",
                        quote(r.clazz()), quote(r.method()), quote(r.params()), r.threads(), quote(r.mode()), num(r.score()),
                        num(r.error()), quote(r.unit()), num(r.cost() / base.cost()), quote(base.method()),
                        num(r.allocBytesPerOp()), percentilesJson(r)));
            }
        }
        return sb.append("\n]}\n").toString();
    }

    /** The row's percentiles as a JSON object ({@code {"50.0": 1.2, ...}}, empty without). */
    private static String percentilesJson(Row r) {
        StringBuilder sb = new StringBuilder("{");
        new TreeMap<>(r.percentiles()).forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(quote(k)).append(": ").append(num(v)));
        return sb.append('}').toString();
    }

    private static String num(double d) {
        return Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "null";
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a string as JSON", e);
        }
    }

    /**
     * One PNG per group (class, parameters, threads): one question per chart, e.g. "SLIST push+pop,
     * 1 thread". Each bar is a method's absolute time per operation (the score in its unit; a
     * throughput is shown as its inverse, time per op) with JMH's 99.9% error as an error bar.
     * offkern's bars are orange, the peers' blue and grey; the y axis is logarithmic where the values span more than a decade. Groups are charted
     * separately because their methods differ (1-thread and 2-thread variants are distinct JMH
     * methods), and a category chart must not mix them.
     */
    static void charts(Map<String, List<Row>> groups, Path out) throws IOException {
        for (List<Row> g : groups.values()) {
            Row first = g.get(0);
            String suffix = (first.params().isEmpty() ? "" : "_" + first.params().replaceAll("[^A-Za-z0-9=]+", "_"))
                    + "_t" + first.threads();
            BitmapEncoder.saveBitmap(chart(g), out.resolve(first.clazz() + suffix).toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    /** offkern's bar colour, and the peers' (cycled): offkern stands apart at a glance. */
    private static final java.awt.Color[] OFFKERN_COLOURS = {new java.awt.Color(0xD9, 0x5F, 0x02), new java.awt.Color(0xF2, 0x9E, 0x4C),
        new java.awt.Color(0xA3, 0x47, 0x02)};
    private static final java.awt.Color[] PEER_COLOURS = {new java.awt.Color(0x4C, 0x72, 0xB0), new java.awt.Color(0x8C, 0xA6, 0xCF),
        new java.awt.Color(0x55, 0x55, 0x55), new java.awt.Color(0x9E, 0x9E, 0x9E), new java.awt.Color(0x2F, 0x4B, 0x7C)};

    /**
     * The chart of one group (see {@link #charts}): one series per method (so each bar carries its
     * own error bar and legend entry) over one shared category, offkern's series (its baseline row
     * and every {@code offkern*} method) in oranges, the peers in blues and greys.
     */
    static CategoryChart chart(List<Row> g) {
        Row first = g.get(0);
        String unit = timeUnit(first);
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(520)
                .title(first.clazz() + (first.params().isEmpty() ? "" : " " + first.params()) + ", " + first.threads()
                        + (first.threads() == 1 ? " thread" : " threads"))
                .xAxisTitle("").yAxisTitle("time per op, " + unit + " (lower is better; bars: 99.9% error)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setErrorBarsColor(java.awt.Color.BLACK);
        String category = first.params().isEmpty() ? first.clazz() : first.params(); // the one shared slot (never empty)
        double min = Double.MAX_VALUE;
        double max = 0;
        for (Row r : g) {
            double cost = timePerOp(r);
            if (cost > 0) {
                min = Math.min(min, cost);
                max = Math.max(max, cost);
            }
        }
        boolean log = max > 0 && max / min > 10;
        List<java.awt.Color> colours = new ArrayList<>();
        int peer = 0;
        int ours = 0;
        for (Row r : g) {
            double cost = timePerOp(r);
            double err = errorOfTimePerOp(r);
            boolean offkern = baseline(g, r) == r || r.isOffkern();
            colours.add(offkern ? OFFKERN_COLOURS[ours++ % OFFKERN_COLOURS.length] : PEER_COLOURS[peer++ % PEER_COLOURS.length]);
            String name = (offkern ? "offkern: " : "") + r.method();
            if (log) {
                // XChart draws error bars wrongly on a log axis: the error goes into the legend instead
                chart.addSeries(String.format(Locale.ROOT, "%s  %.4g ± %.2g", name, cost, err), List.of(category), List.of(cost));
            } else {
                chart.addSeries(name, List.of(category), List.of(cost), List.of(err));
            }
        }
        if (log) {
            chart.setYAxisTitle("time per op, " + unit + ", log scale (lower is better; legend: score ± 99.9% error)");
        }
        chart.getStyler().setSeriesColors(colours.toArray(java.awt.Color[]::new));
        chart.getStyler().setYAxisLogarithmic(log);
        if (log) {
            chart.getStyler().setYAxisMin(min * 0.05); // bars start at the axis floor, not at zero
        }
        return chart;
    }

    /** The time unit a row's bar is drawn in: the score's unit, or its inverse for a throughput. */
    static String timeUnit(Row r) {
        if (!r.mode().equals("thrpt")) {
            return r.unit().replace("/op", "");
        }
        int slash = r.unit().indexOf('/');
        return slash < 0 ? r.unit() : r.unit().substring(slash + 1);
    }

    /** A row's time per operation in {@link #timeUnit}: the score, or 1/score for a throughput. */
    static double timePerOp(Row r) {
        return r.mode().equals("thrpt") ? 1.0 / r.score() : r.score();
    }

    /** The error of {@link #timePerOp} (0 if JMH gave none): for 1/x, error/x^2 to first order. */
    static double errorOfTimePerOp(Row r) {
        if (Double.isNaN(r.error())) {
            return 0;
        }
        return r.mode().equals("thrpt") ? r.error() / (r.score() * r.score()) : r.error();
    }
}
