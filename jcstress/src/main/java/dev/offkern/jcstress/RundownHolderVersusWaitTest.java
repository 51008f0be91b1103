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
import org.openjdk.jcstress.infra.results.ZII_Result;

/**
 * The classic use: an accessor touches the object under protection while the owner runs it down and
 * then "deletes" it. A holder never sees the deletion (the wait cannot return before its release), and
 * the owner sees every write the holder made before releasing.
 */
@JCStressTest
@Outcome(id = "true, 0, 1", expect = ACCEPTABLE, desc = "acquired before the run-down; the wait saw the holder's write")
@Outcome(id = "false, -1, 0", expect = ACCEPTABLE, desc = "the run-down began first: refused")
@Outcome(id = "true, 1, .*", expect = FORBIDDEN, desc = "a holder saw the object deleted")
@Outcome(id = "true, 0, 0", expect = FORBIDDEN, desc = "the wait returned without the holder's write visible")
@State
public class RundownHolderVersusWaitTest {
    private final MemorySegment runRef = Litmus.allocate(8, 8);
    /** [0] deleted flag written by the owner after the wait; [8] written by the holder. */
    private final MemorySegment object = Litmus.allocate(16, 8);

    public RundownHolderVersusWaitTest() {
        Ex.ExInitializeRundownProtection(runRef);
    }

    @Actor
    public void accessor(ZII_Result r) {
        if (Ex.ExAcquireRundownProtection(runRef)) {
            r.r1 = true;
            r.r2 = (int) object.get(ValueLayout.JAVA_LONG, 0);
            object.set(ValueLayout.JAVA_LONG, 8, 1);
            Ex.ExReleaseRundownProtection(runRef);
        } else {
            r.r1 = false;
            r.r2 = -1;
        }
    }

    @Actor
    public void owner(ZII_Result r) {
        Ex.ExWaitForRundownProtectionRelease(runRef);
        r.r3 = (int) object.get(ValueLayout.JAVA_LONG, 8);
        object.set(ValueLayout.JAVA_LONG, 0, 1); // "delete" the object
    }
}
