package dev.offkern.nt;

/**
 * {@code VOID PCREATE_THREAD_NOTIFY_ROUTINE(HANDLE ProcessId, HANDLE ThreadId, BOOLEAN Create)}:
 * told of every thread the kernel creates (Create TRUE, on the new thread before its start routine)
 * and of its end (FALSE, on the ending thread). Called at PASSIVE_LEVEL in a critical region.
 */
@FunctionalInterface
public interface CREATE_THREAD_NOTIFY_ROUTINE {
    void call(long ProcessId, long ThreadId, boolean Create);
}
