package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ex.ExAcquireRundownProtection;
import static dev.offkern.ddi.Ex.ExAllocatePool2;
import static dev.offkern.ddi.Ex.ExInitializeRundownProtection;
import static dev.offkern.ddi.Ex.ExReleaseRundownProtection;
import static dev.offkern.ddi.Ke.KeInitializeEvent;
import static dev.offkern.ddi.Ke.KeWaitForSingleObject;
import static dev.offkern.ddi.Rtl.RtlRunOnceBeginInitialize;
import static dev.offkern.ddi.Rtl.RtlRunOnceInitialize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.EX_RUNDOWN_REF;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.rtl.RTL_RUN_ONCE;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.DatatypeMisalignmentException;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Structure pointers are resolved and checked before a routine touches them (issue 8, "raw
 * segment access" findings of the DDI fuzzer, and the cross-kernel reuse of a closed kernel's
 * segments): a raw pointer is resolved through the address space, a short segment or a misaligned
 * one is refused with a message, a segment of a closed kernel is refused even when a later kernel
 * mapped memory at the same address.
 */
class CallerMemoryTest {
    private static final int TAG = PoolTags.tag("CmT ");
    private static final long UNMAPPED = 0x1000;

    private Kernel kernel;

    @AfterEach
    void close() {
        if (kernel != null) {
            kernel.close();
        }
    }

    private static MemorySegment block(long bytes) {
        return ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, bytes, TAG);
    }

    @Test
    void shouldResolveARawPointerToALiveBlock() {
        kernel = Kernel.boot();
        MemorySegment ref = block(EX_RUNDOWN_REF.LAYOUT.byteSize());
        MemorySegment raw = MemorySegment.ofAddress(ref.address());
        ExInitializeRundownProtection(raw);
        assertTrue(ExAcquireRundownProtection(raw));
        assertEquals(EX_RUNDOWN_REF.EX_RUNDOWN_COUNT_INC, ref.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
        ExReleaseRundownProtection(raw);
    }

    @Test
    void shouldRaisePageFaultForARawPointerOutsideEveryRegion() {
        kernel = Kernel.boot();
        BugCheck bc = assertThrows(BugCheck.class, () -> ExAcquireRundownProtection(MemorySegment.ofAddress(UNMAPPED)));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, bc.code());
        assertEquals(UNMAPPED, bc.parameter1());
    }

    @Test
    void shouldRefuseAMisalignedRunOnceWithStatusDatatypeMisalignment() {
        kernel = Kernel.boot();
        MemorySegment b = block(32);
        DatatypeMisalignmentException e = assertThrows(DatatypeMisalignmentException.class,
                () -> RtlRunOnceBeginInitialize(b.asSlice(4, RTL_RUN_ONCE.LAYOUT.byteSize()), 0, MemorySegment.NULL));
        assertEquals(NtStatus.STATUS_DATATYPE_MISALIGNMENT, e.status());
    }

    @Test
    void shouldCheckTheContextBeforeTheRunOnceChangesState() {
        kernel = Kernel.boot();
        MemorySegment once = block(RTL_RUN_ONCE.LAYOUT.byteSize());
        RtlRunOnceInitialize(once);
        MemorySegment shortContext = block(16).asSlice(0, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RtlRunOnceBeginInitialize(once, 0, shortContext));
        assertTrue(e.getMessage().contains("Context is a segment of 4 bytes"), e.getMessage());
        assertEquals(0L, once.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0), "the RTL_RUN_ONCE is untouched");
        assertEquals(NtStatus.STATUS_PENDING, RtlRunOnceBeginInitialize(once, 0, MemorySegment.NULL),
                "a later caller still gets to initialize");
    }

    @Test
    void shouldRaisePageFaultForARawTimeoutPointerOutsideEveryRegion() {
        kernel = Kernel.boot();
        MemorySegment event = block(KEVENT.LAYOUT.byteSize());
        KeInitializeEvent(event, 0, false);
        BugCheck bc = assertThrows(BugCheck.class,
                () -> KeWaitForSingleObject(event, 0, 0, false, MemorySegment.ofAddress(UNMAPPED)));
        assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, bc.code());
    }

    @Test
    void shouldRefuseASegmentOfAClosedKernelEvenWhenALaterKernelMapsTheSameAddress() {
        MemorySegment stale;
        try (Kernel first = Kernel.boot()) {
            stale = block(EX_RUNDOWN_REF.LAYOUT.byteSize());
            ExInitializeRundownProtection(stale);
        }
        kernel = Kernel.boot();
        // Whether or not the new pool reuses the address, the stale segment must not reach its memory.
        MemorySegment fresh = block(EX_RUNDOWN_REF.LAYOUT.byteSize());
        ExInitializeRundownProtection(fresh);
        final MemorySegment s = stale;
        RuntimeException e = assertThrows(RuntimeException.class, () -> ExAcquireRundownProtection(s));
        IllegalStateException ise = assertInstanceOf(IllegalStateException.class, e);
        assertTrue(ise.getMessage().contains("unmapped memory"), ise.getMessage());
        assertEquals(0L, fresh.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0), "the new kernel's memory is untouched");
    }

    @Test
    void shouldNotAllocateAnArenaForCheckingASizedSegment() {
        // The sized-segment path reads the segment's own fields only: no kernel lookup is needed.
        kernel = Kernel.boot();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ref = arena.allocate(EX_RUNDOWN_REF.LAYOUT);
            assertEquals(ref, CallerMemory.structure(ref, EX_RUNDOWN_REF.LAYOUT.byteSize(),
                    EX_RUNDOWN_REF.LAYOUT.byteAlignment(), "test", "RunRef"));
        }
    }
}
