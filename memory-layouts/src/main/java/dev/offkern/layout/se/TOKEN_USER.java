package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The user of a token (SeQueryInformationToken TokenUser; ZwCreateToken's User). The SID follows the structure in the same buffer when a query returns it.
 * <pre>{@code
 * typedef struct _TOKEN_USER {
 *   SID_AND_ATTRIBUTES User;
 * } TOKEN_USER, *PTOKEN_USER;
 * }</pre>
 */
public final class TOKEN_USER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** SID_AND_ATTRIBUTES: the user's SID; Attributes 0 or SE_GROUP_USE_FOR_DENY_ONLY. */
    public static final long USER_OFFSET = X64.offset("User");

    private TOKEN_USER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("TOKEN_USER", abi)
                .field("User", SID_AND_ATTRIBUTES.of(abi))
                .build();
    }
}
