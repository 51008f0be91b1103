package dev.offkern.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where each nanosecond of a benchmark goes: async-profiler's CPU samples of one JMH run, grouped by
 * what the sampled code does and scaled by the run's own score.
 *
 * <p>Input: a directory written by {@code benchmarks/profile.sh} — JMH's {@code jmh.json} and, per
 * benchmark, the {@code collapsed-*.csv} of JMH's async profiler (one line per distinct stack,
 * frames root first and {@code ;}-separated, then the sample count; inlined Java frames are frames
 * of their own). Only stacks that pass through the benchmark's generated {@code _jmhStub} are the
 * measured loop; the rest (compiler threads, JMH's infrastructure) are dropped. Each kept sample is
 * charged to its leaf frame (self time), and the leaf is put into the first {@link #CATEGORIES} entry
 * whose pattern it matches; the table gives each category's share and that share of the benchmark's
 * score in ns/op, and the ten leaf frames with most samples. With interval-timer sampling (no PMU
 * on these machines) a sample lands on the instruction after a stall, so a chain of dependent loads
 * is charged to the frame that uses the last of them; the categories are coarse for that reason.
 *
 * <p>Usage: {@code ProfileSummary DIR} (markdown on standard output, also written to
 * {@code DIR/profile.md}).
 */
public final class ProfileSummary {

    /** A named group of leaf frames; the first whose pattern finds a match in the frame wins. */
    record Category(String name, Pattern frame) {
        Category(String name, String regex) {
            this(name, Pattern.compile(regex));
        }
    }

    /** The groups, most specific first (a name may appear twice: its samples are summed). */
    static final List<Category> CATEGORIES = List.of(
            new Category("calling thread's kernel and state (Kernel.current, ThreadState.current, run state)",
                    "ThreadState\\.current|CallerTable|isRunningFast|KernelCore\\.isClosed|Kernel\\.current|KernelCore\\.resolve|callerPools|ThreadPools|^java\\.lang\\.ThreadLocal|refersTo"),
            // the frames the JIT leaves around a critical downcall (the handle is loaded just before the call)
            new Category("native shim (C code, downcall stubs and transitions)", "GranuleTable\\.handle|AddressSpace\\.granules"),
            new Category("address space: resolve a pointer read from memory",
                    "AddressSpace|RegionTable|Region\\.|resolve[A-Z]|\\.resolve$|holdsList|MemoRegion"),
            new Category("FFM segment checks (bounds, liveness, alignment, read-only)",
                    "checkBounds|checkValidState|isAlignedForElement|checkSegment|checkReadOnly|checkAccess|checkIndex|sessionImpl|unsafeGetOffset|unsafeGetBase|Preconditions|checkArraySize|checkAlign"),
            new Category("interlocked instructions (CAS, exchange, add) and release stores",
                    "compareAndSet|compareAndExchange|getAndSet|getAndAdd|getAndBitwise|putLongRelease|putIntRelease|putShortRelease|putByteRelease|Release(Internal)?$|Volatile(Internal)?$"),
            new Category("native shim (C code, downcall stubs and transitions)",
                    "^offkern_|libofkshim|shim_|^ThreadStateTransition|^JavaFrameAnchor|downcall|Downcall|NativeEntryPoint|nep_|^\\[unknown\\]|^__memset|^__memcpy"),
            new Category("C library (malloc, free, calloc)",
                    "malloc|^free|^_int_free|^__libc_|calloc|^_int_malloc|^tcache|^cfree|memset"),
            new Category("JMH harness (loop, Blackhole)",
                    "jmh_generated|Blackhole|org\\.openjdk\\.jmh"),
            new Category("offkern: the routine's own work", "dev\\.offkern\\.runtime"),
            new Category("benchmark body", "dev\\.offkern\\.bench"),
            new Category("JDK (other)", "^(java|jdk|sun)\\."),
            new Category("other native / VM", ".*"));

    private ProfileSummary() {}

    /** One benchmark: its score and samples per category and per leaf frame. */
    record Profile(String benchmark, double score, String unit, Map<String, Long> byCategory, Map<String, Long> byLeaf, long total) {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ProfileSummary DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Map<String, JsonNode> metrics = metrics(dir.resolve("jmh.json"));
        List<Profile> profiles = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path csv : files.filter(p -> p.getFileName().toString().startsWith("collapsed-")).sorted().toList()) {
                // JMH's async profiler names the directory <benchmark>-<mode>[-<param>-<value>]...
                String bench = csv.getParent().getFileName().toString()
                        .replaceFirst("-(AverageTime|Throughput|SampleTime|SingleShotTime)", "");
                JsonNode m = metrics.get(bench);
                profiles.add(profile(bench, m == null ? Double.NaN : m.get("score").asDouble(),
                        m == null ? "?" : m.get("scoreUnit").asText(), Files.readAllLines(csv)));
            }
        }
        String md = render(profiles);
        System.out.print(md);
        Files.writeString(dir.resolve("profile.md"), md);
    }

    static Profile profile(String bench, double score, String unit, List<String> lines) {
        String method = bench.substring(bench.lastIndexOf('.') + 1).replaceFirst("-.*", "");
        Map<String, Long> byCategory = new LinkedHashMap<>();
        for (Category c : CATEGORIES) {
            byCategory.put(c.name(), 0L);
        }
        Map<String, Long> byLeaf = new HashMap<>();
        long total = 0;
        for (String line : lines) {
            int sp = line.lastIndexOf(' ');
            if (sp < 0) {
                continue;
            }
            String stack = line.substring(0, sp);
            if (!stack.contains(method + "_") || !stack.contains("_jmhStub")) {
                continue; // not the measured loop (JMH's own threads, the compiler, GC)
            }
            long n = Long.parseLong(line.substring(sp + 1).trim());
            String leaf = stack.substring(stack.lastIndexOf(';') + 1).replace('/', '.');
            byLeaf.merge(leaf, n, Long::sum);
            byCategory.merge(categorise(leaf).name(), n, Long::sum);
            total += n;
        }
        return new Profile(bench, score, unit, byCategory, byLeaf, total);
    }

    static Category categorise(String leaf) {
        for (Category c : CATEGORIES) {
            if (c.frame().matcher(leaf).find()) {
                return c;
            }
        }
        throw new AssertionError("the last category matches everything");
    }

    static String render(List<Profile> profiles) {
        StringBuilder sb = new StringBuilder();
        for (Profile p : profiles) {
            sb.append("### ").append(p.benchmark()).append(String.format(Locale.ROOT, " — %.2f %s, %d samples in the measured loop%n%n",
                    p.score(), p.unit(), p.total()));
            sb.append("| where | share | ns/op |\n|---|---|---|\n");
            for (Map.Entry<String, Long> e : p.byCategory().entrySet()) {
                if (e.getValue() == 0) {
                    continue;
                }
                double share = p.total() == 0 ? 0 : (double) e.getValue() / p.total();
                sb.append(String.format(Locale.ROOT, "| %s | %.1f%% | %.2f |%n", e.getKey(), 100 * share, share * p.score()));
            }
            sb.append("\nTop leaf frames: ");
            List<Map.Entry<String, Long>> leaves = new ArrayList<>(p.byLeaf().entrySet());
            leaves.sort(Map.Entry.<String, Long>comparingByValue().reversed());
            List<String> top = new ArrayList<>();
            for (Map.Entry<String, Long> e : leaves.subList(0, Math.min(10, leaves.size()))) {
                top.add(String.format(Locale.ROOT, "`%s` %.1f%%", shortName(e.getKey()), 100.0 * e.getValue() / Math.max(1, p.total())));
            }
            sb.append(String.join(", ", top)).append("\n\n");
        }
        return sb.toString();
    }

    private static String shortName(String frame) {
        String f = frame.replaceAll("_\\[[a-z0-9]\\]$", "");
        int dot = f.lastIndexOf('.');
        int prev = dot > 0 ? f.lastIndexOf('.', dot - 1) : -1;
        return prev >= 0 ? f.substring(prev + 1) : f;
    }

    /** Each benchmark's primary metric (score and unit) from JMH's result file, by benchmark name. */
    private static Map<String, JsonNode> metrics(Path jmhJson) throws IOException {
        Map<String, JsonNode> out = new HashMap<>();
        if (Files.exists(jmhJson)) {
            for (JsonNode run : new ObjectMapper().readTree(jmhJson.toFile())) {
                StringBuilder key = new StringBuilder(run.get("benchmark").asText());
                JsonNode params = run.get("params");
                if (params != null) {
                    params.fields().forEachRemaining(e -> key.append('-').append(e.getKey()).append('-').append(e.getValue().asText()));
                }
                out.put(key.toString(), run.get("primaryMetric"));
            }
        }
        return out;
    }
}
