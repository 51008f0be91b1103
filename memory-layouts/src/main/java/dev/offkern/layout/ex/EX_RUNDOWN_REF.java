package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * Rundown protection: one pointer-sized word. Bit 0 ({@code EX_RUNDOWN_ACTIVE}) says rundown has
 * begun (the word then points at the waiter's wait block); otherwise bits 1.. count the holders in
 * units of {@code EX_RUNDOWN_COUNT_INC}.
 * <pre>{@code
 * typedef struct _EX_RUNDOWN_REF {
 *   union {
 *     volatile ULONG_PTR Count;
 *     volatile PVOID Ptr;
 *   };
 * } EX_RUNDOWN_REF, *PEX_RUNDOWN_REF;
 * }</pre>
 */
public final class EX_RUNDOWN_REF {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** Bit 0 of Count: rundown is active, the rest of the word points at the wait block. */
    public static final long EX_RUNDOWN_ACTIVE = 0x1;
    /** Shift of the holder count inside Count. */
    public static final int EX_RUNDOWN_COUNT_SHIFT = 0x1;
    /** One holder, as added to Count. */
    public static final long EX_RUNDOWN_COUNT_INC = 1L << EX_RUNDOWN_COUNT_SHIFT;

    /** ULONG_PTR: holder count (shifted) and the active bit. */
    public static final long COUNT_OFFSET = X64.offset("Count");
    /** PVOID: the same word read as a pointer (wait block while rundown is active). */
    public static final long PTR_OFFSET = X64.offset("Ptr");

    private EX_RUNDOWN_REF() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("EX_RUNDOWN_REF", abi)
                .union(null, u -> u.field("Count", CType.ULONG_PTR).field("Ptr", CType.PVOID))
                .build();
    }
}
