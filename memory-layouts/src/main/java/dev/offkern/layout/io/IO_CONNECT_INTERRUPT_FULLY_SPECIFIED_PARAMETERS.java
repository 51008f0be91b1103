package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * IoConnectInterruptEx's parameters for CONNECT_FULLY_SPECIFIED(_GROUP).
 * <pre>{@code
 * typedef struct _IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS {
 *   PDEVICE_OBJECT PhysicalDeviceObject;
 *   PKINTERRUPT *InterruptObject;
 *   PKSERVICE_ROUTINE ServiceRoutine;
 *   PVOID ServiceContext;
 *   PKSPIN_LOCK SpinLock;
 *   KIRQL SynchronizeIrql;
 *   BOOLEAN FloatingSave;
 *   BOOLEAN ShareVector;
 *   ULONG Vector;
 *   KIRQL Irql;
 *   KINTERRUPT_MODE InterruptMode;
 *   KAFFINITY ProcessorEnableMask;
 *   USHORT Group;
 * } IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS, *PIO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS;
 * }</pre>
 */
public final class IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PDEVICE_OBJECT: the device whose interrupt is connected. */
    public static final long PHYSICAL_DEVICE_OBJECT_OFFSET = X64.offset("PhysicalDeviceObject");
    /** PKINTERRUPT*: receives the interrupt object. */
    public static final long INTERRUPT_OBJECT_OFFSET = X64.offset("InterruptObject");
    /** PKSERVICE_ROUTINE: the ISR. */
    public static final long SERVICE_ROUTINE_OFFSET = X64.offset("ServiceRoutine");
    /** PVOID: the ISR's context. */
    public static final long SERVICE_CONTEXT_OFFSET = X64.offset("ServiceContext");
    /** PKSPIN_LOCK: the lock to use, or NULL for the object's own. */
    public static final long SPIN_LOCK_OFFSET = X64.offset("SpinLock");
    /** KIRQL: the IRQL the ISR runs at. */
    public static final long SYNCHRONIZE_IRQL_OFFSET = X64.offset("SynchronizeIrql");
    /** BOOLEAN: must be FALSE. */
    public static final long FLOATING_SAVE_OFFSET = X64.offset("FloatingSave");
    /** BOOLEAN: whether the vector is shareable. */
    public static final long SHARE_VECTOR_OFFSET = X64.offset("ShareVector");
    /** ULONG: the interrupt vector. */
    public static final long VECTOR_OFFSET = X64.offset("Vector");
    /** KIRQL: the device IRQL. */
    public static final long IRQL_OFFSET = X64.offset("Irql");
    /** KINTERRUPT_MODE (enum): LevelSensitive or Latched. */
    public static final long INTERRUPT_MODE_OFFSET = X64.offset("InterruptMode");
    /** KAFFINITY: the processors that may take the interrupt. */
    public static final long PROCESSOR_ENABLE_MASK_OFFSET = X64.offset("ProcessorEnableMask");
    /** USHORT: the processor group. */
    public static final long GROUP_OFFSET = X64.offset("Group");

    private IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS", abi)
                .field("PhysicalDeviceObject", CType.pointer("PDEVICE_OBJECT"))
                .field("InterruptObject", CType.pointer("PKINTERRUPT*"))
                .field("ServiceRoutine", CType.pointer("PKSERVICE_ROUTINE"))
                .field("ServiceContext", CType.PVOID)
                .field("SpinLock", CType.pointer("PKSPIN_LOCK"))
                .field("SynchronizeIrql", CType.KIRQL)
                .field("FloatingSave", CType.BOOLEAN)
                .field("ShareVector", CType.BOOLEAN)
                .field("Vector", CType.ULONG)
                .field("Irql", CType.KIRQL)
                .field("InterruptMode", CType.ENUM)
                .field("ProcessorEnableMask", CType.KAFFINITY)
                .field("Group", CType.USHORT)
                .build();
    }
}
