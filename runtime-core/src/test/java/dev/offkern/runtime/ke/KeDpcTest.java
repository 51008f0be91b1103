package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static dev.offkern.runtime.ke.LockTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KDPC_DATA;
import dev.offkern.layout.ke.OFFKERN_PRCB;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KDEFERRED_ROUTINE;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeDpcTest {
    @TempDir
    Path dumps;
    Kernel kernel;

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps).leakReportSink(s -> { });
    }

    @AfterEach
    void close() {
        resetThread();
        kernel.close();
    }

    private MemorySegment dpc() {
        return block(kernel, KDPC.X64.size());
    }

    private static MemorySegment ptr(long v) {
        return MemorySegment.ofAddress(v);
    }

    private int myProcessor() {
        return ThreadState.current().processorNumber();
    }

    private int otherProcessor() {
        return 1 - myProcessor();
    }

    @Test
    void shouldInitializeTheKdpcByteExact() {
        MemorySegment d = dpc();
        d.fill((byte) 0x5A);
        KDEFERRED_ROUTINE r = (dpc, ctx, a1, a2) -> { };
        KeInitializeDpc(d, r, ptr(0x1234));
        assertEquals(0x13, d.get(ValueLayout.JAVA_BYTE, KDPC.TYPE_OFFSET));
        assertEquals(MediumImportance, d.get(ValueLayout.JAVA_BYTE, KDPC.IMPORTANCE_OFFSET));
        assertEquals(0, d.get(ValueLayout.JAVA_SHORT, KDPC.NUMBER_OFFSET));
        assertEquals(0x1234, d.get(ValueLayout.JAVA_LONG, KDPC.DEFERRED_CONTEXT_OFFSET));
        assertEquals(0, d.get(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET));
        long stub = d.get(ValueLayout.JAVA_LONG, KDPC.DEFERRED_ROUTINE_OFFSET);
        assertNotEquals(0, stub);
        assertSame(r, kernel.core().routines().routineAt(stub), "DeferredRoutine is the routine's stub in the one table");
        MemorySegment t = dpc();
        KeInitializeThreadedDpc(t, r, MemorySegment.NULL);
        assertEquals(0x18, t.get(ValueLayout.JAVA_BYTE, KDPC.TYPE_OFFSET));
        assertEquals(stub, t.get(ValueLayout.JAVA_LONG, KDPC.DEFERRED_ROUTINE_OFFSET), "one stub per routine");
    }

    @Test
    void shouldRunADpcInsertedAtPassiveLevelBeforeKeInsertQueueDpcReturns() {
        MemorySegment d = dpc();
        int[] seen = new int[6];
        long[] args = new long[4];
        MemorySegment pn = block(kernel, 8);
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> {
            seen[0]++;
            seen[1] = KeGetCurrentIrql();
            seen[2] = KeGetCurrentProcessorNumberEx(pn);
            seen[3] = (int) dpc.get(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET); // NULL again before the routine runs
            seen[4] = ThreadState.current().inDpcRoutine() ? 1 : 0;
            args[0] = dpc.address();
            args[1] = ctx.address();
            args[2] = a1.address();
            args[3] = a2.address();
        }, ptr(77));
        assertTrue(KeInsertQueueDpc(d, ptr(11), ptr(22)));
        assertEquals(1, seen[0], "ran before KeInsertQueueDpc returned");
        assertEquals(Irql.DISPATCH_LEVEL, seen[1]);
        assertEquals(myProcessor(), seen[2]);
        assertEquals(myProcessor(), pn.get(ValueLayout.JAVA_BYTE, 2), "PROCESSOR_NUMBER.Number inside the DPC");
        assertEquals(0, seen[3]);
        assertEquals(1, seen[4]);
        assertArrayEquals(new long[] {d.address(), 77, 11, 22}, args);
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql());
        assertEquals(1L << myProcessor(), d.get(ValueLayout.JAVA_LONG, KDPC.PROCESSOR_HISTORY_OFFSET));
        assertEquals(1, kernel.processors().get(myProcessor()).dpcCount());
    }

    @Test
    void shouldRunADpcInsertedAtDispatchLevelWhenTheThreadLowersBelowDispatch() {
        MemorySegment d = dpc();
        AtomicInteger runs = new AtomicInteger();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> runs.incrementAndGet(), MemorySegment.NULL);
        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertTrue(KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
        assertEquals(0, runs.get(), "not while the inserting thread is at DISPATCH_LEVEL");
        assertEquals(1, kernel.processors().get(myProcessor()).dpcQueueDepth());
        assertEquals(kernel.processors().get(myProcessor()).prcb().address() + OFFKERN_PRCB.dpcDataOffset(KDPC_DATA.DPC_NORMAL),
                d.get(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET), "DpcData points at the PRCB's KDPC_DATA while queued");
        KeLowerIrql(old);
        assertEquals(1, runs.get(), "ran when IRQL dropped below DISPATCH_LEVEL");
        assertEquals(0, kernel.processors().get(myProcessor()).dpcQueueDepth());
        assertEquals(0, d.get(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET));
    }

    @Test
    void shouldRunPendingDpcsWhenASpinLockReleaseLowersTheIrql() {
        MemorySegment d = dpc();
        MemorySegment lock = block(kernel, 8);
        AtomicInteger runs = new AtomicInteger();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> runs.incrementAndGet(), MemorySegment.NULL);
        int old = KeAcquireSpinLock(lock);
        KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL);
        assertEquals(0, runs.get());
        KeReleaseSpinLock(lock, old);
        assertEquals(1, runs.get());
    }

    @Test
    void shouldReturnFalseOnASecondInsertAndKeepTheFirstArguments() {
        MemorySegment d = dpc();
        List<long[]> calls = new CopyOnWriteArrayList<>();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> calls.add(new long[] {a1.address(), a2.address()}), MemorySegment.NULL);
        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertTrue(KeInsertQueueDpc(d, ptr(1), ptr(2)));
        assertFalse(KeInsertQueueDpc(d, ptr(3), ptr(4)));
        assertEquals(1, d.get(ValueLayout.JAVA_LONG, KDPC.SYSTEM_ARGUMENT1_OFFSET));
        assertEquals(2, d.get(ValueLayout.JAVA_LONG, KDPC.SYSTEM_ARGUMENT2_OFFSET));
        KeLowerIrql(old);
        assertEquals(1, calls.size(), "queued once, ran once");
        assertArrayEquals(new long[] {1, 2}, calls.get(0));
        assertTrue(KeInsertQueueDpc(d, ptr(5), ptr(6)), "queueable again once it ran");
        assertArrayEquals(new long[] {5, 6}, calls.get(1));
    }

    @Test
    void shouldNeverRunARemovedDpc() {
        MemorySegment d = dpc();
        MemorySegment e = dpc();
        AtomicInteger runs = new AtomicInteger();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> runs.incrementAndGet(), MemorySegment.NULL);
        KeInitializeDpc(e, (dpc, ctx, a1, a2) -> runs.addAndGet(100), MemorySegment.NULL);
        assertFalse(KeRemoveQueueDpc(d), "not queued");
        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
        KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL);
        KeInsertQueueDpc(e, MemorySegment.NULL, MemorySegment.NULL);
        assertTrue(KeRemoveQueueDpc(d));
        assertFalse(KeRemoveQueueDpc(d));
        assertEquals(0, d.get(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET));
        assertEquals(1, kernel.processors().get(myProcessor()).dpcQueueDepth());
        KeLowerIrql(old);
        assertEquals(100, runs.get(), "only the DPC left in the queue ran");
    }

    @Test
    void shouldQueueHighImportanceDpcsAtTheHead() {
        List<String> order = new CopyOnWriteArrayList<>();
        MemorySegment a = dpc();
        MemorySegment b = dpc();
        MemorySegment c = dpc();
        KeInitializeDpc(a, (dpc, ctx, x, y) -> order.add("a"), MemorySegment.NULL);
        KeInitializeDpc(b, (dpc, ctx, x, y) -> order.add("b"), MemorySegment.NULL);
        KeInitializeDpc(c, (dpc, ctx, x, y) -> order.add("c"), MemorySegment.NULL);
        KeSetImportanceDpc(b, LowImportance);
        KeSetImportanceDpc(c, HighImportance);
        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
        KeInsertQueueDpc(a, MemorySegment.NULL, MemorySegment.NULL);
        KeInsertQueueDpc(b, MemorySegment.NULL, MemorySegment.NULL);
        KeInsertQueueDpc(c, MemorySegment.NULL, MemorySegment.NULL);
        KeLowerIrql(old);
        assertEquals(List.of("c", "a", "b"), order);
    }

    @Test
    void shouldRunADpcTargetedAtAnotherProcessorOnThatProcessorsServiceThread() throws Exception {
        MemorySegment d = dpc();
        int target = otherProcessor();
        CompletableFuture<Object[]> seen = new CompletableFuture<>();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> seen.complete(new Object[] {Thread.currentThread().getName(),
                KeGetCurrentProcessorNumberEx(MemorySegment.NULL), KeGetCurrentIrql()}), MemorySegment.NULL);
        KeSetTargetProcessorDpc(d, target);
        assertEquals(target + 64, d.get(ValueLayout.JAVA_SHORT, KDPC.NUMBER_OFFSET));
        assertTrue(KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
        Object[] s = seen.get(10, TimeUnit.SECONDS);
        assertEquals("offkern-cpu-" + target, s[0]);
        assertEquals(target, s[1]);
        assertEquals(Irql.DISPATCH_LEVEL, s[2]);
    }

    @Test
    void shouldLeaveTheTargetUnchangedForANumberThatIsNoProcessor() {
        MemorySegment d = dpc();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> { }, MemorySegment.NULL);
        KeSetTargetProcessorDpc(d, 1);
        KeSetTargetProcessorDpc(d, 2);
        KeSetTargetProcessorDpc(d, -1);
        assertEquals(65, d.get(ValueLayout.JAVA_SHORT, KDPC.NUMBER_OFFSET));
    }

    @Test
    void shouldRefuseAnInvalidProcessorNumberInKeSetTargetProcessorDpcEx() {
        MemorySegment d = dpc();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> { }, MemorySegment.NULL);
        MemorySegment pn = block(kernel, 8);
        pn.set(ValueLayout.JAVA_SHORT, 0, (short) 1);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, KeSetTargetProcessorDpcEx(d, pn));
        pn.set(ValueLayout.JAVA_SHORT, 0, (short) 0);
        pn.set(ValueLayout.JAVA_BYTE, 2, (byte) 2);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, KeSetTargetProcessorDpcEx(d, pn));
        assertEquals(0, d.get(ValueLayout.JAVA_SHORT, KDPC.NUMBER_OFFSET));
        pn.set(ValueLayout.JAVA_BYTE, 2, (byte) 1);
        assertEquals(NtStatus.STATUS_SUCCESS, KeSetTargetProcessorDpcEx(d, pn));
        assertEquals(65, d.get(ValueLayout.JAVA_SHORT, KDPC.NUMBER_OFFSET));
    }

    @Test
    void shouldRunAThreadedDpcAtPassiveLevelOnTheProcessorsDpcThread() throws Exception {
        MemorySegment d = dpc();
        CompletableFuture<Object[]> seen = new CompletableFuture<>();
        KeInitializeThreadedDpc(d, (dpc, ctx, a1, a2) -> seen.complete(new Object[] {Thread.currentThread().getName(),
                KeGetCurrentIrql(), KeGetCurrentProcessorNumber()}), MemorySegment.NULL);
        assertTrue(KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
        Object[] s = seen.get(10, TimeUnit.SECONDS);
        assertEquals("offkern-tdpc-" + myProcessor(), s[0]);
        assertEquals(Irql.PASSIVE_LEVEL, s[1]);
        assertEquals(myProcessor(), s[2]);
        KeFlushQueuedDpcs();
        assertEquals(1, kernel.processors().get(myProcessor()).threadedDpcCount());
    }

    @Test
    void shouldRunThreadedDpcsAsNormalDpcsWhenThreadedDpcsAreDisabled() {
        kernel.close();
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps).withThreadedDpcs(false))
                .leakReportSink(s -> { });
        MemorySegment d = dpc();
        int[] irql = {-1};
        KeInitializeThreadedDpc(d, (dpc, ctx, a1, a2) -> irql[0] = KeGetCurrentIrql(), MemorySegment.NULL);
        assertTrue(KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
        assertEquals(Irql.DISPATCH_LEVEL, irql[0], "ran inline at DISPATCH_LEVEL like a normal DPC");
    }

    @Test
    void shouldWaitInKeFlushQueuedDpcsForDpcsQueuedOnOtherProcessors() {
        MemorySegment d = dpc();
        AtomicInteger done = new AtomicInteger();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> {
            KeStallExecutionProcessor(20_000);
            done.incrementAndGet();
        }, MemorySegment.NULL);
        KeSetTargetProcessorDpc(d, otherProcessor());
        KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL);
        KeFlushQueuedDpcs();
        assertEquals(1, done.get());
    }

    // ----- verifier -----

    @Test
    void shouldBugCheckKeFlushQueuedDpcsAboveDispatch() {
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, new long[] {0, Irql.DISPATCH_LEVEL, 0, 0},
                () -> KeFlushQueuedDpcs());
    }

    @Test
    void shouldBugCheckADpcRoutineThatReturnsAtAnotherIrql() {
        MemorySegment d = dpc();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> KeRaiseIrql(Irql.HIGH_LEVEL), MemorySegment.NULL);
        long routine = d.get(ValueLayout.JAVA_LONG, KDPC.DEFERRED_ROUTINE_OFFSET);
        assertBugCheck(BugCheckCode.IRQL_UNEXPECTED_VALUE,
                new long[] {(15L << 16) | (2L << 8), routine, d.address(), 0},
                () -> KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
        assertEquals(Irql.PASSIVE_LEVEL, KeGetCurrentIrql(), "the inserting thread's IRQL is restored");
        assertEquals(0, KeDpc.drainOwner(kernel.processors().get(myProcessor()).prcb()), "the drain token is released");
    }

    @Test
    void shouldBugCheckADpcRoutineThatLowersBelowDispatch() {
        MemorySegment d = dpc();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> KeLowerIrql(Irql.PASSIVE_LEVEL), MemorySegment.NULL);
        assertBugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, new long[] {0x31, 2, 0, 1},
                () -> KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
    }

    @Test
    void shouldBugCheckADpcRoutineThatChangesTheApcDisableCount() {
        MemorySegment d = dpc();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> ThreadState.current().addKernelApcDisable(-1), MemorySegment.NULL);
        long routine = d.get(ValueLayout.JAVA_LONG, KDPC.DEFERRED_ROUTINE_OFFSET);
        assertBugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, new long[] {4, routine, 0, 0xFFFFFFFFL},
                () -> KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
        assertEquals(0, ThreadState.current().kernelApcDisable(), "the count is restored");
    }

    @Test
    void shouldBugCheckAnExceptionEscapingADpcRoutine() {
        MemorySegment d = dpc();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> {
            throw new IllegalStateException("driver bug");
        }, MemorySegment.NULL);
        long routine = d.get(ValueLayout.JAVA_LONG, KDPC.DEFERRED_ROUTINE_OFFSET);
        assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED,
                new long[] {NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, routine, d.address(), 0},
                () -> KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
    }

    @Test
    void shouldKeepServingDpcsOnAProcessorAfterARoutineBugChecked() throws Exception {
        MemorySegment bad = dpc();
        MemorySegment good = dpc();
        CompletableFuture<Boolean> ran = new CompletableFuture<>();
        KeInitializeDpc(bad, (dpc, ctx, a1, a2) -> {
            throw new IllegalStateException("driver bug");
        }, MemorySegment.NULL);
        KeInitializeDpc(good, (dpc, ctx, a1, a2) -> ran.complete(true), MemorySegment.NULL);
        KeSetTargetProcessorDpc(bad, otherProcessor());
        KeSetTargetProcessorDpc(good, otherProcessor());
        KeInsertQueueDpc(bad, MemorySegment.NULL, MemorySegment.NULL);
        KeInsertQueueDpc(good, MemorySegment.NULL, MemorySegment.NULL);
        assertTrue(ran.get(10, TimeUnit.SECONDS));
        assertEquals(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, kernel.bugChecks().last().bugCheck().code());
    }

    @Test
    @org.junit.jupiter.api.Timeout(60) // before the fix the threaded-DPC thread died and KeFlushQueuedDpcs waited for ever
    void shouldKeepServingNormalAndThreadedDpcsAfterARoutineLetAnotherKernelsHaltEscape() throws Exception {
        // A routine that called into a second kernel halted by a bug check lets that kernel's
        // KernelHaltedException escape: an unhandled exception of the routine (0x1E) in this kernel,
        // which keeps running, not the end of this processor's service or threaded-DPC thread.
        KernelHaltedException foreign = new KernelHaltedException(
                new BugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, 0, 0, 0, 0, "another kernel's bug check"), null);
        for (boolean threaded : new boolean[] {false, true}) {
            MemorySegment bad = dpc();
            MemorySegment good = dpc();
            CompletableFuture<String> ran = new CompletableFuture<>();
            KDEFERRED_ROUTINE throwing = (dpc, ctx, a1, a2) -> {
                throw foreign;
            };
            KDEFERRED_ROUTINE fine = (dpc, ctx, a1, a2) -> ran.complete(Thread.currentThread().getName());
            if (threaded) {
                KeInitializeThreadedDpc(bad, throwing, MemorySegment.NULL);
                KeInitializeThreadedDpc(good, fine, MemorySegment.NULL);
            } else {
                KeInitializeDpc(bad, throwing, MemorySegment.NULL);
                KeInitializeDpc(good, fine, MemorySegment.NULL);
                KeSetTargetProcessorDpc(bad, otherProcessor()); // the other processor's service thread runs them
                KeSetTargetProcessorDpc(good, otherProcessor());
            }
            long before = kernel.bugChecks().raisedCount();
            KeInsertQueueDpc(bad, MemorySegment.NULL, MemorySegment.NULL);
            KeFlushQueuedDpcs(); // returns: the thread that ran the bad routine still serves its queue
            KeInsertQueueDpc(good, MemorySegment.NULL, MemorySegment.NULL);
            String thread = ran.get(10, TimeUnit.SECONDS);
            assertTrue(thread.startsWith(threaded ? "offkern-tdpc-" : "offkern-"), thread);
            assertFalse(kernel.isHalted());
            assertEquals(before + 1, kernel.bugChecks().raisedCount(), "one bug check for the escaped exception");
            assertEquals(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, kernel.bugChecks().last().bugCheck().code());
            assertTrue(kernel.bugChecks().last().bugCheck().getMessage().contains("KernelHaltedException"),
                    kernel.bugChecks().last().bugCheck().getMessage());
        }
    }

    // ----- bad input -----

    @Test
    void shouldRefuseNullMisalignedAndShortDpcs() {
        KDEFERRED_ROUTINE r = (dpc, ctx, a1, a2) -> { };
        assertThrows(IllegalArgumentException.class, () -> KeInitializeDpc(MemorySegment.NULL, r, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> KeInsertQueueDpc(null, MemorySegment.NULL, MemorySegment.NULL));
        MemorySegment b = block(kernel, 0x80);
        assertThrows(IllegalArgumentException.class, () -> KeInitializeDpc(b.asSlice(4, 0x40), r, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> KeInitializeDpc(b.asSlice(0, 0x38), r, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> KeInitializeDpc(dpc(), (KDEFERRED_ROUTINE) null, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> KeSetImportanceDpc(dpc(), 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KeInsertQueueDpc(dpc(), MemorySegment.NULL, MemorySegment.NULL));
        assertTrue(e.getMessage().contains("not an initialized KDPC"), e.getMessage());
    }

    @Test
    void shouldBugCheckInsertingADpcOutsideKernelMemory() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(0x40, 16);
            KeInitializeDpc(d, (dpc, ctx, a1, a2) -> { }, MemorySegment.NULL);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {d.address(), 0, 0, 0},
                    () -> KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
        }
    }

    @Test
    void shouldBugCheckInsteadOfJumpingToARoutinePointerIntoKernelData() {
        MemorySegment d = dpc();
        MemorySegment data = block(kernel, 64);
        KeInitializeDpc(d, data, MemorySegment.NULL);
        assertBugCheck(BugCheckCode.ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY, new long[] {data.address(), 0, 0, 0},
                () -> KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
    }

    @Test
    void shouldBugCheckInsteadOfJumpingToAnUnregisteredRoutinePointer() {
        MemorySegment d = dpc();
        KeInitializeDpc(d, ptr(0x1000), MemorySegment.NULL);
        assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {0x1000, 0x10, d.address(), 0},
                () -> KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
    }

    @Test
    void shouldBugCheckADpcWhoseNumberNamesNoProcessor() {
        MemorySegment d = dpc();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> { }, MemorySegment.NULL);
        d.set(ValueLayout.JAVA_SHORT, KDPC.NUMBER_OFFSET, (short) (64 + 5));
        assertBugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, new long[] {3, d.address(), 5, 2},
                () -> KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL));
    }

    @Test
    void shouldBugCheckReinitializingAQueuedDpc() {
        MemorySegment d = dpc();
        AtomicInteger runs = new AtomicInteger();
        KeInitializeDpc(d, (dpc, ctx, a1, a2) -> runs.incrementAndGet(), MemorySegment.NULL);
        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
        KeInsertQueueDpc(d, MemorySegment.NULL, MemorySegment.NULL);
        assertBugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, new long[] {1, d.address(), d.address(), d.address() + 0x40},
                () -> KeInitializeDpc(d, (dpc, ctx, a1, a2) -> { }, MemorySegment.NULL));
        KeLowerIrql(old);
        assertEquals(1, runs.get(), "the queued DPC is intact and ran");
    }

    @Test
    void shouldBugCheckAndEmptyADpcQueueWhoseLinksWereOverwritten() {
        MemorySegment a = dpc();
        MemorySegment b = dpc();
        MemorySegment junk = block(kernel, 0x80);
        AtomicInteger runs = new AtomicInteger();
        KeInitializeDpc(a, (dpc, ctx, x, y) -> runs.incrementAndGet(), MemorySegment.NULL);
        KeInitializeDpc(b, (dpc, ctx, x, y) -> runs.addAndGet(100), MemorySegment.NULL);
        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
        KeInsertQueueDpc(a, MemorySegment.NULL, MemorySegment.NULL);
        KeInsertQueueDpc(b, MemorySegment.NULL, MemorySegment.NULL);
        long bogus = junk.address() + KDPC.DPC_LIST_ENTRY_OFFSET;
        a.set(ValueLayout.JAVA_LONG, KDPC.DPC_LIST_ENTRY_OFFSET, bogus); // a driver scribbles over a queued DPC
        long data = kernel.processors().get(myProcessor()).prcb().address() + OFFKERN_PRCB.dpcDataOffset(KDPC_DATA.DPC_NORMAL);
        assertBugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, new long[] {3, data, bogus, 0}, () -> KeLowerIrql(old));
        assertEquals(1, runs.get(), "the DPC before the bad link ran");
        assertEquals(0, kernel.processors().get(myProcessor()).dpcQueueDepth(), "the corrupt queue was emptied");
    }

    @Test
    @org.junit.jupiter.api.Timeout(60) // before the fix KeRemoveQueueDpc spun for ever on the "lock" of a bogus queue
    void shouldBugCheckRemovingADpcWhoseDpcDataNamesNoQueue() {
        // A freed KDPC whose block was reused (fuzzer seed 0x2a79dc7e34d8e1f1, epoch 55): DpcData points into
        // kernel memory that is no processor's queue, where the "DpcLock" word is never 0.
        MemorySegment d = dpc();
        MemorySegment junk = block(kernel, 0x80);
        junk.fill((byte) 0xFF);
        KeInitializeDpc(d, (dpc, ctx, x, y) -> { }, MemorySegment.NULL);
        d.set(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET, junk.address());
        assertBugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, new long[] {3, junk.address(), junk.address(), 0},
                () -> KeRemoveQueueDpc(d));
        d.set(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET, 0L);
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD) // before the fix the drain spun for ever on a depth no list backed
    void shouldBugCheckAndEmptyAQueueWhoseDepthCountsDpcsCutOffItsList() {
        // A queued KDPC's DpcData scribbled to NULL (or the KDPC re-initialized while queued, unchecked
        // without the verifier), then queued again at the tail: its link is rewritten to NULL and the
        // DPCs behind it are cut off the list while DpcQueueDepth still counts them.
        AtomicInteger runs = new AtomicInteger();
        KDEFERRED_ROUTINE count = (dpc, ctx, x, y) -> runs.incrementAndGet();
        MemorySegment a = dpc();
        MemorySegment b = dpc();
        MemorySegment c = dpc();
        KeInitializeDpc(a, count, MemorySegment.NULL);
        KeInitializeDpc(b, count, MemorySegment.NULL);
        KeInitializeDpc(c, count, MemorySegment.NULL);
        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertTrue(KeInsertQueueDpc(a, MemorySegment.NULL, MemorySegment.NULL));
        assertTrue(KeInsertQueueDpc(b, MemorySegment.NULL, MemorySegment.NULL));
        assertTrue(KeInsertQueueDpc(c, MemorySegment.NULL, MemorySegment.NULL));
        long queue = a.get(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET);
        a.set(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET, 0L);
        assertTrue(KeInsertQueueDpc(a, MemorySegment.NULL, MemorySegment.NULL)); // c.Next = a, a.Next = NULL: b and c cut off
        BugCheck stop = assertThrows(BugCheck.class, () -> KeLowerIrql(old));
        assertEquals(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, stop.code());
        assertEquals(3, stop.parameters()[0]);
        assertEquals(queue, stop.parameters()[1]);
        assertEquals(Irql.DISPATCH_LEVEL, KeGetCurrentIrql()); // the bug check interrupted the lowering (THROW policy)
        KeLowerIrql(old); // the queue is consistent (empty) again: the lowering completes
        assertEquals(1, runs.get()); // a ran once; b and c were dropped with the corrupt queue
        KeFlushQueuedDpcs(); // the queue is consistent (empty) again: returns
        b.set(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET, 0L); // dropped while "queued": the driver's DPCs are lost, as on Windows
        c.set(ValueLayout.JAVA_LONG, KDPC.DPC_DATA_OFFSET, 0L);
        assertTrue(KeInsertQueueDpc(b, MemorySegment.NULL, MemorySegment.NULL)); // and still serves
        assertEquals(2, runs.get());
    }
}
