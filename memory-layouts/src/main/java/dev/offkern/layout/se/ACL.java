package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The header of an access-control list; AceCount ACEs follow it, AclSize bytes in all.
 * <pre>{@code
 * typedef struct _ACL {
 *   UCHAR AclRevision;
 *   UCHAR Sbz1;
 *   USHORT AclSize;
 *   USHORT AceCount;
 *   USHORT Sbz2;
 * } ACL, *PACL;
 * }</pre>
 */
public final class ACL {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** UCHAR: ACL_REVISION (2) or ACL_REVISION_DS (4). */
    public static final long ACL_REVISION_OFFSET = X64.offset("AclRevision");
    /** UCHAR: zero. */
    public static final long SBZ1_OFFSET = X64.offset("Sbz1");
    /** USHORT, bytes: the whole ACL including its ACEs. */
    public static final long ACL_SIZE_OFFSET = X64.offset("AclSize");
    /** USHORT, count: the ACEs that follow. */
    public static final long ACE_COUNT_OFFSET = X64.offset("AceCount");
    /** USHORT: zero. */
    public static final long SBZ2_OFFSET = X64.offset("Sbz2");

    private ACL() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("ACL", abi)
                .field("AclRevision", CType.UCHAR)
                .field("Sbz1", CType.UCHAR)
                .field("AclSize", CType.USHORT)
                .field("AceCount", CType.USHORT)
                .field("Sbz2", CType.USHORT)
                .build();
    }
}
