package dev.offkern.bench.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Io;
import dev.offkern.ddi.Ob;
import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ke.InterruptController;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * An interrupt delivered through the kernel's interrupt controller → the ISR (at its
 * SynchronizeIrql, holding the interrupt lock) → {@code IoRequestDpc} → the device's DPC routine
 * at DISPATCH_LEVEL, all on the delivering thread (the DPC runs when the interrupt's IRQL is
 * lowered): {@code interruptIsrDpc}. {@code interruptIsrOnly}: the same without the DPC request.
 * Sample mode: p50/p99 of the whole path. Verifier off.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@State(Scope.Thread)
public class InterruptDpcLatencyBenchmark {
    private static final int WITH_DPC = 0x40;
    private static final int ISR_ONLY = 0x41;

    private Kernel kernel;
    private InterruptController controller;
    private MemorySegment device;
    private long dpcs;

    @Setup(Level.Trial)
    public void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false)).attach().leakReportSink(s -> { });
        controller = kernel.interrupts();
        MemorySegment out = kernel.nonPagedPool().allocate(8, 8);
        Ob.ObCreateObject(Ob.KernelMode, Io.IoDeviceObjectType(), MemorySegment.NULL, Ob.KernelMode, MemorySegment.NULL,
                (int) DEVICE_OBJECT.X64.size(), 0, 0, out);
        device = MemorySegment.ofAddress(out.get(JAVA_LONG, 0));
        Io.IoInitializeDpcRequest(device, (dpc, d, irp, ctx) -> dpcs++);
        connect(WITH_DPC, true);
        connect(ISR_ONLY, false);
    }

    private void connect(int vector, boolean requestDpc) {
        MemorySegment p = kernel.nonPagedPool().allocate(IO_CONNECT_INTERRUPT_PARAMETERS.X64.size(), 8);
        MemorySegment slot = kernel.nonPagedPool().allocate(8, 8);
        long fs = IO_CONNECT_INTERRUPT_PARAMETERS.FULLY_SPECIFIED_OFFSET;
        p.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, Io.CONNECT_FULLY_SPECIFIED);
        p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET, device.address());
        p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.INTERRUPT_OBJECT_OFFSET, slot.address());
        p.set(JAVA_BYTE, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SYNCHRONIZE_IRQL_OFFSET, (byte) 5);
        p.set(JAVA_INT, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.VECTOR_OFFSET, vector);
        p.set(JAVA_BYTE, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.IRQL_OFFSET, (byte) 5);
        p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PROCESSOR_ENABLE_MASK_OFFSET, 1L);
        Io.IoConnectInterruptEx(p, (interrupt, ctx) -> {
            if (requestDpc) {
                Io.IoRequestDpc(device, MemorySegment.NULL, MemorySegment.NULL);
            }
            return true;
        }, null);
    }

    @TearDown(Level.Trial)
    public void close() {
        kernel.close();
    }

    @Benchmark
    public long interruptIsrDpc() {
        controller.interrupt(WITH_DPC);
        return dpcs;
    }

    @Benchmark
    public boolean interruptIsrOnly() {
        return controller.interrupt(ISR_ONLY);
    }
}
