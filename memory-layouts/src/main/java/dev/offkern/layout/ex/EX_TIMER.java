package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;

import java.lang.foreign.StructLayout;

/**
 * The executive timer of {@code ExAllocateTimer}/{@code ExSetTimer}/{@code ExCancelTimer}/
 * {@code ExDeleteTimer} (Windows 8.1+). Windows' layout is private (its PDB holds only a forward
 * declaration), so this is offkern's own, designed for offkern's EX_TIMER implementation. The one
 * outside constraint it keeps: the object starts with a {@code KTIMER}, whose
 * {@code DISPATCHER_HEADER} is at 0, so a {@code PEX_TIMER} is a dispatcher object that
 * {@code KeWaitForSingleObject} accepts, as Windows documents.
 *
 * <pre>{@code
 * typedef struct _EX_TIMER {                          // x64   x86
 *   KTIMER KeTimer;                                   // 0x00  0x00  dispatcher object + timer-table link
 *   KDPC TimerDpc;                                    // 0x40  0x28  queued at expiry, runs Callback at DISPATCH_LEVEL
 *   PEXT_CALLBACK Callback;                           // 0x80  0x48  ExAllocateTimer's Callback, or NULL
 *   PVOID CallbackContext;                            // 0x88  0x4c
 *   PEXT_DELETE_CALLBACK DeleteCallback;              // 0x90  0x50  EXT_DELETE_PARAMETERS.DeleteCallback, or NULL
 *   PVOID DeleteContext;                              // 0x98  0x54
 *   LONGLONG Period;                                  // 0xa0  0x58  100 ns, 0 = one-shot (ExSetTimer's Period)
 *   LONGLONG NoWakeTolerance;                         // 0xa8  0x60  100 ns, EX_TIMER_UNLIMITED_TOLERANCE = -1
 *   ULONG Attributes;                                 // 0xb0  0x68  EX_TIMER_HIGH_RESOLUTION | _NO_WAKE | _NOTIFICATION
 *   union { volatile LONG State; struct {             // 0xb4  0x6c  (diagram below)
 *     ULONG Live:1; ULONG Disabled:1; ULONG DeleteOnExpiry:1; ULONG Cancelled:1;
 *     ULONG CallbacksInFlight:12; ULONG Generation:16; }; };
 *   ULONG ExpirationCount;                            // 0xb8  0x70  callbacks delivered (diagnostics, tests)
 *   ULONG Spare;                                      // 0xbc  0x74
 * } EX_TIMER;                                         // 0xc0  0x78, 8-aligned
 * }</pre>
 *
 * <p>The {@code State} word, least significant bit first:
 * <pre>
 *  31                16 15              4   3   2   1   0
 * +--------------------+-----------------+---+---+---+---+
 * |     Generation     | CallbacksInFlight| C | D | R | L |   L Live: allocated, not yet freed
 * +--------------------+-----------------+---+---+---+---+   R Disabled: ExDeleteTimer ran; Set/Cancel return FALSE
 *                                                            D DeleteOnExpiry: whoever ends the last expiry frees it
 *                                                            C Cancelled: deleted with Cancel=TRUE; no callback runs
 * </pre>
 *
 * <p>How the implementation uses it:
 * <ul>
 * <li>{@code KeTimer.Header.Type} is TimerNotificationObject (8) with {@code EX_TIMER_NOTIFICATION},
 *     else TimerSynchronizationObject (9); {@code KeTimer.Dpc} points to {@code TimerDpc}, whose
 *     {@code DeferredContext} is the EX_TIMER itself, so one timer-table walk delivers both the
 *     signal and the callback. {@code KeTimer.Period} (ms) stays 0: {@code Period} (100 ns) drives
 *     re-arming because an EX_TIMER period is finer than a millisecond.</li>
 * <li>Every transition of {@code State}, {@code Period} and {@code NoWakeTolerance} is made under
 *     the kernel's timer-table lock, which also links and unlinks the KTIMER, so arming, cancelling,
 *     expiring and deleting are each one atomic step. {@code Generation} counts ExSetTimer calls
 *     (wrapping); {@code CallbacksInFlight} counts the callbacks running now, so that ExDeleteTimer
 *     with Wait=TRUE, or the last callback, knows when the object is quiescent and may be freed.</li>
 * </ul>
 * The {@code *_OFFSET} constants are the x64 offsets; use {@link #of(Abi)} for x86.
 */
