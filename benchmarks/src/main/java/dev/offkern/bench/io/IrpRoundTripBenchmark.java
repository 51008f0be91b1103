package dev.offkern.bench.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.offkern.ddi.Io;
import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.nt.IO_COMPLETION_ROUTINE;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
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
 * An IRP's round trip through a one-device driver whose read dispatch routine completes it at once:
 * {@code IoAllocateIrp → IoCallDriver → (dispatch) IoCompleteRequest → IoFreeIrp}, the same with the
 * IRP reused ({@code IoReuseIrp}, no pool traffic) and with an originator's completion routine, against
 * the Java floor: a request object allocated, dispatched through an interface and completed through a
 * callback. Verifier off.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Doffkern.verifier=false"})
public class IrpRoundTripBenchmark {
    private Kernel kernel;
    private MemorySegment driver;
    private MemorySegment device;
    private MemorySegment reused;
    private Arena arena;

    private static final IO_COMPLETION_ROUTINE KEEP = (d, irp, ctx) -> NtStatus.STATUS_MORE_PROCESSING_REQUIRED;

    @Setup(Level.Trial)
    public void setUp() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false)).attach().leakReportSink(s -> { });
        arena = Arena.ofConfined();
        MemorySegment slot = kernel.nonPagedPool().allocate(8, 8);
        driver = kernel.loadDriver("\\Driver\\BenchIrp", (d, r) -> {
            Io.IoSetMajorFunction(d, IoCodes.IRP_MJ_READ, (dev, irp) -> {
                irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_SUCCESS);
                Io.IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
                return NtStatus.STATUS_SUCCESS;
            });
            return Io.IoCreateDevice(d, 0, MemorySegment.NULL, IoCodes.FILE_DEVICE_UNKNOWN, 0, false, slot);
        });
        device = MemorySegment.ofAddress(slot.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
        reused = Io.IoAllocateIrp(1, false);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Io.IoFreeIrp(reused);
        Io.IoDeleteDevice(device);
        kernel.unloadDriver(driver);
        kernel.close();
        arena.close();
    }

    @Benchmark
    public int allocateCallCompleteFree() {
        MemorySegment irp = Io.IoAllocateIrp(1, false);
        Io.IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        int st = Io.IoCallDriver(device, irp);
        Io.IoFreeIrp(irp);
        return st;
    }

    @Benchmark
    public int reuseCallComplete() {
        Io.IoReuseIrp(reused, 0);
        Io.IoGetNextIrpStackLocation(reused).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        return Io.IoCallDriver(device, reused);
    }

    @Benchmark
    public int reuseCallCompleteWithCompletionRoutine() {
        Io.IoReuseIrp(reused, 0);
        Io.IoGetNextIrpStackLocation(reused).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        Io.IoSetCompletionRoutine(reused, KEEP, MemorySegment.NULL, true, true, true);
        return Io.IoCallDriver(device, reused);
    }

    /** The Java floor: a request object, an interface dispatch, a completion callback. */
    static final class JavaRequest {
        int major;
        int status;
        ToIntFunction<JavaRequest> onComplete;
    }

    private final ToIntFunction<JavaRequest> javaDispatch = req -> {
        req.status = NtStatus.STATUS_SUCCESS;
        return req.onComplete.applyAsInt(req);
    };
    private final ToIntFunction<JavaRequest> javaDone = req -> req.status;

    @Benchmark
    public int javaObjectDispatchComplete() {
        JavaRequest r = new JavaRequest();
        r.major = IoCodes.IRP_MJ_READ;
        r.onComplete = javaDone;
        return javaDispatch.applyAsInt(r);
    }
}
