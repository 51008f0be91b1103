package dev.offkern.runtime.rtl;

import static dev.offkern.ddi.Rtl.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * RTL_BITMAP against Windows' recorded behaviour: the vectors of ReactOS's
 * {@code modules/rostests/apitests/ntdll/RtlBitmap.c} (run against Windows Vista and later) and of
 * Wine's {@code dlls/ntdll/tests/rtlbitmap.c} (run against Windows), plus the edges and bad input.
 * Every call goes through the DDI names, so the tests read like the C they port.
 */
class RtlBitmapTest {

    // ----- RtlFindMostSignificantBit / RtlFindLeastSignificantBit (ReactOS + Wine) -----

    @Test
    void shouldFindMostSignificantBitAsWindowsDoes() {
        assertEquals(-1, RtlFindMostSignificantBit(0));
        assertEquals(0, RtlFindMostSignificantBit(0x0000000000000001L));
        assertEquals(1, RtlFindMostSignificantBit(0x0000000000000002L));
        assertEquals(60, RtlFindMostSignificantBit(0x1000000000000000L));
        assertEquals(63, RtlFindMostSignificantBit(0x8000000000000000L));
        assertEquals(63, RtlFindMostSignificantBit(0x8000000000000001L));
        assertEquals(63, RtlFindMostSignificantBit(0xFFFFFFFFFFFFFFFFL));
        assertEquals(30, RtlFindMostSignificantBit(0x0000000070000000L));
        for (int i = 0; i < 64; i++) {
            long bit = 1L << i;
            assertEquals(i, RtlFindMostSignificantBit(bit));
            assertEquals(i, RtlFindMostSignificantBit(((bit - 1) << 1) | 1));
        }
    }

    @Test
    void shouldFindLeastSignificantBitAsWindowsDoes() {
        assertEquals(-1, RtlFindLeastSignificantBit(0));
        assertEquals(0, RtlFindLeastSignificantBit(0x0000000000000001L));
        assertEquals(1, RtlFindLeastSignificantBit(0x0000000000000002L));
        assertEquals(60, RtlFindLeastSignificantBit(0x1000000000000000L));
        assertEquals(63, RtlFindLeastSignificantBit(0x8000000000000000L));
        assertEquals(0, RtlFindLeastSignificantBit(0xFFFFFFFFFFFFFFFFL));
        assertEquals(28, RtlFindLeastSignificantBit(0x0000000070000000L));
        for (int i = 0; i < 64; i++) {
            assertEquals(i, RtlFindLeastSignificantBit(1L << i));
            assertEquals(i, RtlFindLeastSignificantBit(-1L << i));
        }
    }

    @Test
    void shouldCountBitsOfAPointerSizedValue() {
        assertEquals(0, RtlNumberOfSetBitsUlongPtr(0));
        assertEquals(64, RtlNumberOfSetBitsUlongPtr(-1L));
        assertEquals(1, RtlNumberOfSetBitsUlongPtr(0x8000000000000000L));
        assertEquals(36, RtlNumberOfSetBitsUlongPtr(0x3F303F30_FF00FF0FL));
    }

    // ----- RtlInitializeBitMap -----

