package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * An event: a dispatcher object and nothing else (notification or synchronization type in Header.Type).
 * <pre>{@code
 * typedef struct _KEVENT {
 *   DISPATCHER_HEADER Header;
 * } KEVENT, *PKEVENT;
 * }</pre>
 */
public final class KEVENT {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** DISPATCHER_HEADER: type, signal state (0 or 1) and wait list. */
    public static final long HEADER_OFFSET = X64.offset("Header");

    private KEVENT() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KEVENT", abi).field("Header", DISPATCHER_HEADER.of(abi)).build();
    }
}
