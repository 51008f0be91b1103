package dev.offkern.cli;

import static dev.offkern.ddi.Ke.KeBugCheckEx;
import static dev.offkern.ddi.Ke.KeInitializeCallbackRecord;
import static dev.offkern.ddi.Ke.KeRegisterBugCheckCallback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.nt.BugCheck;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DumpCommandTest {
    @TempDir
    Path dir;

    private int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
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
    void shouldFailClearlyOnAMissingOrDamagedFile() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(1, run(out, err, "dump", dir.resolve("nope.dmp").toString()));
        assertTrue(err.toString().contains("no such file"), err.toString());
        Path junk = dir.resolve("junk.dmp");
        Files.write(junk, new byte[100]);
        StringWriter err2 = new StringWriter();
        assertEquals(1, run(new StringWriter(), err2, "dump", junk.toString()));
        assertTrue(err2.toString().contains("not a valid offkern dump") && err2.toString().contains("magic"), err2.toString());
    }
}
