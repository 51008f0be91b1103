package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ke.KEVENT;

import java.lang.foreign.StructLayout;

/**
 * A fast mutex (0x38 bytes on x64, 0x20 on x86 in every build from Windows 7 to 11; {@code Owner}
 * became {@code PVOID} after Windows 7).
 * <pre>{@code
 * typedef struct _FAST_MUTEX {
 *   volatile LONG Count;
 *   PVOID Owner;
 *   ULONG Contention;
 *   KEVENT Event;
 *   ULONG OldIrql;
 * } FAST_MUTEX, *PFAST_MUTEX, KGUARDED_MUTEX, *PKGUARDED_MUTEX;
 * }</pre>
 */
public final class FAST_MUTEX {
    public static final StructSpec X64 = build("FAST_MUTEX", Abi.X64);
    public static final StructSpec X86 = build("FAST_MUTEX", Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** LONG: FM_LOCK_BIT (1) clear while owned; the rest counts waiters. */
    public static final long COUNT_OFFSET = X64.offset("Count");
    /** PVOID: the owning thread (PKTHREAD), or NULL. */
    public static final long OWNER_OFFSET = X64.offset("Owner");
    /** ULONG, count: how many times an acquirer had to wait. */
    public static final long CONTENTION_OFFSET = X64.offset("Contention");
    /** KEVENT: synchronization event the waiters block on. */
    public static final long EVENT_OFFSET = X64.offset("Event");
    /** ULONG: the IRQL (KIRQL) to restore on release. */
    public static final long OLD_IRQL_OFFSET = X64.offset("OldIrql");

    private FAST_MUTEX() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    /** The fast-mutex layout under another typedef name ({@code KGUARDED_MUTEX} shares it). */
    public static StructSpec build(String name, Abi abi) {
        return CStruct.struct(name, abi)
                .field("Count", CType.LONG)
                .field("Owner", CType.PVOID)
                .field("Contention", CType.ULONG)
                .field("Event", KEVENT.of(abi))
                .field("OldIrql", CType.ULONG)
                .build();
    }
}
