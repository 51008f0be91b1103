package dev.offkern.runtime.counters;

import static dev.offkern.ddi.Ex.ExAllocatePool2;
import static dev.offkern.ddi.Ex.ExFreePoolWithTag;

import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.LiveCounters;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The second JVM of {@link LiveCountersChildJvmTest}: boots a kernel publishing live counters in
 * {@code args[0]} every 20 ms, allocates {@code args[1]} 64-byte blocks with tag {@code Chld}, prints
 * {@code ready <pid> <file>}, then obeys lines on stdin: {@code free} frees the blocks (prints
 * {@code freed}), {@code close} closes the kernel and exits (prints {@code closed}); end of input
 * closes too. The parent may also kill it to leave a stale file.
 */
public final class CountersChild {
    private CountersChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int blocks = Integer.parseInt(args[1]);
        int tag = PoolTags.tag("Chld");
        KernelConfig config = KernelConfig.defaults().withLiveCounters(LiveCounters.in(dir).every(Duration.ofMillis(20)));
        try (Kernel kernel = Kernel.boot(config)) {
            List<MemorySegment> live = new ArrayList<>();
            for (int i = 0; i < blocks; i++) {
                live.add(ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, tag));
            }
            System.out.println("ready " + ProcessHandle.current().pid() + " " + kernel.liveCountersFile());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("free")) {
                    for (MemorySegment b : live) {
                        ExFreePoolWithTag(b, tag);
                    }
                    live.clear();
                    System.out.println("freed");
                    System.out.flush();
                } else if (line.equals("close")) {
                    break;
                }
            }
        }
        System.out.println("closed");
        System.out.flush();
    }
}
