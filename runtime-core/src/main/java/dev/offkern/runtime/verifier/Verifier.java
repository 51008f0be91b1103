package dev.offkern.runtime.verifier;

import dev.offkern.runtime.ke.ThreadState;

/**
 * The verifier's master switch. {@link #ENABLED} is a {@code static final} read once from the
 * system property {@code offkern.verifier} (default {@code true}): when it is false the JIT folds
 * every {@code if (Verifier.ENABLED)} check away, so the fast paths carry no checks.
 *
 * <p>Below the master switch each kernel runs the check families named in
 * {@link dev.offkern.runtime.KernelConfig#verifierChecks()} ({@link VerifierCheck}); a routine
 * tests its family with {@link #enabled(VerifierCheck)} (or {@link ThreadState#verifies} when it
 * already holds the calling thread's state). Routines put their verifier checks first and raise
 * the documented bug check through {@link dev.offkern.runtime.Kernel#bugCheck}; the IRQL helpers
 * are in {@link IrqlChecks}.
 */
public final class Verifier {
    /** Whether verifier checks are compiled in for this JVM. */
    public static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("offkern.verifier", "true"));

    private Verifier() {
    }

    /**
     * Whether check family {@code check} runs for the calling thread: the master switch, then the
     * configuration of the thread's kernel. Write {@code if (Verifier.ENABLED && Verifier.enabled(c))}
     * on hot paths so that nothing is evaluated with the switch off.
     */
    public static boolean enabled(VerifierCheck check) {
        return ENABLED && ThreadState.current().verifies(check);
    }
}
