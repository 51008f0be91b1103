package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * How an object type maps GENERIC_READ/WRITE/EXECUTE/ALL to its specific rights.
 * <pre>{@code
 * typedef struct _GENERIC_MAPPING {
 *   ACCESS_MASK GenericRead;
 *   ACCESS_MASK GenericWrite;
 *   ACCESS_MASK GenericExecute;
 *   ACCESS_MASK GenericAll;
 * } GENERIC_MAPPING, *PGENERIC_MAPPING;
 * }</pre>
 */
public final class GENERIC_MAPPING {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ACCESS_MASK: what GENERIC_READ means. */
    public static final long GENERIC_READ_OFFSET = X64.offset("GenericRead");
    /** ACCESS_MASK: what GENERIC_WRITE means. */
    public static final long GENERIC_WRITE_OFFSET = X64.offset("GenericWrite");
    /** ACCESS_MASK: what GENERIC_EXECUTE means. */
    public static final long GENERIC_EXECUTE_OFFSET = X64.offset("GenericExecute");
    /** ACCESS_MASK: what GENERIC_ALL means. */
    public static final long GENERIC_ALL_OFFSET = X64.offset("GenericAll");

    private GENERIC_MAPPING() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("GENERIC_MAPPING", abi)
                .field("GenericRead", CType.ACCESS_MASK)
                .field("GenericWrite", CType.ACCESS_MASK)
                .field("GenericExecute", CType.ACCESS_MASK)
                .field("GenericAll", CType.ACCESS_MASK)
                .build();
    }
}
