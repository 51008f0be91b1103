package dev.offkern.runtime.ex;

import dev.offkern.nt.DatatypeMisalignmentException;
import static dev.offkern.ddi.Ex.ExAllocateFromLookasideListEx;
import static dev.offkern.ddi.Ex.ExAllocateFromNPagedLookasideList;
import static dev.offkern.ddi.Ex.ExAllocateFromPagedLookasideList;
import static dev.offkern.ddi.Ex.ExDeleteLookasideListEx;
import static dev.offkern.ddi.Ex.ExDeleteNPagedLookasideList;
import static dev.offkern.ddi.Ex.ExDeletePagedLookasideList;
import static dev.offkern.ddi.Ex.ExFlushLookasideListEx;
import static dev.offkern.ddi.Ex.ExFreeToLookasideListEx;
import static dev.offkern.ddi.Ex.ExFreeToNPagedLookasideList;
import static dev.offkern.ddi.Ex.ExFreeToPagedLookasideList;
import static dev.offkern.ddi.Ex.ExInitializeLookasideListEx;
import static dev.offkern.ddi.Ex.ExInitializeNPagedLookasideList;
import static dev.offkern.ddi.Ex.ExInitializePagedLookasideList;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.*;
import static dev.offkern.runtime.ex.ExLookaside.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.nt.NtStatusException;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.nt.PoolType;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Lookaside lists through the DDI, with custom allocate/free routines over test memory. */
class ExLookasideTest {
    static final int TAG = 'T' | 'e' << 8 | 's' << 16 | 't' << 24;

    private final Kernel kernel = Kernel.boot().attach();
    private final TestMemory mem = new TestMemory(kernel, 1 << 20);
    private final MemorySegment list = mem.at(0, GENERAL_LOOKASIDE_SIZE);
    private final TestBlocks blocks = new TestBlocks(mem, 64 * 1024, 64);

    {
        ExLookaside.setPeriodicScan(kernel.lookasideLists(), false);
    }

    @AfterEach
    void close() {
        for (long l : ExLookaside.liveLists(kernel.lookasideLists())) {
            ExLookaside.delete(kernel.lookasideLists(), l);
        }
        mem.close();
        kernel.close();
    }

    private int field(long offset) {
        return list.get(ValueLayout.JAVA_INT, offset);
    }

    private int ushort(long offset) {
        return list.get(ValueLayout.JAVA_SHORT, offset) & 0xFFFF;
    }

    private void initEx() {
        assertEquals(NtStatus.STATUS_SUCCESS, ExInitializeLookasideListEx(list, blocks.allocateEx(), blocks.freeEx(),
                PoolType.NonPagedPoolNx, 0, 48, TAG, 0));
    }

    @Test
    void shouldUseWindowsX64OffsetsForEveryField() {
        // _GENERAL_LOOKASIDE, Windows 7 to 11 23H2 x64 (public PDB data; docs/layout-sources.md).
        assertArrayEquals(new long[] {0x10, 0x12, 0x14, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x2C, 0x30, 0x38, 0x40, 0x50, 0x54},
                new long[] {DEPTH_OFFSET, MAXIMUM_DEPTH_OFFSET, TOTAL_ALLOCATES_OFFSET, ALLOCATE_MISSES_OFFSET, TOTAL_FREES_OFFSET,
                        FREE_MISSES_OFFSET, TYPE_OFFSET, TAG_OFFSET, SIZE_OFFSET, ALLOCATE_EX_OFFSET, FREE_EX_OFFSET,
                        LIST_ENTRY_OFFSET, LAST_TOTAL_ALLOCATES_OFFSET, LAST_ALLOCATE_MISSES_OFFSET});
        assertEquals(0x60, LOOKASIDE_LIST_EX_SIZE);
        assertEquals(0x80, GENERAL_LOOKASIDE_SIZE);
        assertEquals(16, ExSList.HEADER_SIZE);
        assertEquals(16, ExSList.ENTRY_SIZE);
        assertEquals(16, ExSList.ALIGNMENT);
    }

