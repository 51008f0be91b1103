package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Rtl;
import dev.offkern.layout.rtl.RTL_BITMAP;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * RTL_BITMAP routines on shared and private bitmaps (both threads change the shared ones at once:
 * the routines are not atomic, so the bits race, but nothing may be written outside the buffer),
 * with indexes and lengths at and past the ends, headers whose SizeOfBitMap exceeds their buffer
 * (issue 8 case 5), scribbled Buffer pointers and hostile out-parameters.
 */
final class BitmapOps {
    private BitmapOps() {
    }

    static final long HEADER = RTL_BITMAP.X64.size();

    static List<Op> ops() {
        return List.of(
                Op.of("bitmap.initialize", 2, BitmapOps::initialize, "RtlInitializeBitMap"),
                Op.of("bitmap.change", 6, BitmapOps::change, "RtlClearAllBits", "RtlSetAllBits", "RtlClearBit",
                        "RtlClearBits", "RtlSetBit", "RtlSetBits"),
                Op.of("bitmap.test", 4, BitmapOps::test, "RtlTestBit", "RtlCheckBit", "RtlAreBitsClear", "RtlAreBitsSet"),
                Op.of("bitmap.find", 6, BitmapOps::find, "RtlFindClearBits", "RtlFindSetBits", "RtlFindClearBitsAndSet",
                        "RtlFindSetBitsAndClear"),
                Op.of("bitmap.runs", 5, BitmapOps::runs, "RtlFindClearRuns", "RtlFindLongestRunClear",
                        "RtlFindFirstRunClear", "RtlFindNextForwardRunClear", "RtlFindLastBackwardRunClear"),
                Op.of("bitmap.count", 4, BitmapOps::count, "RtlNumberOfClearBits", "RtlNumberOfSetBits",
                        "RtlNumberOfClearBitsInRange", "RtlNumberOfSetBitsInRange", "RtlNumberOfSetBitsUlongPtr",
                        "RtlFindMostSignificantBit", "RtlFindLeastSignificantBit"),
                Op.of("bitmap.scribbledHeader", 2, BitmapOps::scribbledHeader, "RtlInitializeBitMap", "RtlSetAllBits",
                        "RtlClearAllBits", "RtlFindClearBitsAndSet", "RtlNumberOfSetBits", "RtlSetBits"));
    }

    /** The bit count the header was initialized with (what the fuzzer believes). */
    static int bits(Ctx c, MemorySegment header) {
        MemorySegment buf = header == null ? null : c.w.bitmapBuffers.get(header.address());
        return buf == null ? 64 : (int) (buf.byteSize() * 8);
    }

    /** A bit index: anywhere (past the end too), or only inside the map while block overflows are withheld. */
    static int index(Ctx c, int bits) {
        return Ctx.NO_BLOCK_OVERFLOW ? c.n(Math.max(1, bits)) : c.index(bits);
    }

    /** A run length from {@code start}: any, or one that ends inside the map while block overflows are withheld. */
    static int length(Ctx c, int bits, int start) {
        if (Ctx.NO_BLOCK_OVERFLOW) {
            return c.n(Math.max(1, bits - start) + 1);
        }
        return c.p(0.7) ? c.n(Math.max(1, bits - Math.max(0, start)) + 2) : c.anyInt();
    }

    static MemorySegment header(Ctx c) {
        return c.arg(Kind.BITMAP, HEADER, 0.1);
    }

    /** An out-parameter: this thread's scratch block, or a hostile pointer. */
    static MemorySegment out(Ctx c, long size) {
        if (c.p(0.85)) {
            MemorySegment s = c.own(Kind.BLOCK);
            return s.asSlice(0, Math.min(size, s.byteSize()));
        }
        return c.hostile(null, size, false);
    }

    static void initialize(Ctx c) {
        MemorySegment h = c.p(0.8) ? c.own(Kind.BITMAP) : c.hostile(Kind.BITMAP, HEADER, false);
        MemorySegment buf = c.w.bitmapBuffers.get(h == null ? 0 : h.address());
        int size;
        MemorySegment passed;
        if (Ctx.NO_BLOCK_OVERFLOW) {
            // Only the header is hostile; the buffer and size agree (a known finding withholds the rest).
            passed = buf != null ? buf : c.anyFuzzBlock();
            size = (int) (passed.byteSize() * 8) - c.n(32);
        } else if (buf != null && c.p(0.6)) {
            passed = buf;
            size = c.p(0.8) ? (int) (buf.byteSize() * 8) - c.n(32) : c.anyInt();
        } else {
            passed = c.p(0.5) ? c.hostile(null, 64, false) : c.anyFuzzBlock();
            size = c.p(0.5) ? 1 << 20 : c.anyInt();
        }
        c.note("RtlInitializeBitMap(" + Ctx.describe(h) + ", " + Ctx.describe(passed) + ", " + size + ")");
        try {
            Rtl.RtlInitializeBitMap(h, passed, size);
        } finally {
            if (buf != null && h != null) {
                // Put the private bitmap back in order after the step (its buffer, its size).
                c.after.add(x -> Rtl.RtlInitializeBitMap(h, buf, (int) (buf.byteSize() * 8)));
            }
        }
    }

    static void change(Ctx c) {
        MemorySegment h = header(c);
        int bits = bits(c, h);
        int start = index(c, bits);
        int len = length(c, bits, start);
        c.note("change " + Ctx.describe(h) + " start=" + start + " len=" + len);
        switch (c.n(6)) {
            case 0 -> Rtl.RtlClearAllBits(h);
            case 1 -> Rtl.RtlSetAllBits(h);
            case 2 -> Rtl.RtlClearBit(h, start);
            case 3 -> Rtl.RtlClearBits(h, start, len);
            case 4 -> Rtl.RtlSetBit(h, start);
            default -> Rtl.RtlSetBits(h, start, len);
        }
    }

