package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID KSTART_ROUTINE(PVOID StartContext)}: a system thread's start routine
 * (PsCreateSystemThread). Runs on the new thread at PASSIVE_LEVEL inside a critical region, in the
 * System process. Returning ends the thread with STATUS_SUCCESS; {@code PsTerminateSystemThread}
 * ends it with its status (it unwinds the routine: a Java routine must not catch the Error it
 * throws). {@code StartContext} is a zero-length segment carrying the caller's address (NULL is
 * {@code MemorySegment.NULL}'s address 0).
 */
@FunctionalInterface
public interface KSTART_ROUTINE {
    void call(MemorySegment StartContext);
}
