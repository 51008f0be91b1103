package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * An interrupt object (opaque; {@code IoConnectInterruptEx} returns one): Windows 10 22H2's
 * layout, 0x120 bytes on x64 and 0xd0 on x86, every modelled field at Windows' offset. The
 * 0x60-byte {@code IsrDpcStats} block (0xb0 / 0x68) is a member of Windows' size and alignment whose
 * contents offkern does not model (reserved, zero).
 *
 * <pre>{@code
 * typedef struct _KINTERRUPT {                       // x64   x86
 *   CSHORT Type;                                     // 0x00  0x00  (InterruptObject = 22)
 *   CSHORT Size;                                     // 0x02  0x02
 *   LIST_ENTRY InterruptListEntry;                   // 0x08  0x04  (other objects sharing the vector)
 *   PKSERVICE_ROUTINE ServiceRoutine;                // 0x18  0x0c
 *   PKMESSAGE_SERVICE_ROUTINE MessageServiceRoutine; // 0x20  0x10
 *   ULONG MessageIndex;                              // 0x28  0x14
 *   PVOID ServiceContext;                            // 0x30  0x18
 *   KSPIN_LOCK SpinLock;                             // 0x38  0x1c  (the built-in interrupt lock)
 *   ULONG TickCount;                                 // 0x40  0x20
 *   PKSPIN_LOCK ActualLock;                          // 0x48  0x24  (&SpinLock, or the caller's lock)
 *   PVOID DispatchAddress;                           // 0x50  0x28
 *   ULONG Vector;                                    // 0x58  0x2c
 *   KIRQL Irql;                                      // 0x5c  0x30
 *   KIRQL SynchronizeIrql;                           // 0x5d  0x31
 *   BOOLEAN FloatingSave;                            // 0x5e  0x32
 *   BOOLEAN Connected;                               // 0x5f  0x33
 *   ULONG Number;                                    // 0x60  0x34  (processor number)
 *   BOOLEAN ShareVector;                             // 0x64  0x38
 *   BOOLEAN EmulateActiveBoth;                       // 0x65  0x39
 *   USHORT ActiveCount;                              // 0x66  0x3a
 *   LONG InternalState;                              // 0x68  0x3c
 *   KINTERRUPT_MODE Mode;                            // 0x6c  0x40  (LevelSensitive 0, Latched 1)
 *   KINTERRUPT_POLARITY Polarity;                    // 0x70  0x44
 *   ULONG ServiceCount;                              // 0x74  0x48
 *   ULONG DispatchCount;                             // 0x78  0x4c
 *   PKEVENT PassiveEvent;                            // 0x80  0x50  (the lock of a passive-level ISR)
 *   PKTRAP_FRAME TrapFrame;                          // 0x88  0x54
 *   PVOID DisconnectData;                            // 0x90  0x58
 *   PKTHREAD ServiceThread;                          // 0x98  0x5c  (thread running a passive ISR)
 *   PINTERRUPT_CONNECTION_DATA ConnectionData;       // 0xa0  0x60
 *   PVOID IntTrackEntry;                             // 0xa8  0x64
 *   ISRDPCSTATS IsrDpcStats;                         // 0xb0  0x68  (contents reserved in offkern)
 *   PVOID RedirectObject;                            // 0x110 0xc8
 *   PVOID PhysicalDeviceObject;                      // 0x118 0xcc  (Windows 11 22H2+: UCHAR Padding[8])
 * } KINTERRUPT;                                      // 0x120 0xd0, 8-aligned
 * }</pre>
 * The {@code *_OFFSET} constants are the x64 offsets; use {@link #of(Abi)} for x86.
 */
public final class KINTERRUPT {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** CSHORT: the object type code (InterruptObject). */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** CSHORT: sizeof(KINTERRUPT). */
    public static final long SIZE_OFFSET = X64.offset("Size");
    /** LIST_ENTRY: chain of interrupt objects sharing the vector. */
    public static final long INTERRUPT_LIST_ENTRY_OFFSET = X64.offset("InterruptListEntry");
    /** PKSERVICE_ROUTINE: the line-based ISR. */
    public static final long SERVICE_ROUTINE_OFFSET = X64.offset("ServiceRoutine");
    /** PKMESSAGE_SERVICE_ROUTINE: the message-signalled ISR. */
    public static final long MESSAGE_SERVICE_ROUTINE_OFFSET = X64.offset("MessageServiceRoutine");
    /** ULONG: the MessageId passed to the message ISR. */
    public static final long MESSAGE_INDEX_OFFSET = X64.offset("MessageIndex");
    /** PVOID: the ISR's context. */
    public static final long SERVICE_CONTEXT_OFFSET = X64.offset("ServiceContext");
    /** KSPIN_LOCK: the built-in interrupt spin lock. */
    public static final long SPIN_LOCK_OFFSET = X64.offset("SpinLock");
    /** PKSPIN_LOCK: the lock actually taken (SpinLock, or the one passed to IoConnectInterruptEx). */
    public static final long ACTUAL_LOCK_OFFSET = X64.offset("ActualLock");
    /** ULONG: the interrupt vector. */
    public static final long VECTOR_OFFSET = X64.offset("Vector");
    /** KIRQL: the interrupt's device IRQL. */
    public static final long IRQL_OFFSET = X64.offset("Irql");
    /** KIRQL: the IRQL at which the ISR and synchronised routines run. */
    public static final long SYNCHRONIZE_IRQL_OFFSET = X64.offset("SynchronizeIrql");
    /** BOOLEAN: whether the floating-point state is saved around the ISR. */
    public static final long FLOATING_SAVE_OFFSET = X64.offset("FloatingSave");
    /** BOOLEAN: whether the object is connected. */
    public static final long CONNECTED_OFFSET = X64.offset("Connected");
    /** ULONG: the processor the object is connected on. */
    public static final long NUMBER_OFFSET = X64.offset("Number");
    /** BOOLEAN: whether the vector may be shared. */
    public static final long SHARE_VECTOR_OFFSET = X64.offset("ShareVector");
    /** KINTERRUPT_MODE: LevelSensitive (0) or Latched (1). */
    public static final long MODE_OFFSET = X64.offset("Mode");
    /** KINTERRUPT_POLARITY. */
    public static final long POLARITY_OFFSET = X64.offset("Polarity");
    /** ULONG: times the ISR returned TRUE. */
    public static final long SERVICE_COUNT_OFFSET = X64.offset("ServiceCount");
    /** ULONG: times the interrupt was dispatched. */
    public static final long DISPATCH_COUNT_OFFSET = X64.offset("DispatchCount");
    /** PKEVENT: the event serialising a passive-level ISR (its "lock"). */
    public static final long PASSIVE_EVENT_OFFSET = X64.offset("PassiveEvent");
    /** PKTHREAD: the thread running a passive-level ISR. */
    public static final long SERVICE_THREAD_OFFSET = X64.offset("ServiceThread");
    /** ISRDPCSTATS (0x60 bytes, contents reserved): Windows' ISR/DPC timing statistics. */
    public static final long ISR_DPC_STATS_OFFSET = X64.offset("IsrDpcStats");
    /** PVOID: the PDO the interrupt was connected for. */
    public static final long PHYSICAL_DEVICE_OBJECT_OFFSET = X64.offset("PhysicalDeviceObject");

    /** Size of the {@code IsrDpcStats} block. */
    public static final int ISR_DPC_STATS_SIZE = 0x60;

    private KINTERRUPT() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    /** ISRDPCSTATS: Windows' size (0x60) and alignment (8: it holds 64-bit counters); contents reserved. */
    private static StructSpec isrDpcStats(Abi abi) {
        return CStruct.opaque("ISRDPCSTATS", abi).alignAs(8).sizeTo(ISR_DPC_STATS_SIZE).build();
    }

    private static StructSpec build(Abi abi) {
        boolean x64 = abi == Abi.X64;
        return CStruct.opaque("KINTERRUPT", abi)
                .field("Type", CType.CSHORT)
                .field("Size", CType.CSHORT)
                .field("InterruptListEntry", LIST_ENTRY.of(abi))
                .field("ServiceRoutine", CType.pointer("PKSERVICE_ROUTINE"))
                .field("MessageServiceRoutine", CType.pointer("PKMESSAGE_SERVICE_ROUTINE"))
                .field("MessageIndex", CType.ULONG)
                .field("ServiceContext", CType.PVOID)
                .field("SpinLock", CType.KSPIN_LOCK)
                .field("TickCount", CType.ULONG)
                .field("ActualLock", CType.pointer("PKSPIN_LOCK"))
                .field("DispatchAddress", CType.pointer("PVOID"))
                .field("Vector", CType.ULONG)
                .field("Irql", CType.KIRQL)
                .field("SynchronizeIrql", CType.KIRQL)
                .field("FloatingSave", CType.BOOLEAN)
                .field("Connected", CType.BOOLEAN)
                .field("Number", CType.ULONG)
                .field("ShareVector", CType.BOOLEAN)
                .field("EmulateActiveBoth", CType.BOOLEAN)
                .field("ActiveCount", CType.USHORT)
                .field("InternalState", CType.LONG)
                .field("Mode", new CType("KINTERRUPT_MODE", 4, 4))
                .field("Polarity", new CType("KINTERRUPT_POLARITY", 4, 4))
                .field("ServiceCount", CType.ULONG)
                .field("DispatchCount", CType.ULONG)
                .field("PassiveEvent", CType.pointer("PKEVENT"))
                .field("TrapFrame", CType.pointer("PKTRAP_FRAME"))
                .field("DisconnectData", CType.PVOID)
                .field("ServiceThread", CType.pointer("PKTHREAD"))
                .field("ConnectionData", CType.pointer("PINTERRUPT_CONNECTION_DATA"))
                .field("IntTrackEntry", CType.PVOID)
                .field("IsrDpcStats", isrDpcStats(abi))
                .field("RedirectObject", CType.PVOID)
                .field("PhysicalDeviceObject", CType.PVOID)
                .alignAs(8)
                .sizeTo(x64 ? 0x120 : 0xd0)
                .build();
    }
}
