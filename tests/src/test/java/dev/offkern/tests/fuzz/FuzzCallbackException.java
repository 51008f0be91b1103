package dev.offkern.tests.fuzz;

/** Thrown by the fuzzer's own callbacks (lookaside allocate/free, run-once init, bug-check callbacks). */
final class FuzzCallbackException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FuzzCallbackException(String message) {
        super(message, null, false, false);
    }
}
