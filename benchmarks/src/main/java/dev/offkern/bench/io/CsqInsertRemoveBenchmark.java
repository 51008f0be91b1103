package dev.offkern.bench.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Io;
import dev.offkern.ddi.Ke;
import dev.offkern.layout.io.IO_CSQ;
import dev.offkern.layout.io.IO_CSQ_IRP_CONTEXT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A cancel-safe queue's insert + remove pair on one IRP ({@code IoCsqInsertIrp} then
 * {@code IoCsqRemoveIrp} by context, and then {@code IoCsqRemoveNextIrp}), the driver's queue an
 * {@link ArrayDeque} under a KSPIN_LOCK (its CsqAcquireLock/CsqReleaseLock), against the JDK baseline:
 * an {@link ArrayDeque} offer + poll under a {@link ReentrantLock}. Each CSQ pair also arms and
 * disarms the IRP's cancel routine (two atomic exchanges) and marks it pending. One thread; verifier off.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Doffkern.verifier=false"})
public class CsqInsertRemoveBenchmark {
    private Kernel kernel;
    private MemorySegment driver;
    private MemorySegment device;
    private MemorySegment irp;
    private MemorySegment csq;
    private MemorySegment ctx;
    private MemorySegment lock;
    private final ArrayDeque<Long> queue = new ArrayDeque<>();
    private final ArrayDeque<Long> jdkQueue = new ArrayDeque<>();
    private final ReentrantLock jdkLock = new ReentrantLock();
    private final Long item = 42L;

    @Setup(Level.Trial)
    public void setUp() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false)).attach().leakReportSink(s -> { });
        lock = kernel.nonPagedPool().allocate(8, 8);
        csq = kernel.nonPagedPool().allocate(IO_CSQ.X64.size(), 16);
        ctx = kernel.nonPagedPool().allocate(IO_CSQ_IRP_CONTEXT.X64.size(), 16);
        Ke.KeInitializeSpinLock(lock);
        Io.IoCsqInitialize(csq, (c, i) -> queue.addLast(i.address()), (c, i) -> queue.remove(i.address()),
                (c, i, p) -> queue.isEmpty() ? MemorySegment.NULL : MemorySegment.ofAddress(queue.peekFirst()),
                (c, irql) -> irql.set(JAVA_BYTE, 0, (byte) Ke.KeAcquireSpinLock(lock)), (c, irql) -> Ke.KeReleaseSpinLock(lock, irql),
                (c, i) -> { throw new IllegalStateException("nothing is cancelled in this benchmark"); });
        MemorySegment slot = kernel.nonPagedPool().allocate(8, 8);
        driver = kernel.loadDriver("\\Driver\\BenchCsq", (d, r) -> {
            Io.IoSetMajorFunction(d, IoCodes.IRP_MJ_READ, (dev, i) -> NtStatus.STATUS_PENDING); // leaves the IRP at its location
            return Io.IoCreateDevice(d, 0, MemorySegment.NULL, IoCodes.FILE_DEVICE_UNKNOWN, 0, false, slot);
        });
        device = MemorySegment.ofAddress(slot.get(JAVA_LONG, 0));
        irp = Io.IoAllocateIrp(1, false);
        Io.IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        Io.IoCallDriver(device, irp); // the IRP now has a current location, as one in a dispatch routine has
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Io.IoReuseIrp(irp, 0);
        Io.IoFreeIrp(irp);
        Io.IoDeleteDevice(device);
        kernel.unloadDriver(driver);
        kernel.close();
    }

    @Benchmark
    public long csqInsertRemoveByContext() {
        Io.IoCsqInsertIrp(csq, irp, ctx);
        return Io.IoCsqRemoveIrp(csq, ctx).address();
    }

    @Benchmark
    public long csqInsertRemoveNext() {
        Io.IoCsqInsertIrp(csq, irp, MemorySegment.NULL);
        return Io.IoCsqRemoveNextIrp(csq, MemorySegment.NULL).address();
    }

    @Benchmark
    public Long reentrantLockArrayDeque() {
        jdkLock.lock();
        try {
            jdkQueue.addLast(item);
        } finally {
            jdkLock.unlock();
        }
        jdkLock.lock();
        try {
            return jdkQueue.pollFirst();
        } finally {
            jdkLock.unlock();
        }
    }
}
