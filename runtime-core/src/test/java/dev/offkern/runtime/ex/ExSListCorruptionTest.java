package dev.offkern.runtime.ex;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression tests for issue 8 #1: each caller mistake that used to kill the JVM with SIGSEGV in
 * {@code offkern_slist_pop} is now bug check PAGE_FAULT_IN_NONPAGED_AREA (0x50) naming the bad
 * address, and the JVM carries on.
 *
 * <p>Each scenario ({@link SListCorruptionScenarios}) runs in a child JVM: if a regression made the
 * shim dereference the bad address again, the crash kills the child, and this test fails with the
 * child's exit status and output (hs_err included) instead of taking the whole surefire fork, and
 * every test after it, down with it.
 */
class ExSListCorruptionTest {

    @ParameterizedTest
    @ValueSource(strings = {"nextOverwrittenWhileListed", "uninitialisedHeader", "entryFreedWhileListed",
            "pushListFirstNotLinkedToLast", "lookasideBlockWrittenAfterFree"})
    void shouldRaisePageFaultBugCheckWithTheBadAddressAndSurvive(String scenario) throws Exception {
        ChildJvm child = ChildJvm.run(Duration.ofMinutes(2), SListCorruptionScenarios.class, scenario);
        assertEquals(0, child.exitStatus(), () -> "child JVM for " + scenario + " ended with status " + child.exitStatus()
                + " (134 = crashed by a signal):\n" + child.output());
        String line = child.resultLine("BUGCHECK", "NO BUGCHECK", "EXCEPTION");
        long expected = SListCorruptionScenarios.expectedAddress(scenario);
        assertEquals(String.format(Locale.ROOT, "BUGCHECK 0x50 P1=0x%X EXPECTED_P1=0x%X", expected, expected), line,
                child::output);
    }
}
