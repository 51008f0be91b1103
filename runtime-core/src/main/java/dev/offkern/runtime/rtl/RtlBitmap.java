package dev.offkern.runtime.rtl;

import dev.offkern.runtime.mm.LiveMemory;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.layout.rtl.RTL_BITMAP;
import dev.offkern.layout.rtl.RTL_BITMAP_RUN;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import dev.offkern.nt.DatatypeMisalignmentException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * RTL_BITMAP: a header {@code { ULONG SizeOfBitMap; PULONG Buffer; }} describing a caller-owned
 * buffer of bits, and every {@code Rtl*} routine over it, with Windows' semantics including the
 * surprising ones (hint handling, zero-length requests, which routines check the range and which
 * trust the caller). The DDI names live in {@code dev.offkern.ddi.Rtl}; this class is the mechanism.
 *
 * <p><b>Model.</b> Bit {@code i} is bit {@code i % 32} of ULONG {@code i / 32}. The buffer is
 * ULONG-aligned and a whole number of ULONGs long; the bitmap uses its first SizeOfBitMap bits.
 * Indices and counts are ULONGs: Java {@code int}s read as unsigned, with {@code 0xFFFFFFFF} (-1)
 * the "not found" index. Callers serialize access to a bitmap themselves (as in Windows: no routine
 * here is atomic).
 *
 * <p><b>Memory safety.</b> The header is the caller's segment (or a zero-length segment holding a
 * raw pointer, resolved through the address space). The Buffer pointer stored in it is a real
 * address and is always resolved through the kernel's address space
 * ({@link dev.offkern.runtime.mm.AddressSpace#regionOf}) for exactly the ULONGs a routine touches:
 * a buffer outside every registered region raises bug check PAGE_FAULT_IN_NONPAGED_AREA (0x50),
 * never a stray access. Routines that, in Windows, trust the caller's index (RtlSetBits,
 * RtlClearBits, RtlSetBit, RtlClearBit, RtlTestBit, RtlCheckBit) touch what Windows would touch,
 * which may lie past SizeOfBitMap but never outside registered memory.
 *
 * <p>IRQL: any, for a bitmap in non-paged memory (offkern has no paged bitmaps yet).
 * Progress: every routine is wait-free and allocation-free when the header is a bounded segment.
 */
public final class RtlBitmap {

    /* Implementation overview
     *
     * Each routine reads SizeOfBitMap and Buffer from the header, resolves the ULONG range it needs
     * to one Region of the address space (an existing object: no slice is made), and works on
     * region.segment() at region.offsetOf(Buffer) through BitmapWords (64-bit scans) and
     * BitmapRuns (run enumeration). All index arithmetic is done in long on unsigned values, so
     * StartingIndex + Length never wraps as it would in 32-bit C.
     *
     * Windows behaviour reproduced on purpose (sources: Microsoft's docs, the ReactOS apitests run
     * against Windows, Wine's conformance tests, and the behaviour of Windows 10/11's ntoskrnl):
     * - RtlFindClearBits/RtlFindSetBits: a hint at or past SizeOfBitMap is 0. NumberToFind == 0
     *   returns that hint rounded down to a multiple of 8. Otherwise the first pass looks for the
     *   lowest run start >= hint (the run must fit before SizeOfBitMap); if none and hint != 0, the
     *   second pass looks from 0 for a run that fits inside [0, min(hint + NumberToFind, Size)), so it
     *   may start before the hint and run past it.
     * - RtlAreBitsClear/Set: FALSE for Length == 0 and for any range not inside the bitmap.
     * - RtlNumberOf{Set,Clear}BitsInRange: 0xFFFFFFFF for Length == 0 or a range not inside the
     *   bitmap (Windows' RtlNumberOfSetBitsInRange returns (ULONG)-1 there; the Clear variant
     *   passes it through).
     * - RtlFindNextForwardRunClear: FromIndex >= Size gives 0 with *StartingRunIndex = FromIndex; no
     *   clear bit at or after FromIndex gives 0 with *StartingRunIndex = Size.
     * - RtlFindLastBackwardRunClear: FromIndex >= Size gives 0 with *StartingRunIndex = FromIndex;
     *   otherwise the length of the clear run ending at the nearest clear bit at or below FromIndex,
     *   counted up to and including that bit; none gives 0 with *StartingRunIndex = 0.
     * - RtlFindLongestRunClear: ties go to the lowest run; no clear bit gives 0 and
     *   *StartingIndex = 0.
     * - RtlFindClearRuns: see BitmapRuns for the order. SizeOfRunArray == 0 returns 0 and writes
     *   nothing (Windows reads RunArray[-1] there; offkern does not reproduce that).
     * - RtlSetAllBits/RtlClearAllBits write ceil(Size / 32) whole ULONGs, including the bits past
     *   SizeOfBitMap in the last one.
     */

    /** Offset of {@code SizeOfBitMap} (ULONG) in the x64 RTL_BITMAP. */
    private static final long SIZE_OF_BIT_MAP_OFFSET = RTL_BITMAP.SIZE_OF_BIT_MAP_OFFSET;
    /** Offset of {@code Buffer} (PULONG) in the x64 RTL_BITMAP. */
    private static final long BUFFER_OFFSET = RTL_BITMAP.BUFFER_OFFSET;
    /** Size of the x64 RTL_BITMAP header. */
    private static final long HEADER_SIZE = RTL_BITMAP.LAYOUT.byteSize();
    /** Alignment of the x64 RTL_BITMAP header (that of its pointer). */
    private static final long HEADER_ALIGNMENT = RTL_BITMAP.LAYOUT.byteAlignment();
    /** Size of one RTL_BITMAP_RUN. */
    private static final long RUN_SIZE = RTL_BITMAP_RUN.LAYOUT.byteSize();

    private static final ValueLayout.OfInt ULONG = BitmapWords.ULONG;
    private static final ValueLayout.OfLong POINTER = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long ULONG_SIZE = 4;
    private static final boolean READ = false;
    private static final boolean WRITE = true;
    /** The failure index, (ULONG)-1. */
    private static final int NOT_FOUND = -1;

    private RtlBitmap() {
    }

    // ---------------------------------------------------------------------------------------------
    // Initialization and whole-bitmap writes
    // ---------------------------------------------------------------------------------------------

    /**
     * RtlInitializeBitMap: stores {@code buffer}'s address and {@code sizeOfBitMap} in the header;
     * does not touch the bits.
     *
     * @param header        RTL_BITMAP (16 bytes on x64, 8-byte aligned, native)
     * @param buffer        the bit buffer: native, 4-byte aligned, a multiple of 4 bytes long and
     *                      large enough for {@code sizeOfBitMap} bits; a zero-length segment is taken
     *                      as a raw pointer and checked when used; {@link MemorySegment#NULL} is
     *                      accepted as Windows accepts it (any later access faults)
     * @param sizeOfBitMap  number of bits (ULONG)
     * @throws IllegalArgumentException if the header or buffer breaks one of those rules
     */
    public static void initialize(MemorySegment header, MemorySegment buffer, int sizeOfBitMap) {
        MemorySegment h = header(header);
        if (!h.isNative() || h.address() % HEADER_ALIGNMENT != 0) {
            throw new IllegalArgumentException("RtlInitializeBitMap: the RTL_BITMAP header must be native memory aligned on "
                    + HEADER_ALIGNMENT + " bytes, not " + header);
        }
        long bits = Integer.toUnsignedLong(sizeOfBitMap);
        if (buffer.address() != 0 || buffer.byteSize() != 0) {
            if (!buffer.isNative()) {
                throw new IllegalArgumentException("RtlInitializeBitMap: BitMapBuffer must be native memory, not " + buffer);
            }
            if (buffer.address() % ULONG_SIZE != 0) {
                throw new IllegalArgumentException("RtlInitializeBitMap: BitMapBuffer 0x" + Long.toHexString(buffer.address())
                        + " is not ULONG-aligned (4 bytes)");
            }
            if (buffer.byteSize() % ULONG_SIZE != 0) {
                throw new IllegalArgumentException("RtlInitializeBitMap: BitMapBuffer is " + buffer.byteSize()
                        + " bytes long, not a whole number of ULONGs");
            }
            long needed = BitmapWords.ulongsFor(bits) * ULONG_SIZE;
            if (buffer.byteSize() != 0 && buffer.byteSize() < needed) {
                throw new IllegalArgumentException("RtlInitializeBitMap: SizeOfBitMap " + bits + " needs " + needed
                        + " bytes but BitMapBuffer holds " + buffer.byteSize());
            }
        }
        h.set(ULONG, SIZE_OF_BIT_MAP_OFFSET, sizeOfBitMap);
        h.set(POINTER, BUFFER_OFFSET, buffer.address());
    }

    /** RtlClearAllBits: clears all ceil(Size / 32) ULONGs of the buffer. */
    public static void clearAllBits(MemorySegment header) {
        fillAll(header(header), false);
    }

    /** RtlSetAllBits: sets all ceil(Size / 32) ULONGs of the buffer (bits past Size included). */
    public static void setAllBits(MemorySegment header) {
        fillAll(header(header), true);
    }

    private static void fillAll(MemorySegment h, boolean set) {
        long ulongs = BitmapWords.ulongsFor(sizeOf(h));
        if (ulongs == 0) {
            return;
        }
        long buffer = bufferOf(h);
        Region r = region(buffer, 0, ulongs * ULONG_SIZE, WRITE);
        BitmapWords.fillWhole(r.segment(), r.offsetOf(buffer), ulongs, set);
    }

    // ---------------------------------------------------------------------------------------------
    // Single bits and caller-trusted ranges
    // ---------------------------------------------------------------------------------------------

    /** RtlClearBit: bit {@code bitNumber} := 0 (not checked against SizeOfBitMap, as in Windows). */
    public static void clearBit(MemorySegment header, int bitNumber) {
        fillRange(header(header), Integer.toUnsignedLong(bitNumber), 1, false);
    }

    /** RtlSetBit: bit {@code bitNumber} := 1 (not checked against SizeOfBitMap, as in Windows). */
    public static void setBit(MemorySegment header, int bitNumber) {
        fillRange(header(header), Integer.toUnsignedLong(bitNumber), 1, true);
    }

    /**
     * RtlClearBits: clears {@code [startingIndex, startingIndex + numberToClear)}. The range is
     * the caller's responsibility (Windows does not check it against SizeOfBitMap); offkern still
     * refuses to touch memory outside the address space (bug check 0x50).
     */
    public static void clearBits(MemorySegment header, int startingIndex, int numberToClear) {
        fillRange(header(header), Integer.toUnsignedLong(startingIndex), Integer.toUnsignedLong(numberToClear), false);
    }

    /** RtlSetBits: sets {@code [startingIndex, startingIndex + numberToSet)}; see {@link #clearBits}. */
    public static void setBits(MemorySegment header, int startingIndex, int numberToSet) {
        fillRange(header(header), Integer.toUnsignedLong(startingIndex), Integer.toUnsignedLong(numberToSet), true);
    }

    private static void fillRange(MemorySegment h, long start, long count, boolean set) {
        if (count == 0) {
            return;
        }
        long end = start + count;
        long buffer = bufferOf(h);
        long firstByte = (start >>> 5) * ULONG_SIZE;
        Region r = region(buffer, firstByte, BitmapWords.ulongsFor(end) * ULONG_SIZE - firstByte, WRITE);
        BitmapWords.fill(r.segment(), r.offsetOf(buffer), start, end, set);
    }

    /** RtlTestBit: the value of bit {@code bitNumber} (not checked against SizeOfBitMap, as in Windows). */
    public static boolean testBit(MemorySegment header, int bitNumber) {
        MemorySegment h = header(header);
        long bit = Integer.toUnsignedLong(bitNumber);
        long buffer = bufferOf(h);
        long ulongByte = (bit >>> 5) * ULONG_SIZE;
        Region r = region(buffer, ulongByte, ULONG_SIZE, READ);
        return BitmapWords.bit(r.segment(), r.offsetOf(buffer), bit);
    }

    /**
     * RtlCheckBit (a macro in wdm.h: {@code BitTest64(Buffer, BP)} on x64): the value of bit
     * {@code bitPosition}, no bounds check against SizeOfBitMap.
     */
    public static boolean checkBit(MemorySegment header, int bitPosition) {
        return testBit(header, bitPosition);
    }

    // ---------------------------------------------------------------------------------------------
    // Range tests and counts (checked against SizeOfBitMap)
    // ---------------------------------------------------------------------------------------------

    /** RtlAreBitsClear: TRUE iff {@code length >= 1}, the range lies inside the bitmap and every bit in it is 0. */
    public static boolean areBitsClear(MemorySegment header, int startingIndex, int length) {
        return areBits(header(header), Integer.toUnsignedLong(startingIndex), Integer.toUnsignedLong(length), 0);
    }

    /** RtlAreBitsSet: TRUE iff {@code length >= 1}, the range lies inside the bitmap and every bit in it is 1. */
    public static boolean areBitsSet(MemorySegment header, int startingIndex, int length) {
        return areBits(header(header), Integer.toUnsignedLong(startingIndex), Integer.toUnsignedLong(length), -1);
    }

    private static boolean areBits(MemorySegment h, long start, long length, long flip) {
        long size = sizeOf(h);
        if (length == 0 || start >= size || size - start < length) {
            return false;
        }
        long buffer = bufferOf(h);
        long ulongs = BitmapWords.ulongsFor(size);
        Region r = region(buffer, 0, ulongs * ULONG_SIZE, READ);
        // A bit of the other value inside the range makes the answer FALSE.
        return BitmapWords.nextZero(r.segment(), r.offsetOf(buffer), ulongs, start, start + length, ~flip) < 0;
    }

    /** RtlNumberOfSetBits: the number of 1 bits among the first SizeOfBitMap bits. */
    public static int numberOfSetBits(MemorySegment header) {
        MemorySegment h = header(header);
        return (int) countSet(h, 0, sizeOf(h));
    }

    /** RtlNumberOfClearBits: the number of 0 bits among the first SizeOfBitMap bits. */
    public static int numberOfClearBits(MemorySegment header) {
        MemorySegment h = header(header);
        long size = sizeOf(h);
        return (int) (size - countSet(h, 0, size));
    }

    /**
     * RtlNumberOfSetBitsInRange: the number of 1 bits in {@code [startingIndex, startingIndex + length)};
     * {@code 0xFFFFFFFF} if {@code length == 0} or the range is not inside the bitmap (Windows).
     */
    public static int numberOfSetBitsInRange(MemorySegment header, int startingIndex, int length) {
        MemorySegment h = header(header);
        long start = Integer.toUnsignedLong(startingIndex);
        long count = Integer.toUnsignedLong(length);
        long size = sizeOf(h);
        if (count == 0 || start >= size || size - start < count) {
            return NOT_FOUND;
        }
        return (int) countSet(h, start, start + count);
    }

    /**
     * RtlNumberOfClearBitsInRange: the number of 0 bits in {@code [startingIndex, startingIndex + length)};
     * {@code 0xFFFFFFFF} where {@link #numberOfSetBitsInRange} gives it.
     */
    public static int numberOfClearBitsInRange(MemorySegment header, int startingIndex, int length) {
        int set = numberOfSetBitsInRange(header, startingIndex, length);
        return set == NOT_FOUND ? NOT_FOUND : length - set;
    }

    /** RtlNumberOfSetBitsUlongPtr: population count of a ULONG_PTR (64-bit on x64). */
    public static int numberOfSetBitsUlongPtr(long target) {
        return Long.bitCount(target);
    }

    private static long countSet(MemorySegment h, long from, long to) {
        if (from >= to) {
            return 0;
        }
        long buffer = bufferOf(h);
        long ulongs = BitmapWords.ulongsFor(to);
        ThreadState t = ThreadState.current(); // one lookup: the region's check and the shim's map both come from it
        Region r = region(t, buffer, 0, ulongs * ULONG_SIZE, READ);
        return BitmapWords.countSet(r.segment(), r.offsetOf(buffer), ulongs, from, to, t.kernel().addressSpace().granules());
    }

    // ---------------------------------------------------------------------------------------------
    // Searches with a hint
    // ---------------------------------------------------------------------------------------------

    /**
     * RtlFindClearBits: the start of a run of {@code numberToFind} clear bits, searched from the
     * hint to the end, then from 0 (see the overview); {@code 0xFFFFFFFF} if none. Bits unchanged.
     */
    public static int findClearBits(MemorySegment header, int numberToFind, int hintIndex) {
        return (int) find(header(header), Integer.toUnsignedLong(numberToFind), Integer.toUnsignedLong(hintIndex), 0, false);
    }

    /** RtlFindSetBits: the mirror image of {@link #findClearBits} for set bits. */
    public static int findSetBits(MemorySegment header, int numberToFind, int hintIndex) {
        return (int) find(header(header), Integer.toUnsignedLong(numberToFind), Integer.toUnsignedLong(hintIndex), -1, false);
    }

    /**
     * RtlFindClearBitsAndSet: {@link #findClearBits}, then sets exactly {@code numberToFind} bits at
     * the result; {@code 0xFFFFFFFF} (bitmap unchanged) if none.
     */
    public static int findClearBitsAndSet(MemorySegment header, int numberToFind, int hintIndex) {
        return (int) find(header(header), Integer.toUnsignedLong(numberToFind), Integer.toUnsignedLong(hintIndex), 0, true);
    }

    /** RtlFindSetBitsAndClear: {@link #findSetBits}, then clears the bits found. */
    public static int findSetBitsAndClear(MemorySegment header, int numberToFind, int hintIndex) {
        return (int) find(header(header), Integer.toUnsignedLong(numberToFind), Integer.toUnsignedLong(hintIndex), -1, true);
    }

    /**
     * The Windows two-pass search for {@code count} bits of value {@code flip} (0 = clear, -1 = set),
     * optionally flipping the run found. Returns the index or -1 (0xFFFFFFFF).
     */
    private static long find(MemorySegment h, long count, long hint, long flip, boolean andFlip) {
        long size = sizeOf(h);
        long start = hint >= size ? 0 : hint;
        if (count == 0) {
            return start & ~7L;
        }
        if (count > size) {
            return NOT_FOUND;
        }
        long buffer = bufferOf(h);
        long ulongs = BitmapWords.ulongsFor(size);
        Region r = region(buffer, 0, ulongs * ULONG_SIZE, andFlip ? WRITE : READ);
        MemorySegment seg = r.segment();
        long base = r.offsetOf(buffer);
        long found = BitmapWords.findRun(seg, base, ulongs, count, start, size, flip);
        if (found < 0 && start != 0) {
            found = BitmapWords.findRun(seg, base, ulongs, count, 0, Math.min(hint + count, size), flip);
        }
        if (found < 0) {
            return NOT_FOUND;
        }
        if (andFlip) {
            BitmapWords.fill(seg, base, found, found + count, flip == 0);
        }
        return found;
    }

    // ---------------------------------------------------------------------------------------------
    // Runs
    // ---------------------------------------------------------------------------------------------

    /**
     * RtlFindClearRuns: writes up to {@code sizeOfRunArray} RTL_BITMAP_RUN entries describing clear
     * runs and returns how many it wrote: the first runs Windows finds when
     * {@code locateLongestRuns} is FALSE, the longest runs (longest first, lowest first among
     * equals) when TRUE. See {@link BitmapRuns} for the exact order.
     *
     * @param runArray RTL_BITMAP_RUN[sizeOfRunArray] (8 bytes each)
     * @throws IllegalArgumentException if a run must be written past the end of {@code runArray}
     */
    public static int findClearRuns(MemorySegment header, MemorySegment runArray, int sizeOfRunArray, boolean locateLongestRuns) {
        MemorySegment h = header(header);
        long capacity = Integer.toUnsignedLong(sizeOfRunArray);
        long size = sizeOf(h);
        if (capacity == 0 || size == 0) {
            return 0;
        }
        MemorySegment runs = out(runArray, RUN_SIZE * capacity, "RunArray (RTL_BITMAP_RUN[SizeOfRunArray])");
        long buffer = bufferOf(h);
        long ulongs = BitmapWords.ulongsFor(size);
        Region r = region(buffer, 0, ulongs * ULONG_SIZE, READ);
        return (int) BitmapRuns.findClearRuns(r.segment(), r.offsetOf(buffer), ulongs, size, runs, capacity, locateLongestRuns);
    }

    /**
     * RtlFindLongestRunClear: the length of the longest clear run (the lowest among equals), its
     * start written to {@code *startingIndex}; 0 and {@code *startingIndex = 0} if no bit is clear.
     */
    public static int findLongestRunClear(MemorySegment header, MemorySegment startingIndex) {
        MemorySegment h = header(header);
        MemorySegment out = out(startingIndex, ULONG_SIZE, "StartingIndex (PULONG)");
        long size = sizeOf(h);
        long packed = 0;
        if (size != 0) {
            long buffer = bufferOf(h);
            long ulongs = BitmapWords.ulongsFor(size);
            Region r = region(buffer, 0, ulongs * ULONG_SIZE, READ);
            packed = BitmapRuns.longestClearRun(r.segment(), r.offsetOf(buffer), ulongs, size);
        }
        out.set(ULONG, 0, (int) (packed >>> 32));
        return (int) packed;
    }

    /** RtlFindFirstRunClear: {@link #findNextForwardRunClear} from index 0. */
    public static int findFirstRunClear(MemorySegment header, MemorySegment startingIndex) {
        return findNextForwardRunClear(header, 0, startingIndex);
    }

    /**
     * RtlFindNextForwardRunClear: the length of the first clear run at or after {@code fromIndex},
     * its start written to {@code *startingRunIndex}. {@code fromIndex >= Size}: returns 0 with
     * {@code *startingRunIndex = fromIndex}; no clear bit follows: 0 with {@code *startingRunIndex = Size}.
     */
    public static int findNextForwardRunClear(MemorySegment header, int fromIndex, MemorySegment startingRunIndex) {
        MemorySegment h = header(header);
        MemorySegment out = out(startingRunIndex, ULONG_SIZE, "StartingRunIndex (PULONG)");
        long from = Integer.toUnsignedLong(fromIndex);
        long size = sizeOf(h);
        if (from >= size) {
            out.set(ULONG, 0, fromIndex);
            return 0;
        }
        long buffer = bufferOf(h);
        long ulongs = BitmapWords.ulongsFor(size);
        Region r = region(buffer, 0, ulongs * ULONG_SIZE, READ);
        MemorySegment seg = r.segment();
        long base = r.offsetOf(buffer);
        long start = BitmapWords.nextZero(seg, base, ulongs, from, size, 0);
        if (start < 0) {
            out.set(ULONG, 0, (int) size);
            return 0;
        }
        long end = BitmapWords.clearRunEnd(seg, base, ulongs, start, size);
        out.set(ULONG, 0, (int) start);
        return (int) (end - start);
    }

    /**
     * RtlFindLastBackwardRunClear: finds the nearest clear bit at or below {@code fromIndex} and
     * returns the length of the clear run ending there (from its start up to and including that
     * bit), its start written to {@code *startingRunIndex}. {@code fromIndex >= Size}: 0 with
     * {@code *startingRunIndex = fromIndex}; no clear bit: 0 with {@code *startingRunIndex = 0}.
     */
    public static int findLastBackwardRunClear(MemorySegment header, int fromIndex, MemorySegment startingRunIndex) {
        MemorySegment h = header(header);
        MemorySegment out = out(startingRunIndex, ULONG_SIZE, "StartingRunIndex (PULONG)");
        long from = Integer.toUnsignedLong(fromIndex);
        long size = sizeOf(h);
        if (from >= size) {
            out.set(ULONG, 0, fromIndex);
            return 0;
        }
        long buffer = bufferOf(h);
        long ulongs = BitmapWords.ulongsFor(size);
        Region r = region(buffer, 0, ulongs * ULONG_SIZE, READ);
        MemorySegment seg = r.segment();
        long base = r.offsetOf(buffer);
        long last = BitmapWords.previousZero(seg, base, ulongs, from, 0);
        if (last < 0) {
            out.set(ULONG, 0, 0);
            return 0;
        }
        long start = last == 0 ? 0 : BitmapWords.previousZero(seg, base, ulongs, last - 1, -1) + 1;
        out.set(ULONG, 0, (int) start);
        return (int) (last - start + 1);
    }

    // ---------------------------------------------------------------------------------------------
    // Bit scans of a value
    // ---------------------------------------------------------------------------------------------

    /** RtlFindMostSignificantBit: position 0..63 of the highest 1 bit of {@code set}; -1 if {@code set == 0}. */
    public static int findMostSignificantBit(long set) {
        return 63 - Long.numberOfLeadingZeros(set); // 63 - 64 = -1 for 0
    }

    /** RtlFindLeastSignificantBit: position 0..63 of the lowest 1 bit of {@code set}; -1 if {@code set == 0}. */
    public static int findLeastSignificantBit(long set) {
        return set == 0 ? -1 : Long.numberOfTrailingZeros(set);
    }

    // ---------------------------------------------------------------------------------------------
    // Header, buffer and out-parameter resolution
    // ---------------------------------------------------------------------------------------------

    /** The header as a bounded segment: the caller's own, or a raw pointer resolved through the address space. */
    private static MemorySegment header(MemorySegment header) {
        if (header != null && (header.address() & (HEADER_ALIGNMENT - 1)) != 0) {
            throw new DatatypeMisalignmentException("RtlBitmap BitMapHeader (RTL_BITMAP)", header.address(), HEADER_ALIGNMENT);
        }
        if (header.byteSize() >= HEADER_SIZE) {
            return LiveMemory.require(header, "RtlBitmap", "BitMapHeader (RTL_BITMAP)");
        }
        return out(header, HEADER_SIZE, "BitMapHeader (RTL_BITMAP)");
    }

    /**
     * An out-parameter or structure pointer of {@code bytes} bytes: the caller's segment if it is
     * large enough; a zero-length segment (a raw pointer, NULL included) resolved through the address
     * space (bug check 0x50 if unmapped).
     */
    private static MemorySegment out(MemorySegment pointer, long bytes, String what) {
        if ((pointer.address() & (ULONG_SIZE - 1)) != 0) { // ULONGs (an RTL_BITMAP is 8-aligned, checked before)
            throw new DatatypeMisalignmentException("RtlBitmap " + what, pointer.address(), ULONG_SIZE);
        }
        if (pointer.byteSize() >= bytes) {
            return LiveMemory.require(pointer, "RtlBitmap", what);
        }
        if (pointer.byteSize() == 0) {
            return ThreadState.current().kernel().addressSpace().resolve(pointer.address(), bytes);
        }
        throw new IllegalArgumentException(what + " is a segment of " + pointer.byteSize() + " bytes where " + bytes
                + " are needed: " + pointer);
    }

    private static long sizeOf(MemorySegment h) {
        return Integer.toUnsignedLong(h.get(ULONG, SIZE_OF_BIT_MAP_OFFSET));
    }

    /**
     * The header's Buffer: a ULONG array, so 4-byte aligned (offkern reads it a ULONG at a time);
     * a misaligned Buffer (a scribbled header) is refused before anything is read through it.
     */
    private static long bufferOf(MemorySegment h) {
        long buffer = h.get(POINTER, BUFFER_OFFSET);
        if ((buffer & (Integer.BYTES - 1)) != 0) {
            throw new DatatypeMisalignmentException("RTL_BITMAP Buffer", buffer, Integer.BYTES);
        }
        return buffer;
    }

    /**
     * The region holding the {@code bytes} bytes at {@code buffer + offset}, which must lie in the
     * memory of the buffer itself: always, in the region that holds {@code buffer} (bug check 0x50
     * with the range's first address otherwise: registered memory of someone else next to the buffer
     * is not the buffer's); under the verifier's SPECIAL_POOL family, inside the live pool block that
     * holds {@code buffer} ({@link AddressSpace#checkLive}: 0xD5, 0xD6). Nothing is touched before.
     */
    private static Region region(long buffer, long offset, long bytes, boolean write) {
        return region(ThreadState.current(), buffer, offset, bytes, write);
    }

    /** {@link #region(long, long, long, boolean)} for the calling thread's state {@code t}, already looked up. */
    private static Region region(ThreadState t, long buffer, long offset, long bytes, boolean write) {
        AddressSpace space = t.kernel().addressSpace();
        long address = buffer + offset;
        if (Verifier.ENABLED && t.verifies(VerifierCheck.SPECIAL_POOL)) {
            return space.checkLive(buffer, address, bytes, write);
        }
        Region r = space.find(address, bytes);
        if (r == null || r.base() > buffer) { // no region holds the range, or one that does not hold the buffer
            throw t.kernel().bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, address, 0, 0, 0,
                    "RTL_BITMAP buffer 0x" + Long.toHexString(buffer) + ": [0x" + Long.toHexString(address) + ", +" + bytes
                            + ") is not in the registered memory that holds the buffer");
        }
        return r;
    }
}
