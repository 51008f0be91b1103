package dev.offkern.ddi;

import dev.offkern.nt.NtStatus;
import static dev.offkern.ddi.Ex.ExAllocatePool;
import static dev.offkern.ddi.Ex.ExAllocatePool2;
import static dev.offkern.ddi.Ex.ExAllocatePool3;
import static dev.offkern.ddi.Ex.ExAllocatePoolWithTag;
import static dev.offkern.ddi.Ex.ExAllocatePoolZero;
import static dev.offkern.ddi.Ex.ExFreePool;
import static dev.offkern.ddi.Ex.ExFreePoolWithTag;
import static dev.offkern.nt.PoolFlags.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.nt.NtStatusException;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExPoolTest {
    private static final int TAG = PoolTags.tag("ExPl");
    private Kernel kernel;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot().attach().leakReportSink(s -> { });
    }

    @AfterEach
    void shutdown() {
        kernel.close();
    }

    @Test
    void shouldAllocateZeroedBoundedBlockWithExAllocatePool2() {
        MemorySegment p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 200, TAG);
        assertEquals(200, p.byteSize());
        assertEquals(0, p.address() % 16);
        assertArrayEquals(new byte[200], p.toArray(ValueLayout.JAVA_BYTE));
        assertTrue(kernel.nonPagedPool().owns(p.address()));
        MemorySegment q = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_CACHE_ALIGNED, 200, TAG);
        assertEquals(0, q.address() % 64);
        assertTrue(kernel.pagedPool().owns(q.address()));
        ExFreePoolWithTag(p, TAG);
        ExFreePool(q);
    }

    @Test
    void shouldReturnNullForTagZeroAndInvalidFlagsAsWindowsDoes() {
        assertEquals(MemorySegment.NULL, ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 0));
        assertEquals(MemorySegment.NULL, ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 8, TAG));
        assertEquals(MemorySegment.NULL, ExAllocatePool2(POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED, 8, TAG));
        assertEquals(MemorySegment.NULL, ExAllocatePool2(POOL_FLAG_UNINITIALIZED, 8, TAG), "neither pool");
        assertEquals(MemorySegment.NULL, ExAllocatePool2(POOL_FLAG_NON_PAGED | 0x800, 8, TAG), "unknown required flag");
        assertEquals(MemorySegment.NULL, ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RESERVED1, 8, TAG));
        assertEquals(MemorySegment.NULL, ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_SESSION, 8, TAG));
        NtStatusException e = assertThrows(NtStatusException.class,
                () -> ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 8, TAG));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, e.status());
    }

    @Test
    void shouldAcceptUseQuotaWithoutChargingAnything() {
        MemorySegment p = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA, 40, TAG);
        assertNotEquals(MemorySegment.NULL, p);
        assertEquals(0L, kernel.addressSpace().resolve(p.address() - 8, 8).get(ValueLayout.JAVA_LONG, 0), "ProcessBilled");
        ExFreePoolWithTag(p, TAG);
    }

    @Test
    void shouldBugCheckFreeingNull() {
        BugCheck b = assertThrows(BugCheck.class, () -> ExFreePool(MemorySegment.NULL));
        assertEquals(BugCheckCode.BAD_POOL_CALLER, b.code());
        assertArrayEquals(new long[] {0x42, 0, 0, 0}, b.parameters());
    }

    @Test
    void shouldIgnoreUnknownOptionalFlags() {
        MemorySegment p = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_SPECIAL_POOL | 0x40_0000_0000L, 8, TAG);
        assertNotEquals(MemorySegment.NULL, p);
        ExFreePoolWithTag(p, TAG);
    }

    @Test
    void shouldRaiseInsufficientResourcesOnExhaustionOnlyWhenAsked() {
        kernel.close();
        kernel = Kernel.boot(KernelConfig.defaults().withPoolChunkSize(64 * 1024).withNonPagedPoolLimit(64 * 1024))
                .attach().leakReportSink(s -> { });
        assertEquals(MemorySegment.NULL, ExAllocatePool2(POOL_FLAG_NON_PAGED, 100_000, TAG));
        NtStatusException e = assertThrows(NtStatusException.class,
                () -> ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 100_000, TAG));
        assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, e.status());
        assertEquals(MemorySegment.NULL, ExAllocatePoolWithTag(PoolType.NonPagedPool, 100_000, TAG));
        assertThrows(NtStatusException.class, () -> ExAllocatePoolWithTag(
                PoolType.NonPagedPool | PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE, 100_000, TAG));
        MemorySegment ok = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, TAG);
        assertNotEquals(MemorySegment.NULL, ok, "the pool still works after failed requests");
        ExFreePool(ok);
    }

    @Test
    void shouldNotZeroExAllocatePoolWithTagButZeroExAllocatePoolZero() {
        MemorySegment p = ExAllocatePoolWithTag(PoolType.PagedPool, 64, TAG);
        p.fill((byte) 0x77);
        ExFreePoolWithTag(p, TAG);
        MemorySegment q = ExAllocatePoolWithTag(PoolType.PagedPool, 64, TAG);
        assertEquals(p.address(), q.address());
        assertEquals((byte) 0x77, q.get(ValueLayout.JAVA_BYTE, 63), "Windows does not zero: neither does offkern");
        q.fill((byte) 0x77);
        ExFreePoolWithTag(q, TAG);
        MemorySegment z = ExAllocatePoolZero(PoolType.PagedPool, 64, TAG);
        assertEquals(q.address(), z.address());
        assertArrayEquals(new byte[64], z.toArray(ValueLayout.JAVA_BYTE));
        ExFreePoolWithTag(z, TAG);
    }

    @Test
    void shouldSelectPoolAndAlignmentFromPoolType() {
        MemorySegment a = ExAllocatePoolWithTag(PoolType.NonPagedPoolNxCacheAligned, 10, TAG);
        assertEquals(0, a.address() % 64);
        assertTrue(kernel.nonPagedPool().owns(a.address()));
        MemorySegment b = ExAllocatePoolWithTag(PoolType.PagedPoolCacheAligned, 10, TAG);
        assertEquals(0, b.address() % 64);
        assertTrue(kernel.pagedPool().owns(b.address()));
        MemorySegment c = ExAllocatePoolWithTag(PoolType.PagedPoolSession, 10, TAG);
        assertTrue(kernel.pagedPool().owns(c.address()));
        ExFreePool(a);
        ExFreePool(b);
        ExFreePool(c);
        assertThrows(IllegalArgumentException.class, () -> ExAllocatePoolWithTag(PoolType.DontUseThisType, 10, TAG));
        assertThrows(IllegalArgumentException.class, () -> ExAllocatePoolWithTag(PoolType.MaxPoolType, 10, TAG));
    }

    @Test
    void shouldTagExAllocatePoolBlocksNone() {
        MemorySegment p = ExAllocatePool(PoolType.NonPagedPool, 32);
        MemorySegment header = kernel.addressSpace().resolve(p.address() - 16, 16);
        assertEquals(PoolTags.tag("None"), header.get(ValueLayout.JAVA_INT, 4));
        ExFreePoolWithTag(p, PoolTags.tag("None"));
    }

    @Test
    void shouldAcceptEmptyAndSupportedExtendedParametersInExAllocatePool3() {
        MemorySegment p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 32, TAG, MemorySegment.NULL, 0);
        assertEquals(32, p.byteSize());
        ExFreePool(p);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(32, 8);
            params.set(ValueLayout.JAVA_LONG, 0, PoolExtendedParameterPriority);
            params.set(ValueLayout.JAVA_LONG, 8, HighPoolPriority);
            params.set(ValueLayout.JAVA_LONG, 16, PoolExtendedParameterNumaNode);
            params.set(ValueLayout.JAVA_LONG, 24, 0);
            MemorySegment q = ExAllocatePool3(POOL_FLAG_PAGED, 32, TAG, params, 2);
            assertNotEquals(MemorySegment.NULL, q);
            ExFreePool(q);
            params.set(ValueLayout.JAVA_LONG, 16, PoolExtendedParameterSecurePool);
            assertEquals(MemorySegment.NULL, ExAllocatePool3(POOL_FLAG_PAGED, 32, TAG, params, 2), "secure pool unsupported");
            params.set(ValueLayout.JAVA_LONG, 16, PoolExtendedParameterSecurePool | 0x100); // Optional
            MemorySegment r = ExAllocatePool3(POOL_FLAG_PAGED, 32, TAG, params, 2);
            assertNotEquals(MemorySegment.NULL, r, "an optional unsupported parameter is ignored");
            ExFreePool(r);
            assertEquals(MemorySegment.NULL, ExAllocatePool3(POOL_FLAG_PAGED, 32, TAG, MemorySegment.NULL, 1));
        }
    }

    @Test
    void shouldBugCheckFreeingAnAddressInNoPool() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment foreign = arena.allocate(64);
            BugCheck b = assertThrows(BugCheck.class, () -> ExFreePoolWithTag(foreign, TAG));
            assertEquals(BugCheckCode.BAD_POOL_CALLER, b.code());
            assertArrayEquals(new long[] {0x42, foreign.address(), 0, 0}, b.parameters());
        }
    }

    @Test
    void shouldBugCheckTagZeroBigAndLetterlessTagsInExAllocatePoolWithTag() {
        BugCheck zero = assertThrows(BugCheck.class, () -> ExAllocatePoolWithTag(PoolType.PagedPool, 24, 0));
        assertArrayEquals(new long[] {0x9B, PoolType.PagedPool, 24, 0}, zero.parameters());
        BugCheck big = assertThrows(BugCheck.class, () -> ExAllocatePoolWithTag(PoolType.NonPagedPool, 24, PoolTags.tag("BIG")));
        assertArrayEquals(new long[] {0x9C, PoolType.NonPagedPool, 24, 0}, big.parameters());
        int dashes = PoolTags.tag("--- ");
        BugCheck letterless = assertThrows(BugCheck.class, () -> ExAllocatePoolWithTag(PoolType.NonPagedPool, 24, dashes));
        assertArrayEquals(new long[] {0x9D, dashes, PoolType.NonPagedPool, 0}, letterless.parameters());
        BugCheck must = assertThrows(BugCheck.class, () -> ExAllocatePoolWithTag(PoolType.NonPagedPoolMustSucceed, 24, TAG));
        assertArrayEquals(new long[] {0x9A, PoolType.NonPagedPoolMustSucceed, 24, TAG}, must.parameters());
        for (BugCheck b : new BugCheck[] {zero, big, letterless, must}) {
            assertEquals(BugCheckCode.BAD_POOL_CALLER, b.code());
        }
    }

    @Test
    void shouldReturnNullForAHugeRequestAndStillServeEightMebibytesAfterIt() {
        ExFreePool(ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG)); // the caller's first call (its ETHREAD) before the count
        long chunks = kernel.nonPagedPool().chunkCount(); // the kernel's own objects (System process, ETHREADs) are mapped
        for (int i = 0; i < 130; i++) {
            assertEquals(MemorySegment.NULL, ExAllocatePool2(POOL_FLAG_NON_PAGED, Long.MAX_VALUE, TAG));
        }
        NtStatusException e = assertThrows(NtStatusException.class,
                () -> ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, Long.MAX_VALUE, TAG));
        assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, e.status());
        assertEquals(chunks, kernel.nonPagedPool().chunkCount(), "nothing mapped for requests that cannot fit");
        MemorySegment big = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8L << 20, TAG);
        assertEquals(8L << 20, big.byteSize());
        ExFreePoolWithTag(big, TAG);
    }
}
