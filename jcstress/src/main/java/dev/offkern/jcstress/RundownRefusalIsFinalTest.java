package dev.offkern.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.offkern.ddi.Ex;
import java.lang.foreign.MemorySegment;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZZ_Result;

/**
 * No acquire succeeds after the wait's CAS set EX_RUNDOWN_ACTIVE: an accessor that was refused once
 * is refused on every later attempt (plain and Ex), while the owner runs the reference down.
 */
@JCStressTest
@Outcome(id = {"true, true, true", "true, true, false", "true, false, false", "false, false, false"},
        expect = ACCEPTABLE, desc = "granted until refused")
@Outcome(expect = FORBIDDEN, desc = "an acquire succeeded after a refusal")
@State
public class RundownRefusalIsFinalTest {
    private final MemorySegment runRef = Litmus.allocate(8, 8);

    public RundownRefusalIsFinalTest() {
        Ex.ExInitializeRundownProtection(runRef);
    }

    @Actor
    public void accessor(ZZZ_Result r) {
        r.r1 = Ex.ExAcquireRundownProtection(runRef);
        if (r.r1) {
            Ex.ExReleaseRundownProtection(runRef);
        }
        r.r2 = Ex.ExAcquireRundownProtectionEx(runRef, 2);
        if (r.r2) {
            Ex.ExReleaseRundownProtectionEx(runRef, 2);
        }
        r.r3 = Ex.ExAcquireRundownProtection(runRef);
        if (r.r3) {
            Ex.ExReleaseRundownProtection(runRef);
        }
    }

    @Actor
    public void owner() {
        Ex.ExWaitForRundownProtectionRelease(runRef);
    }
}
