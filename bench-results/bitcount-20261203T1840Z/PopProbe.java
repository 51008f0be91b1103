import java.lang.foreign.*;
import java.nio.ByteOrder;
import java.util.*;

public class PopProbe {
    static final ValueLayout.OfLong LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong AL = ValueLayout.JAVA_LONG;
    static long heap(long[] w) { long c = 0; for (int i = 0; i < w.length; i++) c += Long.bitCount(w[i]); return c; }
    static long segLong(MemorySegment s, long base, long end) { long c = 0; for (long o = base; o < end; o += 8) c += Long.bitCount(s.get(LE, o)); return c; }
    static long segInt(MemorySegment s, int n) { long c = 0; for (int i = 0; i < n; i++) c += Long.bitCount(s.get(LE, (long) i << 3)); return c; }
    static long segIntAligned(MemorySegment s, int n) { long c = 0; for (int i = 0; i < n; i++) c += Long.bitCount(s.getAtIndex(AL, i)); return c; }
    static long segInt4(MemorySegment s, int n) {
        long c0 = 0, c1 = 0, c2 = 0, c3 = 0; int i = 0;
        for (; i + 3 < n; i += 4) { long o = (long) i << 3; c0 += Long.bitCount(s.get(LE, o)); c1 += Long.bitCount(s.get(LE, o + 8)); c2 += Long.bitCount(s.get(LE, o + 16)); c3 += Long.bitCount(s.get(LE, o + 24)); }
        for (; i < n; i++) c0 += Long.bitCount(s.get(LE, (long) i << 3));
        return c0 + c1 + c2 + c3;
    }
    interface F { long run(); }
    static double time(F f, int rounds) { long best = Long.MAX_VALUE; long sink = 0; for (int r = 0; r < rounds; r++) { long t = System.nanoTime(); sink += f.run(); long d = System.nanoTime() - t; if (d < best) best = d; } if (sink == 42) System.out.println(); return best; }
    public static void main(String[] a) {
        int n = 16384; long[] w = new long[n]; Random r = new Random(1); for (int i = 0; i < n; i++) w[i] = r.nextLong();
        Arena shared = Arena.ofShared(); MemorySegment s = shared.allocate(8L * n, 8); MemorySegment.copy(MemorySegment.ofArray(w), 0, s, 0, 8L * n);
        Arena auto = Arena.global(); MemorySegment g = auto.allocate(8L * n, 8); MemorySegment.copy(MemorySegment.ofArray(w), 0, g, 0, 8L * n);
        BitSet bs = BitSet.valueOf(w);
        for (int k = 0; k < 3; k++) {
            System.out.printf("bitset %.0f heap %.0f segLong(shared) %.0f segInt(shared) %.0f segIntAligned(shared) %.0f segInt4(shared) %.0f segLong(global) %.0f segInt(global) %.0f%n",
                time(bs::cardinality, 3000), time(() -> heap(w), 3000), time(() -> segLong(s, 0, 8L * n), 3000), time(() -> segInt(s, n), 3000),
                time(() -> segIntAligned(s, n), 3000), time(() -> segInt4(s, n), 3000), time(() -> segLong(g, 0, 8L * n), 3000), time(() -> segInt(g, n), 3000));
        }
    }
}
