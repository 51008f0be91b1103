package dev.offkern.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code offkern poolmon --attach} and {@code offkern stat --attach} watching a kernel in a second JVM
 * ({@link CountersChildMain}, started with this JVM's java binary and the test class path): the
 * child's tag and its counts appear, as text and as JSON; after the child closes its kernel there is
 * nothing to attach to; a killed child's file is shown as STALE with exit status 1.
 */
class LiveCountersAttachTest {
    private static final int BLOCKS = 25;

    @TempDir
    Path dir;

    private record Result(int status, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new Result(status, out.toString(), err.toString());
    }

    /** Runs the command until its output satisfies {@code until} (10 s at most: a hang guard). */
    private static Result runUntil(Predicate<Result> until, String... args) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Result r;
        do {
            r = run(args);
            if (until.test(r)) {
                return r;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return fail("never saw the expected output; last: " + r);
    }

    private record Child(Process process, BufferedReader out, PrintWriter in) {
        long awaitReady() throws IOException {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("ready ")) {
                    return Long.parseLong(line.substring(6).strip());
                }
            }
            return fail("the child ended before it was ready");
        }
    }

    private Child start() throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-cp", classPath,
                CountersChildMain.class.getName(), dir.toString(), String.valueOf(BLOCKS))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new Child(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)),
                new PrintWriter(p.getOutputStream(), false, StandardCharsets.UTF_8));
    }

    @Test
    void shouldShowASecondJvmsLiveCountersThroughPoolmonAndStat() throws Exception {
        Child child = start();
        try {
            long pid = child.awaitReady();
            Result poolmon = runUntil(r -> r.out().matches("(?s).*\\n CliT  Nonp\\s+" + BLOCKS + "\\s+0\\s+" + BLOCKS + "\\s+\\d+\\n.*"),
                    "poolmon", "--attach", dir.toString(), "--count", "1");
            assertEquals(0, poolmon.status(), poolmon.toString());
            assertTrue(poolmon.out().startsWith("kernel-" + pid + "-1.counters  pid " + pid + "  RUNNING"), poolmon.out());
            assertTrue(poolmon.out().contains(" Tag   Type       Allocs"), poolmon.out());
            assertEquals("", poolmon.err());

            Result json = run("stat", "--attach", dir.toString(), "--format", "json");
            assertEquals(0, json.status(), json.toString());
            assertEquals(1, json.out().strip().lines().count(), "one snapshot, one line: " + json.out());
            JsonNode root = JsonMapper.builder().build().readTree(json.out());
            assertEquals("RUNNING", root.get("status").asString());
            assertEquals(pid, root.get("pid").asLong());
            JsonNode tag = null;
            for (JsonNode t : root.get("tags")) {
                if (t.get("tag").asString().equals("CliT")) {
                    tag = t;
                }
            }
            assertTrue(tag != null, json.out());
            assertEquals(BLOCKS, tag.get("allocs").asLong());
            assertEquals(BLOCKS, tag.get("diff").asLong());
            assertTrue(root.get("pools").get(0).get("mappedBytes").asLong() > 0, json.out());
            assertTrue(root.get("dpc").size() > 0, json.out());
            assertEquals(0, root.get("bugChecks").get("raised").asLong());

            Result text = run("stat", "--attach", dir.toString(), "--count", "2", "--interval", "0.05");
            assertEquals(0, text.status(), text.toString());
            assertEquals(2, text.out().split("\\n\\n").length, "two frames: " + text.out());
            assertTrue(text.out().contains("lookaside") && text.out().contains("timers") && text.out().contains("bug checks"),
                    text.out());

            Result poolmonJson = run("poolmon", "--attach", dir.toString(), "--format", "json", "--sort", "tag");
            assertEquals(0, poolmonJson.status(), poolmonJson.toString());
            assertTrue(poolmonJson.out().contains("\"tag\":\"CliT\",\"pool\":\"Nonp\",\"allocs\":" + BLOCKS), poolmonJson.out());

            child.in().println("close");
            child.in().flush();
            assertTrue(child.process().waitFor(30, TimeUnit.SECONDS));
            Result gone = run("stat", "--attach", dir.toString());
            assertEquals(1, gone.status(), gone.toString());
            assertTrue(gone.err().startsWith("offkern stat: no offkern kernel publishes live counters in " + dir), gone.err());
            assertEquals(1, gone.err().strip().lines().count(), gone.err());
        } finally {
            child.process().destroyForcibly();
        }
    }

    @Test
    void shouldShowAKilledJvmsFileAsStale() throws Exception {
        Child child = start();
        long pid;
        try {
            pid = child.awaitReady();
            runUntil(r -> r.out().contains("CliT"), "poolmon", "--attach", dir.toString(), "--count", "1");
        } finally {
            child.process().destroyForcibly();
        }
        assertTrue(child.process().waitFor(30, TimeUnit.SECONDS));
        Result stale = run("stat", "--attach", dir.toString());
        assertEquals(1, stale.status(), stale.toString());
        assertTrue(stale.out().contains("pid " + pid + "  STALE"), stale.out());
        assertTrue(stale.err().contains("is stale: process " + pid + " is not running and never closed its kernel"), stale.err());
    }

    @Test
    void shouldRejectBadWatchOptionsWithOneLineAndExitCode2() {
        for (String[] args : new String[][] {
            {"stat", "--interval", "0"}, {"stat", "--format", "xml"}, {"stat", "--count", "0"},
            {"poolmon", "--attach", "x", "--interval", "-1"}}) {
            Result r = run(args);
            assertEquals(2, r.status(), String.join(" ", args) + ": " + r);
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        assertTrue(run("stat", "--format", "xml").err().contains("(valid formats: text, json)"));
    }

    @Test
    void shouldListTheKernelsWhenSeveralPublishInOneDirectoryAndAttachToOneFile() {
        var config = dev.offkern.runtime.KernelConfig.defaults().withProcessorCount(1)
                .withLiveCounters(dev.offkern.runtime.LiveCounters.in(dir));
        try (var a = dev.offkern.runtime.Kernel.boot(config); var b = dev.offkern.runtime.Kernel.boot(config)) {
            Result r = run("stat", "--attach", dir.toString(), "--count", "1");
            assertEquals(1, r.status(), r.toString());
            assertTrue(r.err().startsWith("offkern stat: 2 kernels publish live counters in " + dir + ": "), r.err());
            assertTrue(r.err().contains(a.liveCountersFile().getFileName().toString())
                    && r.err().contains(b.liveCountersFile().getFileName().toString()), r.err());
            assertTrue(r.err().strip().endsWith("attach one of the files"), r.err());

            Result one = run("stat", "--attach", b.liveCountersFile().toString(), "--count", "1");
            assertEquals(0, one.status(), one.toString());
            assertTrue(one.out().startsWith(b.liveCountersFile().getFileName() + "  pid " + ProcessHandle.current().pid()
                    + "  RUNNING"), one.out());
        }
    }

    @Test
    void shouldSayThereIsNothingToAttachToInAnEmptyDirectory() {
        Result r = run("poolmon", "--attach", dir.resolve("none").toString(), "--count", "1");
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.err().startsWith("offkern poolmon: no offkern kernel publishes live counters in "), r.err());
    }

    @Test
    void shouldPrintStatHelpWithItsExitStatuses() {
        Result r = run("stat", "--help");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("--attach") && r.out().contains("--interval") && r.out().contains("--count"), r.out());
        assertTrue(r.out().contains("nothing live to attach to") && r.out().contains("offkern stat --attach /dev/shm/myapp"), r.out());
    }
}
