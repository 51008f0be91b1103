package dev.offkern.ddi;

import dev.offkern.nt.DRIVER_CANCEL;
import dev.offkern.nt.DRIVER_DISPATCH;
import dev.offkern.nt.DRIVER_INITIALIZE;
import dev.offkern.nt.DRIVER_UNLOAD;
import dev.offkern.nt.IO_COMPLETION_ROUTINE;
import dev.offkern.nt.IO_CSQ_ACQUIRE_LOCK;
import dev.offkern.nt.IO_CSQ_COMPLETE_CANCELED_IRP;
import dev.offkern.nt.IO_CSQ_INSERT_IRP;
import dev.offkern.nt.IO_CSQ_INSERT_IRP_EX;
import dev.offkern.nt.IO_CSQ_PEEK_NEXT_IRP;
import dev.offkern.nt.IO_CSQ_RELEASE_LOCK;
import dev.offkern.nt.IO_CSQ_REMOVE_IRP;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.io.IoBuild;
import dev.offkern.runtime.io.IoCancel;
import dev.offkern.runtime.io.IoCompletion;
import dev.offkern.runtime.io.IoCsq;
import dev.offkern.runtime.io.IoDevices;
import dev.offkern.runtime.io.IoDrivers;
import dev.offkern.runtime.io.IoIrp;
import dev.offkern.runtime.io.IoManager;
import dev.offkern.nt.IO_DPC_ROUTINE;
import dev.offkern.nt.IO_WORKITEM_ROUTINE;
import dev.offkern.nt.IO_WORKITEM_ROUTINE_EX;
import dev.offkern.nt.InterruptConnect;
import dev.offkern.nt.KMESSAGE_SERVICE_ROUTINE;
import dev.offkern.nt.KSERVICE_ROUTINE;
import dev.offkern.runtime.io.IoWorkItems;
import java.lang.foreign.MemorySegment;

