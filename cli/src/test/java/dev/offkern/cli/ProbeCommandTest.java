package dev.offkern.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.shim.GranuleTable;
import dev.offkern.shim.NativeShim;
import dev.offkern.shim.SListShim;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

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
        List<String> lines = r.out().lines().toList();
        assertEquals("result: PASS (the shim (ABI " + NativeShim.EXPECTED_ABI_VERSION + ") loaded; cmpxchg16b works; "
                + "the self-test accounted for all 64 entries after 200,000 operations)", lines.getLast(), r.out());
    }

    @Test
    void shouldPrintOneJsonObjectWithTheVerdictAndItsReasons() {
        Run r = run("probe", "--format", "json", "--operations", "100000", "--entries", "32");
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals("", r.err());
        JsonNode json = JsonMapper.builder().build().readTree(r.out());
        assertEquals("PASS", json.path("result").asString());
        assertEquals(3, json.path("reasons").size(), r.out());
        assertTrue(json.path("shim").path("loaded").asBoolean(), r.out());
        assertEquals(NativeShim.EXPECTED_ABI_VERSION, json.path("shim").path("abi").asInt(), r.out());
        assertTrue(json.path("cpu").path("features").path("cx16").asBoolean(), r.out());
        assertTrue(json.path("cas128").path("supported").asBoolean(), r.out());
        JsonNode st = json.path("selfTest");
        assertEquals(100_000, st.path("operations").asLong());
        assertEquals(32, st.path("entries").asInt());
        assertEquals(32, st.path("onList").asInt() + st.path("held").asInt(), r.out());
        assertTrue(st.path("passed").asBoolean(), r.out());
        assertEquals(0, st.path("problems").size(), r.out());
        assertEquals(BuildVersion.version(), json.path("offkern").asString());
    }

    @Test
    void shouldWriteANullSelfTestInJsonWhenSkipped() {
        Run r = run("probe", "--format=JSON", "--no-self-test");
        assertEquals(0, r.status(), r.err());
        JsonNode json = JsonMapper.builder().build().readTree(r.out());
        assertTrue(json.path("selfTest").isNull(), r.out());
        assertEquals(2, json.path("reasons").size(), r.out());
    }

    @Test
    void shouldRejectAnUnknownFormatNamingTheChoices() {
        Run r = run("probe", "--format", "xml");
        assertEquals(2, r.status());
        assertEquals("offkern probe: Invalid value for option '--format': unknown format 'xml' (valid: text, json)\n",
                r.err());
        Run near = run("probe", "--format", "jsno");
        assertEquals("offkern probe: Invalid value for option '--format': unknown format 'jsno'; did you mean json? "
                + "(valid: text, json)\n", near.err());
        assertEquals("", near.out());
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
        assertTrue(r.err().startsWith("offkern probe: unknown option '--frobnicate' (valid options: "), r.err());
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
