package dev.offkern.tests.fuzz;

import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Rtl;
import dev.offkern.layout.ke.KFLOATING_SAVE;
import dev.offkern.layout.ke.XSTATE_SAVE;
import dev.offkern.nt.XStateMask;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Extended and floating-point processor state: saves and restores in order and out of order,
 * restores never saved or made twice, at another IRQL, of blocks scribbled in between, with
 * invalid feature masks and hostile pointers. The thread's real MXCSR is what is saved and
 * restored, so every step checks that Java arithmetic on the thread still behaves (0.1 + 0.2
 * rounds to nearest, denormals are not flushed).
 */
final class ProcessorStateOps {
    private ProcessorStateOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("xstate.saveRestore", 3, ProcessorStateOps::xstate, "KeSaveExtendedProcessorState",
                        "KeRestoreExtendedProcessorState", "RtlGetEnabledExtendedFeatures"),
                Op.of("xstate.hostile", 1, ProcessorStateOps::xstateHostile, "KeSaveExtendedProcessorState",
                        "KeRestoreExtendedProcessorState"),
                Op.of("float.saveRestore", 3, ProcessorStateOps::floating, "KeSaveFloatingPointState",
                        "KeRestoreFloatingPointState"));
    }

    static final long XSTATE_SAVE_SIZE = XSTATE_SAVE.X64.size();
    static final long KFLOATING_SAVE_SIZE = KFLOATING_SAVE.X64.size();

    static long mask(Ctx c) {
        return switch (c.n(6)) {
            case 0 -> XStateMask.XSTATE_MASK_LEGACY;
            case 1 -> XStateMask.XSTATE_MASK_AVX;
            case 2 -> Rtl.RtlGetEnabledExtendedFeatures(-1L);
            case 3 -> c.r.nextLong();
            case 4 -> 0;
            default -> XStateMask.XSTATE_MASK_LEGACY_SSE | XStateMask.XSTATE_MASK_AVX512;
        };
    }

    static void xstate(Ctx c) {
        c.dirty = true;
        MemorySegment a = c.own(Kind.XSTATE_SAVE);
        MemorySegment b = c.w.own(Kind.XSTATE_SAVE, c.thread).get(1);
        long features = Rtl.RtlGetEnabledExtendedFeatures(c.r.nextLong());
        if ((features & ~Rtl.RtlGetEnabledExtendedFeatures(-1L)) != 0) {
            throw new FuzzInvariantException("RtlGetEnabledExtendedFeatures returned features the system does not enable");
        }
        int which = c.n(5);
        c.note("xstate #" + which);
        try {
            switch (which) {
                case 0 -> { // in order
                    Ke.KeSaveExtendedProcessorState(mask(c), a);
                    Ke.KeRestoreExtendedProcessorState(a);
                }
                case 1 -> { // nested, restored out of order
                    Ke.KeSaveExtendedProcessorState(mask(c), a);
                    Ke.KeSaveExtendedProcessorState(mask(c), b);
                    Ke.KeRestoreExtendedProcessorState(a);
                }
                case 2 -> Ke.KeRestoreExtendedProcessorState(a); // never saved (or restored before)
                case 3 -> { // restored at another IRQL
                    Ke.KeSaveExtendedProcessorState(mask(c), a);
                    Ke.KeRaiseIrqlToDpcLevel();
                    Ke.KeRestoreExtendedProcessorState(a);
                }
                default -> { // the block scribbled between save and restore
                    Ke.KeSaveExtendedProcessorState(mask(c), a);
                    c.scribble(a);
                    Ke.KeRestoreExtendedProcessorState(a);
                }
            }
        } finally {
            checkArithmetic(c);
        }
    }

    /** Hostile XSTATE_SAVE pointers (misaligned, short, unmapped, ...). */
    static void xstateHostile(Ctx c) {
        c.dirty = true;
        try {
            if (c.p(0.5)) {
                Ke.KeSaveExtendedProcessorState(mask(c), c.hostile(Kind.XSTATE_SAVE, XSTATE_SAVE_SIZE, false));
            } else {
                Ke.KeRestoreExtendedProcessorState(c.hostile(Kind.XSTATE_SAVE, XSTATE_SAVE_SIZE, false));
            }
        } finally {
            checkArithmetic(c);
        }
    }

    static void floating(Ctx c) {
        c.dirty = true;
        MemorySegment a = c.own(Kind.FLOATING_SAVE);
        MemorySegment b = c.w.own(Kind.FLOATING_SAVE, c.thread).get(1);
        int which = c.n(7);
        c.note("float #" + which);
        try {
            switch (which) {
                case 0 -> {
                    Ke.KeSaveFloatingPointState(a);
                    Ke.KeRestoreFloatingPointState(a);
                }
                case 1 -> {
                    Ke.KeSaveFloatingPointState(a);
                    Ke.KeSaveFloatingPointState(b);
                    Ke.KeRestoreFloatingPointState(a);
                }
                case 2 -> Ke.KeRestoreFloatingPointState(a);
                case 3 -> {
                    Ke.KeSaveFloatingPointState(a);
                    Ke.KeRaiseIrqlToDpcLevel();
                    Ke.KeRestoreFloatingPointState(a);
                }
                case 4 -> {
                    Ke.KeSaveFloatingPointState(a);
                    int[] mxcsr = {c.r.nextInt(), 0x1F80 | 0x8000 /* FTZ */, 0x1F80 | 0x0040 /* DAZ */, 0x1F80 | 0x6000 /* RZ */,
                        0x1F80 & ~0x0200 /* divide-by-zero unmasked */};
                    int v = mxcsr[c.n(mxcsr.length)];
                    c.note(String.format("KFLOATING_SAVE.Dummy := 0x%x", v));
                    a.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, v);
                    Ke.KeRestoreFloatingPointState(a);
                }
                case 5 -> Ke.KeSaveFloatingPointState(c.hostile(Kind.FLOATING_SAVE, KFLOATING_SAVE_SIZE, false));
                default -> Ke.KeRestoreFloatingPointState(c.hostile(Kind.FLOATING_SAVE, KFLOATING_SAVE_SIZE, false));
            }
        } finally {
            checkArithmetic(c);
        }
    }

    private static volatile double tenth = 0.1;
    private static volatile double tiny = Double.MIN_NORMAL;

    /**
     * The thread's floating-point behaviour Java relies on. A restore may legitimately load an
     * MXCSR the caller chose (a scribbled KFLOATING_SAVE with masked-exception bits changed); what
     * must never happen is a state where Java arithmetic is wrong or traps afterwards, since the JVM
     * cannot know. Checked after every step of this family.
     */
    static void checkArithmetic(Ctx c) {
        double s = tenth + 0.2;
        double d = tiny / 4;
        if (s != 0.30000000000000004 || d == 0.0) {
            // Put the thread's MXCSR back for the next steps (a save sets up a fresh context).
            Ke.KeSaveFloatingPointState(c.w.own(Kind.FLOATING_SAVE, c.thread).get(1));
            throw new FuzzInvariantException("Java arithmetic on the thread changed after a processor-state routine: 0.1 + 0.2 = "
                    + s + ", MIN_NORMAL / 4 = " + d);
        }
    }
}
