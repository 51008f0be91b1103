package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A security identifier: a variable-length structure; the declaration shows one sub-authority, a
 * real SID has SubAuthorityCount of them (at most SID_MAX_SUB_AUTHORITIES = 15).
 * <pre>{@code
 * typedef struct _SID {
 *   UCHAR Revision;
 *   UCHAR SubAuthorityCount;
 *   SID_IDENTIFIER_AUTHORITY IdentifierAuthority;
 *   ULONG SubAuthority[ANYSIZE_ARRAY];
 * } SID, *PISID;
 * }</pre>
 */
public final class SID {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** UCHAR: SID_REVISION (1). */
    public static final long REVISION_OFFSET = X64.offset("Revision");
    /** UCHAR, count: the number of sub-authorities. */
    public static final long SUB_AUTHORITY_COUNT_OFFSET = X64.offset("SubAuthorityCount");
    /** SID_IDENTIFIER_AUTHORITY: the 48-bit authority. */
    public static final long IDENTIFIER_AUTHORITY_OFFSET = X64.offset("IdentifierAuthority");
    /** ULONG[SubAuthorityCount]: the sub-authorities (RIDs). */
    public static final long SUB_AUTHORITY_OFFSET = X64.offset("SubAuthority");
    /** SID_REVISION. */
    public static final int SID_REVISION = 1;
    /** SID_MAX_SUB_AUTHORITIES. */
    public static final int SID_MAX_SUB_AUTHORITIES = 15;

    private SID() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("SID", abi)
                .field("Revision", CType.UCHAR)
                .field("SubAuthorityCount", CType.UCHAR)
                .field("IdentifierAuthority", SID_IDENTIFIER_AUTHORITY.of(abi))
                .array("SubAuthority", CType.ULONG, 1)
                .build();
    }
}
