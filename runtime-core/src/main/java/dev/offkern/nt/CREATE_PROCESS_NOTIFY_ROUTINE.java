package dev.offkern.nt;

/**
 * {@code VOID PCREATE_PROCESS_NOTIFY_ROUTINE(HANDLE ParentId, HANDLE ProcessId, BOOLEAN Create)}:
 * told of every process created (Create TRUE) and ended (FALSE). Called at PASSIVE_LEVEL in a
 * critical region; it cannot veto a creation (the Ex form can).
 */
@FunctionalInterface
public interface CREATE_PROCESS_NOTIFY_ROUTINE {
    void call(long ParentId, long ProcessId, boolean Create);
}
