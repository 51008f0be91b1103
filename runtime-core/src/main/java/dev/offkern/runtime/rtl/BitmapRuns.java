package dev.offkern.runtime.rtl;

import dev.offkern.layout.rtl.RTL_BITMAP_RUN;
import java.lang.foreign.MemorySegment;

/**
 * Run enumeration for {@link RtlBitmap}: RtlFindClearRuns (both orders) and the longest clear run.
 * Package-private; the buffer arrives already resolved as {@code (seg, base, ulongs)} (see
 * {@link BitmapWords}).
 *
 * <p>Progress: wait-free (bounded loops over the bitmap); allocation-free.
 */
final class BitmapRuns {

    /* Implementation overview
     *
     * Runs are enumerated in ascending order with BitmapWords.nextZero (next clear bit, then next
     * set bit), 64 bits at a time. Windows' RtlFindClearRuns does not quite report them in that
     * order, and offkern reproduces what Windows reports:
     *
     * - Windows scans the bitmap a byte at a time. At each byte that is not all clear it (1) closes
     *   the run that ends in the byte's low bits, (2) reports the runs enclosed by the byte (bounded
     *   by set bits of the same byte on both sides) LONGEST FIRST, the lowest one among equals, and
     *   (3) opens a run with the byte's high clear bits. Bits past SizeOfBitMap in the last byte
     *   count as set. So with LocateLongestRuns == FALSE the reported order is ascending except that
     *   the (at most three) runs enclosed by one byte come longest first; the array is filled in that
     *   order and the routine returns as soon as it is full.
     * - With LocateLongestRuns == TRUE, Windows keeps the array sorted longest first by insertion:
     *   a run enters when the array has room or when it is strictly longer than the last entry (which
     *   it then evicts), and it moves up past strictly shorter entries only. Among runs of equal
     *   length the byte order above reports lower starts first, so the result is the first
     *   SizeOfRunArray runs ordered by (length descending, start ascending) — what the insertion
     *   below produces when fed runs in ascending order.
     *
     * RTL_BITMAP_RUN is { ULONG StartingIndex; ULONG NumberOfBits; } (8 bytes on every ABI).
     */

    private static final long RUN_SIZE = RTL_BITMAP_RUN.LAYOUT.byteSize();
    private static final long STARTING_INDEX_OFFSET = RTL_BITMAP_RUN.STARTING_INDEX_OFFSET;
    private static final long NUMBER_OF_BITS_OFFSET = RTL_BITMAP_RUN.NUMBER_OF_BITS_OFFSET;

    private BitmapRuns() {
    }

    /**
     * RtlFindClearRuns over a resolved buffer of {@code size > 0} bits into {@code runs}, which holds
     * {@code capacity > 0} RTL_BITMAP_RUN entries. Returns the number of entries written.
     */
    static long findClearRuns(MemorySegment seg, long base, long ulongs, long size,
                              MemorySegment runs, long capacity, boolean longest) {
        long count = 0;
        long position = 0;
        while (position < size) {
            long start = BitmapWords.nextZero(seg, base, ulongs, position, size, 0);
            if (start < 0) {
                break;
            }
            long end = BitmapWords.clearRunEnd(seg, base, ulongs, start, size);
            if (longest) {
                count = insertLongest(runs, count, capacity, start, end - start);
                position = end;
            } else if (enclosedByOneByte(start, end)) {
                long byteIndex = start >>> 3;
                int value = byteValue(seg, base, byteIndex, size);
                count = reportEnclosedRuns(runs, count, capacity, byteIndex, value);
                if (count == capacity) {
                    return count;
                }
                // Continue with the byte's high clear bits (or the next byte).
                position = (byteIndex << 3) + 8 - highClearBits(value);
            } else {
                write(runs, count++, start, end - start);
                if (count == capacity) {
                    return count;
                }
                position = end;
            }
        }
        return count;
    }

    /**
     * The longest clear run of a resolved buffer of {@code size} bits, the lowest among equals,
     * packed as {@code (start << 32) | length}; 0 if no bit is clear.
     */
    static long longestClearRun(MemorySegment seg, long base, long ulongs, long size) {
        long bestStart = 0;
        long bestLength = 0;
        long position = 0;
        while (size - position > bestLength) {
            long start = BitmapWords.nextZero(seg, base, ulongs, position, size, 0);
            if (start < 0) {
                break;
            }
            long end = BitmapWords.clearRunEnd(seg, base, ulongs, start, size);
            if (end - start > bestLength) {
                bestStart = start;
                bestLength = end - start;
            }
            position = end;
        }
        return (bestStart << 32) | bestLength;
    }

