package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The 48-bit big-endian identifier authority of a SID (SECURITY_NT_AUTHORITY = {0,0,0,0,0,5}).
 * <pre>{@code
 * typedef struct _SID_IDENTIFIER_AUTHORITY {
 *   UCHAR Value[6];
 * } SID_IDENTIFIER_AUTHORITY, *PSID_IDENTIFIER_AUTHORITY;
 * }</pre>
 */
public final class SID_IDENTIFIER_AUTHORITY {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** UCHAR[6]: the authority, most significant byte first. */
    public static final long VALUE_OFFSET = X64.offset("Value");

    private SID_IDENTIFIER_AUTHORITY() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("SID_IDENTIFIER_AUTHORITY", abi)
                .array("Value", CType.UCHAR, 6)
                .build();
    }
}
