package dev.offkern.shim;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * Loads the shim library once, on first use, from {@code -Doffkern.shim.path}, else
 * {@code java.library.path}, else the copy inside this module's jar
 * ({@code dev/offkern/shim/native/linux-x86_64/liboffkern_shim.so}) extracted to a per-version cache
 * directory ({@code -Doffkern.shim.cacheDir}; see {@link ShimLibraryLoader} for the whole order). A
 * host where none loads gets an {@link UnsupportedOperationException} that says why in one line.
 */
public final class NativeShim {

    private static final Loaded LOADED = load();

    private record Loaded(SymbolLookup lookup, String location, String source, Throwable failure) {
    }

    private NativeShim() {
    }

    /** Whether the library loaded on this host. */
    public static boolean isLoaded() {
        return LOADED.lookup() != null;
    }

    /** Where the library was loaded from (its file), or why it was not. */
    public static String location() {
        return LOADED.lookup() != null ? LOADED.location() : "not loaded: " + LOADED.failure().getMessage();
    }

    /**
     * How the library was found: {@code -Doffkern.shim.path}, {@code java.library.path}, extracted
     * into the cache now, or the cache as it was; or why it was not loaded.
     */
    public static String source() {
        return LOADED.lookup() != null ? LOADED.source() : "not loaded: " + LOADED.failure().getMessage();
    }

    /** The ABI version the Java bindings expect from {@code offkern_shim_abi_version()}. */
    public static final int EXPECTED_ABI_VERSION = 4;

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
        ShimLibraryLoader.Result r = ShimLibraryLoader.load();
        if (r.lookup() == null) {
            return new Loaded(null, null, null, r.failure());
        }
        return new Loaded(r.lookup(), r.file().toString(), r.source().description, null);
    }
}
