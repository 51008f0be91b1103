package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shim's loading order and its cache, in this JVM: each step of {@link ShimLibraryLoader} driven
 * through its parameters (properties, environment, the java.library.path loader). What needs a fresh
 * JVM (the real system properties at class initialisation) is in {@link ShimLoadingChildJvmTest}.
 */
class ShimLibraryLoaderTest {
    private static final String MAPPED = System.mapLibraryName(ShimLibraryLoader.LIBRARY_NAME);

    @TempDir
    Path tmp;

    private static byte[] packagedLibrary() throws IOException {
        String resource = ShimLibraryLoader.resource("linux-x86_64", MAPPED);
        try (InputStream in = ShimLibraryLoader.class.getResourceAsStream(resource)) {
            assertNotNull(in, "the build packages " + resource);
            return in.readAllBytes();
        }
    }

    private Properties props(String... keyValues) {
        Properties p = new Properties();
        p.setProperty("os.name", "Linux");
        p.setProperty("os.arch", "amd64");
        p.setProperty("user.home", tmp.resolve("home").toString());
        p.setProperty("java.library.path", "");
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    private static final ShimLibraryLoader.LibraryPathLoader NO_LIBRARY_PATH = file -> {
        throw new AssertionError("java.library.path must not be consulted here: " + file);
    };

    @Test
    void shouldReuseACachedLibraryWhoseContentMatches() throws IOException {
        byte[] lib = packagedLibrary();
        Path dir = tmp.resolve("cache");
        ShimLibraryLoader.Extraction first = ShimLibraryLoader.extract(lib, dir, MAPPED);
        assertTrue(first.written());
        Object key = Files.readAttributes(first.file(), BasicFileAttributes.class).fileKey();
        var modified = Files.getLastModifiedTime(first.file());

        ShimLibraryLoader.Extraction second = ShimLibraryLoader.extract(lib, dir, MAPPED);
        assertFalse(second.written(), "same SHA-256: reused, not rewritten");
        assertEquals(first.file(), second.file());
        assertEquals(key, Files.readAttributes(second.file(), BasicFileAttributes.class).fileKey(), "the same inode");
        assertEquals(modified, Files.getLastModifiedTime(second.file()));
        assertEquals(List.of(MAPPED), list(dir), "nothing but the library in the cache directory");
    }

    @Test
    void shouldReplaceACachedFileWhoseContentDiffersAtomically() throws IOException {
        byte[] lib = packagedLibrary();
        Path dir = tmp.resolve("cache");
        Files.createDirectories(dir);
        Path target = dir.resolve(MAPPED);
        Files.write(target, new byte[] {1, 2, 3}); // a truncated or stale library
        Object staleKey = Files.readAttributes(target, BasicFileAttributes.class).fileKey();

        ShimLibraryLoader.Extraction e = ShimLibraryLoader.extract(lib, dir, MAPPED);
        assertTrue(e.written());
        assertArrayEquals(lib, Files.readAllBytes(target));
        assertFalse(staleKey.equals(Files.readAttributes(target, BasicFileAttributes.class).fileKey()),
                "renamed over the old file (a new inode), not written in place");
        assertEquals(List.of(MAPPED), list(dir), "no temporary file left behind");
    }

    @Test
    void shouldSayWhichPropertyToSetWhenTheCacheCannotBeWritten() throws IOException {
        Path notADirectory = Files.writeString(tmp.resolve("file"), "x");
        IOException e = assertThrows(IOException.class,
                () -> ShimLibraryLoader.extract(new byte[] {1}, notADirectory.resolve("cache"), MAPPED));
        assertTrue(e.getMessage().contains("-Doffkern.shim.cacheDir=DIR"), e.getMessage());
        assertTrue(e.getMessage().contains(notADirectory.resolve("cache").toString()), e.getMessage());
    }

    @Test
    void shouldExtractToTheConfiguredCacheDirectoryAndReuseItNextTime() {
        Path dir = tmp.resolve("configured");
        Properties p = props("offkern.shim.cacheDir", dir.toString());
        ShimLibraryLoader.Result first = ShimLibraryLoader.load(p, name -> null, NO_LIBRARY_PATH);
        assertNull(first.failure());
        assertEquals(ShimLibraryLoader.Source.EXTRACTED, first.source());
        assertEquals(dir.resolve(MAPPED).toAbsolutePath(), first.file());
        ShimLibraryLoader.Result second = ShimLibraryLoader.load(p, name -> null, NO_LIBRARY_PATH);
        assertEquals(ShimLibraryLoader.Source.CACHED, second.source());
        assertEquals(first.file(), second.file());
        assertTrue(second.lookup().find("offkern_cas128").isPresent());
    }

    @Test
    void shouldDefaultTheCacheToUserHomeOrXdgCacheHomeKeyedByVersionAndPlatform() {
        String version = ShimLibraryLoader.version();
        assertFalse(version.equals("unversioned"), "the build filters shim-version.properties");
        Properties p = props();
        assertEquals(tmp.resolve("home/.cache/offkern").resolve(version).resolve("linux-x86_64"),
                ShimLibraryLoader.cacheDirectory(p, name -> null, "linux-x86_64"));
        assertEquals(tmp.resolve("xdg/offkern").resolve(version).resolve("linux-x86_64"),
                ShimLibraryLoader.cacheDirectory(p, name -> name.equals("XDG_CACHE_HOME") ? tmp.resolve("xdg").toString() : null,
                        "linux-x86_64"));
        assertEquals(tmp.resolve("home/.cache/offkern").resolve(version).resolve("linux-x86_64"),
                ShimLibraryLoader.cacheDirectory(p, name -> "relative/dir", "linux-x86_64"),
                "a relative XDG_CACHE_HOME is ignored, as the XDG spec says");
    }

    @Test
    void shouldLoadExactlyTheFileOfTheShimPathPropertyFirst() throws IOException {
        Path file = Files.write(tmp.resolve("my-shim.so"), packagedLibrary());
        Path libDir = Files.createDirectories(tmp.resolve("libdir"));
        Files.write(libDir.resolve(MAPPED), packagedLibrary());
        ShimLibraryLoader.Result r = ShimLibraryLoader.load(props("offkern.shim.path", file.toString(),
                "java.library.path", libDir.toString()), name -> null, NO_LIBRARY_PATH);
        assertNull(r.failure());
        assertEquals(ShimLibraryLoader.Source.PATH_PROPERTY, r.source());
        assertEquals(file, r.file());
    }

    @Test
    void shouldNotFallBackWhenTheShimPathPropertyNamesNoFile() {
        Path missing = tmp.resolve("missing.so");
        ShimLibraryLoader.Result r = ShimLibraryLoader.load(props("offkern.shim.path", missing.toString()),
                name -> null, NO_LIBRARY_PATH);
        assertNull(r.lookup());
        assertTrue(r.failure().getMessage().contains("-Doffkern.shim.path=" + missing + " names no file"), r.failure().getMessage());
    }

    @Test
    void shouldRefuseALibraryThatIsNoOffkernShim() {
        // The granule-map test library (built beside the tests) has no offkern_shim_abi_version.
        Path other = Path.of(System.getProperty("user.dir"), "target", "test-classes", "native", "liboffkern_map_test.so");
        assertTrue(Files.isRegularFile(other), other.toString());
        ShimLibraryLoader.Result r = ShimLibraryLoader.load(props("offkern.shim.path", other.toString()),
                name -> null, NO_LIBRARY_PATH);
        assertNull(r.lookup());
        assertTrue(r.failure().getMessage().contains("is no offkern shim"), r.failure().getMessage());
    }

    @Test
    void shouldUseJavaLibraryPathBeforeTheJarsCopy() throws IOException {
        Path libDir = Files.createDirectories(tmp.resolve("libdir"));
        Path lib = Files.write(libDir.resolve(MAPPED), packagedLibrary());
        List<Path> asked = new ArrayList<>();
        ShimLibraryLoader.Result r = ShimLibraryLoader.load(
                props("java.library.path", tmp.resolve("empty") + java.io.File.pathSeparator + libDir,
                        "offkern.shim.cacheDir", tmp.resolve("cache-not-used").toString()),
                name -> null, file -> {
                    asked.add(file);
                    return SymbolLookup.libraryLookup(file, Arena.global());
                });
        assertNull(r.failure());
        assertEquals(List.of(lib), asked);
        assertEquals(ShimLibraryLoader.Source.LIBRARY_PATH, r.source());
        assertFalse(Files.exists(tmp.resolve("cache-not-used")), "nothing extracted");
    }

    @Test
    void shouldReportALibraryOnJavaLibraryPathThatDoesNotLoad() throws IOException {
        Path libDir = Files.createDirectories(tmp.resolve("libdir"));
        Files.write(libDir.resolve(MAPPED), new byte[] {0x7f, 'E', 'L', 'F'});
        ShimLibraryLoader.Result r = ShimLibraryLoader.load(props("java.library.path", libDir.toString()), name -> null,
                file -> {
                    throw new UnsatisfiedLinkError("invalid ELF header");
                });
        assertNull(r.lookup());
        assertTrue(r.failure().getMessage().contains("from java.library.path) does not load on this platform: invalid ELF header"),
                r.failure().getMessage());
    }

    @Test
    void shouldNameThePlatformInOneLineWhenNoLibraryFits() {
        ShimLibraryLoader.Result r = ShimLibraryLoader.load(props("os.name", "Mac OS X", "os.arch", "aarch64"),
                name -> null, NO_LIBRARY_PATH);
        assertNull(r.lookup());
        String m = r.failure().getMessage();
        assertTrue(m.contains("os.name=Mac OS X, os.arch=aarch64: osx-aarch64"), m);
        assertTrue(m.contains("-Doffkern.shim.path=FILE"), m);
        assertTrue(m.contains("linux-x86_64"), m);
        assertFalse(m.contains("\n"), m);
        assertFalse(Files.exists(tmp.resolve("home")), "nothing extracted");
    }

    @Test
    void shouldNormalizePlatformNames() {
        assertEquals("linux-x86_64", ShimLibraryLoader.platform("Linux", "amd64"));
        assertEquals("linux-x86_64", ShimLibraryLoader.platform("Linux", "x86_64"));
        assertEquals("linux-aarch64", ShimLibraryLoader.platform("Linux", "aarch64"));
        assertEquals("windows-x86_64", ShimLibraryLoader.platform("Windows 11", "amd64"));
        assertEquals("windows-x86", ShimLibraryLoader.platform("Windows 10", "x86"));
        assertEquals("osx-aarch64", ShimLibraryLoader.platform("Mac OS X", "aarch64"));
        assertEquals("freebsd-x86_64", ShimLibraryLoader.platform("FreeBSD", "amd64"));
    }

    @Test
    void shouldHaveLoadedThisJvmsShimThroughOneOfTheSources() {
        assertTrue(NativeShim.isLoaded(), NativeShim.location());
        assertTrue(Stream.of(ShimLibraryLoader.Source.values()).anyMatch(s -> s.description.equals(NativeShim.source())),
                NativeShim.source());
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
