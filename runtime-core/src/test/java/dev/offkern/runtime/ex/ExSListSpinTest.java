package dev.offkern.runtime.ex;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A thread spinning on an empty SLIST must not hold off safepoints and handshakes: the shim's
 * downcalls are critical (no safepoint poll of their own) and C2 drops the poll of a loop that makes
 * one on every iteration, so without the shim's periodic poll request the GCs, the arena close and
 * {@code Kernel.close()} in {@link SListSpinScenario} would wait forever. A hang freezes every
 * thread of the JVM at the safepoint, this test's timeout included, so the scenario runs in a child
 * JVM with a deadline.
 */
class ExSListSpinTest {

    @Test
    void shouldLetSafepointsAndKernelCloseThroughWhileAThreadSpinsOnAnEmptyList() throws Exception {
        ChildJvm child = ChildJvm.run(Duration.ofSeconds(90), SListSpinScenario.class);
        assertEquals(0, child.exitStatus(), child::output);
        assertEquals("OK", child.resultLine("OK"));
    }
}
