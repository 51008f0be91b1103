package dev.offkern.shim;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import java.util.function.UnaryOperator;

/**
 * Where the shim library comes from, in the order netty and JNA use:
 * <ol>
 *   <li>{@code -Doffkern.shim.path=FILE}: exactly that file (a library built for another platform, a
 *       packaged application, a patched build). If it does not load, that is the error: nothing else
 *       is tried behind the user's back.</li>
 *   <li>{@code System.loadLibrary("offkern_shim")}: {@code liboffkern_shim.so} (the platform's
 *       {@link System#mapLibraryName mapped name}) in a directory of {@code java.library.path}, as a
 *       distribution package would install it.</li>
 *   <li>The copy inside this jar ({@code native/<os>-<arch>/<mapped name>}), extracted to a per-version
 *       cache directory: {@code -Doffkern.shim.cacheDir=DIR} if set, else
 *       {@code $XDG_CACHE_HOME/offkern/<version>/<os>-<arch>} when {@code XDG_CACHE_HOME} is an
 *       absolute path, else {@code ${user.home}/.cache/offkern/<version>/<os>-<arch>}. A cached file
 *       whose SHA-256 equals the jar's copy is reused as is; otherwise the jar's copy is written to a
 *       temporary file in the same directory and renamed over it atomically, so a concurrent start
 *       never loads half a file and nothing is left in {@code /tmp}.</li>
 * </ol>
 * A library found by any path must report the ABI version the bindings expect
 * ({@code offkern_shim_abi_version()}), else it is refused with both numbers. Where no library fits,
 * the failure is one line naming the platform ({@code os.name}/{@code os.arch}) and the two
 * properties that can supply one.
 *
 * <p>Runs once per JVM (from {@link NativeShim}'s class initialisation); the methods take the
 * system properties and environment as parameters so that the tests can drive each path.
 */
final class ShimLibraryLoader {
    /** System property naming the library file to load (step 1). */
    static final String PATH_PROPERTY = "offkern.shim.path";
    /** System property naming the directory the jar's library is extracted to (step 3). */
    static final String CACHE_DIR_PROPERTY = "offkern.shim.cacheDir";
    /** The library's name without prefix and suffix, as {@code System.loadLibrary} takes it. */
    static final String LIBRARY_NAME = "offkern_shim";
    /** The platforms this jar carries a library for. */
    static final String[] PACKAGED_PLATFORMS = {"linux-x86_64"};

    /** How the library was found. */
    enum Source {
        /** {@code -Doffkern.shim.path}. */
        PATH_PROPERTY("-Doffkern.shim.path"),
        /** {@code System.loadLibrary} through {@code java.library.path}. */
        LIBRARY_PATH("java.library.path"),
        /** Extracted from the jar into the cache now. */
        EXTRACTED("extracted from the jar into the cache"),
        /** The cache already held the jar's library (same SHA-256). */
        CACHED("the cache (same SHA-256 as the jar's copy)");

        final String description;

        Source(String description) {
            this.description = description;
        }
    }

    /** The outcome: a lookup and where it came from, or the reason there is none. */
    record Result(SymbolLookup lookup, Path file, Source source, Throwable failure) {
        static Result failed(Throwable t) {
            return new Result(null, null, null, t);
        }
    }

    private ShimLibraryLoader() {
    }

    /** Loads the library following the order above, with this JVM's properties and environment. */
    static Result load() {
        return load(System.getProperties(), System::getenv, ShimLibraryLoader::systemLoadLibrary);
    }

    /** What loading through {@code java.library.path} needs: load by name, then a lookup over it. */
    interface LibraryPathLoader {
        /** Loads {@code file} (found in {@code java.library.path}) and returns its symbols. */
        SymbolLookup load(Path file);
    }

    static Result load(Properties props, UnaryOperator<String> env, LibraryPathLoader libraryPathLoader) {
        String platform = platform(props.getProperty("os.name", ""), props.getProperty("os.arch", ""));
        String mapped = System.mapLibraryName(LIBRARY_NAME);
        try {
            String explicit = props.getProperty(PATH_PROPERTY);
            if (explicit != null && !explicit.isBlank()) {
                Path file = Path.of(explicit).toAbsolutePath();
                if (!Files.isRegularFile(file)) {
                    return Result.failed(new IllegalStateException("-D" + PATH_PROPERTY + "=" + explicit
                            + " names no file (platform " + platform + ")"));
                }
                return checked(libraryLookup(file, Source.PATH_PROPERTY), file, Source.PATH_PROPERTY);
            }
            Path onLibraryPath = findOnLibraryPath(props.getProperty("java.library.path", ""), mapped);
            if (onLibraryPath != null) {
                SymbolLookup lookup;
                try {
                    lookup = libraryPathLoader.load(onLibraryPath);
                } catch (UnsatisfiedLinkError e) {
                    return Result.failed(new IllegalStateException(onLibraryPath + " (from " + Source.LIBRARY_PATH.description
                            + ") does not load on this platform: " + e.getMessage(), e));
                }
                return checked(lookup, onLibraryPath, Source.LIBRARY_PATH);
            }
            String resource = resource(platform, mapped);
            try (InputStream in = ShimLibraryLoader.class.getResourceAsStream(resource)) {
                if (in == null) {
                    return Result.failed(new UnsupportedOperationException(noLibraryMessage(platform, props)));
                }
                byte[] content = in.readAllBytes();
                Path dir = cacheDirectory(props, env, platform);
                Extraction e = extract(content, dir, mapped);
                Source source = e.written() ? Source.EXTRACTED : Source.CACHED;
                return checked(libraryLookup(e.file(), source), e.file(), source);
            }
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            return Result.failed(e);
        }
    }

