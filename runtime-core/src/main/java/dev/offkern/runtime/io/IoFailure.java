package dev.offkern.runtime.io;

/** An NTSTATUS failure inside the I/O manager, turned into the routine's return value at its entry. */
final class IoFailure extends RuntimeException {
    private final int status;

    IoFailure(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }
}
