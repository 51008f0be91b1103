package dev.offkern.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DemoCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "no match for " + regex + " in\n" + text);
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    @Test
    void shouldAnswerEveryRequestAndLeaveNothingBehind() {
        int status = run("demo", "--threads", "3", "--requests", "400", "--cancel", "25", "--no-progress");
        String text = out.toString();
        assertEquals(0, status, text + err);
        long sent = number(text, "requests\\s+([\\d,]+) sent");
        long completed = number(text, "sent in [^:]*: ([\\d,]+) completed");
        long cancelled = number(text, "completed, ([\\d,]+) cancelled");
        long failed = number(text, "cancelled, ([\\d,]+) failed");
        assertEquals(1200, sent, text);
        assertEquals(sent, completed + cancelled + failed, text);
        assertEquals(0, failed, text);
        assertEquals(0, number(text, "failed, ([\\d,]+) lost"), text);
        assertTrue(cancelled > 0, "a quarter of the requests try to cancel: some must take effect\n" + text);
        long timer = number(text, "timer DPC ([\\d,]+)");
        long exTimer = number(text, "EX_TIMER ([\\d,]+)");
        long interrupt = number(text, "interrupt DPC ([\\d,]+)");
        assertEquals(completed, timer + exTimer + interrupt, text);
        assertEquals(cancelled, number(text, "cancelled ([\\d,]+), at unload"), text);
        assertTrue(text.contains("nothing left under tag Demo after unload"), text);
        assertTrue(text.contains("leaks        none"), text);
        assertTrue(text.contains("verifier     0 findings"), text);
        assertTrue(text.contains("result       PASS"), text);
        assertTrue(text.contains("pool after unload (poolmon):"), text);
        assertTrue(number(text, "work item\\s+([\\d,]+) runs") > 0, text);
        assertEquals("", err.toString());
    }

    @Test
    void shouldDrawAProgressLineOnTheErrorStream() {
        assertEquals(0, run("demo", "--threads", "1", "--requests", "300"), out.toString() + err);
        assertTrue(err.toString().contains("requests  completed"), err.toString());
    }

    @Test
    void shouldRefuseOutOfRangeOptionsWithOneLine() {
        assertEquals(Main.USAGE_ERROR, run("demo", "--threads", "0"));
        assertTrue(err.toString().startsWith("offkern demo: --threads must be 1 to 64, not 0"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }
}
