package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * IoConnectInterruptEx's parameters for CONNECT_MESSAGE_BASED (MSI).
 * <pre>{@code
 * typedef struct _IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS {
 *   PDEVICE_OBJECT PhysicalDeviceObject;
 *   union {
 *     PVOID *Generic;
 *     PIO_INTERRUPT_MESSAGE_INFO *InterruptMessageTable;
 *     PKINTERRUPT *InterruptObject;
 *   } ConnectionContext;
 *   PKMESSAGE_SERVICE_ROUTINE MessageServiceRoutine;
 *   PVOID ServiceContext;
 *   PKSPIN_LOCK SpinLock;
 *   KIRQL SynchronizeIrql;
 *   BOOLEAN FloatingSave;
 *   PKSERVICE_ROUTINE FallBackServiceRoutine;
 * } IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS, *PIO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS;
 * }</pre>
 */
public final class IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PDEVICE_OBJECT: the device whose interrupt is connected. */
    public static final long PHYSICAL_DEVICE_OBJECT_OFFSET = X64.offset("PhysicalDeviceObject");
    /** union: receives the message table or interrupt object. */
    public static final long CONNECTION_CONTEXT_OFFSET = X64.offset("ConnectionContext");
    /** PKMESSAGE_SERVICE_ROUTINE: the message ISR. */
    public static final long MESSAGE_SERVICE_ROUTINE_OFFSET = X64.offset("MessageServiceRoutine");
    /** PVOID: the ISR's context. */
    public static final long SERVICE_CONTEXT_OFFSET = X64.offset("ServiceContext");
    /** PKSPIN_LOCK: the lock to use, or NULL. */
    public static final long SPIN_LOCK_OFFSET = X64.offset("SpinLock");
    /** KIRQL: the IRQL the ISR runs at. */
    public static final long SYNCHRONIZE_IRQL_OFFSET = X64.offset("SynchronizeIrql");
    /** BOOLEAN: must be FALSE. */
    public static final long FLOATING_SAVE_OFFSET = X64.offset("FloatingSave");
    /** PKSERVICE_ROUTINE: line-based ISR if messages are unavailable. */
    public static final long FALL_BACK_SERVICE_ROUTINE_OFFSET = X64.offset("FallBackServiceRoutine");

    private IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS", abi)
                .field("PhysicalDeviceObject", CType.pointer("PDEVICE_OBJECT"))
                .union("ConnectionContext", u -> u.field("Generic", CType.pointer("PVOID*"))
                        .field("InterruptMessageTable", CType.pointer("PIO_INTERRUPT_MESSAGE_INFO*"))
                        .field("InterruptObject", CType.pointer("PKINTERRUPT*")))
                .field("MessageServiceRoutine", CType.pointer("PKMESSAGE_SERVICE_ROUTINE"))
                .field("ServiceContext", CType.PVOID)
                .field("SpinLock", CType.pointer("PKSPIN_LOCK"))
                .field("SynchronizeIrql", CType.KIRQL)
                .field("FloatingSave", CType.BOOLEAN)
                .field("FallBackServiceRoutine", CType.pointer("PKSERVICE_ROUTINE"))
                .build();
    }
}
