package dev.offkern.runtime.ex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression tests for issue 8 #1: each caller mistake that used to kill the JVM with SIGSEGV in
 * {@code offkern_slist_pop} is now bug check PAGE_FAULT_IN_NONPAGED_AREA (0x50) naming the bad
 * address, and the JVM carries on.
 *
 * <p>Each scenario ({@link SListCorruptionScenarios}) runs in a child JVM: if a regression made the
 * shim dereference the bad address again, the crash kills the child, and this test fails with the
 * child's exit status and output (hs_err included) instead of taking the whole surefire fork, and
 * every test after it, down with it.
 */
class ExSListCorruptionTest {

    @ParameterizedTest
    @ValueSource(strings = {"nextOverwrittenWhileListed", "uninitialisedHeader", "entryFreedWhileListed",
            "pushListFirstNotLinkedToLast", "lookasideBlockWrittenAfterFree"})
    void shouldRaisePageFaultBugCheckWithTheBadAddressAndSurvive(String scenario) throws Exception {
        Child child = Child.run(SListCorruptionScenarios.class, scenario);
        assertEquals(0, child.exitStatus, () -> "child JVM for " + scenario + " ended with status " + child.exitStatus
                + " (134 = crashed by a signal):\n" + child.output);
        String line = child.firstLine();
        long expected = SListCorruptionScenarios.expectedAddress(scenario);
        assertEquals(String.format(Locale.ROOT, "BUGCHECK 0x50 P1=0x%X EXPECTED_P1=0x%X", expected, expected), line,
                () -> child.output);
    }

    /** A child JVM running {@code main} of a test class, with this JVM's class path and native access. */
    record Child(int exitStatus, String output) {
        static Child run(Class<?> main, String... args) throws IOException, InterruptedException {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            Path errorFile = Files.createTempFile("offkern-child-hs_err", ".log");
            List<String> command = new ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-XX:ErrorFile=" + errorFile,
                    "-Doffkern.dump.dir=" + Files.createTempDirectory("offkern-child-dumps"), "-cp", classPath,
                    main.getName()));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out;
            try (var in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail("child JVM for " + String.join(" ", args) + " hung:\n" + new String(out, StandardCharsets.UTF_8));
            }
            String output = new String(out, StandardCharsets.UTF_8);
            if (Files.size(errorFile) > 0) {
                output += "\n--- hs_err ---\n" + Files.readString(errorFile);
            }
            Files.deleteIfExists(errorFile);
            return new Child(p.exitValue(), output);
        }

        /** The child's result line (BUGCHECK, NO BUGCHECK or EXCEPTION), skipping anything the kernel logged. */
        String firstLine() {
            for (String line : output.split("\\R")) {
                if (line.startsWith("BUGCHECK") || line.startsWith("NO BUGCHECK") || line.startsWith("EXCEPTION")) {
                    return line;
                }
            }
            return fail("no result line from the child JVM:\n" + output);
        }
    }
}
