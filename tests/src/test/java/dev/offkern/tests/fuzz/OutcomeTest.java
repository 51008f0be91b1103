package dev.offkern.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.NtStatusException;
import org.junit.jupiter.api.Test;

/** The fuzzer's outcome classifier: what it lets pass and what it reports. */
class OutcomeTest {

    /** {@code t} as if thrown from {@code thrower} inside the DDI routine {@code routine}, called by the fuzzer. */
    static <T extends Throwable> T thrownIn(T t, String routine, String thrower) {
        t.setStackTrace(new StackTraceElement[] {
            new StackTraceElement(thrower, "x", null, 1),
            new StackTraceElement("dev.offkern.ddi.Ex", routine, null, 2),
            new StackTraceElement("dev.offkern.tests.fuzz.PoolOps", "allocate2", null, 3),
        });
        return t;
    }

    @Test
    void shouldAllowADocumentedBugCheckOfTheRoutinesFamily() {
        BugCheck bc = thrownIn(new BugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, 0, 0, "double free"),
                "ExFreePoolWithTag", "dev.offkern.runtime.pool.Pool");
        Outcome o = Outcome.classify(bc, false);
        assertEquals(Outcome.Kind.BUGCHECK, o.kind());
        assertEquals("ExFreePoolWithTag", o.routine());
    }

    @Test
    void shouldReportABugCheckTheFamilyDoesNotDocument() {
        BugCheck bc = thrownIn(new BugCheck(BugCheckCode.SPIN_LOCK_NOT_OWNED, 0, 0, 0, 0, ""), "ExFreePoolWithTag",
                "dev.offkern.runtime.pool.Pool");
        assertFalse(Outcome.classify(bc, false).allowed());
    }

    @Test
    void shouldAllowThePoolsFreeChecksFromExDeleteTimerWhichFreesTheTimerButNotFromTheOtherTimerRoutines() {
        BugCheck header = thrownIn(new BugCheck(BugCheckCode.BAD_POOL_HEADER, 0x07, 0, 0, 0, "BlockSize"), "ExDeleteTimer",
                "dev.offkern.runtime.pool.Pool");
        assertEquals(Outcome.Kind.BUGCHECK, Outcome.classify(header, false).kind());
        BugCheck freed = thrownIn(new BugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, 0, 0, "already freed"), "ExDeleteTimer",
                "dev.offkern.runtime.pool.Pool");
        assertEquals(Outcome.Kind.BUGCHECK, Outcome.classify(freed, false).kind());
        BugCheck unknownSubcode = thrownIn(new BugCheck(BugCheckCode.BAD_POOL_CALLER, 0x77, 0, 0, 0, ""), "ExDeleteTimer",
                "dev.offkern.runtime.pool.Pool");
        assertFalse(Outcome.classify(unknownSubcode, false).allowed());
        BugCheck fromSet = thrownIn(new BugCheck(BugCheckCode.BAD_POOL_HEADER, 0x07, 0, 0, 0, ""), "ExSetTimer",
                "dev.offkern.runtime.pool.Pool");
        assertFalse(Outcome.classify(fromSet, false).allowed(), "ExSetTimer frees nothing");
    }

    @Test
    void shouldReportAPoolCallerSubcodeTheTableDoesNotList() {
        BugCheck bc = thrownIn(new BugCheck(BugCheckCode.BAD_POOL_CALLER, 0x77, 0, 0, 0, ""), "ExFreePoolWithTag",
                "dev.offkern.runtime.pool.Pool");
        assertFalse(Outcome.classify(bc, false).allowed());
    }

    @Test
    void shouldReportANullPointerExceptionWhenNoJavaNullWasPassed() {
        NullPointerException npe = thrownIn(new NullPointerException("Cannot invoke"), "ExAllocatePool2",
                "dev.offkern.runtime.pool.PageAllocator");
        assertFalse(Outcome.classify(npe, false).allowed());
        assertTrue(Outcome.classify(npe, true).allowed());
    }

    @Test
    void shouldReportFfmsAlreadyClosedException() {
        IllegalStateException ise = thrownIn(new IllegalStateException("Already closed"), "ExQueryDepthSList",
                "jdk.internal.foreign.MemorySessionImpl");
        Outcome o = Outcome.classify(ise, false);
        assertFalse(o.allowed());
        assertTrue(o.signature().contains("from jdk.internal.foreign.MemorySessionImpl"), o.signature());
    }

    @Test
    void shouldAllowOffkernsOwnClosedKernelException() {
        IllegalStateException ise = thrownIn(new IllegalStateException("this offkern kernel is closed"), "ExQueryDepthSList",
                "dev.offkern.runtime.Kernel");
        assertEquals(Outcome.Kind.CLOSED, Outcome.classify(ise, false).kind());
    }

    @Test
    void shouldReportAnIndexOutOfBoundsExceptionEvenFromOffkern() {
        IndexOutOfBoundsException e = thrownIn(new IndexOutOfBoundsException("5"), "ExAllocatePool2",
                "dev.offkern.runtime.pool.Pool");
        assertFalse(Outcome.classify(e, false).allowed());
    }

    @Test
    void shouldAllowStatusesAndClearArgumentErrors() {
        assertTrue(Outcome.classify(thrownIn(new NtStatusException(NtStatus.STATUS_INVALID_PARAMETER, "x"), "ExAllocatePool2",
                "dev.offkern.ddi.Ex"), false).allowed());
        assertTrue(Outcome.classify(thrownIn(new IllegalArgumentException("Type 7 is not an EVENT_TYPE"), "ExAllocatePool2",
                "dev.offkern.runtime.ke.KeEvent"), false).allowed());
        assertFalse(Outcome.classify(thrownIn(new IllegalArgumentException("Misaligned access at address"), "ExAllocatePool2",
                "jdk.internal.foreign.AbstractMemorySegmentImpl"), false).allowed());
    }

    @Test
    void shouldReportErrors() {
        assertFalse(Outcome.classify(thrownIn(new StackOverflowError(), "ExAllocatePool2", "dev.offkern.runtime.pool.Pool"),
                false).allowed());
    }

    @Test
    void shouldNameTheOutermostDdiRoutine() {
        IllegalArgumentException e = new IllegalArgumentException("bad");
        e.setStackTrace(new StackTraceElement[] {
            new StackTraceElement("dev.offkern.runtime.ex.ExSList", "push", null, 1),
            new StackTraceElement("dev.offkern.ddi.Ex", "InterlockedPushEntrySList", null, 2),
            new StackTraceElement("dev.offkern.ddi.Ex", "ExInterlockedPushEntrySList", null, 3),
            new StackTraceElement("dev.offkern.tests.fuzz.SListOps", "push", null, 4),
        });
        assertEquals("ExInterlockedPushEntrySList", Outcome.routineOf(e));
    }

    @Test
    void shouldFileEveryRoutineNameRuleUnderItsFamily() {
        assertEquals(Family.SLIST, Family.of("RtlFirstEntrySList"));
        assertEquals(Family.BITMAP, Family.of("RtlFindClearBits"));
        assertEquals(Family.RUN_ONCE, Family.of("RtlRunOnceExecuteOnce"));
        assertEquals(Family.LOOKASIDE, Family.of("ExFreeToNPagedLookasideList"));
        assertEquals(Family.PROCESSOR_STATE, Family.of("KeSaveExtendedProcessorState"));
        assertEquals(Family.IRQL, Family.of("KeGetCurrentProcessorNumberEx"));
    }
}
