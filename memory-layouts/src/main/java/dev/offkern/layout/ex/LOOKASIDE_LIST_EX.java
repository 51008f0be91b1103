package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A lookaside list of ExInitializeLookasideListEx: a GENERAL_LOOKASIDE_POOL (0x60 / 0x48 bytes; 16-aligned on x64).
 * <pre>{@code
 * typedef struct _LOOKASIDE_LIST_EX {
 *   GENERAL_LOOKASIDE_POOL L;
 * } LOOKASIDE_LIST_EX, *PLOOKASIDE_LIST_EX;
 * }</pre>
 */
public final class LOOKASIDE_LIST_EX {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** GENERAL_LOOKASIDE_POOL: the list. */
    public static final long L_OFFSET = X64.offset("L");

    private LOOKASIDE_LIST_EX() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("LOOKASIDE_LIST_EX", abi).field("L", GENERAL_LOOKASIDE_POOL.of(abi)).build();
    }
}
