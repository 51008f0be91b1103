package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The default primary group a token gives the objects its subject creates.
 * <pre>{@code
 * typedef struct _TOKEN_PRIMARY_GROUP {
 *   PSID PrimaryGroup;
 * } TOKEN_PRIMARY_GROUP, *PTOKEN_PRIMARY_GROUP;
 * }</pre>
 */
public final class TOKEN_PRIMARY_GROUP {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PSID: the default primary group. */
    public static final long PRIMARY_GROUP_OFFSET = X64.offset("PrimaryGroup");

    private TOKEN_PRIMARY_GROUP() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("TOKEN_PRIMARY_GROUP", abi)
                .field("PrimaryGroup", CType.pointer("PSID"))
                .build();
    }
}