    /** The one line for a platform without a library. */
    static String noLibraryMessage(String platform, Properties props) {
        return "no offkern shim library for this platform (os.name=" + props.getProperty("os.name", "?") + ", os.arch="
                + props.getProperty("os.arch", "?") + ": " + platform + "); the jar carries "
                + String.join(", ", PACKAGED_PLATFORMS) + "; build src/main/c for this platform and pass -D" + PATH_PROPERTY
                + "=FILE or put " + System.mapLibraryName(LIBRARY_NAME) + " on java.library.path";
    }

    /** {@code <os>-<arch>}: linux, windows, osx, or the os name lower-cased; x86_64, x86, aarch64, or the arch. */
    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            os = "linux";
        } else if (os.startsWith("windows")) {
            os = "windows";
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            os = "osx";
        } else {
            os = os.replaceAll("[^a-z0-9]+", "");
        }
        String arch = osArch.toLowerCase(Locale.ROOT);
        arch = switch (arch) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "x86", "i386", "i486", "i586", "i686" -> "x86";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch.replaceAll("[^a-z0-9_]+", "");
        };
        return os + "-" + arch;
    }

    /** The jar resource of the library for {@code platform}, relative to this package. */
    static String resource(String platform, String mappedName) {
        return "native/" + platform + "/" + mappedName;
    }

    /** The first {@code mappedName} in a directory of {@code libraryPath}, or null. */
    static Path findOnLibraryPath(String libraryPath, String mappedName) {
        for (String dir : libraryPath.split(File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            try {
                Path candidate = Path.of(dir).resolve(mappedName);
                if (Files.isRegularFile(candidate)) {
                    return candidate.toAbsolutePath();
                }
            } catch (java.nio.file.InvalidPathException ignored) {
                // a malformed entry of java.library.path: System.loadLibrary skips it too
            }
        }
        return null;
    }

    /**
     * The cache directory: {@code offkern.shim.cacheDir}, else {@code $XDG_CACHE_HOME} (absolute
     * only) or {@code ${user.home}/.cache}, then {@code offkern/<version>/<platform>}.
     */
    static Path cacheDirectory(Properties props, UnaryOperator<String> env, String platform) {
        String configured = props.getProperty(CACHE_DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        String xdg = env.apply("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg)
                : Path.of(props.getProperty("user.home", "."), ".cache");
        return base.resolve("offkern").resolve(version()).resolve(platform).toAbsolutePath();
    }

    /** The version this jar was built as ({@code shim-version.properties}, filtered by the build). */
    static String version() {
        try (InputStream in = ShimLibraryLoader.class.getResourceAsStream("shim-version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "").strip();
                if (!v.isEmpty() && !v.startsWith("${")) {
                    return v.replaceAll("[^A-Za-z0-9._-]", "_");
                }
            }
        } catch (IOException ignored) {
            // fall through: an unversioned cache is still keyed by content
        }
        return "unversioned";
    }

    /** The cached file and whether this call wrote it. */
    record Extraction(Path file, boolean written) {
    }

    /**
     * Puts {@code content} at {@code dir/name} unless a file with the same SHA-256 is already there:
     * written to a temporary file in {@code dir}, then renamed over the target atomically (so a
     * reader sees the old file or the whole new one, never a partial write). The temporary file is
     * removed if anything fails.
     *
     * @throws IOException naming the directory and the properties that choose another source
     */
    static Extraction extract(byte[] content, Path dir, String name) throws IOException {
        Path target = dir.resolve(name);
        try {
            Files.createDirectories(dir);
            if (Files.isRegularFile(target) && Arrays.equals(sha256(Files.readAllBytes(target)), sha256(content))) {
                return new Extraction(target, false);
            }
            Path tmp = Files.createTempFile(dir, "." + name + ".", ".tmp");
            try {
                Files.write(tmp, content);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return new Extraction(target, true);
        } catch (IOException e) {
            throw new IOException("cannot cache the offkern shim in " + dir + " (" + e + "); set -D" + CACHE_DIR_PROPERTY
                    + "=DIR to a writable directory, or -D" + PATH_PROPERTY + "=FILE", e);
        }
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    private static SymbolLookup libraryLookup(Path file, Source source) {
        try {
            return SymbolLookup.libraryLookup(file, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(file + " (from " + source.description + ") does not load on this platform: "
                    + e.getMessage(), e);
        }
    }

    /** {@code System.loadLibrary}, then the lookup over the libraries of this class's loader. */
    private static SymbolLookup systemLoadLibrary(Path file) {
        System.loadLibrary(LIBRARY_NAME);
        return SymbolLookup.loaderLookup();
    }

    /** Accepts {@code lookup} only if its library reports the expected ABI version. */
    private static Result checked(SymbolLookup lookup, Path file, Source source) {
        var symbol = lookup.find("offkern_shim_abi_version");
        if (symbol.isEmpty()) {
            return Result.failed(new IllegalStateException(file + " (from " + source.description
                    + ") is no offkern shim: it has no offkern_shim_abi_version"));
        }
        int abi;
        try {
            abi = (int) Linker.nativeLinker().downcallHandle(symbol.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT))
                    .invokeExact();
        } catch (Throwable t) {
            return Result.failed(t);
        }
        if (abi != NativeShim.EXPECTED_ABI_VERSION) {
            return Result.failed(new IllegalStateException(file + " (from " + source.description + ") has shim ABI " + abi
                    + ", these bindings need " + NativeShim.EXPECTED_ABI_VERSION + " (a library of another offkern version)"));
        }
        return new Result(lookup, file, source, null);
    }
}
