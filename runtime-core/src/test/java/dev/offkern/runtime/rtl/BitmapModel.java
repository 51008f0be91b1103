package dev.offkern.runtime.rtl;

import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately naive reference model of an RTL_BITMAP: one boolean per bit of the whole buffer
 * (so bits past SizeOfBitMap exist, as they do in memory) and every routine written as the
 * simplest loop that states Windows' rule. RtlFindClearRuns is modelled as Windows computes it,
 * one byte at a time, independently of the run enumeration offkern uses.
 */
final class BitmapModel {
    final boolean[] bits;
    final int size;

    BitmapModel(boolean[] bits, int size) {
        this.bits = bits;
        this.size = size;
    }

    static final int NOT_FOUND = -1;

    boolean clear(long i) {
        return !bits[(int) i];
    }

    void setRange(long start, long count, boolean value) {
        for (long i = start; i < start + count; i++) {
            bits[(int) i] = value;
        }
    }

    void setAll(boolean value) {
        int ulongs = (size + 31) / 32;
        for (int i = 0; i < ulongs * 32; i++) {
            bits[i] = value;
        }
    }

    boolean allEqual(long start, long length, boolean value) {
        if (length == 0 || start >= size || start + length > size) {
            return false;
        }
        for (long i = start; i < start + length; i++) {
            if (bits[(int) i] != value) {
                return false;
            }
        }
        return true;
    }

    long countSet(long start, long length) {
        long n = 0;
        for (long i = start; i < start + length; i++) {
            if (bits[(int) i]) {
                n++;
            }
        }
        return n;
    }

    /** NumberOfSetBitsInRange: -1 for Length 0 or a range not inside the bitmap. */
    long countSetInRange(long start, long length) {
        if (length == 0 || start >= size || start + length > size) {
            return NOT_FOUND;
        }
        return countSet(start, length);
    }

    /** RtlFindClearBits (value false) / RtlFindSetBits (value true), as an unsigned ULONG (0xFFFFFFFF: none). */
    long find(long count, long hint, boolean value) {
        long start = hint >= size ? 0 : hint;
        if (count == 0) {
            return start & ~7L;
        }
        for (long s = start; s + count <= size; s++) {
            if (allEqual(s, count, value)) {
                return s;
            }
        }
        if (start != 0) {
            long limit = Math.min(hint + count, size);
            for (long s = 0; s + count <= limit; s++) {
                if (allEqual(s, count, value)) {
                    return s;
                }
            }
        }
        return 0xFFFFFFFFL;
    }

    /** RtlFindNextForwardRunClear: {length, index}. */
    long[] nextForwardRunClear(long from) {
        if (from >= size) {
            return new long[] {0, from};
        }
        long s = from;
        while (s < size && !clear(s)) {
            s++;
        }
        if (s == size) {
            return new long[] {0, size};
        }
        long e = s;
        while (e < size && clear(e)) {
            e++;
        }
        return new long[] {e - s, s};
    }

    /** RtlFindLastBackwardRunClear: {length, index}. */
    long[] lastBackwardRunClear(long from) {
        if (from >= size) {
            return new long[] {0, from};
        }
        long e = from;
        while (e >= 0 && !clear(e)) {
            e--;
        }
        if (e < 0) {
            return new long[] {0, 0};
        }
        long s = e;
        while (s > 0 && clear(s - 1)) {
            s--;
        }
        return new long[] {e - s + 1, s};
    }

    /** RtlFindLongestRunClear: {length, index}; ties to the lowest; {0, 0} if none. */
    long[] longestRunClear() {
        long bestLength = 0;
        long bestStart = 0;
        for (long s = 0; s < size; s++) {
            if (clear(s) && (s == 0 || !clear(s - 1))) {
                long e = s;
                while (e < size && clear(e)) {
                    e++;
                }
                if (e - s > bestLength) {
                    bestLength = e - s;
                    bestStart = s;
                }
            }
        }
        return new long[] {bestLength, bestStart};
    }

    /** RtlFindClearRuns as Windows computes it: a byte at a time. Each run is {start, length}. */
    List<long[]> findClearRuns(int capacity, boolean longest) {
        List<long[]> runs = new ArrayList<>();
        if (capacity == 0 || size == 0) {
            return runs;
        }
        int bytes = (size + 7) / 8;
        long currentStart = 0;
        long currentLength = 0;
        for (int b = 0; b < bytes; b++) {
            int value = 0;
            for (int j = 0; j < 8; j++) {
                int index = b * 8 + j;
                if (index >= size || bits[index]) {
                    value |= 1 << j;
                }
            }
            if (value == 0) {
                currentLength += 8;
                continue;
            }
            int low = 0;
            while ((value & (1 << low)) == 0) {
                low++;
            }
            currentLength += low;
            if (currentLength > 0 && insert(runs, capacity, longest, currentStart, currentLength)) {
                return runs;
            }
            int high = 0;
            while ((value & (0x80 >>> high)) == 0) {
                high++;
            }
            currentStart = b * 8L + 8 - high;
            currentLength = high;
            int remaining = value | ((1 << low) - 1) | ((0xFF << (8 - high)) & 0xFF);
            while (remaining != 0xFF) {
                int length = longestZeros(remaining);
                if (runs.size() >= capacity && runs.get(runs.size() - 1)[1] >= length) {
                    break;
                }
                int mask = (1 << length) - 1;
                int at = 0;
                while ((remaining & (mask << at)) != 0) {
                    at++;
                }
                if (insert(runs, capacity, longest, b * 8L + at, length)) {
                    return runs;
                }
                remaining |= mask << at;
            }
        }
        if (currentLength > 0) {
            insert(runs, capacity, longest, currentStart, currentLength);
        }
        return runs;
    }

    /** Windows' insertion; returns true when the routine returns (first-runs mode, array full). */
    private static boolean insert(List<long[]> runs, int capacity, boolean longest, long start, long length) {
        if (runs.size() >= capacity) {
            if (!(runs.get(runs.size() - 1)[1] < length)) {
                return false;
            }
            runs.remove(runs.size() - 1);
        }
        int at = runs.size();
        if (longest) {
            while (at > 0 && runs.get(at - 1)[1] < length) {
                at--;
            }
        }
        runs.add(at, new long[] {start, length});
        return !longest && runs.size() >= capacity;
    }

    private static int longestZeros(int value) {
        int best = 0;
        for (int s = 0; s < 8; s++) {
            int n = 0;
            while (s + n < 8 && (value & (1 << (s + n))) == 0) {
                n++;
            }
            best = Math.max(best, n);
        }
        return best;
    }
}
