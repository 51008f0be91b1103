package dev.offkern.layout.rtl;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A one-time initialisation block: one pointer-sized word whose low two bits are the state
 * (RTL_RUN_ONCE_INIT 0, in progress 1, completed 2) and whose upper bits hold the context
 * (completed) or the waiters' chain (in progress). Windows 10's declaration; mingw-w64 declares only
 * {@code Ptr}.
 * <pre>{@code
 * typedef union _RTL_RUN_ONCE {
 *   PVOID Ptr;
 *   ULONG_PTR Value;
 *   ULONG_PTR State:2;
 * } RTL_RUN_ONCE, *PRTL_RUN_ONCE;
 * }</pre>
 */
public final class RTL_RUN_ONCE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PVOID: the whole word as a pointer (the context once completed, state bits cleared). */
    public static final long PTR_OFFSET = X64.offset("Ptr");
    /** ULONG_PTR: the whole word as an integer. */
    public static final long VALUE_OFFSET = X64.offset("Value");
    /** ULONG_PTR:2: bits 0..1, the state. */
    public static final long STATE_OFFSET = X64.offset("State");
    /** Number of low bits of the word that hold the state (RTL_RUN_ONCE_CTX_RESERVED_BITS). */
    public static final int RTL_RUN_ONCE_CTX_RESERVED_BITS = 2;

    /** Mask of State within the word. */
    public static final long STATE_MASK = X64.field("State").mask();

    private RTL_RUN_ONCE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.union("RTL_RUN_ONCE", abi)
                .field("Ptr", CType.PVOID)
                .field("Value", CType.ULONG_PTR)
                .bits(CType.ULONG_PTR, "State", 2)
                .build();
    }
}
