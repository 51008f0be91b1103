package dev.offkern.runtime.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import org.junit.jupiter.api.Test;

/** POOL_TYPE decoding, and that the kernel's pool selection and the config's limits go through it. */
class DecodedPoolTypeTest {

    @Test
    void shouldDecodeEveryWdmPoolType() {
        int[] paged = {PoolType.PagedPool, PoolType.PagedPoolCacheAligned, PoolType.PagedPoolSession};
        int[] nonPaged = {PoolType.NonPagedPool, PoolType.NonPagedPoolMustSucceed, PoolType.NonPagedPoolCacheAligned,
                PoolType.NonPagedPoolCacheAlignedMustS, PoolType.NonPagedPoolSession, PoolType.NonPagedPoolNx,
                PoolType.NonPagedPoolNxCacheAligned, PoolType.NonPagedPoolSessionNx};
        for (int t : paged) {
            assertTrue(DecodedPoolType.decode(t).paged(), "paged: " + t);
            assertEquals(PoolType.PagedPool, DecodedPoolType.decode(t).pool());
        }
        for (int t : nonPaged) {
            assertFalse(DecodedPoolType.decode(t).paged(), "non-paged: " + t);
        }
        DecodedPoolType nxAligned = DecodedPoolType.decode(PoolType.NonPagedPoolNxCacheAligned);
        assertTrue(nxAligned.nx());
        assertTrue(nxAligned.cacheAligned());
        assertEquals(PoolType.NonPagedPoolCacheAligned, nxAligned.base());
        assertFalse(nxAligned.isPlain());
        assertTrue(DecodedPoolType.decode(PoolType.NonPagedPoolCacheAlignedMustS).mustSucceed());
        assertTrue(DecodedPoolType.decode(PoolType.PagedPoolSession).session());
        assertTrue(DecodedPoolType.decode(PoolType.PagedPool).isPlain());
    }

    @Test
    void shouldDecodeTheModifiers() {
        DecodedPoolType t = DecodedPoolType.decode(PoolType.PagedPoolCacheAligned | PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE
                | PoolType.POOL_QUOTA_FAIL_INSTEAD_OF_RAISE | PoolType.POOL_COLD_ALLOCATION);
        assertTrue(t.raiseOnFailure());
        assertTrue(t.quotaFailInsteadOfRaise());
        assertTrue(t.cold());
        assertTrue(t.paged());
        assertTrue(t.cacheAligned());
        assertEquals(PoolType.PagedPoolCacheAligned, t.base());
    }

    @Test
    void shouldRefuseValuesThatAreNoPoolType() {
        for (int bad : new int[] {PoolType.DontUseThisType, PoolType.MaxPoolType, 64, 128, 1024, 1 << 20, -1,
                Integer.MIN_VALUE, PoolType.DontUseThisType | PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE}) {
            assertNull(DecodedPoolType.decode(bad), "not a POOL_TYPE: " + bad);
        }
    }

    @Test
    void shouldSelectPoolsAndLimitsThroughTheDecoder() {
        KernelConfig config = KernelConfig.defaults().withPagedPoolLimit(8L << 20);
        try (Kernel kernel = Kernel.boot(config).leakReportSink(r -> { })) {
            assertSame(kernel.pagedPool(), kernel.pool(PoolType.PagedPoolSession | PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE));
            assertSame(kernel.nonPagedPool(), kernel.pool(PoolType.NonPagedPoolSessionNx));
            assertThrows(IllegalArgumentException.class, () -> kernel.pool(PoolType.DontUseThisType));
            assertEquals(8L << 20, config.poolLimit(PoolType.PagedPoolCacheAligned));
            assertEquals(config.nonPagedPoolLimit(), config.poolLimit(PoolType.NonPagedPoolNx));
            assertThrows(IllegalArgumentException.class, () -> config.poolLimit(PoolType.MaxPoolType));
        }
    }
}
