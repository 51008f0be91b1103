package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The caller-owned block of KeSaveFloatingPointState. On x64 a 4-byte dummy (the state stays
 * in the thread); on x86 the x87 environment and the CR0 NPX bits.
 * <pre>{@code
 * #if defined(_X86_)
 * typedef struct _KFLOATING_SAVE {
 *   ULONG ControlWord;
 *   ULONG StatusWord;
 *   ULONG ErrorOffset;
 *   ULONG ErrorSelector;
 *   ULONG DataOffset;
 *   ULONG DataSelector;
 *   ULONG Cr0NpxState;
 *   ULONG Spare1;
 * } KFLOATING_SAVE, *PKFLOATING_SAVE;
 * #else
 * typedef struct _KFLOATING_SAVE {
 *   ULONG Dummy;
 * } KFLOATING_SAVE, *PKFLOATING_SAVE;
 * #endif
 * }</pre>
 */
public final class KFLOATING_SAVE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG: unused on x64 (the state is kept with the thread). */
    public static final long DUMMY_OFFSET = X64.offset("Dummy");


    private KFLOATING_SAVE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("KFLOATING_SAVE", abi);
        if (abi == Abi.X64) {
            return b.field("Dummy", CType.ULONG).build();
        }
        for (String f : new String[] {"ControlWord", "StatusWord", "ErrorOffset", "ErrorSelector",
                "DataOffset", "DataSelector", "Cr0NpxState", "Spare1"}) {
            b.field(f, CType.ULONG);
        }
        return b.build();
    }
}
