package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * An absolute security descriptor: the owner, group and ACLs are pointers.
 * <pre>{@code
 * typedef struct _SECURITY_DESCRIPTOR {
 *   UCHAR Revision;
 *   UCHAR Sbz1;
 *   SECURITY_DESCRIPTOR_CONTROL Control;
 *   PSID Owner;
 *   PSID Group;
 *   PACL Sacl;
 *   PACL Dacl;
 * } SECURITY_DESCRIPTOR, *PISECURITY_DESCRIPTOR;
 * }</pre>
 */
public final class SECURITY_DESCRIPTOR {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** UCHAR: SECURITY_DESCRIPTOR_REVISION (1). */
    public static final long REVISION_OFFSET = X64.offset("Revision");
    /** UCHAR: zero (resource-manager bits when SE_RM_CONTROL_VALID). */
    public static final long SBZ1_OFFSET = X64.offset("Sbz1");
    /** SECURITY_DESCRIPTOR_CONTROL (USHORT): SE_* flags; SE_SELF_RELATIVE clear here. */
    public static final long CONTROL_OFFSET = X64.offset("Control");
    /** PSID: the owner, or NULL. */
    public static final long OWNER_OFFSET = X64.offset("Owner");
    /** PSID: the primary group, or NULL. */
    public static final long GROUP_OFFSET = X64.offset("Group");
    /** PACL: the system ACL (valid when SE_SACL_PRESENT). */
    public static final long SACL_OFFSET = X64.offset("Sacl");
    /** PACL: the discretionary ACL (valid when SE_DACL_PRESENT). */
    public static final long DACL_OFFSET = X64.offset("Dacl");

    private SECURITY_DESCRIPTOR() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("SECURITY_DESCRIPTOR", abi)
                .field("Revision", CType.UCHAR)
                .field("Sbz1", CType.UCHAR)
                .field("Control", CType.USHORT)
                .field("Owner", CType.pointer("PSID"))
                .field("Group", CType.pointer("PSID"))
                .field("Sacl", CType.pointer("PACL"))
                .field("Dacl", CType.pointer("PACL"))
                .build();
    }
}
