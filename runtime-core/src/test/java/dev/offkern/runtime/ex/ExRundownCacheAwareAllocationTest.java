package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.ExAcquireRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExAllocateCacheAwareRundownProtection;
import static dev.offkern.ddi.Ex.ExFreeCacheAwareRundownProtection;
import static dev.offkern.ddi.Ex.ExInitializeRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExReleaseRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExSizeOfRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExWaitForRundownProtectionReleaseCacheAware;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.pool.PoolUsage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ExRundownCacheAwareAllocationTest {
    private static final int TAG = PoolTags.tag("RdTs");

    private static PoolUsage usage(Kernel k, int tag) {
        return k.nonPagedPool().usage().stream().filter(u -> u.tag() == tag).findFirst()
                .orElse(new PoolUsage(tag, 0, 0, 0, 0));
    }

    @Test
    void shouldAllocateFromThePoolInitializeAndFreeIt() {
        try (Kernel k = Kernel.boot()) {
            MemorySegment rr = ExAllocateCacheAwareRundownProtection(PoolType.NonPagedPool, TAG);
            assertTrue(rr.address() != 0);
            assertEquals(ExSizeOfRundownProtectionCacheAware(), rr.byteSize());
            assertEquals(rr.address(), ExRundownCacheAware.poolToFree(rr), "PoolToFree is the block itself");
            assertTrue(k.nonPagedPool().owns(ExRundownCacheAware.runRefs(rr)));
            assertEquals(k.processors().count() > 1 ? k.processors().count() : 1, ExRundownCacheAware.number(rr));
            assertEquals(1, usage(k, TAG).diff());

            assertTrue(ExAcquireRundownProtectionCacheAware(rr));
            ExReleaseRundownProtectionCacheAware(rr);
            ExWaitForRundownProtectionReleaseCacheAware(rr);
            assertFalse(ExAcquireRundownProtectionCacheAware(rr));

            ExFreeCacheAwareRundownProtection(rr);
            assertEquals(0, usage(k, TAG).diff(), "the block went back to the pool");
        }
    }

    @Test
    void shouldUseOneUnpaddedStripeOnASingleProcessor() {
        try (Kernel k = Kernel.boot(KernelConfig.defaults().withProcessorCount(1))) {
            assertEquals(0x18 + 8, ExSizeOfRundownProtectionCacheAware());
            MemorySegment rr = ExAllocateCacheAwareRundownProtection(PoolType.PagedPool, TAG);
            assertEquals(1, ExRundownCacheAware.number(rr));
            assertEquals(8, ExRundownCacheAware.runRefSize(rr));
            assertEquals(rr.address() + 0x18, ExRundownCacheAware.runRefs(rr));
            ExFreeCacheAwareRundownProtection(rr);
        }
    }

    @Test
    void shouldStripeOverEveryProcessorOfTheKernel() {
        try (Kernel k = Kernel.boot(KernelConfig.defaults().withProcessorCount(8))) {
            assertEquals(0x18 + 9 * 128, ExSizeOfRundownProtectionCacheAware());
            MemorySegment rr = ExAllocateCacheAwareRundownProtection(PoolType.NonPagedPool, TAG);
            assertEquals(8, ExRundownCacheAware.number(rr));
            assertEquals(128, ExRundownCacheAware.runRefSize(rr));
            assertEquals(0, ExRundownCacheAware.runRefs(rr) % 128);
            ExFreeCacheAwareRundownProtection(rr);
        }
    }

    @Test
    void shouldRefuseToFreeACallerOwnedStructure() {
        try (Kernel k = Kernel.boot(); Arena arena = Arena.ofConfined()) {
            long size = ExSizeOfRundownProtectionCacheAware();
            MemorySegment rr = arena.allocate(size, 8);
            ExInitializeRundownProtectionCacheAware(rr, size);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExFreeCacheAwareRundownProtection(rr));
            assertTrue(e.getMessage().contains("not allocated"), e.getMessage());
        }
    }

    @Test
    void shouldReturnNullWhenThePoolIsExhausted() {
        long chunk = 64 * 1024;
        try (Kernel k = Kernel.boot(KernelConfig.defaults().withPoolChunkSize(chunk).withNonPagedPoolLimit(chunk))) {
            int n = 0;
            MemorySegment rr;
            while ((rr = ExAllocateCacheAwareRundownProtection(PoolType.NonPagedPool, TAG)).address() != 0) {
                n++;
                assertTrue(n < 10_000, "the pool limit was never reached");
            }
            assertEquals(MemorySegment.NULL, rr);
            assertTrue(n > 0);
        }
    }
}
