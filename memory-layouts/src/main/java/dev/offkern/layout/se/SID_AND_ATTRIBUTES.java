package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A SID pointer and its group attributes (SE_GROUP_*).
 * <pre>{@code
 * typedef struct _SID_AND_ATTRIBUTES {
 *   PSID Sid;
 *   ULONG Attributes;
 * } SID_AND_ATTRIBUTES, *PSID_AND_ATTRIBUTES;
 * }</pre>
 */
public final class SID_AND_ATTRIBUTES {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PSID: the SID. */
    public static final long SID_OFFSET = X64.offset("Sid");
    /** ULONG: SE_GROUP_* flags. */
    public static final long ATTRIBUTES_OFFSET = X64.offset("Attributes");

    private SID_AND_ATTRIBUTES() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("SID_AND_ATTRIBUTES", abi)
                .field("Sid", CType.pointer("PSID"))
                .field("Attributes", CType.ULONG)
                .build();
    }
}
