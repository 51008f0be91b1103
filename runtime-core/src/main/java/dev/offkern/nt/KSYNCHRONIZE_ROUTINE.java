package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code BOOLEAN SynchCritSection(PVOID SynchronizeContext)}: the routine KeSynchronizeExecution
 * runs at the interrupt's SynchronizeIrql holding its spin lock (so it never runs concurrently
 * with the interrupt's service routine); its result is KeSynchronizeExecution's.
 */
@FunctionalInterface
public interface KSYNCHRONIZE_ROUTINE {
    boolean call(MemorySegment SynchronizeContext);
}
