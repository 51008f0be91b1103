package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID WorkItemEx(PVOID IoObject, PVOID Context, PIO_WORKITEM IoWorkItem)}: an I/O work
 * item's routine queued by {@code IoQueueWorkItemEx}. As {@link IO_WORKITEM_ROUTINE}, with the
 * device or driver object the item was made for and the work item itself (which the routine may
 * free with IoFreeWorkItem or uninitialize).
 */
@FunctionalInterface
public interface IO_WORKITEM_ROUTINE_EX {
    void call(MemorySegment IoObject, MemorySegment Context, MemorySegment IoWorkItem);
}
