package dev.offkern.runtime.ex;

import dev.offkern.nt.DatatypeMisalignmentException;
import static dev.offkern.ddi.Ex.CONTAINING_RECORD;
import static dev.offkern.ddi.Ex.ExInitializeSListHead;
import static dev.offkern.ddi.Ex.ExInterlockedFlushSList;
import static dev.offkern.ddi.Ex.ExInterlockedPopEntrySList;
import static dev.offkern.ddi.Ex.ExInterlockedPushEntrySList;
import static dev.offkern.ddi.Ex.ExQueryDepthSList;
import static dev.offkern.ddi.Ex.InitializeSListHead;
import static dev.offkern.ddi.Ex.InterlockedFlushSList;
import static dev.offkern.ddi.Ex.InterlockedPopEntrySList;
import static dev.offkern.ddi.Ex.InterlockedPushEntrySList;
import static dev.offkern.ddi.Ex.InterlockedPushListSListEx;
import static dev.offkern.ddi.Ex.RtlFirstEntrySList;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.NtStatus;
import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The SLIST DDI (dev.offkern.ddi.Ex) over MemorySegments, with its argument checks. */
class ExSListDdiTest extends SListSpec {
    private final Kernel kernel = Kernel.boot().attach();
    private final TestMemory mem = new TestMemory(kernel, 64 * 1024);
    private final MemorySegment head = mem.at(0, 16);

    @AfterEach
    void close() {
        mem.close();
        kernel.close();
    }

    private MemorySegment seg(long address) {
        return address == 0 ? MemorySegment.NULL : mem.at(address - mem.base(), 16);
    }

    @Override
    protected void init() {
        mem.segment.fill((byte) 0x5A);
        InitializeSListHead(head);
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
        return InterlockedPushEntrySList(head, seg(entry)).address();
    }

    @Override
    protected long pop() {
        return InterlockedPopEntrySList(head).address();
    }

    @Override
    protected long flush() {
        return InterlockedFlushSList(head).address();
    }

    @Override
    protected long pushList(long first, long last, int count) {
        return InterlockedPushListSListEx(head, seg(first), seg(last), count).address();
    }

    @Override
    protected int depth() {
        return ExQueryDepthSList(head);
    }

    @Override
    protected void setDepth(int depth) {
        long word = head.get(ValueLayout.JAVA_LONG, 0);
        head.set(ValueLayout.JAVA_LONG, 0, (word & ~0xFFFFL) | depth);
    }

    @Override
    protected long sequence() {
        return ExSList.sequence(head, 0);
    }

    @Override
    protected long next(long entry) {
        return seg(entry).get(ValueLayout.JAVA_LONG, 0);
    }

    @Override
    protected void link(long entry, long next) {
        seg(entry).set(ValueLayout.JAVA_LONG, 0, next);
    }

    @Test
    void shouldZeroTheWholeHeaderOnInitialize() {
        head.fill((byte) 0xFF);
        ExInitializeSListHead(head);
        assertEquals(0, head.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(0, head.get(ValueLayout.JAVA_LONG, 8));
    }

    @Test
    void shouldRaiseDatatypeMisalignmentForAMisalignedHeader() {
        DatatypeMisalignmentException e = assertThrows(DatatypeMisalignmentException.class,
                () -> InitializeSListHead(mem.at(8, 16)));
        assertEquals(NtStatus.STATUS_DATATYPE_MISALIGNMENT, e.status());
        assertTrue(e.getMessage().contains(Long.toHexString(mem.base() + 8)), e.getMessage());
    }

    @Test
    void shouldRefuseAMisalignedEntryWithoutChangingTheList() {
        init();
        push(entry(1));
        assertThrows(DatatypeMisalignmentException.class, () -> InterlockedPushEntrySList(head, mem.at(64 + 8, 16)));
        assertEquals(1, depth());
        assertEquals(entry(1), pop());
    }

    @Test
    void shouldBugCheckWhenHeaderOrEntryIsOutsideTheAddressSpace() {
        init();
        try (java.lang.foreign.Arena other = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment foreign = other.allocate(32, 16);
            BugCheck b = assertThrows(BugCheck.class, () -> InterlockedPushEntrySList(head, foreign));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, b.code());
            assertEquals(foreign.address(), b.parameter1());
            b = assertThrows(BugCheck.class, () -> InterlockedPopEntrySList(foreign));
            assertEquals(foreign.address(), b.parameter1());
        }
        assertEquals(0, depth());
    }