    @Test
    void shouldInitializeEveryFieldAsWindowsDoes() {
        list.fill((byte) 0x77);
        initEx();
        assertEquals(0, list.get(ValueLayout.JAVA_LONG, 0), "ListHead empty");
        assertEquals(0, list.get(ValueLayout.JAVA_LONG, 8));
        assertEquals(MINIMUM_LOOKASIDE_DEPTH, ushort(DEPTH_OFFSET));
        assertEquals(EX_MAXIMUM_LOOKASIDE_DEPTH_BASE, ushort(MAXIMUM_DEPTH_OFFSET));
        for (long counter : new long[] {TOTAL_ALLOCATES_OFFSET, ALLOCATE_MISSES_OFFSET, TOTAL_FREES_OFFSET, FREE_MISSES_OFFSET,
                LAST_TOTAL_ALLOCATES_OFFSET, LAST_ALLOCATE_MISSES_OFFSET}) {
            assertEquals(0, field(counter));
        }
        assertEquals(PoolType.NonPagedPoolNx, field(TYPE_OFFSET));
        assertEquals(TAG, field(TAG_OFFSET));
        assertEquals(48, field(SIZE_OFFSET));
        assertNotEquals(0, list.get(ValueLayout.JAVA_LONG, ALLOCATE_EX_OFFSET));
        assertNotEquals(0, list.get(ValueLayout.JAVA_LONG, FREE_EX_OFFSET));
        long flink = list.get(ValueLayout.JAVA_LONG, LIST_ENTRY_OFFSET);
        long blink = list.get(ValueLayout.JAVA_LONG, LIST_ENTRY_OFFSET + 8);
        assertEquals(flink, blink, "the only list: both links point at the system-wide head");
        assertTrue(kernel.addressSpace().isValid(flink, 16), "the head is in the kernel's address space");
        assertArrayEquals(new long[] {list.address()}, ExLookaside.liveLists(kernel.lookasideLists()));
    }

    @Test
    void shouldReportWhichMemoryHoldsALiveList() {
        initEx();
        assertEquals(list.address(), ExLookaside.liveListIn(kernel.lookasideLists(), list.address() - 64, 128));
        assertEquals(0, ExLookaside.liveListIn(kernel.lookasideLists(), list.address() + 0x80, 4096));
        ExDeleteLookasideListEx(list);
        assertEquals(0, ExLookaside.liveListIn(kernel.lookasideLists(), list.address(), 128));
    }

