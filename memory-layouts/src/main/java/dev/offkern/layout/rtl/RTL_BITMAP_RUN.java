package dev.offkern.layout.rtl;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A run of clear (or set) bits found by RtlFindClearRuns and friends.
 * <pre>{@code
 * typedef struct _RTL_BITMAP_RUN {
 *   ULONG StartingIndex;
 *   ULONG NumberOfBits;
 * } RTL_BITMAP_RUN, *PRTL_BITMAP_RUN;
 * }</pre>
 */
public final class RTL_BITMAP_RUN {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG, bit index: the first bit of the run. */
    public static final long STARTING_INDEX_OFFSET = X64.offset("StartingIndex");
    /** ULONG, bits: the run length. */
    public static final long NUMBER_OF_BITS_OFFSET = X64.offset("NumberOfBits");

    private RTL_BITMAP_RUN() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("RTL_BITMAP_RUN", abi)
                .field("StartingIndex", CType.ULONG)
                .field("NumberOfBits", CType.ULONG)
                .build();
    }
}
