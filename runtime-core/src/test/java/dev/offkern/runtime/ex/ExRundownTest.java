package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.ExAcquireRundownProtection;
import static dev.offkern.ddi.Ex.ExAcquireRundownProtectionEx;
import static dev.offkern.ddi.Ex.ExInitializeRundownProtection;
import static dev.offkern.ddi.Ex.ExReInitializeRundownProtection;
import static dev.offkern.ddi.Ex.ExReleaseRundownProtection;
import static dev.offkern.ddi.Ex.ExReleaseRundownProtectionEx;
import static dev.offkern.ddi.Ex.ExRundownCompleted;
import static dev.offkern.ddi.Ex.ExWaitForRundownProtectionRelease;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.offkern.layout.ex.EX_RUNDOWN_WAIT_BLOCK;
import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.mm.Region;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExRundownTest {

    private Kernel kernel;
    private Arena arena;
    private MemorySegment runRef;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot();
        arena = Arena.ofShared();
        runRef = arena.allocate(8, 8);
        runRef.set(ValueLayout.JAVA_LONG, 0, 0xDEADBEEFL); // garbage: initialize must overwrite it
        ExInitializeRundownProtection(runRef);
    }

    @AfterEach
    void close() {
        kernel.close();
        arena.close();
    }

    private long word() {
        return runRef.get(ValueLayout.JAVA_LONG, 0);
    }

    @Test
    void shouldInitializeTheWordToZero() {
        assertEquals(0, word());
    }

    @Test
    void shouldCountHoldersInUnitsOfTwoInTheWord() {
        assertTrue(ExAcquireRundownProtection(runRef));
        assertTrue(ExAcquireRundownProtection(runRef));
        assertTrue(ExAcquireRundownProtection(runRef));
        assertEquals(3 * ExRundown.EX_RUNDOWN_COUNT_INC, word());
        ExReleaseRundownProtection(runRef);
        assertEquals(4, word());
        ExReleaseRundownProtection(runRef);
        ExReleaseRundownProtection(runRef);
        assertEquals(0, word());
    }

    @Test
    void shouldAcquireAndReleaseSeveralReferencesAtOnceWithEx() {
        assertTrue(ExAcquireRundownProtectionEx(runRef, 5));
        assertEquals(10, word());
        ExReleaseRundownProtectionEx(runRef, 3);
        assertEquals(4, word());
        ExReleaseRundownProtectionEx(runRef, 2);
        assertEquals(0, word());
    }

    @Test
    void shouldTreatTheExCountAsUnsigned() {
        assertTrue(ExAcquireRundownProtectionEx(runRef, -1)); // ULONG 0xFFFFFFFF
        assertEquals(0x1_FFFF_FFFEL, word());
        ExReleaseRundownProtectionEx(runRef, -1);
        assertEquals(0, word());
    }

    @Test
    void shouldGrantAZeroCountAcquireExWithoutChangingTheWord() {
        assertTrue(ExAcquireRundownProtection(runRef));
        assertTrue(ExAcquireRundownProtectionEx(runRef, 0));
        ExReleaseRundownProtectionEx(runRef, 0);
        assertEquals(2, word());
    }

    @Test
    void shouldReturnAtOnceFromTheWaitWhenNobodyHoldsProtection() {
        ExWaitForRundownProtectionRelease(runRef);
        assertEquals(ExRundown.EX_RUNDOWN_ACTIVE, word());
    }

    @Test
    void shouldFailAcquireWhenRundownActive() {
        ExWaitForRundownProtectionRelease(runRef);
        assertFalse(ExAcquireRundownProtection(runRef));
        assertFalse(ExAcquireRundownProtectionEx(runRef, 3));
        assertFalse(ExAcquireRundownProtectionEx(runRef, 0));
        assertEquals(ExRundown.EX_RUNDOWN_ACTIVE, word());
    }

    @Test
    void shouldReturnAtOnceFromASecondWaitOnARunDownReference() {
        ExWaitForRundownProtectionRelease(runRef);
        ExWaitForRundownProtectionRelease(runRef);
        ExRundownCompleted(runRef);
        ExWaitForRundownProtectionRelease(runRef);
        assertEquals(ExRundown.EX_RUNDOWN_ACTIVE, word());
    }

    @Test
    void shouldBlockTheWaitUntilTheLastHolderReleases() throws Exception {
        assertTrue(ExAcquireRundownProtectionEx(runRef, 2));
        CountDownLatch returned = new CountDownLatch(1);
        Thread waiter = Thread.ofPlatform().start(() -> {
            ExWaitForRundownProtectionRelease(runRef);
            returned.countDown();
        });
        long w = awaitActive();
        long block = w & ~ExRundown.EX_RUNDOWN_ACTIVE;
        assertEquals(0, block & 15, "the wait block is 16-byte aligned");
        Region region = kernel.addressSpace().regionOf(block, EX_RUNDOWN_WAIT_BLOCK.LAYOUT.byteSize());
        long count = region.offsetOf(block) + EX_RUNDOWN_WAIT_BLOCK.COUNT_OFFSET;
        assertEquals(2, region.segment().get(ValueLayout.JAVA_LONG, count), "EX_RUNDOWN_WAIT_BLOCK.Count = holders");
        assertFalse(ExAcquireRundownProtection(runRef), "no acquire once the run-down has begun");

        ExReleaseRundownProtection(runRef);
        assertEquals(1, region.segment().get(ValueLayout.JAVA_LONG, count));
        assertFalse(returned.await(50, TimeUnit.MILLISECONDS), "the wait returned with a holder left");
        ExReleaseRundownProtection(runRef);
        assertTrue(returned.await(10, TimeUnit.SECONDS));
        waiter.join();
        assertEquals(ExRundown.EX_RUNDOWN_ACTIVE, word());
    }

    @Test
    void shouldWakeTheWaiterWhenOneReleaseExDropsAllItsHolders() throws Exception {
        assertTrue(ExAcquireRundownProtectionEx(runRef, 7));
        Thread waiter = Thread.ofPlatform().start(() -> ExWaitForRundownProtectionRelease(runRef));
        awaitActive();
        ExReleaseRundownProtectionEx(runRef, 7);
        waiter.join(10_000);
        assertFalse(waiter.isAlive());
        assertEquals(ExRundown.EX_RUNDOWN_ACTIVE, word());
    }

    @Test
    void shouldKeepWaitingWhenTheWaiterIsInterrupted() throws Exception {
        assertTrue(ExAcquireRundownProtection(runRef));
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        Thread waiter = Thread.ofPlatform().start(() -> {
            ExWaitForRundownProtectionRelease(runRef);
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
        awaitActive();
        waiter.interrupt();
        waiter.join(100);
        assertTrue(waiter.isAlive(), "a non-alertable wait must not end on an interrupt");
        ExReleaseRundownProtection(runRef);
        waiter.join(10_000);
        assertFalse(waiter.isAlive());
        assertTrue(interruptedAfter.get(), "the interrupt status is restored after the wait");
    }

    @Test
    void shouldReInitializeARunDownReference() {
        ExWaitForRundownProtectionRelease(runRef);
        ExReInitializeRundownProtection(runRef);
        assertEquals(0, word());
        assertTrue(ExAcquireRundownProtection(runRef));
        ExReleaseRundownProtection(runRef);
    }

    @Test
    void shouldMarkTheReferenceRunDownWithRundownCompleted() {
        ExWaitForRundownProtectionRelease(runRef);
        ExRundownCompleted(runRef);
        assertEquals(ExRundown.EX_RUNDOWN_ACTIVE, word());
        assertFalse(ExAcquireRundownProtection(runRef));
        ExReInitializeRundownProtection(runRef);
        assertEquals(0, word());
    }

    /**
     * Fuzz finding (seed 0xb16095c604e9a050, epoch 440): ExRundownCompleted on a word that has the
     * run-down bit but whose pointer part is no wait block (a freed reference reused, a scribbled
     * word) — misaligned, inside kernel memory — must say the reference is not run down, not let
     * FFM's misaligned-access IllegalArgumentException escape.
     */
    @Test
    void shouldRefuseRundownCompletedOnAWordWhosePointerIsNoWaitBlock() {
        long pool = kernel.nonPagedPool().allocate(64, 8).address();
        runRef.set(ValueLayout.JAVA_LONG, 0, (pool + 0x1A) | ExRundown.EX_RUNDOWN_ACTIVE);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ExRundownCompleted(runRef));
        assertTrue(e.getMessage().contains("is not run down"), e.getMessage());
        ExInitializeRundownProtection(runRef);
    }

    @Test
    void shouldPublishWritesMadeBeforeInitializationToASuccessfulAcquirer() throws Exception {
        MemorySegment data = arena.allocate(8, 8);
        data.set(ValueLayout.JAVA_LONG, 0, 42);
        ExInitializeRundownProtection(runRef);
        long[] seen = new long[1];
        Thread t = Thread.ofPlatform().start(() -> {
            if (ExAcquireRundownProtection(runRef)) {
                seen[0] = data.get(ValueLayout.JAVA_LONG, 0);
                ExReleaseRundownProtection(runRef);
            }
        });
        t.join();
        assertEquals(42, seen[0]);
    }

    @Test
    void shouldRejectAMisalignedWord() {
        MemorySegment bytes = arena.allocate(16, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExInitializeRundownProtection(bytes.asSlice(4)));
        assertTrue(e.getMessage().contains("not 8-byte aligned"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ExAcquireRundownProtection(bytes.asSlice(4)));
    }

    @Test
    void shouldRejectASegmentTooSmallForTheWord() {
        MemorySegment small = arena.allocate(8, 8).asSlice(0, 4);
        assertThrows(IllegalArgumentException.class, () -> ExInitializeRundownProtection(small));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExAcquireRundownProtection(small));
        assertTrue(e.getMessage().contains("RunRef is a segment of 4 bytes"), e.getMessage());
    }

    @Test
    void shouldThrowWhenReleasingMoreThanWasAcquired() {
        assumeTrue(Verifier.ENABLED, "the idle-state check is a verifier check");
        assertTrue(ExAcquireRundownProtection(runRef));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ExReleaseRundownProtectionEx(runRef, 2));
        assertTrue(e.getMessage().contains("more than was acquired"), e.getMessage());
        assertEquals(2, word(), "a refused release changes nothing");
    }

    @Test
    void shouldThrowWhenReleasingAfterTheRundownCompleted() {
        ExWaitForRundownProtectionRelease(runRef);
        assertThrows(IllegalStateException.class, () -> ExReleaseRundownProtection(runRef));
        assertEquals(ExRundown.EX_RUNDOWN_ACTIVE, word());
    }

    @Test
    void shouldThrowWhenAReleaseExExceedsTheWaitersCount() throws Exception {
        assertTrue(ExAcquireRundownProtection(runRef));
        Thread waiter = Thread.ofPlatform().start(() -> ExWaitForRundownProtectionRelease(runRef));
        awaitActive();
        assertThrows(IllegalStateException.class, () -> ExReleaseRundownProtectionEx(runRef, 2));
        ExReleaseRundownProtection(runRef);
        waiter.join(10_000);
        assertFalse(waiter.isAlive());
    }

    @Test
    void shouldRefuseReInitializationOfALiveReference() {
        assumeTrue(Verifier.ENABLED);
        assertTrue(ExAcquireRundownProtection(runRef));
        assertThrows(IllegalStateException.class, () -> ExReInitializeRundownProtection(runRef));
        assertThrows(IllegalStateException.class, () -> ExRundownCompleted(runRef));
        assertEquals(2, word());
    }

    @Test
    void shouldRefuseASecondConcurrentWaiter() throws Exception {
        assertTrue(ExAcquireRundownProtection(runRef));
        Thread waiter = Thread.ofPlatform().start(() -> ExWaitForRundownProtectionRelease(runRef));
        awaitActive();
        assertThrows(IllegalStateException.class, () -> ExWaitForRundownProtectionRelease(runRef));
        ExReleaseRundownProtection(runRef);
        waiter.join(10_000);
        assertFalse(waiter.isAlive());
    }

    @Test
    void shouldBugCheckWhenTheWordPointsOutsideTheAddressSpace() {
        runRef.set(ValueLayout.JAVA_LONG, 0, 0x1000L | ExRundown.EX_RUNDOWN_ACTIVE); // a corrupted word
        BugCheck b = assertThrows(BugCheck.class, () -> ExReleaseRundownProtection(runRef));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, b.code());
        assertEquals(0x1000L, b.parameter1());
    }

    @Test
    void shouldBugCheckAWaitAboveApcLevelButAllowAcquireAtDispatchLevel() {
        assumeTrue(Verifier.ENABLED);
        int old = Irql.raise(Irql.DISPATCH_LEVEL);
        try {
            assertTrue(ExAcquireRundownProtection(runRef), "acquire is allowed at DISPATCH_LEVEL");
            ExReleaseRundownProtection(runRef);
            BugCheck b = assertThrows(BugCheck.class, () -> ExWaitForRundownProtectionRelease(runRef));
            assertEquals(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, b.code());
            assertEquals(runRef.address(), b.parameter1());
            assertEquals(Irql.DISPATCH_LEVEL, b.parameter2());
        } finally {
            Irql.lower(old);
        }
        assertEquals(0, word(), "the refused wait changed nothing");
    }

    @Test
    void shouldBugCheckAnAcquireAboveDispatchLevel() {
        assumeTrue(Verifier.ENABLED);
        int old = Irql.raise(Irql.HIGH_LEVEL);
        try {
            BugCheck b = assertThrows(BugCheck.class, () -> ExAcquireRundownProtection(runRef));
            assertEquals(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, b.code());
        } finally {
            Irql.lower(old);
        }
    }

    @Test
    void shouldSleepOnTheWakeEventOfTheWaitingThreadsOwnBlock() throws Exception {
        assertTrue(ExAcquireRundownProtection(runRef));
        AtomicLong kthread = new AtomicLong();
        Thread waiter = Thread.ofPlatform().start(() -> {
            kthread.set(ThreadState.current().address());
            ExWaitForRundownProtectionRelease(runRef);
        });
        long block = awaitActive() & ~ExRundown.EX_RUNDOWN_ACTIVE;
        assertEquals(kthread.get() + dev.offkern.runtime.ke.WakeBlock.RUNDOWN_WAIT_BLOCK_IN_KTHREAD, block,
                "the word points at the RundownWaitBlock of the waiter's Thread object (after its ETHREAD), not at a block of its own");
        long event = block + EX_RUNDOWN_WAIT_BLOCK.WAKE_EVENT_OFFSET;
        Region r = kernel.addressSpace().regionOf(event, KEVENT.LAYOUT.byteSize());
        MemorySegment ev = r.segment().asSlice(r.offsetOf(event), KEVENT.LAYOUT.byteSize());
        assertEquals(1, ev.get(ValueLayout.JAVA_BYTE, DISPATCHER_HEADER.TYPE_OFFSET), "a SynchronizationEvent");
        long head = event + DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ev.get(ValueLayout.JAVA_LONG, DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET) == head && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        long waitBlock = ev.get(ValueLayout.JAVA_LONG, DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET);
        assertEquals(kthread.get() + dev.offkern.layout.ps.ETHREAD.TCB_WAIT_BLOCK_OFFSET, waitBlock,
                "the waiter's own KWAIT_BLOCK is linked on the event: a dispatcher wait");
        ExReleaseRundownProtection(runRef);
        waiter.join(10_000);
        assertFalse(waiter.isAlive());
        assertEquals(0, ev.get(ValueLayout.JAVA_INT, DISPATCHER_HEADER.SIGNAL_STATE_OFFSET), "the satisfied wait reset the event");
        assertEquals(head, ev.get(ValueLayout.JAVA_LONG, DISPATCHER_HEADER.WAIT_LIST_HEAD_OFFSET), "nothing left linked");
    }

    /** Spins until the waiter has published its wait block; returns the word. */
    private long awaitActive() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            long w = word();
            if ((w & ExRundown.EX_RUNDOWN_ACTIVE) != 0 && w != ExRundown.EX_RUNDOWN_ACTIVE) {
                return w;
            }
            Thread.sleep(1);
        }
        throw new AssertionError("the waiter never published its wait block; word 0x" + Long.toHexString(word()));
    }
}
