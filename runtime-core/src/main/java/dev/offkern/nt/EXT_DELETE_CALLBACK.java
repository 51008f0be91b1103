package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID ExTimerDeleteCallback(PVOID Context)}: EXT_DELETE_PARAMETERS.DeleteCallback, called
 * once at DISPATCH_LEVEL when a deleted EX_TIMER is quiescent (no expiry pending, no callback
 * running), just before its memory is freed; {@code Context} is a zero-length segment carrying
 * DeleteContext.
 */
@FunctionalInterface
public interface EXT_DELETE_CALLBACK {
    void call(MemorySegment Context);
}
