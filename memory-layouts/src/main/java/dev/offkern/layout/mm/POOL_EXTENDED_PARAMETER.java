package dev.offkern.layout.mm;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * One extended parameter of {@code ExAllocatePool3} (wdm.h, Windows 10 2004 and later).
 *
 * <pre>{@code
 * typedef struct _POOL_EXTENDED_PARAMETER {   // x64 and x86: 0x10 bytes
 *   struct {
 *     ULONG64 Type : 8;                       // POOL_EXTENDED_PARAMETER_TYPE
 *     ULONG64 Optional : 1;                   // ignore the parameter if it cannot be honoured
 *     ULONG64 Reserved : 64 - 9;
 *   };
 *   union {                                   // + 0x8
 *     ULONG64 Reserved2;
 *     PVOID Reserved3;
 *     EX_POOL_PRIORITY Priority;
 *     POOL_EXTENDED_PARAMS_SECURE_POOL *SecurePoolParams;
 *     POOL_NODE_REQUIREMENT PreferredNode;    // ULONG
 *   };
 * } POOL_EXTENDED_PARAMETER;
 * }</pre>
 *
 * <p>Not registered in {@code Structures}: mingw-w64's wdm.h does not declare it, so the WDK oracle
 * cannot check it; {@code POOL_EXTENDED_PARAMETERTest} pins the layout above.
 */
public final class POOL_EXTENDED_PARAMETER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG64 holding the bit fields Type, Optional and Reserved. */
    public static final long BITS_OFFSET = X64.offset("Type");
    /** Bit offset of Type (POOL_EXTENDED_PARAMETER_TYPE) in the first ULONG64. */
    public static final int TYPE_SHIFT = X64.field("Type").bitOffset();
    /** Width of Type in bits. */
    public static final int TYPE_BITS = X64.field("Type").bitWidth();
    /** Bit offset of Optional in the first ULONG64. */
    public static final int OPTIONAL_SHIFT = X64.field("Optional").bitOffset();
    /** The union's offset: Priority (EX_POOL_PRIORITY), PreferredNode (ULONG), SecurePoolParams (pointer), ... */
    public static final long VALUE_OFFSET = X64.offset("Reserved2");
    /** EX_POOL_PRIORITY Priority (an enum: 4 bytes). */
    public static final long PRIORITY_OFFSET = X64.offset("Priority");
    /** POOL_NODE_REQUIREMENT PreferredNode (ULONG). */
    public static final long PREFERRED_NODE_OFFSET = X64.offset("PreferredNode");

    private POOL_EXTENDED_PARAMETER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("POOL_EXTENDED_PARAMETER", abi)
                .struct(null, s -> s.bits(CType.ULONG64, "Type", 8, "Optional", 1, "Reserved", 55))
                .union(null, u -> u
                        .field("Reserved2", CType.ULONG64)
                        .field("Reserved3", CType.PVOID)
                        .field("Priority", CType.ENUM)
                        .field("SecurePoolParams", CType.pointer("PPOOL_EXTENDED_PARAMS_SECURE_POOL"))
                        .field("PreferredNode", CType.ULONG))
                .build();
    }
}
