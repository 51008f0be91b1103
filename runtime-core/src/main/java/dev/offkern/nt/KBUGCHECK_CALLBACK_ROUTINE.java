package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID KBUGCHECK_CALLBACK_ROUTINE(PVOID Buffer, ULONG Length)}: a simple bug-check callback.
 * Runs at HIGH_LEVEL during a bug check; Buffer is the registered buffer (a segment of Length
 * bytes, or {@code MemorySegment.NULL}).
 */
@FunctionalInterface
public interface KBUGCHECK_CALLBACK_ROUTINE {
    void invoke(MemorySegment Buffer, int Length);
}
