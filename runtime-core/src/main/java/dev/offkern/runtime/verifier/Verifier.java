package dev.offkern.runtime.verifier;


/**
 * The verifier's master switch. {@link #ENABLED} is a {@code static final} read once from the
 * system property {@code offkern.verifier} (default {@code true}): when it is false the JIT folds
 * every {@code if (Verifier.ENABLED)} check away, so the fast paths carry no checks.
 *
 * <p>Below the master switch each kernel runs the check families named in
 * {@link dev.offkern.runtime.KernelConfig#verifierChecks()} ({@link VerifierCheck}); a routine
 * tests its family on the calling thread's state ({@code ThreadState.verifies(VerifierCheck)}, in
 * {@code dev.offkern.runtime.ke}). Routines put their verifier checks first and raise the
 * documented bug check through {@link dev.offkern.runtime.Kernel#bugCheck}; the IRQL helpers
 * are in {@code dev.offkern.runtime.ke.IrqlChecks}.
 */
public final class Verifier {
    /** Whether verifier checks are compiled in for this JVM. */
    public static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("offkern.verifier", "true"));

    private Verifier() {
    }
}
