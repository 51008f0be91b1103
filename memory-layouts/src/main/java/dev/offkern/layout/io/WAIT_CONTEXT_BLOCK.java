package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ke.KDEVICE_QUEUE_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * The wait context of an adapter or controller allocation (overlays DEVICE_OBJECT.Queue).
 * <pre>{@code
 * typedef struct _WAIT_CONTEXT_BLOCK {
 *   KDEVICE_QUEUE_ENTRY WaitQueueEntry;
 *   PDRIVER_CONTROL DeviceRoutine;
 *   PVOID DeviceContext;
 *   ULONG NumberOfMapRegisters;
 *   PVOID DeviceObject;
 *   PVOID CurrentIrp;
 *   PKDPC BufferChainingDpc;
 * } WAIT_CONTEXT_BLOCK, *PWAIT_CONTEXT_BLOCK;
 * }</pre>
 */
public final class WAIT_CONTEXT_BLOCK {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** KDEVICE_QUEUE_ENTRY: link in the adapter's wait queue. */
    public static final long WAIT_QUEUE_ENTRY_OFFSET = X64.offset("WaitQueueEntry");
    /** PDRIVER_CONTROL: called when the resources are available. */
    public static final long DEVICE_ROUTINE_OFFSET = X64.offset("DeviceRoutine");

    private WAIT_CONTEXT_BLOCK() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("WAIT_CONTEXT_BLOCK", abi)
                .field("WaitQueueEntry", KDEVICE_QUEUE_ENTRY.of(abi))
                .field("DeviceRoutine", CType.pointer("PDRIVER_CONTROL"))
                .field("DeviceContext", CType.PVOID)
                .field("NumberOfMapRegisters", CType.ULONG)
                .field("DeviceObject", CType.PVOID)
                .field("CurrentIrp", CType.PVOID)
                .field("BufferChainingDpc", CType.pointer("PKDPC"))
                .build();
    }
}
