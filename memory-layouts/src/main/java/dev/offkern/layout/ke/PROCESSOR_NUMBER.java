package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A processor's group-relative number, as KeGetCurrentProcessorNumberEx and
 * KeSetTargetProcessorDpcEx take it.
 * <pre>{@code
 * typedef struct _PROCESSOR_NUMBER {
 *   USHORT Group;
 *   UCHAR Number;
 *   UCHAR Reserved;
 * } PROCESSOR_NUMBER, *PPROCESSOR_NUMBER;
 * }</pre>
 */
public final class PROCESSOR_NUMBER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** USHORT: the processor group (offkern has one group: 0). */
    public static final long GROUP_OFFSET = X64.offset("Group");
    /** UCHAR: the processor's number within its group. */
    public static final long NUMBER_OFFSET = X64.offset("Number");
    /** UCHAR: reserved, written 0. */
    public static final long RESERVED_OFFSET = X64.offset("Reserved");

    private PROCESSOR_NUMBER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("PROCESSOR_NUMBER", abi)
                .field("Group", CType.USHORT)
                .field("Number", CType.UCHAR)
                .field("Reserved", CType.UCHAR)
                .build();
    }
}
