package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The default owner a token gives the objects its subject creates.
 * <pre>{@code
 * typedef struct _TOKEN_OWNER {
 *   PSID Owner;
 * } TOKEN_OWNER, *PTOKEN_OWNER;
 * }</pre>
 */
public final class TOKEN_OWNER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PSID: the default owner (the user or a group with SE_GROUP_OWNER). */
    public static final long OWNER_OFFSET = X64.offset("Owner");

    private TOKEN_OWNER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("TOKEN_OWNER", abi)
                .field("Owner", CType.pointer("PSID"))
                .build();
    }
}
