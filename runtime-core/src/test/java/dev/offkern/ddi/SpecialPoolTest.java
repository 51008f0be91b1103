package dev.offkern.ddi;

import static dev.offkern.ddi.Ex.ExAllocateFromLookasideListEx;
import static dev.offkern.ddi.Ex.ExAllocateFromNPagedLookasideList;
import static dev.offkern.ddi.Ex.ExAllocatePool2;
import static dev.offkern.ddi.Ex.ExDeleteLookasideListEx;
import static dev.offkern.ddi.Ex.ExDeleteNPagedLookasideList;
import static dev.offkern.ddi.Ex.ExFlushLookasideListEx;
import static dev.offkern.ddi.Ex.ExFreePool;
import static dev.offkern.ddi.Ex.ExFreePoolWithTag;
import static dev.offkern.ddi.Ex.ExFreeToLookasideListEx;
import static dev.offkern.ddi.Ex.ExFreeToNPagedLookasideList;
import static dev.offkern.ddi.Ex.ExInitializeLookasideListEx;
import static dev.offkern.ddi.Ex.ExInitializeNPagedLookasideList;
import static dev.offkern.ddi.Ex.InitializeSListHead;
import static dev.offkern.ddi.Ex.InterlockedPopEntrySList;
import static dev.offkern.ddi.Ex.InterlockedPushEntrySList;
import static dev.offkern.ddi.Ex.InterlockedPushListSListEx;
import static dev.offkern.ddi.Rtl.RtlClearBits;
import static dev.offkern.ddi.Rtl.RtlFindClearBitsAndSet;
import static dev.offkern.ddi.Rtl.RtlInitializeBitMap;
import static dev.offkern.ddi.Rtl.RtlNumberOfSetBits;
import static dev.offkern.ddi.Rtl.RtlSetAllBits;
import static dev.offkern.ddi.Rtl.RtlSetBits;
import static dev.offkern.nt.PoolFlags.POOL_FLAG_NON_PAGED;
import static dev.offkern.nt.PoolFlags.POOL_FLAG_UNINITIALIZED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.offkern.layout.ex.GENERAL_LOOKASIDE;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ex.ExLookaside;
import dev.offkern.runtime.ke.KernelCore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The verifier's block-exact checks (SPECIAL_POOL family, on by default) against the silent
 * corruptions of issue 8 item 5: each routine refuses, with a documented bug check and before it
 * writes anything, a range that leaves the live pool block its pointer is in.
 */
class SpecialPoolTest {
    private static final int TAG = PoolTags.tag("SpPl");
    private static final int BITS_1M = 1 << 20;

