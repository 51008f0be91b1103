package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code PRTL_RUN_ONCE_INIT_FN}: the one-time initialization routine run by
 * {@code RtlRunOnceExecuteOnce}.
 * <pre>{@code
 * typedef ULONG (NTAPI *PRTL_RUN_ONCE_INIT_FN)(PRTL_RUN_ONCE RunOnce, PVOID Parameter, PVOID *Context);
 * }</pre>
 * The C routine's ULONG result (non-zero = success) is a {@code boolean} here.
 */
@FunctionalInterface
public interface RunOnceInitFunction {
    /**
     * Performs the initialization.
     *
     * @param runOnce   the RTL_RUN_ONCE being initialized
     * @param parameter the caller's Parameter (may be {@code MemorySegment.NULL})
     * @param context   the caller's {@code PVOID *Context} (8 bytes; {@code MemorySegment.NULL} if the
     *                  caller passed none): store the context value there; its
     *                  {@link RunOnceFlags#RTL_RUN_ONCE_CTX_RESERVED_BITS} low bits must be zero
     * @return true if the initialization succeeded; false to have a later call retry it
     */
    boolean init(MemorySegment runOnce, MemorySegment parameter, MemorySegment context);
}
