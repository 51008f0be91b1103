package dev.offkern.runtime.srm;

/** A token or access-check routine's documented NTSTATUS failure, thrown inside the manager and returned at its edge. */
final class SeFailure extends RuntimeException {
    private final int status;

    SeFailure(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }
}
