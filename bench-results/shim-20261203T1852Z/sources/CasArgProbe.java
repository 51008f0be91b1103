import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.nio.file.Path;

/** Raw CAS through the shim: the map handle as a 7th integer argument (on the stack under SysV) vs in an XMM register. */
public final class CasArgProbe {
    static final int OPS = 20_000, ROUNDS = Integer.getInteger("probe.rounds", 2000);
    static final Linker L = Linker.nativeLinker();
    static final SymbolLookup LIB = SymbolLookup.libraryLookup(Path.of(System.getProperty("lib")), Arena.global());
    static final ValueLayout.OfLong J = ValueLayout.JAVA_LONG;
    static final MethodHandle CREATE = L.downcallHandle(LIB.find("offkern_map_create").orElseThrow(), FunctionDescriptor.of(J));
    static final MethodHandle INSERT = L.downcallHandle(LIB.find("offkern_map_insert").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, J, J, J));
    static final MethodHandle CAS_L = L.downcallHandle(LIB.find("offkern_cas128_mapped").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, J, J, J, J, J, J, J), Linker.Option.critical(false));
    static final MethodHandle CAS_D = L.downcallHandle(LIB.find("offkern_cas128_mapped_d").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_DOUBLE, J, J, J, J, J, J), Linker.Option.critical(false));
    static final MethodHandle P6 = L.downcallHandle(LIB.find("offkern_cas128_plain6").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, J, J, J, J, J, J), Linker.Option.critical(false));
    static final MethodHandle P7 = L.downcallHandle(LIB.find("offkern_cas128_plain7").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, J, J, J, J, J, J, J), Linker.Option.critical(false));
    static long lo;
    static final class Map { final long h; final double d; Map(long h) { this.h = h; d = Double.longBitsToDouble(h); } }

    public static void main(String[] a) throws Throwable {
        MemorySegment m = Arena.global().allocate(1 << 16, 4096);
        long map = (long) CREATE.invokeExact();
        int rc = (int) INSERT.invokeExact(map, m.address(), m.byteSize());
        Map mp = new Map(map);
        long dst = m.address() + 64, w = m.address() + 128;
        for (int k = 0; k < 3; k++) {
            run("7 longs (stack arg)", () -> { long s = 0; for (int i = 0; i < OPS; i++) { s += (int) CAS_L.invokeExact(mp.h, dst, lo, 7L, lo + 1, 7L, w); lo++; } return s; });
            run("plain 6 (655beca shape)", () -> { long s = 0; for (int i = 0; i < OPS; i++) { s += (int) P6.invokeExact(dst, lo, 7L, lo + 1, 7L, w); lo++; } return s; });
            run("plain 7 (map unused)", () -> { long s = 0; for (int i = 0; i < OPS; i++) { s += (int) P7.invokeExact(mp.h, dst, lo, 7L, lo + 1, 7L, w); lo++; } return s; });
            run("double + 6 longs", () -> { long s = 0; for (int i = 0; i < OPS; i++) { s += (int) CAS_D.invokeExact(mp.d, dst, lo, 7L, lo + 1, 7L, w); lo++; } return s; });
        }
    }
    interface Body { long run() throws Throwable; }
    static void run(String name, Body b) throws Throwable {
        double best = 1e9; long sink = 0;
        for (int r = 0; r < ROUNDS; r++) { long t0 = System.nanoTime(); sink += b.run(); best = Math.min(best, (System.nanoTime() - t0) / (double) OPS); }
        System.out.printf(Locale.ROOT, "%-28s %7.2f ns/op (sink %d)%n", name, best, sink & 1);
    }
}
