import java.lang.foreign.*;
public class FillProbe {
    static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED;
    static final int OPS = 20000;
    static long fill(MemorySegment s) { long sink = 0; for (int i = 0; i < OPS; i++) { long off = ((i * 64L) & 0xFFFF) + 16; s.asSlice(off, 64).fill((byte) 0); sink += s.get(ValueLayout.JAVA_BYTE, off); } return sink; }
    static long longs(MemorySegment s) { long sink = 0; for (int i = 0; i < OPS; i++) { long off = ((i * 64L) & 0xFFFF) + 16; for (int k = 0; k < 64; k += 8) s.set(L, off + k, 0L); sink += s.get(ValueLayout.JAVA_BYTE, off); } return sink; }
    static int[] SIZES = {64, 64, 64, 64};
    static long longsVar(MemorySegment s) { long sink = 0; int[] sz = SIZES; for (int i = 0; i < OPS; i++) { long off = ((i * 64L) & 0xFFFF) + 16; long n = sz[i & 3]; zero(s, off, n); sink += s.get(ValueLayout.JAVA_BYTE, off); } return sink; }
    static void zero(MemorySegment s, long off, long bytes) {
        long end = off + ((bytes + 7) & ~7L);
        for (long p = off; p < end; p += 8) s.set(L, p, 0L);
    }
    static long fillVar(MemorySegment s) { long sink = 0; int[] sz = SIZES; for (int i = 0; i < OPS; i++) { long off = ((i * 64L) & 0xFFFF) + 16; long n = sz[i & 3]; s.asSlice(off, n).fill((byte) 0); sink += s.get(ValueLayout.JAVA_BYTE, off); } return sink; }
    static long switchVar(MemorySegment s) { long sink = 0; int[] sz = SIZES; for (int i = 0; i < OPS; i++) { long off = ((i * 64L) & 0xFFFF) + 16; long n = sz[i & 3]; zeroSwitch(s, off, n); sink += s.get(ValueLayout.JAVA_BYTE, off); } return sink; }
    static void zeroSwitch(MemorySegment s, long off, long bytes) {
        if (bytes > 64) { s.asSlice(off, bytes).fill((byte) 0); return; }
        MemorySegment x = s.asSlice(off, 64);
        switch ((int) ((bytes + 15) >>> 4)) {
            case 4: x.set(L, 48, 0L); x.set(L, 56, 0L);
            case 3: x.set(L, 32, 0L); x.set(L, 40, 0L);
            case 2: x.set(L, 16, 0L); x.set(L, 24, 0L);
            default: x.set(L, 0, 0L); x.set(L, 8, 0L);
        }
    }
    static long intLoop(MemorySegment s) { long sink = 0; int[] sz = SIZES; for (int i = 0; i < OPS; i++) { long off = ((i * 64L) & 0xFFFF) + 16; long n = sz[i & 3]; MemorySegment x = s.asSlice(off, (n + 7) & ~7L); int w = (int) (n + 7 >>> 3); for (int k = 0; k < w; k++) x.setAtIndex(L, k, 0L); sink += s.get(ValueLayout.JAVA_BYTE, off); } return sink; }
    static long none(MemorySegment s) { long sink = 0; for (int i = 0; i < OPS; i++) { long off = ((i * 64L) & 0xFFFF) + 16; sink += s.get(ValueLayout.JAVA_BYTE, off); } return sink; }
    interface B { long run(MemorySegment s); }
    public static void main(String[] a) {
        MemorySegment s = Arena.ofShared().allocate(1 << 20, 4096);
        B[] bs = {FillProbe::fill, FillProbe::longs, FillProbe::none, FillProbe::longsVar, FillProbe::fillVar, FillProbe::switchVar, FillProbe::intLoop}; String[] n = {"fill", "longs", "none", "longsVar", "fillVar", "switchVar", "intLoop"};
        if (a.length > 0) { int v = Integer.parseInt(a[0]); java.util.Arrays.fill(SIZES, v); }
        for (int round = 0; round < 3; round++) for (int b = 0; b < bs.length; b++) {
            double best = 1e9; long sink = 0;
            for (int r = 0; r < 2000; r++) { long t0 = System.nanoTime(); sink += bs[b].run(s); best = Math.min(best, (System.nanoTime() - t0) / (double) OPS); }
            System.out.printf("%-6s %.2f ns (%d)%n", n[b], best, sink & 1);
        }
    }
}
