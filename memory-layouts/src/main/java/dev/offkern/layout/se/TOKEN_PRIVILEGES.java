package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A token's privileges (variable length: PrivilegeCount entries).
 * <pre>{@code
 * typedef struct _TOKEN_PRIVILEGES {
 *   ULONG PrivilegeCount;
 *   LUID_AND_ATTRIBUTES Privileges[ANYSIZE_ARRAY];
 * } TOKEN_PRIVILEGES, *PTOKEN_PRIVILEGES;
 * }</pre>
 */
public final class TOKEN_PRIVILEGES {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG, count: entries in Privileges. */
    public static final long PRIVILEGE_COUNT_OFFSET = X64.offset("PrivilegeCount");
    /** LUID_AND_ATTRIBUTES[PrivilegeCount]: each privilege's LUID and SE_PRIVILEGE_* attributes. */
    public static final long PRIVILEGES_OFFSET = X64.offset("Privileges");

    private TOKEN_PRIVILEGES() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("TOKEN_PRIVILEGES", abi)
                .field("PrivilegeCount", CType.ULONG)
                .array("Privileges", LUID_AND_ATTRIBUTES.of(abi), 1)
                .build();
    }
}
