package dev.offkern.ddi;

import static dev.offkern.ddi.Io.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.io.IO_CSQ;
import dev.offkern.layout.io.IO_CSQ_IRP_CONTEXT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.nt.IO_COMPLETION_ROUTINE;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancel-safe queues through the DDI: the byte-exact IO_CSQ and IO_CSQ_IRP_CONTEXT, the six callbacks
 * as real function pointers, insertion (pending, cancelable, DriverContext[3]), removal by context and
 * in order, an insert-ex routine's refusal, cancellation of a queued IRP (completed once through
 * CsqCompleteCanceledIrp), an IRP cancelled before its insertion, and the cancel-against-remove race.
 */
class IoCsqTest {
    @TempDir
    Path dumps;

    private IoTestSupport io;

    @AfterEach
    void shutdown() {
        if (io != null) {
            io.close();
        }
    }

    /** A driver queue: IRP addresses in a deque guarded by a KSPIN_LOCK, with counters of every callback. */
    final class Queue {
        final ArrayDeque<Long> irps = new ArrayDeque<>();
        final MemorySegment lock = io.block(8);
        final MemorySegment csq = io.block(IO_CSQ.X64.size());
        final AtomicInteger canceled = new AtomicInteger();
        final List<Long> canceledIrps = new ArrayList<>();
        volatile int refuse; // an error status the insert-ex routine returns, or 0

        Queue(boolean ex) {
            Ke.KeInitializeSpinLock(lock);
            int st = ex
                    ? IoCsqInitializeEx(csq, (c, irp, ctx) -> {
                        if (refuse != 0) {
                            return refuse;
                        }
                        irps.addLast(irp.address());
                        return NtStatus.STATUS_SUCCESS;
                    }, this::remove, this::peek, this::acquire, this::release, this::complete)
                    : IoCsqInitialize(csq, (c, irp) -> irps.addLast(irp.address()), this::remove, this::peek, this::acquire,
                    this::release, this::complete);
            assertEquals(NtStatus.STATUS_SUCCESS, st);
        }

        void remove(MemorySegment c, MemorySegment irp) {
            assertTrue(irps.remove(irp.address()), "CsqRemoveIrp of an IRP not in the queue");
        }

        MemorySegment peek(MemorySegment c, MemorySegment irp, MemorySegment peekContext) {
            Iterator<Long> it = irps.iterator();
            boolean after = irp.address() == 0;
            while (it.hasNext()) {
                long a = it.next();
                if (after && (peekContext.address() == 0 || matches(a, peekContext.address()))) {
                    return MemorySegment.ofAddress(a);
                }
                if (a == irp.address()) {
                    after = true;
                }
            }
            return MemorySegment.NULL;
        }

        private boolean matches(long irp, long context) {
            return io.kernel.addressSpace().resolve(irp, IRP.X64.size()).get(JAVA_LONG, IRP.USER_BUFFER_OFFSET) == context;
        }

        void acquire(MemorySegment c, MemorySegment irql) {
            irql.set(JAVA_BYTE, 0, (byte) Ke.KeAcquireSpinLock(lock));
        }

        void release(MemorySegment c, int irql) {
            Ke.KeReleaseSpinLock(lock, irql);
        }

