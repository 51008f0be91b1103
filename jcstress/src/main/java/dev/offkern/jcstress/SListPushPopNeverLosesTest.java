package dev.offkern.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.offkern.runtime.ex.ExSList;
import java.lang.foreign.MemorySegment;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * SLIST: the list holds A; one thread pushes B while another pops. The pop returns A or B, and the
 * other entry is still on the list with Depth 1: a concurrent push and pop never lose or duplicate
 * an entry. r1 = entry popped (1 = A, 2 = B), r2 = entry left (drained by the arbiter), r3 = Depth
 * before the drain.
 */
@JCStressTest
@Outcome(id = "1, 2, 1", expect = ACCEPTABLE, desc = "pop took A (before or after the push of B); B remains")
@Outcome(id = "2, 1, 1", expect = ACCEPTABLE, desc = "push of B first, pop took B; A remains")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "an entry was lost, duplicated, or Depth is wrong")
@State
public class SListPushPopNeverLosesTest {
    private final MemorySegment memory = Litmus.registered(96, 16);
    private final long header = memory.address();
    private final long a = memory.address() + 32;
    private final long b = memory.address() + 64;

    public SListPushPopNeverLosesTest() {
        ExSList.push(Litmus.space(), header, a);
    }

    private int name(long e) {
        return e == a ? 1 : e == b ? 2 : e == 0 ? 0 : -1;
    }

    @Actor
    public void pusher() {
        ExSList.push(Litmus.space(), header, b);
    }

    @Actor
    public void popper(III_Result r) {
        r.r1 = name(ExSList.pop(Litmus.space(), header));
    }

    @Arbiter
    public void drain(III_Result r) {
        r.r3 = ExSList.depth(memory, 0);
        r.r2 = name(ExSList.pop(Litmus.space(), header));
        if (ExSList.pop(Litmus.space(), header) != 0) {
            r.r2 = 9; // more than one entry left: a duplicate
        }
    }
}
