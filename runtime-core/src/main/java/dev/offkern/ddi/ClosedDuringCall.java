package dev.offkern.ddi;

/**
 * What a DDI routine throws when memory it is using is unmapped under it: {@code Kernel.close()}
 * ran on another thread while the call was in progress (its pools, thread blocks and lists are
 * unmapped), or the caller closed the arena of a segment it passed. A call that starts after the
 * close is refused at entry with "this offkern kernel is closed"; one already inside meets FFM's
 * bare {@code IllegalStateException("Already closed")} at its next access, which every facade
 * routine turns into this message (naming both possible causes) with FFM's exception as the cause.
 * Any other IllegalStateException passes through unchanged.
 *
 * <p>Stateless; the check runs only on the exception path (a try/catch costs nothing otherwise).
 */
final class ClosedDuringCall {
    private ClosedDuringCall() {
    }

    /** {@code e} itself, or for FFM's "Already closed" an IllegalStateException saying the kernel was closed. */
    static RuntimeException check(IllegalStateException e) {
        StackTraceElement[] st = e.getStackTrace();
        if (st.length > 0 && st[0].getClassName().startsWith("jdk.internal.foreign.")) {
            return new IllegalStateException("memory this call was using was unmapped during the call: the offkern kernel"
                    + " was closed (Kernel.close() ran on another thread), or the arena of a segment passed in was closed", e);
        }
        return e;
    }
}