        void complete(MemorySegment c, MemorySegment irp) {
            canceled.incrementAndGet();
            synchronized (canceledIrps) {
                canceledIrps.add(irp.address());
            }
            irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_CANCELLED);
            irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, 0L);
            IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
        }
    }

    private Queue queue;
    private MemorySegment device;
    /** What the device's read dispatch routine passes to IoCsqInsertIrp(Ex) as the context (NULL: none). */
    private final AtomicReference<MemorySegment> insertContext = new AtomicReference<>(MemorySegment.NULL);
    private final AtomicInteger lastInsertStatus = new AtomicInteger();

    private void boot(boolean ex) {
        io = new IoTestSupport(dumps, true);
        queue = new Queue(ex);
        MemorySegment d = io.driver(null, x -> IoSetMajorFunction(x, IoCodes.IRP_MJ_READ, (dev, irp) -> {
            int st = IoCsqInsertIrpEx(queue.csq, irp, insertContext.get(), MemorySegment.NULL);
            lastInsertStatus.set(st);
            if (!NtStatus.NT_SUCCESS(st)) {
                irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, st);
                IoCompleteRequest(irp, 0);
                return st;
            }
            return NtStatus.STATUS_PENDING;
        }));
        device = io.device(d, 0);
    }

    /** Completions seen by the originator's routine, by status. */
    private final AtomicLong completedOk = new AtomicLong();
    private final AtomicLong completedCancelled = new AtomicLong();
    private final IO_COMPLETION_ROUTINE originator = (dev, irp, ctx) -> {
        int st = irp.get(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET);
        (st == NtStatus.STATUS_CANCELLED ? completedCancelled : completedOk).incrementAndGet();
        return NtStatus.STATUS_MORE_PROCESSING_REQUIRED; // the originator keeps and reuses its IRP
    };

    /** Sends a (re-initialized) read IRP to the device, whose dispatch routine queues it. */
    private int send(MemorySegment irp, long tag) {
        IoReuseIrp(irp, 0);
        irp.set(JAVA_LONG, IRP.USER_BUFFER_OFFSET, tag);
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        IoSetCompletionRoutine(irp, originator, MemorySegment.NULL, true, true, true);
        return IoCallDriver(device, irp);
    }

    private static void complete(MemorySegment irp, int status) {
        irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, status);
        IoCompleteRequest(irp, 0);
    }

    @Test
    void shouldInitializeTheByteExactQueueWithTypeAndRealFunctionPointers() {
        io = new IoTestSupport(dumps, true);
        Queue q = new Queue(false);
        assertEquals(2, q.csq.get(JAVA_INT, IO_CSQ.TYPE_OFFSET));
        for (long off : new long[] {IO_CSQ.CSQ_INSERT_IRP_OFFSET, IO_CSQ.CSQ_REMOVE_IRP_OFFSET, IO_CSQ.CSQ_PEEK_NEXT_IRP_OFFSET,
                IO_CSQ.CSQ_ACQUIRE_LOCK_OFFSET, IO_CSQ.CSQ_RELEASE_LOCK_OFFSET, IO_CSQ.CSQ_COMPLETE_CANCELED_IRP_OFFSET}) {
            long p = q.csq.get(JAVA_LONG, off);
            assertNotEquals(0, p);
            assertFalse(io.kernel.addressSpace().isValid(p, 1), "a stub is code, not kernel data");
        }
        assertEquals(0, q.csq.get(JAVA_LONG, IO_CSQ.RESERVE_POINTER_OFFSET));
        Queue ex = new Queue(true);
        assertEquals(3, ex.csq.get(JAVA_INT, IO_CSQ.TYPE_OFFSET));
        assertThrows(IllegalArgumentException.class, () -> IoCsqInitialize(io.block(IO_CSQ.X64.size()), null, q::remove, q::peek,
                q::acquire, q::release, q::complete));
        MemorySegment uninitialized = io.block(IO_CSQ.X64.size());
        assertThrows(IllegalArgumentException.class, () -> IoCsqRemoveNextIrp(uninitialized, MemorySegment.NULL));
        io.closeWithoutLeaks();
    }

    @Test
    void shouldQueueAnIrpPendingAndCancelableWithItsContextInDriverContext3() {
        boot(false);
        MemorySegment ctx = io.block(IO_CSQ_IRP_CONTEXT.X64.size());
        insertContext.set(ctx);
        MemorySegment irp = IoAllocateIrp(1, false);
        assertEquals(NtStatus.STATUS_PENDING, send(irp, 1));
        assertEquals(List.of(irp.address()), List.copyOf(queue.irps));
        assertEquals(1, ctx.get(JAVA_INT, IO_CSQ_IRP_CONTEXT.TYPE_OFFSET));
        assertEquals(irp.address(), ctx.get(JAVA_LONG, IO_CSQ_IRP_CONTEXT.IRP_OFFSET));
        assertEquals(queue.csq.address(), ctx.get(JAVA_LONG, IO_CSQ_IRP_CONTEXT.CSQ_OFFSET));
        assertEquals(ctx.address(), irp.get(JAVA_LONG, IRP.TAIL_OVERLAY_DRIVER_CONTEXT_OFFSET + 24));
        assertNotEquals(0, irp.get(JAVA_LONG, IRP.CANCEL_ROUTINE_OFFSET));
        assertEquals(IoCodes.SL_PENDING_RETURNED,
                IoGetCurrentIrpStackLocation(irp).get(JAVA_BYTE, IO_STACK_LOCATION.CONTROL_OFFSET) & IoCodes.SL_PENDING_RETURNED);
        MemorySegment removed = IoCsqRemoveIrp(queue.csq, ctx);
        assertEquals(irp.address(), removed.address());
        assertEquals(0, irp.get(JAVA_LONG, IRP.CANCEL_ROUTINE_OFFSET));
        assertEquals(0, irp.get(JAVA_LONG, IRP.TAIL_OVERLAY_DRIVER_CONTEXT_OFFSET + 24));
        assertEquals(0, ctx.get(JAVA_LONG, IO_CSQ_IRP_CONTEXT.IRP_OFFSET));
        assertTrue(queue.irps.isEmpty());
        assertEquals(0, IoCsqRemoveIrp(queue.csq, ctx).address(), "removed already");
        complete(removed, NtStatus.STATUS_SUCCESS);
        assertEquals(1, completedOk.get());
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldPutTheQueueItselfInDriverContext3WithoutAContext() {
        boot(false);
        MemorySegment irp = IoAllocateIrp(1, false);
        send(irp, 1);
        assertEquals(queue.csq.address(), irp.get(JAVA_LONG, IRP.TAIL_OVERLAY_DRIVER_CONTEXT_OFFSET + 24));
        assertEquals(irp.address(), IoCsqRemoveNextIrp(queue.csq, MemorySegment.NULL).address());
        assertEquals(0, irp.get(JAVA_LONG, IRP.TAIL_OVERLAY_DRIVER_CONTEXT_OFFSET + 24));
        complete(irp, NtStatus.STATUS_SUCCESS);
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldRemoveTheNextMatchingIrpInOrderAndSkipOneBeingCancelled() {
        boot(false);
        MemorySegment[] irps = new MemorySegment[4];
        for (int i = 0; i < irps.length; i++) {
            irps[i] = IoAllocateIrp(1, false);
            send(irps[i], i % 2 == 0 ? 0xA : 0xB);
        }
        assertEquals(irps[1].address(), IoCsqRemoveNextIrp(queue.csq, MemorySegment.ofAddress(0xB)).address());
        // irps[0]'s cancel routine is taken (a cancellation in flight): it is skipped
        long armed = IoSetCancelRoutine(irps[0], MemorySegment.NULL).address();
        assertNotEquals(0, armed);
        assertEquals(irps[2].address(), IoCsqRemoveNextIrp(queue.csq, MemorySegment.NULL).address());
        IoSetCancelRoutine(irps[0], MemorySegment.ofAddress(armed));
        assertEquals(irps[0].address(), IoCsqRemoveNextIrp(queue.csq, MemorySegment.NULL).address());
        assertEquals(irps[3].address(), IoCsqRemoveNextIrp(queue.csq, MemorySegment.ofAddress(0xB)).address());
        assertEquals(0, IoCsqRemoveNextIrp(queue.csq, MemorySegment.NULL).address());
        for (MemorySegment irp : irps) {
            complete(irp, NtStatus.STATUS_SUCCESS);
            IoFreeIrp(irp);
        }
        assertEquals(4, completedOk.get());
        io.closeWithoutLeaks();
    }

    @Test
    void shouldCompleteACancelledQueuedIrpThroughCompleteCanceledIrpExactlyOnce() {
        boot(false);
        MemorySegment ctx = io.block(IO_CSQ_IRP_CONTEXT.X64.size());
        insertContext.set(ctx);
        MemorySegment irp = IoAllocateIrp(1, false);
        send(irp, 1);
        assertTrue(IoCancelIrp(irp));
        assertEquals(1, queue.canceled.get());
        assertEquals(1, completedCancelled.get());
        assertTrue(queue.irps.isEmpty());
        assertEquals(0, ctx.get(JAVA_LONG, IO_CSQ_IRP_CONTEXT.IRP_OFFSET));
        assertEquals(0, IoCsqRemoveIrp(queue.csq, ctx).address());
        assertFalse(IoCancelIrp(irp));
        assertEquals(1, queue.canceled.get());
        assertEquals(0, Ke.KeGetCurrentIrql());
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldCompleteAnIrpCancelledBeforeItsInsertionInsteadOfQueueingIt() {
        boot(false);
        MemorySegment irp = IoAllocateIrp(1, false);
        IoReuseIrp(irp, 0);
        irp.set(JAVA_BYTE, IRP.CANCEL_OFFSET, (byte) 1); // IoCancelIrp ran while the IRP had no cancel routine
        irp.set(JAVA_LONG, IRP.USER_BUFFER_OFFSET, 1);
        IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        IoSetCompletionRoutine(irp, originator, MemorySegment.NULL, true, true, true);
        assertEquals(NtStatus.STATUS_PENDING, IoCallDriver(device, irp));
        assertTrue(queue.irps.isEmpty());
        assertEquals(1, queue.canceled.get());
        assertEquals(1, completedCancelled.get());
        assertEquals(0, irp.get(JAVA_LONG, IRP.CANCEL_ROUTINE_OFFSET));
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldReturnTheInsertExRoutinesFailureAndLeaveTheIrpUnqueued() {
        boot(true);
        queue.refuse = NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        MemorySegment irp = IoAllocateIrp(1, false);
        assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, send(irp, 1));
        assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, lastInsertStatus.get());
        assertTrue(queue.irps.isEmpty());
        assertEquals(0, irp.get(JAVA_LONG, IRP.CANCEL_ROUTINE_OFFSET), "no cancel routine");
        assertEquals(1, completedCancelled.get() + completedOk.get() == 0 ? 0 : 1, "the dispatch routine completed it with the failure");
        queue.refuse = 0;
        assertEquals(NtStatus.STATUS_PENDING, send(irp, 1));
        assertEquals(1, queue.irps.size());
        MemorySegment removed = IoCsqRemoveNextIrp(queue.csq, MemorySegment.NULL);
        complete(removed, NtStatus.STATUS_SUCCESS);
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    @Test
    void shouldReturnSuccessFromInsertIrpExOnAQueueWithoutAnInsertExRoutine() {
        boot(false);
        MemorySegment irp = IoAllocateIrp(1, false);
        send(irp, 1);
        assertEquals(NtStatus.STATUS_SUCCESS, lastInsertStatus.get());
        MemorySegment removed = IoCsqRemoveNextIrp(queue.csq, MemorySegment.NULL);
        complete(removed, NtStatus.STATUS_SUCCESS);
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }

    /** The race test runs at least this many rounds, however long they take (a loaded machine runs few per second). */
    private static final long MIN_ROUNDS = 1000;

    /** Spins briefly, then yields (the test machine may have fewer free processors than threads). */
    private static void pause(int spins) {
        if (spins < 200) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /**
     * Cancel against remove, across two threads, round after round on one IRP: in every round exactly
     * one of IoCsqRemoveIrp (which then completes the IRP with success) and the cancel path
     * (CsqCompleteCanceledIrp) completes it, the queue is empty after the round, and no IRP is
     * completed twice (that would be bug check 0x44) or lost (the round's completion count). Rounds:
     * up to {@code offkern.io.csqRaceRounds} (default 1,000,000) or {@code offkern.io.csqRaceSeconds}
     * (default 15) seconds, whichever comes first, but at least {@link #MIN_ROUNDS}. Which side wins
     * each round is up to the scheduler (the printed counts show the mix); the single-threaded tests
     * above cover each outcome deterministically.
     */
    @Tag("stress")
    @Test
    void shouldNeverCompleteTwiceOrLoseAnIrpWhenCancelRacesRemove() throws Exception {
        boot(false);
        long maxRounds = Long.getLong("offkern.io.csqRaceRounds", 1_000_000L);
        long deadline = System.nanoTime() + Long.getLong("offkern.io.csqRaceSeconds", 15L) * 1_000_000_000L;
        MemorySegment ctx = io.block(IO_CSQ_IRP_CONTEXT.X64.size());
        insertContext.set(ctx);
        MemorySegment irp = IoAllocateIrp(1, false);
        AtomicLong go = new AtomicLong();
        AtomicLong done = new AtomicLong();
        AtomicLong cancelReturnedTrue = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Kernel k = io.kernel;
        Thread canceller = Thread.ofPlatform().name("csq-canceller").start(() -> {
            k.attach();
            try {
                for (long r = 1; ; r++) {
                    long want = r;
                    for (int spins = 0; go.get() < want; spins++) {
                        if (go.get() < 0) {
                            return;
                        }
                        pause(spins);
                    }
                    if (go.get() < 0) {
                        return;
                    }
                    if (IoCancelIrp(irp)) {
                        cancelReturnedTrue.incrementAndGet();
                    }
                    done.set(r);
                }
            } catch (Throwable t) {
                failure.set(t);
                done.set(Long.MAX_VALUE);
            } finally {
                Kernel.detach();
            }
        });
        long rounds = 0;
        long removed = 0;
        try {
            while (rounds < maxRounds && (rounds < MIN_ROUNDS || System.nanoTime() < deadline) && failure.get() == null) {
                rounds++;
                assertEquals(NtStatus.STATUS_PENDING, send(irp, rounds));
                go.set(rounds);
                for (int spin = (int) (rounds % 4) * 16; spin > 0; spin--) {
                    Thread.onSpinWait(); // vary who comes first
                }
                if (rounds % 3 == 0) {
                    Thread.yield(); // and let the canceller get ahead now and then
                }
                MemorySegment mine = IoCsqRemoveIrp(queue.csq, ctx);
                if (mine.address() != 0) {
                    removed++;
                    complete(mine, NtStatus.STATUS_SUCCESS);
                }
                for (int spins = 0; done.get() < rounds; spins++) {
                    pause(spins);
                }
                if (failure.get() != null) {
                    break;
                }
                long total = completedOk.get() + completedCancelled.get();
                if (total != rounds || !queue.irps.isEmpty() || ctx.get(JAVA_LONG, IO_CSQ_IRP_CONTEXT.IRP_OFFSET) != 0) {
                    throw new AssertionError("round " + rounds + ": " + total + " completions, queue " + queue.irps
                            + ", context Irp 0x" + Long.toHexString(ctx.get(JAVA_LONG, IO_CSQ_IRP_CONTEXT.IRP_OFFSET)));
                }
            }
        } finally {
            go.set(-1);
            canceller.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("the canceller failed", failure.get());
        }
        System.out.printf("IoCsq cancel/remove race: %d rounds, %d removed, %d cancelled (IoCancelIrp TRUE %d)%n", rounds, removed,
                completedCancelled.get(), cancelReturnedTrue.get());
        assertEquals(rounds, completedOk.get() + completedCancelled.get());
        assertEquals(removed, completedOk.get());
        assertEquals(completedCancelled.get(), queue.canceled.get(), "every cancellation went through CsqCompleteCanceledIrp once");
        assertEquals(cancelReturnedTrue.get(), completedCancelled.get(), "IoCancelIrp returned TRUE exactly when it completed the IRP");
        IoFreeIrp(irp);
        io.closeWithoutLeaks();
    }
}
