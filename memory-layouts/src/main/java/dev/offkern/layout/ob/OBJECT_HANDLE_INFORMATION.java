package dev.offkern.layout.ob;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * What ObReferenceObjectByHandle reports about the handle it resolved.
 * <pre>{@code
 * typedef struct _OBJECT_HANDLE_INFORMATION {        // x64   x86
 *   ULONG HandleAttributes;                          // 0x00  0x00  (OBJ_PROTECT_CLOSE, OBJ_INHERIT, OBJ_AUDIT_OBJECT_CLOSE)
 *   ACCESS_MASK GrantedAccess;                       // 0x04  0x04
 * } OBJECT_HANDLE_INFORMATION;                       // 0x08  0x08
 * }</pre>
 */
public final class OBJECT_HANDLE_INFORMATION {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: the handle's attributes. */
    public static final long HANDLE_ATTRIBUTES_OFFSET = X64.offset("HandleAttributes");
    /** ACCESS_MASK: the access the handle grants. */
    public static final long GRANTED_ACCESS_OFFSET = X64.offset("GrantedAccess");

    private OBJECT_HANDLE_INFORMATION() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("OBJECT_HANDLE_INFORMATION", abi)
                .field("HandleAttributes", CType.ULONG)
                .field("GrantedAccess", CType.ACCESS_MASK)
                .build();
    }
}
