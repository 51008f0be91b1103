package dev.offkern.tests.fuzz;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Every fuzzer operation, by manager. A new manager adds its operations class here; the surface
 * coverage test ({@code DdiSurfaceCoverageTest}) fails while a public routine of
 * {@code dev.offkern.ddi} is named by no operation.
 */
final class Catalogue {
    private Catalogue() {
    }

    static final List<Op> ALL;

    static {
        List<Op> all = new ArrayList<>();
        all.addAll(PoolOps.ops());
        all.addAll(SListOps.ops());
        all.addAll(LookasideOps.ops());
        all.addAll(RundownOps.ops());
        all.addAll(LockOps.ops());
        all.addAll(IrqlOps.ops());
        all.addAll(BugCheckOps.ops());
        all.addAll(DispatcherOps.ops());
        all.addAll(BitmapOps.ops());
        all.addAll(RunOnceOps.ops());
        all.addAll(SddlOps.ops());
        all.addAll(ProcessorStateOps.ops());
        all.addAll(DpcTimerOps.ops());
        all.addAll(SecurityOps.ops());
        all.addAll(ObjectOps.ops());
        all.addAll(ProcessOps.ops());
        all.addAll(WorkItemOps.ops());
        all.addAll(InterruptOps.ops());
        all.addAll(TokenOps.ops());
        all.addAll(ObjectSecurityOps.ops());
        all.addAll(ProcessSecurityOps.ops());
        all.addAll(IoOps.ops());
        ALL = Collections.unmodifiableList(all);
    }

    /** Every routine some operation names. */
    static TreeSet<String> routines() {
        TreeSet<String> r = new TreeSet<>();
        for (Op op : ALL) {
            r.addAll(op.routines());
        }
        r.addAll(CloseScenarios.ROUTINES);
        return r;
    }

    /** Picks an operation by weight among those not disabled. */
    static Op pick(SplittableRandom r, List<Op> enabled, int totalWeight) {
        int x = r.nextInt(totalWeight);
        for (Op op : enabled) {
            x -= op.weight();
            if (x < 0) {
                return op;
            }
        }
        return enabled.get(enabled.size() - 1);
    }
}
