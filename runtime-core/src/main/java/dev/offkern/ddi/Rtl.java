package dev.offkern.ddi;

import dev.offkern.runtime.rtl.RtlRunOnce;
import java.lang.foreign.MemorySegment;

/**
 * Run-time library routines ({@code Rtl*}) under their verbatim names with C parameters in C order.
 * Each is a thin delegation into {@code dev.offkern.runtime.rtl}.
 */
public final class Rtl {

    private Rtl() {
    }

    // ===== RTL_BITMAP =====

    // ===== end RTL_BITMAP =====

    // ===== RTL_RUN_ONCE =====

    /** {@code VOID RtlRunOnceInitialize(PRTL_RUN_ONCE RunOnce)}. IRQL &le; APC_LEVEL. */
    public static void RtlRunOnceInitialize(MemorySegment RunOnce) {
        RtlRunOnce.initialize(RunOnce);
    }

    /**
     * {@code NTSTATUS RtlRunOnceBeginInitialize(PRTL_RUN_ONCE RunOnce, ULONG Flags, PVOID *Context)}:
     * STATUS_SUCCESS (done, {@code *Context} filled), STATUS_PENDING (caller initializes),
     * STATUS_UNSUCCESSFUL (CHECK_ONLY, not done), STATUS_INVALID_PARAMETER. IRQL &le; APC_LEVEL.
     */
    public static int RtlRunOnceBeginInitialize(MemorySegment RunOnce, int Flags, MemorySegment Context) {
        return RtlRunOnce.beginInitialize(RunOnce, Flags, Context);
    }

    /** {@code NTSTATUS RtlRunOnceComplete(PRTL_RUN_ONCE RunOnce, ULONG Flags, PVOID Context)}. IRQL &le; APC_LEVEL. */
    public static int RtlRunOnceComplete(MemorySegment RunOnce, int Flags, MemorySegment Context) {
        return RtlRunOnce.complete(RunOnce, Flags, Context);
    }

    /**
     * {@code NTSTATUS RtlRunOnceExecuteOnce(PRTL_RUN_ONCE RunOnce, PRTL_RUN_ONCE_INIT_FN InitFn, PVOID Parameter,
     * PVOID *Context)}. IRQL &le; APC_LEVEL.
     */
    public static int RtlRunOnceExecuteOnce(MemorySegment RunOnce, RunOnceInitFunction InitFn, MemorySegment Parameter,
            MemorySegment Context) {
        return RtlRunOnce.executeOnce(RunOnce, InitFn, Parameter, Context);
    }

    // ===== end RTL_RUN_ONCE =====
}
