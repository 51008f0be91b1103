package dev.offkern.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.offkern.runtime.ex.SListX86;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * The x86-format research header (64-bit VarHandle CAS): as {@link SListPushPopNeverLosesTest},
 * plus publication: B's payload, written plainly before its push, is visible if the pop returns B.
 * r1 = entry popped (1 = A, 2 = B), r2 = entry left, r3 = Depth before the drain, r4 = payload read
 * (42 when B was popped, -1 otherwise).
 */
@JCStressTest
@Outcome(id = "1, 2, 1, -1", expect = ACCEPTABLE, desc = "pop took A; B remains")
@Outcome(id = "2, 1, 1, 42", expect = ACCEPTABLE, desc = "pop took B and saw its payload; A remains")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "lost or duplicated entry, wrong Depth, or unpublished payload")
@State
public class SListX86PushPopNeverLosesTest {
    private static final long A = 16;
    private static final long B = 32;
    private final MemorySegment region = Litmus.allocate(64, 16);

    public SListX86PushPopNeverLosesTest() {
        SListX86.initialize(region, 0);
        SListX86.push(region, 0, A);
    }

    private static int name(long e) {
        return e == A ? 1 : e == B ? 2 : e == 0 ? 0 : -1;
    }

    @Actor
    public void pusher() {
        region.set(ValueLayout.JAVA_INT, B + 4, 42); // plain payload store after B's Next field
        SListX86.push(region, 0, B);
    }

    @Actor
    public void popper(IIII_Result r) {
        long e = SListX86.pop(region, 0);
        r.r1 = name(e);
        r.r4 = e == B ? region.get(ValueLayout.JAVA_INT, B + 4) : -1;
    }

    @Arbiter
    public void drain(IIII_Result r) {
        r.r3 = SListX86.depth(region, 0);
        r.r2 = name(SListX86.pop(region, 0));
        if (SListX86.pop(region, 0) != 0) {
            r.r2 = 9;
        }
    }
}
