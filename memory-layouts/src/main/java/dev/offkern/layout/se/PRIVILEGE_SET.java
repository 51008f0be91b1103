package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A set of privileges (variable length: PrivilegeCount entries).
 * <pre>{@code
 * typedef struct _PRIVILEGE_SET {
 *   ULONG PrivilegeCount;
 *   ULONG Control;
 *   LUID_AND_ATTRIBUTES Privilege[ANYSIZE_ARRAY];
 * } PRIVILEGE_SET, *PPRIVILEGE_SET;
 * }</pre>
 */
public final class PRIVILEGE_SET {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG, count: entries in Privilege. */
    public static final long PRIVILEGE_COUNT_OFFSET = X64.offset("PrivilegeCount");
    /** ULONG: PRIVILEGE_SET_ALL_NECESSARY (1) or 0. */
    public static final long CONTROL_OFFSET = X64.offset("Control");
    /** LUID_AND_ATTRIBUTES[PrivilegeCount]: the privileges. */
    public static final long PRIVILEGE_OFFSET = X64.offset("Privilege");

    private PRIVILEGE_SET() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("PRIVILEGE_SET", abi)
                .field("PrivilegeCount", CType.ULONG)
                .field("Control", CType.ULONG)
                .array("Privilege", LUID_AND_ATTRIBUTES.of(abi), 1)
                .build();
    }
}
