package dev.offkern.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.Abi;
import dev.offkern.layout.Structures;
import dev.offkern.layout.render.LayoutFormat;
import dev.offkern.layout.render.LayoutRenderer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** {@code offkern layouts}, run in-process through the configured command line. */
class LayoutsCommandTest {

    private record Run(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    private static Run run(String... args) {
        CommandLine cmd = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        int status = cmd.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void shouldPrintEveryStructureAsX64TableByDefault() {
        Run r = run("layouts");
        assertEquals(0, r.status(), r.err());
        assertEquals(LayoutRenderer.render(LayoutFormat.TABLE, Abi.X64, Structures.all(Abi.X64)), r.out());
        assertTrue(r.out().startsWith(Structures.names().getFirst() + " (x64) size "), r.out());
        assertEquals("", r.err());
    }

    @Test
    void shouldPrintTheNamedStructuresInTheGivenOrderAnyCase() {
        Run r = run("layouts", "--abi", "x86", "--format", "json", "ktimer", "EPROCESS");
        assertEquals(0, r.status(), r.err());
        assertEquals(LayoutRenderer.render(LayoutFormat.JSON, Abi.X86,
                List.of(Structures.get("KTIMER", Abi.X86), Structures.get("EPROCESS", Abi.X86))), r.out());
        assertTrue(r.out().contains("{\"name\": \"EPROCESS\", \"kind\": \"struct\", \"size\": 1280, \"align\": 8"), r.out());
    }

    @Test
    void shouldEmitTheCHeaderForTheChosenAbi() {
        Run r = run("layouts", "--abi=X86", "--format=c", "KTIMER");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("#if !defined(_WIN64)"), r.out());
        assertTrue(r.out().contains("C_ASSERT(FIELD_OFFSET(KTIMER, Period) == 0x24);"), r.out());
    }

    @Test
    void shouldRejectAnUnknownAbiInOneLineNamingTheChoices() {
        Run r = run("layouts", "--abi", "arm64");
        assertEquals(2, r.status());
        assertEquals(List.of("offkern layouts: Invalid value for option '--abi': unknown ABI 'arm64' (valid: x64, x86)"),
                r.errLines());
        assertEquals("", r.out());
    }

    @Test
    void shouldRejectAnUnknownFormatInOneLineNamingTheChoices() {
        Run r = run("layouts", "--format", "xml");
        assertEquals(2, r.status());
        assertEquals(List.of("offkern layouts: Invalid value for option '--format': unknown format 'xml' (valid: table, json, isf, c)"),
                r.errLines());
    }

    @Test
    void shouldSuggestTheNearestStructureForAMistypedNameInOneLine() {
        Run r = run("layouts", "KTIMER", "slist_headr");
        assertEquals(2, r.status());
        assertEquals(List.of("offkern layouts: unknown structure 'slist_headr'; did you mean SLIST_HEADER? (see --help for all "
                + Structures.names().size() + ")"), r.errLines());
        assertEquals("", r.out(), "nothing printed when one name is wrong");
    }

    @Test
    void shouldNameNoStructureWhenNoneIsNearInsteadOfListingThemAll() {
        Run r = run("layouts", "NOPE");
        assertEquals(2, r.status());
        assertEquals(List.of("offkern layouts: unknown structure 'NOPE' (see --help for all " + Structures.names().size() + ")"),
                r.errLines());
        Run swapped = run("layouts", "KTMIER");
        assertEquals(List.of("offkern layouts: unknown structure 'KTMIER'; did you mean KTIMER? (see --help for all "
                + Structures.names().size() + ")"), swapped.errLines());
    }

    @Test
    void shouldRejectAnUnknownOptionInOneLineNamingTheChoices() {
        Run r = run("layouts", "--colour");
        assertEquals(2, r.status());
        assertEquals(List.of("offkern layouts: unknown option '--colour' (valid options: --abi, --format, --diff, --help, --version)"),
                r.errLines());
    }

    @Test
    void shouldSuggestTheNearestOptionForAMistypedOne() {
        Run r = run("layouts", "--formt", "json");
        assertEquals(2, r.status());
        assertEquals(List.of("offkern layouts: unknown option '--formt'; did you mean --format? (valid options: --abi, --format, "
                + "--diff, --help, --version)"), r.errLines());
        Run value = run("layouts", "--format", "jsn");
        assertEquals(List.of("offkern layouts: Invalid value for option '--format': unknown format 'jsn'; did you mean json? "
                + "(valid: table, json, isf, c)"), value.errLines());
    }

    @Test
    void shouldSuggestTheNearestCommandForAMistypedOne() {
        for (String typed : List.of("lay", "layuots", "LAYOUT")) {
            Run r = run(typed, "KTIMER");
            assertEquals(2, r.status());
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.errLines().getFirst().startsWith("offkern: unknown command '" + typed
                    + "'; did you mean layouts? (valid commands: demo, layouts, probe, "), r.err());
            assertEquals("", r.out());
        }
        Run none = run("frobnicate");
        assertEquals(2, none.status());
        assertTrue(none.errLines().getFirst().startsWith("offkern: unknown command 'frobnicate' (valid commands: "), none.err());
    }

