package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID WorkerRoutine(PVOID Parameter)}: a system worker thread's routine
 * ({@code WORK_QUEUE_ITEM.WorkerRoutine}, set by {@code ExInitializeWorkItem}). Called at
 * PASSIVE_LEVEL on a system worker thread of the queue the item was queued to; it must return at
 * PASSIVE_LEVEL with APCs enabled. {@code Parameter} is a zero-length segment carrying the
 * address given ({@code MemorySegment.NULL}'s address 0 for NULL). The routine may free or
 * re-queue its own work item.
 */
@FunctionalInterface
public interface WORKER_THREAD_ROUTINE {
    void call(MemorySegment Parameter);
}
