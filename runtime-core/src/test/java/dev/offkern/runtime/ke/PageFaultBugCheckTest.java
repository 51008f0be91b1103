package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.KeGetCurrentIrql;
import static dev.offkern.ddi.Ke.KeInitializeCallbackRecord;
import static dev.offkern.ddi.Ke.KeRegisterBugCheckCallback;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Rtl;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A page fault (an address outside every region, PAGE_FAULT_IN_NONPAGED_AREA 0x50) takes the one
 * bug-check path: the callbacks run, the dump is written, and the THROW/HALT policy applies — the
 * address space no longer builds its exception on its own (issue: "A page fault skips the
 * bug-check machinery").
 */
class PageFaultBugCheckTest {
    private static final long UNMAPPED = 0x1000;

    @TempDir
    Path dumps;
    Kernel kernel;
    final Arena arena = Arena.ofShared();

    @AfterEach
    void close() {
        if (kernel != null) {
            kernel.close();
        }
        arena.close();
    }

    private int[] registerCountingCallback() {
        int[] calls = {0};
        MemorySegment record = arena.allocate(0x40, 8);
        KeInitializeCallbackRecord(record);
        KeRegisterBugCheckCallback(record, (buffer, length) -> calls[0]++, MemorySegment.NULL, 0,
                arena.allocateFrom("PageFaultTest"));
        return calls;
    }

    @Test
    void shouldRunCallbacksAndWriteADumpWhenAPageFaultIsRaised() throws Exception {
        kernel = KernelFixture.boot(dumps, BugCheckPolicy.THROW, true);
        int[] calls = registerCountingCallback();
        BugCheck bc = assertThrows(BugCheck.class, () -> Rtl.RtlClearAllBits(MemorySegment.ofAddress(UNMAPPED)));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, bc.code());
        assertEquals(UNMAPPED, bc.parameter1());
        assertEquals(1, calls[0], "the registered callback ran once");
        assertNotNull(kernel.bugChecks().last(), "the bug check was recorded");
        Path dump = kernel.bugChecks().last().dumpFile();
        assertNotNull(dump, "a dump was written");
        assertTrue(Files.size(dump) > 0);
        assertEquals(0, KeGetCurrentIrql(), "THROW: the caller continues at its IRQL");
    }

    @Test
    void shouldHaltTheKernelOnAPageFaultUnderTheHaltPolicy() {
        kernel = KernelFixture.boot(dumps, BugCheckPolicy.HALT, true);
        int[] calls = registerCountingCallback();
        KernelHaltedException e = assertThrows(KernelHaltedException.class,
                () -> Rtl.RtlClearAllBits(MemorySegment.ofAddress(UNMAPPED)));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, e.code());
        assertArrayEquals(new long[] {UNMAPPED, 0, 0, 0}, e.parameters());
        assertEquals(1, calls[0]);
        assertTrue(kernel.isHalted());
        assertThrows(KernelHaltedException.class, () -> KeGetCurrentIrql(), "every later call fails fast");
    }
}
