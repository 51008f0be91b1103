package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The DACL a token gives the objects its subject creates when nothing else supplies one.
 * <pre>{@code
 * typedef struct _TOKEN_DEFAULT_DACL {
 *   PACL DefaultDacl;
 * } TOKEN_DEFAULT_DACL, *PTOKEN_DEFAULT_DACL;
 * }</pre>
 */
public final class TOKEN_DEFAULT_DACL {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PACL: the default DACL, or NULL (none). */
    public static final long DEFAULT_DACL_OFFSET = X64.offset("DefaultDacl");

    private TOKEN_DEFAULT_DACL() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("TOKEN_DEFAULT_DACL", abi)
                .field("DefaultDacl", CType.pointer("PACL"))
                .build();
    }
}
