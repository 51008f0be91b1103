package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.EXT_DELETE_PARAMETERS;
import dev.offkern.layout.ex.EX_TIMER;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EX_TIMER callbacks written in C (a library compiled here with gcc and registered with the kernel):
 * the kernel calls Callback and DeleteCallback through downcalls from the function pointers stored in
 * the EX_TIMER; a DeleteCallback that points into kernel data is never jumped to (0xFC).
 */
class ExTimerNativeCallbackTest {
    private static final String SOURCE = """
            #include <stdint.h>
            /* context: uint64_t[4] = { callbacks, the timer seen, delete callbacks, 0 } */
            void native_ext_callback(void *timer, void *context) {
                uint64_t *out = (uint64_t *) context;
                out[0] += 1;
                out[1] = (uint64_t) timer;
            }
            void native_ext_delete(void *context) {
                ((uint64_t *) context)[2] += 1;
            }
            """;

    private static Path library;

    @TempDir
    Path dumps;
    Kernel kernel;
    SymbolLookup symbols;

    @BeforeAll
    static void compile() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("offkern-native-extimer");
        Path c = dir.resolve("extimer.c");
        library = dir.resolve("libnativeextimer.so");
        Files.writeString(c, SOURCE);
        Process gcc = new ProcessBuilder("gcc", "-O2", "-shared", "-fPIC", "-o", library.toString(), c.toString())
                .redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes());
        assertTrue(gcc.waitFor(60, TimeUnit.SECONDS), "gcc timed out");
        assertEquals(0, gcc.exitValue(), "gcc failed:\n" + out);
    }

    @BeforeEach
    void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)
                .withBugCheckPolicy(BugCheckPolicy.THROW).withVerifier(true)).leakReportSink(s -> { });
        symbols = kernel.registerNativeLibrary(library);
    }

    @AfterEach
    void close() {
        kernel.close();
    }

    @Test
    void shouldCallACCallbackAtEachExpiryAndACDeleteCallbackOnDelete() throws Exception {
        MemorySegment ctx = kernel.nonPagedPool().allocate(32, 16);
        MemorySegment t = ExAllocateTimer(symbols.find("native_ext_callback").orElseThrow(), ctx, 0);
        assertEquals(symbols.find("native_ext_callback").orElseThrow().address(), t.get(ValueLayout.JAVA_LONG, EX_TIMER.CALLBACK_OFFSET));
        ExSetTimer(t, -10_000, 0, MemorySegment.NULL);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ctx.get(ValueLayout.JAVA_LONG, 0) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(1, ctx.get(ValueLayout.JAVA_LONG, 0), "the C callback ran once");
        assertEquals(t.address(), ctx.get(ValueLayout.JAVA_LONG, 8), "with the EX_TIMER");
        MemorySegment params = kernel.nonPagedPool().allocate(EXT_DELETE_PARAMETERS.X64.size(), 16);
        ExInitializeDeleteTimerParameters(params);
        params.set(ValueLayout.JAVA_LONG, EXT_DELETE_PARAMETERS.DELETE_CALLBACK_OFFSET,
                symbols.find("native_ext_delete").orElseThrow().address());
        params.set(ValueLayout.JAVA_LONG, EXT_DELETE_PARAMETERS.DELETE_CONTEXT_OFFSET, ctx.address());
        ExDeleteTimer(t, true, true, params);
        assertEquals(1, ctx.get(ValueLayout.JAVA_LONG, 16), "the C delete callback ran before ExDeleteTimer(Wait) returned");
    }

    @Test
    void shouldNeverJumpToADeleteCallbackThatPointsIntoKernelData() {
        MemorySegment data = kernel.nonPagedPool().allocate(64, 16);
        MemorySegment t = ExAllocateTimer(MemorySegment.NULL, MemorySegment.NULL, 0);
        MemorySegment params = kernel.nonPagedPool().allocate(EXT_DELETE_PARAMETERS.X64.size(), 16);
        ExInitializeDeleteTimerParameters(params);
        params.set(ValueLayout.JAVA_LONG, EXT_DELETE_PARAMETERS.DELETE_CALLBACK_OFFSET, data.address());
        BugCheck bc = assertThrows(BugCheck.class, () -> ExDeleteTimer(t, true, true, params));
        assertEquals(BugCheckCode.ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY, bc.code());
        assertEquals(data.address(), bc.parameter1());
        assertEquals(0, kernel.core().clock().timers().exTimerCount(), "the timer was freed all the same");
    }
}
