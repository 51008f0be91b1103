package dev.offkern.runtime.pool;

import dev.offkern.layout.mm.POOL_HEADER;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The codec of the x64 {@code POOL_HEADER} that sits right before every small block's payload:
 * every offset, bit position and width comes from the layout class {@link POOL_HEADER}, so the pool
 * writes exactly the bytes the layout (and its golden test) describe.
 *
 * <pre>
 *  header + ULONG1_OFFSET (Ulong1), bits from POOL_HEADER's bit fields:
 *  0        8        16       24       32
 *  +--------+--------+--------+--------+
 *  |PrevSize|PoolIdx |BlockSz |PoolType|   sizes in units of 1 &lt;&lt; POOL_BLOCK_SHIFT bytes
 *  +--------+--------+--------+--------+
 *  header + POOL_TAG_OFFSET: PoolTag;  header + PROCESS_BILLED_OFFSET: ProcessBilled
 * </pre>
 *
 * <p>Ulong1 and PoolTag are adjacent (checked when the class loads), so the hot paths read and
 * write both as one little-endian long, the <em>head word</em>: Ulong1 in its low 32 bits, PoolTag
 * in its high 32. Positions are given as <em>payload</em> offsets in a segment (the header is the
 * {@link #SIZE} bytes before), which is how the pool addresses its blocks. Pure functions and plain
 * accesses; callers own the ordering.
 */
final class PoolHeader {

    /** sizeof(POOL_HEADER) on x64: the bytes between a header's start and its block's payload. */
    static final int SIZE = (int) POOL_HEADER.X64.size();
    /** log2 of the unit the header's sizes count (POOL_BLOCK_SHIFT). */
    static final int UNIT_SHIFT = POOL_HEADER.POOL_BLOCK_SHIFT;
    /** The largest BlockSize (and PreviousSize) the field holds, in units. */
    static final int MAX_BLOCK_UNITS = mask(POOL_HEADER.BLOCK_SIZE_BITS);

    // The unaligned layouts: a header's fields sit at their natural alignment by construction (every payload
    // the pool hands out or checks is 16-byte aligned in a page-aligned chunk, the header 16 bytes before it),
    // so the alignment test an aligned layout adds to every access could never fail; on x64 the load or
    // store is the same instruction either way.
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt ULONG = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong POINTER = WORD;
    /** Where the head word starts, relative to the payload. */
    private static final long HEAD = POOL_HEADER.ULONG1_OFFSET - SIZE;
    /** Where PoolTag starts, relative to the payload. */
    private static final long TAG = POOL_HEADER.POOL_TAG_OFFSET - SIZE;
    /** Where ProcessBilled starts, relative to the payload. */
    private static final long BILLED = POOL_HEADER.PROCESS_BILLED_OFFSET - SIZE;
    /** Bit position of PoolTag in the head word. */
    private static final int TAG_SHIFT = Byte.SIZE * (int) (POOL_HEADER.POOL_TAG_OFFSET - POOL_HEADER.ULONG1_OFFSET);

    static {
        if (TAG_SHIFT != Integer.SIZE) {
            throw new ExceptionInInitializerError("POOL_HEADER: PoolTag does not follow Ulong1 (offset "
                    + POOL_HEADER.POOL_TAG_OFFSET + "): the head-word codec needs them adjacent");
        }
    }

    private PoolHeader() {
    }

    // ----- Ulong1's bit fields -----

    static int previousSize(int ulong1) {
        return field(ulong1, POOL_HEADER.PREVIOUS_SIZE_SHIFT, POOL_HEADER.PREVIOUS_SIZE_BITS);
    }

    static int poolIndex(int ulong1) {
        return field(ulong1, POOL_HEADER.POOL_INDEX_SHIFT, POOL_HEADER.POOL_INDEX_BITS);
    }

    static int blockSize(int ulong1) {
        return field(ulong1, POOL_HEADER.BLOCK_SIZE_SHIFT, POOL_HEADER.BLOCK_SIZE_BITS);
    }

    /** PoolType: 0 while the block is free, else its POOL_TYPE + 1. */
    static int poolType(int ulong1) {
        return field(ulong1, POOL_HEADER.POOL_TYPE_SHIFT, POOL_HEADER.POOL_TYPE_BITS);
    }

    /**
     * Ulong1 from its four fields (each must fit its width).
     *
     * @throws IllegalArgumentException if a value does not fit its bit field
     */
    static int ulong1(int previousSize, int poolIndex, int blockSize, int poolType) {
        return put(previousSize, POOL_HEADER.PREVIOUS_SIZE_SHIFT, POOL_HEADER.PREVIOUS_SIZE_BITS, "PreviousSize")
                | put(poolIndex, POOL_HEADER.POOL_INDEX_SHIFT, POOL_HEADER.POOL_INDEX_BITS, "PoolIndex")
                | put(blockSize, POOL_HEADER.BLOCK_SIZE_SHIFT, POOL_HEADER.BLOCK_SIZE_BITS, "BlockSize")
                | put(poolType, POOL_HEADER.POOL_TYPE_SHIFT, POOL_HEADER.POOL_TYPE_BITS, "PoolType");
    }

    /** The PoolType bit field's bits within Ulong1. */
    static final int POOL_TYPE_FIELD = mask(POOL_HEADER.POOL_TYPE_BITS) << POOL_HEADER.POOL_TYPE_SHIFT;

    /** {@code ulong1} with its PoolType field replaced by {@code poolType}. */
    static int withPoolType(int ulong1, int poolType) {
        int m = mask(POOL_HEADER.POOL_TYPE_BITS) << POOL_HEADER.POOL_TYPE_SHIFT;
        return (ulong1 & ~m) | put(poolType, POOL_HEADER.POOL_TYPE_SHIFT, POOL_HEADER.POOL_TYPE_BITS, "PoolType");
    }

    // ----- the head word (Ulong1 and PoolTag) -----

    /** The head word of {@code ulong1} and {@code tag}. */
    static long word(int ulong1, int tag) {
        return (ulong1 & 0xFFFF_FFFFL) | (long) tag << TAG_SHIFT;
    }

    static int ulong1Of(long word) {
        return (int) word;
    }

    static int tagOf(long word) {
        return (int) (word >>> TAG_SHIFT);
    }

    // ----- memory, at a payload offset -----

    /** The head word of the block whose payload is at {@code payload} in {@code s}. */
    static long readWord(MemorySegment s, long payload) {
        return s.get(WORD, payload + HEAD);
    }

    static void writeWord(MemorySegment s, long payload, long word) {
        s.set(WORD, payload + HEAD, word);
    }

    static int readUlong1(MemorySegment s, long payload) {
        return s.get(ULONG, payload + HEAD);
    }

    /** Writes Ulong1 only (PoolTag unchanged). */
    static void writeUlong1(MemorySegment s, long payload, int ulong1) {
        s.set(ULONG, payload + HEAD, ulong1);
    }

    static int readTag(MemorySegment s, long payload) {
        return s.get(ULONG, payload + TAG);
    }

    /** Writes ProcessBilled (offkern charges no quota: always 0). */
    static void writeProcessBilled(MemorySegment s, long payload, long process) {
        s.set(POINTER, payload + BILLED, process);
    }

    /** The header's address for the payload at {@code payloadAddress}. */
    static long headerAddress(long payloadAddress) {
        return payloadAddress - SIZE;
    }

    // ----- bit-field helpers -----

    private static int mask(int bits) {
        return bits >= Integer.SIZE ? -1 : (1 << bits) - 1;
    }

    private static int field(int word, int shift, int bits) {
        return (word >>> shift) & mask(bits);
    }

    private static int put(int value, int shift, int bits, String name) {
        if ((value & ~mask(bits)) != 0) {
            throw new IllegalArgumentException("POOL_HEADER." + name + " is " + bits + " bits wide: " + value + " does not fit");
        }
        return value << shift;
    }
}
