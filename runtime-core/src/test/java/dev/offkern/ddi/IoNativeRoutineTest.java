package dev.offkern.ddi;

import static dev.offkern.ddi.Io.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.layout.io.IO_CSQ;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The I/O manager's routine fields hold real function pointers: a dispatch routine and a completion
 * routine written in C (compiled here with gcc into a library the kernel registers) are called through
 * downcalls, and C code calls Java routines through the stubs in DRIVER_OBJECT.MajorFunction[] and
 * in the IO_CSQ, at their Windows x64 offsets.
 */
class IoNativeRoutineTest {
    private static final String SOURCE = """
            #include <stdint.h>
            typedef int32_t NTSTATUS;
            typedef struct { uint8_t head[0x70]; void *MajorFunction[28]; } DRIVER_OBJECT;
            _Static_assert(__builtin_offsetof(DRIVER_OBJECT, MajorFunction) == 0x70, "DRIVER_OBJECT.MajorFunction");
            typedef NTSTATUS (*PDRIVER_DISPATCH)(void *device, void *irp);
            NTSTATUS native_dispatch(void *device, void *irp) {
                *(int32_t *) ((char *) irp + 0x30) = 0x1234;   /* IoStatus.Status */
                *(uint64_t *) ((char *) irp + 0x38) = 77;      /* IoStatus.Information */
                return 0x1234;
            }
            NTSTATUS call_major(DRIVER_OBJECT *d, int i, void *device, void *irp) {
                return ((PDRIVER_DISPATCH) d->MajorFunction[i])(device, irp);
            }
            NTSTATUS native_completion(void *device, void *irp, void *context) {
                *(uint64_t *) context += 1;
                return (NTSTATUS) 0xC0000016;                  /* STATUS_MORE_PROCESSING_REQUIRED */
            }
            typedef void (*ACQUIRE)(void *csq, uint8_t *irql);
            typedef void (*RELEASE)(void *csq, uint8_t irql);
            int csq_lock_round_trip(void *csq) {               /* CsqAcquireLock at 0x20, CsqReleaseLock at 0x28 */
                uint8_t irql = 0xFF;
                ((ACQUIRE) ((void **) csq)[4])(csq, &irql);
                ((RELEASE) ((void **) csq)[5])(csq, irql);
                return irql;
            }
            """;

    private static Path library;

    @TempDir
    Path dumps;
    private IoTestSupport io;
    private SymbolLookup symbols;

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
        assertEquals(0x70, DRIVER_OBJECT.MAJOR_FUNCTION_OFFSET);
        assertEquals(0x30, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET);
        assertEquals(0x20, IO_CSQ.CSQ_ACQUIRE_LOCK_OFFSET);
        assertEquals(0x28, IO_CSQ.CSQ_RELEASE_LOCK_OFFSET);
    }

    @BeforeEach
    void boot() {
        io = new IoTestSupport(dumps, true);
        symbols = io.kernel.registerNativeLibrary(library);
    }

    @AfterEach
    void close() {
        io.close();
    }

    private MethodHandle downcall(String name, FunctionDescriptor fd) {
        return Linker.nativeLinker().downcallHandle(symbols.find(name).orElseThrow(), fd);
    }

    @Test
    void shouldCallADispatchRoutineWrittenInCFromMajorFunction() {
        MemorySegment fn = symbols.find("native_dispatch").orElseThrow();
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_WRITE, fn));
        assertEquals(fn.address(), d.get(JAVA_LONG, DRIVER_OBJECT.MAJOR_FUNCTION_OFFSET + 8L * IoCodes.IRP_MJ_WRITE));
        MemorySegment dev = io.device(d, 0);
        MemorySegment irp = IoAllocateIrp(1, false);
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_WRITE);
        assertEquals(0x1234, IoCallDriver(dev, irp));
        assertEquals(0x1234, irp.get(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET));
        assertEquals(77L, irp.get(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET));
        IoReuseIrp(irp, 0);
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldLetCCallAJavaDispatchRoutineThroughTheDriverObjectsTable() throws Throwable {
        long[] seen = new long[2];
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, (dev, irp) -> {
            seen[0] = dev.address();
            seen[1] = irp.address();
            return 0x55;
        }));
        MemorySegment dev = io.device(d, 0);
        MemorySegment irp = IoAllocateIrp(1, false);
        MethodHandle call = downcall("call_major", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        assertEquals(0x55, (int) call.invoke(d, IoCodes.IRP_MJ_READ, dev, irp));
        assertEquals(dev.address(), seen[0]);
        assertEquals(irp.address(), seen[1]);
        // an entry the driver left alone is IopInvalidDeviceRequest, callable from C as well: it completes the IRP
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_CLOSE);
        irp.set(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET, (byte) 1);
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET, irp.address() + IRP.X64.size());
        assertEquals(NtStatus.STATUS_INVALID_DEVICE_REQUEST, (int) call.invoke(d, IoCodes.IRP_MJ_CLOSE, dev, irp));
        assertEquals(NtStatus.STATUS_INVALID_DEVICE_REQUEST, irp.get(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET));
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldCallACompletionRoutineWrittenInC() {
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, (dev, irp) -> {
            IoCompleteRequest(irp, 0);
            return NtStatus.STATUS_SUCCESS;
        }));
        MemorySegment dev = io.device(d, 0);
        MemorySegment counter = io.block(8);
        MemorySegment irp = IoAllocateIrp(1, false);
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        IoSetCompletionRoutine(irp, symbols.find("native_completion").orElseThrow(), counter, true, true, true);
        IoCallDriver(dev, irp);
        assertEquals(1L, counter.get(JAVA_LONG, 0));
        IoFreeIrp(irp); // the C routine returned STATUS_MORE_PROCESSING_REQUIRED: the IRP was not marked completed
        io.closeWithoutLeaks();
    }

    @Test
    void shouldLetCCallTheQueuesJavaLockCallbacksThroughTheIoCsq() throws Throwable {
        MemorySegment lock = io.block(8);
        Ke.KeInitializeSpinLock(lock);
        MemorySegment csq = io.block(IO_CSQ.X64.size());
        AtomicInteger acquired = new AtomicInteger();
        int[] released = {-1};
        IoCsqInitialize(csq, (c, i) -> { }, (c, i) -> { }, (c, i, p) -> MemorySegment.NULL, (c, irql) -> {
            acquired.incrementAndGet();
            irql.set(JAVA_BYTE, 0, (byte) Ke.KeAcquireSpinLock(lock));
        }, (c, irql) -> {
            released[0] = irql;
            Ke.KeReleaseSpinLock(lock, irql);
        }, (c, i) -> { });
        MethodHandle call = downcall("csq_lock_round_trip", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        assertEquals(0, (int) call.invoke(csq), "the old IRQL (PASSIVE_LEVEL) the Java acquire stored through PKIRQL");
        assertEquals(1, acquired.get());
        assertEquals(0, released[0]);
        assertEquals(0, Ke.KeGetCurrentIrql());
        io.closeWithoutLeaks();
    }
}
