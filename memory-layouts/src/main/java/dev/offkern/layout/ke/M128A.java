package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A 128-bit register image (an x87 register or an XMM register in {@link XSAVE_FORMAT}).
 * <pre>{@code
 * typedef struct DECLSPEC_ALIGN(16) _M128A {
 *   ULONGLONG Low;
 *   LONGLONG High;
 * } M128A, *PM128A;
 * }</pre>
 */
public final class M128A {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONGLONG: bits 0..63. */
    public static final long LOW_OFFSET = X64.offset("Low");
    /** LONGLONG: bits 64..127. */
    public static final long HIGH_OFFSET = X64.offset("High");

    private M128A() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("M128A", abi)
                .field("Low", CType.ULONGLONG)
                .field("High", CType.LONGLONG)
                .alignAs(16)
                .build();
    }
}
