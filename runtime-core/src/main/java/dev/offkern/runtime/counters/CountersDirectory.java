package dev.offkern.runtime.counters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where live-counters files live and how a watcher finds them. A kernel writes
 * {@code kernel-<pid>-<n>.counters} ({@code n}: its boot number in that JVM) into its counters
 * directory; a watcher lists the directory's {@code *.counters} files and reads each one's header.
 *
 * <p>The default directory is the system property {@code offkern.counters.dir} if set, else
 * {@code /dev/shm/offkern-counters-<user>} where {@code /dev/shm} is a writable directory (Linux:
 * memory, never written back to a disk, as Aeron's default directory), else
 * {@code <java.io.tmpdir>/offkern-counters-<user>}.
 */
public final class CountersDirectory {
    /** The system property naming the counters directory. */
    public static final String DIR_PROPERTY = "offkern.counters.dir";

    private CountersDirectory() {
    }

    /** The default counters directory (see the class comment). */
    public static Path defaultDirectory() {
        String configured = System.getProperty(DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return shm.resolve("offkern-counters-" + user);
        }
        return Path.of(System.getProperty("java.io.tmpdir")).resolve("offkern-counters-" + user).toAbsolutePath();
    }

    /** The file name of kernel number {@code sequence} of process {@code pid}. */
    public static String fileName(long pid, int sequence) {
        return "kernel-" + pid + "-" + sequence + CountersFile.SUFFIX;
    }

    /**
     * A snapshot of every counters file in {@code dir} (files that vanish meanwhile — their kernel
     * closed — are left out), in file-name order; empty if {@code dir} does not exist.
     *
     * @throws IllegalStateException if a file is not a readable counters file (the message names it)
     */
    public static List<CountersSnapshot> scan(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(CountersFile.SUFFIX)).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<CountersSnapshot> out = new ArrayList<>();
        for (Path f : files) {
            try (CountersFile file = CountersFile.open(f)) {
                out.add(CountersSnapshot.take(file));
            } catch (NoSuchFileException e) {
                // its kernel closed and removed it between the listing and the open
            }
        }
        return out;
    }
}