    @Test
    void shouldCountAllocatesFreesAndMissesExactlyAsWindows() {
        initEx();
        List<MemorySegment> out = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            out.add(ExAllocateFromLookasideListEx(list));
        }
        assertEquals(6, field(TOTAL_ALLOCATES_OFFSET));
        assertEquals(6, field(ALLOCATE_MISSES_OFFSET), "empty list: every allocation missed");
        assertEquals(6, blocks.allocations.get());
        for (MemorySegment b : out) {
            ExFreeToLookasideListEx(list, b);
        }
        assertEquals(6, field(TOTAL_FREES_OFFSET));
        assertEquals(2, field(FREE_MISSES_OFFSET), "Depth 4: the fifth and sixth frees go to the free routine");
        assertEquals(2, blocks.frees.get());
        assertEquals(4, ExSList.depth(list, 0));
        MemorySegment again = ExAllocateFromLookasideListEx(list);
        assertEquals(out.get(3).address(), again.address(), "LIFO: the last block cached comes back first");
        assertEquals(7, field(TOTAL_ALLOCATES_OFFSET));
        assertEquals(6, field(ALLOCATE_MISSES_OFFSET), "a hit is no miss");
        assertEquals(48, again.byteSize(), "the DDI returns a segment of Size bytes");
    }

    @Test
    void shouldKeepTheSameCountersOnTheTrustedSegmentTier() {
        initEx();
        long a = ExLookaside.allocate(kernel.lookasideLists(), list);
        long b = ExLookaside.allocate(kernel.lookasideLists(), list);
        ExLookaside.free(kernel.lookasideLists(), list, a);
        assertEquals(a, ExLookaside.allocate(kernel.lookasideLists(), list), "LIFO through the same SLIST");
        ExLookaside.free(kernel.lookasideLists(), list, a);
        ExLookaside.free(kernel.lookasideLists(), list, b);
        assertEquals(3, field(TOTAL_ALLOCATES_OFFSET));
        assertEquals(2, field(ALLOCATE_MISSES_OFFSET));
        assertEquals(3, field(TOTAL_FREES_OFFSET));
        assertEquals(2, ExSList.depth(list, 0));
        assertThrows(DatatypeMisalignmentException.class, () -> ExLookaside.free(kernel.lookasideLists(), list, a + 8));
        assertThrows(IndexOutOfBoundsException.class, () -> ExLookaside.allocate(kernel.lookasideLists(), list.asSlice(0, 0x40)));
        assertEquals(3, field(TOTAL_FREES_OFFSET), "refused calls changed nothing");
    }

    @Test
    void shouldPassTypeSizeTagAndTheListToTheAllocateRoutine() {
        long[] seen = new long[4];
        ExInitializeLookasideListEx(list, (type, bytes, tag, l) -> {
            seen[0] = type;
            seen[1] = bytes;
            seen[2] = tag;
            seen[3] = l.address();
            return blocks.segment(blocks.allocate(type, bytes, tag, l.address()));
        }, null, PoolType.PagedPool, EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, 100, TAG, 0);
        ExAllocateFromLookasideListEx(list);
        assertArrayEquals(new long[] {PoolType.PagedPool | PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE, 100, TAG, list.address()}, seen);
    }

    @Test
    void shouldPassQuotaFailInsteadOfRaiseWithFailNoRaise() {
        ExInitializeLookasideListEx(list, blocks.allocateEx(), blocks.freeEx(), PoolType.NonPagedPool,
                EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE, 64, TAG, 0);
        ExAllocateFromLookasideListEx(list);
        assertEquals(PoolType.NonPagedPool | PoolType.POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, blocks.lastPoolType.get());
        assertEquals(list.address(), blocks.lastLookaside.get());
    }

    @Test
    void shouldReturnNullWhenTheAllocateRoutineFailsWithoutRaiseOnFail() {
        initEx();
        blocks.fail = true;
        assertEquals(MemorySegment.NULL, ExAllocateFromLookasideListEx(list));
        assertEquals(1, field(TOTAL_ALLOCATES_OFFSET));
        assertEquals(1, field(ALLOCATE_MISSES_OFFSET));
    }

    @Test
    void shouldRaiseWhenTheAllocateRoutineFailsWithRaiseOnFail() {
        ExInitializeLookasideListEx(list, blocks.allocateEx(), blocks.freeEx(), PoolType.NonPagedPool,
                EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, 64, TAG, 0);
        blocks.fail = true;
        NtStatusException e = assertThrows(NtStatusException.class, () -> ExAllocateFromLookasideListEx(list));
        assertEquals(NtStatus.STATUS_INSUFFICIENT_RESOURCES, e.status());
        assertTrue(e.getMessage().contains("RAISE_ON_FAIL"), e.getMessage());
    }

    @Test
    void shouldRejectBadPoolTypesWithInvalidParameter4() {
        for (int bad : new int[] {PoolType.NonPagedPoolMustSucceed, PoolType.DontUseThisType, PoolType.MaxPoolType, 99,
                PoolType.NonPagedPool | PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE}) {
            assertEquals(NtStatus.STATUS_INVALID_PARAMETER_4,
                    ExInitializeLookasideListEx(list, null, null, bad, 0, 64, TAG, 0), "PoolType " + bad);
        }
        assertEquals(0, ExLookaside.liveLists(kernel.lookasideLists()).length, "nothing was initialized");
    }

    @Test
    void shouldRejectBadFlagsWithInvalidParameter5() {
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER_5, ExInitializeLookasideListEx(list, blocks.allocateEx(), null,
                PoolType.NonPagedPool, 0x3, 64, TAG, 0), "the two flags are mutually exclusive");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER_5, ExInitializeLookasideListEx(list, blocks.allocateEx(), null,
                PoolType.NonPagedPool, 0x4, 64, TAG, 0), "unknown flag");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER_5, ExInitializeLookasideListEx(list, null, null,
                PoolType.NonPagedPool, EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE, 64, TAG, 0),
                "FAIL_NO_RAISE with the default allocate routine is undefined: refused");
    }

    @Test
    void shouldFlushEveryCachedBlockToTheFreeRoutineAndKeepTheCounters() {
        initEx();
        MemorySegment a = ExAllocateFromLookasideListEx(list);
        MemorySegment b = ExAllocateFromLookasideListEx(list);
        ExFreeToLookasideListEx(list, a);
        ExFreeToLookasideListEx(list, b);
        ExFlushLookasideListEx(list);
        assertEquals(0, ExSList.depth(list, 0));
        assertEquals(2, blocks.frees.get());
        assertEquals(2, field(TOTAL_FREES_OFFSET));
        assertEquals(0, field(FREE_MISSES_OFFSET));
        assertTrue(ExLookaside.isLive(kernel.lookasideLists(), list.address()), "flush does not delete");
    }

    @Test
    void shouldDeleteByFreeingCachedBlocksAndUnlinkingTheList() {
        initEx();
        MemorySegment second = mem.at(4096, LOOKASIDE_LIST_EX_SIZE);
        ExInitializeLookasideListEx(second, blocks.allocateEx(), blocks.freeEx(), PoolType.NonPagedPool, 0, 32, TAG, 0);
        assertArrayEquals(new long[] {list.address(), second.address()}, ExLookaside.liveLists(kernel.lookasideLists()));
        ExFreeToLookasideListEx(list, ExAllocateFromLookasideListEx(list));
        ExDeleteLookasideListEx(list);
        assertEquals(1, blocks.frees.get(), "the cached block went to the free routine");
        assertArrayEquals(new long[] {second.address()}, ExLookaside.liveLists(kernel.lookasideLists()));
        long head = second.get(ValueLayout.JAVA_LONG, LIST_ENTRY_OFFSET);
        assertEquals(head, second.get(ValueLayout.JAVA_LONG, LIST_ENTRY_OFFSET + 8), "relinked around the deleted list");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ExAllocateFromLookasideListEx(list));
        assertTrue(e.getMessage().contains("not initialized"), e.getMessage());
    }

    @Test
    void shouldNameTheOverwrittenRoutinePointerWhenItIsNoRoutineOfTheKernel() {
        initEx();
        long allocateEx = list.get(ValueLayout.JAVA_LONG, ALLOCATE_EX_OFFSET);
        list.set(ValueLayout.JAVA_LONG, ALLOCATE_EX_OFFSET, 0xDEAD0L);
        IllegalStateException miss = assertThrows(IllegalStateException.class, () -> ExAllocateFromLookasideListEx(list));
        assertTrue(miss.getMessage().contains("has AllocateEx 0xdead0, which is no routine"), miss.getMessage());
        list.set(ValueLayout.JAVA_LONG, ALLOCATE_EX_OFFSET, allocateEx);
        ExFreeToLookasideListEx(list, ExAllocateFromLookasideListEx(list)); // cached on the list
        long freeEx = list.get(ValueLayout.JAVA_LONG, FREE_EX_OFFSET);
        list.set(ValueLayout.JAVA_LONG, FREE_EX_OFFSET, allocateEx); // a routine of the kernel, but no free routine
        IllegalStateException flush = assertThrows(IllegalStateException.class, () -> ExFlushLookasideListEx(list));
        assertTrue(flush.getMessage().contains("has FreeEx 0x" + Long.toHexString(allocateEx) + ", which is no routine"),
                flush.getMessage());
        list.set(ValueLayout.JAVA_LONG, FREE_EX_OFFSET, freeEx);
    }

    @Test
    void shouldBugCheckOnDoubleInitializeDeleteOfUninitializedAndTooSmallBlocks() {
        initEx();
        BugCheck b = assertThrows(BugCheck.class, this::initEx);
        assertEquals(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, b.code());
        assertEquals(DV_LOOKASIDE_REINITIALIZED, b.parameter1());
        assertEquals(list.address(), b.parameter2());
        MemorySegment other = mem.at(4096, LOOKASIDE_LIST_EX_SIZE);
        b = assertThrows(BugCheck.class, () -> ExDeleteLookasideListEx(other));
        assertEquals(DV_LOOKASIDE_DELETE_UNINITIALIZED, b.parameter1());
        b = assertThrows(BugCheck.class, () -> ExInitializeLookasideListEx(other, null, null, PoolType.NonPagedPool, 0, 4, TAG, 0));
        assertEquals(DV_LOOKASIDE_BLOCK_TOO_SMALL, b.parameter1());
        assertEquals(4, b.parameter3());
    }

    @Test
    void shouldRefuseMisalignedAndUnmappedArgumentsWithoutTouchingCounters() {
        initEx();
        assertThrows(DatatypeMisalignmentException.class, () -> ExAllocateFromLookasideListEx(mem.at(8, 0x60)));
        MemorySegment block = ExAllocateFromLookasideListEx(list);
        assertThrows(DatatypeMisalignmentException.class, () -> ExFreeToLookasideListEx(list, block.asSlice(8)));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment foreign = arena.allocate(64, 16);
            BugCheck b = assertThrows(BugCheck.class, () -> ExFreeToLookasideListEx(list, foreign));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, b.code());
            b = assertThrows(BugCheck.class, () -> ExAllocateFromLookasideListEx(foreign));
            assertEquals(foreign.address(), b.parameter1());
        }
        assertEquals(0, field(TOTAL_FREES_OFFSET));
        assertEquals(1, field(TOTAL_ALLOCATES_OFFSET));
    }

    /**
     * The DDI uses a segment that holds the whole list directly (no lookup of the list) and takes the
     * by-address path for anything else. Both refuse the same way: a list outside registered memory is
     * 0x50 with its address whichever form it comes in, and a block outside it is 0x50 before any
     * counter changes, whether it would be cached or (the list at its Depth) go to the free routine.
     */
    @Test
    void shouldCheckListAndBlockTheSameWayWhetherTheListArrivesAsItsOwnSegmentOrAsAnAddress() throws Exception {
        checkListAndBlockInEveryForm(mem, blocks); // this class's kernel: the verifier's families on
        // A kernel with the verifier off: no SPECIAL_POOL block check stands in for the DDI's own.
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try (Kernel plain = Kernel.boot(KernelConfig.defaults().withVerifier(false)).attach();
                    TestMemory m = new TestMemory(plain, 1 << 20)) {
                ExLookaside.setPeriodicScan(plain.lookasideLists(), false);
                checkListAndBlockInEveryForm(m, new TestBlocks(m, 64 * 1024, 64));
                for (long l : ExLookaside.liveLists(plain.lookasideLists())) {
                    ExLookaside.delete(plain.lookasideLists(), l);
                }
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.start();
        t.join();
        if (failure[0] != null) {
            throw new AssertionError("with the verifier off", failure[0]);
        }
    }

    private static void checkListAndBlockInEveryForm(TestMemory mem, TestBlocks blocks) {
        MemorySegment list = mem.at(0, GENERAL_LOOKASIDE_SIZE);
        assertEquals(NtStatus.STATUS_SUCCESS, ExInitializeLookasideListEx(list, blocks.allocateEx(), blocks.freeEx(),
                PoolType.NonPagedPoolNx, 0, 48, TAG, 0));
        MemorySegment byAddress = MemorySegment.ofAddress(list.address()); // zero length: resolved in the address space
        MemorySegment readOnly = list.asReadOnly(); // not writable: resolved as well
        MemorySegment a = ExAllocateFromLookasideListEx(byAddress);
        MemorySegment b = ExAllocateFromLookasideListEx(readOnly);
        MemorySegment c = ExAllocateFromLookasideListEx(list);
        assertEquals(48, a.byteSize());
        assertEquals(3, list.get(ValueLayout.JAVA_INT, TOTAL_ALLOCATES_OFFSET));
        ExFreeToLookasideListEx(byAddress, a);
        ExFreeToLookasideListEx(readOnly, b);
        ExFreeToLookasideListEx(list, c);
        assertEquals(3, list.get(ValueLayout.JAVA_INT, TOTAL_FREES_OFFSET));
        assertEquals(c.address(), ExAllocateFromLookasideListEx(byAddress).address(), "one SLIST behind every form");
        ExFreeToLookasideListEx(list, c);

        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment foreignBlock = arena.allocate(64, 16);
            // Not at Depth (3 of 4 cached): the block would be pushed; the shim refuses it.
            BugCheck bc = assertThrows(BugCheck.class, () -> ExFreeToLookasideListEx(list, foreignBlock));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, bc.code());
            assertEquals(foreignBlock.address(), bc.parameter1());
            MemorySegment e = blocks.segment(blocks.allocate(PoolType.NonPagedPoolNx, 48, TAG, list.address()));
            ExFreeToLookasideListEx(list, e); // cached: the list now holds 4 = Depth
            assertEquals(4, ExSList.depth(list, 0));
            int frees = list.get(ValueLayout.JAVA_INT, TOTAL_FREES_OFFSET);
            int misses = list.get(ValueLayout.JAVA_INT, FREE_MISSES_OFFSET);
            int routineFrees = blocks.frees.get();
            // At Depth the block would go to the free routine: it is looked up first.
            bc = assertThrows(BugCheck.class, () -> ExFreeToLookasideListEx(list, foreignBlock));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, bc.code());
            assertEquals(foreignBlock.address(), bc.parameter1());
            assertEquals(frees, list.get(ValueLayout.JAVA_INT, TOTAL_FREES_OFFSET), "refused before the counters change");
            assertEquals(misses, list.get(ValueLayout.JAVA_INT, FREE_MISSES_OFFSET));
            assertEquals(routineFrees, blocks.frees.get(), "the free routine never saw it");

            // A list-sized segment outside registered memory: 0x50 with its address (ListHead is at 0), nothing written.
            MemorySegment foreignList = arena.allocate(GENERAL_LOOKASIDE_SIZE, 16);
            bc = assertThrows(BugCheck.class, () -> ExAllocateFromLookasideListEx(foreignList));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, bc.code());
            assertEquals(foreignList.address(), bc.parameter1());
            bc = assertThrows(BugCheck.class, () -> ExFreeToLookasideListEx(foreignList, c));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, bc.code());
            assertEquals(0, foreignList.get(ValueLayout.JAVA_INT, TOTAL_ALLOCATES_OFFSET));
            assertEquals(0, foreignList.get(ValueLayout.JAVA_INT, TOTAL_FREES_OFFSET));
        }
    }

    /**
     * The free's block check reuses the list's region only when the block lies wholly in it: a block
     * whose 16 bytes start in the list's region and leave it is 0x50 (it is in no region), a block in
     * another region is looked up there; neither touches the counters when refused.
     */
    @Test
    void shouldRefuseABlockThatLeavesTheListsRegionAndAcceptOneInAnotherRegion() {
        try (var arena = java.lang.foreign.Arena.ofShared()) {
            MemorySegment own = arena.allocate(LOOKASIDE_LIST_EX_SIZE + 8, 64); // the list, then 8 bytes
            var region = kernel.addressSpace().register(own, "list and 8 bytes");
            try {
                MemorySegment l = own.asSlice(0, LOOKASIDE_LIST_EX_SIZE);
                assertEquals(NtStatus.STATUS_SUCCESS, ExInitializeLookasideListEx(l, blocks.allocateEx(), blocks.freeEx(),
                        PoolType.NonPagedPool, 0, 48, TAG, 0));
                LookasideRegistry reg = kernel.lookasideLists();
                long leaving = own.address() + LOOKASIDE_LIST_EX_SIZE; // 16-byte aligned, 8 bytes inside
                BugCheck b = assertThrows(BugCheck.class, () -> ExLookaside.free(reg, l.address(), leaving));
                assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, b.code());
                assertEquals(leaving, b.parameter1());
                assertEquals(0, l.get(ValueLayout.JAVA_INT, TOTAL_FREES_OFFSET));
                long block = ExLookaside.allocate(reg, l.address()); // from the test blocks: another region
                assertNotEquals(0, block);
                ExLookaside.free(reg, l.address(), block);
                assertEquals(1, l.get(ValueLayout.JAVA_INT, TOTAL_FREES_OFFSET));
                assertEquals(block, ExLookaside.allocate(reg, l.address())); // it was cached
                ExLookaside.free(reg, l.address(), block);
                ExLookaside.delete(reg, l.address());
            } finally {
                kernel.addressSpace().unregister(region);
            }
        }
    }

    @Test
    void shouldRefuseAMisalignedBlockFromACustomAllocateRoutine() {
        ExInitializeLookasideListEx(list, (t, n, g, l) -> mem.at(64 * 1024 + 8, 64), null, PoolType.NonPagedPool, 0, 64, TAG, 0);
        assertThrows(DatatypeMisalignmentException.class, () -> ExAllocateFromLookasideListEx(list));
    }

    @Test
    void shouldStoreRealFunctionPointersThatNativeCodeCanCall() throws Throwable {
        initEx();
        long allocateEx = list.get(ValueLayout.JAVA_LONG, ALLOCATE_EX_OFFSET);
        MethodHandle call = Linker.nativeLinker().downcallHandle(MemorySegment.ofAddress(allocateEx),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS));
        MemorySegment block = (MemorySegment) call.invokeExact(PoolType.NonPagedPool, 48L, TAG, list);
        assertEquals(1, blocks.allocations.get(), "the stub reached the Java routine");
        assertEquals(list.address(), blocks.lastLookaside.get());
        assertTrue(block.address() != 0 && (block.address() & 15) == 0);
    }

    @Test
    void shouldServeTheLegacyNPagedAndPagedFamiliesFromTheSameCore() {
        MemorySegment paged = mem.at(4096, GENERAL_LOOKASIDE_SIZE);
        ExInitializeNPagedLookasideList(list, blocks.allocateLegacy(), blocks.freeLegacy(), POOL_NX_ALLOCATION, 32, TAG, 0);
        ExInitializePagedLookasideList(paged, blocks.allocateLegacy(), blocks.freeLegacy(), 0, 32, TAG, 0);
        assertEquals(PoolType.NonPagedPoolNx, field(TYPE_OFFSET));
        assertEquals(PoolType.PagedPool, paged.get(ValueLayout.JAVA_INT, TYPE_OFFSET));
        MemorySegment a = ExAllocateFromNPagedLookasideList(list);
        assertEquals(PoolType.NonPagedPoolNx, blocks.lastPoolType.get());
        MemorySegment b = ExAllocateFromPagedLookasideList(paged);
        assertEquals(PoolType.PagedPool, blocks.lastPoolType.get());
        ExFreeToNPagedLookasideList(list, a);
        ExFreeToPagedLookasideList(paged, b);
        assertEquals(a.address(), ExAllocateFromNPagedLookasideList(list).address());
        assertArrayEquals(new long[] {list.address(), paged.address()}, ExLookaside.liveLists(kernel.lookasideLists()),
                "nonpaged list first, then the paged one");
        ExDeleteNPagedLookasideList(list);
        ExDeletePagedLookasideList(paged);
        assertEquals(0, ExLookaside.liveLists(kernel.lookasideLists()).length);
        assertEquals(1, blocks.frees.get(), "the paged list's cached block was freed at delete");
        assertThrows(IllegalArgumentException.class,
                () -> ExInitializePagedLookasideList(paged, null, null, 0x4, 32, TAG, 0));
    }

    @Test
    void shouldAllowNonPagedListsAtDispatchLevelButBugCheckPagedOnes() {
        MemorySegment paged = mem.at(4096, GENERAL_LOOKASIDE_SIZE);
        ExInitializeNPagedLookasideList(list, blocks.allocateLegacy(), blocks.freeLegacy(), 0, 32, TAG, 0);
        ExInitializePagedLookasideList(paged, blocks.allocateLegacy(), blocks.freeLegacy(), 0, 32, TAG, 0);
        int old = Irql.raise(Irql.DISPATCH_LEVEL);
        try {
            MemorySegment a = ExAllocateFromNPagedLookasideList(list);
            ExFreeToNPagedLookasideList(list, a);
            BugCheck b = assertThrows(BugCheck.class, () -> ExAllocateFromPagedLookasideList(paged));
            assertEquals(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, b.code());
            assertEquals(paged.address(), b.parameter1());
            assertEquals(Irql.DISPATCH_LEVEL, b.parameter2());
        } finally {
            Irql.lower(old);
        }
        assertEquals(0, paged.get(ValueLayout.JAVA_INT, TOTAL_ALLOCATES_OFFSET), "the refused call changed nothing");
    }

    /**
     * The list routines skip the verifier's path only when the kernel runs neither family they check
     * (IRQL, SPECIAL_POOL): a kernel with the IRQL family alone still refuses a paged list at
     * DISPATCH_LEVEL, and a kernel with no family lets the call through, as Windows without the verifier.
     */
    @Test
    void shouldRunTheListIrqlCheckWhenTheKernelRunsTheIrqlFamilyAloneAndSkipItWhenItRunsNone() throws Exception {
        for (boolean irqlFamily : new boolean[] {true, false}) {
            Throwable[] failure = new Throwable[1];
            Thread t = new Thread(() -> {
                java.util.Set<dev.offkern.runtime.verifier.VerifierCheck> families = irqlFamily
                        ? java.util.EnumSet.of(dev.offkern.runtime.verifier.VerifierCheck.IRQL)
                        : java.util.EnumSet.noneOf(dev.offkern.runtime.verifier.VerifierCheck.class);
                try (Kernel k = Kernel.boot(KernelConfig.defaults().withVerifierChecks(families)).attach();
                        TestMemory m = new TestMemory(k, 1 << 20)) {
                    ExLookaside.setPeriodicScan(k.lookasideLists(), false);
                    TestBlocks b = new TestBlocks(m, 64 * 1024, 64);
                    MemorySegment paged = m.at(0, GENERAL_LOOKASIDE_SIZE);
                    ExInitializePagedLookasideList(paged, b.allocateLegacy(), b.freeLegacy(), 0, 32, TAG, 0);
                    int old = Irql.raise(Irql.DISPATCH_LEVEL);
                    try {
                        if (irqlFamily) {
                            BugCheck bc = assertThrows(BugCheck.class, () -> ExAllocateFromPagedLookasideList(paged));
                            assertEquals(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, bc.code());
                            assertEquals(0, paged.get(ValueLayout.JAVA_INT, TOTAL_ALLOCATES_OFFSET), "refused before any change");
                        } else {
                            MemorySegment a = ExAllocateFromPagedLookasideList(paged);
                            ExFreeToPagedLookasideList(paged, a);
                            assertEquals(1, paged.get(ValueLayout.JAVA_INT, TOTAL_ALLOCATES_OFFSET));
                            assertEquals(1, paged.get(ValueLayout.JAVA_INT, TOTAL_FREES_OFFSET));
                        }
                    } finally {
                        Irql.lower(old);
                    }
                    ExDeletePagedLookasideList(paged);
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            t.start();
            t.join();
            if (failure[0] != null) {
                throw new AssertionError(irqlFamily ? "IRQL family alone" : "no family", failure[0]);
            }
        }
    }

    // ----- depth adaptation -----

    @Test
    void shouldComputeDepthWithWindowsRule() {
        // Fewer than 25 allocations per second of the period: shrink by 10, floor 4.
        assertEquals(4, computeDepth(4, 256, 0, 0, 3));
        assertEquals(20, computeDepth(30, 256, 74, 74, 3));
        assertEquals(4, computeDepth(12, 256, 10, 10, 3));
        // Miss rate below 0.5%: shrink by 1.
        assertEquals(29, computeDepth(30, 256, 1000, 4, 3));
        assertEquals(4, computeDepth(4, 256, 1000, 0, 3));
        // Otherwise grow by ratio * (max - depth) / 2000 + 5, at most 30, capped at the maximum.
        assertEquals(34, computeDepth(4, 256, 100, 100, 3), "all misses: +30 (capped)");
        assertEquals(4 + (10 * 252 / 2000 + 5), computeDepth(4, 256, 1000, 10, 3), "1% misses: +6");
        assertEquals(256, computeDepth(250, 256, 100, 100, 3));
        assertEquals(256, computeDepth(256, 256, 100, 100, 3));
    }

    @Test
    void shouldAdaptDepthOnAScanFromTheCountsSinceTheLastScan() {
        initEx();
        List<MemorySegment> held = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            held.add(ExAllocateFromLookasideListEx(list));
        }
        ExLookaside.scanAll(kernel.lookasideLists());
        assertEquals(34, ushort(DEPTH_OFFSET), "100 allocations, all misses: +30");
        assertEquals(100, field(LAST_TOTAL_ALLOCATES_OFFSET));
        assertEquals(100, field(LAST_ALLOCATE_MISSES_OFFSET));
        for (MemorySegment b : held) {
            ExFreeToLookasideListEx(list, b);
        }
        assertEquals(34, ExSList.depth(list, 0), "the list now caches up to 34 blocks");
        assertEquals(66, field(FREE_MISSES_OFFSET));
        ExLookaside.scanAll(kernel.lookasideLists());
        assertEquals(24, ushort(DEPTH_OFFSET), "no allocations since the last scan: -10");
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 20; i++) {
                ExFreeToLookasideListEx(list, ExAllocateFromLookasideListEx(list));
            }
        }
        ExLookaside.scanAll(kernel.lookasideLists());
        assertEquals(23, ushort(DEPTH_OFFSET), "100 hits, 0 misses: -1");
    }

    @Test
    void shouldRunThePeriodicScanOnADaemonThread() throws InterruptedException {
        initEx();
        for (int i = 0; i < 100; i++) {
            ExAllocateFromLookasideListEx(list);
        }
        ExLookaside.setPeriodicScan(kernel.lookasideLists(), true);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (ushort(DEPTH_OFFSET) == MINIMUM_LOOKASIDE_DEPTH && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("offkern-lookaside-scan")));
        ExLookaside.setPeriodicScan(kernel.lookasideLists(), false);
        assertEquals(34, ushort(DEPTH_OFFSET), "the daemon scanned the list");
    }

    @Test
    void shouldStopTheScanThreadWhenTheKernelCloses() throws InterruptedException {
        try (Kernel other = Kernel.boot()) {
            TestMemory m = new TestMemory(other, 4096);
            ExLookaside.setPeriodicScan(other.lookasideLists(), true);
            ExLookaside.initializeEx(other.lookasideLists(), m.base(), blocks.allocateEx(), blocks.freeEx(), PoolType.NonPagedPool, 0, 32, TAG, 0);
            assertTrue(scanThreads() >= 1);
            ExLookaside.delete(other.lookasideLists(), m.base());
            m.close();
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (scanThreads() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, scanThreads(), "the scan thread exits once its kernel is closed");
    }

    @Test
    void shouldRefuseToInitializeAListOnceItsKernelIsClosed() {
        Kernel other = Kernel.boot();
        LookasideRegistry lists = other.lookasideLists();
        TestMemory m = new TestMemory(other, 4096);
        long base = m.base();
        other.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ExLookaside.initializeEx(lists, base,
                blocks.allocateEx(), blocks.freeEx(), PoolType.NonPagedPool, 0, 32, TAG, 0));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        m.close();
    }

    private static long scanThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("offkern-lookaside-scan")).count();
    }
}
