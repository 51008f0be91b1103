package dev.offkern.bench.ex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.ex.SListSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The x86-format research header over one region with 32-bit offsets, against the shared SLIST spec. */
class SListX86Test extends SListSpec {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment region = arena.allocate(64 * 1024, 4096);
    private static final long HEADER = 0;

    @AfterEach
    void free() {
        arena.close();
    }

    @Override
    protected void init() {
        region.fill((byte) 0x5A);
        SListX86.initialize(region, HEADER);
    }

    @Override
    protected long entry(int i) {
        return 16 + 16L * i;
    }

    @Override
    protected int indexOf(long entry) {
        return (int) ((entry - 16) / 16);
    }

    @Override
    protected long push(long entry) {
        return SListX86.push(region, HEADER, entry);
    }

    @Override
    protected long pop() {
        return SListX86.pop(region, HEADER);
    }

    @Override
    protected long flush() {
        return SListX86.flush(region, HEADER);
    }

    @Override
    protected long pushList(long first, long last, int count) {
        return SListX86.pushList(region, HEADER, first, last, count);
    }

    @Override
    protected int depth() {
        return SListX86.depth(region, HEADER);
    }

    @Override
    protected void setDepth(int depth) {
        long word = region.get(ValueLayout.JAVA_LONG, HEADER);
        region.set(ValueLayout.JAVA_LONG, HEADER, (word & ~(0xFFFFL << 32)) | (long) depth << 32);
    }

    @Override
    protected long sequence() {
        return SListX86.sequence(region, HEADER);
    }

    @Override
    protected long next(long entry) {
        return SListX86.next(region, entry);
    }

    @Override
    protected void link(long entry, long next) {
        region.set(ValueLayout.JAVA_INT, entry, (int) next);
    }

    @Test
    void shouldLayTheHeaderOutAsWindowsX86() {
        init();
        push(entry(2));
        push(entry(3));
        long word = region.get(ValueLayout.JAVA_LONG, HEADER);
        assertEquals(entry(3), word & 0xFFFF_FFFFL, "Next in bits 0-31");
        assertEquals(2, (word >>> 32) & 0xFFFF, "Depth in bits 32-47");
        assertEquals(2, word >>> 48, "Sequence in bits 48-63");
        assertEquals((int) entry(2), region.get(ValueLayout.JAVA_INT, entry(3)), "entry Next is a 4-byte offset");
    }

    @Test
    void shouldRefuseMisalignedOrNullOrOutOfRegionEntries() {
        init();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> push(20));
        assertTrue(e.getMessage().contains("0x14"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> push(0));
        assertThrows(IllegalArgumentException.class, () -> push(region.byteSize()));
        assertThrows(IllegalArgumentException.class, () -> SListX86.pop(region, 4));
        assertThrows(IllegalArgumentException.class, () -> SListX86.pop(region, region.byteSize()));
        assertEquals(0, depth(), "a refused push changed nothing");
    }

    @Test
    void shouldWrapSequenceModulo65536WithoutTouchingDepth() {
        init();
        region.set(ValueLayout.JAVA_LONG, HEADER, 0xFFFFL << 48);
        push(entry(1));
        assertEquals(0, sequence());
        assertEquals(1, depth());
        assertEquals(entry(1), pop());
    }
}
