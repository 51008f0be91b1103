package dev.offkern.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.Abi;
import dev.offkern.layout.Structures;
import dev.offkern.layout.render.LayoutFormat;
import dev.offkern.layout.render.LayoutRenderer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
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
        assertTrue(r.out().contains("{\"name\": \"EPROCESS\", \"size\": 1280, \"align\": 8"), r.out());
    }

    @Test
    void shouldEmitTheCHeaderForTheChosenAbi() {
        Run r = run("layouts", "--abi=X86", "--format=c", "KTIMER");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("#if !defined(_WIN64)"), r.out());
        assertTrue(r.out().contains("_Static_assert(offsetof(KTIMER, Period) == 0x24, "), r.out());
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
    void shouldRejectAnUnknownStructureInOneLineNamingTheChoices() {
        Run r = run("layouts", "KTIMER", "NOPE");
        assertEquals(2, r.status());
        assertEquals(1, r.errLines().size(), r.err());
        String line = r.errLines().getFirst();
        assertTrue(line.startsWith("offkern layouts: unknown structure 'NOPE' (valid: "), line);
        for (String name : Structures.names()) {
            assertTrue(line.contains(name), line);
        }
        assertEquals("", r.out(), "nothing printed when one name is wrong");
    }

    @Test
    void shouldRejectAnUnknownOptionInOneLineNamingTheChoices() {
        Run r = run("layouts", "--colour");
        assertEquals(2, r.status());
        assertEquals(List.of("offkern layouts: Unknown option: '--colour' (valid options: --abi, --format, --help)"),
                r.errLines());
    }

    @Test
    void shouldRejectAnUnknownCommandInOneLineNamingTheChoices() {
        Run r = run("lay");
        assertEquals(2, r.status());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.errLines().getFirst().startsWith("offkern: Unmatched argument at index 0: 'lay' (valid commands: "),
                r.err());
        assertTrue(r.errLines().getFirst().contains("layouts"), r.err());
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
        assertTrue(r.out().contains("Usage: offkern layouts [-h] [--abi=x64|x86] [--format=table|json|c] [STRUCT...]"),
                r.out());
        assertTrue(r.out().contains("EPROCESS"), "help lists the structures");
        assertTrue(r.out().contains("2   unknown ABI, format, structure or option"), r.out());
        Run top = run("--help");
        assertEquals(0, top.status());
        assertTrue(top.out().contains("layouts"), top.out());
    }
}
