package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A token's groups (variable length: GroupCount entries; a query places the SIDs after the array).
 * <pre>{@code
 * typedef struct _TOKEN_GROUPS {
 *   ULONG GroupCount;
 *   SID_AND_ATTRIBUTES Groups[ANYSIZE_ARRAY];
 * } TOKEN_GROUPS, *PTOKEN_GROUPS;
 * }</pre>
 */
public final class TOKEN_GROUPS {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG, count: entries in Groups. */
    public static final long GROUP_COUNT_OFFSET = X64.offset("GroupCount");
    /** SID_AND_ATTRIBUTES[GroupCount]: each group's SID and SE_GROUP_* attributes. */
    public static final long GROUPS_OFFSET = X64.offset("Groups");

    private TOKEN_GROUPS() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("TOKEN_GROUPS", abi)
                .field("GroupCount", CType.ULONG)
                .array("Groups", SID_AND_ATTRIBUTES.of(abi), 1)
                .build();
    }
}
