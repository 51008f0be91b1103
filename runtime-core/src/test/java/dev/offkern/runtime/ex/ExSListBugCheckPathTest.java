package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.InitializeSListHead;
import static dev.offkern.ddi.Ex.InterlockedPopEntrySList;
import static dev.offkern.ddi.Ex.InterlockedPushEntrySList;
import static dev.offkern.ddi.Ke.KeInitializeCallbackRecord;
import static dev.offkern.ddi.Ke.KeRegisterBugCheckCallback;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corrupted SLIST link found by the shim is raised through the kernel's one bug-check path, not
 * built as an exception on the spot: the registered callbacks run, a dump is written, and under the
 * HALT policy the kernel halts.
 */
class ExSListBugCheckPathTest {
    private static final long SCRIBBLE = 0x4242_4242_4242_4242L;

    @TempDir
    Path dumps;
    private Kernel kernel;
    private TestMemory mem;
    private final Arena arena = Arena.ofShared();

    @AfterEach
    void close() {
        if (mem != null) {
            mem.close();
        }
        if (kernel != null) {
            kernel.close();
        }
        arena.close();
    }

    private void boot(BugCheckPolicy policy) {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)
                .withBugCheckPolicy(policy)).attach();
        mem = new TestMemory(kernel, 64 * 1024);
    }

    private int[] countingCallback() {
        int[] calls = {0};
        MemorySegment record = arena.allocate(0x40, 8);
        KeInitializeCallbackRecord(record);
        KeRegisterBugCheckCallback(record, (buffer, length) -> calls[0]++, MemorySegment.NULL, 0,
                arena.allocateFrom("ExSListBugCheckPathTest"));
        return calls;
    }

    /** A list of two entries whose second link is scribbled: the first pop works, the second faults. */
    private MemorySegment corruptedList() {
        MemorySegment head = mem.at(0, 16);
        InitializeSListHead(head);
        InterlockedPushEntrySList(head, mem.at(64, 16));
        MemorySegment top = mem.at(128, 16);
        InterlockedPushEntrySList(head, top);
        top.set(ValueLayout.JAVA_LONG, 0, SCRIBBLE);
        InterlockedPopEntrySList(head);
        return head;
    }

    @Test
    void shouldRunCallbacksAndWriteADumpForACorruptedLink() {
        boot(BugCheckPolicy.THROW);
        int[] calls = countingCallback();
        MemorySegment head = corruptedList();
        BugCheck b = assertThrows(BugCheck.class, () -> InterlockedPopEntrySList(head));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, b.code());
        assertEquals(SCRIBBLE & ~0xFL, b.parameter1());
        assertTrue(b.getMessage().contains("links to 0x" + Long.toHexString(SCRIBBLE & ~0xFL)), b.getMessage());
        assertEquals(1, calls[0], "the registered callback ran");
        assertNotNull(kernel.bugChecks().last().dumpFile(), "a dump was written");
    }

    @Test
    void shouldHaltTheKernelForACorruptedLinkUnderTheHaltPolicy() {
        boot(BugCheckPolicy.HALT);
        int[] calls = countingCallback();
        MemorySegment head = corruptedList();
        KernelHaltedException e = assertThrows(KernelHaltedException.class, () -> InterlockedPopEntrySList(head));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, e.code());
        assertArrayEquals(new long[] {SCRIBBLE & ~0xFL, 0, 0, 0}, e.parameters());
        assertEquals(1, calls[0]);
        assertTrue(kernel.isHalted());
    }
}
