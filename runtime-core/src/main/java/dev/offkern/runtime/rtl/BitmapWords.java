package dev.offkern.runtime.rtl;

import dev.offkern.shim.BitCount;
import dev.offkern.shim.GranuleTable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Word-level primitives over an RTL_BITMAP buffer: reading 64 bits at a time, finding the next or
 * previous bit of a given value, counting, and filling ranges. Package-private: {@link RtlBitmap}
 * resolves the buffer and applies Windows' rules; this class only moves bits.
 *
 * <p>Every method takes the buffer as {@code (seg, base, ulongs)}: {@code seg} is the bounded
 * segment of the region holding the buffer, {@code base} the buffer's offset in it, {@code ulongs}
 * the number of ULONGs that may be touched. No method reads or writes a byte outside
 * {@code [base, base + 4 * ulongs)}, so a wrong index surfaces as the segment's bounds exception or
 * an earlier address-space bug check, never as a stray access.
 *
 * <p>Callers never let a result depend on bits at or beyond the index bounds they pass in: bits past
 * SizeOfBitMap in the last ULONG are whatever the caller left there, as in Windows.
 *
 * <p>Progress: every method is wait-free (bounded loops, no shared state); none allocates.
 */
final class BitmapWords {

    /* Implementation overview
     *
     * Bit i of the bitmap is bit (i % 32) of ULONG (i / 32), ULONGs little-endian (Windows' rule).
     * Read as a little-endian 64-bit value, two consecutive ULONGs 2k and 2k+1 form "chunk" k whose
     * bit j is bitmap bit 64k + j, so scans use Long.numberOfTrailingZeros / numberOfLeadingZeros /
     * bitCount a chunk at a time. Chunks are counted from the buffer's start, not from absolute
     * 8-byte alignment: the buffer is only guaranteed 4-byte aligned, so a chunk read is an
     * unaligned 64-bit load when the buffer sits at 4 mod 8 (free on x86-64 unless it crosses a
     * cache line). When the buffer has an odd number of ULONGs, the last chunk is read as one ULONG
     * (upper half zero) so that nothing past the buffer is read.
     *
     * "flip" turns one search into its mirror image: a scan looks at (chunk ^ flip), so flip = 0
     * searches for clear bits and flip = -1 for set bits. Writes go through ULONG read-modify-write at
     * the edges of a range and plain 64-bit stores in its middle, touching only the range's ULONGs.
     */

    /** A ULONG of the buffer (4-byte aligned, little-endian as Windows stores it). */
    static final ValueLayout.OfInt ULONG = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Two consecutive ULONGs, read or written as one little-endian 64-bit value. */
    static final ValueLayout.OfLong ULONG_PAIR = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * From this many full chunks on, countSet hands its middle to the shim's four-sum popcount
     * ({@link BitCount}): C2 compiles the Java loop into one add chain (a chunk per cycle), the shim
     * runs at the speed the buffer can be read. Below it, the downcall's fixed cost (a few ns, plus
     * the JDK's hold on a shared arena for the call) is more than the loop saves.
     */
    static final long NATIVE_COUNT_MIN_CHUNKS = 128;
    /**
     * Whether the shim counts (it is loaded, and {@code -Doffkern.rtl.javaBitCount=true}, for A/B
     * measurements, is not set); without it every count is the Java loop (same result).
     */
    private static final boolean NATIVE_COUNT = BitCount.isAvailable()
            && !Boolean.getBoolean("offkern.rtl.javaBitCount");

    private BitmapWords() {
    }

    /** Number of ULONGs holding {@code bits} bits ({@code ceil(bits / 32)}). */
    static long ulongsFor(long bits) {
        return (bits + 31) >>> 5;
    }

    /** Chunk {@code k} (bitmap bits [64k, 64k + 64)); the upper half is 0 if ULONG 2k + 1 is not in the buffer. */
    static long chunk(MemorySegment seg, long base, long ulongs, long k) {
        long offset = base + (k << 3);
        if ((k << 1) + 1 < ulongs) {
            return seg.get(ULONG_PAIR, offset);
        }
        return Integer.toUnsignedLong(seg.get(ULONG, offset));
    }

