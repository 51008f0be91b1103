package dev.offkern.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.shim.GranuleTable;
import dev.offkern.shim.SListShim;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ProbeCommandTest {

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void shouldReportFeaturesAndPassSelfTest() {
        Run r = run("probe", "--operations", "200000");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("loaded      yes, from "), r.out());
        assertTrue(r.out().contains("cx16        yes"), r.out());
        assertTrue(r.out().contains("XCR0"), r.out());
        assertTrue(r.out().contains("self-test   PASS"), r.out());
        assertTrue(r.out().contains("ops/s"), r.out());
        assertTrue(r.out().strip().endsWith("result: PASS"), r.out());
    }

    @Test
    void shouldSkipSelfTestOnRequest() {
        Run r = run("probe", "--no-self-test");
        assertEquals(0, r.status());
        assertFalse(r.out().contains("self-test   "), r.out());
    }

    @Test
    void shouldPrintHelp() {
        Run r = run("probe", "--help");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("--operations"), r.out());
    }

    @Test
    void shouldRejectUnknownOptionWithOneLineAndStatusTwo() {
        Run r = run("probe", "--frobnicate");
        assertEquals(2, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("offkern probe: Unknown option: '--frobnicate'"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void shouldRejectOutOfRangeEntriesWithStatusTwo() {
        Run r = run("probe", "--entries", "70000");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--entries must be in 1..65535"), r.err());
        Run bad = run("probe", "--operations", "many");
        assertEquals(2, bad.status());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
    }

    @Test
    void shouldRejectUnknownSubcommandWithStatusTwo() {
        Run r = run("frobnicate");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("offkern: "), r.err());
    }

    /** The audit must catch a lost entry, a duplicated entry, a wrong Depth and a wrong Sequence. */
    @Test
    void shouldFailAuditOfCorruptedList() {
        try (Arena arena = Arena.ofConfined(); GranuleTable map = new GranuleTable()) {
            MemorySegment header = arena.allocate(16, 16);
            MemorySegment entries = arena.allocate(16 * 4, 16);
            map.insert(header.address(), 16);
            map.insert(entries.address(), entries.byteSize());
            for (int i = 0; i < 4; i++) {
                SListShim.push(map, header.address(), entries.address() + 16L * i);
            }
            var clean = SListSelfTest.audit(header, entries, new long[][] {{}, {}}, 4, 0, 1, new ArrayList<>());
            assertTrue(clean.passed(), clean.problems().toString());

            long popped = SListShim.pop(map, header.address());
            var lost = SListSelfTest.audit(header, entries, new long[][] {{}, {}}, 4, 0, 1, new ArrayList<>());
            assertFalse(lost.passed());
            assertTrue(lost.problems().toString().contains("0 times"), lost.problems().toString());

            var twice = SListSelfTest.audit(header, entries, new long[][] {{popped}, {popped}}, 4, 0, 1,
                    new ArrayList<>());
            assertTrue(twice.problems().toString().contains("2 times"), twice.problems().toString());

            header.set(ValueLayout.JAVA_LONG, 0, header.get(ValueLayout.JAVA_LONG, 0) + 1); // Depth off by one
            var depth = SListSelfTest.audit(header, entries, new long[][] {{popped}, {}}, 4, 0, 1, new ArrayList<>());
            assertTrue(depth.problems().toString().contains("Depth is 4"), depth.problems().toString());

            var seq = SListSelfTest.audit(header, entries, new long[][] {{popped}, {}}, 5, 0, 1, new ArrayList<>());
            assertTrue(seq.problems().toString().contains("Sequence is 4"), seq.problems().toString());
        }
    }
}
