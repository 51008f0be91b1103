package dev.offkern.runtime.ke;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import dev.offkern.layout.ke.KFLOATING_SAVE;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.shim.FloatingPointControl;
import java.lang.foreign.MemorySegment;

/**
 * {@code KeSaveFloatingPointState} and {@code KeRestoreFloatingPointState} on the x64
 * {@code KFLOATING_SAVE}, whose only member is {@code ULONG Dummy}: the save stores the calling
 * thread's MXCSR (SSE rounding, exception masks, flush-to-zero, denormals-are-zero, sticky flags) in
 * {@code Dummy} and sets up a fresh floating-point context (MXCSR := 0x1F80: all exceptions masked,
 * round to nearest, as Java expects); the restore loads {@code Dummy} back.
 *
 * <p>Nesting, as the DDI pages require: a restore names the thread's innermost live save, on the
 * same thread and at the same IRQL. The 4-byte block has no room for the thread and the IRQL, so
 * offkern keeps the thread's live saves beside its state ({@link ProcessorStateSaves}). Violations
 * are {@code INVALID_FLOATING_POINT_STATE} (0xE7) with Microsoft's parameters: (1, saved IRQL,
 * current IRQL) for a restore at another IRQL; (0, the block's Dummy, 0, 0) for a block that is not
 * a valid save — not the thread's innermost live save (never saved, restored twice, out of order, or
 * saved by another thread; the x86 block's "flags field" has no x64 counterpart, and Dummy is what
 * the x64 block holds) or whose Dummy changed since the save (the DDI page calls the saved data
 * opaque to the caller; offkern remembers what it stored, so an overwritten block never loads a
 * rounding mode, flush-to-zero or unmasked exception the thread did not have — the last would make
 * the JVM's next inexact result a fatal SIGFPE — nor reserved bits, which would raise #GP).
 * Parameter 2 (another thread's save) is reported as 0 because an x64 block does not say whose it
 * is. The block is checked as every structure pointer is ({@link CallerMemory}: a segment of 4
 * bytes or more or a raw pointer, 4-byte aligned) and resolved in the kernel's address space (0x50
 * if unmapped, NULL included).
 *
 * <p>IRQL: ≤ DISPATCH_LEVEL (verifier: DRIVER_IRQL_NOT_LESS_OR_EQUAL 0xD1, P1 the block). Returns:
 * STATUS_SUCCESS (documented also STATUS_INSUFFICIENT_RESOURCES and, for FP emulation,
 * STATUS_ILLEGAL_FLOAT_CONTEXT: neither can happen here — nothing is allocated, and every x86-64 CPU
 * has SSE; XSAVE is not needed). Progress: wait-free. Threading: per-thread state only.
 */
public final class KeFloatingState {

    /* Implementation overview
     *
     * Where offkern differs from Windows x64: there wdm.h makes both routines an inline that returns
     * STATUS_SUCCESS and touches nothing, because the x64 kernel ABI already preserves the
     * nonvolatile floating-point state. offkern's callers are JVM threads, where a routine that
     * changes MXCSR silently changes the results of Java arithmetic on that thread until it is put
     * back; so offkern does save and restore MXCSR, the one control register a 4-byte block can hold
     * whole (its bits 16-31 are reserved or, on AMD, the MM bit 17). The x87 control word and the
     * register contents are KeSaveExtendedProcessorState's job (XSTATE_MASK_LEGACY).
     *
     * The checks are always on (x86 Windows raises 0xE7 without the verifier); the IRQL limit is a
     * verifier check, as the DDI compliance rule IrqlKeDispatchLte is.
     */

    /** sizeof(KFLOATING_SAVE) on x64 (4). */
    public static final long KFLOATING_SAVE_SIZE = KFLOATING_SAVE.LAYOUT.byteSize();
    /** The alignment of an x64 KFLOATING_SAVE (4). */
    public static final long KFLOATING_SAVE_ALIGNMENT = KFLOATING_SAVE.LAYOUT.byteAlignment();
    /** 0xE7 parameter 1: the saved context is invalid. */
    public static final int SAVED_CONTEXT_INVALID = 0;
    /** 0xE7 parameter 1: the IRQL differs from the IRQL at the save. */
    public static final int IRQL_MISMATCH = 1;

    private static final long DUMMY = KFLOATING_SAVE.DUMMY_OFFSET;

    private KeFloatingState() {
    }

