package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * One waiter of a queued (MCS) spin lock.
 * <pre>{@code
 * typedef struct _KSPIN_LOCK_QUEUE {
 *   struct _KSPIN_LOCK_QUEUE *volatile Next;
 *   PKSPIN_LOCK volatile Lock;
 * } KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;
 * }</pre>
 * Windows keeps two flags in the low bits of {@code Lock} (LOCK_QUEUE_WAIT 1, LOCK_QUEUE_OWNER 2).
 */
public final class KSPIN_LOCK_QUEUE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** Bit 0 of Lock: the owner is waiting for the lock to be handed over. */
    public static final long LOCK_QUEUE_WAIT = 1;
    /** Bit 1 of Lock: this waiter owns the lock. */
    public static final long LOCK_QUEUE_OWNER = 2;

    /** PKSPIN_LOCK_QUEUE: the next waiter in the queue, or NULL. */
    public static final long NEXT_OFFSET = X64.offset("Next");
    /** PKSPIN_LOCK: the lock waited on, flags in bits 0..1. */
    public static final long LOCK_OFFSET = X64.offset("Lock");

    private KSPIN_LOCK_QUEUE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KSPIN_LOCK_QUEUE", abi)
                .field("Next", CType.pointer("PKSPIN_LOCK_QUEUE"))
                .field("Lock", CType.pointer("PKSPIN_LOCK"))
                .build();
    }
}
