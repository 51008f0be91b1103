package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A privilege (by LUID) and its attributes (SE_PRIVILEGE_ENABLED, ...).
 * <pre>{@code
 * typedef struct _LUID_AND_ATTRIBUTES {
 *   LUID Luid;
 *   ULONG Attributes;
 * } LUID_AND_ATTRIBUTES, *PLUID_AND_ATTRIBUTES;
 * }</pre>
 */
public final class LUID_AND_ATTRIBUTES {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** LUID: the privilege. */
    public static final long LUID_OFFSET = X64.offset("Luid");
    /** ULONG: SE_PRIVILEGE_* flags. */
    public static final long ATTRIBUTES_OFFSET = X64.offset("Attributes");

    private LUID_AND_ATTRIBUTES() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("LUID_AND_ATTRIBUTES", abi)
                .field("Luid", LUID.of(abi))
                .field("Attributes", CType.ULONG)
                .build();
    }
}
