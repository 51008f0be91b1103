package dev.offkern.layout.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.Structures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated C header compiles against mingw-w64's WDK headers for both ABIs, its asserts
 * fail on a wrong layout (naming structure and member), its skip macros work, and its bit-field
 * checker finds a misplaced bit field when run (host gcc, {@code -mms-bitfields}).
 * Without the compilers the tests are skipped with a message saying so.
 */
class CHeaderRendererTest {

    @TempDir
    Path dir;

    /** Public structures whose mingw-w64 declarations match Windows, and every opaque object. */
    private static List<StructSpec> checkedSet(Abi abi) {
        List<StructSpec> specs = new ArrayList<>(List.of(LIST_ENTRY.of(abi), DISPATCHER_HEADER.of(abi), KTIMER.of(abi)));
        for (StructSpec s : Structures.all(abi)) {
            if (s.origin() == StructSpec.Origin.OPAQUE) {
                specs.add(s);
            }
        }
        return specs;
    }

    @Test
    void shouldCompileAgainstMingwWdkHeadersForBothAbis() throws Exception {
        for (Abi abi : Abi.values()) {
            Path header = write("offkern_" + abi.id() + ".h", LayoutRenderer.render(LayoutFormat.C, abi, checkedSet(abi)));
            // Named exceptions: mingw-w64 declares the Windows 7 DISPATCHER_HEADER (no Timer2/Queue/
            // Thread/Mutant views, DpcActive at 3) and the pre-2004 KTIMER (ULONG Processor, no
            // TimerType); the WDK oracle in `tests` records each difference.
            Path source = write("use.c", """
                    #include <ntifs.h>
                    #define OFFKERN_SKIP_DISPATCHER_HEADER
                    #define OFFKERN_SKIP_KTIMER__TimerType
                    #define OFFKERN_CHECK_BITS
                    #include "%s"
                    const char *probe(void) { return offkern_check_bits_%s(); }
                    int process_id_offset = OFFKERN_EPROCESS_UniqueProcessId_OFFSET;
                    """.formatted(header.getFileName(), abi.id()));
            Result r = mingw(abi, source);
            assertEquals(0, r.status(), () -> "compile failed for " + abi.id() + ":\n" + r.output());
        }
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
        Result r = mingw(Abi.X64, source);
        assertNotEquals(0, r.status(), "a wrong offset must not compile");
        assertTrue(r.output().contains("KTIMER.Period: offset is not 0x38 (x64)"), r.output());
        assertTrue(r.output().contains("KTIMER.Processor: offset is not 0x3c (x64)"), r.output());

        Path skipped = write("skip.c", """
                #include <ntifs.h>
                #define OFFKERN_SKIP_KTIMER__Period
                #define OFFKERN_SKIP_KTIMER__Processor
                #include "wrong.h"
                """);
        Result s = mingw(Abi.X64, skipped);
        assertEquals(0, s.status(), () -> "named member skips must silence exactly those asserts:\n" + s.output());
        assertTrue(Files.readString(header).contains("OFFKERN_SKIP_KTIMER__Period"));
    }

    @Test
    void shouldKeepTheOtherAbisAssertsInert() throws Exception {
        // The x86 header checks nothing in an x64 build (its numbers would be wrong there).
        Path header = write("offkern_x86.h", LayoutRenderer.render(LayoutFormat.C, Abi.X86, List.of(KTIMER.X86)));
        Path source = write("use.c", "#include <ntifs.h>\n#include \"offkern_x86.h\"\n");
        Result r = mingw(Abi.X64, source);
        assertEquals(0, r.status(), r::output);
    }

    @Test
    void shouldFindMisplacedBitFieldsWhenRun() throws Exception {
        assumeTrue(onPath("gcc"), "host gcc not found: bit-field checker run skipped");
        String prelude = """
                typedef struct { unsigned char Kind; unsigned char Low:3; unsigned char High:5;
                                 unsigned short Wide:9; unsigned short Rest:7; } OFFKERN_BITS;
                """;
        StructSpec right = bitsSpec("Low", "High");
        StructSpec wrong = bitsSpec("High", "Low");   // claims High at bits 0..4
        for (StructSpec spec : List.of(right, wrong)) {
            Path header = write("bits.h", LayoutRenderer.render(LayoutFormat.C, Abi.X64, List.of(spec)));
            Path source = write("bits.c", """
                    #include <stdio.h>
                    %s
                    #define OFFKERN_CHECK_BITS
                    #include "%s"
                    int main(void) { const char *bad = offkern_check_bits_x64(); puts(bad ? bad : "OK"); return 0; }
                    """.formatted(prelude, header.getFileName()));
            Path exe = dir.resolve("bits");
            Result c = run(List.of("gcc", "-std=c11", "-mms-bitfields", "-D_WIN64", "-o", exe.toString(), source.toString()));
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

    private Result mingw(Abi abi, Path source) throws Exception {
        String gcc = abi == Abi.X64 ? "x86_64-w64-mingw32-gcc" : "i686-w64-mingw32-gcc";
        String triple = abi == Abi.X64 ? "x86_64-w64-mingw32" : "i686-w64-mingw32";
        assumeTrue(onPath(gcc), gcc + " not found: install gcc-mingw-w64 to check the C header against the WDK headers");
        Path ddk = Path.of("/usr", triple, "include", "ddk");
        if (!Files.isDirectory(ddk)) {
            ddk = Path.of("/usr/share/mingw-w64/include/ddk");
        }
        assumeTrue(Files.isDirectory(ddk), "mingw-w64 ddk headers not found");
        return run(List.of(gcc, "-std=gnu11", "-Wall", "-fsyntax-only", "-I" + ddk, "-I" + dir, source.toString()));
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
