package dev.offkern.cli;

import dev.offkern.runtime.counters.CountersDirectory;
import dev.offkern.runtime.counters.CountersFile;
import dev.offkern.runtime.counters.CountersSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * What {@code stat} and {@code poolmon --attach} share: finding the counters file to watch from a
 * directory (or a file), then reading it every interval and handing each snapshot to a renderer until
 * the count is reached or the kernel closes.
 *
 * <p>Attaching to a directory: the one kernel whose file says RUNNING or HALTED and whose process is
 * alive; several such kernels are an error that lists them (attach one file); none but stale files
 * (their process died without closing its kernel) shows the newest stale one, marked STALE; nothing at
 * all is an error saying how to publish.
 */
final class CountersWatch {
    /** Exit status when there is nothing live to watch (no file, or only stale ones). */
    static final int NOTHING_LIVE = 1;

    private CountersWatch() {
    }

    /** The outcome of resolving {@code --attach}: a file to watch, or a message and exit status. */
    record Target(Path file, String error) {
    }

    static Target resolve(Path attach) throws IOException {
        if (Files.isRegularFile(attach)) {
            return new Target(attach, null);
        }
        List<CountersSnapshot> all = CountersDirectory.scan(attach);
        List<CountersSnapshot> live = all.stream()
                .filter(s -> s.status() == CountersSnapshot.Status.RUNNING || s.status() == CountersSnapshot.Status.HALTED).toList();
        if (live.size() == 1) {
            return new Target(live.get(0).file(), null);
        }
        if (live.size() > 1) {
            return new Target(null, live.size() + " kernels publish live counters in " + attach + ": " + live.stream()
                    .map(s -> s.file().getFileName() + " (pid " + s.pid() + ")").collect(Collectors.joining(", "))
                    + "; attach one of the files");
        }
        List<CountersSnapshot> stale = all.stream().filter(s -> s.status() == CountersSnapshot.Status.STALE).toList();
        if (!stale.isEmpty()) {
            CountersSnapshot newest = stale.stream().max(java.util.Comparator.comparingLong(CountersSnapshot::heartbeatMillis)).get();
            return new Target(newest.file(), null);
        }
        return new Target(null, "no offkern kernel publishes live counters in " + attach
                + " (boot one with -Doffkern.counters.dir=" + attach + ", or KernelConfig.withLiveCounters(LiveCounters.in(DIR)))");
    }

    /**
     * Watches {@code attach}: {@code count} snapshots (0: until the kernel closes), {@code intervalMillis}
     * apart, each given to {@code render}. Returns the exit status: 0, or {@link #NOTHING_LIVE} when
     * there was nothing live (an error line on {@code err}) or the file is stale (rendered, then 1).
     */
    static int watch(Path attach, long intervalMillis, int count, PrintWriter out, PrintWriter err, String command,
                     Consumer<CountersSnapshot> render) {
        Target t;
        try {
            t = resolve(attach);
        } catch (IOException | IllegalStateException e) {
            err.println(command + ": " + e.getMessage());
            err.flush();
            return NOTHING_LIVE;
        }
        if (t.error() != null) {
            err.println(command + ": " + t.error());
            err.flush();
            return NOTHING_LIVE;
        }
        try (CountersFile file = CountersFile.open(t.file())) {
            for (int i = 0; count == 0 || i < count; i++) {
                if (i > 0) {
                    Thread.sleep(intervalMillis);
                }
                CountersSnapshot s = CountersSnapshot.take(file);
                render.accept(s);
                out.flush();
                if (s.status() == CountersSnapshot.Status.STALE) {
                    err.println(command + ": " + s.file() + " is stale: process " + s.pid()
                            + " is not running and never closed its kernel; these are its last values");
                    err.flush();
                    return NOTHING_LIVE;
                }
                if (s.status() == CountersSnapshot.Status.CLOSED) {
                    return 0;
                }
            }
            return 0;
        } catch (NoSuchFileException e) {
            err.println(command + ": " + t.file() + " is gone: its kernel closed");
            err.flush();
            return NOTHING_LIVE;
        } catch (IOException | IllegalStateException e) {
            err.println(command + ": " + e.getMessage());
            err.flush();
            return NOTHING_LIVE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** Whether frames should redraw the screen: an unbounded watch on a terminal. */
    static boolean redraw(int count) {
        java.io.Console c = System.console();
        return count != 1 && c != null && c.isTerminal();
    }
}
