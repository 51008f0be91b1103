package dev.offkern.bench.peers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The native floor of the SLIST benchmarks: push+pop of one entry on a Windows x64 SLIST_HEADER in a
 * C loop ({@code offkern_bench_slist_push_pop} in {@code benchmarks/src/main/c/offkern_bench.c}),
 * many pairs per downcall, with no address checks: what a driver's own C code pays. It lives in a
 * benchmark-only library; the shipped shim carries no benchmark code.
 */
public final class NativeSListLoop {
    private static final String RESOURCE = "/dev/offkern/bench/native/linux-x86_64/liboffkern_bench.so";
    private static final MethodHandle PUSH_POP = load();

    private NativeSListLoop() {
    }

    /**
     * {@code iterations} push+pop pairs of {@code entry} on the list at {@code header}, in C. Both must be
     * 16-byte aligned, mapped, and used by nothing else meanwhile (unchecked: this is the floor).
     *
     * @return a checksum of the addresses the operations returned (keeps the work observable)
     */
    public static long pushPop(long header, long entry, long iterations) {
        if (((header | entry) & 15) != 0 || header == 0 || entry == 0) {
            throw new IllegalArgumentException(String.format("header 0x%x and entry 0x%x must be 16-byte aligned",
                    header, entry));
        }
        try {
            return (long) PUSH_POP.invokeExact(header, entry, iterations);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static MethodHandle load() {
        try (InputStream in = NativeSListLoop.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing (was the benchmarks module built with a C compiler?)");
            }
            Path lib = Files.createTempFile("offkern-bench", ".so");
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
            lib.toFile().deleteOnExit();
            SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
            return Linker.nativeLinker().downcallHandle(lookup.find("offkern_bench_slist_push_pop").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG),
                    Linker.Option.critical(false));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