    @Test
    void shouldIgnoreTheSpinLockArgumentOfTheExForms() {
        init();
        assertEquals(MemorySegment.NULL, ExInterlockedPushEntrySList(head, seg(entry(1)), MemorySegment.NULL));
        assertEquals(entry(1), ExInterlockedPushEntrySList(head, seg(entry(2)), mem.at(4096, 8)).address());
        assertEquals(entry(2), ExInterlockedPopEntrySList(head, MemorySegment.NULL).address());
        assertEquals(entry(1), ExInterlockedFlushSList(head).address());
        assertEquals(MemorySegment.NULL, ExInterlockedPopEntrySList(head, MemorySegment.NULL));
    }

    @Test
    void shouldPeekTheFirstEntryWithoutRemovingIt() {
        init();
        assertEquals(MemorySegment.NULL, RtlFirstEntrySList(head));
        push(entry(4));
        assertEquals(entry(4), RtlFirstEntrySList(head).address());
        assertEquals(1, depth());
    }

    @Test
    void shouldReturnABoundedSixteenByteEntrySegment() {
        init();
        push(entry(1));
        MemorySegment e = InterlockedPopEntrySList(head);
        assertEquals(16, e.byteSize());
        assertThrows(IndexOutOfBoundsException.class, () -> e.get(ValueLayout.JAVA_LONG, 16));
    }

    @Test
    void shouldTurnAPoppedEntryBackIntoItsContainingRecord() {
        StructSpec request = CStruct.struct("MY_REQUEST", Abi.X64)
                .field("Cookie", CType.ULONGLONG)
                .field("Id", CType.ULONG)
                .at(16).field("Link", CType.pointer("PSLIST_ENTRY"))
                .field("Payload", CType.ULONGLONG)
                .alignAs(16)
                .build();
        long linkOffset = request.offset("Link");
        init();
        long base = mem.base() + 8192;
        for (int i = 0; i < 3; i++) {
            MemorySegment r = mem.at(8192 + i * 64L, request.size());
            r.set(ValueLayout.JAVA_INT, request.offset("Id"), 100 + i);
            r.set(ValueLayout.JAVA_LONG, request.offset("Payload"), 0xC0FFEE00L + i);
            InterlockedPushEntrySList(head, mem.at(8192 + i * 64L + linkOffset, 16));
        }
        MemorySegment link = InterlockedPopEntrySList(head);
        MemorySegment record = CONTAINING_RECORD(link, request, "Link");
        assertEquals(base + 128, record.address());
        assertEquals(request.size(), record.byteSize());
        assertEquals(102, record.get(ValueLayout.JAVA_INT, request.offset("Id")));
        assertEquals(0xC0FFEE02L, record.get(ValueLayout.JAVA_LONG, request.offset("Payload")));
        assertThrows(IllegalArgumentException.class, () -> CONTAINING_RECORD(link, request, "NoSuchField"));
    }

    @Test
    void shouldBugCheckWhenTheContainingRecordLeavesItsRegion() {
        StructSpec big = CStruct.struct("BIG", Abi.X64).field("Link", CType.PVOID).array("Data", CType.UCHAR, 4096).build();
        MemorySegment nearEnd = mem.at(mem.segment.byteSize() - 16, 16);
        BugCheck b = assertThrows(BugCheck.class, () -> CONTAINING_RECORD(nearEnd, big, "Link"));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, b.code());
    }
}
