package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.KeLowerIrql;
import static dev.offkern.ddi.Ke.KeRaiseIrql;
import static dev.offkern.ddi.Ke.KeRestoreFloatingPointState;
import static dev.offkern.ddi.Ke.KeSaveFloatingPointState;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ke.KFLOATING_SAVE;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.shim.FloatingPointControl;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeFloatingStateTest {
    private static final int CONTROL = ~FloatingPointControl.MXCSR_EXCEPTION_FLAGS;
    private static final int ROUND_DOWN = FloatingPointControl.MXCSR_DEFAULT | 0x2000;
    private static final int ROUND_UP = FloatingPointControl.MXCSR_DEFAULT | 0x4000;
    private static final int ROUND_TO_ZERO = FloatingPointControl.MXCSR_DEFAULT | 0x6000;
    private static final int FLUSH_TO_ZERO = FloatingPointControl.MXCSR_DEFAULT | FloatingPointControl.MXCSR_FLUSH_TO_ZERO;
    private static final int TAG = PoolTags.tag("FsTt");

    @TempDir
    Path dumps;
    Kernel kernel;
    Pool pool;
    int savedMxcsr;
    final Queue<Long> blocks = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps);
        pool = kernel.nonPagedPool();
        savedMxcsr = FloatingPointControl.mxcsr();
    }

    @AfterEach
    void close() {
        KeExtendedState.overrideSupport(true);
        FloatingPointControl.setMxcsr(savedMxcsr);
        if (kernel != null) {
            for (long b : blocks) {
                pool.free(b, TAG);
            }
            kernel.close();
        }
    }

    private MemorySegment newSave() {
        MemorySegment s = pool.allocateStruct(KFLOATING_SAVE.X64, TAG);
        blocks.add(s.address());
        return s;
    }

    private static int dummy(MemorySegment s) {
        return s.get(JAVA_INT, KFLOATING_SAVE.DUMMY_OFFSET);
    }

    private static BugCheck assertBugCheck(int code, long[] parameters, Runnable call) {
        BugCheck bc = assertThrows(BugCheck.class, call::run);
        assertEquals(code, bc.code(), bc.getMessage());
        assertArrayEquals(parameters, bc.parameters(), bc.getMessage());
        return bc;
    }

    @Test
    void shouldKeepMxcsrInDummyGiveAFreshContextAndRestoreIt() {
        assertEquals(4, KeFloatingState.KFLOATING_SAVE_SIZE, "x64 KFLOATING_SAVE is one ULONG");
        FloatingPointControl.setMxcsr(ROUND_TO_ZERO);
        MemorySegment save = newSave();
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveFloatingPointState(save));
        assertEquals(ROUND_TO_ZERO, dummy(save) & CONTROL, "Dummy holds the caller's MXCSR");
        assertEquals(FloatingPointControl.MXCSR_DEFAULT, FloatingPointControl.mxcsr() & CONTROL,
                "a fresh context: round to nearest, all exceptions masked");

        FloatingPointControl.setMxcsr(FLUSH_TO_ZERO);
        assertEquals(NtStatus.STATUS_SUCCESS, KeRestoreFloatingPointState(save));
        assertEquals(ROUND_TO_ZERO, FloatingPointControl.mxcsr() & CONTROL, "restored");
    }

    @Test
    void shouldNestTwoSavesAtRisingIrqlAndRestoreInReverseOrder() {
        MemorySegment outer = newSave();
        MemorySegment inner = newSave();
        FloatingPointControl.setMxcsr(ROUND_DOWN);
        KeSaveFloatingPointState(outer);
        FloatingPointControl.setMxcsr(ROUND_UP);
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        KeSaveFloatingPointState(inner);
        FloatingPointControl.setMxcsr(ROUND_TO_ZERO);
        KeRestoreFloatingPointState(inner);
        assertEquals(ROUND_UP, FloatingPointControl.mxcsr() & CONTROL);
        KeLowerIrql(Irql.PASSIVE_LEVEL);
        KeRestoreFloatingPointState(outer);
        assertEquals(ROUND_DOWN, FloatingPointControl.mxcsr() & CONTROL);
        assertEquals(0, ThreadState.current().stateSaves().floatDepth());
    }

    @Test
    void shouldBugCheckAnOutOfOrderOrSecondRestoreAsAnInvalidSavedContext() {
        MemorySegment a = newSave();
        MemorySegment b = newSave();
        FloatingPointControl.setMxcsr(ROUND_DOWN);
        KeSaveFloatingPointState(a);
        KeSaveFloatingPointState(b);
        BugCheck bc = assertBugCheck(BugCheckCode.INVALID_FLOATING_POINT_STATE,
                new long[] {0, Integer.toUnsignedLong(dummy(a)), 0, 0}, () -> KeRestoreFloatingPointState(a));
        assertTrue(bc.getMessage().contains("innermost"), bc.getMessage());
        KeRestoreFloatingPointState(b);
        KeRestoreFloatingPointState(a);
        assertEquals(ROUND_DOWN, FloatingPointControl.mxcsr() & CONTROL);
        assertBugCheck(BugCheckCode.INVALID_FLOATING_POINT_STATE,
                new long[] {0, Integer.toUnsignedLong(dummy(a)), 0, 0}, () -> KeRestoreFloatingPointState(a));
        MemorySegment never = newSave();
        assertBugCheck(BugCheckCode.INVALID_FLOATING_POINT_STATE, new long[] {0, 0, 0, 0},
                () -> KeRestoreFloatingPointState(never));
    }

    @Test
    void shouldBugCheckARestoreAtAnotherIrqlWithBothIrqls() {
        MemorySegment a = newSave();
        KeSaveFloatingPointState(a);
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertBugCheck(BugCheckCode.INVALID_FLOATING_POINT_STATE, new long[] {1, 0, 2, 0},
                () -> KeRestoreFloatingPointState(a));
        KeLowerIrql(Irql.PASSIVE_LEVEL);
        assertEquals(NtStatus.STATUS_SUCCESS, KeRestoreFloatingPointState(a));
    }

    @Test
    void shouldBugCheckARestoreOnAnotherThread() throws Exception {
        MemorySegment a = newSave();
        KeSaveFloatingPointState(a);
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                KeRestoreFloatingPointState(a);
            } catch (Throwable e) {
                seen.set(e);
            }
        });
        t.start();
        t.join();
        BugCheck bc = (BugCheck) seen.get();
        assertEquals(BugCheckCode.INVALID_FLOATING_POINT_STATE, bc.code());
        assertEquals(0, bc.parameters()[0]);
        KeRestoreFloatingPointState(a);
    }

    @Test
    void shouldBugCheckADummyChangedSinceTheSaveWithoutLoadingIt() {
        MemorySegment a = newSave();
        FloatingPointControl.setMxcsr(ROUND_UP);
        KeSaveFloatingPointState(a);
        int saved = dummy(a);
        int[] scribbles = {
            0x8000_1F80, // a reserved bit: LDMXCSR would raise #GP
            ROUND_UP & ~0x1000, // precision exception unmasked: the JVM's next inexact result would be SIGFPE
            FLUSH_TO_ZERO, // valid, but not what the thread had: Java arithmetic would change silently
            saved ^ 0x1, // a sticky flag
        };
        for (int v : scribbles) {
            a.set(JAVA_INT, KFLOATING_SAVE.DUMMY_OFFSET, v);
            BugCheck bc = assertBugCheck(BugCheckCode.INVALID_FLOATING_POINT_STATE,
                    new long[] {0, Integer.toUnsignedLong(v), 0, 0}, () -> KeRestoreFloatingPointState(a));
            assertTrue(bc.getMessage().contains("changed since the save"), bc.getMessage());
            assertEquals(FloatingPointControl.MXCSR_DEFAULT, FloatingPointControl.mxcsr() & CONTROL, "nothing loaded");
        }
        a.set(JAVA_INT, KFLOATING_SAVE.DUMMY_OFFSET, saved);
        KeRestoreFloatingPointState(a);
        assertEquals(ROUND_UP, FloatingPointControl.mxcsr() & CONTROL);
    }

    @Test
    void shouldBugCheckAboveDispatchLevelUnderTheVerifier() {
        MemorySegment a = newSave();
        KeRaiseIrql(Irql.HIGH_LEVEL);
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, new long[] {a.address(), 15, 1, 0},
                () -> KeSaveFloatingPointState(a));
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, new long[] {a.address(), 15, 0, 0},
                () -> KeRestoreFloatingPointState(a));
        KeLowerIrql(Irql.PASSIVE_LEVEL);
        assertEquals(0, ThreadState.current().stateSaves().floatDepth(), "the refused save recorded nothing");
    }

    @Test
    void shouldAllowDispatchLevelWithoutTheVerifierAndStillCheckTheIrqlMatch() {
        kernel.close();
        blocks.clear();
        kernel = KernelFixture.boot(dumps, BugCheckPolicy.THROW, false);
        pool = kernel.nonPagedPool();
        MemorySegment a = newSave();
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveFloatingPointState(a));
        KeLowerIrql(Irql.APC_LEVEL);
        assertBugCheck(BugCheckCode.INVALID_FLOATING_POINT_STATE, new long[] {1, 2, 1, 0},
                () -> KeRestoreFloatingPointState(a));
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertEquals(NtStatus.STATUS_SUCCESS, KeRestoreFloatingPointState(a));
        KeLowerIrql(Irql.PASSIVE_LEVEL);
    }

    @Test
    void shouldPageFaultOnANullOrUnmappedBlockAndRefuseHeapSegments() {
        assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {0, 0, 0, 0},
                () -> KeSaveFloatingPointState(MemorySegment.NULL));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment unregistered = arena.allocate(4, 4);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {unregistered.address(), 0, 0, 0},
                    () -> KeRestoreFloatingPointState(unregistered));
        }
        assertThrows(IllegalArgumentException.class, () -> KeSaveFloatingPointState(MemorySegment.ofArray(new int[1])));
        assertEquals(0, ThreadState.current().stateSaves().floatDepth());
        assertEquals(savedMxcsr & CONTROL, FloatingPointControl.mxcsr() & CONTROL, "a refused save changed nothing");
    }

    @Test
    void shouldRefuseAMisalignedOrShortBlockBeforeWritingAnything() {
        long wide = pool.allocate(16, TAG, 0);
        blocks.add(wide);
        MemorySegment block = pool.segmentOf(wide);
        int before = FloatingPointControl.mxcsr();
        var misaligned = assertThrows(IllegalArgumentException.class, () -> KeSaveFloatingPointState(block.asSlice(1, 4)));
        assertTrue(misaligned.getMessage().contains("4-byte aligned"), misaligned.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeSaveFloatingPointState(block.asSlice(4, 2)));
        assertThrows(IllegalArgumentException.class, () -> KeRestoreFloatingPointState(block.asSlice(2, 4)));
        for (long i = 0; i < block.byteSize(); i++) {
            assertEquals(0, block.get(JAVA_BYTE, i), "nothing written");
        }
        assertEquals(before, FloatingPointControl.mxcsr(), "no fresh context was set up");
        assertEquals(0, ThreadState.current().stateSaves().floatDepth());
    }

    @Test
    void shouldNotNeedXsave() {
        KeExtendedState.overrideSupport(false);
        MemorySegment a = newSave();
        FloatingPointControl.setMxcsr(ROUND_UP);
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveFloatingPointState(a), "STMXCSR is baseline x86-64");
        assertEquals(NtStatus.STATUS_SUCCESS, KeRestoreFloatingPointState(a));
        assertEquals(ROUND_UP, FloatingPointControl.mxcsr() & CONTROL);
    }

    @Test
    void shouldKeepEachThreadsMxcsrToItselfUnderConcurrency() throws Exception {
        int threads = 4;
        int rounds = 5_000;
        int[] modes = {ROUND_DOWN, ROUND_UP, ROUND_TO_ZERO, FLUSH_TO_ZERO};
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int mine = modes[i];
            int other = modes[(i + 1) % threads];
            Thread w = new Thread(() -> {
                int before = FloatingPointControl.mxcsr();
                try {
                    MemorySegment outer = newSave();
                    MemorySegment inner = newSave();
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        FloatingPointControl.setMxcsr(mine);
                        KeSaveFloatingPointState(outer);
                        check((dummy(outer) & CONTROL) == mine, "outer Dummy");
                        FloatingPointControl.setMxcsr(other);
                        KeSaveFloatingPointState(inner);
                        check((dummy(inner) & CONTROL) == other, "inner Dummy");
                        check((FloatingPointControl.mxcsr() & CONTROL) == FloatingPointControl.MXCSR_DEFAULT, "fresh");
                        KeRestoreFloatingPointState(inner);
                        check((FloatingPointControl.mxcsr() & CONTROL) == other, "inner restore");
                        KeRestoreFloatingPointState(outer);
                        check((FloatingPointControl.mxcsr() & CONTROL) == mine, "outer restore");
                        check(ThreadState.current().stateSaves().floatDepth() == 0, "no live save left");
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    FloatingPointControl.setMxcsr(before);
                }
            });
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