    /**
     * {@code NTSTATUS KeSaveFloatingPointState(PKFLOATING_SAVE FloatSave)}: MXCSR into
     * {@code FloatSave->Dummy}, then MXCSR := {@link FloatingPointControl#MXCSR_DEFAULT}.
     *
     * @return STATUS_SUCCESS
     * @throws dev.offkern.nt.BugCheck 0x50 for an unmapped block, 0xD1 above DISPATCH_LEVEL (verifier)
     * @throws IllegalArgumentException if {@code floatSave} is a heap segment or shorter than 4 bytes
     *                                  ({@link dev.offkern.nt.DatatypeMisalignmentException} if not
     *                                  4-byte aligned)
     */
    public static int save(MemorySegment floatSave) {
        ThreadState t = ThreadState.current();
        long block = KeExtendedState.addressOf(floatSave, "KeSaveFloatingPointState", "FloatSave", KFLOATING_SAVE_SIZE,
                KFLOATING_SAVE_ALIGNMENT);
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.DISPATCH_LEVEL, block, IrqlChecks.WRITE, "KeSaveFloatingPointState");
        }
        Region r = t.kernel().addressSpace().regionOf(block, KFLOATING_SAVE_SIZE);
        int mxcsr = FloatingPointControl.mxcsr();
        r.segment().set(JAVA_INT_UNALIGNED, r.offsetOf(block) + DUMMY, mxcsr);
        t.stateSaves().pushFloat(block, t.irql(), mxcsr);
        FloatingPointControl.setMxcsr(FloatingPointControl.MXCSR_DEFAULT);
        return NtStatus.STATUS_SUCCESS;
    }

    /**
     * {@code NTSTATUS KeRestoreFloatingPointState(PKFLOATING_SAVE FloatSave)}: MXCSR :=
     * {@code FloatSave->Dummy} for the thread's innermost live save.
     *
     * @return STATUS_SUCCESS
     * @throws dev.offkern.nt.BugCheck 0xE7 (see the class comment), 0x50 for an unmapped block, 0xD1
     *                                 above DISPATCH_LEVEL (verifier)
     * @throws IllegalArgumentException if {@code floatSave} is a heap segment or shorter than 4 bytes
     *                                  ({@link dev.offkern.nt.DatatypeMisalignmentException} if not
     *                                  4-byte aligned)
     */
    public static int restore(MemorySegment floatSave) {
        ThreadState t = ThreadState.current();
        KernelCore k = t.kernel();
        long block = KeExtendedState.addressOf(floatSave, "KeRestoreFloatingPointState", "FloatSave", KFLOATING_SAVE_SIZE,
                KFLOATING_SAVE_ALIGNMENT);
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.DISPATCH_LEVEL, block, IrqlChecks.READ, "KeRestoreFloatingPointState");
        }
        Region r = k.addressSpace().regionOf(block, KFLOATING_SAVE_SIZE);
        int dummy = r.segment().get(JAVA_INT_UNALIGNED, r.offsetOf(block) + DUMMY);
        ProcessorStateSaves saves = t.stateSaves();
        if (saves.floatDepth() == 0 || saves.innermostFloat() != block) {
            throw k.bugCheck(BugCheckCode.INVALID_FLOATING_POINT_STATE, SAVED_CONTEXT_INVALID,
                    Integer.toUnsignedLong(dummy), 0, 0, "KeRestoreFloatingPointState of 0x"
                            + Long.toHexString(block) + ", which is not this thread's innermost live save (0x"
                            + Long.toHexString(saves.innermostFloat())
                            + "): never saved, restored twice, out of order, or saved by another thread");
        }
        int savedIrql = saves.innermostFloatIrql();
        if (savedIrql != t.irql()) {
            throw k.bugCheck(BugCheckCode.INVALID_FLOATING_POINT_STATE, IRQL_MISMATCH, savedIrql, t.irql(), 0,
                    "KeRestoreFloatingPointState at " + Irql.name(t.irql()) + " of a state saved at "
                            + Irql.name(savedIrql));
        }
        if (dummy != saves.innermostFloatMxcsr()) {
            throw k.bugCheck(BugCheckCode.INVALID_FLOATING_POINT_STATE, SAVED_CONTEXT_INVALID,
                    Integer.toUnsignedLong(dummy), 0, 0, String.format("KeRestoreFloatingPointState: Dummy 0x%x was "
                            + "changed since the save stored 0x%x (the block is opaque to the caller)", dummy,
                            saves.innermostFloatMxcsr()));
        }
        FloatingPointControl.setMxcsr(dummy);
        saves.popFloat();
        return NtStatus.STATUS_SUCCESS;
    }
}
