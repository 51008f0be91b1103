package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID CustomDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID
 * SystemArgument2)}: a DPC's deferred routine (also a timer's CustomTimerDpc and a threaded DPC's
 * routine). Called at DISPATCH_LEVEL (a threaded DPC: PASSIVE_LEVEL on the processor's DPC thread)
 * on the processor whose queue held the DPC. {@code Dpc} is a bounded segment over the KDPC; the
 * three PVOIDs are zero-length segments carrying the addresses as given (NULL is
 * {@code MemorySegment.NULL}'s address 0). For a timer's DPC, SystemArgument1/2 are the low and
 * high 32 bits of the system time at expiry.
 */
@FunctionalInterface
public interface KDEFERRED_ROUTINE {
    void call(MemorySegment Dpc, MemorySegment DeferredContext, MemorySegment SystemArgument1, MemorySegment SystemArgument2);
}
