package dev.offkern.tests.se;

import dev.offkern.ddi.Ex;
import dev.offkern.nt.PoolFlags;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A fuzz input placed at the very end of a non-paged pool block whose first {@link #GUARD} bytes hold
 * a canary. With the default kernel (verifier on, special pool) a raw pointer to the input is resolved
 * to the live bytes of the block from that address, i.e. exactly the input: a parser bounded by its
 * buffer reads nothing past the block's end, and one that writes before the input (a negative offset,
 * a wrapped size) is caught by {@link #check}, which also reports any change to the input for routines
 * that must not write.
 */
final class Guarded implements AutoCloseable {

    /** Canary bytes before the input. */
    static final int GUARD = 64;
    private static final byte CANARY = (byte) 0xA5;
    private static final int TAG = 'F' | 'z' << 8 | 'S' << 16 | 'e' << 24;

    private final MemorySegment block;
    private final byte[] input;

    private Guarded(MemorySegment block, byte[] input) {
        this.block = block;
        this.input = input;
    }

    /** A block of exactly GUARD + input.length bytes (ExAllocatePool2's segment): the canary, then the input. */
    static Guarded holding(byte[] input) {
        MemorySegment block = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, GUARD + input.length, TAG);
        if (block.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("the pool refused " + (GUARD + input.length) + " bytes");
        }
        block.asSlice(0, GUARD).fill(CANARY);
        MemorySegment.copy(input, 0, block, ValueLayout.JAVA_BYTE, GUARD, input.length);
        return new Guarded(block, input.clone());
    }

    /** The input as a raw pointer (zero-length segment), as a C caller passes it. */
    MemorySegment pointer() {
        return MemorySegment.ofAddress(block.address() + GUARD);
    }

    /** The input as a sized segment of exactly its length inside the block. */
    MemorySegment sized() {
        return block.asSlice(GUARD, input.length);
    }

    /**
     * Throws if the canary changed or, when {@code readOnly}, if the input did.
     *
     * @param what the routine that ran, for the message
     */
    void check(String what, boolean readOnly) {
        for (int i = 0; i < GUARD; i++) {
            if (block.get(ValueLayout.JAVA_BYTE, i) != CANARY) {
                throw new AssertionError(what + " wrote " + (GUARD - i) + " bytes before its buffer (canary at -" + (GUARD - i)
                        + " is 0x" + Integer.toHexString(block.get(ValueLayout.JAVA_BYTE, i) & 0xFF) + ")");
            }
        }
        if (readOnly && !Arrays.equals(input, block.asSlice(GUARD).toArray(ValueLayout.JAVA_BYTE))) {
            throw new AssertionError(what + " changed the buffer it only had to read");
        }
    }

    @Override
    public void close() {
        Ex.ExFreePoolWithTag(block, TAG);
    }
}
