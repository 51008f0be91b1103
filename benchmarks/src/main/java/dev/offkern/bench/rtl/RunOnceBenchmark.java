package dev.offkern.bench.rtl;

import dev.offkern.nt.RunOnceInitFunction;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.rtl.RtlRunOnce;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The run-once fast path once the initialization is done — what every later caller pays:
 * {@code RtlRunOnceBeginInitialize} and {@code RtlRunOnceExecuteOnce} returning the stored context,
 * against the JDK idioms for a lazily initialized value: the initialization-on-demand holder class
 * (the JIT folds it to a constant) and a double-checked volatile field. 0 B/op expected.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RunOnceBenchmark {
    private static final RunOnceInitFunction INIT = (runOnce, parameter, context) -> {
        context.set(ValueLayout.JAVA_LONG, 0, parameter.address());
        return true;
    };

    private Kernel kernel;
    private Arena arena;
    private MemorySegment runOnce;
    private MemorySegment context;
    private MemorySegment payload;
    private volatile Object lazy;

    private static final class Holder {
        static final Object VALUE = new Object();
    }

    @Setup
    public void setUp() {
        kernel = Kernel.boot();
        arena = Arena.ofConfined();
        runOnce = arena.allocate(8, 8);
        context = arena.allocate(8, 8);
        payload = arena.allocate(64, 64);
        RtlRunOnce.initialize(runOnce);
        if (RtlRunOnce.executeOnce(runOnce, INIT, payload, context) != 0) {
            throw new IllegalStateException("initialization failed");
        }
    }

    @TearDown
    public void tearDown() {
        arena.close();
        kernel.close();
    }

    @Benchmark
    public long beginInitialize() {
        RtlRunOnce.beginInitialize(runOnce, 0, context);
        return context.get(ValueLayout.JAVA_LONG, 0);
    }

    @Benchmark
    public long executeOnce() {
        RtlRunOnce.executeOnce(runOnce, INIT, payload, context);
        return context.get(ValueLayout.JAVA_LONG, 0);
    }

    @Benchmark
    public Object lazyHolder() {
        return Holder.VALUE;
    }

    @Benchmark
    public Object doubleCheckedVolatile() {
        Object v = lazy;
        if (v == null) {
            synchronized (this) {
                v = lazy;
                if (v == null) {
                    v = new Object();
                    lazy = v;
                }
            }
        }
        return v;
    }
}
