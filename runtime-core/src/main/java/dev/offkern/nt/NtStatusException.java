package dev.offkern.nt;

import java.util.Locale;

/**
 * An NTSTATUS raised as an exception, as Windows raises one with {@code ExRaiseStatus} (for example
 * STATUS_INSUFFICIENT_RESOURCES from an allocation made with POOL_FLAG_RAISE_ON_FAILURE). Catch it
 * where the C code would have a {@code __try/__except}.
 */
public final class NtStatusException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /** @param status the NTSTATUS raised; @param message what failed */
    public NtStatusException(int status, String message) {
        super(String.format(Locale.ROOT, "NTSTATUS 0x%08X: %s", status, message));
        this.status = status;
    }

    /** The NTSTATUS raised. */
    public int status() {
        return status;
    }
}
