package dev.offkern.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class PoolmonCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void shouldPrintThePoolmonTableOfTheDemoWorkload() {
        assertEquals(0, run("poolmon", "--demo", "--rounds", "200"));
        String[] lines = out.toString().split("\n");
        assertTrue(lines[0].matches(" Tag\\s+Type\\s+Allocs\\s+Frees\\s+Diff\\s+Bytes"), lines[0]);
        String text = out.toString();
        // 200 rounds: 200 small 64 B blocks allocated, the last 32 freed at the end -> all 200 freed.
        assertTrue(text.matches("(?s).*\\n DmSm  Nonp\\s+200\\s+200\\s+0\\s+0\\n.*"), text);
        assertTrue(text.matches("(?s).*\\n DmCa  Nonp\\s+200\\s+200\\s+0\\s+0\\n.*"), text);
        assertTrue(text.matches("(?s).*\\n DmLg  Paged\\s+4\\s+4\\s+0\\s+0\\n.*"), text);
        assertTrue(text.matches("(?s).*\\n DmPg  Paged\\s+20\\s+0\\s+20\\s+\\d+\\n.*"), text);
        assertTrue(text.contains("DmLk"), text);
        assertEquals("", err.toString());
    }

    @Test
    void shouldSortByTag() {
        assertEquals(0, run("poolmon", "--demo", "-n", "20", "--sort", "tag"));
        String text = out.toString();
        assertTrue(text.indexOf("DmCa") < text.indexOf("DmLg") && text.indexOf("DmLg") < text.indexOf("DmSm"), text);
    }

    @Test
    void shouldReportDeliberateLeaks() {
        assertEquals(0, run("poolmon", "--demo", "-n", "100", "--leaks"));
        assertTrue(out.toString().contains("still allocated at shutdown"), out.toString());
        assertTrue(out.toString().contains("DmPg  Paged"), out.toString());
    }

    @Test
    void shouldPrintTheDemoTableAsJson() {
        assertEquals(0, run("poolmon", "--demo", "-n", "200", "--format", "json", "--sort", "tag"));
        var root = tools.jackson.databind.json.JsonMapper.builder().build().readTree(out.toString());
        assertEquals("demo", root.get("source").asString());
        var first = root.get("tags").get(0);
        assertEquals("DmCa", first.get("tag").asString());
        assertEquals("Nonp", first.get("pool").asString());
        assertEquals(200, first.get("allocs").asLong());
        assertEquals(200, first.get("frees").asLong());
        assertEquals(1, out.toString().strip().lines().count(), "one JSON document on one line");
    }

    @Test
    void shouldAskForDemoOrAttachInOneLine() {
        assertEquals(2, run("poolmon"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("give --attach DIR (watch a kernel in another process) or --demo"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, run("poolmon", "--demo", "--attach", "/nonexistent"));
        assertTrue(err.toString().contains("--demo and --attach exclude each other"), err.toString());
    }

    @Test
    void shouldPrintHelp() {
        assertEquals(0, run("poolmon", "--help"));
        assertTrue(out.toString().contains("--sort"), out.toString());
        assertTrue(out.toString().contains("--attach"), out.toString());
        assertTrue(out.toString().contains("--demo"), out.toString());
    }

    @Test
    void shouldRejectBadOptionsWithOneLineAndExitCode2() {
        assertEquals(2, run("poolmon", "--bogus"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("--bogus"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, run("poolmon", "--demo", "--sort", "size"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, run("poolmon", "--demo", "--rounds", "0"));
        assertTrue(err.toString().contains("--rounds must be between"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }
}
