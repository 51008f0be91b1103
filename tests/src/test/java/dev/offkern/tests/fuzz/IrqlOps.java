package dev.offkern.tests.fuzz;

import dev.offkern.ddi.Ke;
import java.lang.foreign.MemorySegment;
import java.util.List;

/** IRQL and processor routines: raises and lowers in every direction and to invalid levels, hostile out-parameters. */
final class IrqlOps {
    private IrqlOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("irql.raiseLower", 4, IrqlOps::raiseLower, "KeGetCurrentIrql", "KeRaiseIrql", "KeLowerIrql",
                        "KeRaiseIrqlToDpcLevel", "KeRaiseIrqlToSynchLevel"),
                Op.of("irql.processors", 3, IrqlOps::processors, "KeGetCurrentProcessorNumber",
                        "KeGetCurrentProcessorNumberEx", "KeQueryActiveProcessorCount", "KeQueryActiveProcessorCountEx",
                        "KeQueryMaximumProcessorCount", "KeQueryMaximumProcessorCountEx"));
    }

    static void raiseLower(Ctx c) {
        c.dirty = true;
        for (int i = 0; i < 1 + c.n(4); i++) {
            int before = Ke.KeGetCurrentIrql();
            switch (c.n(4)) {
                case 0 -> {
                    int to = c.anyIrql();
                    c.note("raise " + before + "->" + to);
                    int old = Ke.KeRaiseIrql(to);
                    if (old != before || Ke.KeGetCurrentIrql() != to) {
                        throw new FuzzInvariantException("KeRaiseIrql(" + to + ") from " + before + " returned " + old
                                + " and left " + Ke.KeGetCurrentIrql());
                    }
                }
                case 1 -> {
                    int to = c.anyIrql();
                    c.note("lower " + before + "->" + to);
                    Ke.KeLowerIrql(to);
                }
                case 2 -> Ke.KeRaiseIrqlToDpcLevel();
                default -> Ke.KeRaiseIrqlToSynchLevel();
            }
        }
    }

    static MemorySegment out(Ctx c, long size) {
        return c.p(0.6) ? BitmapOps.out(c, size) : c.p(0.5) ? MemorySegment.NULL : c.hostile(null, size, false);
    }

    static void processors(Ctx c) {
        int max = Ke.KeQueryMaximumProcessorCount();
        int n = switch (c.n(6)) {
            case 0 -> Ke.KeGetCurrentProcessorNumber();
            case 1 -> Ke.KeGetCurrentProcessorNumberEx(out(c, 4));
            case 2 -> Ke.KeQueryActiveProcessorCount(out(c, 8));
            case 3 -> Ke.KeQueryActiveProcessorCountEx(c.p(0.5) ? 0 : c.anyInt());
            case 4 -> Ke.KeQueryMaximumProcessorCountEx(c.p(0.5) ? Ke.ALL_PROCESSOR_GROUPS : c.anyInt());
            default -> max;
        };
        if (n < 0 || n > max) {
            throw new FuzzInvariantException("a processor routine returned " + n + " with " + max + " processors");
        }
    }
}
