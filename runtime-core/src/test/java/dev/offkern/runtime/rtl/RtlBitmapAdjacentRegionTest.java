package dev.offkern.runtime.rtl;

import static dev.offkern.ddi.Rtl.RtlInitializeBitMap;
import static dev.offkern.ddi.Rtl.RtlSetAllBits;
import static dev.offkern.ddi.Rtl.RtlSetBit;
import static dev.offkern.ddi.Rtl.RtlSetBits;
import static dev.offkern.ddi.Rtl.RtlTestBit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A bitmap buffer directly followed by another registered region (what made
 * RtlBitmapPropertyTest.trustedRangesShouldFaultExactlyWhenTheyLeaveRegisteredMemory fail once: two
 * malloc'ed regions happened to be adjacent). A trusted range past the buffer lands in the neighbour,
 * which is registered memory but not the buffer's: it faults (0x50) and the neighbour is untouched,
 * with the verifier's SPECIAL_POOL family (block-exact) and without it (the always-on check).
 */
class RtlBitmapAdjacentRegionTest {

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void shouldFaultWhenATrustedRangeRunsIntoAnAdjacentRegion(boolean specialPool) {
        EnumSet<VerifierCheck> checks = EnumSet.allOf(VerifierCheck.class);
        if (!specialPool) {
            checks.remove(VerifierCheck.SPECIAL_POOL);
        }
        try (Kernel kernel = Kernel.boot(KernelConfig.defaults().withVerifierChecks(checks)).attach();
             Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(4096, 16);
            MemorySegment buffer = memory.asSlice(0, 4);
            MemorySegment neighbour = memory.asSlice(4, 64);
            var a = kernel.addressSpace().register(buffer, "bitmap buffer");
            var b = kernel.addressSpace().register(neighbour, "someone else's memory");
            MemorySegment header = memory.asSlice(1024, 16);
            RtlInitializeBitMap(header, buffer, 32);
            RtlSetBits(header, 0, 32); // the whole buffer: fine
            for (Runnable call : new Runnable[] {() -> RtlSetBits(header, 32, 1), () -> RtlSetBits(header, 31, 2),
                    () -> RtlSetBit(header, 40), () -> RtlTestBit(header, 33)}) {
                BugCheck stop = assertThrows(BugCheck.class, call::run);
                assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, stop.code(), stop.getMessage());
            }
            RtlInitializeBitMap(header, MemorySegment.ofAddress(buffer.address()), 64); // SizeOfBitMap larger than the buffer
            assertThrows(BugCheck.class, () -> RtlSetAllBits(header));
            for (long i = 0; i < neighbour.byteSize(); i++) {
                assertEquals(0, neighbour.get(ValueLayout.JAVA_BYTE, i), "the neighbouring region is untouched");
            }
            kernel.addressSpace().unregister(a);
            kernel.addressSpace().unregister(b);
        }
    }
}
