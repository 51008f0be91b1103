package dev.offkern.runtime.verifier;

import dev.offkern.nt.BugCheck;

/**
 * Where a manager reports a bug check: the one bug-check path of its kernel ({@code KeBugCheckEx}:
 * callbacks, dump, then the THROW/HALT policy). Managers below the kernel core (the address space,
 * the pools) take a sink instead of the whole kernel.
 */
@FunctionalInterface
public interface BugCheckSink {

    /**
     * Raises bug check {@code code} with its four parameters. Under the THROW policy it returns the
     * exception for the caller to throw ({@code throw sink.bugCheck(...)}), so that control flow stays
     * visible; under HALT it halts the kernel and throws {@link dev.offkern.nt.KernelHaltedException}.
     */
    BugCheck bugCheck(int code, long p1, long p2, long p3, long p4, String detail);

    /**
     * Whether the kernel behind this sink has been closed (a bug check raised then runs no callbacks
     * and writes no dump: the caller should say the kernel was closed instead). False for a sink
     * without a kernel.
     */
    default boolean closed() {
        return false;
    }

    /** A sink that only builds the exception: for an address space used without a kernel (tests, tools). */
    BugCheckSink DETACHED = BugCheck::new;
}
