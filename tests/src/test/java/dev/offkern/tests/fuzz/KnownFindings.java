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
     * fails the run, with the waiter's timings in the report.
     */
    static final List<Known> ALL = List.of(
            Known.of("ethread-reap", "^UNDOCUMENTED \\S+ BugCheck 0x(18|C2|19)/",
                    "new with the KTHREAD-is-the-ETHREAD change (6500c79): reaping the ETHREAD of an ended Java thread (on"
                            + " another thread's first call, ThreadState.current -> ProcessManager.reap) finds it already freed:"
                            + " REFERENCE_BY_POINTER 0x18/0 in terminate (seed 0x31fa3454b4193132 epoch 37) or BAD_POOL_CALLER"
                            + " 0xC2/0xA, its block reused under another tag (seed 0x20a3260e75ad3b97 epoch 16); twice in about"
                            + " 2,000 epochs, not reproduced by replay. Some path drops one reference too many on a thread object"
                            + " (suspects: a lookup by id racing the id table's removal, or an adopted thread ended twice). Not"
                            + " yet fixed").where("ProcessManager\\.reap"),
            Known.of("ethread-reap-descriptor", "^UNDOCUMENTED \\S+ BugCheck 0x1E/0xC0000144",
                    "ethread-reap seen through the thread object's security descriptor (new once processes and threads carry"
                            + " descriptors, se-proc): the reap's stale dereference deletes a thread object whose memory another"
                            + " ETHREAD reused, whose descriptor block's RefCount then falls below 0 (seed 0xf24264d504743cfe"
                            + " epoch 26, twice in one epoch; not reproduced by replay). Same root cause as ethread-reap; not yet"
                            + " fixed").where("security descriptor at 0x[0-9a-f]+ fell below 0[\\s\\S]*ProcessManager\\.reap"),
            Known.of("ethread-free-batch", "^UNDOCUMENTED \\S+ java\\.lang\\.ArrayIndexOutOfBoundsException",
                    "new with the KTHREAD-is-the-ETHREAD change (reported by its helper: seed 0xf5d8a89192d3ba2a epoch 10, not"
                            + " reproduced by replay): a thread's first call makes its ETHREAD from pool and ThreadCache.push"
                            + " meets a corrupt free batch of that size class (likely a write through a stale pointer into a freed"
                            + " Thread object); the pool should answer a corrupt batch with a pool bug check, not an index"
                            + " exception. Not yet fixed").where("ThreadCache\\.push"),
            Known.of("ethread-partner-first-call", "^HANG \\S+[wW]ithPartner",
                    "new with the KTHREAD-is-the-ETHREAD change (reported by its helper: seed 0xc92c2fc1b51dc1b7 epoch 53, HANG"
                            + " rundown.waitWithPartner): a partner thread's first call must now make its ETHREAD from pool and"
                            + " can fail (pool full, or the reap findings above); the partner then never signals and its caller"
                            + " waits until the watchdog closes the kernel. Matched only when the hang report names a failed"
                            + " partner. Not yet fixed").where("last failure of partner"));

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
