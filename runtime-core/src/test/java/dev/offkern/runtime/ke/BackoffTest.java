package dev.offkern.runtime.ke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one spin policy: SPIN_LIMIT spinning rounds, then yield (spinOrYield) or block (spin). */
class BackoffTest {
    @Test
    void shouldSpinForTheLimitThenTellTheCallerToBlock() {
        int rounds = 0;
        while (Backoff.spin(rounds)) {
            rounds++;
        }
        assertEquals(Backoff.SPIN_LIMIT, rounds);
        assertFalse(Backoff.spin(Backoff.SPIN_LIMIT + 5));
    }

    @Test
    void shouldCountSpinningRoundsThenSaturateWhileYielding() {
        int round = 0;
        for (int i = 0; i < Backoff.SPIN_LIMIT; i++) {
            round = Backoff.spinOrYield(round);
        }
        assertEquals(Backoff.SPIN_LIMIT, round);
        assertEquals(Backoff.SPIN_LIMIT, Backoff.spinOrYield(round), "yielding rounds do not count further");
        assertTrue(Backoff.SPIN_LIMIT > 0);
    }
}
