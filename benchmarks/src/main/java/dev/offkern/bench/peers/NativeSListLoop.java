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
    private static final SymbolLookup LIBRARY = load();
    private static final MethodHandle PUSH_POP = bind("offkern_bench_slist_push_pop", 3);
    private static final MethodHandle PUSH = bind("offkern_bench_slist_push", 2);
    private static final MethodHandle POP = bind("offkern_bench_slist_pop", 1);

    private NativeSListLoop() {
    }

    /**
     * {@code iterations} push+pop pairs of {@code entry} on the list at {@code header}, in C. Both must be
     * 16-byte aligned, mapped, and used by nothing else meanwhile (unchecked: this is the floor).
     *
     * @return a checksum of the addresses the operations returned (keeps the work observable)
     */
    public static long pushPop(long header, long entry, long iterations) {
        requireAligned(header, entry);
        try {
            return (long) PUSH_POP.invokeExact(header, entry, iterations);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * One push in C behind one critical downcall, unchecked: with {@link #pop(long)}, the per-call native
     * floor (the loop's work plus what two FFM calls cost, no address check).
     *
     * @return the previous first entry, 0 if the list was empty
     */
    public static long push(long header, long entry) {
        requireAligned(header, entry);
        try {
            return (long) PUSH.invokeExact(header, entry);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** One pop in C behind one critical downcall, unchecked (see {@link #push(long, long)}); 0 if empty. */
    public static long pop(long header) {
        requireAligned(header, header);
        try {
            return (long) POP.invokeExact(header);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The C code dereferences both unchecked: refuse NULL or a misaligned address before it runs. */
    private static void requireAligned(long header, long entry) {
        if (((header | entry) & 15) != 0 || header == 0 || entry == 0) {
            throw new IllegalArgumentException(String.format("header 0x%x and entry 0x%x must be non-NULL and 16-byte aligned",
                    header, entry));
        }
    }

    private static MethodHandle bind(String name, int longArguments) {
        ValueLayout[] args = new ValueLayout[longArguments];
        java.util.Arrays.fill(args, ValueLayout.JAVA_LONG);
        return Linker.nativeLinker().downcallHandle(LIBRARY.find(name).orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, args), Linker.Option.critical(false));
    }

    private static SymbolLookup load() {
        try (InputStream in = NativeSListLoop.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing (was the benchmarks module built with a C compiler?)");
            }
            Path lib = Files.createTempFile("offkern-bench", ".so");
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
            lib.toFile().deleteOnExit();
            return SymbolLookup.libraryLookup(lib, Arena.global());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
