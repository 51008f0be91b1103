package dev.offkern.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.offkern.runtime.ex.ExSList;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * SLIST (x64 header, shim cmpxchg16b): a payload written with a plain store before the push is
 * visible to the thread whose pop returned the entry (the push is a full barrier, the pop's CAS
 * reads from it). Raw long tier: the memory is not in a kernel's address space.
 */
@JCStressTest
@Outcome(id = "true, 42", expect = ACCEPTABLE, desc = "popped the entry and saw its payload")
@Outcome(id = "false, -1", expect = ACCEPTABLE, desc = "pop ran before the push: empty")
@Outcome(id = "true, 0", expect = FORBIDDEN, desc = "popped the entry but not the payload written before the push")
@State
public class SListPushPublishesPayloadTest {
    private final MemorySegment memory = Litmus.registered(64, 16);
    private final long header = memory.address();
    private final long entry = memory.address() + 32;

    @Actor
    public void pusher() {
        memory.set(ValueLayout.JAVA_LONG, 40, 42); // plain payload store at entry + 8
        ExSList.push(Litmus.space(), header, entry);
    }

    @Actor
    public void popper(ZI_Result r) {
        long e = ExSList.pop(Litmus.space(), header);
        if (e == entry) {
            r.r1 = true;
            r.r2 = (int) memory.get(ValueLayout.JAVA_LONG, 40);
        } else {
            r.r1 = e != 0;
            r.r2 = -1;
        }
    }
}
