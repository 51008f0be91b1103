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

    static final List<Known> ALL = List.of(
            Known.of("issue8-case1-slist-crash", "^CRASH offkern_slist_pop",
                    "the shim's SLIST pop follows a corrupted Next link unchecked: SIGSEGV in offkern_slist_pop",
                    "slist.corruptListedNext", "slist.recycledHeader", "slist.freedWhileListed", "lookaside.writeAfterFree",
                    "lookaside.freeHostile")
                    .withholding(SLIST_CORRUPTION),
            Known.of("issue8-case5-block-exact", "^BYSTANDER after bitmap\\.",
                    "pointer checks accept any address inside a pool chunk: an RTL_BITMAP with SizeOfBitMap beyond its"
                            + " buffer, or a structure running past its block, overwrites the neighbours (and their SLIST links)",
                    "bitmap.scribbledHeader")
                    .withholding(BLOCK_OVERFLOW),
            Known.of("issue8-raw-segment-access",
                    "^UNDOCUMENTED \\w+ java\\.lang\\.(IndexOutOfBoundsException|IllegalArgumentException) from jdk\\.internal\\.foreign\\.",
                    "routines read or write the caller's MemorySegment directly instead of resolving the pointer: a"
                            + " zero-length (raw pointer), short or misaligned segment ends in FFM's IndexOutOfBounds or"
                            + " misaligned-access exception instead of bug check 0x50 or a clear error"),
            Known.of("issue8-case3-huge-size", "^UNDOCUMENTED ExAllocatePool\\w* java\\.lang\\.NullPointerException|^INVARIANT pool\\.hugeThenNormal",
                    "ExAllocatePool* with a huge NumberOfBytes: pages << 12 overflows, a NullPointerException escapes"
                            + " and the chunk it mapped is never used"),
            Known.of("issue8-case8-closed",
                    "from jdk\\.internal\\.foreign\\.MemorySessionImpl|^AFTER-CLOSE |^CLOSE close\\.\\w+ (java|BugCheck)",
                    "after Kernel.close() calls report FFM's bare 'Already closed' or a bug check (0x50, 0xC2/0x42"
                            + " 'never in any pool') instead of saying the kernel was closed"),
            Known.of("issue8-validate-before-mutate-runonce", "^INVARIANT runOnce\\.privateExecute: .*left the RTL_RUN_ONCE in progress",
                    "RtlRunOnceExecuteOnce marks the object in progress before it checks Context; failing on it then"
                            + " leaves every later synchronous caller waiting for ever"),
            Known.of("lost-wakeup", "^INVARIANT wait\\.lostWakeup|^HANG wait\\.withPartner",
                    "rarely (about once in 10^5 steps under two fuzzing threads) a waiter on a private event or semaphore"
                            + " misses the KeSetEvent/KeReleaseSemaphore a partner thread makes: a 5 s wait times out, or an"
                            + " infinite one never returns (seed 0xff5eed30, epochs 25 and 149)"),
            Known.of("closed-kernel-leak", "^LEAK closed kernels stay reachable",
                    "a closed Kernel is never collected: Processors registers each ThreadState with a static Cleaner whose"
                            + " action captures the Processors, which references the service threads' ThreadStates, so"
                            + " the states never become phantom reachable and the whole kernel (pool chunk tables: 512 KiB"
                            + " of heap per 4 MiB chunk) stays on the heap; Kernel.boot/close in a loop runs out of heap"),
            Known.of("issue8-case2-close-hang", "^HANG close\\.",
                    "a thread blocked in a routine stays blocked after Kernel.close()")
    );

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
