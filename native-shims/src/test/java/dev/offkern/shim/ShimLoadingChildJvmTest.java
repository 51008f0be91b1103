package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each way the shim can be found, in a fresh JVM (the loader runs once per JVM, at class
 * initialisation, from the real system properties): the default cache under {@code user.home}
 * reused by a second start, a configured cache directory, {@code java.library.path},
 * {@code -Doffkern.shim.path}, and a platform without a library. The child is this JVM's java with
 * the test class path, running {@link ShimLoadingProbe}.
 */
class ShimLoadingChildJvmTest {
    private static final String MAPPED = System.mapLibraryName(ShimLibraryLoader.LIBRARY_NAME);

    @TempDir
    Path tmp;

    private Map<String, String> probe(String... jvmArgs) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:-UsePerfData"));
        command.addAll(List.of(jvmArgs));
        command.addAll(List.of("-cp", classPath, ShimLoadingProbe.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("XDG_CACHE_HOME");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("child JVM hung");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        Map<String, String> values = new HashMap<>();
        for (String line : text.split("\\R")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        values.put("output", text);
        return values;
    }

    private static void assertWorking(Map<String, String> r) {
        assertEquals("true", r.get("loaded"), r.get("output"));
        assertEquals(String.valueOf(NativeShim.EXPECTED_ABI_VERSION), r.get("abi"), r.get("output"));
        assertEquals("true", r.get("cas128"), r.get("output"));
    }

    @Test
    void shouldExtractUnderUserHomeOnceAndReuseItOnTheNextStartLeavingNothingInTmp() throws Exception {
        Path home = tmp.resolve("home");
        Path javaTmp = Files.createDirectories(tmp.resolve("java-tmp"));
        Path expected = home.resolve(".cache/offkern").resolve(ShimLibraryLoader.version()).resolve("linux-x86_64").resolve(MAPPED);

        Map<String, String> first = probe("-Duser.home=" + home, "-Djava.io.tmpdir=" + javaTmp);
        assertWorking(first);
        assertEquals(ShimLibraryLoader.Source.EXTRACTED.description, first.get("source"), first.get("output"));
        assertEquals(expected.toString(), first.get("location"));
        var modified = Files.getLastModifiedTime(expected);

        Map<String, String> second = probe("-Duser.home=" + home, "-Djava.io.tmpdir=" + javaTmp);
        assertWorking(second);
        assertEquals(ShimLibraryLoader.Source.CACHED.description, second.get("source"), second.get("output"));
        assertEquals(expected.toString(), second.get("location"));
        assertEquals(modified, Files.getLastModifiedTime(expected), "the second start did not rewrite the library");
        try (Stream<Path> s = Files.list(javaTmp)) {
            assertEquals(List.of(), s.toList(), "nothing extracted to java.io.tmpdir");
        }
        try (Stream<Path> s = Files.list(expected.getParent())) {
            assertEquals(List.of(expected), s.toList(), "no temporary file left in the cache");
        }
    }

    @Test
    void shouldExtractToTheCacheDirProperty() throws Exception {
        Path dir = tmp.resolve("my cache");
        Map<String, String> r = probe("-Doffkern.shim.cacheDir=" + dir, "-Duser.home=" + tmp.resolve("unused-home"));
        assertWorking(r);
        assertEquals(dir.resolve(MAPPED).toString(), r.get("location"));
        assertFalse(Files.exists(tmp.resolve("unused-home")));
    }

    @Test
    void shouldLoadFromJavaLibraryPath() throws Exception {
        Path libDir = Files.createDirectories(tmp.resolve("lib"));
        Path lib = libDir.resolve(MAPPED);
        Files.copy(Path.of(NativeShim.location()), lib);
        Map<String, String> r = probe("-Djava.library.path=" + libDir, "-Duser.home=" + tmp.resolve("unused-home"));
        assertWorking(r);
        assertEquals(ShimLibraryLoader.Source.LIBRARY_PATH.description, r.get("source"), r.get("output"));
        assertEquals(lib.toString(), r.get("location"));
        assertFalse(Files.exists(tmp.resolve("unused-home")), "nothing extracted");
    }

    @Test
    void shouldLoadTheShimPathPropertyBeforeAnythingElse() throws Exception {
        Path libDir = Files.createDirectories(tmp.resolve("lib"));
        Files.copy(Path.of(NativeShim.location()), libDir.resolve(MAPPED));
        Path file = tmp.resolve("packaged/offkern-shim-custom.so");
        Files.createDirectories(file.getParent());
        Files.copy(Path.of(NativeShim.location()), file);
        Map<String, String> r = probe("-Doffkern.shim.path=" + file, "-Djava.library.path=" + libDir,
                "-Duser.home=" + tmp.resolve("unused-home"));
        assertWorking(r);
        assertEquals(ShimLibraryLoader.Source.PATH_PROPERTY.description, r.get("source"), r.get("output"));
        assertEquals(file.toString(), r.get("location"));
    }

    @Test
    void shouldSayInOneLineThatNoLibraryFitsAnotherPlatform() throws Exception {
        Map<String, String> r = probe("-Dos.arch=aarch64", "-Duser.home=" + tmp.resolve("unused-home"));
        assertEquals("false", r.get("loaded"), r.get("output"));
        String location = r.get("location");
        assertTrue(location.startsWith("not loaded: no offkern shim library for this platform (os.name=Linux, os.arch=aarch64: linux-aarch64)"),
                location);
        assertFalse(Files.exists(tmp.resolve("unused-home")), "nothing extracted");
    }
}
