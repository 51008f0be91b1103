package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID ExTimerCallback(PEX_TIMER Timer, PVOID Context)}: an EX_TIMER's expiration callback
 * (ExAllocateTimer's Callback). Called at DISPATCH_LEVEL from the timer's DPC, once per expiry;
 * {@code Timer} is a bounded segment over the EX_TIMER (valid during the call even when the timer
 * is being deleted), {@code Context} a zero-length segment carrying the CallbackContext address.
 */
@FunctionalInterface
public interface EXT_CALLBACK {
    void call(MemorySegment Timer, MemorySegment Context);
}
