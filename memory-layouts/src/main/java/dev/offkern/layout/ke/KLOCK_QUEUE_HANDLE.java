package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The caller-owned handle of an in-stack queued spin lock acquisition.
 * <pre>{@code
 * typedef struct _KLOCK_QUEUE_HANDLE {
 *   KSPIN_LOCK_QUEUE LockQueue;
 *   KIRQL OldIrql;
 * } KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;
 * }</pre>
 */
public final class KLOCK_QUEUE_HANDLE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** KSPIN_LOCK_QUEUE: this acquirer's queue node. */
    public static final long LOCK_QUEUE_OFFSET = X64.offset("LockQueue");
    /** KIRQL: the IRQL to restore on release. */
    public static final long OLD_IRQL_OFFSET = X64.offset("OldIrql");

    private KLOCK_QUEUE_HANDLE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KLOCK_QUEUE_HANDLE", abi)
                .field("LockQueue", KSPIN_LOCK_QUEUE.of(abi))
                .field("OldIrql", CType.KIRQL)
                .build();
    }
}