    /**
     * The lowest index in {@code [from, to)} whose bit, XORed with {@code flip}'s bit, is 0: the next
     * clear bit for {@code flip = 0}, the next set bit for {@code flip = -1}; -1 if there is none.
     */
    static long nextZero(MemorySegment seg, long base, long ulongs, long from, long to, long flip) {
        if (from >= to) {
            return -1;
        }
        long k = from >>> 6;
        long lastChunk = (to - 1) >>> 6;
        // Bits below 'from' in the first chunk are forced to 1 (not a match).
        long w = (chunk(seg, base, ulongs, k) ^ flip) | ((1L << from) - 1);
        while (true) {
            long zeros = ~w;
            if (zeros != 0) {
                long i = (k << 6) + Long.numberOfTrailingZeros(zeros);
                return i < to ? i : -1;
            }
            if (++k > lastChunk) {
                return -1;
            }
            w = chunk(seg, base, ulongs, k) ^ flip;
        }
    }

    /**
     * The end (exclusive) of the clear run that starts at the clear bit {@code start}: the next set
     * bit below {@code size}, or {@code size} if the run reaches the end of the bitmap.
     */
    static long clearRunEnd(MemorySegment seg, long base, long ulongs, long start, long size) {
        long end = nextZero(seg, base, ulongs, start + 1, size, -1);
        return end < 0 ? size : end;
    }

    /**
     * The highest index in {@code [0, from]} whose bit, XORed with {@code flip}'s bit, is 0; -1 if
     * there is none. {@code from} must be a bit inside the buffer.
     */
    static long previousZero(MemorySegment seg, long base, long ulongs, long from, long flip) {
        long k = from >>> 6;
        int top = (int) (from & 63);
        // Bits above 'from' in its chunk are forced to 1 (not a match).
        long above = top == 63 ? 0 : -1L << (top + 1);
        long w = (chunk(seg, base, ulongs, k) ^ flip) | above;
        while (true) {
            long zeros = ~w;
            if (zeros != 0) {
                return (k << 6) + 63 - Long.numberOfLeadingZeros(zeros);
            }
            if (--k < 0) {
                return -1;
            }
            w = chunk(seg, base, ulongs, k) ^ flip;
        }
    }

    /**
     * The lowest start {@code s >= from} with {@code s + count <= limit} such that bits
     * {@code [s, s + count)} are all clear ({@code flip = 0}) or all set ({@code flip = -1}); -1 if
     * there is none. {@code count} must be at least 1.
     */
    static long findRun(MemorySegment seg, long base, long ulongs, long count, long from, long limit, long flip) {
        if (limit - from < count) {
            return -1;
        }
        if (count <= 64) {
            return findShortRun(seg, base, ulongs, (int) count, from, limit, flip);
        }
        long position = from;
        while (limit - position >= count) {
            long start = nextZero(seg, base, ulongs, position, limit - count + 1, flip);
            if (start < 0) {
                return -1;
            }
            // The first non-matching bit inside the candidate window ends this candidate.
            long breaker = nextZero(seg, base, ulongs, start + 1, start + count, ~flip);
            if (breaker < 0) {
                return start;
            }
            position = breaker + 1;
        }
        return -1;
    }

    /**
     * {@link #findRun} for {@code 1 <= count <= 64}, a chunk at a time without visiting runs one by
     * one: {@link #runStarts} finds the windows inside a chunk, and the matching bits at the top of
     * the previous chunk ({@code carry}) catch the window that straddles two chunks. Candidates come
     * out in ascending order, so the first one decides: if it does not fit before {@code limit},
     * nothing does (bits at or past {@code limit} may be garbage; they can only produce candidates
     * that do not fit).
     */
    private static long findShortRun(MemorySegment seg, long base, long ulongs, int count, long from, long limit, long flip) {
        long k = from >>> 6;
        long lastChunk = (limit - 1) >>> 6;
        long carry = 0;
        long match = ~(chunk(seg, base, ulongs, k) ^ flip) & (-1L << from); // 1 = a bit of the wanted value
        while (true) {
            if (carry != 0) {
                // 1 <= count - carry <= 63: the straddling window needs that many low bits here.
                long needed = (1L << (count - carry)) - 1;
                if ((match & needed) == needed) {
                    long start = (k << 6) - carry;
                    return start + count <= limit ? start : -1;
                }
            }
            long starts = runStarts(match, count);
            if (starts != 0) {
                long start = (k << 6) + Long.numberOfTrailingZeros(starts);
                return start + count <= limit ? start : -1;
            }
            // No window here, so the chunk is not all ones: its top run is shorter than count.
            carry = Long.numberOfLeadingZeros(~match);
            if (++k > lastChunk) {
                return -1;
            }
            match = ~(chunk(seg, base, ulongs, k) ^ flip);
        }
    }

