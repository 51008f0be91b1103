package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID WorkItem(PDEVICE_OBJECT DeviceObject, PVOID Context)}: an I/O work item's routine
 * queued by {@code IoQueueWorkItem}. Called at PASSIVE_LEVEL on a system worker thread; the device
 * object is referenced until it returns. The routine may queue its work item again or free it.
 * Both arguments are zero-length segments carrying the addresses.
 */
@FunctionalInterface
public interface IO_WORKITEM_ROUTINE {
    void call(MemorySegment DeviceObject, MemorySegment Context);
}
