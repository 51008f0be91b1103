package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * The header every dispatcher object (event, semaphore, timer, mutant, thread, gate) starts with.
 * Windows 10 22H2's layout: a union of per-object-type views of the first four bytes, then
 * {@code SignalState} and {@code WaitListHead}. The mingw-w64 header declares the same views.
 *
 * <pre>{@code
 * typedef struct _DISPATCHER_HEADER {
 *   union {
 *     union { volatile LONG Lock; LONG LockNV; };
 *     struct { UCHAR Type; UCHAR Signalling; UCHAR Size; UCHAR Reserved1; };
 *     struct { UCHAR TimerType; union { UCHAR TimerControlFlags; struct {
 *                UCHAR Absolute:1; UCHAR Wake:1; UCHAR EncodedTolerableDelay:6; }; };
 *              UCHAR Hand; union { UCHAR TimerMiscFlags; struct {
 *                UCHAR Index:6; UCHAR Inserted:1; volatile UCHAR Expired:1; }; }; };
 *     ... (Timer2, Queue, Thread and Mutant views)
 *   };
 *   LONG SignalState;
 *   LIST_ENTRY WaitListHead;
 * } DISPATCHER_HEADER;
 * }</pre>
 */
public final class DISPATCHER_HEADER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** UCHAR: the object type code (EventNotificationObject = 0, ...). */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** UCHAR: Signalling (0 for events and semaphores). */
    public static final long SIGNALLING_OFFSET = X64.offset("Signalling");
    /** UCHAR: the object size in 32-bit units. */
    public static final long SIZE_OFFSET = X64.offset("Size");
    /** UCHAR: Reserved1 (0). */
    public static final long RESERVED1_OFFSET = X64.offset("Reserved1");
    /** LONG: the signal state (events: 0/1; semaphores: the count). */
    public static final long SIGNAL_STATE_OFFSET = X64.offset("SignalState");
    /** LIST_ENTRY: head of the wait blocks of threads waiting on this object. */
    public static final long WAIT_LIST_HEAD_OFFSET = X64.offset("WaitListHead");

    private DISPATCHER_HEADER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("DISPATCHER_HEADER", abi)
                .union(null, u -> u
                        .union(null, l -> l.field("Lock", CType.LONG).field("LockNV", CType.LONG))
                        .struct(null, s -> s.field("Type", CType.UCHAR).field("Signalling", CType.UCHAR)
                                .field("Size", CType.UCHAR).field("Reserved1", CType.UCHAR))
                        .struct(null, s -> s.field("TimerType", CType.UCHAR)
                                .union(null, f -> f.field("TimerControlFlags", CType.UCHAR)
                                        .struct(null, b -> b.bits(CType.UCHAR, "Absolute", 1, "Wake", 1,
                                                "EncodedTolerableDelay", 6)))
                                .field("Hand", CType.UCHAR)
                                .union(null, f -> f.field("TimerMiscFlags", CType.UCHAR)
                                        .struct(null, b -> {
                                            if (abi == Abi.X64) {
                                                b.bits(CType.UCHAR, "Index", 6, "Inserted", 1, "Expired", 1);
                                            } else {
                                                b.bits(CType.UCHAR, "Index", 1, "Processor", 5, "Inserted", 1, "Expired", 1);
                                            }
                                        })))
                        .struct(null, s -> s.field("Timer2Type", CType.UCHAR)
                                .union(null, f -> f.field("Timer2Flags", CType.UCHAR)
                                        .struct(null, b -> b.bits(CType.UCHAR, "Timer2Inserted", 1, "Timer2Expiring", 1,
                                                "Timer2CancelPending", 1, "Timer2SetPending", 1, "Timer2Running", 1,
                                                "Timer2Disabled", 1, "Timer2ReservedFlags", 2)))
                                .field("Timer2ComponentId", CType.UCHAR)
                                .field("Timer2RelativeId", CType.UCHAR))
                        .struct(null, s -> s.field("QueueType", CType.UCHAR)
                                .union(null, f -> f.field("QueueControlFlags", CType.UCHAR)
                                        .struct(null, b -> b.bits(CType.UCHAR, "Abandoned", 1, "DisableIncrement", 1,
                                                "QueueReservedControlFlags", 6)))
                                .field("QueueSize", CType.UCHAR)
                                .field("QueueReserved", CType.UCHAR))
                        .struct(null, s -> s.field("ThreadType", CType.UCHAR)
                                .field("ThreadReserved", CType.UCHAR)
                                .union(null, f -> f.field("ThreadControlFlags", CType.UCHAR)
                                        .struct(null, b -> {
                                            if (abi == Abi.X64) {
                                                b.bits(CType.UCHAR, "CycleProfiling", 1, "CounterProfiling", 1,
                                                        "GroupScheduling", 1, "AffinitySet", 1, "Tagged", 1,
                                                        "EnergyProfiling", 1, "SchedulerAssist", 1,
                                                        "ThreadReservedControlFlags", 1);
                                            } else {
                                                b.bits(CType.UCHAR, "CycleProfiling", 1, "CounterProfiling", 1,
                                                        "GroupScheduling", 1, "AffinitySet", 1, "Tagged", 1,
                                                        "EnergyProfiling", 1, "SchedulerAssist", 1, "Instrumented", 1);
                                            }
                                        }))
                                .union(null, f -> {
                                    f.field("DebugActive", CType.UCHAR);
                                    if (abi == Abi.X64) {
                                        f.struct(null, b -> b.bits(CType.UCHAR, "ActiveDR7", 1, "Instrumented", 1,
                                                "Minimal", 1, "Reserved4", 2, "AltSyscall", 1, "UmsScheduled", 1,
                                                "UmsPrimary", 1));
                                    }
                                }))
                        .struct(null, s -> s.field("MutantType", CType.UCHAR).field("MutantSize", CType.UCHAR)
                                .field("DpcActive", CType.UCHAR).field("MutantReserved", CType.UCHAR)))
                .field("SignalState", CType.LONG)
                .field("WaitListHead", LIST_ENTRY.of(abi))
                .build();
    }
}
