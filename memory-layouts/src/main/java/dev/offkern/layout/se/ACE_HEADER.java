package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The header every access-control entry starts with.
 * <pre>{@code
 * typedef struct _ACE_HEADER {
 *   UCHAR AceType;
 *   UCHAR AceFlags;
 *   USHORT AceSize;
 * } ACE_HEADER, *PACE_HEADER;
 * }</pre>
 */
public final class ACE_HEADER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** UCHAR: ACCESS_ALLOWED_ACE_TYPE (0), ACCESS_DENIED_ACE_TYPE (1), ... */
    public static final long ACE_TYPE_OFFSET = X64.offset("AceType");
    /** UCHAR: inheritance and audit flags. */
    public static final long ACE_FLAGS_OFFSET = X64.offset("AceFlags");
    /** USHORT, bytes: the whole ACE including its SID. */
    public static final long ACE_SIZE_OFFSET = X64.offset("AceSize");

    private ACE_HEADER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("ACE_HEADER", abi)
                .field("AceType", CType.UCHAR)
                .field("AceFlags", CType.UCHAR)
                .field("AceSize", CType.USHORT)
                .build();
    }
}
