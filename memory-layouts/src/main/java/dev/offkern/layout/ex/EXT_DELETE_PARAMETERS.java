package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The optional parameters of {@code ExDeleteTimer} (wdm.h, Windows 8.1+).
 * {@code ExInitializeDeleteTimerParameters} zeroes it; Version 0 is the only version defined.
 * Checked against mingw-w64's ddk/wdm.h by the WDK oracle.
 * <pre>{@code
 * typedef struct _EXT_DELETE_PARAMETERS {   // x64   x86
 *   ULONG Version;                          // 0x00  0x00  0
 *   ULONG Reserved;                         // 0x04  0x04
 *   PEXT_DELETE_CALLBACK DeleteCallback;    // 0x08  0x08  called once the timer is deleted, or NULL
 *   PVOID DeleteContext;                    // 0x10  0x0c
 * } EXT_DELETE_PARAMETERS, *PEXT_DELETE_PARAMETERS;   // 0x18  0x10
 * }</pre>
 */
public final class EXT_DELETE_PARAMETERS {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: the structure's version (0). */
    public static final long VERSION_OFFSET = X64.offset("Version");
    /** ULONG: reserved, 0. */
    public static final long RESERVED_OFFSET = X64.offset("Reserved");
    /** PEXT_DELETE_CALLBACK: {@code VOID (*)(PVOID Context)}, or NULL. */
    public static final long DELETE_CALLBACK_OFFSET = X64.offset("DeleteCallback");
    /** PVOID: the delete callback's context. */
    public static final long DELETE_CONTEXT_OFFSET = X64.offset("DeleteContext");

    private EXT_DELETE_PARAMETERS() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("EXT_DELETE_PARAMETERS", abi)
                .field("Version", CType.ULONG)
                .field("Reserved", CType.ULONG)
                .field("DeleteCallback", CType.pointer("PEXT_DELETE_CALLBACK"))
                .field("DeleteContext", CType.PVOID)
                .build();
    }
}
