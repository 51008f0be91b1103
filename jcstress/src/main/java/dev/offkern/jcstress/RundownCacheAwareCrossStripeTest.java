package dev.offkern.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.offkern.ddi.Ex;
import dev.offkern.runtime.ex.ExRundownCacheAware;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZII_Result;

/**
 * Cache-aware run-down with the release landing on another stripe than the acquire (a thread that
 * moved between processors): the wait's sweep still counts the holder, so the holder never sees the
 * object deleted and the owner sees the holder's write.
 */
@JCStressTest
@Outcome(id = "true, 0, 1", expect = ACCEPTABLE, desc = "acquired before the sweep passed stripe 0; counted")
@Outcome(id = "false, -1, 0", expect = ACCEPTABLE, desc = "the sweep passed stripe 0 first: refused")
@Outcome(id = "true, 1, .*", expect = FORBIDDEN, desc = "a holder saw the object deleted")
@Outcome(id = "true, 0, 0", expect = FORBIDDEN, desc = "the wait returned without the holder's write visible")
@State
public class RundownCacheAwareCrossStripeTest {
    private final MemorySegment rr;
    private final MemorySegment object = Litmus.allocate(16, 8);
    private final int other;

    public RundownCacheAwareCrossStripeTest() {
        long size = Ex.ExSizeOfRundownProtectionCacheAware();
        rr = Litmus.allocate(size, 16);
        Ex.ExInitializeRundownProtectionCacheAware(rr, size);
        other = ExRundownCacheAware.number(rr) - 1;
    }

    @Actor
    public void accessor(ZII_Result r) {
        if (ExRundownCacheAware.acquireOnStripe(rr, 0, 1)) {
            r.r1 = true;
            r.r2 = (int) object.get(ValueLayout.JAVA_LONG, 0);
            object.set(ValueLayout.JAVA_LONG, 8, 1);
            ExRundownCacheAware.releaseOnStripe(rr, other, 1); // released "on another processor"
        } else {
            r.r1 = false;
            r.r2 = -1;
        }
    }

    @Actor
    public void owner(ZII_Result r) {
        Ex.ExWaitForRundownProtectionReleaseCacheAware(rr);
        r.r3 = (int) object.get(ValueLayout.JAVA_LONG, 8);
        object.set(ValueLayout.JAVA_LONG, 0, 1);
    }
}
