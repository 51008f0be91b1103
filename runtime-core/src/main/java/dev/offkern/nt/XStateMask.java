package dev.offkern.nt;

/**
 * The {@code XSTATE_MASK_*} feature bits of winnt.h/wdm.h: one bit per XSAVE state component, as
 * {@code KeSaveExtendedProcessorState} and {@code RtlGetEnabledExtendedFeatures} take them (the bit
 * numbers are the CPU's XCR0 bits).
 */
public final class XStateMask {
    /** XSTATE_MASK_LEGACY_FLOATING_POINT: x87/MMX (bit 0). */
    public static final long XSTATE_MASK_LEGACY_FLOATING_POINT = 1L;
    /** XSTATE_MASK_LEGACY_SSE: XMM registers and MXCSR (bit 1). */
    public static final long XSTATE_MASK_LEGACY_SSE = 1L << 1;
    /** XSTATE_MASK_LEGACY: x87/MMX and SSE. */
    public static final long XSTATE_MASK_LEGACY = XSTATE_MASK_LEGACY_FLOATING_POINT | XSTATE_MASK_LEGACY_SSE;
    /** XSTATE_MASK_GSSE: the upper halves of the YMM registers (AVX, bit 2). */
    public static final long XSTATE_MASK_GSSE = 1L << 2;
    /** XSTATE_MASK_AVX: the same bit as {@link #XSTATE_MASK_GSSE}. */
    public static final long XSTATE_MASK_AVX = XSTATE_MASK_GSSE;
    /** XSTATE_MASK_MPX: BNDREGS and BNDCSR (bits 3, 4). */
    public static final long XSTATE_MASK_MPX = (1L << 3) | (1L << 4);
    /** XSTATE_MASK_AVX512: opmask, ZMM_Hi256, Hi16_ZMM (bits 5..7). */
    public static final long XSTATE_MASK_AVX512 = (1L << 5) | (1L << 6) | (1L << 7);
    /** XSTATE_MASK_IPT: Intel Processor Trace (bit 8, a supervisor component). */
    public static final long XSTATE_MASK_IPT = 1L << 8;
    /** XSTATE_MASK_CET_U: user-mode CET (bit 11, a supervisor component). */
    public static final long XSTATE_MASK_CET_U = 1L << 11;
    /** XSTATE_MASK_AMX_TILE_CONFIG (bit 17). */
    public static final long XSTATE_MASK_AMX_TILE_CONFIG = 1L << 17;
    /** XSTATE_MASK_AMX_TILE_DATA (bit 18). */
    public static final long XSTATE_MASK_AMX_TILE_DATA = 1L << 18;
    /** XSTATE_MASK_LWP: AMD lightweight profiling (bit 62). */
    public static final long XSTATE_MASK_LWP = 1L << 62;

    private XStateMask() {
    }
}
