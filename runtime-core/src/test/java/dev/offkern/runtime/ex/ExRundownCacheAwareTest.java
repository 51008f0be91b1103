package dev.offkern.runtime.ex;

import dev.offkern.layout.ex.EX_RUNDOWN_REF_CACHE_AWARE;
import static dev.offkern.ddi.Ex.ExAcquireRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExAcquireRundownProtectionCacheAwareEx;
import static dev.offkern.ddi.Ex.ExInitializeRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExReInitializeRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExReleaseRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExReleaseRundownProtectionCacheAwareEx;
import static dev.offkern.ddi.Ex.ExRundownCompletedCacheAware;
import static dev.offkern.ddi.Ex.ExSizeOfRundownProtectionCacheAware;
import static dev.offkern.ddi.Ex.ExWaitForRundownProtectionReleaseCacheAware;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.offkern.nt.DatatypeMisalignmentException;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExRundownCacheAwareTest {

    private Kernel kernel;
    private Arena arena;
    private MemorySegment rr;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot();
        arena = Arena.ofShared();
        long size = ExSizeOfRundownProtectionCacheAware();
        rr = arena.allocate(size, 16);
        kernel.addressSpace().register(rr, "test: EX_RUNDOWN_REF_CACHE_AWARE");
        ExInitializeRundownProtectionCacheAware(rr, size);
    }

    @AfterEach
    void close() {
        kernel.close();
        arena.close();
    }

    @Test
    void shouldSizeTheBufferForOneStripePerProcessorPlusAlignmentSlack() {
        int n = Kernel.current().processors().count();
        long expected = n <= 1 ? 0x18 + 8 : 0x18 + (n + 1) * 128L;
        assertEquals(expected, ExSizeOfRundownProtectionCacheAware());
    }

    @Test
    void shouldLayOutTheHeaderAndPutEachStripeOnItsOwnCacheLines() {
        int number = ExRundownCacheAware.number(rr);
        long runRefs = ExRundownCacheAware.runRefs(rr);
        assertEquals(rr.get(ValueLayout.JAVA_LONG, 0), runRefs);
        assertEquals(0, ExRundownCacheAware.poolToFree(rr), "caller-owned: no pool block to free");
        if (Kernel.current().processors().count() > 1) {
            assertEquals(128, ExRundownCacheAware.runRefSize(rr));
            assertEquals(0, runRefs % 128, "stripe 0 is 128-byte aligned");
            assertTrue(number >= Kernel.current().processors().count());
        } else {
            assertEquals(8, ExRundownCacheAware.runRefSize(rr));
        }
        long end = runRefs + (long) (number - 1) * ExRundownCacheAware.runRefSize(rr) + 8;
        assertTrue(end <= rr.address() + rr.byteSize(), "every stripe lies inside the buffer");
        for (int i = 0; i < number; i++) {
            assertEquals(0, ExRundownCacheAware.stripeWord(rr, i));
        }
    }

    @Test
    void shouldAcceptTheSingleProcessorSize() {
        MemorySegment one = arena.allocate(0x18 + 8, 8);
        ExInitializeRundownProtectionCacheAware(one, 0x18 + 8);
        assertEquals(1, ExRundownCacheAware.number(one));
        assertEquals(8, ExRundownCacheAware.runRefSize(one));
        assertEquals(one.address() + 0x18, ExRundownCacheAware.runRefs(one));
        assertTrue(ExAcquireRundownProtectionCacheAware(one));
        assertEquals(2, one.get(ValueLayout.JAVA_LONG, 0x18));
        ExReleaseRundownProtectionCacheAware(one);
        ExWaitForRundownProtectionReleaseCacheAware(one);
        assertEquals(ExRundown.EX_RUNDOWN_ACTIVE, one.get(ValueLayout.JAVA_LONG, 0x18));
    }

    @Test
    void shouldCountOnTheCallersStripe() {
        assertTrue(ExAcquireRundownProtectionCacheAware(rr));
        assertTrue(ExAcquireRundownProtectionCacheAwareEx(rr, 4));
        int mine = ThreadState.current().processorNumber() % ExRundownCacheAware.number(rr);
        assertEquals(10, ExRundownCacheAware.stripeWord(rr, mine));
        assertEquals(5, ExRundownCacheAware.holders(rr));
        ExReleaseRundownProtectionCacheAwareEx(rr, 4);
        ExReleaseRundownProtectionCacheAware(rr);
        assertEquals(0, ExRundownCacheAware.holders(rr));
    }

    @Test
    void shouldLetAStripeGoNegativeWhenTheReleaseLandsElsewhere() {
        assumeTrue(ExRundownCacheAware.number(rr) > 1);
        assertTrue(ExRundownCacheAware.acquireOnStripe(rr, 0, 3));
        ExRundownCacheAware.releaseOnStripe(rr, 1, 3);
        assertEquals(6, ExRundownCacheAware.stripeWord(rr, 0));
        assertEquals(-6, ExRundownCacheAware.stripeWord(rr, 1));
        assertEquals(0, ExRundownCacheAware.holders(rr));
        ExWaitForRundownProtectionReleaseCacheAware(rr); // the sum is zero: returns at once
        for (int i = 0; i < ExRundownCacheAware.number(rr); i++) {
            assertEquals(ExRundown.EX_RUNDOWN_ACTIVE, ExRundownCacheAware.stripeWord(rr, i));
        }
    }

    @Test
    void shouldFailAcquireOnEveryStripeOnceRunDown() {
        ExWaitForRundownProtectionReleaseCacheAware(rr);
        assertFalse(ExAcquireRundownProtectionCacheAware(rr));
        for (int i = 0; i < ExRundownCacheAware.number(rr); i++) {
            assertFalse(ExRundownCacheAware.acquireOnStripe(rr, i, 1));
        }
        ExWaitForRundownProtectionReleaseCacheAware(rr); // already run down: returns at once
        ExRundownCompletedCacheAware(rr);
        ExReInitializeRundownProtectionCacheAware(rr);
        assertTrue(ExAcquireRundownProtectionCacheAware(rr));
        ExReleaseRundownProtectionCacheAware(rr);
    }

    @Test
    void shouldWaitForHoldersOnOtherStripesAndReleasesOnYetOthers() throws Exception {
        int number = ExRundownCacheAware.number(rr);
        assertTrue(ExRundownCacheAware.acquireOnStripe(rr, 0, 2));
        assertTrue(ExRundownCacheAware.acquireOnStripe(rr, number - 1, 1));
        CountDownLatch returned = new CountDownLatch(1);
        Thread waiter = Thread.ofPlatform().start(() -> {
            ExWaitForRundownProtectionReleaseCacheAware(rr);
            returned.countDown();
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((ExRundownCacheAware.stripeWord(rr, number - 1) & 1) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        for (int i = 0; i < number; i++) {
            assertFalse(ExRundownCacheAware.acquireOnStripe(rr, i, 1), "stripe " + i + " still grants acquires");
        }
        ExRundownCacheAware.releaseOnStripe(rr, number - 1, 2); // released on a different stripe than acquired
        assertFalse(returned.await(50, TimeUnit.MILLISECONDS), "the wait returned with a holder left");
        ExRundownCacheAware.releaseOnStripe(rr, 0, 1);
        assertTrue(returned.await(10, TimeUnit.SECONDS));
        waiter.join();
    }

    @Test
    void shouldRejectABufferTooSmallForOneStripe() {
        MemorySegment small = arena.allocate(0x18 + 64, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExInitializeRundownProtectionCacheAware(small, small.byteSize()));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }

    @Test
    void shouldRejectASizeLargerThanTheBuffer() {
        MemorySegment buf = arena.allocate(64, 8);
        assertThrows(IllegalArgumentException.class, () -> ExInitializeRundownProtectionCacheAware(buf, 4096));
    }

    @Test
    void shouldRejectAMisalignedBuffer() {
        MemorySegment buf = arena.allocate(1024, 8).asSlice(4);
        assertThrows(IllegalArgumentException.class, () -> ExInitializeRundownProtectionCacheAware(buf, 1000));
    }

    @Test
    void shouldRefuseUseOfAnUninitializedStructure() {
        MemorySegment zero = arena.allocate(1024, 8);
        assertThrows(IllegalStateException.class, () -> ExAcquireRundownProtectionCacheAware(zero));
    }

    @Test
    void shouldDetectMoreReleasesThanAcquiresAtTheWait() {
        assertTrue(ExAcquireRundownProtectionCacheAware(rr));
        ExReleaseRundownProtectionCacheAwareEx(rr, 2);
        assertThrows(IllegalStateException.class, () -> ExWaitForRundownProtectionReleaseCacheAware(rr));
    }

    @Test
    void shouldRefuseReInitializationWhileNotRunDown() {
        assumeTrue(Verifier.ENABLED);
        assertThrows(IllegalStateException.class, () -> ExReInitializeRundownProtectionCacheAware(rr));
    }

    @Test
    void shouldResolveStripesThroughTheAddressSpaceWhenGivenOnlyTheHeader() {
        MemorySegment header = rr.asSlice(0, EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize());
        assertTrue(ExAcquireRundownProtectionCacheAware(header));
        assertEquals(1, ExRundownCacheAware.holders(rr));
        ExReleaseRundownProtectionCacheAware(header);
        assertEquals(0, ExRundownCacheAware.holders(header));
    }

    @Test
    void shouldRefuseMisalignedStripesWithAClearErrorBeforeTouchingAnyStripe() {
        // fuzz: a FREED pointer whose recycled memory gave RunRefs/RunRefSize odd values raised FFM's
        // misaligned-access exception (seeds 0x66988c08ada93ebf epoch 244, 0xb2739430fffe40d7)
        long runRefs = ExRundownCacheAware.runRefs(rr);
        rr.set(ValueLayout.JAVA_LONG, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REFS_OFFSET, runRefs + 4);
        DatatypeMisalignmentException e = assertThrows(
                DatatypeMisalignmentException.class, () -> ExAcquireRundownProtectionCacheAware(rr));
        assertTrue(e.getMessage().contains("RunRefs 0x" + Long.toHexString(runRefs + 4)), e.getMessage());
        rr.set(ValueLayout.JAVA_LONG, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REFS_OFFSET, runRefs);
        assumeTrue(ExRundownCacheAware.number(rr) > 1);
        int size = ExRundownCacheAware.runRefSize(rr);
        rr.set(ValueLayout.JAVA_INT, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REF_SIZE_OFFSET, size + 4);
        assertThrows(DatatypeMisalignmentException.class,
                () -> ExWaitForRundownProtectionReleaseCacheAware(rr));
        rr.set(ValueLayout.JAVA_INT, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REF_SIZE_OFFSET, size);
        assertTrue(ExAcquireRundownProtectionCacheAware(rr), "the refused wait ran no stripe down");
        ExReleaseRundownProtectionCacheAware(rr);
    }
}
