package dev.offkern.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs the DDI fuzzer ({@link DdiFuzzer}) in a child JVM, so that a JVM crash or a hang is a test
 * failure with the seed to replay it, not the end of the build.
 *
 * <p>Properties: {@code offkern.fuzz.seconds} (default 30: the short run of every build) or
 * {@code offkern.fuzz.minutes} (the long run); {@code offkern.fuzz.seed} (default: random, printed);
 * {@code offkern.fuzz.threads} (default 2); {@code offkern.fuzz.epoch} and {@code offkern.fuzz.epochs}
 * (replay one epoch). A child runs at most {@link #EPOCHS_PER_CHILD} epochs; a longer run is a
 * series of children, epochs numbered on, so any epoch replays alone. The parent kills a child that outlives its budget by two minutes
 * (a hang), reads the {@code hs_err} file if the JVM crashed, and fails with the seed and the
 * replay command on any new finding. See docs/fuzzing.md.
 */
class DdiFuzzTest {

    private static final Pattern SUMMARY = Pattern.compile(
            "FUZZ-SUMMARY .*epochs=(\\d+) steps=(\\d+) .* routines=(\\d+)/(\\d+) .*findings=(\\d+) known=(\\d+)");

    /** Epochs one child JVM runs at most (a long run is a series of children, epochs numbered on). */
    static final int EPOCHS_PER_CHILD = 60;

    @Test
    void shouldFindNoCrashHangOrUndocumentedOutcomeInTheDdiSurface() throws Exception {
        long millis = budgetMillis();
        long seed = seed();
        int threads = Integer.getInteger("offkern.fuzz.threads", 2);
        int epoch = Integer.getInteger("offkern.fuzz.epoch", 0);
        long epochsLeft = Long.getLong("offkern.fuzz.epochs", Long.MAX_VALUE);
        Path work = Path.of("target", "fuzz", String.format(Locale.ROOT, "run-%x", seed)).toAbsolutePath();
        Files.createDirectories(work);
        String replay = String.format(Locale.ROOT, "replay: mvn -B -pl tests -am verify -Doffkern.jcstress.skip=true"
                + " -Dtest=DdiFuzzTest -Dsurefire.failIfNoSpecifiedTests=false -Doffkern.fuzz.seed=0x%x -Doffkern.fuzz.%s",
                seed, System.getProperty("offkern.fuzz.minutes") != null ? "minutes=" + System.getProperty("offkern.fuzz.minutes")
                        : "seconds=" + millis / 1000);
        System.out.println("DDI fuzzer: seed 0x" + Long.toHexString(seed) + ", " + millis / 1000 + " s, " + threads
                + " threads, output in " + work + "\n  " + replay);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        java.util.TreeSet<String> unexercised = null;
        long steps = 0;
        int child = 0;
        do {
            long left = Math.max(1000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            int epochs = (int) Math.min(EPOCHS_PER_CHILD, epochsLeft);
            Path log = work.resolve("child-" + child++ + ".log");
            String output = runChild(seed, left, threads, epoch, epochs, work, log, replay);
            Matcher m = SUMMARY.matcher(output);
            assertTrue(m.find(), "no FUZZ-SUMMARY line\n" + replay + "\n" + tail(log, 60));
            int ran = Integer.parseInt(m.group(1));
            steps += Long.parseLong(m.group(2));
            epoch += ran;
            epochsLeft -= ran;
            java.util.TreeSet<String> missing = new java.util.TreeSet<>();
            for (String line : output.split("\n")) {
                if (line.startsWith("FUZZ-UNEXERCISED ")) {
                    missing.addAll(List.of(line.substring("FUZZ-UNEXERCISED ".length()).trim().split(" ")));
                }
            }
            if (unexercised == null) {
                unexercised = missing;
            } else {
                unexercised.retainAll(missing);
            }
            if (ran == 0) {
                break;
            }
        } while (System.nanoTime() < deadline && epochsLeft > 0);
        System.out.println("DDI fuzzer: " + steps + " steps, epochs up to " + (epoch - 1) + ", " + child + " child JVM(s)");
        assertEquals(new java.util.TreeSet<String>(), unexercised,
                "routines no operation exercised in the whole run (FUZZ-UNEXERCISED)\n" + replay);
    }

    /** Runs one child JVM; fails the test on a crash, a hang or a new finding; returns its output. */
    private static String runChild(long seed, long millis, int threads, int firstEpoch, int epochs, Path work, Path log,
                                   String replay) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaExecutable());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("--add-opens");
        cmd.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        cmd.add("-Xss4m");
        cmd.add("-XX:-OmitStackTraceInFastThrow"); // every exception keeps its stack: the classifier reads it
        cmd.add("-Xmx768m");
        cmd.add("-XX:ErrorFile=" + work.resolve("hs_err_pid%p.log"));
        for (String forwarded : List.of("offkern.fuzz.trace", "offkern.fuzz.disable")) { // read by the child's DdiFuzzer
            String value = System.getProperty(forwarded);
            if (value != null) {
                cmd.add("-D" + forwarded + "=" + value);
            }
        }
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(FuzzMain.class.getName());
        cmd.add(String.format(Locale.ROOT, "0x%x", seed));
        cmd.add(Long.toString(millis));
        cmd.add(Integer.toString(threads));
        cmd.add(Integer.toString(firstEpoch));
        cmd.add(Integer.toString(epochs));
        cmd.add(work.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(millis + TimeUnit.MINUTES.toMillis(2), TimeUnit.MILLISECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            fail("HANG: the fuzzer's JVM outlived its budget by two minutes and was killed\n" + replay + "\n" + tail(log, 80));
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        for (String line : output.split("\n")) {
            if (line.startsWith("FUZZ-SUMMARY") || line.startsWith("FUZZ-KNOWN") || line.startsWith("FUZZ-DISABLED")
                    || line.startsWith("FUZZ-UNEXERCISED") || line.startsWith("FUZZ-FINDING-COUNT") || line.startsWith("FUZZ-WATCHDOG")) {
                System.out.println(line);
            }
        }
        int code = p.exitValue();
        if (code != 0 && code != 1 && code != 3) {
            fail("CRASH: the fuzzer's JVM died with exit code " + code + " (epochs from " + firstEpoch + ")\n" + replay + "\n"
                    + hsErr(work) + tail(log, 60));
        }
        if (code == 3) {
            fail("HANG (watchdog)\n" + replay + "\n" + findingsOf(output));
        }
        if (code == 1) {
            Matcher m = SUMMARY.matcher(output);
            fail("the DDI fuzzer found " + (m.find() ? m.group(5) : "?") + " new finding(s)\n" + replay + "\n" + findingsOf(output));
        }
        return output;
    }

    private static long budgetMillis() {
        String minutes = System.getProperty("offkern.fuzz.minutes");
        if (minutes != null && !minutes.isBlank()) {
            return TimeUnit.MINUTES.toMillis(Long.parseLong(minutes.trim()));
        }
        return TimeUnit.SECONDS.toMillis(Long.parseLong(System.getProperty("offkern.fuzz.seconds", "30").trim()));
    }

    private static long seed() {
        String s = System.getProperty("offkern.fuzz.seed");
        if (s == null || s.isBlank()) {
            return ThreadLocalRandom.current().nextLong();
        }
        s = s.trim();
        return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private static String findingsOf(String output) {
        StringBuilder sb = new StringBuilder();
        boolean in = false;
        for (String line : output.split("\n")) {
            if (line.startsWith("FUZZ-FINDING ")) {
                in = true;
            } else if (line.startsWith("FUZZ-")) {
                in = false;
            }
            if (in || line.startsWith("FUZZ-FINDING-COUNT") || line.startsWith("FUZZ-SUMMARY")) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }

    private static String tail(Path log, int lines) throws IOException {
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static String hsErr(Path work) throws IOException {
        try (Stream<Path> s = Files.list(work)) {
            for (Path p : s.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList()) {
                List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                return "hs_err (" + p + "):\n" + String.join("\n", lines.subList(0, Math.min(40, lines.size()))) + "\n";
            }
        }
        return "(no hs_err file in " + work + ")\n";
    }

    @SuppressWarnings("unused")
    private static String sep() {
        return File.separator;
    }
}
