package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * Who created a token: an 8-character name and a LUID.
 * <pre>{@code
 * #define TOKEN_SOURCE_LENGTH 8
 * typedef struct _TOKEN_SOURCE {
 *   CHAR SourceName[TOKEN_SOURCE_LENGTH];
 *   LUID SourceIdentifier;
 * } TOKEN_SOURCE, *PTOKEN_SOURCE;
 * }</pre>
 */
public final class TOKEN_SOURCE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** CHAR[8]: the source's name, not necessarily NUL-terminated. */
    public static final long SOURCE_NAME_OFFSET = X64.offset("SourceName");
    /** LUID: the source's identifier. */
    public static final long SOURCE_IDENTIFIER_OFFSET = X64.offset("SourceIdentifier");
    /** TOKEN_SOURCE_LENGTH: bytes in SourceName. */
    public static final int TOKEN_SOURCE_LENGTH = 8;

    private TOKEN_SOURCE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("TOKEN_SOURCE", abi)
                .array("SourceName", CType.CHAR, 8)
                .field("SourceIdentifier", LUID.of(abi))
                .build();
    }
}
