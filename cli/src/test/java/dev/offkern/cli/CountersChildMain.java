package dev.offkern.cli;

import static dev.offkern.ddi.Ex.ExAllocatePool2;

import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.LiveCounters;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The second JVM of {@link LiveCountersAttachTest}: boots a kernel publishing live counters in
 * {@code args[0]} every 20 ms, allocates {@code args[1]} 64-byte non-paged blocks tagged
 * {@code CliT}, prints {@code ready <pid>}, and closes its kernel when a line {@code close} (or end of
 * input) arrives.
 */
public final class CountersChildMain {
    private CountersChildMain() {
    }

    public static void main(String[] args) throws Exception {
        KernelConfig config = KernelConfig.defaults().withLiveCounters(LiveCounters.in(Path.of(args[0])).every(Duration.ofMillis(20)));
        try (Kernel kernel = Kernel.boot(config).leakReportSink(report -> { })) {
            for (int i = 0; i < Integer.parseInt(args[1]); i++) {
                ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, PoolTags.tag("CliT"));
            }
            System.out.println("ready " + ProcessHandle.current().pid());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null && !line.equals("close"); ) {
                // wait for "close"
            }
        }
        System.out.println("closed");
        System.out.flush();
    }
}
