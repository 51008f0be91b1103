package dev.offkern.shim;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Finds, extracts and loads the shim library that ships inside this module's jar
 * ({@code dev/offkern/shim/native/linux-x86_64/liboffkern_shim.so}). Loading happens once, on first
 * use; a host where it cannot load gets an {@link UnsupportedOperationException} that says why.
 */
public final class NativeShim {
    static final String RESOURCE = "native/linux-x86_64/liboffkern_shim.so";

    private static final Loaded LOADED = load();

    private record Loaded(SymbolLookup lookup, String location, Throwable failure) {
    }

    private NativeShim() {
    }

    /** Whether the library loaded on this host. */
    public static boolean isLoaded() {
        return LOADED.lookup() != null;
    }

    /** Where the library was loaded from, or why it was not. */
    public static String location() {
        return LOADED.lookup() != null ? LOADED.location() : "not loaded: " + LOADED.failure().getMessage();
    }

    /** The ABI version the Java bindings expect from {@code offkern_shim_abi_version()}. */
    public static final int EXPECTED_ABI_VERSION = 3;

    /**
     * The library's {@code offkern_shim_abi_version()}; equal to {@link #EXPECTED_ABI_VERSION} unless a
     * stale library was packaged.
     */
    public static int abiVersion() {
        try {
            return (int) downcall("offkern_shim_abi_version",
                    FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT)).invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        MethodHandle h = downcallOrNull(name, descriptor);
        if (h == null) {
            throw unavailable();
        }
        return h;
    }

    /** The library's symbols; throws with the reason if it did not load. */
    public static SymbolLookup lookup() {
        if (LOADED.lookup() == null) {
            throw new UnsupportedOperationException("offkern native shim unavailable: " + LOADED.failure().getMessage(),
                    LOADED.failure());
        }
        return LOADED.lookup();
    }

    /**
     * A downcall handle for one of the shim's exports, or {@code null} when the library did not load
     * (callers keep it in a {@code static final} field, test it, and report {@link #location()}).
     * A library that loaded but lacks the symbol is a packaging error and fails loudly.
     */
    static MethodHandle downcallOrNull(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        if (LOADED.lookup() == null) {
            return null;
        }
        var symbol = LOADED.lookup().find(name).orElseThrow(() -> new IllegalStateException(
                "liboffkern_shim.so at " + LOADED.location() + " has no symbol " + name + " (stale build?)"));
        return Linker.nativeLinker().downcallHandle(symbol, descriptor, options);
    }

    /** The exception every binding throws when the library is unavailable. */
    static UnsupportedOperationException unavailable() {
        return new UnsupportedOperationException("offkern native shim unavailable: " + LOADED.failure().getMessage(),
                LOADED.failure());
    }

    private static Loaded load() {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return new Loaded(null, null, new UnsupportedOperationException(
                    "the shim is built for linux-x86_64 only; this host is " + os + "-" + arch));
        }
        try (InputStream in = NativeShim.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return new Loaded(null, null, new IllegalStateException(
                        "liboffkern_shim.so is missing from the jar (was the module built without a C compiler?)"));
            }
            Path dir = Files.createTempDirectory("offkern-shim");
            Path lib = dir.resolve("liboffkern_shim.so");
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
            lib.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
            return new Loaded(lookup, lib.toString(), null);
        } catch (IOException | RuntimeException e) {
            return new Loaded(null, null, e);
        }
    }
}
