package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.KeLowerIrql;
import static dev.offkern.ddi.Ke.KeRaiseIrql;
import static dev.offkern.ddi.Ke.KeRestoreExtendedProcessorState;
import static dev.offkern.ddi.Ke.KeSaveExtendedProcessorState;
import static dev.offkern.ddi.Rtl.RtlGetEnabledExtendedFeatures;
import static dev.offkern.nt.XStateMask.XSTATE_MASK_AVX;
import static dev.offkern.nt.XStateMask.XSTATE_MASK_LEGACY;
import static dev.offkern.nt.XStateMask.XSTATE_MASK_LEGACY_FLOATING_POINT;
import static dev.offkern.nt.XStateMask.XSTATE_MASK_LEGACY_SSE;
import static dev.offkern.nt.XStateMask.XSTATE_MASK_LWP;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.offkern.layout.ke.XSAVE_AREA;
import dev.offkern.layout.ke.XSAVE_AREA_HEADER;
import dev.offkern.layout.ke.XSAVE_FORMAT;
import dev.offkern.layout.ke.XSTATE_CONTEXT;
import dev.offkern.layout.ke.XSTATE_SAVE;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.runtime.pool.PoolUsage;
import dev.offkern.shim.FloatingPointControl;
import dev.offkern.shim.XState;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeExtendedStateTest {
    /** MXCSR control bits (the sticky flags 0..5 may change under any arithmetic). */
    private static final int CONTROL = ~FloatingPointControl.MXCSR_EXCEPTION_FLAGS;
    private static final int ROUND_DOWN = FloatingPointControl.MXCSR_DEFAULT | 0x2000;
    private static final int ROUND_UP = FloatingPointControl.MXCSR_DEFAULT | 0x4000;
    private static final int ROUND_TO_ZERO = FloatingPointControl.MXCSR_DEFAULT | 0x6000;
    /** MXCSR in the legacy region of an XSAVE/FXSAVE area. */
    private static final long AREA_MXCSR = XSAVE_FORMAT.MX_CSR_OFFSET;
    /** The x87 control word in the legacy region. */
    private static final long AREA_FCW = XSAVE_FORMAT.CONTROL_WORD_OFFSET;
    /** XSTATE_BV in an XSAVE area. */
    private static final long AREA_XSTATE_BV = XSAVE_AREA.HEADER_OFFSET + XSAVE_AREA_HEADER.MASK_OFFSET;
    /** The first reserved header qword after XCOMP_BV (must be zero for XRSTOR). */
    private static final long AREA_HEADER_RESERVED = XSAVE_AREA.HEADER_OFFSET + XSAVE_AREA_HEADER.RESERVED_OFFSET + 8;
    private static final long CONTEXT = XSTATE_SAVE.X_STATE_CONTEXT_OFFSET;
    private static final int TAG = PoolTags.tag("XsTt");

    @TempDir
    Path dumps;
    Kernel kernel;
    Pool pool;
    int savedMxcsr;
    int savedCw;
    /** XSTATE_SAVE blocks this test allocated (freed when it ends). */
    final java.util.Queue<Long> blocks = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @BeforeEach
    void boot() {
        assumeTrue(FloatingPointControl.mxcsrMask() != 0, "native shim present");
        kernel = KernelFixture.boot(dumps);
        pool = kernel.nonPagedPool();
        savedMxcsr = FloatingPointControl.mxcsr();
        savedCw = FloatingPointControl.x87ControlWord();
    }

    @AfterEach
    void close() {
        KeExtendedState.overrideSupport(true);
        FloatingPointControl.setMxcsr(savedMxcsr);
        FloatingPointControl.setX87ControlWord(savedCw);
        if (kernel != null) {
            for (long b : blocks) {
                pool.free(b, TAG);
            }
            kernel.close();
        }
    }

    private MemorySegment newSave() {
        MemorySegment s = pool.allocateStruct(XSTATE_SAVE.X64, TAG);
        blocks.add(s.address());
        return s;
    }

    private static long prev(MemorySegment s) {
        return s.get(JAVA_LONG, XSTATE_SAVE.PREV_OFFSET);
    }

    private static long thread(MemorySegment s) {
        return s.get(JAVA_LONG, XSTATE_SAVE.THREAD_OFFSET);
    }

    private static int level(MemorySegment s) {
        return Byte.toUnsignedInt(s.get(JAVA_BYTE, XSTATE_SAVE.LEVEL_OFFSET));
    }

    private static long mask(MemorySegment s) {
        return s.get(JAVA_LONG, CONTEXT + XSTATE_CONTEXT.MASK_OFFSET);
    }

    private static long length(MemorySegment s) {
        return Integer.toUnsignedLong(s.get(JAVA_INT, CONTEXT + XSTATE_CONTEXT.LENGTH_OFFSET));
    }

    private static long area(MemorySegment s) {
        return s.get(JAVA_LONG, CONTEXT + XSTATE_CONTEXT.AREA_OFFSET);
    }

    private static long buffer(MemorySegment s) {
        return s.get(JAVA_LONG, CONTEXT + XSTATE_CONTEXT.BUFFER_OFFSET);
    }

    private long outstandingAreas() {
        long n = 0;
        for (PoolUsage u : pool.usage()) {
            if (u.tag() == KeExtendedState.SAVE_AREA_TAG) {
                n += u.diff();
            }
        }
        return n;
    }

    private static BugCheck assertBugCheck(int code, long[] parameters, Runnable call) {
        BugCheck bc = assertThrows(BugCheck.class, call::run);
        assertEquals(code, bc.code(), bc.getMessage());
        assertArrayEquals(parameters, bc.parameters(), bc.getMessage());
        return bc;
    }

    // ----- ordinary use -----

    @Test
    void shouldRestoreMxcsrAndX87ControlWordAfterTheCallerClobbersThem() {
        int changedCw = savedCw ^ 0x0C00;
        FloatingPointControl.setMxcsr(ROUND_TO_ZERO);
        FloatingPointControl.setX87ControlWord(changedCw);
        MemorySegment save = newSave();

        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, save));

        FloatingPointControl.setMxcsr(ROUND_UP);
        FloatingPointControl.setX87ControlWord(savedCw);
        KeRestoreExtendedProcessorState(save);
        assertEquals(ROUND_TO_ZERO, FloatingPointControl.mxcsr() & CONTROL, "XRSTOR brought MXCSR back");
        assertEquals(changedCw, FloatingPointControl.x87ControlWord(), "XRSTOR brought the x87 control word back");
    }

    @Test
    void shouldRecordTheSaveByteExactInXStateSaveWithACacheAlignedPoolArea() {
        FloatingPointControl.setMxcsr(ROUND_DOWN);
        MemorySegment save = newSave();
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY_SSE, save));

        assertEquals(0, prev(save), "first save of the thread: no previous");
        assertEquals(ThreadState.current().address(), thread(save), "Thread is the caller's PKTHREAD");
        assertEquals(0, level(save), "PASSIVE_LEVEL");
        assertEquals(XSTATE_MASK_LEGACY_SSE, mask(save));
        assertEquals(XState.requiredAreaSize(XSTATE_MASK_LEGACY_SSE), length(save));
        assertEquals(576, length(save), "legacy region + XSAVE header");
        long area = area(save);
        assertEquals(area, buffer(save), "the area is the whole cache-aligned block");
        assertEquals(0, area & 63, "64-byte aligned");
        MemorySegment block = pool.segmentOf(area);
        assertEquals(length(save), block.byteSize(), "a non-paged pool block of exactly Length bytes");
        assertEquals(ROUND_DOWN, block.get(JAVA_INT, AREA_MXCSR) & CONTROL, "XSAVE wrote MXCSR into the area");
        assertEquals(XSTATE_MASK_LEGACY_SSE, block.get(JAVA_LONG, AREA_XSTATE_BV) & XSTATE_MASK_LEGACY_SSE,
                "XSTATE_BV names SSE (MXCSR is not in its initial state)");
        assertEquals(0, block.get(JAVA_LONG, AREA_XSTATE_BV) & ~XSTATE_MASK_LEGACY_SSE, "no component beyond the mask");
        assertEquals(1, outstandingAreas());
        assertEquals(save.address(), ThreadState.current().stateSaves().xstateHead(), "the thread's chain head");

        KeRestoreExtendedProcessorState(save);
        assertEquals(0, buffer(save), "Buffer cleared once the area is freed");
        assertEquals(0, outstandingAreas(), "the area went back to the pool");
        assertEquals(0, ThreadState.current().stateSaves().xstateHead());
    }

    @Test
    void shouldSaveAndRestoreAvxStateWhenTheSystemEnabledIt() {
        long mask = RtlGetEnabledExtendedFeatures(XSTATE_MASK_LEGACY | XSTATE_MASK_AVX);
        assumeTrue((mask & XSTATE_MASK_AVX) != 0, "AVX enabled");
        FloatingPointControl.setMxcsr(ROUND_UP);
        MemorySegment save = newSave();
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(mask, save));
        assertEquals(XState.requiredAreaSize(mask), length(save));
        assertEquals(576 + 256, length(save), "the YMM upper halves follow the header (CPUID leaf 0DH)");
        FloatingPointControl.setMxcsr(FloatingPointControl.MXCSR_DEFAULT);
        KeRestoreExtendedProcessorState(save);
        assertEquals(ROUND_UP, FloatingPointControl.mxcsr() & CONTROL);
    }

    @Test
    void shouldSaveEveryEnabledComponent() {
        long all = RtlGetEnabledExtendedFeatures(-1L);
        MemorySegment save = newSave();
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(all, save));
        assertEquals(XState.requiredAreaSize(all), length(save));
        KeRestoreExtendedProcessorState(save);
        assertEquals(0, outstandingAreas());
    }

    @Test
    void shouldLinkAnEmptyMaskWithoutAllocatingAnArea() {
        MemorySegment outer = newSave();
        MemorySegment empty = newSave();
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, outer));
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(0, empty));
        assertEquals(outer.address(), prev(empty));
        assertEquals(0, length(empty));
        assertEquals(0, area(empty));
        assertEquals(0, buffer(empty));
        assertEquals(1, outstandingAreas(), "only the outer save holds an area");
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE,
                new long[] {KeExtendedState.NOT_INNERMOST_SAVE, empty.address(), outer.address(), 0},
                () -> KeRestoreExtendedProcessorState(outer));
        KeRestoreExtendedProcessorState(empty);
        KeRestoreExtendedProcessorState(outer);
        assertEquals(0, outstandingAreas());
    }

    // ----- nesting -----

    @Test
    void shouldNestTwoLevelsAndRestoreInReverseOrder() {
        MemorySegment outer = newSave();
        MemorySegment inner = newSave();
        FloatingPointControl.setMxcsr(ROUND_DOWN);
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, outer));
        FloatingPointControl.setMxcsr(ROUND_UP);
        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, inner));
        assertEquals(outer.address(), prev(inner), "the inner save links to the outer one");
        assertEquals(Irql.DISPATCH_LEVEL + 1, level(inner), "level = IRQL + 1 above PASSIVE_LEVEL");
        assertEquals(inner.address(), ThreadState.current().stateSaves().xstateHead());
        FloatingPointControl.setMxcsr(ROUND_TO_ZERO);

        KeRestoreExtendedProcessorState(inner);
        assertEquals(ROUND_UP, FloatingPointControl.mxcsr() & CONTROL, "the inner restore gives the inner save's state");
        assertEquals(outer.address(), ThreadState.current().stateSaves().xstateHead(), "Prev is the head again");
        KeLowerIrql(old);
        KeRestoreExtendedProcessorState(outer);
        assertEquals(ROUND_DOWN, FloatingPointControl.mxcsr() & CONTROL, "the outer restore gives the outer save's state");
        assertEquals(0, outstandingAreas());
    }

    @Test
    void shouldNestSavesAtTheSameLevel() {
        MemorySegment a = newSave();
        MemorySegment b = newSave();
        KeRaiseIrql(Irql.APC_LEVEL);
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY_SSE, a));
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY_SSE, b));
        assertEquals(Irql.APC_LEVEL + 1, level(b));
        KeRestoreExtendedProcessorState(b);
        KeRestoreExtendedProcessorState(a);
        KeLowerIrql(Irql.PASSIVE_LEVEL);
    }

    @Test
    void shouldBugCheckAnOutOfOrderRestoreWithTheHeadAndTheBlock() {
        MemorySegment a = newSave();
        MemorySegment b = newSave();
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, a);
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, b);
        BugCheck bc = assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE,
                new long[] {7, b.address(), a.address(), 0}, () -> KeRestoreExtendedProcessorState(a));
        assertTrue(bc.getMessage().contains("innermost"), bc.getMessage());
        assertEquals(b.address(), ThreadState.current().stateSaves().xstateHead(), "nothing changed");
        assertEquals(2, outstandingAreas());
        KeRestoreExtendedProcessorState(b);
        KeRestoreExtendedProcessorState(a);
        assertEquals(0, outstandingAreas());
    }

    @Test
    void shouldBugCheckASecondRestoreOfTheSameSave() {
        MemorySegment a = newSave();
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, a);
        KeRestoreExtendedProcessorState(a);
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, new long[] {7, 0, a.address(), 0},
                () -> KeRestoreExtendedProcessorState(a));
        assertEquals(0, outstandingAreas(), "the area was freed once");
    }

    @Test
    void shouldBugCheckARestoreAtAnotherLevel() {
        MemorySegment a = newSave();
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, a);
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, new long[] {4, 0, 3, 0},
                () -> KeRestoreExtendedProcessorState(a));
        KeLowerIrql(Irql.APC_LEVEL);
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, new long[] {4, 0, 2, 0},
                () -> KeRestoreExtendedProcessorState(a));
        KeLowerIrql(Irql.PASSIVE_LEVEL);
        KeRestoreExtendedProcessorState(a);
    }

    @Test
    void shouldBugCheckASaveNestedAtALowerLevelThanTheSaveItNestsIn() {
        MemorySegment outer = newSave();
        MemorySegment inner = newSave();
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, outer);
        KeLowerIrql(Irql.PASSIVE_LEVEL);
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, new long[] {2, 3, 0, 0},
                () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, inner));
        assertEquals(0, thread(inner), "the refused save wrote nothing");
        assertEquals(1, outstandingAreas(), "and allocated nothing");
        KeRaiseIrql(Irql.DISPATCH_LEVEL);
        KeRestoreExtendedProcessorState(outer);
        KeLowerIrql(Irql.PASSIVE_LEVEL);
    }

    @Test
    void shouldBugCheckARestoreOnAnotherThreadWithBothThreads() throws Exception {
        MemorySegment a = newSave();
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, a);
        long me = ThreadState.current().address();
        AtomicReference<Throwable> seen = new AtomicReference<>();
        AtomicReference<Long> other = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                other.set(ThreadState.current().address());
                KeRestoreExtendedProcessorState(a);
            } catch (Throwable e) {
                seen.set(e);
            }
        });
        t.start();
        t.join();
        BugCheck bc = (BugCheck) seen.get();
        assertEquals(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, bc.code());
        assertArrayEquals(new long[] {3, me, other.get(), 0}, bc.parameters());
        KeRestoreExtendedProcessorState(a);
    }

    // ----- bad input -----

    @Test
    void shouldBugCheckAboveDispatchLevelWithTheIrql() {
        MemorySegment a = newSave();
        KeRaiseIrql(Irql.HIGH_LEVEL);
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, new long[] {1, 15, 0, 0},
                () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, a));
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, new long[] {1, 15, 0, 0},
                () -> KeRestoreExtendedProcessorState(a));
        KeLowerIrql(Irql.PASSIVE_LEVEL);
        assertEquals(0, outstandingAreas());
    }

    @Test
    void shouldBugCheckAboveDispatchLevelAlsoWithoutTheVerifier() {
        kernel.close();
        blocks.clear();
        kernel = KernelFixture.boot(dumps, BugCheckPolicy.THROW, false);
        pool = kernel.nonPagedPool();
        MemorySegment a = newSave();
        KeRaiseIrql(Irql.SYNCH_LEVEL);
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, new long[] {1, 12, 0, 0},
                () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, a));
        KeLowerIrql(Irql.PASSIVE_LEVEL);
    }

    @Test
    void shouldBugCheckAMaskNamingComponentsTheSystemHasNotEnabled() {
        MemorySegment a = newSave();
        long mask = XSTATE_MASK_LEGACY | XSTATE_MASK_LWP;
        assumeTrue((RtlGetEnabledExtendedFeatures(-1L) & XSTATE_MASK_LWP) == 0, "no LWP here");
        BugCheck bc = assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE,
                new long[] {0, 1, mask & 0xFFFFFFFFL, mask >>> 32}, () -> KeSaveExtendedProcessorState(mask, a));
        assertTrue(bc.getMessage().contains("not enabled"), bc.getMessage());
        long top = 1L << 63 | XSTATE_MASK_LEGACY_SSE;
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, new long[] {0, 1, 2, 0x8000_0000L},
                () -> KeSaveExtendedProcessorState(top, a));
        assertEquals(0, thread(a), "nothing written");
        assertEquals(0, outstandingAreas(), "nothing allocated");
    }

    @Test
    void shouldBugCheckARestoredMaskThatWasCorrupted() {
        assumeTrue((RtlGetEnabledExtendedFeatures(-1L) & XSTATE_MASK_LWP) == 0, "no LWP here");
        MemorySegment a = newSave();
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, a);
        a.set(JAVA_LONG, CONTEXT + XSTATE_CONTEXT.MASK_OFFSET, XSTATE_MASK_LWP | 3);
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE,
                new long[] {0, 1, 3, XSTATE_MASK_LWP >>> 32}, () -> KeRestoreExtendedProcessorState(a));
        a.set(JAVA_LONG, CONTEXT + XSTATE_CONTEXT.MASK_OFFSET, XSTATE_MASK_LEGACY);
        KeRestoreExtendedProcessorState(a);
    }

    @Test
    void shouldPageFaultOnANullOrUnmappedXStateSave() {
        assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {0, 0, 0, 0},
                () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, MemorySegment.NULL));
        assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {0, 0, 0, 0},
                () -> KeRestoreExtendedProcessorState(MemorySegment.NULL));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment unregistered = arena.allocate(XSTATE_SAVE.LAYOUT);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {unregistered.address(), 0, 0, 0},
                    () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, unregistered));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tooShort = arena.allocate(0x20, 64); // registered, but shorter than an XSTATE_SAVE
            var region = kernel.addressSpace().register(tooShort, "too short for XSTATE_SAVE");
            try {
                MemorySegment raw = MemorySegment.ofAddress(tooShort.address()); // a pointer: the region decides
                assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {tooShort.address(), 0, 0, 0},
                        () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, raw));
            } finally {
                kernel.addressSpace().unregister(region);
            }
        }
        assertEquals(0, outstandingAreas());
        assertEquals(0, ThreadState.current().stateSaves().xstateHead());
    }

    @Test
    void shouldRejectAHeapSegmentWithAMessage() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, MemorySegment.ofArray(new byte[0x38])));
        assertTrue(e.getMessage().contains("XStateSave"), e.getMessage());
    }

    @Test
    void shouldRefuseAMisalignedOrShortXStateSaveBeforeWritingAnything() {
        MemorySegment wider = pool.segmentOf(pool.allocate(0x40, TAG, 0));
        blocks.add(wider.address());
        MemorySegment odd = wider.asSlice(3, XSTATE_SAVE.LAYOUT.byteSize());
        var misaligned = assertThrows(IllegalArgumentException.class,
                () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, odd));
        assertTrue(misaligned.getMessage().contains("8-byte aligned"), misaligned.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeRestoreExtendedProcessorState(odd));
        MemorySegment rawOdd = MemorySegment.ofAddress(wider.address() + 4);
        assertThrows(IllegalArgumentException.class, () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, rawOdd));
        var shortSegment = assertThrows(IllegalArgumentException.class,
                () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, wider.asSlice(8, 0x20)));
        assertTrue(shortSegment.getMessage().contains("needs 56"), shortSegment.getMessage());
        for (long i = 0; i < wider.byteSize(); i++) {
            assertEquals(0, wider.get(JAVA_BYTE, i), "nothing written");
        }
        assertEquals(0, outstandingAreas(), "nothing allocated");
        assertEquals(0, ThreadState.current().stateSaves().xstateDepth(), "nothing linked");
    }

    @Test
    void shouldAcceptARawPointerToAMappedBlock() {
        MemorySegment block = newSave();
        MemorySegment raw = MemorySegment.ofAddress(block.address()); // zero-length: a C pointer
        FloatingPointControl.setMxcsr(ROUND_DOWN);
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, raw));
        assertEquals(ThreadState.current().address(), thread(block));
        FloatingPointControl.setMxcsr(ROUND_UP);
        KeRestoreExtendedProcessorState(raw);
        assertEquals(ROUND_DOWN, FloatingPointControl.mxcsr() & CONTROL);
    }

    @Test
    void shouldBugCheckACorruptAreaInsteadOfFaulting() {
        MemorySegment a = newSave();
        FloatingPointControl.setMxcsr(ROUND_DOWN);
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, a);
        MemorySegment area = pool.segmentOf(area(a));
        area.set(JAVA_LONG, AREA_HEADER_RESERVED, 1); // reserved header bytes must be zero: XRSTOR would raise #GP
        FloatingPointControl.setMxcsr(ROUND_UP);
        BugCheck bc = assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED,
                new long[] {NtStatus.STATUS_ACCESS_VIOLATION & 0xFFFFFFFFL, 0, 0, -1},
                () -> KeRestoreExtendedProcessorState(a));
        assertTrue(bc.getMessage().contains("#GP"), bc.getMessage());
        assertEquals(ROUND_UP, FloatingPointControl.mxcsr() & CONTROL, "nothing restored");
        assertEquals(a.address(), ThreadState.current().stateSaves().xstateHead(), "still linked");

        area.set(JAVA_LONG, AREA_HEADER_RESERVED, 0);
        area.set(JAVA_INT, AREA_MXCSR, 0x8000_1F80); // MXCSR with a reserved bit
        assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED,
                new long[] {NtStatus.STATUS_ACCESS_VIOLATION & 0xFFFFFFFFL, 0, 0, -1},
                () -> KeRestoreExtendedProcessorState(a));

        area.set(JAVA_INT, AREA_MXCSR, ROUND_DOWN);
        KeRestoreExtendedProcessorState(a);
        assertEquals(ROUND_DOWN, FloatingPointControl.mxcsr() & CONTROL);
    }

    @Test
    void shouldRefuseAnAreaThatWouldUnmaskFloatingPointExceptions() {
        MemorySegment a = newSave();
        FloatingPointControl.setMxcsr(ROUND_DOWN);
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, a);
        MemorySegment area = pool.segmentOf(area(a));
        long trap = NtStatus.STATUS_FLOAT_MULTIPLE_TRAPS & 0xFFFFFFFFL;
        area.set(JAVA_INT, AREA_MXCSR, ROUND_DOWN & ~0x0200); // DM (denormal mask) cleared: a valid bit, but unmasked
        FloatingPointControl.setMxcsr(ROUND_UP);
        BugCheck bc = assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, new long[] {trap, 0, 0, 0},
                () -> KeRestoreExtendedProcessorState(a));
        assertTrue(bc.getMessage().contains("SIGFPE"), bc.getMessage());
        assertEquals(ROUND_UP, FloatingPointControl.mxcsr() & CONTROL, "nothing loaded");
        area.set(JAVA_INT, AREA_MXCSR, ROUND_DOWN);

        // the x87 control word is loaded when XSTATE_BV[0] is set
        area.set(JAVA_LONG, AREA_XSTATE_BV, area.get(JAVA_LONG, AREA_XSTATE_BV) | XSTATE_MASK_LEGACY_FLOATING_POINT);
        area.set(JAVA_SHORT, AREA_FCW, (short) (savedCw & ~0x01)); // IM cleared
        assertBugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, new long[] {trap, 0, 0, 0},
                () -> KeRestoreExtendedProcessorState(a));
        area.set(JAVA_SHORT, AREA_FCW, (short) savedCw);
        KeRestoreExtendedProcessorState(a);
        assertEquals(ROUND_DOWN, FloatingPointControl.mxcsr() & CONTROL);
    }

    @Test
    void shouldIgnoreTheX87ControlWordOfAnAreaThatLeavesX87InItsInitialState() {
        MemorySegment a = newSave();
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, a);
        MemorySegment area = pool.segmentOf(area(a));
        area.set(JAVA_LONG, AREA_XSTATE_BV, area.get(JAVA_LONG, AREA_XSTATE_BV) & ~XSTATE_MASK_LEGACY_FLOATING_POINT);
        area.set(JAVA_SHORT, AREA_FCW, (short) 0); // XRSTOR will not read it
        FloatingPointControl.setX87ControlWord(savedCw ^ 0x0C00);
        KeRestoreExtendedProcessorState(a);
        assertEquals(FloatingPointControl.X87_CONTROL_WORD_DEFAULT, FloatingPointControl.x87ControlWord(),
                "XSTATE_BV[0] clear: XRSTOR puts x87 in its initial state (FCW 0x037F)");
    }

    @Test
    void shouldFastFailWhenTheBlockWasChangedSinceTheSaveWithoutFreeingOrLoadingAnything() {
        MemorySegment outer = newSave();
        MemorySegment inner = newSave();
        FloatingPointControl.setMxcsr(ROUND_DOWN);
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, outer);
        FloatingPointControl.setMxcsr(ROUND_UP);
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, inner);
        FloatingPointControl.setMxcsr(ROUND_TO_ZERO);
        long area = area(inner);
        long[] fastFail = {KeExtendedState.FAST_FAIL_INVALID_ARG, 0, 0, 0};
        long areaField = CONTEXT + XSTATE_CONTEXT.AREA_OFFSET;
        long bufferField = CONTEXT + XSTATE_CONTEXT.BUFFER_OFFSET;
        long lengthField = CONTEXT + XSTATE_CONTEXT.LENGTH_OFFSET;
        Runnable[] scribbles = {
            () -> inner.set(JAVA_LONG, areaField, area + 16), // misaligned: XRSTOR would raise #GP
            () -> inner.set(JAVA_LONG, areaField, 0x10L), // unmapped
            () -> inner.set(JAVA_LONG, areaField, area(outer)), // another live save's area: its state would load
            () -> inner.set(JAVA_LONG, bufferField, area(outer)), // another live save's area: freed under it
            () -> inner.set(JAVA_INT, lengthField, 64),
            () -> inner.set(JAVA_LONG, XSTATE_SAVE.PREV_OFFSET, 0x10L),
            () -> inner.set(JAVA_LONG, XSTATE_SAVE.PREV_OFFSET, 0L),
        };
        MemorySegment pristine = MemorySegment.ofArray(new byte[(int) XSTATE_SAVE.LAYOUT.byteSize()]);
        pristine.copyFrom(inner);
        for (Runnable scribble : scribbles) {
            scribble.run();
            BugCheck bc = assertBugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, fastFail,
                    () -> KeRestoreExtendedProcessorState(inner));
            assertTrue(bc.getMessage().contains("changed since the save"), bc.getMessage());
            assertEquals(ROUND_TO_ZERO, FloatingPointControl.mxcsr() & CONTROL, "nothing loaded");
            assertEquals(2, outstandingAreas(), "nothing freed");
            assertEquals(inner.address(), ThreadState.current().stateSaves().xstateHead(), "still the head");
            inner.copyFrom(pristine);
        }
        KeRestoreExtendedProcessorState(inner);
        assertEquals(ROUND_UP, FloatingPointControl.mxcsr() & CONTROL);
        KeRestoreExtendedProcessorState(outer);
        assertEquals(ROUND_DOWN, FloatingPointControl.mxcsr() & CONTROL);
        assertEquals(0, outstandingAreas());
    }

    @Test
    void shouldPageFaultWhenTheThreadsPreviousSaveBlockIsNoLongerMapped() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment outside = arena.allocate(XSTATE_SAVE.LAYOUT);
            var region = kernel.addressSpace().register(outside, "a caller's XSTATE_SAVE");
            KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, outside);
            kernel.addressSpace().unregister(region);
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {outside.address(), 0, 0, 0},
                    () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, newSave()));
            assertBugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, new long[] {outside.address(), 0, 0, 0},
                    () -> KeRestoreExtendedProcessorState(outside));
            region = kernel.addressSpace().register(outside, "mapped again");
            KeRestoreExtendedProcessorState(outside);
            kernel.addressSpace().unregister(region);
        }
        assertEquals(0, outstandingAreas());
    }

    @Test
    void shouldBugCheckASaveWhoseChainHeadWasOverwrittenWithAnotherThread() {
        MemorySegment outer = newSave();
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, outer);
        long me = ThreadState.current().address();
        outer.set(JAVA_LONG, XSTATE_SAVE.THREAD_OFFSET, 0x1234_5000L);
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, new long[] {3, 0x1234_5000L, me, 0},
                () -> KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, newSave()));
        outer.set(JAVA_LONG, XSTATE_SAVE.THREAD_OFFSET, me);
        KeRestoreExtendedProcessorState(outer);
    }

    @Test
    void shouldReturnInsufficientResourcesAndLinkNothingWhenNoAreaIsLeft() {
        MemorySegment a = newSave();
        int status = KeExtendedState.save(XSTATE_MASK_LEGACY, a, (bytes, tag, flags) -> 0L,
                (address, tag) -> { throw new AssertionError("nothing to free"); });
        assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, status);
        assertEquals(0, ThreadState.current().stateSaves().xstateHead(), "not linked");
        assertEquals(0, thread(a), "XStateSave untouched");
    }

    @Test
    void shouldReturnInsufficientResourcesWhenTheNonPagedPoolIsExhausted() {
        kernel.close();
        blocks.clear();
        long chunk = 1L << 20;
        kernel = Kernel.boot(dev.offkern.runtime.KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)
                .withPoolChunkSize(chunk).withNonPagedPoolLimit(chunk));
        pool = kernel.nonPagedPool();
        MemorySegment save = newSave();
        List<Long> hog = new ArrayList<>();
        for (long size : new long[] {64 * 1024, 4096, 576}) {
            long b;
            while ((b = pool.allocate(size, TAG, dev.offkern.nt.PoolFlags.POOL_FLAG_CACHE_ALIGNED)) != 0) {
                hog.add(b);
            }
        }
        assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, save));
        assertEquals(0, ThreadState.current().stateSaves().xstateHead(), "not linked");
        assertEquals(0, thread(save), "XStateSave untouched");
        pool.free(hog.get(hog.size() - 1), TAG);
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, save), "room again");
        KeRestoreExtendedProcessorState(save);
        for (long h : hog.subList(0, hog.size() - 1)) {
            pool.free(h, TAG);
        }
    }

    // ----- RtlGetEnabledExtendedFeatures -----

    @Test
    void shouldReportTheEnabledFeaturesIntersectedWithTheArgument() {
        long all = RtlGetEnabledExtendedFeatures(-1L);
        assertEquals(XState.usableMask(), all, "XCR0 minus the components offkern refuses (PKRU, AMX)");
        assertEquals(XSTATE_MASK_LEGACY, all & XSTATE_MASK_LEGACY, "x87 and SSE are always enabled with XSAVE");
        assertEquals(0, RtlGetEnabledExtendedFeatures(0));
        assertEquals(XSTATE_MASK_LEGACY_FLOATING_POINT, RtlGetEnabledExtendedFeatures(XSTATE_MASK_LEGACY_FLOATING_POINT));
        assertEquals(all & XSTATE_MASK_AVX, RtlGetEnabledExtendedFeatures(XSTATE_MASK_AVX));
        assertEquals(0, all & ~XState.enabledFeatures(), "never more than XCR0");
    }

    @Test
    void shouldBugCheckRtlGetEnabledExtendedFeaturesAbovePassiveLevelUnderTheVerifier() {
        KeRaiseIrql(Irql.APC_LEVEL);
        assertBugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, new long[] {0, 1, 0, 0},
                () -> RtlGetEnabledExtendedFeatures(-1L));
        KeLowerIrql(Irql.PASSIVE_LEVEL);
    }

    // ----- a CPU without XSAVE -----

    @Test
    void shouldSaveTheLegacyStateWithFxsaveWhereXsaveIsUnavailable() {
        KeExtendedState.overrideSupport(false);
        assertEquals(0, RtlGetEnabledExtendedFeatures(-1L), "documented: 0 when XSAVE/XRSTOR are disabled");
        int changedCw = savedCw ^ 0x0400;
        FloatingPointControl.setMxcsr(ROUND_DOWN);
        FloatingPointControl.setX87ControlWord(changedCw);
        MemorySegment save = newSave();
        assertEquals(NtStatus.STATUS_SUCCESS, KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, save));
        assertEquals(XState.FXSAVE_AREA_SIZE, length(save), "an FXSAVE image");
        assertEquals(ROUND_DOWN, pool.segmentOf(area(save)).get(JAVA_INT, AREA_MXCSR) & CONTROL);
        FloatingPointControl.setMxcsr(FloatingPointControl.MXCSR_DEFAULT);
        FloatingPointControl.setX87ControlWord(savedCw);
        KeRestoreExtendedProcessorState(save);
        assertEquals(ROUND_DOWN, FloatingPointControl.mxcsr() & CONTROL, "FXRSTOR brought MXCSR back");
        assertEquals(changedCw, FloatingPointControl.x87ControlWord(), "and the x87 control word");
        assertEquals(0, outstandingAreas());
    }

    @Test
    void shouldBugCheckExtendedComponentsWhereXsaveIsUnavailable() {
        KeExtendedState.overrideSupport(false);
        MemorySegment save = newSave();
        long mask = XSTATE_MASK_LEGACY | XSTATE_MASK_AVX;
        assertBugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, new long[] {0, 0, mask, 0},
                () -> KeSaveExtendedProcessorState(mask, save));
    }

    // ----- threads -----

    @Test
    void shouldKeepEachThreadsSavesToItselfUnderConcurrency() throws Exception {
        int threads = 4;
        int rounds = 2_000;
        int[] modes = {ROUND_DOWN, ROUND_UP, ROUND_TO_ZERO, FloatingPointControl.MXCSR_DEFAULT | 0x8000};
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int mine = modes[i];
            int other = modes[(i + 1) % threads];
            Thread w = new Thread(() -> {
                int before = FloatingPointControl.mxcsr();
                try {
                    long me = ThreadState.current().address();
                    MemorySegment outer = newSave();
                    MemorySegment inner = newSave();
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        FloatingPointControl.setMxcsr(mine);
                        check(KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, outer) == NtStatus.STATUS_SUCCESS, "outer save");
                        check(thread(outer) == me && prev(outer) == 0, "outer block names this thread, no previous");
                        FloatingPointControl.setMxcsr(other);
                        int old = KeRaiseIrql(Irql.DISPATCH_LEVEL);
                        check(KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY_SSE, inner) == NtStatus.STATUS_SUCCESS, "inner save");
                        check(prev(inner) == outer.address() && thread(inner) == me, "inner links to this thread's outer");
                        check((pool.segmentOf(area(inner)).get(JAVA_INT, AREA_MXCSR) & CONTROL) == other,
                                "inner area holds this thread's MXCSR");
                        FloatingPointControl.setMxcsr(FloatingPointControl.MXCSR_DEFAULT);
                        KeRestoreExtendedProcessorState(inner);
                        check((FloatingPointControl.mxcsr() & CONTROL) == other, "inner restore");
                        KeLowerIrql(old);
                        KeRestoreExtendedProcessorState(outer);
                        check((FloatingPointControl.mxcsr() & CONTROL) == mine, "outer restore");
                        check(ThreadState.current().stateSaves().xstateHead() == 0, "chain empty");
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
        assertEquals(0, outstandingAreas(), "every area allocated was freed once");
        long allocs = 0;
        for (PoolUsage u : pool.usage()) {
            if (u.tag() == KeExtendedState.SAVE_AREA_TAG) {
                allocs += u.allocs();
            }
        }
        assertEquals(2L * threads * rounds, allocs, "one area per non-empty save");
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    @Test
    void shouldNotShareTheChainWithAnotherThreadOnTheSameProcessor() throws Exception {
        MemorySegment mine = newSave();
        KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, mine);
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                MemorySegment theirs = newSave();
                check(KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, theirs) == NtStatus.STATUS_SUCCESS, "save");
                check(prev(theirs) == 0, "another thread's first save has no previous, whatever this thread holds");
                KeRestoreExtendedProcessorState(theirs);
            } catch (Throwable e) {
                seen.set(e);
            }
        });
        t.start();
        t.join();
        if (seen.get() != null) {
            throw new AssertionError(seen.get());
        }
        assertNotEquals(0, ThreadState.current().stateSaves().xstateHead());
        KeRestoreExtendedProcessorState(mine);
    }
}
