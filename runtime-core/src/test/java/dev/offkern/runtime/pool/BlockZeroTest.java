package dev.offkern.runtime.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** {@link BlockZero}: every size of each tier zeroes exactly the block's granules, nothing before or after them. */
class BlockZeroTest {
    private static final byte DIRT = (byte) 0xA5;

    @Test
    void shouldZeroTheRequestedBytesAndTheRestOfTheLastGranuleOnlyAtEverySize() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(8192, 4096);
            for (long bytes = 1; bytes <= 1100; bytes++) {
                for (long off : new long[] {16, 1024, 4096 - 16}) {
                    long end = off + ((bytes + 15) & ~15L);
                    if (end > chunk.byteSize()) {
                        continue;
                    }
                    chunk.fill(DIRT);
                    BlockZero.zero(chunk, off, bytes);
                    for (long i = 0; i < chunk.byteSize(); i++) {
                        byte expected = i >= off && i < end ? 0 : DIRT;
                        if (chunk.get(ValueLayout.JAVA_BYTE, i) != expected) {
                            assertEquals(expected, chunk.get(ValueLayout.JAVA_BYTE, i), "bytes " + bytes + " at " + off + ": byte " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void shouldZeroABlockThatEndsAtTheChunksEndWithoutLeavingIt() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(4096, 4096);
            for (long bytes : new long[] {1, 16, 17, 48, 64, 65, 512, 513, 1024}) {
                long off = 4096 - ((bytes + 15) & ~15L);
                chunk.fill(DIRT);
                BlockZero.zero(chunk, off, bytes);
                assertEquals(-1, chunk.asSlice(off).mismatch(MemorySegment.ofArray(new byte[(int) (4096 - off)])), "bytes " + bytes);
                assertEquals(DIRT, chunk.get(ValueLayout.JAVA_BYTE, off - 1), "bytes " + bytes);
            }
        }
    }

    @Test
    void shouldRefuseABlockThatWouldLeaveTheChunkInEveryTier() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(4096, 4096);
            for (long bytes : new long[] {16, 64, 512, 1024}) {
                assertThrows(IndexOutOfBoundsException.class, () -> BlockZero.zero(chunk, 4096 - ((bytes + 15) & ~15L) + 16, bytes),
                        "bytes " + bytes);
            }
        }
    }
}
