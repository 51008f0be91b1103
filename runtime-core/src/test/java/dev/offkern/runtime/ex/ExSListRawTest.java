package dev.offkern.runtime.ex;

import dev.offkern.nt.DatatypeMisalignmentException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The x64 header through the shim, on the long-address tier. */
class ExSListRawTest extends SListSpec {
    private final Kernel kernel = Kernel.boot().attach();
    private final TestMemory mem = new TestMemory(kernel, 64 * 1024);
    private final long header = mem.base();

    @AfterEach
    void close() {
        mem.close();
        kernel.close();
    }

    private dev.offkern.runtime.mm.AddressSpace space() {
        return kernel.addressSpace();
    }

    @Override
    protected void init() {
        mem.segment.fill((byte) 0x5A);
        ExSList.initialize(mem.at(0, 16));
    }

    @Override
    protected long entry(int i) {
        return mem.base() + 64 + 32L * i;
    }

    @Override
    protected int indexOf(long entry) {
        return (int) ((entry - mem.base() - 64) / 32);
    }

    @Override
    protected long push(long entry) {
        return ExSList.push(space(), header, entry);
    }

    @Override
    protected long pop() {
        return ExSList.pop(space(), header);
    }

    @Override
    protected long flush() {
        return ExSList.flush(space(), header);
    }

    @Override
    protected long pushList(long first, long last, int count) {
        return ExSList.pushList(space(), header, first, last, count);
    }

    @Override
    protected int depth() {
        return ExSList.depth(mem.segment, 0);
    }

    @Override
    protected void setDepth(int depth) {
        long word = mem.segment.get(ValueLayout.JAVA_LONG, 0);
        mem.segment.set(ValueLayout.JAVA_LONG, 0, (word & ~0xFFFFL) | depth);
    }

    @Override
    protected long sequence() {
        return ExSList.sequence(mem.segment, 0);
    }

    @Override
    protected long next(long entry) {
        return ExSList.next(mem.segment, entry - mem.base());
    }

    @Override
    protected void link(long entry, long next) {
        ExSList.setNext(mem.segment, entry - mem.base(), next);
    }

    @Test
    void shouldLayTheHeaderOutAsWindowsX64() {
        init();
        push(entry(1));
        push(entry(2));
        long lo = mem.segment.get(ValueLayout.JAVA_LONG, 0);
        long hi = mem.segment.get(ValueLayout.JAVA_LONG, 8);
        assertEquals(2, lo & 0xFFFF, "Depth in bits 0-15 of the first qword");
        assertEquals(2, lo >>> 16, "Sequence in bits 16-63");
        assertEquals(entry(2), hi, "NextEntry (first >> 4) in bits 4-63 of the second qword: the address itself");
        assertEquals(entry(1), mem.segment.get(ValueLayout.JAVA_LONG, entry(2) - mem.base()), "SLIST_ENTRY.Next");
    }

    @Test
    void shouldRefuseAMisalignedEntryNamingItsAddress() {
        init();
        long bad = entry(1) + 8;
        DatatypeMisalignmentException e = assertThrows(DatatypeMisalignmentException.class, () -> push(bad));
        assertTrue(e.getMessage().contains(Long.toHexString(bad)), e.getMessage());
        assertEquals(bad, e.address());
        assertThrows(DatatypeMisalignmentException.class, () -> ExSList.pop(space(), header + 4));
        assertThrows(DatatypeMisalignmentException.class, () -> ExSList.pushList(space(), header, entry(1), bad, 2));
        assertThrows(IllegalArgumentException.class, () -> ExSList.pop(space(), 0));
        assertThrows(IllegalArgumentException.class, () -> ExSList.pushList(space(), header, entry(1), entry(1), 0));
        assertEquals(0, depth(), "nothing was pushed");
    }

    @Test
    void shouldBugCheckOnAnUnmappedAddressNamingIt() {
        init();
        // below any mapping the JVM or a pool makes (mmap_min_addr): never registered, whatever else the
        // JVM has mapped past this test's memory (an address just past it was once another chunk's: flaky)
        long unmapped = 0x10000L;
        BugCheck b = assertThrows(BugCheck.class, () -> ExSList.push(kernel.addressSpace(), header, unmapped));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, b.code());
        assertEquals(unmapped, b.parameter1());
        b = assertThrows(BugCheck.class, () -> ExSList.pop(kernel.addressSpace(), unmapped));
        assertEquals(unmapped, b.parameter1());
        assertEquals(0, ExSList.push(kernel.addressSpace(), header, entry(3)));
        assertEquals(entry(3), ExSList.pop(kernel.addressSpace(), header));
    }
}
