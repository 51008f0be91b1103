package dev.offkern.runtime.pool;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.verifier.BugCheckSink;
import dev.offkern.runtime.verifier.Verifier;
import org.junit.jupiter.api.Test;

/**
 * Kernel.close() racing a pool call: the call says the kernel was closed, never a bug check raised
 * on a kernel that can no longer run its bug-check machinery. The race is made deterministic with
 * a bug-check sink whose kernel reports itself closed (close() ran after the call's open check).
 */
class PoolsCloseRaceTest {

    /** A sink that builds the bug check, as a kernel closed meanwhile returns it (no callbacks, no dump). */
    private static final BugCheckSink CLOSED_MEANWHILE = new BugCheckSink() {
        @Override
        public BugCheck bugCheck(int code, long p1, long p2, long p3, long p4, String detail) {
            return new BugCheck(code, p1, p2, p3, p4, detail);
        }

        @Override
        public boolean closed() {
            return true;
        }
    };

    /** Fuzz finding (seed 0x90e4dcb511e43cda, epoch 58): ExAllocatePool(NonPagedPoolMustSucceed) during close raised 0xC2. */
    @Test
    void shouldSayTheKernelIsClosedWhenCloseRacesALegacyAllocationTheVerifierRefuses() {
        assertTrue(Verifier.ENABLED, "needs the verifier (the default)");
        AddressSpace space = new AddressSpace();
        Pools pools = new Pools(space, CLOSED_MEANWHILE, 1L << 20, 1L << 20, 64L << 10, true);
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> pools.allocateWithTag(PoolType.NonPagedPoolMustSucceed, 462, PoolTags.NONE, false));
            assertTrue(e.getMessage().contains("kernel is closed"), e.getMessage());
            assertTrue(e.getCause() instanceof BugCheck, "the refusal it would have raised is the cause");
        } finally {
            pools.closeAndReport();
        }
    }

    /**
     * The lookups a call makes on a block it holds (its segment, its lookaside parking mark) after
     * Kernel.close() unmapped the pool under it: each says the kernel was closed, never a
     * NullPointerException (park, unpark) or "not in NonPagedPool" (segmentOf).
     */
    @Test
    void shouldSayTheKernelIsClosedToBlockLookupsMadeAfterThePoolWasUnmapped() {
        AddressSpace space = new AddressSpace();
        Pools pools = new Pools(space, BugCheckSink.DETACHED, 1L << 20, 1L << 20, 64L << 10, true);
        Pool pool = pools.nonPaged();
        pool.irqlSourceForTest(() -> 0); // PASSIVE_LEVEL: no kernel here to ask
        long block = pool.allocate(64, PoolTags.NONE, 0);
        pools.closeAndReport();
        for (Runnable call : new Runnable[] {() -> pool.segmentOf(block), () -> pool.park(block), () -> pool.unpark(block)}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call::run);
            assertTrue(e.getMessage().contains("closed") && e.getMessage().contains("kernel"), e.getMessage());
        }
    }
}
