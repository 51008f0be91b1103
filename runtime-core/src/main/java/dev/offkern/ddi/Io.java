package dev.offkern.ddi;

import dev.offkern.nt.IO_DPC_ROUTINE;
import dev.offkern.nt.IO_WORKITEM_ROUTINE;
import dev.offkern.nt.InterruptConnect;
import dev.offkern.nt.KMESSAGE_SERVICE_ROUTINE;
import dev.offkern.nt.KSERVICE_ROUTINE;
import dev.offkern.nt.IO_WORKITEM_ROUTINE_EX;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.io.IoWorkItems;
import java.lang.foreign.MemorySegment;

/**
 * I/O-manager routines ({@code Io*}) under their verbatim names. So far the exported type variables:
 * C's {@code *IoFileObjectType} is {@code IoFileObjectType()} here, the current kernel's POBJECT_TYPE.
 */
public final class Io {
    private Io() {
    }

    /** {@code *IoFileObjectType}: the File object type. IRQL: any. */
    public static MemorySegment IoFileObjectType() {
        try {
            return Ob.objects().fileType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code *IoDeviceObjectType}: the Device object type. IRQL: any. */
    public static MemorySegment IoDeviceObjectType() {
        try {
            return Ob.objects().deviceType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code *IoDriverObjectType}: the Driver object type. IRQL: any. */
    public static MemorySegment IoDriverObjectType() {
        try {
            return Ob.objects().driverType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }
    // ===== io-work: I/O work items (IO_WORKITEM) — see dev.offkern.runtime.io.IoWorkItems =====

    /**
     * {@code PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)}: a new IO_WORKITEM in
     * nonpaged pool for the device (or driver) object, or NULL when the pool is exhausted. An object
     * that is no device or driver object is WORKER_INVALID (0xE4: 3). IRQL: ≤ DISPATCH_LEVEL.
     */
    public static MemorySegment IoAllocateWorkItem(MemorySegment DeviceObject) {
        try {
            return Kernel.current().ioWorkItems().allocate(DeviceObject);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG IoSizeofWorkItem(VOID)}: sizeof(IO_WORKITEM), 0x58 on x64. IRQL: any. */
    public static int IoSizeofWorkItem() {
        Kernel.current().ensureRunning();
        return (int) IoWorkItems.SIZE;
    }

    /**
     * {@code VOID IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem)}: initializes
     * caller-allocated memory of IoSizeofWorkItem() bytes for a device or driver object. IRQL: any.
     */
    public static void IoInitializeWorkItem(MemorySegment IoObject, MemorySegment IoWorkItem) {
        try {
            Kernel.current().ioWorkItems().initialize(IoObject, IoWorkItem);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem)}: the item must not be queued (0xE4: 2). IRQL: any. */
    public static void IoUninitializeWorkItem(MemorySegment IoWorkItem) {
        try {
            Kernel.current().ioWorkItems().uninitialize(IoWorkItem);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
     * WORK_QUEUE_TYPE QueueType, PVOID Context)}: a system worker thread calls
     * {@code WorkerRoutine(DeviceObject, Context)} at PASSIVE_LEVEL; the object is referenced until
     * the routine returns. Queueing a queued item is WORKER_INVALID (0xE4: 1). IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void IoQueueWorkItem(MemorySegment IoWorkItem, IO_WORKITEM_ROUTINE WorkerRoutine, int QueueType,
                                       MemorySegment Context) {
        try {
            Kernel.current().ioWorkItems().queue(IoWorkItem, WorkerRoutine, QueueType, Context);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code IoQueueWorkItem} with a native routine pointer (a function of a library registered with the kernel). */
    public static void IoQueueWorkItem(MemorySegment IoWorkItem, MemorySegment WorkerRoutine, int QueueType, MemorySegment Context) {
        try {
            Kernel.current().ioWorkItems().queueNative(IoWorkItem, WorkerRoutine, QueueType, Context, false);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
     * WORK_QUEUE_TYPE QueueType, PVOID Context)}: as IoQueueWorkItem; the routine also gets the
     * work item (it may free it). IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void IoQueueWorkItemEx(MemorySegment IoWorkItem, IO_WORKITEM_ROUTINE_EX WorkerRoutine, int QueueType,
                                         MemorySegment Context) {
        try {
            Kernel.current().ioWorkItems().queueEx(IoWorkItem, WorkerRoutine, QueueType, Context);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code IoQueueWorkItemEx} with a native routine pointer. */
    public static void IoQueueWorkItemEx(MemorySegment IoWorkItem, MemorySegment WorkerRoutine, int QueueType, MemorySegment Context) {
        try {
            Kernel.current().ioWorkItems().queueNative(IoWorkItem, WorkerRoutine, QueueType, Context, true);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem)}: frees an item of IoAllocateWorkItem; not while queued (0xE4: 2). IRQL: ≤ DISPATCH_LEVEL. */
    public static void IoFreeWorkItem(MemorySegment IoWorkItem) {
        try {
            Kernel.current().ioWorkItems().free(IoWorkItem);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end io-work: I/O work items =====
    // ===== io-work: interrupts (KINTERRUPT) and the DPC for the ISR — see dev.offkern.runtime.io.IoInterrupts =====

    /** IO_CONNECT_INTERRUPT_PARAMETERS.Version CONNECT_FULLY_SPECIFIED. */
    public static final int CONNECT_FULLY_SPECIFIED = InterruptConnect.CONNECT_FULLY_SPECIFIED;
    /** IO_CONNECT_INTERRUPT_PARAMETERS.Version CONNECT_LINE_BASED. */
    public static final int CONNECT_LINE_BASED = InterruptConnect.CONNECT_LINE_BASED;
    /** IO_CONNECT_INTERRUPT_PARAMETERS.Version CONNECT_MESSAGE_BASED. */
    public static final int CONNECT_MESSAGE_BASED = InterruptConnect.CONNECT_MESSAGE_BASED;
    /** IO_CONNECT_INTERRUPT_PARAMETERS.Version CONNECT_FULLY_SPECIFIED_GROUP. */
    public static final int CONNECT_FULLY_SPECIFIED_GROUP = InterruptConnect.CONNECT_FULLY_SPECIFIED_GROUP;

    /**
     * {@code NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters)}: connects
     * the service routine the block names (routine fields holding real function pointers: Java
     * routines' stubs or native functions) to the device's interrupt; on return the block holds the
     * KINTERRUPT or message table and, for a message-based request that fell back to the device's
     * line, Version CONNECT_LINE_BASED. The statuses Windows documents (STATUS_INVALID_PARAMETER,
     * _1, _10, STATUS_INVALID_DEVICE_REQUEST, STATUS_NOT_FOUND). IRQL: PASSIVE_LEVEL. See
     * {@link dev.offkern.runtime.io.IoInterrupts}; the interrupts themselves come from
     * {@code Kernel.interrupts()}.
     */
    public static int IoConnectInterruptEx(MemorySegment Parameters) {
        try {
            return Kernel.current().ioInterrupts().connect(Parameters);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code IoConnectInterruptEx} with Java routines: {@code ServiceRoutine} (FullySpecified,
     * LineBased, or MessageBased's FallBackServiceRoutine) and {@code MessageServiceRoutine}
     * (MessageBased), each written into the block as its upcall stub when not null.
     */
    public static int IoConnectInterruptEx(MemorySegment Parameters, KSERVICE_ROUTINE ServiceRoutine,
                                           KMESSAGE_SERVICE_ROUTINE MessageServiceRoutine) {
        try {
            return Kernel.current().ioInterrupts().connect(Parameters, ServiceRoutine, MessageServiceRoutine);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters)}: Version
     * and ConnectionContext as IoConnectInterruptEx returned them; when it returns no service
     * routine of the connection is running and the objects are freed. IRQL: PASSIVE_LEVEL.
     */
    public static void IoDisconnectInterruptEx(MemorySegment Parameters) {
        try {
            Kernel.current().ioInterrupts().disconnect(Parameters);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoInitializeDpcRequest(PDEVICE_OBJECT DeviceObject, PIO_DPC_ROUTINE DpcRoutine)}:
     * DeviceObject->Dpc runs {@code DpcRoutine(Dpc, DeviceObject, Irp, Context)} at DISPATCH_LEVEL
     * when an ISR calls IoRequestDpc. IRQL: PASSIVE_LEVEL.
     */
    public static void IoInitializeDpcRequest(MemorySegment DeviceObject, IO_DPC_ROUTINE DpcRoutine) {
        try {
            Kernel.current().ioInterrupts().initializeDpcRequest(DeviceObject, DpcRoutine);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code IoInitializeDpcRequest} with a native routine pointer. */
    public static void IoInitializeDpcRequest(MemorySegment DeviceObject, MemorySegment DpcRoutine) {
        try {
            Kernel.current().ioInterrupts().initializeDpcRequest(DeviceObject, DpcRoutine);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoRequestDpc(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)}: queues the
     * device object's DPC (from an ISR: it runs once the interrupt's IRQL drops below
     * DISPATCH_LEVEL); a request while it is queued is dropped, as on Windows. IRQL: ≤ HIGH_LEVEL.
     */
    public static void IoRequestDpc(MemorySegment DeviceObject, MemorySegment Irp, MemorySegment Context) {
        try {
            Kernel.current().ioInterrupts().requestDpc(DeviceObject, Irp, Context);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end io-work: interrupts =====
}
