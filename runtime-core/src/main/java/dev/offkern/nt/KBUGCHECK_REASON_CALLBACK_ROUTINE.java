package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID KBUGCHECK_REASON_CALLBACK_ROUTINE(KBUGCHECK_CALLBACK_REASON Reason,
 * PKBUGCHECK_REASON_CALLBACK_RECORD Record, PVOID ReasonSpecificData, ULONG ReasonSpecificDataLength)}.
 * Runs at HIGH_LEVEL during a bug check. ReasonSpecificData is the off-heap structure the reason
 * selects (KBUGCHECK_SECONDARY_DUMP_DATA, KBUGCHECK_DUMP_IO, KBUGCHECK_ADD_PAGES, ...), as a
 * segment of ReasonSpecificDataLength bytes.
 */
@FunctionalInterface
public interface KBUGCHECK_REASON_CALLBACK_ROUTINE {
    void invoke(int Reason, MemorySegment Record, MemorySegment ReasonSpecificData, int ReasonSpecificDataLength);
}
