package dev.offkern.runtime.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The verifier's block-exact check against an address space that is closing: Kernel.close() closes
 * the address space, then the pools free their blocks and unregister their chunks. A call racing it
 * (ExSListCloseRaceTest's push, whose entry check runs in Java) must get the closed kernel's
 * exception, not the 0xD5/0xD6/0x50 the torn-down pool would otherwise earn it.
 */
class AddressSpaceCloseTest {

    @Test
    void shouldReportClosedInsteadOfABugCheckWhenAnEntryFailsTheBlockCheckAfterClose() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(4096, 16);
            AtomicLong live = new AtomicLong(64); // the block at the chunk's base: 64 live bytes
            AddressSpace space = new AddressSpace();
            Region region = space.register(chunk, "pool chunk", address -> address == chunk.address() ? live.get()
                    : BlockMap.OUTSIDE);
            assertEquals(region, space.checkLive(chunk.address(), chunk.address(), 16, true));
            live.set(BlockMap.FREED);
            BugCheck freed = assertThrows(BugCheck.class,
                    () -> space.checkLive(chunk.address(), chunk.address(), 16, true));
            assertEquals(BugCheckCode.DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, freed.code(), freed.getMessage());

            space.close(); // what Kernel.close() does first; then the pools free and unregister
            for (long verdict : new long[] {BlockMap.FREED, BlockMap.OUTSIDE, 8}) {
                live.set(verdict);
                IllegalStateException closed = assertThrows(IllegalStateException.class,
                        () -> space.checkLive(chunk.address(), chunk.address(), 16, true));
                assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            }
            space.unregister(region);
            IllegalStateException gone = assertThrows(IllegalStateException.class,
                    () -> space.checkLive(chunk.address(), chunk.address(), 16, true));
            assertTrue(gone.getMessage().contains("closed"), gone.getMessage());
        }
    }
}
