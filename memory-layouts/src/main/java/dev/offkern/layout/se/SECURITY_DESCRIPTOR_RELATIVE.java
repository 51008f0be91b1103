package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A self-relative security descriptor: the owner, group and ACLs are byte offsets from its start (0 = absent).
 * <pre>{@code
 * typedef struct _SECURITY_DESCRIPTOR_RELATIVE {
 *   UCHAR Revision;
 *   UCHAR Sbz1;
 *   SECURITY_DESCRIPTOR_CONTROL Control;
 *   ULONG Owner;
 *   ULONG Group;
 *   ULONG Sacl;
 *   ULONG Dacl;
 * } SECURITY_DESCRIPTOR_RELATIVE, *PISECURITY_DESCRIPTOR_RELATIVE;
 * }</pre>
 */
public final class SECURITY_DESCRIPTOR_RELATIVE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** UCHAR: SECURITY_DESCRIPTOR_REVISION (1). */
    public static final long REVISION_OFFSET = X64.offset("Revision");
    /** UCHAR: zero. */
    public static final long SBZ1_OFFSET = X64.offset("Sbz1");
    /** SECURITY_DESCRIPTOR_CONTROL (USHORT): SE_* flags, SE_SELF_RELATIVE set. */
    public static final long CONTROL_OFFSET = X64.offset("Control");
    /** ULONG, bytes: offset of the owner SID, or 0. */
    public static final long OWNER_OFFSET = X64.offset("Owner");
    /** ULONG, bytes: offset of the group SID, or 0. */
    public static final long GROUP_OFFSET = X64.offset("Group");
    /** ULONG, bytes: offset of the SACL, or 0. */
    public static final long SACL_OFFSET = X64.offset("Sacl");
    /** ULONG, bytes: offset of the DACL, or 0. */
    public static final long DACL_OFFSET = X64.offset("Dacl");

    private SECURITY_DESCRIPTOR_RELATIVE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("SECURITY_DESCRIPTOR_RELATIVE", abi)
                .field("Revision", CType.UCHAR)
                .field("Sbz1", CType.UCHAR)
                .field("Control", CType.USHORT)
                .field("Owner", CType.ULONG)
                .field("Group", CType.ULONG)
                .field("Sacl", CType.ULONG)
                .field("Dacl", CType.ULONG)
                .build();
    }
}
