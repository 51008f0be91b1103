package dev.offkern.cli;

import static dev.offkern.ddi.Ke.KeBugCheckEx;
import static dev.offkern.ddi.Ke.KeInitializeCallbackRecord;
import static dev.offkern.ddi.Ke.KeRegisterBugCheckCallback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.nt.BugCheck;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class DumpCommandTest {
    @TempDir
    Path dir;

    private int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void shouldPrintADumpWrittenByABugCheck() throws Exception {
        Path file;
        try (Kernel k = Kernel.boot(KernelConfig.defaults().withProcessorCount(1).withDumpDirectory(dir));
             Arena a = Arena.ofShared()) {
            MemorySegment rec = a.allocate(0x40, 8);
            KeInitializeCallbackRecord(rec);
            MemorySegment buf = a.allocate(16);
            KeRegisterBugCheckCallback(rec, (b, l) -> b.setString(0, "device reset"), buf, 16, a.allocateFrom("CliDrv"));
            assertThrows(BugCheck.class, () -> KeBugCheckEx(0x000000D1, 0xFFFF_8000_1234_0000L, 2, 1, 0));
            file = k.bugChecks().last().dumpFile();
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, run(out, err, "dump", file.toString()), err.toString());
        String text = out.toString();
        assertTrue(text.contains("BugCheck 000000D1 (FFFF800012340000, 0000000000000002, 0000000000000001, 0000000000000000)"), text);
        assertTrue(text.contains("DRIVER_IRQL_NOT_LESS_OR_EQUAL"), text);
        assertTrue(text.contains("Callback 'CliDrv'") && text.contains("device reset"), text);
        assertTrue(text.contains("End:"), text);
    }

    @Test
    void shouldPrintTheSameDumpAsOneJsonObjectWithEveryDecodedField() throws Exception {
        Path file;
        try (Kernel k = Kernel.boot(KernelConfig.defaults().withProcessorCount(1).withDumpDirectory(dir));
             Arena a = Arena.ofShared()) {
            MemorySegment rec = a.allocate(0x40, 8);
            KeInitializeCallbackRecord(rec);
            MemorySegment buf = a.allocate(300);
            KeRegisterBugCheckCallback(rec, (b, l) -> b.setString(0, "device reset"), buf, 300, a.allocateFrom("CliDrv"));
            assertThrows(BugCheck.class, () -> KeBugCheckEx(0x000000D1, 0xFFFF_8000_1234_0000L, 2, 1, 0));
            file = k.bugChecks().last().dumpFile();
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, run(out, err, "dump", "--format", "json", file.toString()), err.toString());
        assertEquals("", err.toString());
        JsonNode json = JsonMapper.builder().build().readTree(out.toString());
        assertEquals("offkern-dump-json", json.path("format").asString());
        JsonNode bugCheck = json.path("bugCheck");
        assertEquals(0xD1, bugCheck.path("code").asLong());
        assertEquals("0x000000D1", bugCheck.path("codeHex").asString());
        assertEquals("DRIVER_IRQL_NOT_LESS_OR_EQUAL", bugCheck.path("name").asString());
        assertEquals(List.of("0xFFFF800012340000", "0x0000000000000002", "0x0000000000000001", "0x0000000000000000"),
                bugCheck.path("parameters").valueStream().map(JsonNode::asString).toList());
        List<String> types = json.path("sections").valueStream().map(s -> s.path("type").asString()).toList();
        assertEquals("SYSTEM", types.getFirst(), types.toString());
        assertEquals("END", types.getLast(), types.toString());
        JsonNode callback = json.path("sections").valueStream()
                .filter(s -> s.path("type").asString().equals("CALLBACK")).findFirst().orElseThrow();
        assertEquals("CliDrv", callback.path("component").asString());
        assertTrue(callback.path("record").asString().matches("0x[0-9A-F]{16}"), callback.toString());
        byte[] buffer = Base64.getDecoder().decode(callback.path("buffer").asString());
        assertEquals(300, buffer.length, "the whole buffer, not the text's first 256 bytes");
        assertEquals("device reset", new String(buffer, 0, 12, StandardCharsets.US_ASCII));
        JsonNode system = json.path("sections").get(0);
        assertEquals(1, system.path("processorCount").asInt(), system.toString());
        assertTrue(out.toString().endsWith("}" + System.lineSeparator()), "ends with one line break");
    }

    @Test
    void shouldFailClearlyOnAMissingOrDamagedFile() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(1, run(out, err, "dump", dir.resolve("nope.dmp").toString()));
        assertTrue(err.toString().contains("no such file"), err.toString());
        Path junk = dir.resolve("junk.dmp");
        Files.write(junk, new byte[100]);
        StringWriter err2 = new StringWriter();
        assertEquals(3, run(new StringWriter(), err2, "dump", junk.toString()));
        assertTrue(err2.toString().contains("not a valid offkern dump") && err2.toString().contains("magic"), err2.toString());
    }

    /** Asserts {@code err} is exactly one line, without a stack trace, and returns it. */
    private static String oneLine(StringWriter err) {
        String text = err.toString();
        assertEquals(1, text.lines().count(), text);
        assertFalse(text.contains("Exception") || text.contains("Error") || text.contains("\tat "), text);
        return text.strip();
    }

    private Path realDump() throws Exception {
        try (Kernel k = Kernel.boot(KernelConfig.defaults().withProcessorCount(1).withDumpDirectory(dir))) {
            assertThrows(BugCheck.class, () -> KeBugCheckEx(0xC4, 0x30, 2, 1, 0));
            return k.bugChecks().last().dumpFile();
        }
    }

    @Test
    void shouldRefuseAFileOfTwoGibibytesInOneLineWithoutReadingIt() throws Exception {
        Path big = dir.resolve("big.dmp");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.write(Files.readAllBytes(realDump()));
            f.setLength(1L << 31);
        }
        StringWriter err = new StringWriter();
        assertEquals(3, run(new StringWriter(), err, "dump", big.toString()));
        assertEquals("offkern dump: " + big + " is too large (--max-size): the limit is "
                + "268435456 bytes (256 MiB), the file is 2147483648 bytes", oneLine(err));
    }

    @Test
    void shouldRefuseDevZeroInOneLine() {
        StringWriter err = new StringWriter();
        assertEquals(3, run(new StringWriter(), err, "dump", "/dev/zero"));
        assertTrue(oneLine(err).contains("magic"), err.toString());
    }

    @Test
    void shouldNameTheSectionFieldAndOffsetOfAFieldCutShortInOneLine() throws Exception {
        byte[] bytes = Files.readAllBytes(realDump());
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int length = (int) b.getLong(72);
        int keep = 4 + b.getInt(80) + 3;                  // the thread name, then 3 of the thread id's 8 bytes
        byte[] cut = new byte[bytes.length - (length - keep)];
        System.arraycopy(bytes, 0, cut, 0, 80 + keep);
        System.arraycopy(bytes, 80 + length, cut, 80 + keep, bytes.length - 80 - length);
        ByteBuffer.wrap(cut).order(ByteOrder.LITTLE_ENDIAN).putLong(72, keep);
        Path damaged = dir.resolve("cut.dmp");
        Files.write(damaged, cut);
        StringWriter err = new StringWriter();
        assertEquals(3, run(new StringWriter(), err, "dump", damaged.toString()));
        String line = oneLine(err);
        assertTrue(line.contains("SYSTEM section at offset 64: field 'thread id' at offset " + (80 + keep - 3) + " cut short"), line);
        assertFalse(line.contains("null"), line);
    }

    @Test
    void shouldRefuseAFileOverAGivenMaxSize() throws Exception {
        Path file = realDump();
        StringWriter err = new StringWriter();
        long size = Files.size(file);
        assertEquals(3, run(new StringWriter(), err, "dump", "--max-size=" + (size - 1), file.toString()));
        assertTrue(oneLine(err).endsWith("the limit is " + (size - 1) + " bytes, the file is " + size + " bytes"), err.toString());
        assertEquals(0, run(new StringWriter(), new StringWriter(), "dump", "--max-size=" + size, file.toString()));
        assertEquals(0, run(new StringWriter(), new StringWriter(), "dump", "--max-size=1M", file.toString()));
    }

    @Test
    void shouldRejectABadMaxSizeAsAUsageError() {
        StringWriter err = new StringWriter();
        assertEquals(Main.USAGE_ERROR, run(new StringWriter(), err, "dump", "--max-size=lots", "x.dmp"));
        assertTrue(oneLine(err).contains("--max-size"), err.toString());
    }

    @Test
    void shouldRejectAnUnknownFormatWithTheNearestOne() {
        StringWriter err = new StringWriter();
        assertEquals(Main.USAGE_ERROR, run(new StringWriter(), err, "dump", "--format", "txt", "x.dmp"));
        assertEquals("offkern dump: Invalid value for option '--format': unknown format 'txt'; did you mean text? "
                + "(valid: text, json)", oneLine(err));
    }

    @Test
    void shouldSayADirectoryCannotBeRead() {
        StringWriter err = new StringWriter();
        assertEquals(1, run(new StringWriter(), err, "dump", dir.toString()));
        assertEquals("offkern dump: cannot read " + dir + ": is a directory", oneLine(err));
    }
}