    /** Whether run [start, end) lies inside one byte without touching the byte's bit 0 or bit 7. */
    private static boolean enclosedByOneByte(long start, long end) {
        long last = end - 1;
        return (start & 7) != 0 && (last >>> 3) == (start >>> 3) && (last & 7) != 7;
    }

    /** Byte {@code byteIndex} of the bitmap with the bits at or past {@code size} forced to 1. */
    private static int byteValue(MemorySegment seg, long base, long byteIndex, long size) {
        int word = seg.get(BitmapWords.ULONG, base + ((byteIndex >>> 2) << 2));
        int value = (word >>> ((byteIndex & 3) << 3)) & 0xFF;
        long bitsInByte = size - (byteIndex << 3);
        if (bitsInByte < 8) {
            value |= (0xFF << bitsInByte) & 0xFF;
        }
        return value;
    }

    /** Number of clear bits above the highest set bit of a non-zero byte. */
    private static int highClearBits(int value) {
        return Integer.numberOfLeadingZeros(value) - 24;
    }

    /**
     * Reports the runs enclosed by byte {@code byteIndex} (value {@code value}, not 0) longest first,
     * the lowest among equals, as Windows does; stops when the array is full.
     */
    private static long reportEnclosedRuns(MemorySegment runs, long count, long capacity, long byteIndex, int value) {
        int lowClear = Integer.numberOfTrailingZeros(value);
        int high = highClearBits(value);
        int remaining = value | ((1 << lowClear) - 1) | (~(0xFF >>> high) & 0xFF);
        while (remaining != 0xFF) {
            int length = longestZeroRun(remaining);
            int mask = (1 << length) - 1;
            int at = 0;
            while (((mask << at) & remaining) != 0) {
                at++;
            }
            write(runs, count++, (byteIndex << 3) + at, length);
            if (count == capacity) {
                return count;
            }
            remaining |= mask << at;
        }
        return count;
    }

    /** Length of the longest run of 0 bits in an 8-bit value. */
    private static int longestZeroRun(int value) {
        int best = 0;
        int current = 0;
        for (int bit = 0; bit < 8; bit++) {
            if ((value & (1 << bit)) == 0) {
                current++;
                best = Math.max(best, current);
            } else {
                current = 0;
            }
        }
        return best;
    }

    /** Top-{@code capacity} insertion, longest first, stable among equals (see the overview). */
    private static long insertLongest(MemorySegment runs, long count, long capacity, long start, long length) {
        long slot;
        if (count < capacity) {
            slot = count++;
        } else if (length > lengthAt(runs, count - 1)) {
            slot = count - 1;
        } else {
            return count;
        }
        while (slot > 0 && lengthAt(runs, slot - 1) < length) {
            long previous = (slot - 1) * RUN_SIZE;
            write(runs, slot, Integer.toUnsignedLong(runs.get(BitmapWords.ULONG, previous + STARTING_INDEX_OFFSET)),
                    lengthAt(runs, slot - 1));
            slot--;
        }
        write(runs, slot, start, length);
        return count;
    }

    private static long lengthAt(MemorySegment runs, long index) {
        return Integer.toUnsignedLong(runs.get(BitmapWords.ULONG, index * RUN_SIZE + NUMBER_OF_BITS_OFFSET));
    }

    private static void write(MemorySegment runs, long index, long start, long length) {
        long offset = index * RUN_SIZE;
        if (offset + RUN_SIZE > runs.byteSize()) {
            throw new IllegalArgumentException("RtlFindClearRuns: RunArray holds " + runs.byteSize() / RUN_SIZE
                    + " RTL_BITMAP_RUN entries but SizeOfRunArray let run #" + index + " be written");
        }
        runs.set(BitmapWords.ULONG, offset + STARTING_INDEX_OFFSET, (int) start);
        runs.set(BitmapWords.ULONG, offset + NUMBER_OF_BITS_OFFSET, (int) length);
    }
}
