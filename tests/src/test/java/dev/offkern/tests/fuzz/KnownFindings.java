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
    record Known(String id, Pattern signature, Set<String> disabledOps, Set<String> disabledInputs, String why) {
        static Known of(String id, String regex, String why, String... disabledOps) {
            return new Known(id, Pattern.compile(regex), Set.of(disabledOps), Set.of(), why);
        }

        /** This entry also withholds the hostile inputs named (see {@link #SLIST_CORRUPTION}). */
        Known withholding(String... inputs) {
            return new Known(id, signature, disabledOps, Set.of(inputs), why);
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
     * (issue 8's cases; the lost wake-up, closed-kernel leak, bug check under the dispatcher lock and
     * KeDelayExecutionThread-at-close findings: KeWaitShutdownTest, KernelLifecycleTest, ClosedKernelTest);
     * no operation is disabled and no hostile input withheld.
     */
    static final List<Known> ALL = List.of(
            Known.of("lost-wakeup", "^INVARIANT wait\\.lostWakeup: lost wake-up|^HANG wait\\.withPartner",
                    "very rarely (once in about 230 epochs, after the heap leak and the timeout-versus-set race were"
                            + " removed) KeSetEvent on a private synchronization event consumes the signal (the event is"
                            + " reset afterwards) while its only waiter, a partner thread, times out: the set satisfied"
                            + " some other wait; or (HANG wait.withPartner, seed 0x8d9d0f1c3560ac50 epoch 47) an infinite wait"
                            + " a partner signals is never woken. Not yet diagnosed. Closed since: a KWAIT_BLOCK left on a"
                            + " list by an abandoned wait can no longer satisfy its thread's (or a recycled thread block's"
                            + " new owner's) unrelated wait: a signal checks that each block is one of its thread's current"
                            + " wait on that object (0x139 otherwise; KeEventTest). A diagnostic build that logged every such"
                            + " stale block saw none in ~480 epochs, so that was not this finding's cause"
                            + " (seed 0xcc4c54cd3b77e3a2, epoch 193; KeWaitPartnerTortureTest does not reproduce it)"));

    /** The entry matching {@code signature}, or null. */
    static Known match(String signature) {
        for (Known k : ALL) {
            if (k.signature().matcher(signature).find()) {
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
