package dev.offkern.nt;

/** {@code RTL_RUN_ONCE} flags and constants, with the Windows names (ntddk.h / winnt.h). */
public final class RunOnceFlags {
    /** Only test whether the initialization completed; never start it or block. */
    public static final int RTL_RUN_ONCE_CHECK_ONLY = 0x00000001;
    /** Asynchronous initialization: several initializers may run in parallel; the first to complete wins. */
    public static final int RTL_RUN_ONCE_ASYNC = 0x00000002;
    /** {@code RtlRunOnceComplete}: the initialization failed; the next caller retries it. */
    public static final int RTL_RUN_ONCE_INIT_FAILED = 0x00000004;
    /** Low bits of the context value the system keeps for itself (they must be zero). */
    public static final int RTL_RUN_ONCE_CTX_RESERVED_BITS = dev.offkern.layout.rtl.RTL_RUN_ONCE.RTL_RUN_ONCE_CTX_RESERVED_BITS;

    private RunOnceFlags() {
    }
}
