package dev.offkern.tests.fuzz;

/** A routine returned, but what it returned or left behind breaks its contract: always a finding. */
final class FuzzInvariantException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FuzzInvariantException(String message) {
        super(message);
    }
}
