package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The optional parameters of {@code ExSetTimer} (wdm.h, Windows 8.1+; also spelled
 * {@code KT2_SET_PARAMETERS}). {@code ExInitializeSetTimerParameters} zeroes it; Version 0 is the
 * only version defined. Checked against mingw-w64's ddk/wdm.h by the WDK oracle.
 * <pre>{@code
 * typedef struct _EXT_SET_PARAMETERS_V0 {   // x64   x86
 *   ULONG Version;                          // 0x00  0x00  0
 *   ULONG Reserved;                         // 0x04  0x04
 *   LONGLONG NoWakeTolerance;               // 0x08  0x08  100 ns; EX_TIMER_UNLIMITED_TOLERANCE (-1) = never wake
 * } EXT_SET_PARAMETERS, *PEXT_SET_PARAMETERS;   // 0x10  0x10
 * }</pre>
 */
public final class EXT_SET_PARAMETERS {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: the structure's version (0). */
    public static final long VERSION_OFFSET = X64.offset("Version");
    /** ULONG: reserved, 0. */
    public static final long RESERVED_OFFSET = X64.offset("Reserved");
    /** LONGLONG, 100 ns: how much later than its due time a no-wake timer may expire. */
    public static final long NO_WAKE_TOLERANCE_OFFSET = X64.offset("NoWakeTolerance");

    private EXT_SET_PARAMETERS() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("EXT_SET_PARAMETERS", abi)
                .field("Version", CType.ULONG)
                .field("Reserved", CType.ULONG)
                .field("NoWakeTolerance", CType.LONGLONG)
                .build();
    }
}
