package dev.offkern.layout.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.mingw.KnownDifference;
import dev.offkern.layout.mingw.KnownDifference.Kind;
import dev.offkern.layout.mingw.KnownDifferences;
import dev.offkern.layout.Structures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The generated C header compiles, whole, after mingw-w64's WDK headers as C and as C++ for both
 * ABIs (with mingw-w64's known differences named by {@code OFFKERN_MINGW_W64}), fails exactly where
 * those differences are and nowhere else without it, fails on a wrong layout naming structure and
 * member, honours its skip macros, and its bit-field checker finds a misplaced bit field when run
 * (host gcc and g++, {@code -mms-bitfields}). Without the compilers the tests are skipped with a
 * message saying so, unless {@code offkern.requireWdkOracle=true} (CI), where they fail.
 */
class CHeaderRendererTest {

    private static final boolean REQUIRED = Boolean.getBoolean("offkern.requireWdkOracle");

    /** mingw-w64 10's wdm.h redefines two intrinsics intrin.h already defines, which g++ rejects. */
    private static final String MINGW_CXX_WORKAROUND = """
            #if defined(__cplusplus) && defined(__MINGW32__)
            #define __INTRINSIC_DEFINED_InterlockedBitTestAndSet
            #define __INTRINSIC_DEFINED_InterlockedBitTestAndReset
            #endif
            """;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"X64, c", "X64, c++", "X86, c", "X86, c++"})
    void shouldCompileTheWholeHeaderAfterTheMingwDdkHeaders(Abi abi, String language) throws Exception {
        Path header = write("offkern_" + abi.id() + ".h", LayoutRenderer.render(LayoutFormat.C, abi, Structures.all(abi)));
        Path source = write(language.equals("c") ? "use.c" : "use.cpp", MINGW_CXX_WORKAROUND + """
                #include <ntifs.h>
                #include <csq.h>
                #define OFFKERN_MINGW_W64
                #define OFFKERN_CHECK_BITS
                #include "%s"
                const char *probe(void) { return offkern_check_bits_%s(); }
                int process_id_offset = OFFKERN_EPROCESS_UniqueProcessId_OFFSET;
                """.formatted(header.getFileName(), abi.id()));
        Result r = mingw(abi, language, source, "-Werror");
        assertEquals(0, r.status(), () -> "the whole " + abi.id() + " header does not compile as " + language + ":\n" + r.output());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Abi.class)
    void shouldFailOnlyWhereMingwKnownlyDiffersWithoutItsMacros(Abi abi) throws Exception {
        String text = LayoutRenderer.render(LayoutFormat.C, abi, Structures.all(abi));
        Path header = write("offkern_" + abi.id() + ".h", text);
        Path source = write("bare.c", """
                #include <ntifs.h>
                #include <csq.h>
                #define OFFKERN_CHECK_BITS
                #include "%s"
                """.formatted(header.getFileName()));
        Result r = mingw(abi, "c", source, "-fmax-errors=0");
        assertNotEquals(0, r.status(), "mingw-w64's known differences must show without OFFKERN_MINGW_W64");
        List<String> guards = guardsByLine(text);
        Set<String> failedMacros = new TreeSet<>();
        List<String> unexplained = new ArrayList<>();
        Matcher m = Pattern.compile(Pattern.quote(header.getFileName().toString())
                        + ":(\\d+):\\d+: (error: (.*)|note: in expansion of macro.*)")
                .matcher(r.output());
        String inMacro = null;
        while (m.find()) {
            int line = Integer.parseInt(m.group(1));
            String at = text.lines().skip(line - 1).findFirst().orElse("");
            if (m.group(3) == null) {
                // An error inside a macro's definition (OFFKERN_TYPE_ALIGNMENT) is charged to where the
                // macro is used, which gcc names in the note that follows it.
                if (inMacro == null || at.startsWith("#define")) {
                    continue;
                }
                inMacro = null;
            } else if (at.startsWith("#define")) {
                inMacro = m.group(3);
                continue;
            }
            String guard = guards.get(line - 1);
            if (guard == null) {
                unexplained.add("line " + line + ": " + m.group(2) + " | " + text.lines().skip(line - 1).findFirst().orElse(""));
            } else {
                failedMacros.add(guard);
            }
        }
        assertTrue(unexplained.isEmpty(), () -> "failures no known difference explains:\n" + String.join("\n", unexplained));
        Set<String> declared = new TreeSet<>();
        Matcher d = Pattern.compile("#define (OFFKERN_MINGW_W64_\\w+)").matcher(text);
        while (d.find()) {
            declared.add(d.group(1));
        }
        // A bit field mingw-w64 places elsewhere (Kind.BITS) only fails when offkern_check_bits_*() runs,
        // which a cross build cannot do here; every other kind of difference fails the compilation.
        Set<String> compileVisible = new TreeSet<>();
        for (KnownDifference k : KnownDifferences.ALL) {
            if (k.abis().contains(abi) && k.kind() != Kind.BITS && k.kind() != Kind.FIELD_SIZE && k.kind() != Kind.MINGW_ONLY) {
                compileVisible.add("OFFKERN_MINGW_W64_" + k.struct());
            }
        }
        assertTrue(declared.containsAll(compileVisible), () -> "undeclared: " + compileVisible + " vs " + declared);
        assertEquals(compileVisible, failedMacros, "every known difference that fails the compilation, and only those");
    }

    @Test
    void shouldFailCompilationNamingTheWrongMember() throws Exception {
        StructSpec wrong = CStruct.struct("KTIMER", Abi.X64)
                .field("Header", DISPATCHER_HEADER.X64)
                .field("DueTime", CType.ULONGLONG)
                .field("TimerListEntry", LIST_ENTRY.X64)
                .field("Dpc", CType.PVOID)
                .field("Period", CType.ULONG)      // swapped with Processor: 0x38 instead of 0x3c
                .field("Processor", CType.ULONG)
                .build();
        Path header = write("wrong.h", LayoutRenderer.render(LayoutFormat.C, Abi.X64, List.of(wrong)));
        Path source = write("use.c", "#include <ntifs.h>\n#include \"wrong.h\"\n");
        Result r = mingw(Abi.X64, "c", source);
        assertNotEquals(0, r.status(), "a wrong offset must not compile");
        assertTrue(r.output().contains("C_ASSERT(FIELD_OFFSET(KTIMER, Period) == 0x38); /* KTIMER.Period (x64) */"),
                r.output());
        assertTrue(r.output().contains("C_ASSERT(FIELD_OFFSET(KTIMER, Processor) == 0x3c); /* KTIMER.Processor (x64) */"),
                r.output());

        Path skipped = write("skip.c", """
                #include <ntifs.h>
                #define OFFKERN_SKIP_KTIMER__Period
                #define OFFKERN_SKIP_KTIMER__Processor
                #include "wrong.h"
                """);
        Result s = mingw(Abi.X64, "c", skipped);
        assertEquals(0, s.status(), () -> "named member skips must silence exactly those asserts:\n" + s.output());
        assertTrue(Files.readString(header).contains("OFFKERN_SKIP_KTIMER__Period"));
    }

    @Test
    void shouldKeepTheOtherAbisAssertsInert() throws Exception {
        // The x86 header checks nothing in an x64 build (its numbers would be wrong there).
        Path header = write("offkern_x86.h", LayoutRenderer.render(LayoutFormat.C, Abi.X86, List.of(KTIMER.X86)));
        Path source = write("use.c", "#include <ntifs.h>\n#include \"offkern_x86.h\"\n");
        Result r = mingw(Abi.X64, "c", source);
        assertEquals(0, r.status(), r::output);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gcc", "g++"})
    void shouldFindMisplacedBitFieldsWhenRun(String compiler) throws Exception {
        require(onPath(compiler), "host " + compiler + " not found: bit-field checker run skipped");
        String prelude = """
                typedef struct { unsigned char Kind; unsigned char Low:3; unsigned char High:5;
                                 unsigned short Wide:9; unsigned short Rest:7; } OFFKERN_BITS;
                """;
        StructSpec right = bitsSpec("Low", "High");
        StructSpec wrong = bitsSpec("High", "Low");   // claims High at bits 0..4
        for (StructSpec spec : List.of(right, wrong)) {
            Path header = write("bits.h", LayoutRenderer.render(LayoutFormat.C, Abi.X64, List.of(spec)));
            Path source = write(compiler.equals("gcc") ? "bits.c" : "bits.cpp", """
                    #include <stdio.h>
                    %s
                    #define OFFKERN_CHECK_BITS
                    #include "%s"
                    int main(void) { const char *bad = offkern_check_bits_x64(); puts(bad ? bad : "OK"); return 0; }
                    """.formatted(prelude, header.getFileName()));
            Path exe = dir.resolve("bits");
            Result c = run(List.of(compiler, "-Wall", "-Werror", "-mms-bitfields", "-D_WIN64", "-o", exe.toString(),
                    source.toString()));
            assertEquals(0, c.status(), c::output);
            Result r = run(List.of(exe.toString()));
            assertEquals(spec == right ? "OK" : "OFFKERN_BITS.High", r.output().strip());
        }
    }

    @Test
    void shouldEmitOpaqueObjectsAsMacrosNotStructDefinitions() {
        String c = LayoutRenderer.render(LayoutFormat.C, Abi.X64, List.of(Structures.get("EPROCESS", Abi.X64),
                Structures.get("OBJECT_HEADER", Abi.X64)));
        assertTrue(c.contains("#define OFFKERN_EPROCESS_SIZE 0xa40\n"), c);
        assertTrue(c.contains("#define OFFKERN_EPROCESS_Pcb_Header_OFFSET 0x0\n"), c);
        assertTrue(c.contains("#define OFFKERN_OBJECT_HEADER_PermanentObject_BIT 4\n"), c);
        assertTrue(c.contains("#define OFFKERN_OBJECT_HEADER_PermanentObject_WIDTH 1\n"), c);
        assertTrue(!c.contains("struct _EPROCESS"), "no struct definition for an opaque object");
        assertTrue(!c.contains("sizeof(EPROCESS)"), "no assert on a type the WDK does not define");
    }

    private static StructSpec bitsSpec(String first, String second) {
        return CStruct.struct("OFFKERN_BITS", Abi.X64)
                .field("Kind", CType.UCHAR)
                .bits(CType.UCHAR, first, first.equals("Low") ? 3 : 5, second, second.equals("Low") ? 3 : 5)
                .bits(CType.USHORT, "Wide", 9, "Rest", 7)
                .build();
    }

    private record Result(int status, String output) {
    }

    private Result mingw(Abi abi, String language, Path source, String... extra) throws Exception {
        String triple = abi == Abi.X64 ? "x86_64-w64-mingw32" : "i686-w64-mingw32";
        String compiler = triple + (language.equals("c") ? "-gcc" : "-g++");
        String pkg = (language.equals("c") ? "gcc" : "g++") + "-mingw-w64-" + (abi == Abi.X64 ? "x86-64" : "i686");
        require(onPath(compiler), compiler + " not found: install " + pkg + " to check the C header against the WDK headers");
        Path ddk = Path.of("/usr", triple, "include", "ddk");
        if (!Files.isDirectory(ddk)) {
            ddk = Path.of("/usr/share/mingw-w64/include/ddk");
        }
        require(Files.isDirectory(ddk), "mingw-w64 ddk headers not found (mingw-w64-" + (abi == Abi.X64 ? "x86-64" : "i686") + "-dev)");
        List<String> command = new ArrayList<>(List.of(compiler, language.equals("c") ? "-std=c99" : "-std=c++17",
                "-Wall", "-fsyntax-only", "-I" + ddk, "-I" + dir));
        command.addAll(List.of(extra));
        command.add(source.toString());
        return run(command);
    }

    /** Skips (locally) or fails (CI: offkern.requireWdkOracle=true) when a compiler or header is missing. */
    private static void require(boolean present, String message) {
        if (!present && REQUIRED) {
            fail(message + " (required: offkern.requireWdkOracle=true)");
        }
        assumeTrue(present, message);
    }

    /**
     * For each line of {@code header}, the known-difference macro ({@code OFFKERN_MINGW_W64_<STRUCT>})
     * of an enclosing {@code #if}, or null: a small tracker of preprocessor conditionals.
     */
    private static List<String> guardsByLine(String header) {
        Pattern macro = Pattern.compile("!defined\\((OFFKERN_MINGW_W64_\\w+)\\)|#ifndef (OFFKERN_MINGW_W64_\\w+)");
        Deque<String> stack = new ArrayDeque<>();
        List<String> guards = new ArrayList<>();
        for (String line : header.lines().toList()) {
            String t = line.strip();
            if (t.startsWith("#if")) {
                Matcher m = macro.matcher(t);
                String found = null;
                if (m.find() && !t.contains("defined(OFFKERN_MINGW_W64) &&")) {
                    found = m.group(1) != null ? m.group(1) : m.group(2);
                }
                stack.push(found == null ? "" : found);
            } else if (t.startsWith("#endif")) {
                stack.pop();
            }
            guards.add(stack.stream().filter(g -> !g.isEmpty()).findFirst().orElse(null));
        }
        return guards;
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    private static boolean onPath(String exe) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }

    private Result run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + command);
        return new Result(p.exitValue(), out);
    }
}
