package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The legacy region of an XSAVE area, which is also the FXSAVE image: x87 control, status and tag
 * words, the last x87 instruction and operand, MXCSR, the x87 registers and the XMM registers
 * (512 bytes, 16-byte aligned, on both ABIs; x86 has eight XMM registers and reuses the tail).
 * <pre>{@code
 * typedef struct DECLSPEC_ALIGN(16) _XSAVE_FORMAT {
 *   USHORT ControlWord;
 *   USHORT StatusWord;
 *   UCHAR TagWord;
 *   UCHAR Reserved1;
 *   USHORT ErrorOpcode;
 *   ULONG ErrorOffset;
 *   USHORT ErrorSelector;
 *   USHORT Reserved2;
 *   ULONG DataOffset;
 *   USHORT DataSelector;
 *   USHORT Reserved3;
 *   ULONG MxCsr;
 *   ULONG MxCsr_Mask;
 *   M128A FloatRegisters[8];
 * #if defined(_WIN64)
 *   M128A XmmRegisters[16];
 *   UCHAR Reserved4[96];
 * #else
 *   M128A XmmRegisters[8];
 *   UCHAR Reserved4[192];
 *   ULONG StackControl[7];
 *   ULONG Cr0NpxState;
 * #endif
 * } XSAVE_FORMAT, *PXSAVE_FORMAT;
 * }</pre>
 */
public final class XSAVE_FORMAT {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** USHORT: the x87 control word (FCW; exception masks in bits 0..5). */
    public static final long CONTROL_WORD_OFFSET = X64.offset("ControlWord");
    /** USHORT: the x87 status word (FSW). */
    public static final long STATUS_WORD_OFFSET = X64.offset("StatusWord");
    /** ULONG: MXCSR (SSE control and status; exception masks in bits 7..12). */
    public static final long MX_CSR_OFFSET = X64.offset("MxCsr");
    /** ULONG: the bits of MXCSR the CPU lets software set (written by FXSAVE/XSAVE). */
    public static final long MX_CSR_MASK_OFFSET = X64.offset("MxCsr_Mask");
    /** M128A[16] (x64): XMM0..XMM15. */
    public static final long XMM_REGISTERS_OFFSET = X64.offset("XmmRegisters");

    private XSAVE_FORMAT() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("XSAVE_FORMAT", abi)
                .field("ControlWord", CType.USHORT)
                .field("StatusWord", CType.USHORT)
                .field("TagWord", CType.UCHAR)
                .field("Reserved1", CType.UCHAR)
                .field("ErrorOpcode", CType.USHORT)
                .field("ErrorOffset", CType.ULONG)
                .field("ErrorSelector", CType.USHORT)
                .field("Reserved2", CType.USHORT)
                .field("DataOffset", CType.ULONG)
                .field("DataSelector", CType.USHORT)
                .field("Reserved3", CType.USHORT)
                .field("MxCsr", CType.ULONG)
                .field("MxCsr_Mask", CType.ULONG)
                .array("FloatRegisters", M128A.of(abi), 8);
        if (abi == Abi.X64) {
            b.array("XmmRegisters", M128A.of(abi), 16)
                    .array("Reserved4", CType.UCHAR, 96);
        } else {
            b.array("XmmRegisters", M128A.of(abi), 8)
                    .array("Reserved4", CType.UCHAR, 192)
                    .array("StackControl", CType.ULONG, 7)
                    .field("Cr0NpxState", CType.ULONG);
        }
        return b.alignAs(16).build();
    }
}
