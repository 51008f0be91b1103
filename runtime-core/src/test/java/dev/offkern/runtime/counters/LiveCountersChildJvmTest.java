package dev.offkern.runtime.counters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kernel in a second JVM ({@link CountersChild}: this JVM's java binary, the test class path)
 * publishes live counters; this JVM attaches to its counters directory the way {@code offkern stat}
 * does ({@link CountersDirectory#scan}, {@link CountersFile#open}) and sees the child's tag counts
 * change; the file is marked CLOSED and removed when the child closes its kernel; a child killed
 * without closing leaves a file that reads as STALE.
 */
class LiveCountersChildJvmTest {
    private static final int TAG = PoolTags.tag("Chld");
    private static final int BLOCKS = 37;

    @TempDir
    Path dir;

    /** A running child with its pipes. */
    private record Child(Process process, BufferedReader out, PrintWriter in) {
        String expectLine(String prefix) throws IOException {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            return fail("the child ended without printing '" + prefix + "'");
        }

        void send(String command) {
            in.println(command);
            in.flush();
        }
    }

    private Child start() throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Doffkern.dump.dir=" + dir.resolve("dumps"),
                "-cp", classPath, CountersChild.class.getName(), dir.resolve("counters").toString(), String.valueOf(BLOCKS))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new Child(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)),
                new PrintWriter(p.getOutputStream(), false, StandardCharsets.UTF_8));
    }

    /** Reads the directory until {@code until} holds for its only snapshot (10 s at most: a hang, not a timing assertion). */
    private CountersSnapshot awaitOnly(Predicate<CountersSnapshot> until) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<CountersSnapshot> last = List.of();
        while (System.nanoTime() < deadline) {
            last = CountersDirectory.scan(dir.resolve("counters"));
            if (last.size() == 1 && until.test(last.get(0))) {
                return last.get(0);
            }
            Thread.sleep(20);
        }
        return fail("the counters never showed what was expected; last read: " + last);
    }

    @Test
    void shouldShowASecondJvmsLiveTagCountsAndRemoveTheFileWhenItsKernelCloses() throws Exception {
        Child child = start();
        try {
            String[] ready = child.expectLine("ready ").split(" ");
            long pid = Long.parseLong(ready[1]);
            Path file = Path.of(ready[2]);
            assertEquals(child.process().pid(), pid);
            assertEquals(dir.resolve("counters").resolve(CountersDirectory.fileName(pid, 1)), file);

            // The child allocated everything before printing "ready", but a publish may have read the counters
            // mid-way: await every value asserted.
            CountersSnapshot s = awaitOnly(x -> x.value(CounterType.POOL_ALLOCS, TAG, PoolType.NonPagedPool) == BLOCKS
                    && x.value(CounterType.POOL_BYTES, TAG, PoolType.NonPagedPool) >= BLOCKS * 64L);
            assertEquals(CountersSnapshot.Status.RUNNING, s.status());
            assertEquals(pid, s.pid());
            assertEquals(0, s.value(CounterType.POOL_FREES, TAG, PoolType.NonPagedPool));
            assertTrue(s.value(CounterType.POOL_BYTES, TAG, PoolType.NonPagedPool) >= BLOCKS * 64L, s.toString());
            assertTrue(s.value(CounterType.POOL_MAPPED_BYTES, PoolType.NonPagedPool, 0) > 0, s.toString());
            assertTrue(s.description().contains(CountersChild.class.getName()), s.description());

            child.send("free");
            child.expectLine("freed");
            s = awaitOnly(x -> x.value(CounterType.POOL_FREES, TAG, PoolType.NonPagedPool) == BLOCKS
                    && x.value(CounterType.POOL_BYTES, TAG, PoolType.NonPagedPool) == 0);
            assertEquals(BLOCKS, s.value(CounterType.POOL_ALLOCS, TAG, PoolType.NonPagedPool));
            assertEquals(0, s.value(CounterType.POOL_BYTES, TAG, PoolType.NonPagedPool));

            try (CountersFile watched = CountersFile.open(file)) { // a watcher that has the file mapped
                child.send("close");
                child.expectLine("closed");
                assertTrue(child.process().waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, child.process().exitValue());
                assertFalse(Files.exists(file), "the file is removed when the kernel closes");
                CountersSnapshot last = CountersSnapshot.take(watched);
                assertEquals(CountersSnapshot.Status.CLOSED, last.status());
                assertEquals(BLOCKS, last.value(CounterType.POOL_FREES, TAG, PoolType.NonPagedPool), "its last values stay readable");
            }
            assertEquals(List.of(), CountersDirectory.scan(dir.resolve("counters")));
        } finally {
            child.process().destroyForcibly();
        }
    }

    @Test
    void shouldReportTheFileOfAKilledJvmAsStale() throws Exception {
        Child child = start();
        long pid;
        try {
            pid = Long.parseLong(child.expectLine("ready ").split(" ")[1]);
            awaitOnly(x -> x.value(CounterType.POOL_ALLOCS, TAG, PoolType.NonPagedPool) == BLOCKS);
        } finally {
            child.process().destroyForcibly();
        }
        assertTrue(child.process().waitFor(30, TimeUnit.SECONDS));
        CountersSnapshot s = awaitOnly(x -> true);
        assertEquals(CountersSnapshot.Status.STALE, s.status(), "the kernel never closed and pid " + pid + " is gone");
        assertEquals(pid, s.pid());
        assertEquals(BLOCKS, s.value(CounterType.POOL_ALLOCS, TAG, PoolType.NonPagedPool), "its last values are kept");
    }
}