    @Test
    void shouldRejectAMissingOptionValue() {
        Run r = run("layouts", "--abi");
        assertEquals(2, r.status());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("--abi"), r.err());
    }

    @Test
    void shouldShowHelpWithTheValidChoices() {
        Run r = run("layouts", "--help");
        assertEquals(0, r.status());
        assertTrue(r.out().startsWith("Usage: offkern layouts [-hV] [--abi=x64|x86] [--diff=FILE]"), r.out());
        assertTrue(r.out().contains("[--format=table|json|isf|c] [STRUCT...]"), r.out());
        assertTrue(r.out().contains("EPROCESS"), "help lists the structures");
        assertTrue(r.out().contains("2   unknown ABI, format, structure or option"), r.out());
        assertTrue(r.out().contains("1   with --diff: differences found"), r.out());
        Run top = run("--help");
        assertEquals(0, top.status());
        assertTrue(top.out().contains("layouts"), top.out());
    }

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"X64, ISF", "X86, ISF", "X64, JSON", "X86, JSON"})
    void shouldFindNoDifferenceBetweenOffkernAndItsOwnOutput(Abi abi, LayoutFormat format) throws IOException {
        Path file = Files.writeString(dir.resolve("own." + format.id()),
                LayoutRenderer.render(format, abi, Structures.all(abi)));
        Run r = run("layouts", "--diff", file.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        int all = Structures.names().size();
        assertEquals(List.of("offkern (Windows 10 22H2, " + abi.id() + ") vs " + file + " ("
                        + (format == LayoutFormat.ISF ? "Volatility ISF" : "offkern JSON") + ", "
                        + r.out().replaceAll("(?s).*, (\\d+) structures\\).*", "$1") + " structures): " + all
                        + " compared, " + all + " identical", "no differences"),
                r.out().lines().toList());
        assertEquals("", r.err());
    }

    @Test
    void shouldShowAFieldWhoseOffsetWasEditedInAnIsf() throws IOException {
        String isf = LayoutRenderer.render(LayoutFormat.ISF, Abi.X64, Structures.all(Abi.X64));
        String period = "\"Period\": {\"offset\": 60,";
        assertTrue(isf.contains(period), "KTIMER.Period at 0x3c in the ISF");
        Path file = Files.writeString(dir.resolve("edited.isf"), isf.replace(period, "\"Period\": {\"offset\": 64,"));
        Run r = run("layouts", "--diff", file.toString(), "KTIMER");
        assertEquals(1, r.status(), r.out() + r.err());
        assertEquals(List.of("KTIMER.Period: offset 0x3c -> 0x40"), r.out().lines().skip(1).toList());
    }

    @Test
    void shouldShowSizesBitsAndMembersThatDifferInAJsonFile() throws IOException {
        String json = LayoutRenderer.render(LayoutFormat.JSON, Abi.X86, List.of(Structures.get("DISPATCHER_HEADER", Abi.X86),
                Structures.get("KTIMER", Abi.X86)));
        String edited = json.replace("\"path\": \"Expired\", \"offset\": 3, \"size\": 1, \"bitOffset\": 7",
                        "\"path\": \"Expired\", \"offset\": 3, \"size\": 1, \"bitOffset\": 6")
                .replace("{\"name\": \"KTIMER\", \"kind\": \"struct\", \"size\": 40",
                        "{\"name\": \"KTIMER\", \"kind\": \"struct\", \"size\": 48")
                .replace("\"path\": \"Dpc\"", "\"path\": \"DpcPointer\"");
        Path file = Files.writeString(dir.resolve("edited.json.gz"), "");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(edited.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Run r = run("layouts", "--diff", file.toString(), "DISPATCHER_HEADER", "KTIMER");
        assertEquals(1, r.status(), r.out() + r.err());
        assertEquals(List.of(
                "DISPATCHER_HEADER.Expired: bits 7..7 -> 6..6",
                "KTIMER: size 0x28 -> 0x30",
                "KTIMER.Dpc: at 0x20 -> not in the file",
                "KTIMER.DpcPointer: not in offkern -> at 0x20"), r.out().lines().skip(1).toList());
    }

    @Test
    void shouldRejectAMissingOrForeignDiffFileInOneLine() throws IOException {
        Run missing = run("layouts", "--diff", dir.resolve("nope.isf").toString());
        assertEquals(2, missing.status());
        assertEquals(List.of("offkern layouts: --diff: no such file: " + dir.resolve("nope.isf") + " (see --help)"),
                missing.errLines());
        Path notJson = Files.writeString(dir.resolve("x.json"), "{\"user_types\": ");
        Run bad = run("layouts", "--diff", notJson.toString());
        assertEquals(2, bad.status());
        assertEquals(1, bad.errLines().size(), bad.err());
        assertTrue(bad.err().startsWith("offkern layouts: --diff: " + notJson + " is not JSON: "), bad.err());
        Path foreign = Files.writeString(dir.resolve("y.json"), "{\"hello\": 1}");
        Run other = run("layouts", "--diff", foreign.toString());
        assertEquals(2, other.status());
        assertTrue(other.err().contains("is neither offkern's layouts JSON"), other.err());
        Path isf86 = Files.writeString(dir.resolve("x86.isf"),
                LayoutRenderer.render(LayoutFormat.ISF, Abi.X86, List.of(Structures.get("KTIMER", Abi.X86))));
        Run abi = run("layouts", "--abi", "x64", "--diff", isf86.toString());
        assertEquals(2, abi.status());
        assertEquals(List.of("offkern layouts: --abi x64 but " + isf86 + " describes x86 (see --help)"), abi.errLines());
        Run format = run("layouts", "--format", "c", "--diff", isf86.toString());
        assertEquals(2, format.status());
        assertTrue(format.err().contains("--format does not apply"), format.err());
    }
}
