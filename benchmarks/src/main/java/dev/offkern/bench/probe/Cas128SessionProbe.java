package dev.offkern.bench.probe;

import dev.offkern.shim.Cas128;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What {@code Cas128Benchmark.cas128Segment} pays over the raw form: the segment form of
 * {@link Cas128#compareAndSwap(MemorySegment, long, long, long, long, MemorySegment)} on segments of a shared, a
 * confined, the global and an automatic arena. The FFM runtime keeps each segment argument's session alive across
 * the downcall, and for a shared arena that takes atomic updates of the session's state. Each case reports the
 * fastest of 200 rounds of 20,000 swaps, three times over.
 * Run: {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar
 * dev.offkern.bench.probe.Cas128SessionProbe}.
 */
public final class Cas128SessionProbe {
    private static final int SWAPS = 20_000;

    private Cas128SessionProbe() {
    }

    public static void main(String[] args) {
        Cas128.requireSupported();
        String[] kinds = {"shared", "confined", "global", "auto"};
        for (int round = 0; round < 3; round++) {
            for (String kind : kinds) {
                Arena arena = switch (kind) {
                    case "shared" -> Arena.ofShared();
                    case "confined" -> Arena.ofConfined();
                    case "global" -> Arena.global();
                    default -> Arena.ofAuto();
                };
                MemorySegment dst = arena.allocate(16, 16);
                MemorySegment witness = arena.allocate(16, 16);
                dst.set(ValueLayout.JAVA_LONG, 8, 7);
                double best = Double.MAX_VALUE;
                for (int r = 0; r < 200; r++) {
                    long t0 = System.nanoTime();
                    swaps(dst, witness);
                    best = Math.min(best, (System.nanoTime() - t0) / (double) SWAPS);
                }
                System.out.printf("%-8s arena: %.2f ns per 128-bit CAS (segment form)%n", kind, best);
                if (kind.equals("shared") || kind.equals("confined")) {
                    arena.close();
                }
            }
        }
    }

    /** {@link #SWAPS} successful swaps of the low word, each from the value the previous one wrote. */
    private static long swaps(MemorySegment dst, MemorySegment witness) {
        long lo = dst.get(ValueLayout.JAVA_LONG, 0);
        long swapped = 0;
        for (int i = 0; i < SWAPS; i++) {
            if (Cas128.compareAndSwap(dst, lo, 7, lo + 1, 7, witness)) {
                swapped++;
            }
            lo++;
        }
        return swapped;
    }
}
