package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A counting semaphore: the count is {@code Header.SignalState}, bounded by {@code Limit}.
 * <pre>{@code
 * typedef struct _KSEMAPHORE {
 *   DISPATCHER_HEADER Header;
 *   LONG Limit;
 * } KSEMAPHORE, *PKSEMAPHORE;
 * }</pre>
 */
public final class KSEMAPHORE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** DISPATCHER_HEADER: type SemaphoreObject (5); SignalState is the count. */
    public static final long HEADER_OFFSET = X64.offset("Header");
    /** LONG, count: the maximum count. */
    public static final long LIMIT_OFFSET = X64.offset("Limit");

    private KSEMAPHORE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KSEMAPHORE", abi)
                .field("Header", DISPATCHER_HEADER.of(abi))
                .field("Limit", CType.LONG)
                .build();
    }
}
