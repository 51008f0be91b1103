package dev.offkern.layout.rtl;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A counted UTF-16 string (not necessarily NUL-terminated).
 * <pre>{@code
 * typedef struct _UNICODE_STRING {
 *   USHORT Length;
 *   USHORT MaximumLength;
 *   PWSTR Buffer;
 * } UNICODE_STRING, *PUNICODE_STRING;
 * }</pre>
 */
public final class UNICODE_STRING {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** USHORT, bytes: the length of the string, without any terminator. */
    public static final long LENGTH_OFFSET = X64.offset("Length");
    /** USHORT, bytes: the capacity of Buffer. */
    public static final long MAXIMUM_LENGTH_OFFSET = X64.offset("MaximumLength");
    /** PWSTR: the characters. */
    public static final long BUFFER_OFFSET = X64.offset("Buffer");

    private UNICODE_STRING() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("UNICODE_STRING", abi)
                .field("Length", CType.USHORT)
                .field("MaximumLength", CType.USHORT)
                .field("Buffer", CType.pointer("PWSTR"))
                .build();
    }
}
