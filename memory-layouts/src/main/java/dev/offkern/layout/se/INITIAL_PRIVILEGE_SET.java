package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The fixed-size privilege set embedded in ACCESS_STATE (INITIAL_PRIVILEGE_COUNT = 3 entries).
 * <pre>{@code
 * typedef struct _INITIAL_PRIVILEGE_SET {
 *   ULONG PrivilegeCount;
 *   ULONG Control;
 *   LUID_AND_ATTRIBUTES Privilege[INITIAL_PRIVILEGE_COUNT];
 * } INITIAL_PRIVILEGE_SET, *PINITIAL_PRIVILEGE_SET;
 * }</pre>
 */
public final class INITIAL_PRIVILEGE_SET {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG, count: entries used in Privilege. */
    public static final long PRIVILEGE_COUNT_OFFSET = X64.offset("PrivilegeCount");
    /** ULONG: PRIVILEGE_SET_ALL_NECESSARY (1) or 0. */
    public static final long CONTROL_OFFSET = X64.offset("Control");
    /** LUID_AND_ATTRIBUTES[3]: the privileges. */
    public static final long PRIVILEGE_OFFSET = X64.offset("Privilege");
    /** INITIAL_PRIVILEGE_COUNT. */
    public static final int INITIAL_PRIVILEGE_COUNT = 3;

    private INITIAL_PRIVILEGE_SET() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("INITIAL_PRIVILEGE_SET", abi)
                .field("PrivilegeCount", CType.ULONG)
                .field("Control", CType.ULONG)
                .array("Privilege", LUID_AND_ATTRIBUTES.of(abi), INITIAL_PRIVILEGE_COUNT)
                .build();
    }
}
