package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ex.FAST_MUTEX;

import java.lang.foreign.StructLayout;

/**
 * A guarded mutex. Since Windows 8 the WDK declares {@code KGUARDED_MUTEX} as another name of
 * {@code FAST_MUTEX} (and the guarded-mutex routines are the fast-mutex routines); the kernel PDBs
 * of Windows 10/11 have no separate type. offkern follows Windows: this is FAST_MUTEX's layout
 * under the KGUARDED_MUTEX name.
 *
 * <p>mingw-w64 still declares the Windows 7 layout: the same size, with {@code KGATE Gate} where
 * FAST_MUTEX has {@code KEVENT Event} (both a bare DISPATCHER_HEADER) and a union of
 * {@code KernelApcDisable}/{@code SpecialApcDisable}/{@code CombinedApcDisable} where it has
 * {@code OldIrql}. The WDK oracle checks those names sit at the same offsets.
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
public final class KGUARDED_MUTEX {
    public static final StructSpec X64 = FAST_MUTEX.build("KGUARDED_MUTEX", Abi.X64);
    public static final StructSpec X86 = FAST_MUTEX.build("KGUARDED_MUTEX", Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** LONG: lock bit and waiter count, as FAST_MUTEX.Count. */
    public static final long COUNT_OFFSET = X64.offset("Count");
    /** PVOID: the owning thread (PKTHREAD), or NULL. */
    public static final long OWNER_OFFSET = X64.offset("Owner");
    /** ULONG, count: how many times an acquirer had to wait. */
    public static final long CONTENTION_OFFSET = X64.offset("Contention");
    /** KEVENT: what the waiters block on (Windows 7's KGATE Gate at the same offset). */
    public static final long EVENT_OFFSET = X64.offset("Event");
    /** ULONG: the saved IRQL / APC-disable state (Windows 7's CombinedApcDisable at the same offset). */
    public static final long OLD_IRQL_OFFSET = X64.offset("OldIrql");

    private KGUARDED_MUTEX() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }
}
