package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID PCREATE_PROCESS_NOTIFY_ROUTINE_EX(PEPROCESS Process, HANDLE ProcessId,
 * PPS_CREATE_NOTIFY_INFO CreateInfo)}: told of every process created (CreateInfo a
 * PS_CREATE_NOTIFY_INFO; storing an error status in its CreationStatus makes the creation fail with
 * it) and of every process exit (CreateInfo NULL, {@code MemorySegment.NULL}'s address 0). Called at
 * PASSIVE_LEVEL in a critical region, on the thread creating the process or the thread ending it.
 */
@FunctionalInterface
public interface CREATE_PROCESS_NOTIFY_ROUTINE_EX {
    void call(MemorySegment Process, long ProcessId, MemorySegment CreateInfo);
}
