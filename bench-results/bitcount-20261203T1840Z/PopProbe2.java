import java.lang.foreign.*;
import java.lang.invoke.*;
import java.util.*;
public class PopProbe2 {
    static long heap(long[] w) { long c = 0; for (int i = 0; i < w.length; i++) c += Long.bitCount(w[i]); return c; }
    static long heap4(long[] w) { long c0=0,c1=0,c2=0,c3=0; int i=0, n=w.length; for (; i + 3 < n; i += 4) { c0 += Long.bitCount(w[i]); c1 += Long.bitCount(w[i+1]); c2 += Long.bitCount(w[i+2]); c3 += Long.bitCount(w[i+3]); } for (; i < n; i++) c0 += Long.bitCount(w[i]); return c0+c1+c2+c3; }
    interface F { long run() throws Throwable; }
    static double time(F f, int rounds) throws Throwable { long best = Long.MAX_VALUE; long sink = 0; for (int r = 0; r < rounds; r++) { long t = System.nanoTime(); sink += f.run(); long d = System.nanoTime() - t; if (d < best) best = d; } if (sink == 42) System.out.println(); return best; }
    public static void main(String[] a) throws Throwable {
        int n = 16384; long[] w = new long[n]; Random r = new Random(1); for (int i = 0; i < n; i++) w[i] = r.nextLong();
        Arena shared = Arena.ofShared(); MemorySegment s = shared.allocate(8L * n, 8); MemorySegment.copy(MemorySegment.ofArray(w), 0, s, 0, 8L * n);
        SymbolLookup lib = SymbolLookup.libraryLookup("/tmp/s22/pc/libpc.so", Arena.global());
        MethodHandle pc = Linker.nativeLinker().downcallHandle(lib.find("pc4").get(), FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        MethodHandle pcc = Linker.nativeLinker().downcallHandle(lib.find("pcavx").get(), FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
        BitSet bs = BitSet.valueOf(w);
        long addr = s.address();
        for (int k = 0; k < 4; k++) {
            System.out.printf("bitset %.0f heap %.0f heap4 %.0f native-seg %.0f avx2-critical %.0f%n",
                time(bs::cardinality, 3000), time(() -> heap(w), 3000), time(() -> heap4(w), 3000),
                time(() -> (long) pc.invokeExact(s, (long) n), 3000), time(() -> (long) pcc.invokeExact(addr, (long) n), 3000));
        }
        System.out.println(heap(w) + " " + (long) pc.invokeExact(s, (long) n) + " " + (long) pcc.invokeExact(addr, (long) n) + " " + (long) pcc.invokeExact(addr + 8, (long) n - 3));
    }
}
