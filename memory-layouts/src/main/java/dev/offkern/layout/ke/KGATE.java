package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A gate: a synchronization-event-like dispatcher object used by guarded mutexes and the kernel.
 * <pre>{@code
 * typedef struct _KGATE {
 *   DISPATCHER_HEADER Header;
 * } KGATE, *PKGATE;
 * }</pre>
 */
public final class KGATE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** DISPATCHER_HEADER: type, signal state (0 or 1) and wait list. */
    public static final long HEADER_OFFSET = X64.offset("Header");

    private KGATE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KGATE", abi).field("Header", DISPATCHER_HEADER.of(abi)).build();
    }
}