    /** Bit {@code p} is set iff bits {@code p .. p + count - 1} of {@code bits} are all set (bits past 63 count as 0). */
    static long runStarts(long bits, int count) {
        long starts = bits;
        int covered = 1;
        while (covered < count) {
            int shift = Math.min(covered, count - covered);
            starts &= starts >>> shift;
            covered += shift;
        }
        return starts;
    }

    /**
     * Number of set bits in {@code [from, to)}. When at least {@link #NATIVE_COUNT_MIN_CHUNKS} full chunks
     * lie between the first and the last, {@code seg} is native and the shim is here, the shim counts them
     * and checks them against {@code map} (the granule map of the address space that holds the buffer;
     * null: always the Java loop).
     */
    static long countSet(MemorySegment seg, long base, long ulongs, long from, long to, GranuleTable map) {
        if (from >= to) {
            return 0;
        }
        long k = from >>> 6;
        long lastChunk = (to - 1) >>> 6;
        long firstMask = -1L << from;                 // bits >= from (shift uses from & 63)
        long lastMask = -1L >>> (63 - ((to - 1) & 63)); // bits <= to - 1
        if (k == lastChunk) {
            return Long.bitCount(chunk(seg, base, ulongs, k) & firstMask & lastMask);
        }
        long count = Long.bitCount(chunk(seg, base, ulongs, k) & firstMask);
        long offset = base + ((k + 1) << 3);
        long end = base + (lastChunk << 3);
        // Full chunks strictly between the first and the last: both ULONGs are in the buffer.
        long full = (end - offset) >>> 3;
        if (NATIVE_COUNT && map != null && full >= NATIVE_COUNT_MIN_CHUNKS && seg.isNative()) {
            long n = BitCount.count(map, seg.address() + offset, full);
            if (n < 0) { // the region was unregistered after the caller found it
                throw new IllegalStateException(String.format(
                        "bitmap buffer [0x%x, +%d) was unmapped during the count", seg.address() + offset, full * 8));
            }
            count += n;
        } else {
            for (; offset < end; offset += 8) {
                count += Long.bitCount(seg.get(ULONG_PAIR, offset));
            }
        }
        return count + Long.bitCount(chunk(seg, base, ulongs, lastChunk) & lastMask);
    }

    /**
     * Sets ({@code set}) or clears every bit of {@code [from, to)}, touching only the ULONGs
     * {@code from / 32 .. (to - 1) / 32}.
     */
    static void fill(MemorySegment seg, long base, long from, long to, boolean set) {
        if (from >= to) {
            return;
        }
        long first = from >>> 5;
        long last = (to - 1) >>> 5;
        int headMask = -1 << from;                    // bits >= from % 32
        int tailMask = -1 >>> (31 - ((to - 1) & 31)); // bits <= (to - 1) % 32
        if (first == last) {
            update(seg, base + (first << 2), headMask & tailMask, set);
            return;
        }
        update(seg, base + (first << 2), headMask, set);
        long word = first + 1;
        long pattern = set ? -1L : 0L;
        for (; word + 1 < last; word += 2) {
            seg.set(ULONG_PAIR, base + (word << 2), pattern);
        }
        if (word < last) {
            seg.set(ULONG, base + (word << 2), (int) pattern);
        }
        update(seg, base + (last << 2), tailMask, set);
    }

    /** Fills whole ULONGs {@code [0, ulongs)} with all ones ({@code set}) or all zeros. */
    static void fillWhole(MemorySegment seg, long base, long ulongs, boolean set) {
        long pattern = set ? -1L : 0L;
        long word = 0;
        for (; word + 1 < ulongs; word += 2) {
            seg.set(ULONG_PAIR, base + (word << 2), pattern);
        }
        if (word < ulongs) {
            seg.set(ULONG, base + (word << 2), (int) pattern);
        }
    }

    private static void update(MemorySegment seg, long offset, int mask, boolean set) {
        int old = seg.get(ULONG, offset);
        seg.set(ULONG, offset, set ? old | mask : old & ~mask);
    }

    /** Value of bit {@code index} (the ULONG holding it must be in the buffer). */
    static boolean bit(MemorySegment seg, long base, long index) {
        return (seg.get(ULONG, base + ((index >>> 5) << 2)) & (1 << index)) != 0;
    }
}
