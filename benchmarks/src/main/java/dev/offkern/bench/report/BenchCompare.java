package dev.offkern.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Per-benchmark change between two JMH result sets, so that a regression is visible in review.
 *
 * <p>Each side is a JMH {@code -rf json} file or a directory whose {@code *.json} files (searched
 * one level down too, e.g. {@code bench-results/<stamp>/jmh.json}) are JMH result arrays; files that
 * are not (a report's {@code results.json}) are skipped. Rows are matched by benchmark class
 * (simple name, so a class that moved package still matches), method, parameters and thread count.
 * For every match the report gives both scores with their 99.9% error, the speed-up
 * {@code old cost / new cost} (above 1: the new build is faster; throughput is inverted first) and a
 * verdict: {@code faster} or {@code slower} only where the two confidence intervals do not overlap,
 * else {@code same (noise)}. Rows found on one side only are listed after the table.
 *
 * <p>Usage: {@code BenchCompare OLD NEW} (markdown on standard output); exit status 0. The verdict
 * column is the only judgement it makes: it never fails a build, because these machines are noisy.
 */
public final class BenchCompare {

    /** One matched row: the same benchmark in the old and the new result set. */
    record Change(String key, BenchReport.Row before, BenchReport.Row after) {
        /** Old cost divided by new cost: above 1 the new build is faster. */
        double speedUp() {
            return before.cost() / after.cost();
        }

        /** faster / slower where the error intervals are apart, else "same (noise)". */
        String verdict() {
            double bLo = before.score() - err(before);
            double bHi = before.score() + err(before);
            double aLo = after.score() - err(after);
            double aHi = after.score() + err(after);
            if (aHi < bLo || aLo > bHi) {
                boolean lowerIsBetter = !before.mode().equals("thrpt");
                boolean newLower = aHi < bLo;
                return newLower == lowerIsBetter ? "faster" : "slower";
            }
            return "same (noise)";
        }

        private static double err(BenchReport.Row r) {
            return Double.isNaN(r.error()) ? 0 : r.error();
        }
    }

    private BenchCompare() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: BenchCompare OLD NEW   (each a JMH -rf json file or a directory of them)");
            System.exit(2);
        }
        Path old = Path.of(args[0]);
        Path now = Path.of(args[1]);
        System.out.print(markdown(args[0], args[1], read(old), read(now)));
    }

    /** Every JMH result row under {@code path} (a file, or a directory's JMH json files). */
    static List<BenchReport.Row> read(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException(path + ": no such file or directory");
        }
        if (!Files.isDirectory(path)) {
            return BenchReport.read(path);
        }
        List<BenchReport.Row> rows = new ArrayList<>();
        try (Stream<Path> files = Files.walk(path, 2)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                try {
                    rows.addAll(BenchReport.read(f));
                } catch (IllegalArgumentException | IOException notJmh) {
                    // a report's results.json or another file: not a JMH result array
                }
            }
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(path + ": no JMH result file (-rf json) in it");
        }
        return rows;
    }

    static String key(BenchReport.Row r) {
        return r.clazz() + "." + r.method() + (r.params().isEmpty() ? "" : "[" + r.params() + "]") + " t=" + r.threads();
    }

    /** Matches the rows of both sides; on duplicates within a side the last one wins. */
    static List<Change> match(List<BenchReport.Row> before, List<BenchReport.Row> after) {
        Map<String, BenchReport.Row> old = index(before);
        Map<String, BenchReport.Row> now = index(after);
        List<Change> changes = new ArrayList<>();
        old.forEach((k, b) -> {
            BenchReport.Row a = now.get(k);
            if (a != null && a.mode().equals(b.mode())) {
                changes.add(new Change(k, b, a));
            }
        });
        return changes;
    }

    private static Map<String, BenchReport.Row> index(List<BenchReport.Row> rows) {
        Map<String, BenchReport.Row> m = new LinkedHashMap<>();
        rows.forEach(r -> m.put(key(r), r));
        return m;
    }

    static String markdown(String oldName, String newName, List<BenchReport.Row> before, List<BenchReport.Row> after) {
        List<Change> changes = match(before, after);
        StringBuilder sb = new StringBuilder();
        sb.append("Old: ").append(oldName).append("  \nNew: ").append(newName).append("\n\n");
        sb.append("| benchmark | unit | old | new | speed-up (old/new cost) | verdict |\n|---|---|---|---|---|---|\n");
        int faster = 0;
        int slower = 0;
        for (Change c : changes) {
            String v = c.verdict();
            faster += v.equals("faster") ? 1 : 0;
            slower += v.equals("slower") ? 1 : 0;
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2fx | %s |%n", c.key(), c.after().unit(),
                    score(c.before()), score(c.after()), c.speedUp(), v));
        }
        sb.append(String.format(Locale.ROOT, "%n%d matched: %d faster, %d slower, %d within the noise.%n",
                changes.size(), faster, slower, changes.size() - faster - slower));
        List<String> onlyOld = new ArrayList<>(index(before).keySet());
        onlyOld.removeAll(index(after).keySet());
        List<String> onlyNew = new ArrayList<>(index(after).keySet());
        onlyNew.removeAll(index(before).keySet());
        if (!onlyOld.isEmpty()) {
            sb.append("Only in old: ").append(String.join(", ", onlyOld)).append('\n');
        }
        if (!onlyNew.isEmpty()) {
            sb.append("Only in new: ").append(String.join(", ", onlyNew)).append('\n');
        }
        return sb.toString();
    }

    private static String score(BenchReport.Row r) {
        return Double.isNaN(r.error()) ? String.format(Locale.ROOT, "%.2f", r.score())
                : String.format(Locale.ROOT, "%.2f ± %.2f", r.score(), r.error());
    }
}
