package dev.offkern.runtime.ex;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM running {@code main} of a test class with this JVM's class path and native access, for
 * tests whose failure mode is a JVM crash or a JVM-wide hang: either would otherwise take the whole
 * test fork (and every test after it) down instead of failing one test. A crash shows as the exit
 * status (134: killed by a signal) with the child's hs_err log appended to its output; a hang as a
 * failure after {@code timeout}, the child killed.
 *
 * @param exitStatus the child's exit status
 * @param output     its stdout and stderr, then its hs_err log if it crashed
 */
public record ChildJvm(int exitStatus, String output) {

    /** Runs {@code main} of class {@code main} with {@code args} in a child JVM. */
    public static ChildJvm run(Duration timeout, Class<?> main, String... args) throws IOException, InterruptedException {
        return run(timeout, List.of(), main, args);
    }

    /** As {@link #run(Duration, Class, String...)}, with extra JVM options (system properties) before the class. */
    public static ChildJvm run(Duration timeout, List<String> jvmOptions, Class<?> main, String... args)
            throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path errorFile = Files.createTempFile("offkern-child-hs_err", ".log");
        Path dumps = Files.createTempDirectory("offkern-child-dumps");
        List<String> command = new ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-XX:ErrorFile=" + errorFile,
                "-Doffkern.dump.dir=" + dumps));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath, main.getName()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("offkern-child-out", ".txt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        if (Files.size(errorFile) > 0) {
            output += "\n--- hs_err ---\n" + Files.readString(errorFile);
        }
        Files.deleteIfExists(out);
        Files.deleteIfExists(errorFile);
        if (!ended) {
            fail("child JVM " + main.getSimpleName() + " " + String.join(" ", args) + " did not end within " + timeout
                    + " (hung):\n" + output);
        }
        return new ChildJvm(p.exitValue(), output);
    }

    /** The first output line starting with one of {@code prefixes}, skipping anything else the child logged. */
    public String resultLine(String... prefixes) {
        for (String line : output.split("\\R")) {
            for (String prefix : prefixes) {
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
        }
        return fail("no result line from the child JVM:\n" + output);
    }
}
