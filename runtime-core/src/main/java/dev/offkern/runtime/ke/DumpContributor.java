package dev.offkern.runtime.ke;

import java.util.function.Supplier;

/**
 * A named text section other parts of the runtime add to every dump (a CONTRIBUTION section),
 * e.g. the pool's tag summary ({@link BugChecks#POOL_TAG_SUMMARY}). The supplier runs on the
 * bug-checking thread at HIGH_LEVEL: it must not block; if it throws, the section says so.
 */
public record DumpContributor(String name, Supplier<String> contents) {
}