/**
 * I/O-manager routines ({@code Io*}) under their verbatim names with C parameters in C order, each a
 * thin delegation into {@code dev.offkern.runtime.io}: drivers and devices ({@code IoDrivers},
 * {@code IoDevices}), IRPs and stack locations ({@code IoIrp}), sending and completing
 * ({@code IoCompletion}), cancellation ({@code IoCancel}), requests the I/O manager builds
 * ({@code IoBuild}) and cancel-safe queues ({@code IoCsq}). A PIRP, PDEVICE_OBJECT, PDRIVER_OBJECT or
 * PIO_CSQ is a segment (its address is what counts: the routines resolve it in the kernel's address
 * space); routine pointers are functional interfaces of {@code dev.offkern.nt} (their upcall stubs go
 * into the structures) or native routine pointers. The exported type variables: C's
 * {@code *IoFileObjectType} is {@code IoFileObjectType()} here, the current kernel's POBJECT_TYPE.
 * Two routines name C field assignments a Java driver cannot write itself:
 * {@code IoSetMajorFunction} ({@code DriverObject->MajorFunction[i] = Routine}) and
 * {@code IoSetDriverUnload}.
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

    /**
     * {@code NTSTATUS IoGetDeviceObjectPointer(PUNICODE_STRING ObjectName, ACCESS_MASK DesiredAccess, PFILE_OBJECT
     * *FileObject, PDEVICE_OBJECT *DeviceObject)}: opens the named device (a FILE_OBJECT, IRP_MJ_CREATE, then
     * IRP_MJ_CLEANUP as Windows closes its handle) and returns the referenced file object (its ObDereferenceObject sends
     * IRP_MJ_CLOSE) and the top of the device's stack. STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND,
     * STATUS_OBJECT_TYPE_MISMATCH, STATUS_NO_SUCH_DEVICE, the driver's status. IRQL: PASSIVE_LEVEL. See
     * {@link dev.offkern.runtime.io.IoFiles}.
     */
    public static int IoGetDeviceObjectPointer(MemorySegment ObjectName, int DesiredAccess, MemorySegment FileObject,
                                               MemorySegment DeviceObject) {
        try {
            return dev.offkern.runtime.io.IoFiles.getDeviceObjectPointer(io(), ObjectName, DesiredAccess, FileObject, DeviceObject);
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
    /**
     * {@code NTSTATUS IoCreateDriver(PUNICODE_STRING DriverName, PDRIVER_INITIALIZE InitializationFunction)}: creates a
     * Driver object (named DriverName, or {@code \\Driver\\OffkernN} when NULL) and calls its entry with it; a failure
     * from the entry deletes it again and is returned. STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_INVALID,
     * STATUS_INSUFFICIENT_RESOURCES. IRQL: PASSIVE_LEVEL. See {@link IoDrivers}.
     */
    public static int IoCreateDriver(MemorySegment DriverName, DRIVER_INITIALIZE InitializationFunction) {
        try {
            return IoDrivers.create(io(), DriverName, InitializationFunction);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@link #IoCreateDriver(MemorySegment, DRIVER_INITIALIZE)} with the name as a String (null: a generated name).
     */
    public static int IoCreateDriver(String DriverName, DRIVER_INITIALIZE InitializationFunction) {
        try {
            return IoDrivers.create(io(), DriverName, InitializationFunction, null);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoDeleteDriver(PDRIVER_OBJECT DriverObject)}: calls DriverUnload (once), removes the driver's name and
     * drops the I/O manager's reference (the object goes with its last device). IRQL: PASSIVE_LEVEL.
     */
    public static void IoDeleteDriver(MemorySegment DriverObject) {
        try {
            IoDrivers.delete(io(), DriverObject);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code DriverObject->MajorFunction[MajorFunction] = DispatchRoutine;} with a Java dispatch routine (its upcall
     * stub goes into the table; null restores IopInvalidDeviceRequest). IRQL: any.
     */
    public static void IoSetMajorFunction(MemorySegment DriverObject, int MajorFunction, DRIVER_DISPATCH DispatchRoutine) {
        try {
            IoDrivers.setMajorFunction(io(), DriverObject, MajorFunction, DispatchRoutine);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code DriverObject->MajorFunction[MajorFunction] = DispatchRoutine;} with a native routine pointer (NULL:
     * IopInvalidDeviceRequest). IRQL: any.
     */
    public static void IoSetMajorFunction(MemorySegment DriverObject, int MajorFunction, MemorySegment DispatchRoutine) {
        try {
            IoDrivers.setMajorFunction(io(), DriverObject, MajorFunction, DispatchRoutine == null ? 0 : DispatchRoutine.address());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code DriverObject->DriverUnload = DriverUnload;} with a Java routine (null: NULL). IRQL: any.
     */
    public static void IoSetDriverUnload(MemorySegment DriverObject, DRIVER_UNLOAD DriverUnload) {
        try {
            IoDrivers.setDriverUnload(io(), DriverObject, DriverUnload);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName,
     * DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive, PDEVICE_OBJECT *DeviceObject)}:
     * {@code *DeviceObject} := the new device (NULL on failure). STATUS_OBJECT_NAME_COLLISION,
     * STATUS_OBJECT_NAME_INVALID, STATUS_INVALID_PARAMETER (extension too large for Size), STATUS_INSUFFICIENT_RESOURCES.
     * IRQL: PASSIVE_LEVEL. See {@link IoDevices}.
     */
    public static int IoCreateDevice(MemorySegment DriverObject, int DeviceExtensionSize, MemorySegment DeviceName, int DeviceType,
                                     int DeviceCharacteristics, boolean Exclusive, MemorySegment DeviceObject) {
        try {
            return IoDevices.create(io(), DriverObject, DeviceExtensionSize, DeviceName, DeviceType, DeviceCharacteristics, Exclusive, DeviceObject);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject)}: unlinks and names off the device; it goes with its last
     * reference. Deleting twice: IllegalStateException. IRQL: PASSIVE_LEVEL.
     */
    public static void IoDeleteDevice(MemorySegment DeviceObject) {
        try {
            IoDevices.delete(io(), DeviceObject);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice)}: the
     * device SourceDevice was attached to (the top of TargetDevice's stack), or NULL. IRQL: PASSIVE_LEVEL.
     */
    public static MemorySegment IoAttachDeviceToDeviceStack(MemorySegment SourceDevice, MemorySegment TargetDevice) {
        try {
            return IoDevices.attach(io(), SourceDevice, TargetDevice);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice)}: detaches the device attached to TargetDevice. IRQL: PASSIVE_LEVEL.
     */
    public static void IoDetachDevice(MemorySegment TargetDevice) {
        try {
            IoDevices.detach(io(), TargetDevice);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PDEVICE_OBJECT IoGetAttachedDeviceReference(PDEVICE_OBJECT DeviceObject)}: the top of the device's stack,
     * referenced (release it with ObDereferenceObject). IRQL: ≤ DISPATCH_LEVEL.
     */
    public static MemorySegment IoGetAttachedDeviceReference(MemorySegment DeviceObject) {
        try {
            return IoDevices.attachedReference(io(), DeviceObject);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)}: a new IRP with StackSize locations, or NULL.
     * IRQL: ≤ DISPATCH_LEVEL. See {@link IoIrp}.
     */
    public static MemorySegment IoAllocateIrp(int StackSize, boolean ChargeQuota) {
        try {
            return IoIrp.allocate(io(), StackSize, ChargeQuota);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code USHORT IoSizeOfIrp(CCHAR StackSize)}: sizeof(IRP) + StackSize * sizeof(IO_STACK_LOCATION). IRQL: any.
     */
    public static int IoSizeOfIrp(int StackSize) {
        try {
            return IoIrp.sizeOfIrp(StackSize);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize)}: sets up an IRP in the caller's
     * (mapped, 16-aligned) memory. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void IoInitializeIrp(MemorySegment Irp, int PacketSize, int StackSize) {
        try {
            IoIrp.initialize(io(), Irp, PacketSize, StackSize);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoFreeIrp(PIRP Irp)}: frees an IRP from IoAllocateIrp. A freed or non-IRP: 0x44 (verifier: 0xC9/0x01).
     * IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void IoFreeIrp(MemorySegment Irp) {
        try {
            IoIrp.free(io(), Irp);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoReuseIrp(PIRP Irp, NTSTATUS Iostatus)}: re-initializes the IRP for another request. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void IoReuseIrp(MemorySegment Irp, int Iostatus) {
        try {
            IoIrp.reuse(io(), Irp, Iostatus);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(PIRP Irp)}: the caller's location (zero-length before the
     * IRP is sent). IRQL: any.
     */
    public static MemorySegment IoGetCurrentIrpStackLocation(MemorySegment Irp) {
        try {
            return IoIrp.current(io(), Irp);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PIO_STACK_LOCATION IoGetNextIrpStackLocation(PIRP Irp)}: the next lower driver's location. IRQL: any.
     */
    public static MemorySegment IoGetNextIrpStackLocation(MemorySegment Irp) {
        try {
            return IoIrp.next(io(), Irp);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoSkipCurrentIrpStackLocation(PIRP Irp)}: the next lower driver gets the caller's location. IRQL: any.
     */
    public static void IoSkipCurrentIrpStackLocation(MemorySegment Irp) {
        try {
            IoIrp.skipCurrent(io(), Irp);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoCopyCurrentIrpStackLocationToNext(PIRP Irp)}: copies the location, without the completion routine. IRQL: any.
     */
    public static void IoCopyCurrentIrpStackLocationToNext(MemorySegment Irp) {
        try {
            IoIrp.copyCurrentToNext(io(), Irp);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoMarkIrpPending(PIRP Irp)}: SL_PENDING_RETURNED in the current location. IRQL: any.
     */
    public static void IoMarkIrpPending(MemorySegment Irp) {
        try {
            IoIrp.markPending(io(), Irp);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoSetCompletionRoutine(PIRP Irp, PIO_COMPLETION_ROUTINE CompletionRoutine, PVOID Context, BOOLEAN
     * InvokeOnSuccess, BOOLEAN InvokeOnError, BOOLEAN InvokeOnCancel)} with a Java routine, in the next location. IRQL: any.
     */
    public static void IoSetCompletionRoutine(MemorySegment Irp, IO_COMPLETION_ROUTINE CompletionRoutine, MemorySegment Context,
                                              boolean InvokeOnSuccess, boolean InvokeOnError, boolean InvokeOnCancel) {
        try {
            IoCompletion.setCompletionRoutine(io(), Irp, CompletionRoutine, Context, InvokeOnSuccess, InvokeOnError, InvokeOnCancel);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@link #IoSetCompletionRoutine(MemorySegment, IO_COMPLETION_ROUTINE, MemorySegment, boolean, boolean, boolean)} with a
     * native routine pointer.
     */
    public static void IoSetCompletionRoutine(MemorySegment Irp, MemorySegment CompletionRoutine, MemorySegment Context,
                                              boolean InvokeOnSuccess, boolean InvokeOnError, boolean InvokeOnCancel) {
        try {
            IoCompletion.setCompletionRoutine(io(), Irp, CompletionRoutine, Context, InvokeOnSuccess, InvokeOnError, InvokeOnCancel);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS IoSetCompletionRoutineEx(PDEVICE_OBJECT DeviceObject, PIRP Irp, PIO_COMPLETION_ROUTINE
     * CompletionRoutine, PVOID Context, BOOLEAN InvokeOnSuccess, BOOLEAN InvokeOnError, BOOLEAN InvokeOnCancel)}: as
     * IoSetCompletionRoutine, keeping DeviceObject referenced until the routine ran. STATUS_INSUFFICIENT_RESOURCES. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static int IoSetCompletionRoutineEx(MemorySegment DeviceObject, MemorySegment Irp, IO_COMPLETION_ROUTINE CompletionRoutine,
                                               MemorySegment Context, boolean InvokeOnSuccess, boolean InvokeOnError, boolean InvokeOnCancel) {
        try {
            return IoCompletion.setCompletionRoutineEx(io(), DeviceObject, Irp, CompletionRoutine == null ? 0 : IoRoutinesAccess.stub(CompletionRoutine),
                    Context, InvokeOnSuccess, InvokeOnError, InvokeOnCancel);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@link #IoSetCompletionRoutineEx(MemorySegment, MemorySegment, IO_COMPLETION_ROUTINE, MemorySegment, boolean, boolean, boolean)}
     * with a native routine pointer.
     */
    public static int IoSetCompletionRoutineEx(MemorySegment DeviceObject, MemorySegment Irp, MemorySegment CompletionRoutine,
                                               MemorySegment Context, boolean InvokeOnSuccess, boolean InvokeOnError, boolean InvokeOnCancel) {
        try {
            return IoCompletion.setCompletionRoutineEx(io(), DeviceObject, Irp, CompletionRoutine == null ? 0 : CompletionRoutine.address(),
                    Context, InvokeOnSuccess, InvokeOnError, InvokeOnCancel);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)}: the driver's dispatch routine's status. No
     * location left: NO_MORE_IRP_STACK_LOCATIONS (0x35). IRQL: ≤ DISPATCH_LEVEL. See {@link IoCompletion}.
     */
    public static int IoCallDriver(MemorySegment DeviceObject, MemorySegment Irp) {
        try {
            return IoCompletion.callDriver(io(), DeviceObject, Irp);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost)}: completion routines bottom-up, then the caller's
     * IO_STATUS_BLOCK and event. Twice: MULTIPLE_IRP_COMPLETE_REQUESTS (0x44). IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void IoCompleteRequest(MemorySegment Irp, int PriorityBoost) {
        try {
            IoCompletion.completeRequest(io(), Irp, PriorityBoost);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PIRP IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject, PVOID InputBuffer, ULONG
     * InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength, BOOLEAN InternalDeviceIoControl, PKEVENT Event,
     * PIO_STATUS_BLOCK IoStatusBlock)}: the IRP (freed by the I/O manager when it completes), or NULL. IRQL: PASSIVE_LEVEL.
     * See {@link IoBuild}.
     */
    public static MemorySegment IoBuildDeviceIoControlRequest(int IoControlCode, MemorySegment DeviceObject, MemorySegment InputBuffer,
                                                              int InputBufferLength, MemorySegment OutputBuffer, int OutputBufferLength,
                                                              boolean InternalDeviceIoControl, MemorySegment Event, MemorySegment IoStatusBlock) {
        try {
            return IoBuild.deviceIoControl(io(), IoControlCode, DeviceObject, InputBuffer, InputBufferLength, OutputBuffer, OutputBufferLength,
                    InternalDeviceIoControl, Event, IoStatusBlock);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PIRP IoBuildSynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer, ULONG Length,
     * PLARGE_INTEGER StartingOffset, PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock)}: the IRP, or NULL. IRQL: PASSIVE_LEVEL.
     */
    public static MemorySegment IoBuildSynchronousFsdRequest(int MajorFunction, MemorySegment DeviceObject, MemorySegment Buffer, int Length,
                                                             MemorySegment StartingOffset, MemorySegment Event, MemorySegment IoStatusBlock) {
        try {
            return IoBuild.synchronousFsd(io(), MajorFunction, DeviceObject, Buffer, Length, StartingOffset, Event, IoStatusBlock);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PDRIVER_CANCEL IoSetCancelRoutine(PIRP Irp, PDRIVER_CANCEL CancelRoutine)} with a Java routine: the previous
     * routine pointer (an atomic exchange). IRQL: any. See {@link IoCancel}.
     */
    public static MemorySegment IoSetCancelRoutine(MemorySegment Irp, DRIVER_CANCEL CancelRoutine) {
        try {
            return MemorySegment.ofAddress(IoCancel.setCancelRoutine(io(), Irp, CancelRoutine));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@link #IoSetCancelRoutine(MemorySegment, DRIVER_CANCEL)} with a native routine pointer or NULL.
     */
    public static MemorySegment IoSetCancelRoutine(MemorySegment Irp, MemorySegment CancelRoutine) {
        try {
            return MemorySegment.ofAddress(IoCancel.setCancelRoutine(io(), Irp, CancelRoutine));
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN IoCancelIrp(PIRP Irp)}: sets Cancel and calls the cancel routine, if any (TRUE). IRQL: ≤ DISPATCH_LEVEL.
     */
    public static boolean IoCancelIrp(MemorySegment Irp) {
        try {
            return IoCancel.cancel(io(), Irp);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoAcquireCancelSpinLock(PKIRQL Irql)}: the IRQL to restore is returned. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static int IoAcquireCancelSpinLock() {
        try {
            return IoCancel.acquireCancelSpinLock(io());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoReleaseCancelSpinLock(KIRQL Irql)}. IRQL: DISPATCH_LEVEL, holding the lock.
     */
    public static void IoReleaseCancelSpinLock(int Irql) {
        try {
            IoCancel.releaseCancelSpinLock(io(), Irql);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS IoCsqInitialize(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP CsqInsertIrp, PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
     * PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock, PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
     * PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp)} with Java callbacks: Type 2 and their stubs. IRQL: any.
     * See {@link IoCsq}.
     */
    public static int IoCsqInitialize(MemorySegment Csq, IO_CSQ_INSERT_IRP CsqInsertIrp, IO_CSQ_REMOVE_IRP CsqRemoveIrp,
                                      IO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, IO_CSQ_ACQUIRE_LOCK CsqAcquireLock, IO_CSQ_RELEASE_LOCK CsqReleaseLock,
                                      IO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp) {
        try {
            return IoCsq.initialize(io(), Csq, IoRoutinesAccess.callbacks(CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock,
                    CsqCompleteCanceledIrp), false);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code IoCsqInitialize} with native routine pointers.
     */
    public static int IoCsqInitialize(MemorySegment Csq, MemorySegment CsqInsertIrp, MemorySegment CsqRemoveIrp, MemorySegment CsqPeekNextIrp,
                                      MemorySegment CsqAcquireLock, MemorySegment CsqReleaseLock, MemorySegment CsqCompleteCanceledIrp) {
        try {
            return IoCsq.initialize(io(), Csq, IoRoutinesAccess.callbacks(CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock,
                    CsqCompleteCanceledIrp), false);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS IoCsqInitializeEx(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP_EX CsqInsertIrp, ...)} with Java callbacks: Type 3,
     * the insert routine may refuse an IRP. IRQL: any.
     */
    public static int IoCsqInitializeEx(MemorySegment Csq, IO_CSQ_INSERT_IRP_EX CsqInsertIrp, IO_CSQ_REMOVE_IRP CsqRemoveIrp,
                                        IO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, IO_CSQ_ACQUIRE_LOCK CsqAcquireLock, IO_CSQ_RELEASE_LOCK CsqReleaseLock,
                                        IO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp) {
        try {
            return IoCsq.initialize(io(), Csq, IoRoutinesAccess.callbacks(CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock,
                    CsqCompleteCanceledIrp), true);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code IoCsqInitializeEx} with native routine pointers.
     */
    public static int IoCsqInitializeEx(MemorySegment Csq, MemorySegment CsqInsertIrp, MemorySegment CsqRemoveIrp, MemorySegment CsqPeekNextIrp,
                                        MemorySegment CsqAcquireLock, MemorySegment CsqReleaseLock, MemorySegment CsqCompleteCanceledIrp) {
        try {
            return IoCsq.initialize(io(), Csq, IoRoutinesAccess.callbacks(CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock,
                    CsqCompleteCanceledIrp), true);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code VOID IoCsqInsertIrp(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context)}: queues the IRP (marked pending,
     * cancelable); one already cancelled is completed through CsqCompleteCanceledIrp instead. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static void IoCsqInsertIrp(MemorySegment Csq, MemorySegment Irp, MemorySegment Context) {
        try {
            IoCsq.insert(io(), Csq, Irp, Context, MemorySegment.NULL, "IoCsqInsertIrp");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS IoCsqInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context, PVOID InsertContext)}: the
     * insert-ex routine's status (a failure: the IRP is not queued); STATUS_SUCCESS for a non-Ex queue. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static int IoCsqInsertIrpEx(MemorySegment Csq, MemorySegment Irp, MemorySegment Context, MemorySegment InsertContext) {
        try {
            return IoCsq.insert(io(), Csq, Irp, Context, InsertContext, "IoCsqInsertIrpEx");
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PIRP IoCsqRemoveIrp(PIO_CSQ Csq, PIO_CSQ_IRP_CONTEXT Context)}: the context's IRP, dequeued and no longer
     * cancelable, or NULL (cancelled or removed). IRQL: ≤ DISPATCH_LEVEL.
     */
    public static MemorySegment IoCsqRemoveIrp(MemorySegment Csq, MemorySegment Context) {
        try {
            return IoCsq.remove(io(), Csq, Context);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code PIRP IoCsqRemoveNextIrp(PIO_CSQ Csq, PVOID PeekContext)}: the next matching IRP not being cancelled,
     * dequeued, or NULL. IRQL: ≤ DISPATCH_LEVEL.
     */
    public static MemorySegment IoCsqRemoveNextIrp(MemorySegment Csq, MemorySegment PeekContext) {
        try {
            return IoCsq.removeNext(io(), Csq, PeekContext);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** The calling thread's kernel's I/O manager. */
    static IoManager io() {
        return Kernel.current().io();
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
