package dev.offkern.runtime.ob;

/**
 * An object-manager routine's failure NTSTATUS on its way out of nested helpers: caught at the
 * routine's boundary ({@link ObRoutines}) and returned as the routine's status. No stack trace (it
 * is control flow, not a bug).
 */
public final class ObFailure extends RuntimeException {
    private final int status;

    public ObFailure(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    /** The NTSTATUS. */
    public int status() {
        return status;
    }
}
