package dev.offkern.tests.fuzz;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The child JVM's entry point: {@code FuzzMain <seed> <millis> <threads> <firstEpoch> <maxEpochs> <workDir>}.
 * Exit code 0: no new finding; 1: new findings (printed); 3: a hang (the watchdog ended the JVM);
 * anything else: the JVM crashed.
 */
public final class FuzzMain {
    private FuzzMain() {
    }

    public static void main(String[] args) throws Exception {
        long seed = Long.parseUnsignedLong(args[0].startsWith("0x") ? args[0].substring(2) : args[0], args[0].startsWith("0x") ? 16 : 10);
        long millis = Long.parseLong(args[1]);
        int threads = Integer.parseInt(args[2]);
        int firstEpoch = Integer.parseInt(args[3]);
        int maxEpochs = Integer.parseInt(args[4]);
        Path work = Path.of(args[5]);
        Files.createDirectories(work);
        int code = new DdiFuzzer(new DdiFuzzer.Config(seed, millis, threads, firstEpoch, maxEpochs, work), System.out).run();
        System.out.flush();
        System.exit(code);
    }
}