    static void test(Ctx c) {
        MemorySegment h = header(c);
        int bits = bits(c, h);
        int start = index(c, bits);
        int len = length(c, bits, start);
        c.note("test " + Ctx.describe(h) + " start=" + start + " len=" + len);
        switch (c.n(4)) {
            case 0 -> Rtl.RtlTestBit(h, start);
            case 1 -> Rtl.RtlCheckBit(h, start);
            case 2 -> Rtl.RtlAreBitsClear(h, start, len);
            default -> Rtl.RtlAreBitsSet(h, start, len);
        }
    }

    static void find(Ctx c) {
        MemorySegment h = header(c);
        int bits = bits(c, h);
        int number = c.p(0.8) || Ctx.NO_BLOCK_OVERFLOW ? c.n(Math.max(1, bits / 4) + 1) : c.anyInt();
        int hint = index(c, bits);
        c.note("find " + Ctx.describe(h) + " number=" + number + " hint=" + hint);
        int r = switch (c.n(4)) {
            case 0 -> Rtl.RtlFindClearBits(h, number, hint);
            case 1 -> Rtl.RtlFindSetBits(h, number, hint);
            case 2 -> Rtl.RtlFindClearBitsAndSet(h, number, hint);
            default -> Rtl.RtlFindSetBitsAndClear(h, number, hint);
        };
        // Only for this thread's own bitmaps: the other thread may legitimately re-initialize a shared one
        // with another size (a hostile RtlInitializeBitMap through a WRONG_KIND pointer) during the call.
        if (r != -1 && Integer.toUnsignedLong(r) >= bits && h != null && c.w.bitmapBuffers.containsKey(h.address())
                && c.w.own(Kind.BITMAP, c.thread).contains(h)) {
            throw new FuzzInvariantException("bitmap find returned index " + Integer.toUnsignedString(r) + " of a " + bits + "-bit map");
        }
    }

    static void runs(Ctx c) {
        MemorySegment h = header(c);
        int bits = bits(c, h);
        switch (c.n(5)) {
            case 0 -> {
                int n = c.p(0.8) || Ctx.NO_BLOCK_OVERFLOW ? 1 + c.n(8) : c.anyInt();
                MemorySegment runs = out(c, 8L * Math.max(1, Math.min(n, 8)));
                c.note("RtlFindClearRuns n=" + n + " runs=" + Ctx.describe(runs));
                Rtl.RtlFindClearRuns(h, runs, n, c.p(0.5));
            }
            case 1 -> Rtl.RtlFindLongestRunClear(h, out(c, 4));
            case 2 -> Rtl.RtlFindFirstRunClear(h, out(c, 4));
            case 3 -> Rtl.RtlFindNextForwardRunClear(h, index(c, bits), out(c, 4));
            default -> Rtl.RtlFindLastBackwardRunClear(h, index(c, bits), out(c, 4));
        }
    }

    static void count(Ctx c) {
        MemorySegment h = header(c);
        int bits = bits(c, h);
        int start = index(c, bits);
        int len = length(c, bits, start);
        long word = c.r.nextLong();
        c.note("count " + Ctx.describe(h) + " start=" + start + " len=" + len);
        switch (c.n(7)) {
            case 0 -> Rtl.RtlNumberOfClearBits(h);
            case 1 -> Rtl.RtlNumberOfSetBits(h);
            case 2 -> Rtl.RtlNumberOfClearBitsInRange(h, start, len);
            case 3 -> Rtl.RtlNumberOfSetBitsInRange(h, start, len);
            case 4 -> check(Rtl.RtlNumberOfSetBitsUlongPtr(word) == Long.bitCount(word), "RtlNumberOfSetBitsUlongPtr");
            case 5 -> check(Rtl.RtlFindMostSignificantBit(word) == (word == 0 ? -1 : 63 - Long.numberOfLeadingZeros(word)),
                    "RtlFindMostSignificantBit");
            default -> check(Rtl.RtlFindLeastSignificantBit(word) == (word == 0 ? -1 : Long.numberOfTrailingZeros(word)),
                    "RtlFindLeastSignificantBit");
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new FuzzInvariantException(what + " returned a wrong value");
        }
    }

    /** A header whose SizeOfBitMap and Buffer were overwritten after initialization. */
    static void scribbledHeader(Ctx c) {
        MemorySegment h = c.own(Kind.BITMAP);
        MemorySegment buf = c.w.bitmapBuffers.get(h.address());
        c.after.add(x -> Rtl.RtlInitializeBitMap(h, buf, (int) (buf.byteSize() * 8)));
        if (c.p(0.5)) {
            h.set(JAVA_INT, RTL_BITMAP.SIZE_OF_BIT_MAP_OFFSET, c.p(0.5) ? 1 << 20 : c.anyInt());
        }
        if (c.p(0.6)) {
            h.set(JAVA_LONG, RTL_BITMAP.BUFFER_OFFSET, c.pointerValue());
        }
        c.note(String.format("scribbled header size=%d buffer=0x%x", h.get(JAVA_INT, RTL_BITMAP.SIZE_OF_BIT_MAP_OFFSET),
                h.get(JAVA_LONG, RTL_BITMAP.BUFFER_OFFSET)));
        switch (c.n(5)) {
            case 0 -> Rtl.RtlSetAllBits(h);
            case 1 -> Rtl.RtlClearAllBits(h);
            case 2 -> Rtl.RtlFindClearBitsAndSet(h, 1 + c.n(64), 0);
            case 3 -> Rtl.RtlNumberOfSetBits(h);
            default -> Rtl.RtlSetBits(h, c.n(1 << 20), c.n(1 << 20));
        }
    }
}
