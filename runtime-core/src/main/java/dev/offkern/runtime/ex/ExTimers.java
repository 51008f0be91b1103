package dev.offkern.runtime.ex;

import dev.offkern.nt.KDEFERRED_ROUTINE;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.pool.Pools;

/**
 * What a kernel's EX_TIMER routines ({@link ExTimer}) need from it: the kernel core (timer table,
 * routine table, bug checks), the pools the timers are allocated from and freed to, and the one
 * DPC routine every EX_TIMER's {@code TimerDpc} holds (so one upcall stub per kernel serves all
 * timers). Created at boot by the kernel; the DDI passes it to {@link ExTimer}, so no EX_TIMER code
 * looks the kernel up. Immutable; safe to share between threads.
 */
public final class ExTimers {
    final KernelCore core;
    final Pools pools;
    /** The DPC routine of every EX_TIMER of this kernel: delivers one expiry (see {@link ExTimer#deliver}). */
    final KDEFERRED_ROUTINE delivery;

    public ExTimers(KernelCore core, Pools pools) {
        this.core = core;
        this.pools = pools;
        this.delivery = (dpc, context, arg1, arg2) -> ExTimer.deliver(this, context.address());
    }
}
