package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.Kernel;
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
 * A DPC routine written in C, compiled here with gcc into a library the test registers with the
 * kernel: the kernel calls it through a downcall from the byte-exact KDPC, and it reads the KDPC
 * through its Windows x64 offsets. Also: a Java routine's DeferredRoutine stub called from C.
 */
class KeDpcNativeRoutineTest {
    /** Offsets of the Windows x64 KDPC the C side uses (checked against the layout class below). */
    private static final String SOURCE = """
            #include <stdint.h>
            typedef struct { uint8_t Type, Importance; uint16_t Number; void *Next; uint64_t History;
                             void *DeferredRoutine; void *DeferredContext; void *SystemArgument1;
                             void *SystemArgument2; void *DpcData; } KDPC;
            _Static_assert(__builtin_offsetof(KDPC, DeferredRoutine) == 0x18, "KDPC.DeferredRoutine");
            _Static_assert(__builtin_offsetof(KDPC, DpcData) == 0x38, "KDPC.DpcData");
            /* context: uint64_t[4] = { calls, a1 + a2, DpcData seen, own address seen } */
            void native_dpc(KDPC *dpc, void *context, void *a1, void *a2) {
                uint64_t *out = (uint64_t *) context;
                out[0] += 1;
                out[1] = (uint64_t) a1 + (uint64_t) a2;
                out[2] = (uint64_t) dpc->DpcData;
                out[3] = (uint64_t) dpc->DeferredRoutine;
            }
            /* calls a KDPC's routine the way a C caller of DeferredRoutine does */
            void call_deferred(KDPC *dpc, void *a1, void *a2) {
                ((void (*)(KDPC *, void *, void *, void *)) dpc->DeferredRoutine)(dpc, dpc->DeferredContext, a1, a2);
            }
            """;

    private static Path library;

    @TempDir
    Path dumps;
    Kernel kernel;
    SymbolLookup symbols;

    @BeforeAll
    static void compile() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("offkern-native-dpc");
        Path c = dir.resolve("dpc.c");
        library = dir.resolve("libnativedpc.so");
        Files.writeString(c, SOURCE);
        Process gcc = new ProcessBuilder("gcc", "-O2", "-shared", "-fPIC", "-o", library.toString(), c.toString())
                .redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes());
        assertTrue(gcc.waitFor(60, TimeUnit.SECONDS), "gcc timed out");
        assertEquals(0, gcc.exitValue(), "gcc failed:\n" + out);
        assertEquals(0x18, KDPC.DEFERRED_ROUTINE_OFFSET);
        assertEquals(0x38, KDPC.DPC_DATA_OFFSET);
    }

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps).leakReportSink(s -> { });
        symbols = kernel.registerNativeLibrary(library);
    }

    @AfterEach
    void close() {
        resetThread();
        kernel.close();
    }

    @Test
    void shouldRunADpcRoutineWrittenInCFromTheByteExactKdpc() {
        MemorySegment fn = symbols.find("native_dpc").orElseThrow();
        assertTrue(kernel.core().routines().isNativeCode(fn.address()));
        MemorySegment d = block(kernel, KDPC.X64.size());
        MemorySegment ctx = block(kernel, 32);
        KeInitializeDpc(d, fn, ctx);
        assertEquals(fn.address(), d.get(ValueLayout.JAVA_LONG, KDPC.DEFERRED_ROUTINE_OFFSET));
        assertTrue(KeInsertQueueDpc(d, MemorySegment.ofAddress(40), MemorySegment.ofAddress(2)));
        assertEquals(1, ctx.get(ValueLayout.JAVA_LONG, 0), "the C routine ran before KeInsertQueueDpc returned");
        assertEquals(42, ctx.get(ValueLayout.JAVA_LONG, 8));
        assertEquals(0, ctx.get(ValueLayout.JAVA_LONG, 16), "DpcData is NULL when the routine runs");
        assertEquals(fn.address(), ctx.get(ValueLayout.JAVA_LONG, 24));
    }

    @Test
    void shouldRunACTimerDpcOnTheTimersExpiry() throws Exception {
        MemorySegment fn = symbols.find("native_dpc").orElseThrow();
        MemorySegment d = block(kernel, KDPC.X64.size());
        MemorySegment ctx = block(kernel, 32);
        MemorySegment t = block(kernel, KTIMER.X64.size());
        KeInitializeDpc(d, fn, ctx);
        KeInitializeTimer(t);
        KeSetTimer(t, -20_000, d);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ctx.get(ValueLayout.JAVA_LONG, 0) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        KeFlushQueuedDpcs();
        assertEquals(1, ctx.get(ValueLayout.JAVA_LONG, 0));
        assertTrue(ctx.get(ValueLayout.JAVA_LONG, 8) > 0, "the system time's halves");
    }

    @Test
    void shouldLetCCallAJavaRoutineThroughItsDeferredRoutineStub() throws Throwable {
        MemorySegment d = block(kernel, KDPC.X64.size());
        long[] seen = new long[4];
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> {
            seen[0] = dpc.address();
            seen[1] = ctx.address();
            seen[2] = a1.address();
            seen[3] = a2.address();
        }, MemorySegment.ofAddress(9));
        var call = java.lang.foreign.Linker.nativeLinker().downcallHandle(symbols.find("call_deferred").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        call.invoke(d, MemorySegment.ofAddress(5), MemorySegment.ofAddress(6));
        assertEquals(d.address(), seen[0]);
        assertEquals(9, seen[1]);
        assertEquals(5, seen[2]);
        assertEquals(6, seen[3]);
    }

    @Test
    void shouldBugCheckAFunctionOfAnUnregisteredLibrary() {
        kernel.close(); // unloads the library it registered
        kernel = KernelFixture.boot(dumps).leakReportSink(s -> { }); // this kernel never registers it
        try (java.lang.foreign.Arena own = java.lang.foreign.Arena.ofShared()) {
            MemorySegment fn = SymbolLookup.libraryLookup(library, own).find("native_dpc").orElseThrow();
            MemorySegment d = block(kernel, KDPC.X64.size());
            KeInitializeDpc(d, fn, MemorySegment.NULL);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {fn.address(), 0x10, d.address(), 0},
                    () -> KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
        }
    }

    @Test
    void shouldRefuseToRegisterALibraryThatDoesNotExist() {
        assertThrows(IllegalArgumentException.class, () -> kernel.registerNativeLibrary(dumps.resolve("missing.so")));
    }
}
