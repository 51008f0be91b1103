package dev.offkern.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.offkern.ddi.Rtl;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Two callers race through RtlRunOnceExecuteOnce: the init routine runs exactly once, and both callers
 * see the data it wrote (plain writes, published by RtlRunOnceComplete) through the context it stored.
 */
@JCStressTest
@Outcome(id = "42, 42, 1", expect = ACCEPTABLE, desc = "ran once; both callers see the initialized data")
@Outcome(expect = FORBIDDEN, desc = "ran twice, or a caller saw uninitialized data")
@State
public class RunOnceExactlyOnceTest {
    private final MemorySegment runOnce = Litmus.allocate(8, 8);
    private final MemorySegment payload = Litmus.allocate(16, 16);
    private final MemorySegment ctx1 = Litmus.allocate(8, 8);
    private final MemorySegment ctx2 = Litmus.allocate(8, 8);
    private int runs; // guarded by the run-once itself: only the initializer writes it

    public RunOnceExactlyOnceTest() {
        Rtl.RtlRunOnceInitialize(runOnce);
    }

    private boolean init(MemorySegment ro, MemorySegment parameter, MemorySegment context) {
        runs++;
        parameter.set(ValueLayout.JAVA_INT, 0, 42);
        context.set(ValueLayout.JAVA_LONG, 0, parameter.address());
        return true;
    }

    private int call(MemorySegment ctx) {
        if (Rtl.RtlRunOnceExecuteOnce(runOnce, this::init, payload, ctx) != 0) {
            return -1;
        }
        long address = ctx.get(ValueLayout.JAVA_LONG, 0);
        return address == payload.address() ? payload.get(ValueLayout.JAVA_INT, 0) : -2;
    }

    @Actor
    public void caller1(III_Result r) {
        r.r1 = call(ctx1);
    }

    @Actor
    public void caller2(III_Result r) {
        r.r2 = call(ctx2);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = runs;
    }
}
