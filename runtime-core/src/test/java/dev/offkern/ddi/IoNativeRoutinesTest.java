package dev.offkern.ddi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.IO_WORKITEM;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Work item and interrupt routines written in C (a library compiled here with gcc and registered
 * with the kernel): the kernel calls them through downcalls from the pointers stored in
 * WORK_QUEUE_ITEM.WorkerRoutine, IO_WORKITEM.Routine, KINTERRUPT.ServiceRoutine and the device
 * object's KDPC; and C calls the upcall stubs the kernel stored for Java routines.
 */
class IoNativeRoutinesTest {
    private static final int TAG = PoolTags.tag("IoNt");
    private static final String SOURCE = """
            #include <stdint.h>
            /* counters: uint64_t[8] */
            void native_worker(void *parameter) { ((uint64_t *) parameter)[0] += 1; }
            void native_io_worker(void *device, void *context) { ((uint64_t *) context)[1] = (uint64_t) device; }
            void native_io_worker_ex(void *object, void *context, void *item) { ((uint64_t *) context)[2] = (uint64_t) item; }
            unsigned char native_isr(void *interrupt, void *context) { ((uint64_t *) context)[3] += 1; return 1; }
            void native_dpc(void *dpc, void *device, void *irp, void *context) { ((uint64_t *) context)[4] = (uint64_t) device; }
            /* calls a WORK_QUEUE_ITEM's routine the way a C caller of the structure would */
            typedef struct { void *flink, *blink; void (*routine)(void *); void *parameter; } WQI;
            void call_work_item(WQI *item) { item->routine(item->parameter); }
            """;

    private static Path library;

    @TempDir
    Path dumps;
    Kernel kernel;
    SymbolLookup symbols;

    @BeforeAll
    static void compile() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("offkern-native-io");
        Path c = dir.resolve("io.c");
        library = dir.resolve("libnativeio.so");
        Files.writeString(c, SOURCE);
        Process gcc = new ProcessBuilder("gcc", "-O2", "-shared", "-fPIC", "-o", library.toString(), c.toString())
                .redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes());
        assertTrue(gcc.waitFor(60, TimeUnit.SECONDS), "gcc timed out");
        assertEquals(0, gcc.exitValue(), "gcc failed:\n" + out);
    }

    @BeforeEach
    void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)).attach().leakReportSink(s -> { });
        symbols = kernel.registerNativeLibrary(library);
    }

    @AfterEach
    void close() {
        kernel.close();
    }

    private MemorySegment fn(String name) {
        return symbols.find(name).orElseThrow();
    }

    private static MemorySegment block(long size) {
        return Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
    }

    private static void awaitValue(MemorySegment s, long offset, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (s.get(JAVA_LONG, offset) != expected && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(expected, s.get(JAVA_LONG, offset));
    }

    private MemorySegment device() {
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObCreateObject(Ob.KernelMode, Io.IoDeviceObjectType(), MemorySegment.NULL, Ob.KernelMode,
                MemorySegment.NULL, (int) DEVICE_OBJECT.X64.size(), 0, 0, out));
        return MemorySegment.ofAddress(out.get(JAVA_LONG, 0));
    }

    @Test
    void shouldCallANativeWorkerRoutineOnASystemWorkerThread() throws Exception {
        MemorySegment counters = block(64);
        MemorySegment item = block(WORK_QUEUE_ITEM.X64.size());
        Ex.ExInitializeWorkItem(item, fn("native_worker"), counters);
        assertEquals(fn("native_worker").address(), item.get(JAVA_LONG, WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET));
        for (int i = 1; i <= 3; i++) {
            Ex.ExQueueWorkItem(item, Ex.DelayedWorkQueue);
            awaitValue(counters, 0, i);
        }
    }

    @Test
    void shouldLetNativeCodeCallTheStubOfAJavaWorkerRoutine() throws Throwable {
        MemorySegment item = block(WORK_QUEUE_ITEM.X64.size());
        AtomicLong seen = new AtomicLong();
        Ex.ExInitializeWorkItem(item, p -> seen.set(p.address()), MemorySegment.ofAddress(0x1234));
        MethodHandle call = Linker.nativeLinker().downcallHandle(fn("call_work_item"), FunctionDescriptor.ofVoid(
                java.lang.foreign.ValueLayout.ADDRESS));
        call.invokeExact(item);
        assertEquals(0x1234L, seen.get());
    }

    @Test
    void shouldCallNativeIoWorkItemRoutines() throws Exception {
        MemorySegment dev = device();
        MemorySegment counters = block(64);
        MemorySegment item = Io.IoAllocateWorkItem(dev);
        Io.IoQueueWorkItem(item, fn("native_io_worker"), Ex.CriticalWorkQueue, counters);
        awaitValue(counters, 8, dev.address());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (item.get(JAVA_INT, IO_WORKITEM.TYPE_OFFSET) != 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        Io.IoQueueWorkItemEx(item, fn("native_io_worker_ex"), Ex.CriticalWorkQueue, counters);
        awaitValue(counters, 16, item.address());
    }

    @Test
    void shouldCallANativeIsrAndANativeDpcForIsr() {
        MemorySegment dev = device();
        MemorySegment counters = block(64);
        MemorySegment out = block(8);
        Io.IoInitializeDpcRequest(dev, fn("native_dpc"));
        MemorySegment p = block(IO_CONNECT_INTERRUPT_PARAMETERS.X64.size());
        long fs = IO_CONNECT_INTERRUPT_PARAMETERS.FULLY_SPECIFIED_OFFSET;
        p.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, Io.CONNECT_FULLY_SPECIFIED);
        p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET, dev.address());
        p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.INTERRUPT_OBJECT_OFFSET, out.address());
        p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SERVICE_ROUTINE_OFFSET, fn("native_isr").address());
        p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SERVICE_CONTEXT_OFFSET, counters.address());
        p.set(JAVA_BYTE, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SYNCHRONIZE_IRQL_OFFSET, (byte) 6);
        p.set(JAVA_INT, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.VECTOR_OFFSET, 0x77);
        p.set(JAVA_BYTE, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.IRQL_OFFSET, (byte) 6);
        p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PROCESSOR_ENABLE_MASK_OFFSET, 3L);
        assertEquals(NtStatus.STATUS_SUCCESS, Io.IoConnectInterruptEx(p));
        assertTrue(kernel.interrupts().interrupt(0x77));
        assertTrue(kernel.interrupts().interrupt(0x77));
        assertEquals(2L, counters.get(JAVA_LONG, 24));
        Io.IoRequestDpc(dev, MemorySegment.NULL, counters); // at PASSIVE_LEVEL on this processor: it has run on return
        assertEquals(dev.address(), counters.get(JAVA_LONG, 32));
    }
}
