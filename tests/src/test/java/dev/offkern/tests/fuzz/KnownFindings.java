package dev.offkern.tests.fuzz;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Findings the fuzzer has reported that are not fixed yet. A finding whose signature matches an
 * entry is still printed (as {@code FUZZ-KNOWN}, with its count, in every run's summary) but does
 * not fail the run; an entry may also disable operations that would crash or hang the JVM today,
 * and every run prints those as {@code FUZZ-DISABLED}. Remove an entry when its fix lands: the
 * fuzzer then fails if the finding comes back. Nothing here is silent.
 */
final class KnownFindings {
    private KnownFindings() {
    }

    /**
     * @param id          short name (the issue case it belongs to)
     * @param signature   regular expression over finding signatures
     * @param disabledOps operations not run while the entry stands (they crash or hang the JVM)
     * @param why         what is wrong
     */
    record Known(String id, Pattern signature, Pattern detail, Set<String> disabledOps, Set<String> disabledInputs, String why) {
        static Known of(String id, String regex, String why, String... disabledOps) {
            return new Known(id, Pattern.compile(regex), null, Set.of(disabledOps), Set.of(), why);
        }

        /** This entry matches only findings whose report (message and stack) also matches {@code regex}. */
        Known where(String regex) {
            return new Known(id, signature, Pattern.compile(regex), disabledOps, disabledInputs, why);
        }

        /** This entry also withholds the hostile inputs named (see {@link #SLIST_CORRUPTION}). */
        Known withholding(String... inputs) {
            return new Known(id, signature, detail, disabledOps, Set.of(inputs), why);
        }

        boolean matches(String findingSignature, String findingDetail) {
            return signature.matcher(findingSignature).find() && (detail == null || detail.matcher(findingDetail).find());
        }
    }

    /**
     * Hostile input class: anything that can leave an SLIST (or a lookaside list's SLIST) with a
     * bad link — hostile or freed entries pushed, blocks freed to the wrong lookaside, stale
     * pointers to freed blocks (which may be listed again by then), scribbled pointers into entries.
     */
    static final String SLIST_CORRUPTION = "slist-corruption";

    /**
     * Hostile input class: a pointer or size that makes a routine write past the block it was
     * given (an RTL_BITMAP whose SizeOfBitMap exceeds its buffer, a structure that starts inside a
     * block and ends past it, a pointer to a POOL_HEADER, scribbled Buffer pointers and sizes).
     */
    static final String BLOCK_OVERFLOW = "block-overflow";

    /** Hostile input class: an event's wait list scribbled while a thread waits on it, in an epoch whose policy is HALT. */
    static final String WAIT_LIST_CORRUPTION_UNDER_HALT = "wait-list-corruption-under-halt";

    /**
     * Open findings. Every other finding reported so far is fixed, each with a regression test
     * (issue 8's cases; the closed-kernel leak, bug check under the dispatcher lock,
     * KeDelayExecutionThread-at-close, DPC-queue and stale-IO_CSQ findings: KeWaitShutdownTest,
     * KernelLifecycleTest, ClosedKernelTest, KeDpcTest). The lost wake-up on a private event
     * (wait.lostWakeup / HANG wait.withPartner, once in 230-500 epochs until session 18) was never
     * reproduced on purpose and has not been seen in 4,128 fuzzing epochs since 568ce0e stopped
     * KeRemoveQueueDpc from CAS-ing a "DpcLock" in arbitrary memory (a plausible cause: a stale KDPC's
     * DpcData pointing at a live event or wait block); its entry is removed so that a recurrence
     * fails the run, with the waiter's timings in the report. The three ETHREAD findings that came
     * with the KTHREAD-is-the-ETHREAD change (ethread-reap, ethread-free-batch,
     * ethread-partner-first-call) had one cause, the fuzzer's stale ExFreePool of a block the pool had
     * reused for a new thread's ETHREAD: Thread objects now live in segregated pool memory
     * (EThreadLifetimeTest, PoolSegregationTest; docs/fuzzing.md).
     */
    static final List<Known> ALL = List.of();

    /** The entry matching a finding's {@code signature} and {@code detail} (its report), or null. */
    static Known match(String signature, String detail) {
        for (Known k : ALL) {
            if (k.matches(signature, detail)) {
                return k;
            }
        }
        return null;
    }

    /** Whether an entry withholds hostile input class {@code input}. */
    static Known withholding(String input) {
        for (Known k : ALL) {
            if (k.disabledInputs().contains(input)) {
                return k;
            }
        }
        return null;
    }

    /** Whether an entry disables operation {@code op}. */
    static Known disabling(String op) {
        for (Known k : ALL) {
            if (k.disabledOps().contains(op)) {
                return k;
            }
        }
        return null;
    }
}