public final class EX_TIMER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** KTIMER: the dispatcher object and timer-table entry. */
    public static final long KE_TIMER_OFFSET = X64.offset("KeTimer");
    /** KDPC: queued at expiry; runs the callback at DISPATCH_LEVEL. */
    public static final long TIMER_DPC_OFFSET = X64.offset("TimerDpc");
    /** PEXT_CALLBACK: the expiration callback, or NULL. */
    public static final long CALLBACK_OFFSET = X64.offset("Callback");
    /** PVOID: the callback's context. */
    public static final long CALLBACK_CONTEXT_OFFSET = X64.offset("CallbackContext");
    /** PEXT_DELETE_CALLBACK: called once the deleted timer is quiescent, or NULL. */
    public static final long DELETE_CALLBACK_OFFSET = X64.offset("DeleteCallback");
    /** PVOID: the delete callback's context. */
    public static final long DELETE_CONTEXT_OFFSET = X64.offset("DeleteContext");
    /** LONGLONG, 100 ns: the re-arm period, 0 for a one-shot timer. */
    public static final long PERIOD_OFFSET = X64.offset("Period");
    /** LONGLONG, 100 ns: extra delay a no-wake timer may take; -1 = unlimited. */
    public static final long NO_WAKE_TOLERANCE_OFFSET = X64.offset("NoWakeTolerance");
    /** ULONG: the EX_TIMER_* attributes given to ExAllocateTimer. */
    public static final long ATTRIBUTES_OFFSET = X64.offset("Attributes");
    /** LONG: the state word (diagram in the class comment). */
    public static final long STATE_OFFSET = X64.offset("State");
    /** ULONG: number of callbacks delivered. */
    public static final long EXPIRATION_COUNT_OFFSET = X64.offset("ExpirationCount");

    /** {@code State}: allocated and not yet freed. */
    public static final int STATE_LIVE = 0x1;
    /** {@code State}: disabled by ExDeleteTimer. */
    public static final int STATE_DISABLED = 0x2;
    /** {@code State}: free the object once the outstanding expiry and its callback are done. */
    public static final int STATE_DELETE_ON_EXPIRY = 0x4;
    /** {@code State}: deleted with Cancel=TRUE: no further callback runs. */
    public static final int STATE_CANCELLED = 0x8;
    /** {@code State}: shift of the 12-bit count of callbacks running now. */
    public static final int STATE_IN_FLIGHT_SHIFT = 4;
    /** {@code State}: mask of the in-flight count (after shifting). */
    public static final int STATE_IN_FLIGHT_MASK = 0xFFF;
    /** {@code State}: shift of the 16-bit arm generation. */
    public static final int STATE_GENERATION_SHIFT = 16;

    /** ExAllocateTimer attribute: high-resolution timer. */
    public static final int EX_TIMER_HIGH_RESOLUTION = 0x4;
    /** ExAllocateTimer attribute: does not wake an idle processor. */
    public static final int EX_TIMER_NO_WAKE = 0x8;
    /** ExAllocateTimer attribute: notification timer (default: synchronization). */
    public static final int EX_TIMER_NOTIFICATION = 0x80000000;
    /** ExSetTimer NoWakeTolerance: never wake the processor. */
    public static final long EX_TIMER_UNLIMITED_TOLERANCE = -1L;

    private EX_TIMER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.opaque("EX_TIMER", abi)
                .field("KeTimer", KTIMER.of(abi))
                .field("TimerDpc", KDPC.of(abi))
                .field("Callback", CType.pointer("PEXT_CALLBACK"))
                .field("CallbackContext", CType.PVOID)
                .field("DeleteCallback", CType.pointer("PEXT_DELETE_CALLBACK"))
                .field("DeleteContext", CType.PVOID)
                .field("Period", CType.LONGLONG)
                .field("NoWakeTolerance", CType.LONGLONG)
                .field("Attributes", CType.ULONG)
                .union(null, u -> u.field("State", CType.LONG)
                        .struct(null, s -> s.bits(CType.ULONG, "Live", 1, "Disabled", 1, "DeleteOnExpiry", 1,
                                "Cancelled", 1, "CallbacksInFlight", 12, "Generation", 16)))
                .field("ExpirationCount", CType.ULONG)
                .field("Spare", CType.ULONG)
                .build();
    }
}
