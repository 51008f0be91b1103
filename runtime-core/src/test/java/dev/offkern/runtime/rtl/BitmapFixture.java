package dev.offkern.runtime.rtl;

import static dev.offkern.ddi.Rtl.RtlInitializeBitMap;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A booted kernel with one registered native region holding a bitmap buffer between two guard
 * areas, and an RTL_BITMAP header. Close it after use (closes the kernel and frees the memory).
 */
final class BitmapFixture implements AutoCloseable {
    static final ValueLayout.OfInt ULONG = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int GUARD_ULONGS = 4;
    static final int GUARD = 0xA5C3_5A3C;

    final Kernel kernel;
    final Arena arena;
    /** The registered region: guard, buffer, guard. */
    final MemorySegment region;
    /** The bitmap buffer inside the region. */
    final MemorySegment buffer;
    /** A 16-byte, 8-aligned RTL_BITMAP header (not registered: it is passed as a bounded segment). */
    final MemorySegment header;
    /** A ULONG out-parameter. */
    final MemorySegment index;

    BitmapFixture(int ulongs) {
        this(ulongs, 0);
    }

    /** {@code misalign} = 4 puts the buffer at 4 mod 8 to exercise unaligned 64-bit reads. */
    BitmapFixture(int ulongs, int misalign) {
        kernel = Kernel.boot();
        arena = Arena.ofConfined();
        region = arena.allocate((ulongs + 2L * GUARD_ULONGS) * 4 + 8, 8);
        kernel.addressSpace().register(region, "test bitmap");
        for (long i = 0; i < region.byteSize() / 4; i++) {
            region.setAtIndex(ULONG, i, GUARD);
        }
        buffer = region.asSlice(GUARD_ULONGS * 4L + misalign, ulongs * 4L);
        header = arena.allocate(16, 8);
        index = arena.allocate(4, 4);
    }

    /** RtlInitializeBitMap(header, buffer, size). */
    BitmapFixture init(int size) {
        RtlInitializeBitMap(header, buffer, size);
        return this;
    }

    int ulong(int i) {
        return buffer.getAtIndex(ULONG, i);
    }

    void ulong(int i, int value) {
        buffer.setAtIndex(ULONG, i, value);
    }

    /** Fills the whole buffer with {@code value} in every ULONG. */
    void fill(int value) {
        for (int i = 0; i < buffer.byteSize() / 4; i++) {
            ulong(i, value);
        }
    }

    int index() {
        return index.get(ULONG, 0);
    }

    void index(int value) {
        index.set(ULONG, 0, value);
    }

    /** Asserts that no byte of the region outside the buffer changed. */
    void assertGuardsIntact() {
        long start = buffer.address() - region.address();
        long end = start + buffer.byteSize();
        for (long b = 0; b < region.byteSize(); b++) {
            if (b >= start && b < end) {
                continue;
            }
            byte expected = (byte) (GUARD >>> (8 * (b & 3)));
            assertEquals(expected, region.get(ValueLayout.JAVA_BYTE, b), "guard byte " + b + " outside the buffer was written");
        }
    }

    @Override
    public void close() {
        kernel.close();
        arena.close();
    }
}
