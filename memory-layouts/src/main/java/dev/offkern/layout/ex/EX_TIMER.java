package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.layout.rtl.LIST_ENTRY;

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
 *   LONGLONG DueTime;                                 // 0xa0  0x58  absolute interrupt time (100 ns) of the pending expiry
 *   LONGLONG Period;                                  // 0xa8  0x60  100 ns, 0 = one-shot (ExSetTimer's Period)
 *   LONGLONG NoWakeTolerance;                         // 0xb0  0x68  100 ns, EX_TIMER_UNLIMITED_TOLERANCE = -1
 *   ULONG Attributes;                                 // 0xb8  0x70  EX_TIMER_HIGH_RESOLUTION | _NO_WAKE | _NOTIFICATION
 *   union { volatile LONG State; struct {             // 0xbc  0x74  (diagram below)
 *     ULONG Pending:1; ULONG Disabled:1; ULONG DeleteOnExpiry:1; ULONG Expiring:1;
 *     ULONG StateReserved:12; ULONG Generation:16; }; };
 *   EX_RUNDOWN_REF CallbackRundown;                   // 0xc0  0x78  one reference per callback in flight
 *   KSPIN_LOCK Lock;                                  // 0xc8  0x7c  serialises set / cancel / expire / delete
 *   LIST_ENTRY ActiveTimerListEntry;                  // 0xd0  0x80  link in the kernel's list of live EX_TIMERs
 *   ULONG ExpirationCount;                            // 0xe0  0x88  expiries so far (diagnostics, tests)
 *   ULONG Spare;                                      // 0xe4  0x8c
 * } EX_TIMER;                                         // 0xe8  0x90, 8-aligned
 * }</pre>
 *
 * <p>The {@code State} word, least significant bit first:
 * <pre>
 *  31                16 15           4   3   2   1   0
 * +--------------------+--------------+---+---+---+---+
 * |     Generation     |  (reserved)  | X | D | R | P |   P Pending: armed, not yet expired or cancelled
 * +--------------------+--------------+---+---+---+---+   R Disabled: ExDeleteTimer ran; Set/Cancel return FALSE
 *                                                         D DeleteOnExpiry: free after the pending expiry's callback
 *                                                         X Expiring: an expiry is being delivered
 * </pre>
 *
 * <p>How the implementation is meant to use it:
 * <ul>
 * <li>{@code KeTimer.Header.Type} is TimerNotificationObject (8) with {@code EX_TIMER_NOTIFICATION},
 *     else TimerSynchronizationObject (9); {@code KeTimer.Dpc} points to {@code TimerDpc}, whose
 *     {@code DeferredContext} is the EX_TIMER itself, so one timer-table walk delivers both the
 *     signal and the callback. {@code KeTimer.Period} (ms) stays 0: {@code Period} (100 ns) drives
 *     re-arming because an EX_TIMER period is finer than a millisecond.</li>
 * <li>Transitions of {@code State}, {@code DueTime}, {@code Period} and {@code NoWakeTolerance} are
 *     made holding {@code Lock}; {@code State} is also read without the lock (the Disabled check on
 *     the fast path of ExSetTimer/ExCancelTimer). {@code Generation} is incremented by every
 *     ExSetTimer, so an expiry that was already in flight when the timer was re-armed sees a
 *     different generation and delivers nothing (the ABA defence for recycled arms).</li>
 * <li>Each callback delivery holds a reference on {@code CallbackRundown}; ExDeleteTimer with
 *     Wait=TRUE runs it down, which waits for every callback in flight, then calls
 *     {@code DeleteCallback}.</li>
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
    /** LONGLONG, 100 ns: absolute interrupt time of the pending expiry. */
    public static final long DUE_TIME_OFFSET = X64.offset("DueTime");
    /** LONGLONG, 100 ns: the re-arm period, 0 for a one-shot timer. */
    public static final long PERIOD_OFFSET = X64.offset("Period");
    /** LONGLONG, 100 ns: extra delay a no-wake timer may take; -1 = unlimited. */
    public static final long NO_WAKE_TOLERANCE_OFFSET = X64.offset("NoWakeTolerance");
    /** ULONG: the EX_TIMER_* attributes given to ExAllocateTimer. */
    public static final long ATTRIBUTES_OFFSET = X64.offset("Attributes");
    /** LONG: the state word (diagram in the class comment). */
    public static final long STATE_OFFSET = X64.offset("State");
    /** EX_RUNDOWN_REF: one reference per callback in flight. */
    public static final long CALLBACK_RUNDOWN_OFFSET = X64.offset("CallbackRundown");
    /** KSPIN_LOCK: serialises the arm/cancel/expire/delete transitions. */
    public static final long LOCK_OFFSET = X64.offset("Lock");
    /** LIST_ENTRY: link in the kernel's list of live EX_TIMERs (leak report at shutdown). */
    public static final long ACTIVE_TIMER_LIST_ENTRY_OFFSET = X64.offset("ActiveTimerListEntry");
    /** ULONG: number of expiries delivered. */
    public static final long EXPIRATION_COUNT_OFFSET = X64.offset("ExpirationCount");

    /** {@code State}: armed and not yet expired or cancelled. */
    public static final int STATE_PENDING = 0x1;
    /** {@code State}: disabled by ExDeleteTimer. */
    public static final int STATE_DISABLED = 0x2;
    /** {@code State}: free the object after the pending expiry and its callback. */
    public static final int STATE_DELETE_ON_EXPIRY = 0x4;
    /** {@code State}: an expiry is being delivered. */
    public static final int STATE_EXPIRING = 0x8;
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
                .field("DueTime", CType.LONGLONG)
                .field("Period", CType.LONGLONG)
                .field("NoWakeTolerance", CType.LONGLONG)
                .field("Attributes", CType.ULONG)
                .union(null, u -> u.field("State", CType.LONG)
                        .struct(null, s -> s.bits(CType.ULONG, "Pending", 1, "Disabled", 1, "DeleteOnExpiry", 1,
                                "Expiring", 1, "StateReserved", 12, "Generation", 16)))
                .field("CallbackRundown", EX_RUNDOWN_REF.of(abi))
                .field("Lock", CType.KSPIN_LOCK)
                .field("ActiveTimerListEntry", LIST_ENTRY.of(abi))
                .field("ExpirationCount", CType.ULONG)
                .field("Spare", CType.ULONG)
                .build();
    }
}