    private Kernel kernel;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot().attach().leakReportSink(s -> { });
        ExLookaside.setPeriodicScan(kernel.lookasideLists(), false);
    }

    @AfterEach
    void shutdown() {
        kernel.close();
    }

    /** Three adjacent 16-byte blocks (one page, one size class, allocated in order), filled with a pattern. */
    private MemorySegment[] threeBlocks() {
        MemorySegment[] b = new MemorySegment[3];
        for (int i = 0; i < 3; i++) {
            b[i] = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG);
            b[i].fill((byte) (0x40 + i));
        }
        assertEquals(b[0].address() + 32, b[1].address(), "adjacent blocks of one class (header + 16 bytes)");
        assertEquals(b[1].address() + 32, b[2].address());
        return b;
    }

    /** The 4 KiB page holding {@code block} (its neighbours and their POOL_HEADERs), to compare before and after. */
    private byte[] around(MemorySegment block) {
        return kernel.addressSpace().resolve(block.address() & -4096L, 4096).toArray(ValueLayout.JAVA_BYTE);
    }

    private static BugCheck assertBugCheck(int code, long p1, long p2, Executable call) {
        BugCheck stop = assertThrows(BugCheck.class, call);
        assertEquals(BugCheckCode.name(code), BugCheckCode.name(stop.code()), stop.getMessage());
        assertEquals(p1, stop.parameter1(), "P1: " + stop.getMessage());
        assertEquals(p2, stop.parameter2(), "P2 (1 = write)");
        return stop;
    }

    // ----- RTL_BITMAP over a block too small for SizeOfBitMap -----

    @Test
    void shouldRefuseABitmapThatRunsPastItsSixteenByteBlockBeforeWritingIt() {
        MemorySegment[] b = threeBlocks();
        MemorySegment header = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG);
        // A raw pointer (zero-length segment): RtlInitializeBitMap cannot see the block's size, as in C.
        RtlInitializeBitMap(header, MemorySegment.ofAddress(b[1].address()), BITS_1M);
        byte[] before = around(b[1]);
        long end = b[1].address() + 16;
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, end, 1, () -> RtlSetAllBits(header));
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, end, 1, () -> RtlSetBits(header, 0, BITS_1M));
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, end + 8, 1, () -> RtlClearBits(header, 200, 1)); // ULONG 6: the first byte it touches
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, end, 1, () -> RtlFindClearBitsAndSet(header, 1, 0));
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, end, 0, () -> RtlNumberOfSetBits(header));
        assertArrayEquals(before, around(b[1]), "neither the block, its neighbours nor their POOL_HEADERs changed");
        RtlSetBits(header, 0, 128); // inside the block: fine
        assertEquals(-1L, b[1].get(ValueLayout.JAVA_LONG, 8));
        for (MemorySegment m : b) {
            ExFreePoolWithTag(m, TAG); // the pool's header checks pass: nothing was overwritten
        }
    }

    @Test
    void shouldRefuseABitmapWhoseBufferWasFreed() {
        MemorySegment block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
        MemorySegment header = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG);
        RtlInitializeBitMap(header, block, 64 * 8);
        RtlSetAllBits(header);
        ExFreePool(block);
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, block.address(), 1, () -> RtlSetAllBits(header));
    }

    @Test
    void shouldRefuseABitmapBufferThatStartsInAPoolHeader() {
        MemorySegment block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
        MemorySegment header = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG);
        long inHeader = block.address() - 8;
        RtlInitializeBitMap(header, MemorySegment.ofAddress(inHeader), 32);
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, inHeader, 1, () -> RtlSetAllBits(header));
    }

    // ----- SLIST entries -----

    @Test
    void shouldRefuseAnSListEntryOnePastTheEndOfItsBlock() {
        MemorySegment[] b = threeBlocks();
        MemorySegment head = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG);
        InitializeSListHead(head);
        long onePastEnd = b[0].address() + 16; // b[1]'s POOL_HEADER
        byte[] before = around(b[1]);
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, onePastEnd, 1,
                () -> InterlockedPushEntrySList(head, MemorySegment.ofAddress(onePastEnd)));
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, onePastEnd, 1,
                () -> InterlockedPushListSListEx(head, b[0], MemorySegment.ofAddress(onePastEnd), 2));
        assertArrayEquals(before, around(b[1]), "the next block's POOL_HEADER is intact");
        assertEquals(MemorySegment.NULL, InterlockedPopEntrySList(head), "nothing was pushed");
        for (MemorySegment m : b) {
            ExFreePoolWithTag(m, TAG);
        }
    }

    @Test
    void shouldRefuseAnSListEntryInAFreedBlock() {
        MemorySegment head = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG);
        InitializeSListHead(head);
        MemorySegment entry = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG);
        ExFreePool(entry);
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, entry.address(), 1,
                () -> InterlockedPushEntrySList(head, entry));
    }

    // ----- lookaside lists: blocks too small, double frees -----

    private MemorySegment poolList(long size) {
        MemorySegment list = ExAllocatePool2(POOL_FLAG_NON_PAGED, ExLookaside.LOOKASIDE_LIST_EX_SIZE, TAG);
        assertEquals(0, ExInitializeLookasideListEx(list, null, null, PoolType.NonPagedPool, 0, size, TAG, 0));
        return list;
    }

    private static int ulong(MemorySegment list, long offset) {
        return list.get(ValueLayout.JAVA_INT, offset);
    }

    @Test
    void shouldRefuseASixteenByteBlockFreedIntoATwoHundredByteList() {
        MemorySegment list = poolList(200);
        MemorySegment small = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG);
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, small.address() + 16, 1,
                () -> ExFreeToLookasideListEx(list, small));
        assertEquals(0, ulong(list, GENERAL_LOOKASIDE.TOTAL_FREES_OFFSET), "refused before the list changed");
        MemorySegment got = ExAllocateFromLookasideListEx(list);
        assertNotEquals(small.address(), got.address(), "the small block was never handed out as 200 bytes");
        assertEquals(200, got.byteSize());
        ExFreeToLookasideListEx(list, got);
        ExFreePoolWithTag(small, TAG);
        ExDeleteLookasideListEx(list);
    }

    @Test
    void shouldRefuseASmallBlockInTheLegacyNonPagedList() {
        MemorySegment list = ExAllocatePool2(POOL_FLAG_NON_PAGED, ExLookaside.GENERAL_LOOKASIDE_SIZE, TAG);
        ExInitializeNPagedLookasideList(list, null, null, 0, 200, TAG, 0);
        MemorySegment small = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 100, TAG);
        assertBugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, small.address() + 100, 1,
                () -> ExFreeToNPagedLookasideList(list, small));
        ExFreePool(small);
        ExDeleteNPagedLookasideList(list);
    }

    @Test
    void shouldDetectADoubleFreeIntoALookasideList() {
        MemorySegment list = poolList(64);
        MemorySegment a = ExAllocateFromLookasideListEx(list);
        MemorySegment b = ExAllocateFromLookasideListEx(list);
        ExFreeToLookasideListEx(list, a);
        ExFreeToLookasideListEx(list, b);
        BugCheck stop = assertBugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, () -> ExFreeToLookasideListEx(list, a));
        assertEquals(a.address(), stop.parameter4());
        assertEquals(2, ulong(list, GENERAL_LOOKASIDE.TOTAL_FREES_OFFSET), "refused before the list changed");
        MemorySegment first = ExAllocateFromLookasideListEx(list);
        MemorySegment second = ExAllocateFromLookasideListEx(list);
        MemorySegment third = ExAllocateFromLookasideListEx(list);
        assertEquals(b.address(), first.address());
        assertEquals(a.address(), second.address());
        assertNotEquals(a.address(), third.address(), "no block is handed to two callers");
        assertNotEquals(b.address(), third.address());
        ExFreeToLookasideListEx(list, a); // a left the list when it was handed out: freeing it again is fine
        ExFreeToLookasideListEx(list, b);
        ExFreeToLookasideListEx(list, third);
        ExDeleteLookasideListEx(list);
    }

    /**
     * Fuzz finding lookaside-hands-out-bystander: a cached block's link, written after the block was
     * freed to the list, leads to a live block of the right size that no lookaside free put there (a
     * neighbour). The old check (live, Size bytes) passed it, and the list handed the neighbour out.
     */
    @Test
    void shouldRefuseToHandOutALiveBlockThatALinkWrittenAfterAFreeLeadsTo() {
        MemorySegment list = poolList(64);
        MemorySegment a = ExAllocateFromLookasideListEx(list);
        MemorySegment neighbour = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
        ExFreeToLookasideListEx(list, a);
        a.set(ValueLayout.JAVA_LONG, 0, neighbour.address()); // use after free: the cached block's Next
        assertEquals(a.address(), ExAllocateFromLookasideListEx(list).address(), "the cached block itself is fine");
        BugCheck stop = assertBugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, KernelCore.FAST_FAIL_CORRUPT_LIST_ENTRY,
                list.address() + GENERAL_LOOKASIDE.LIST_HEAD_OFFSET, () -> ExAllocateFromLookasideListEx(list));
        assertEquals(neighbour.address(), stop.parameter3());
        assertEquals(0, neighbour.get(ValueLayout.JAVA_LONG, 8), "the neighbour was not touched");
        ExFreePoolWithTag(neighbour, TAG); // still allocated: its owner frees it
        ExFreeToLookasideListEx(list, a);
        ExDeleteLookasideListEx(list);
    }

    /** The same corrupted link met by a flush: the neighbour must not be freed under its owner. */
    @Test
    void shouldRefuseToFlushALiveBlockThatALinkWrittenAfterAFreeLeadsTo() {
        MemorySegment list = poolList(64);
        MemorySegment a = ExAllocateFromLookasideListEx(list);
        MemorySegment neighbour = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
        ExFreeToLookasideListEx(list, a);
        a.set(ValueLayout.JAVA_LONG, 0, neighbour.address());
        BugCheck stop = assertBugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, KernelCore.FAST_FAIL_CORRUPT_LIST_ENTRY,
                list.address() + GENERAL_LOOKASIDE.LIST_HEAD_OFFSET, () -> ExFlushLookasideListEx(list));
        assertEquals(neighbour.address(), stop.parameter3());
        ExFreePoolWithTag(neighbour, TAG); // not freed by the flush: this is its only free
        ExDeleteLookasideListEx(list);
    }

    @Test
    void shouldRefuseFreeingToThePoolABlockALookasideListStillHolds() {
        MemorySegment list = poolList(64);
        MemorySegment a = ExAllocateFromLookasideListEx(list);
        ExFreeToLookasideListEx(list, a);
        BugCheck stop = assertBugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, () -> ExFreePoolWithTag(a, TAG));
        assertEquals(a.address(), stop.parameter4());
        ExDeleteLookasideListEx(list); // the list frees it: its mark is cleared first
    }

    @Test
    void shouldDetectAnImmediateDoubleFreeOfCallerRegisteredMemory() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment memory = arena.allocate(64 * 1024, 4096);
            var region = kernel.addressSpace().register(memory, "SpecialPoolTest blocks");
            MemorySegment list = memory.asSlice(0, ExLookaside.LOOKASIDE_LIST_EX_SIZE);
            AtomicLong bump = new AtomicLong(4096);
            assertEquals(0, ExInitializeLookasideListEx(list, (type, bytes, tag, l) -> memory.asSlice(bump.getAndAdd(64), bytes),
                    (buffer, l) -> { }, PoolType.NonPagedPool, 0, 64, TAG, 0));
            MemorySegment a = ExAllocateFromLookasideListEx(list);
            ExFreeToLookasideListEx(list, a);
            BugCheck stop = assertBugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, () -> ExFreeToLookasideListEx(list, a));
            assertEquals(a.address(), stop.parameter4());
            assertEquals(a.address(), ExAllocateFromLookasideListEx(list).address());
            assertNotEquals(a.address(), ExAllocateFromLookasideListEx(list).address(), "the list did not link the block to itself");
            ExDeleteLookasideListEx(list);
            kernel.addressSpace().unregister(region);
        }
    }
}
