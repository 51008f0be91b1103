package dev.offkern.runtime.counters;

import static dev.offkern.ddi.Ex.ExAllocatePool2;
import static dev.offkern.ddi.Ex.ExFreePoolWithTag;

import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.LiveCounters;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Not a test: measures what one publish of the live counters costs (the README's figure). Boots a
 * kernel publishing once a minute (so the thread stays out of the way), makes {@code args[0]} tags
 * from {@code args[1]} threads (each thread allocates and frees once per tag), then times
 * {@code args[2]} publishes on this thread and prints the mean.
 * Run: {@code java --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp ... CountersPublishCost 100 8 20000}.
 */
public final class CountersPublishCost {
    private CountersPublishCost() {
    }

    public static void main(String[] args) throws Exception {
        int tags = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        int publishes = Integer.parseInt(args[2]);
        Path dir = Files.createTempDirectory("offkern-counters-cost");
        KernelConfig config = KernelConfig.defaults().withLiveCounters(LiveCounters.in(dir).every(Duration.ofMinutes(1)));
        try (Kernel kernel = Kernel.boot(config)) {
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                ts[t] = Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < tags; i++) {
                        int tag = 0x20202020 | ('A' + i % 26) | ('A' + i / 26 % 26) << 8 | ('0' + i / 676 % 10) << 16;
                        MemorySegment b = ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, tag);
                        ExFreePoolWithTag(b, tag);
                    }
                });
            }
            for (Thread t : ts) {
                t.join();
            }
            CountersPublisher p = publisherOf(kernel);
            for (int i = 0; i < publishes; i++) {
                p.publish(); // warm-up
            }
            long start = System.nanoTime();
            for (int i = 0; i < publishes; i++) {
                p.publish();
            }
            long ns = System.nanoTime() - start;
            System.out.printf("publish: %.1f us (%d tags, %d threads that allocated, %d processors, mean of %d)%n",
                    ns / 1000.0 / publishes, tags, threads, kernel.processors().count(), publishes);
        }
    }

    private static CountersPublisher publisherOf(Kernel kernel) throws ReflectiveOperationException {
        var f = Kernel.class.getDeclaredField("counters");
        f.setAccessible(true);
        return (CountersPublisher) f.get(kernel);
    }
}
