package dev.offkern.nt;

/**
 * What a kernel does after a bug check has run its callbacks and written its dump.
 */
public enum BugCheckPolicy {
    /**
     * The kernel stops: the bug check is thrown to the caller as a {@link KernelHaltedException}
     * and every later call into the kernel (from any thread) fails fast with a
     * {@link KernelHaltedException} carrying the original code and parameters. This is what
     * Windows does (the machine stops) made observable.
     */
    HALT,
    /**
     * The bug check is thrown to the caller as the unchecked
     * {@link dev.offkern.nt.BugCheck} carrying code and parameters; the kernel keeps
     * running, so a test can assert on the failure and continue.
     */
    THROW
}
