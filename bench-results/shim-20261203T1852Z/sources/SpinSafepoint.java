import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/** Does a loop of nothing but critical downcalls hold off a safepoint on this JVM? */
public final class SpinSafepoint {
    static final Linker L = Linker.nativeLinker();
    static final SymbolLookup LIB = SymbolLookup.libraryLookup(Path.of(System.getProperty("lib")), Arena.global());
    static final MethodHandle STMXCSR = L.downcallHandle(LIB.find("offkern_stmxcsr").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT), Linker.Option.critical(false));
    static volatile boolean stop;
    static long sink;

    public static void main(String[] a) throws Throwable {
        Thread spinner = new Thread(() -> {
            try {
                long s = 0;
                while (true) { s += (int) STMXCSR.invokeExact(); if (s == 42) break; }
                sink = s;
            } catch (Throwable t) { throw new AssertionError(t); }
        });
        spinner.setDaemon(true);
        spinner.start();
        Thread.sleep(3000); // let C2 compile the loop
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            Thread.getAllStackTraces();
            System.out.printf("safepoint took %.1f ms%n", (System.nanoTime() - t0) / 1e6);
            t0 = System.nanoTime();
            Arena.ofShared().close();
            System.out.printf("handshake took %.1f ms%n", (System.nanoTime() - t0) / 1e6);
        }
        System.exit(0);
    }
}
