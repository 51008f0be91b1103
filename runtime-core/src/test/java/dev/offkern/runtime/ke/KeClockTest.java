package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeClockTest {
    @TempDir
    Path dumps;
    Kernel kernel;

    @AfterEach
    void close() {
        if (kernel != null) {
            kernel.close();
        }
    }

    @Test
    void shouldReportTheConfiguredTimeIncrementAndTickGranularTimes() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps).withTimeIncrement(20_000));
        assertEquals(20_000, KeQueryTimeIncrement());
        long it = KeQueryInterruptTime();
        assertEquals(0, it % 20_000, "interrupt time moves in whole ticks");
        long precise = KeQueryInterruptTimePrecise();
        assertTrue(precise >= it && precise - it < 2 * 20_000);
        long ticks = KeQueryTickCount();
        assertTrue(ticks >= it / 20_000 && ticks <= precise / 20_000 + 1);
    }

    @Test
    void shouldGiveSystemTimeAsUtcSince1601() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps));
        Instant now = Instant.now();
        long expected = 116_444_736_000_000_000L + now.getEpochSecond() * 10_000_000L + now.getNano() / 100;
        long precise = KeQuerySystemTimePrecise();
        assertTrue(Math.abs(precise - expected) < 10_000_000L, "within a second of the wall clock");
        long coarse = KeQuerySystemTime();
        assertTrue(coarse <= KeQuerySystemTimePrecise());
        assertTrue(KeQuerySystemTimePrecise() - coarse < 10_000_000L);
    }

    @Test
    void shouldKeepInterruptTimeMonotonic() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps));
        long last = KeQueryInterruptTimePrecise();
        for (int i = 0; i < 10_000; i++) {
            long now = KeQueryInterruptTimePrecise();
            assertTrue(now >= last);
            last = now;
        }
    }

    @Test
    void shouldStallForAtLeastTheGivenMicroseconds() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps));
        long start = System.nanoTime();
        KeStallExecutionProcessor(500);
        assertTrue(System.nanoTime() - start >= 500_000);
    }

    @Test
    void shouldRefuseATimeIncrementOutsideWindowsRange() {
        assertThrows(IllegalArgumentException.class, () -> KernelConfig.defaults().withTimeIncrement(999));
        assertThrows(IllegalArgumentException.class, () -> KernelConfig.defaults().withTimeIncrement(156_251));
    }
}
