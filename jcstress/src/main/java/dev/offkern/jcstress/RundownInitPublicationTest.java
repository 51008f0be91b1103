package dev.offkern.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.offkern.ddi.Ex;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * An acquire that succeeds sees the writes published before the (re)initialization that made the
 * reference usable: the initializing store is a release, the acquire's CAS reads from it.
 * The reference starts run down (EX_RUNDOWN_ACTIVE), so an acquire before the re-initialization fails.
 */
@JCStressTest
@Outcome(id = "true, 42", expect = ACCEPTABLE, desc = "acquired after the re-initialization, saw the data")
@Outcome(id = "false, -1", expect = ACCEPTABLE, desc = "acquire ran first: refused")
@Outcome(id = "true, 0", expect = FORBIDDEN, desc = "acquired, yet the data written before initialization is not visible")
@State
public class RundownInitPublicationTest {
    private final MemorySegment runRef = Litmus.allocate(8, 8);
    private final MemorySegment data = Litmus.allocate(8, 8);

    public RundownInitPublicationTest() {
        Ex.ExInitializeRundownProtection(runRef);
        Ex.ExWaitForRundownProtectionRelease(runRef); // start run down
    }

    @Actor
    public void owner() {
        data.set(ValueLayout.JAVA_LONG, 0, 42); // plain write, to be published by the initialization
        Ex.ExReInitializeRundownProtection(runRef);
    }

    @Actor
    public void accessor(ZI_Result r) {
        if (Ex.ExAcquireRundownProtection(runRef)) {
            r.r1 = true;
            r.r2 = (int) data.get(ValueLayout.JAVA_LONG, 0);
            Ex.ExReleaseRundownProtection(runRef);
        } else {
            r.r1 = false;
            r.r2 = -1;
        }
    }
}