    @Test
    void shouldStoreSizeAndBufferWithoutTouchingTheBits() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.fill(0xCCCCCCCC);
            RtlInitializeBitMap(f.header, f.buffer, 0);
            assertEquals(0, f.header.get(ValueLayout.JAVA_INT, 0));
            assertEquals(f.buffer.address(), f.header.get(ValueLayout.JAVA_LONG, 8));
            assertEquals(0xCCCCCCCC, f.ulong(0));
            RtlInitializeBitMap(f.header, f.buffer, 8);
            assertEquals(8, f.header.get(ValueLayout.JAVA_INT, 0));
            assertEquals(0xCCCCCCCC, f.ulong(0));
            assertEquals(0xCCCCCCCC, f.ulong(1));
        }
    }

    @Test
    void shouldAcceptANullBufferAsWindowsDoesAndFaultOnItsFirstUse() {
        try (BitmapFixture f = new BitmapFixture(1)) {
            RtlInitializeBitMap(f.header, MemorySegment.NULL, -1);
            assertEquals(-1, f.header.get(ValueLayout.JAVA_INT, 0));
            assertEquals(0, f.header.get(ValueLayout.JAVA_LONG, 8));
            BugCheck stop = assertThrows(BugCheck.class, () -> RtlNumberOfSetBits(f.header));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, stop.code());
            assertEquals(0, stop.parameter1());
        }
    }

    @Test
    void shouldFaultOnANullHeader() {
        try (BitmapFixture f = new BitmapFixture(1)) {
            BugCheck stop = assertThrows(BugCheck.class, () -> RtlInitializeBitMap(MemorySegment.NULL, f.buffer, 0));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, stop.code());
            assertEquals(0, stop.parameter1());
        }
    }

    @Test
    void shouldRejectAnUnalignedBuffer() {
        try (BitmapFixture f = new BitmapFixture(4)) {
            MemorySegment unaligned = f.region.asSlice(BitmapFixture.GUARD_ULONGS * 4L + 2, 8);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RtlInitializeBitMap(f.header, unaligned, 64));
            assertTrue(e.getMessage().contains("not ULONG-aligned"), e.getMessage());
        }
    }

    @Test
    void shouldRejectABufferThatIsNotAWholeNumberOfUlongs() {
        try (BitmapFixture f = new BitmapFixture(4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RtlInitializeBitMap(f.header, f.buffer.asSlice(0, 6), 16));
            assertTrue(e.getMessage().contains("whole number of ULONGs"), e.getMessage());
        }
    }

    @Test
    void shouldRejectABufferTooSmallForTheSize() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RtlInitializeBitMap(f.header, f.buffer, 65));
            assertTrue(e.getMessage().contains("needs 12 bytes"), e.getMessage());
        }
    }

    @Test
    void shouldRejectAHeapBufferAndAMisplacedHeader() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            assertThrows(IllegalArgumentException.class,
                    () -> RtlInitializeBitMap(f.header, MemorySegment.ofArray(new int[2]), 64));
            MemorySegment misaligned = f.arena.allocate(32, 8).asSlice(4, 16);
            assertThrows(IllegalArgumentException.class, () -> RtlInitializeBitMap(misaligned, f.buffer, 64));
            MemorySegment tooSmall = f.arena.allocate(8, 8);
            assertThrows(IllegalArgumentException.class, () -> RtlInitializeBitMap(tooSmall, f.buffer, 64));
        }
    }

    @Test
    void shouldResolveAHeaderGivenAsARawPointerThroughTheAddressSpace() {
        try (BitmapFixture f = new BitmapFixture(2);
             Arena arena = Arena.ofConfined()) {
            MemorySegment headerMemory = arena.allocate(16, 8);
            f.kernel.addressSpace().register(headerMemory, "test header");
            MemorySegment raw = MemorySegment.ofAddress(headerMemory.address());
            RtlInitializeBitMap(raw, f.buffer, 64);
            f.fill(0);
            RtlSetBits(raw, 3, 4);
            assertEquals(0x78, f.ulong(0));
            assertEquals(4, RtlNumberOfSetBits(headerMemory));
        }
    }

    @Test
    void shouldRaisePageFaultWhenTheBufferIsOutsideTheAddressSpace() {
        try (BitmapFixture f = new BitmapFixture(1);
             Arena arena = Arena.ofConfined()) {
            MemorySegment unregistered = arena.allocate(16, 8);
            RtlInitializeBitMap(f.header, unregistered, 128);
            BugCheck stop = assertThrows(BugCheck.class, () -> RtlSetAllBits(f.header));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, stop.code());
            assertEquals(unregistered.address(), stop.parameter1());
            assertThrows(BugCheck.class, () -> RtlFindClearBits(f.header, 1, 0));
            assertThrows(BugCheck.class, () -> RtlTestBit(f.header, 0));
            assertEquals(0, unregistered.get(ValueLayout.JAVA_LONG, 0), "nothing was written");
        }
    }

    @Test
    void shouldRaisePageFaultWhenATrustedRangeLeavesTheRegisteredMemory() {
        try (BitmapFixture f = new BitmapFixture(2);
             Arena arena = Arena.ofConfined()) {
            MemorySegment exact = arena.allocate(8, 8);
            f.kernel.addressSpace().register(exact, "exact buffer");
            RtlInitializeBitMap(f.header, exact, 64);
            RtlSetBits(f.header, 60, 4); // inside: fine
            assertEquals(0xF0000000, exact.get(ValueLayout.JAVA_INT, 4));
            BugCheck stop = assertThrows(BugCheck.class, () -> RtlSetBits(f.header, 60, 5));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, stop.code());
            assertEquals(exact.address() + 4, stop.parameter1(), "the first ULONG the call would touch");
            assertEquals(0xF0000000, exact.get(ValueLayout.JAVA_INT, 4), "nothing was written");
            assertThrows(BugCheck.class, () -> RtlSetBit(f.header, 64));
            assertThrows(BugCheck.class, () -> RtlTestBit(f.header, 64));
            assertThrows(BugCheck.class, () -> RtlClearBits(f.header, 0xFFFFFFF0, 0x20));
        }
    }

    // ----- RtlClearAllBits / RtlSetAllBits (ReactOS + Wine) -----

    @Test
    void shouldClearAllBitsInWholeUlongs() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.init(19).fill(0xCCCCCCCC);
            RtlClearAllBits(f.header);
            assertEquals(0x00000000, f.ulong(0));
            assertEquals(0xCCCCCCCC, f.ulong(1));

            f.init(0).fill(0xCCCCCCCC);
            RtlClearAllBits(f.header);
            assertEquals(0xCCCCCCCC, f.ulong(0));
            assertEquals(0xCCCCCCCC, f.ulong(1));

            f.init(64).fill(0xCCCCCCCC);
            RtlClearAllBits(f.header);
            assertEquals(0, f.ulong(0));
            assertEquals(0, f.ulong(1));
            f.assertGuardsIntact();
        }
    }

    @Test
    void shouldSetAllBitsInWholeUlongs() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.init(19).fill(0xCCCCCCCC);
            RtlSetAllBits(f.header);
            assertEquals(0xFFFFFFFF, f.ulong(0));
            assertEquals(0xCCCCCCCC, f.ulong(1));

            f.init(0).fill(0xCCCCCCCC);
            RtlSetAllBits(f.header);
            assertEquals(0xCCCCCCCC, f.ulong(0));

            f.init(64).fill(0xCCCCCCCC);
            RtlSetAllBits(f.header);
            assertEquals(0xFFFFFFFF, f.ulong(0));
            assertEquals(0xFFFFFFFF, f.ulong(1));

            f.init(1).fill(0); // Wine: "didn't round up size" / "set more than rounded size"
            RtlSetAllBits(f.header);
            assertEquals(0xFFFFFFFF, f.ulong(0));
            assertEquals(0, f.ulong(1));
            f.assertGuardsIntact();
        }
    }

    // ----- RtlClearBits / RtlSetBits (ReactOS) -----

    @Test
    void shouldClearBitRangesAsWindowsDoes() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.init(19);
            int[][] vectors = {
                    {0, 0, 0xffffffff, 0xffffffff}, {0, 1, 0xfffffffe, 0xffffffff}, {21, 1, 0xffdfffff, 0xffffffff},
                    {7, 9, 0xffff007f, 0xffffffff}, {13, 22, 0x00001fff, 0xfffffff8}, {63, 1, 0xffffffff, 0x7fffffff},
            };
            for (int[] v : vectors) {
                f.fill(0xFFFFFFFF);
                RtlClearBits(f.header, v[0], v[1]);
                assertArrayEquals(new int[] {v[2], v[3]}, new int[] {f.ulong(0), f.ulong(1)}, "RtlClearBits(" + v[0] + ", " + v[1] + ")");
            }
            f.fill(0xCCCCCCCC);
            RtlClearBits(f.header, 3, 6);
            RtlClearBits(f.header, 11, 5);
            RtlClearBits(f.header, 21, 7);
            RtlClearBits(f.header, 37, 4);
            assertEquals(0xc00c0404, f.ulong(0));
            assertEquals(0xcccccc0c, f.ulong(1));
            f.assertGuardsIntact();
        }
    }

    @Test
    void shouldSetBitRangesAsWindowsDoes() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.init(19);
            int[][] vectors = {
                    {0, 0, 0, 0}, {0, 1, 0x00000001, 0}, {21, 1, 0x00200000, 0},
                    {7, 9, 0x0000ff80, 0}, {13, 22, 0xffffe000, 0x00000007}, {63, 1, 0, 0x80000000},
            };
            for (int[] v : vectors) {
                f.fill(0);
                RtlSetBits(f.header, v[0], v[1]);
                assertArrayEquals(new int[] {v[2], v[3]}, new int[] {f.ulong(0), f.ulong(1)}, "RtlSetBits(" + v[0] + ", " + v[1] + ")");
            }
            f.fill(0xCCCCCCCC);
            RtlSetBits(f.header, 3, 6);
            RtlSetBits(f.header, 11, 5);
            RtlSetBits(f.header, 21, 7);
            RtlSetBits(f.header, 37, 4);
            assertEquals(0xcfecfdfc, f.ulong(0));
            assertEquals(0xcccccdec, f.ulong(1));
            f.assertGuardsIntact();
        }
    }

    @Test
    void shouldSetAndClearBitsSpanningBytesAsWineRecords() {
        try (BitmapFixture f = new BitmapFixture(64)) {
            int bits = 256 * 8;
            f.init(bits).fill(0);
            RtlSetBits(f.header, 0, 1);
            assertEquals(1, f.buffer.get(ValueLayout.JAVA_BYTE, 0));
            f.fill(0);
            RtlSetBits(f.header, 7, 2);
            assertEquals((byte) 0x80, f.buffer.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(1, f.buffer.get(ValueLayout.JAVA_BYTE, 1));
            f.fill(0);
            RtlSetBits(f.header, 7, 10);
            assertEquals((byte) 0x80, f.buffer.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals((byte) 0xff, f.buffer.get(ValueLayout.JAVA_BYTE, 1));
            assertEquals(1, f.buffer.get(ValueLayout.JAVA_BYTE, 2));
            RtlSetBits(f.header, bits - 1, 1);
            assertEquals((byte) 0x80, f.buffer.get(ValueLayout.JAVA_BYTE, 255));

            f.fill(0xFFFFFFFF);
            RtlClearBits(f.header, 7, 10);
            assertEquals((byte) 0x7f, f.buffer.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0, f.buffer.get(ValueLayout.JAVA_BYTE, 1));
            assertEquals((byte) 0xfe, f.buffer.get(ValueLayout.JAVA_BYTE, 2));
            RtlClearBits(f.header, bits - 1, 1);
            assertEquals((byte) 0x7f, f.buffer.get(ValueLayout.JAVA_BYTE, 255));
            f.assertGuardsIntact();
        }
    }

    @Test
    void shouldSetAndClearSingleBitsAndTestThem() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.init(64).fill(0);
            RtlSetBit(f.header, 0);
            RtlSetBit(f.header, 33);
            RtlSetBit(f.header, 63);
            assertEquals(0x00000001, f.ulong(0));
            assertEquals(0x80000002, f.ulong(1));
            assertTrue(RtlTestBit(f.header, 33));
            assertFalse(RtlTestBit(f.header, 32));
            RtlClearBit(f.header, 63);
            assertEquals(0x00000002, f.ulong(1));
            assertFalse(RtlTestBit(f.header, 63));
            f.assertGuardsIntact();
        }
    }

    @Test
    void shouldTrustTheCallerPastSizeOfBitMapAsWindowsDoes() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.init(8).fill(0);
            RtlSetBits(f.header, 4, 40); // past SizeOfBitMap, inside the buffer: Windows writes it
            assertEquals(0xFFFFFFF0, f.ulong(0));
            assertEquals(0x00000FFF, f.ulong(1));
            RtlSetBit(f.header, 50);
            assertTrue(RtlTestBit(f.header, 50));
            assertTrue(RtlCheckBit(f.header, 43));
            assertEquals(4, RtlNumberOfSetBits(f.header), "counts still stop at SizeOfBitMap");
            f.assertGuardsIntact();
        }
    }

    @Test
    void shouldCheckBitsAsWineRecords() {
        try (BitmapFixture f = new BitmapFixture(64)) {
            int bits = 256 * 8;
            f.init(bits).fill(0);
            RtlSetBits(f.header, 0, 1);
            RtlSetBits(f.header, 7, 2);
            RtlSetBits(f.header, bits - 1, 1);
            assertTrue(RtlCheckBit(f.header, 0));
            assertTrue(RtlCheckBit(f.header, 7));
            assertTrue(RtlCheckBit(f.header, 8));
            assertTrue(RtlCheckBit(f.header, bits - 1));
            assertFalse(RtlCheckBit(f.header, 1));
            assertFalse(RtlCheckBit(f.header, bits - 2));
        }
    }

    // ----- RtlAreBitsClear / RtlAreBitsSet (ReactOS) -----

    @Test
    void shouldTestRangesClearAsWindowsDoes() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.init(19);
            f.ulong(0, 0x00ff00ff);
            f.ulong(1, 0xc0cfc0cf);
            assertFalse(RtlAreBitsClear(f.header, 0, 8));
            assertTrue(RtlAreBitsClear(f.header, 8, 8));
            assertFalse(RtlAreBitsClear(f.header, 7, 8));
            assertFalse(RtlAreBitsClear(f.header, 8, 9));
            assertFalse(RtlAreBitsClear(f.header, 24, 1));
            f.init(31);
            assertTrue(RtlAreBitsClear(f.header, 24, 1));
            assertTrue(RtlAreBitsClear(f.header, 24, 7));
            assertFalse(RtlAreBitsClear(f.header, 24, 8));
            f.init(64);
            assertFalse(RtlAreBitsClear(f.header, 60, 4));
            assertFalse(RtlAreBitsClear(f.header, 8, 0), "Length 0 is FALSE");
            assertFalse(RtlAreBitsClear(f.header, 0xFFFFFFF8, 16), "a range that wraps 32 bits is FALSE");
        }
    }

    @Test
    void shouldTestRangesSetAsWindowsDoes() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.init(19);
            f.ulong(0, 0xff00ff00);
            f.ulong(1, 0x3F303F30);
            assertFalse(RtlAreBitsSet(f.header, 0, 8));
            assertTrue(RtlAreBitsSet(f.header, 8, 8));
            assertFalse(RtlAreBitsSet(f.header, 7, 8));
            assertFalse(RtlAreBitsSet(f.header, 8, 9));
            assertFalse(RtlAreBitsSet(f.header, 24, 1));
            f.init(31);
            assertTrue(RtlAreBitsSet(f.header, 24, 1));
            assertTrue(RtlAreBitsSet(f.header, 24, 7));
            assertFalse(RtlAreBitsSet(f.header, 24, 8));
            f.init(64);
            assertFalse(RtlAreBitsSet(f.header, 60, 4));
            assertFalse(RtlAreBitsSet(f.header, 8, 0), "Length 0 is FALSE");
        }
    }

    // ----- RtlNumberOfSetBits / RtlNumberOfClearBits (ReactOS + Wine) -----

    @Test
    void shouldCountSetBitsAmongTheFirstSizeBitsOnly() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.ulong(0, 0xff00ff0f);
            f.ulong(1, 0x3F303F30);
            int[][] vectors = {{64, 36}, {56, 30}, {31, 19}, {4, 4}, {0, 0}};
            for (int[] v : vectors) {
                f.init(v[0]);
                assertEquals(v[1], RtlNumberOfSetBits(f.header), "size " + v[0]);
                assertEquals(0xff00ff0f, f.ulong(0), "the count does not modify the buffer");
                assertEquals(0x3F303F30, f.ulong(1));
            }
        }
    }

    @Test
    void shouldCountClearBitsAmongTheFirstSizeBitsOnly() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.ulong(0, 0xff00fff0);
            f.ulong(1, 0x3F303F30);
            int[][] vectors = {{64, 28}, {56, 26}, {31, 12}, {4, 4}, {0, 0}};
            for (int[] v : vectors) {
                f.init(v[0]);
                assertEquals(v[1], RtlNumberOfClearBits(f.header), "size " + v[0]);
                assertEquals(0xff00fff0, f.ulong(0));
            }
        }
    }

    @Test
    void shouldCountAsWineRecords() {
        try (BitmapFixture f = new BitmapFixture(64)) {
            int bits = 256 * 8;
            f.init(bits).fill(0);
            assertEquals(0, RtlNumberOfSetBits(f.header));
            RtlSetBits(f.header, 0, 1);
            assertEquals(1, RtlNumberOfSetBits(f.header));
            RtlSetBits(f.header, 7, 8);
            assertEquals(9, RtlNumberOfSetBits(f.header));
            RtlSetBits(f.header, 17, 33);
            assertEquals(42, RtlNumberOfSetBits(f.header));
            RtlSetBits(f.header, bits - 1, 1);
            assertEquals(43, RtlNumberOfSetBits(f.header));
            assertEquals(bits - 43, RtlNumberOfClearBits(f.header));
        }
    }

    @Test
    void shouldCountInRangesAndReturnMinusOneOutsideTheBitmap() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.init(64);
            f.ulong(0, 0xff00ff0f);
            f.ulong(1, 0x3F303F30);
            assertEquals(36, RtlNumberOfSetBitsInRange(f.header, 0, 64));
            assertEquals(28, RtlNumberOfClearBitsInRange(f.header, 0, 64));
            assertEquals(4, RtlNumberOfSetBitsInRange(f.header, 0, 8));
            assertEquals(4, RtlNumberOfSetBitsInRange(f.header, 28, 8)); // 0xF at 28..31, 0x0 at 32..35
            assertEquals(16, RtlNumberOfSetBitsInRange(f.header, 24, 24)); // 0xFF at 24..31, 0x30 at 32..39, 0x3F at 40..47
            assertEquals(2, RtlNumberOfSetBitsInRange(f.header, 36, 2));
            assertEquals(0, RtlNumberOfClearBitsInRange(f.header, 36, 2));
            assertEquals(-1, RtlNumberOfSetBitsInRange(f.header, 0, 0), "Length 0");
            assertEquals(-1, RtlNumberOfClearBitsInRange(f.header, 0, 0), "Length 0");
            assertEquals(-1, RtlNumberOfSetBitsInRange(f.header, 64, 1), "start at the end");
            assertEquals(-1, RtlNumberOfSetBitsInRange(f.header, 60, 5), "range past the end");
            assertEquals(-1, RtlNumberOfClearBitsInRange(f.header, 1, 0xFFFFFFFF), "range wrapping 32 bits");
        }
    }

    // ----- RtlFindClearBits / RtlFindSetBits (ReactOS) -----

    @Test
    void shouldFindClearBitsWithHintsAsWindowsDoes() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.ulong(0, 0x060F874D);
            f.ulong(1, 0x3F303F30);
            f.init(0);
            assertEquals(0, RtlFindClearBits(f.header, 0, 0));
            assertEquals(0, RtlFindClearBits(f.header, 0, 3));
            assertEquals(-1, RtlFindClearBits(f.header, 1, 0));
            assertEquals(-1, RtlFindClearBits(f.header, 1, 1));

            f.init(8);
            assertEquals(0, RtlFindClearBits(f.header, 0, 3));
            assertEquals(1, RtlFindClearBits(f.header, 1, 0));
            assertEquals(1, RtlFindClearBits(f.header, 1, 1));
            assertEquals(4, RtlFindClearBits(f.header, 1, 2));
            assertEquals(4, RtlFindClearBits(f.header, 2, 0));
            assertEquals(-1, RtlFindClearBits(f.header, 3, 0));

            f.init(32);
            assertEquals(0, RtlFindClearBits(f.header, 0, 3));
            assertEquals(16, RtlFindClearBits(f.header, 0, 21), "NumberToFind 0: the hint rounded down to 8");
            assertEquals(8, RtlFindClearBits(f.header, 0, 12));
            assertEquals(24, RtlFindClearBits(f.header, 0, 31));
            assertEquals(0, RtlFindClearBits(f.header, 0, 32), "a hint past the end is 0");
            assertEquals(0, RtlFindClearBits(f.header, 0, 39));
            assertEquals(11, RtlFindClearBits(f.header, 4, 0));
            assertEquals(20, RtlFindClearBits(f.header, 5, 0));
            assertEquals(11, RtlFindClearBits(f.header, 4, 11));
            assertEquals(20, RtlFindClearBits(f.header, 4, 12));
            assertEquals(11, RtlFindClearBits(f.header, 2, 11));
            assertEquals(12, RtlFindClearBits(f.header, 2, 12));
            assertEquals(1, RtlFindClearBits(f.header, 1, 32));
            assertEquals(11, RtlFindClearBits(f.header, 4, 32));
            assertEquals(20, RtlFindClearBits(f.header, 5, 32));

            f.init(64);
            assertEquals(20, RtlFindClearBits(f.header, 5, 64));
            assertEquals(27, RtlFindClearBits(f.header, 9, 28), "the wrapped pass finds a run that starts before the hint");
            assertEquals(-1, RtlFindClearBits(f.header, 10, 0));
            f.ulong(1, 0xFF303F30);
            assertEquals(1, RtlFindClearBits(f.header, 1, 56));
            assertEquals(0xFF303F30, f.ulong(1), "RtlFindClearBits does not modify the bitmap");
        }
    }

    @Test
    void shouldFindSetBitsWithHintsAsWindowsDoes() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.ulong(0, 0xF9F078B2);
            f.ulong(1, 0x3F303F30);
            f.init(0);
            assertEquals(0, RtlFindSetBits(f.header, 0, 0));
            assertEquals(0, RtlFindSetBits(f.header, 0, 3));
            assertEquals(-1, RtlFindSetBits(f.header, 1, 0));
            assertEquals(-1, RtlFindSetBits(f.header, 1, 1));

            f.init(8);
            assertEquals(0, RtlFindSetBits(f.header, 0, 3));
            assertEquals(1, RtlFindSetBits(f.header, 1, 0));
            assertEquals(1, RtlFindSetBits(f.header, 1, 1));
            assertEquals(4, RtlFindSetBits(f.header, 1, 2));
            assertEquals(4, RtlFindSetBits(f.header, 2, 0));
            assertEquals(-1, RtlFindSetBits(f.header, 3, 0));

            f.init(32);
            assertEquals(0, RtlFindSetBits(f.header, 0, 3));
            assertEquals(16, RtlFindSetBits(f.header, 0, 21));
            assertEquals(8, RtlFindSetBits(f.header, 0, 12));
            assertEquals(24, RtlFindSetBits(f.header, 0, 31));
            assertEquals(0, RtlFindSetBits(f.header, 0, 32));
            assertEquals(0, RtlFindSetBits(f.header, 0, 39));
            assertEquals(11, RtlFindSetBits(f.header, 4, 0));
            assertEquals(20, RtlFindSetBits(f.header, 5, 0));
            assertEquals(11, RtlFindSetBits(f.header, 4, 11));
            assertEquals(20, RtlFindSetBits(f.header, 4, 12));
            assertEquals(11, RtlFindSetBits(f.header, 2, 11));
            assertEquals(1, RtlFindSetBits(f.header, 1, 32));
            assertEquals(11, RtlFindSetBits(f.header, 4, 32));
            assertEquals(20, RtlFindSetBits(f.header, 5, 32));

            f.init(64);
            assertEquals(20, RtlFindSetBits(f.header, 5, 64));
            assertEquals(40, RtlFindSetBits(f.header, 6, 57));
            assertEquals(-1, RtlFindSetBits(f.header, 7, 0));
            assertEquals(1, RtlFindSetBits(f.header, 1, 62));
        }
    }

    @Test
    void shouldFindARunEndingExactlyAtTheEndFromAHintAtItsStart() {
        try (BitmapFixture f = new BitmapFixture(1)) {
            f.init(8);
            f.ulong(0, 0x7F); // only bit 7 clear
            assertEquals(7, RtlFindClearBits(f.header, 1, 7));
            assertEquals(7, RtlFindClearBits(f.header, 1, 0));
            assertEquals(7, RtlFindClearBits(f.header, 1, 3));
        }
    }

    // ----- RtlFindClearBitsAndSet / RtlFindSetBitsAndClear (ReactOS + Wine) -----

    @Test
    void shouldFindClearBitsAndSetThemAsWindowsDoes() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.ulong(0, 0x060F874D);
            f.ulong(1, 0x3F303F30);
            f.init(0);
            assertEquals(0, RtlFindClearBitsAndSet(f.header, 0, 0));
            assertEquals(0, RtlFindClearBitsAndSet(f.header, 0, 3));
            assertEquals(-1, RtlFindClearBitsAndSet(f.header, 1, 0));
            assertEquals(-1, RtlFindClearBitsAndSet(f.header, 1, 1));
            assertEquals(0x060F874D, f.ulong(0));

            f.init(8);
            assertEquals(1, RtlFindClearBitsAndSet(f.header, 1, 0));
            assertEquals(0x60f874f, f.ulong(0));
            assertEquals(4, RtlFindClearBitsAndSet(f.header, 1, 1));
            assertEquals(0x60f875f, f.ulong(0));
            assertEquals(5, RtlFindClearBitsAndSet(f.header, 1, 2));
            assertEquals(0x60f877f, f.ulong(0));
            assertEquals(-1, RtlFindClearBitsAndSet(f.header, 2, 0));
            assertEquals(0x60f877f, f.ulong(0));

            f.ulong(0, 0x060F874D);
            f.init(32);
            assertEquals(11, RtlFindClearBitsAndSet(f.header, 4, 0));
            assertEquals(0x60fff4d, f.ulong(0));
            assertEquals(20, RtlFindClearBitsAndSet(f.header, 5, 0));
            assertEquals(0x7ffff4d, f.ulong(0));
            assertEquals(27, RtlFindClearBitsAndSet(f.header, 4, 11));
            assertEquals(0x7fffff4d, f.ulong(0));

            f.ulong(0, 0x060F874D);
            assertEquals(20, RtlFindClearBitsAndSet(f.header, 4, 12));
            assertEquals(0x6ff874d, f.ulong(0));
            assertEquals(11, RtlFindClearBitsAndSet(f.header, 2, 11));
            assertEquals(0x6ff9f4d, f.ulong(0));
            assertEquals(13, RtlFindClearBitsAndSet(f.header, 2, 12));
            assertEquals(0x6ffff4d, f.ulong(0));
            assertEquals(0x3F303F30, f.ulong(1), "nothing past SizeOfBitMap changed");
            f.assertGuardsIntact();
        }
    }

    @Test
    void shouldFindSetBitsAndClearThemAsWindowsDoes() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.ulong(0, 0xF9F078B2);
            f.ulong(1, 0x3F303F30);
            f.init(0);
            assertEquals(0, RtlFindSetBitsAndClear(f.header, 0, 0));
            assertEquals(0, RtlFindSetBitsAndClear(f.header, 0, 3));
            assertEquals(-1, RtlFindSetBitsAndClear(f.header, 1, 0));
            assertEquals(-1, RtlFindSetBitsAndClear(f.header, 1, 1));
            assertEquals(0xF9F078B2, f.ulong(0));

            f.init(8);
            assertEquals(1, RtlFindSetBitsAndClear(f.header, 1, 0));
            assertEquals(0xf9f078b0, f.ulong(0));
            assertEquals(4, RtlFindSetBitsAndClear(f.header, 1, 1));
            assertEquals(0xf9f078a0, f.ulong(0));
            assertEquals(5, RtlFindSetBitsAndClear(f.header, 1, 2));
            assertEquals(0xf9f07880, f.ulong(0));
            assertEquals(-1, RtlFindSetBitsAndClear(f.header, 2, 0));
            assertEquals(0xf9f07880, f.ulong(0));

            f.ulong(0, 0xF9F078B2);
            f.init(32);
            assertEquals(11, RtlFindSetBitsAndClear(f.header, 4, 0));
            assertEquals(0xf9f000b2, f.ulong(0));
            assertEquals(20, RtlFindSetBitsAndClear(f.header, 5, 0));
            assertEquals(0xf80000b2, f.ulong(0));
            assertEquals(27, RtlFindSetBitsAndClear(f.header, 4, 11));
            assertEquals(0x800000b2, f.ulong(0));

            f.ulong(0, 0xF9F078B2);
            assertEquals(20, RtlFindSetBitsAndClear(f.header, 4, 12));
            assertEquals(0xf90078b2, f.ulong(0));
            assertEquals(11, RtlFindSetBitsAndClear(f.header, 2, 11));
            assertEquals(0xf90060b2, f.ulong(0));
            assertEquals(13, RtlFindSetBitsAndClear(f.header, 2, 12));
            assertEquals(0xf90000b2, f.ulong(0));
            f.assertGuardsIntact();
        }
    }

    @Test
    void shouldFindAndFlipLongRunsAsWineRecords() {
        try (BitmapFixture f = new BitmapFixture(64)) {
            f.init(256 * 8).fill(0);
            RtlSetBits(f.header, 0, 32);
            assertEquals(0, RtlFindSetBitsAndClear(f.header, 32, 0));
            assertTrue(RtlAreBitsClear(f.header, 0, 32));

            f.fill(0);
            RtlSetBits(f.header, 40, 77);
            assertEquals(40, RtlFindSetBitsAndClear(f.header, 77, 0));
            assertTrue(RtlAreBitsClear(f.header, 40, 77));

            f.fill(0xFFFFFFFF);
            RtlClearBits(f.header, 40, 77);
            assertEquals(40, RtlFindClearBitsAndSet(f.header, 77, 50));
            assertTrue(RtlAreBitsSet(f.header, 40, 77));
            f.assertGuardsIntact();
        }
    }

    // ----- RtlFindNextForwardRunClear / RtlFindFirstRunClear / RtlFindLastBackwardRunClear -----

    @Test
    void shouldFindTheNextForwardClearRunAsWindowsDoes() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.ulong(0, 0xF9F078B2);
            f.ulong(1, 0x3F303F30);
            f.init(0);
            assertEquals(0, RtlFindNextForwardRunClear(f.header, 0, f.index));
            assertEquals(0, f.index());
            assertEquals(0, RtlFindNextForwardRunClear(f.header, 1, f.index));
            assertEquals(1, f.index());

            f.index(-1);
            f.init(8);
            assertEquals(1, RtlFindNextForwardRunClear(f.header, 0, f.index));
            assertEquals(0, f.index());
            assertEquals(2, RtlFindNextForwardRunClear(f.header, 1, f.index));
            assertEquals(2, f.index());
            assertEquals(0, RtlFindNextForwardRunClear(f.header, 7, f.index));
            assertEquals(8, f.index(), "no clear bit follows: the index is SizeOfBitMap");
            assertEquals(0, RtlFindNextForwardRunClear(f.header, 17, f.index));
            assertEquals(17, f.index(), "FromIndex past the end is returned as the index");
            assertEquals(0, RtlFindNextForwardRunClear(f.header, 39, f.index));
            assertEquals(39, f.index());
        }
    }

    @Test
    void shouldFindTheFirstClearRun() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.ulong(0, 0xFFFFFFFF);
            f.ulong(1, 0xFFFF00FF);
            f.init(64);
            assertEquals(8, RtlFindFirstRunClear(f.header, f.index));
            assertEquals(40, f.index());
            f.ulong(1, 0x0000FFFF);
            assertEquals(16, RtlFindFirstRunClear(f.header, f.index), "a run reaching the end stops at SizeOfBitMap");
            assertEquals(48, f.index());
            f.init(50);
            assertEquals(2, RtlFindFirstRunClear(f.header, f.index));
            f.init(0);
            f.index(-1);
            assertEquals(0, RtlFindFirstRunClear(f.header, f.index));
            assertEquals(0, f.index());
        }
    }

    @Test
    void shouldFindTheLastBackwardClearRunCountingTheBitFound() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.ulong(0, 0xFFFF00FF); // clear 8..15
            f.ulong(1, 0xFFFFFFF0); // clear 32..35
            f.init(64);
            assertEquals(4, RtlFindLastBackwardRunClear(f.header, 63, f.index));
            assertEquals(32, f.index());
            assertEquals(3, RtlFindLastBackwardRunClear(f.header, 34, f.index), "the run up to and including FromIndex");
            assertEquals(32, f.index());
            assertEquals(8, RtlFindLastBackwardRunClear(f.header, 31, f.index));
            assertEquals(8, f.index());
            assertEquals(1, RtlFindLastBackwardRunClear(f.header, 8, f.index));
            assertEquals(8, f.index());
            assertEquals(0, RtlFindLastBackwardRunClear(f.header, 7, f.index), "no clear bit at or below FromIndex");
            assertEquals(0, f.index());
            assertEquals(0, RtlFindLastBackwardRunClear(f.header, 64, f.index), "FromIndex past the end");
            assertEquals(64, f.index());
            f.ulong(0, 0xFFFF0000);
            assertEquals(16, RtlFindLastBackwardRunClear(f.header, 20, f.index), "a run reaching bit 0");
            assertEquals(0, f.index());
        }
    }

    // ----- RtlFindClearRuns / RtlFindLongestRunClear (Wine + Windows' order) -----

    @Test
    void shouldFindClearRunsAsWineRecordsInWindowsOrder() {
        try (BitmapFixture f = new BitmapFixture(64);
             Arena arena = Arena.ofConfined()) {
            MemorySegment runs = arena.allocate(16 * 8, 4);
            f.init(256 * 8).fill(0xFFFFFFFF);
            assertEquals(0, RtlFindClearRuns(f.header, runs, 16, true), "no clear bits in a full bitmap");

            f.fill(0);
            assertEquals(1, RtlFindClearRuns(f.header, runs, 16, true));
            assertRun(runs, 0, 0, 2048);

            f.fill(0xFFFFFFFF);
            RtlClearBits(f.header, 7, 19);
            RtlClearBits(f.header, 101, 3);
            RtlClearBits(f.header, 1877, 33);

            runs.fill((byte) 0);
            assertEquals(2, RtlFindClearRuns(f.header, runs, 2, false), "the first two");
            assertRun(runs, 0, 7, 19);
            assertRun(runs, 1, 101, 3);
            assertRun(runs, 2, 0, 0);

            runs.fill((byte) 0);
            assertEquals(2, RtlFindClearRuns(f.header, runs, 2, true), "the longest two, longest first");
            assertRun(runs, 0, 1877, 33);
            assertRun(runs, 1, 7, 19);
            assertRun(runs, 2, 0, 0);

            runs.fill((byte) 0);
            assertEquals(3, RtlFindClearRuns(f.header, runs, 3, true));
            assertRun(runs, 0, 1877, 33);
            assertRun(runs, 1, 7, 19);
            assertRun(runs, 2, 101, 3);
            assertRun(runs, 3, 0, 0);

            assertEquals(33, RtlFindLongestRunClear(f.header, f.index));
            assertEquals(1877, f.index());
            f.fill(0xFFFFFFFF);
            f.index(-1);
            assertEquals(0, RtlFindLongestRunClear(f.header, f.index));
            assertEquals(0, f.index(), "Windows writes 0 when there is no clear run");
        }
    }

    @Test
    void shouldReportRunsEnclosedByOneByteLongestFirstAsWindowsDoes() {
        try (BitmapFixture f = new BitmapFixture(1);
             Arena arena = Arena.ofConfined()) {
            MemorySegment runs = arena.allocate(4 * 8, 4);
            // byte 0 = 0x4B: set 0, 1, 3, 6; clear 2 | 4, 5 | 7 (the high run, closed by byte 1's bit 0)
            f.init(16);
            f.ulong(0, 0xFF4B);
            assertEquals(3, RtlFindClearRuns(f.header, runs, 4, false));
            assertRun(runs, 0, 4, 2);
            assertRun(runs, 1, 2, 1);
            assertRun(runs, 2, 7, 1);
            assertEquals(1, RtlFindClearRuns(f.header, runs, 1, false));
            assertRun(runs, 0, 4, 2);
            assertEquals(3, RtlFindClearRuns(f.header, runs, 4, true));
            assertRun(runs, 0, 4, 2);
            assertRun(runs, 1, 2, 1);
            assertRun(runs, 2, 7, 1);
            // SizeOfBitMap 6 makes bits 6 and 7 count as set: the run 4..5 is enclosed too
            f.init(6);
            f.ulong(0, 0x0B);
            assertEquals(2, RtlFindClearRuns(f.header, runs, 4, false));
            assertRun(runs, 0, 4, 2);
            assertRun(runs, 1, 2, 1);
        }
    }

    @Test
    void shouldWriteNothingForAnEmptyRunArray() {
        try (BitmapFixture f = new BitmapFixture(1);
             Arena arena = Arena.ofConfined()) {
            MemorySegment runs = arena.allocate(8, 4);
            runs.set(ValueLayout.JAVA_LONG, 0, 0x1122334455667788L);
            f.init(32).fill(0);
            assertEquals(0, RtlFindClearRuns(f.header, runs, 0, true));
            assertEquals(0, RtlFindClearRuns(f.header, runs, 0, false));
            assertEquals(0x1122334455667788L, runs.get(ValueLayout.JAVA_LONG, 0));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RtlFindClearRuns(f.header, runs, 2, false));
            assertTrue(e.getMessage().contains("RunArray"), e.getMessage());
        }
    }

    @Test
    void shouldBreakLongestRunTiesTowardsTheLowestStart() {
        try (BitmapFixture f = new BitmapFixture(2)) {
            f.init(64);
            f.ulong(0, 0xFFF0FFF0); // clear 0..3 and 16..19
            f.ulong(1, 0xFFF0FFFF); // clear 48..51
            assertEquals(4, RtlFindLongestRunClear(f.header, f.index));
            assertEquals(0, f.index());
        }
    }

    @Test
    void shouldWorkOnABufferAtFourModEight() {
        try (BitmapFixture f = new BitmapFixture(5, 4)) {
            assertEquals(4, f.buffer.address() % 8);
            f.init(160);
            RtlClearAllBits(f.header);
            RtlSetBits(f.header, 30, 100);
            assertEquals(100, RtlNumberOfSetBits(f.header));
            assertEquals(130, RtlFindClearBits(f.header, 30, 31));
            assertEquals(30, RtlFindSetBitsAndClear(f.header, 100, 0));
            assertEquals(0, RtlNumberOfSetBits(f.header));
            RtlSetAllBits(f.header);
            assertEquals(160, RtlNumberOfSetBits(f.header));
            f.assertGuardsIntact();
        }
    }

    @Test
    void shouldWorkOnHeaderAndBufferFromTheNonPagedPool() {
        try (dev.offkern.runtime.Kernel kernel = dev.offkern.runtime.Kernel.boot()) {
            int tag = 0x6D746942; // 'Bitm'
            MemorySegment header = dev.offkern.ddi.Ex.ExAllocatePoolZero(dev.offkern.nt.PoolType.NonPagedPoolNx, 16, tag);
            MemorySegment buffer = dev.offkern.ddi.Ex.ExAllocatePoolZero(dev.offkern.nt.PoolType.NonPagedPoolNx, 128, tag);
            RtlInitializeBitMap(header, buffer, 1000);
            assertEquals(1000, RtlNumberOfClearBits(header));
            assertEquals(0, RtlFindClearBitsAndSet(header, 100, 0));
            assertEquals(100, RtlFindClearBitsAndSet(header, 900, 0));
            assertEquals(-1, RtlFindClearBits(header, 1, 0));
            assertEquals(1000, RtlNumberOfSetBits(header));
            dev.offkern.ddi.Ex.ExFreePoolWithTag(buffer, tag);
            dev.offkern.ddi.Ex.ExFreePoolWithTag(header, tag);
        }
    }

    private static void assertRun(MemorySegment runs, int i, int start, int length) {
        assertEquals(start, runs.get(ValueLayout.JAVA_INT, i * 8L), "run " + i + " StartingIndex");
        assertEquals(length, runs.get(ValueLayout.JAVA_INT, i * 8L + 4), "run " + i + " NumberOfBits");
    }
}
