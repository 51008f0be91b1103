package dev.offkern.runtime.ke;

import dev.offkern.nt.KBUGCHECK_CALLBACK_REASON;
import dev.offkern.nt.KBUGCHECK_CALLBACK_ROUTINE;
import dev.offkern.nt.KBUGCHECK_REASON_CALLBACK_ROUTINE;
import static dev.offkern.ddi.Ke.*;
import static dev.offkern.nt.KBUGCHECK_BUFFER_DUMP_STATE.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheck;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registration and deregistration on the byte-exact x64 records. */
class BugCheckCallbackTest {
    @TempDir
    Path dumps;
    Kernel kernel;
    Arena arena;

    @BeforeEach
    void boot() {
        kernel = KernelFixture.boot(dumps);
        arena = Arena.ofShared();
    }

    @AfterEach
    void close() {
        kernel.close();
        arena.close();
    }

    private MemorySegment record() {
        MemorySegment r = arena.allocate(0x40, 8);
        r.fill((byte) 0xCC);
        KeInitializeCallbackRecord(r);
        return r;
    }

    /** A reason record with garbage in every byte: KeRegisterBugCheckReasonCallback initialises it. */
    private MemorySegment reasonRecord() {
        MemorySegment r = arena.allocate(0x30, 8);
        r.fill((byte) 0xCC);
        return r;
    }

    private MemorySegment ansi(String s) {
        return arena.allocateFrom(s);
    }

    @Test
    void shouldInitializeStateToBufferEmptyOnACallbackRecord() {
        MemorySegment r = record();
        assertEquals(BufferEmpty, r.get(JAVA_BYTE, 0x38));
        assertEquals((byte) 0xCC, r.get(JAVA_BYTE, 0x30), "the macro writes State only");
    }

    @Test
    void shouldRefuseToInitializeASegmentTooSmallForACallbackRecordNamingTheReasonRecordRule() {
        MemorySegment rr = arena.allocate(0x30, 8);
        rr.fill((byte) 0xCC);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeInitializeCallbackRecord(rr));
        assertTrue(e.getMessage().contains("KeRegisterBugCheckReasonCallback initialises it"), e.getMessage());
        assertEquals((byte) 0xCC, rr.get(JAVA_BYTE, 0x2C), "nothing written");
    }

    @Test
    void shouldWriteStateAtTheCallbackRecordOffsetEvenInALargerSegment() {
        MemorySegment big = arena.allocate(0x80, 8);
        big.fill((byte) 0xCC);
        KeInitializeCallbackRecord(big);
        assertEquals(BufferEmpty, big.get(JAVA_BYTE, 0x38));
        assertEquals((byte) 0xCC, big.get(JAVA_BYTE, 0x2C), "no reason-record State written by guessing from the size");
    }

    @Test
    void shouldInitializeAReasonRecordWhenRegisteringItWhateverItHeld() {
        MemorySegment rr = reasonRecord(); // 0xCC everywhere: State 0xCC is not BufferEmpty
        KBUGCHECK_REASON_CALLBACK_ROUTINE routine = (reason, rec, data, len) -> { };
        assertTrue(KeRegisterBugCheckReasonCallback(rr, routine, KBUGCHECK_CALLBACK_REASON.KbCallbackSecondaryDumpData, ansi("R")));
        assertEquals(BufferInserted, rr.get(JAVA_BYTE, 0x2C));
        assertEquals(KBUGCHECK_CALLBACK_REASON.KbCallbackSecondaryDumpData, rr.get(JAVA_INT, 0x28));
        assertFalse(KeRegisterBugCheckReasonCallback(rr, routine, KBUGCHECK_CALLBACK_REASON.KbCallbackSecondaryDumpData, ansi("R")),
                "already registered");
        assertTrue(KeDeregisterBugCheckReasonCallback(rr));
        assertEquals(BufferEmpty, rr.get(JAVA_BYTE, 0x2C));
    }

    @Test
    void shouldStoreFieldsChecksumAndStateWhenRegistering() {
        MemorySegment r = record();
        MemorySegment buf = arena.allocate(32);
        MemorySegment comp = ansi("MyDriver");
        KBUGCHECK_CALLBACK_ROUTINE routine = (b, l) -> { };
        assertTrue(KeRegisterBugCheckCallback(r, routine, buf, 32, comp));
        long stub = r.get(JAVA_LONG, 0x10);
        assertNotEquals(0L, stub);
        assertSame(routine, kernel.bugChecks().callbacks().routineAt(stub), "the routine field maps back to the Java routine");
        assertEquals(buf.address(), r.get(JAVA_LONG, 0x18));
        assertEquals(32, r.get(JAVA_INT, 0x20));
        assertEquals(comp.address(), r.get(JAVA_LONG, 0x28));
        assertEquals(stub + buf.address() + 32 + comp.address(), r.get(JAVA_LONG, 0x30));
        assertEquals(BufferInserted, r.get(JAVA_BYTE, 0x38));
    }

    @Test
    void shouldStoreReasonChecksumAsRoutinePlusReasonPlusComponent() {
        MemorySegment r = reasonRecord();
        MemorySegment comp = ansi("R");
        assertTrue(KeRegisterBugCheckReasonCallback(r, (a, b, c, d) -> { }, KBUGCHECK_CALLBACK_REASON.KbCallbackDumpIo, comp));
        long stub = r.get(JAVA_LONG, 0x10);
        assertEquals(comp.address(), r.get(JAVA_LONG, 0x18));
        assertEquals(KBUGCHECK_CALLBACK_REASON.KbCallbackDumpIo, r.get(JAVA_INT, 0x28));
        assertEquals(stub + 3 + comp.address(), r.get(JAVA_LONG, 0x20));
        assertEquals(BufferInserted, r.get(JAVA_BYTE, 0x2C));
    }

    @Test
    void shouldLinkRecordsAtTheTailOfACircularList() {
        MemorySegment a = record();
        MemorySegment b = record();
        MemorySegment c = record();
        KBUGCHECK_CALLBACK_ROUTINE routine = (x, y) -> { };
        KeRegisterBugCheckCallback(a, routine, MemorySegment.NULL, 0, MemorySegment.NULL);
        KeRegisterBugCheckCallback(b, routine, MemorySegment.NULL, 0, MemorySegment.NULL);
        KeRegisterBugCheckCallback(c, routine, MemorySegment.NULL, 0, MemorySegment.NULL);
        assertEquals(a.get(JAVA_LONG, 0x10), b.get(JAVA_LONG, 0x10), "one stub per routine");
        long head = a.get(JAVA_LONG, 8);
        assertTrue(kernel.addressSpace().isValid(head, 16), "the list head is registered kernel memory");
        assertEquals(b.address(), a.get(JAVA_LONG, 0));
        assertEquals(c.address(), b.get(JAVA_LONG, 0));
        assertEquals(head, c.get(JAVA_LONG, 0));
        assertEquals(a.address(), b.get(JAVA_LONG, 8));
        assertEquals(b.address(), c.get(JAVA_LONG, 8));
        MemorySegment headSeg = kernel.addressSpace().resolve(head, 16);
        assertEquals(a.address(), headSeg.get(JAVA_LONG, 0));
        assertEquals(c.address(), headSeg.get(JAVA_LONG, 8));

        assertTrue(KeDeregisterBugCheckCallback(b));
        assertEquals(BufferEmpty, b.get(JAVA_BYTE, 0x38));
        assertEquals(c.address(), a.get(JAVA_LONG, 0));
        assertEquals(a.address(), c.get(JAVA_LONG, 8));
        assertTrue(KeDeregisterBugCheckCallback(a));
        assertTrue(KeDeregisterBugCheckCallback(c));
        assertEquals(head, headSeg.get(JAVA_LONG, 0), "empty list points at itself");
        assertEquals(head, headSeg.get(JAVA_LONG, 8));
    }

    @Test
    void shouldRefuseToRegisterARecordTwice() {
        MemorySegment r = record();
        assertTrue(KeRegisterBugCheckCallback(r, (x, y) -> { }, MemorySegment.NULL, 0, MemorySegment.NULL));
        assertFalse(KeRegisterBugCheckCallback(r, (x, y) -> { }, MemorySegment.NULL, 0, MemorySegment.NULL));
        MemorySegment rr = reasonRecord();
        assertTrue(KeRegisterBugCheckReasonCallback(rr, (a, b, c, d) -> { }, 2, MemorySegment.NULL));
        assertFalse(KeRegisterBugCheckReasonCallback(rr, (a, b, c, d) -> { }, 2, MemorySegment.NULL));
    }

    @Test
    void shouldReturnFalseWhenDeregisteringARecordNotRegistered() {
        MemorySegment r = record();
        assertFalse(KeDeregisterBugCheckCallback(r));
        assertTrue(KeRegisterBugCheckCallback(r, (x, y) -> { }, MemorySegment.NULL, 0, MemorySegment.NULL));
        assertTrue(KeDeregisterBugCheckCallback(r));
        assertFalse(KeDeregisterBugCheckCallback(r));
        MemorySegment rr = reasonRecord();
        assertFalse(KeDeregisterBugCheckReasonCallback(rr));
        assertTrue(KeRegisterBugCheckReasonCallback(rr, (a, b, c, d) -> { }, 3, MemorySegment.NULL));
        assertTrue(KeDeregisterBugCheckReasonCallback(rr));
        assertFalse(KeDeregisterBugCheckReasonCallback(rr));
    }

    @Test
    void shouldAllowReRegistrationAfterDeregistration() {
        MemorySegment r = record();
        KBUGCHECK_CALLBACK_ROUTINE routine = (x, y) -> { };
        assertTrue(KeRegisterBugCheckCallback(r, routine, MemorySegment.NULL, 0, MemorySegment.NULL));
        assertTrue(KeDeregisterBugCheckCallback(r));
        assertTrue(KeRegisterBugCheckCallback(r, routine, MemorySegment.NULL, 0, MemorySegment.NULL));
    }

    @Test
    void shouldRejectBadRecordsRoutinesAndBuffersWithClearErrors() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> KeRegisterBugCheckCallback(arena.allocate(0x30, 8), (x, y) -> { }, MemorySegment.NULL, 0, MemorySegment.NULL));
        assertTrue(small.getMessage().contains("0x40"), small.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> KeRegisterBugCheckCallback(MemorySegment.NULL, (x, y) -> { }, MemorySegment.NULL, 0, MemorySegment.NULL));
        assertThrows(NullPointerException.class, () -> KeRegisterBugCheckCallback(record(), null, MemorySegment.NULL, 0, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class,
                () -> KeRegisterBugCheckCallback(record(), (x, y) -> { }, arena.allocate(8), 16, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class,
                () -> KeRegisterBugCheckCallback(arena.allocate(0x48, 8).asSlice(4, 0x40), (x, y) -> { }, MemorySegment.NULL, 0, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class,
                () -> KeRegisterBugCheckReasonCallback(reasonRecord(), (a, b, c, d) -> { }, 9, MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class,
                () -> KeRegisterBugCheckCallback(MemorySegment.ofArray(new byte[0x40]), (x, y) -> { }, MemorySegment.NULL, 0, MemorySegment.NULL));
    }

    @Test
    void shouldNotCallADeregisteredCallback() {
        MemorySegment r = record();
        int[] calls = new int[1];
        KeRegisterBugCheckCallback(r, (x, y) -> calls[0]++, MemorySegment.NULL, 0, MemorySegment.NULL);
        KeDeregisterBugCheckCallback(r);
        assertThrows(BugCheck.class, () -> KeBugCheck(0xE2));
        assertEquals(0, calls[0]);
    }

    @Test
    void shouldSkipARecordWhoseChecksumNoLongerMatches() {
        MemorySegment r = record();
        MemorySegment good = record();
        int[] calls = new int[2];
        KeRegisterBugCheckCallback(r, (x, y) -> calls[0]++, MemorySegment.NULL, 0, MemorySegment.NULL);
        KeRegisterBugCheckCallback(good, (x, y) -> calls[1]++, MemorySegment.NULL, 0, MemorySegment.NULL);
        r.set(JAVA_INT, 0x20, 99); // Length corrupted after registration
        assertThrows(BugCheck.class, () -> KeBugCheck(0xE2));
        assertEquals(0, calls[0]);
        assertEquals(1, calls[1]);
        BugCheckReport rep = kernel.bugChecks().last();
        assertTrue(rep.callbacks().get(0).failure().contains("Checksum"));
        assertEquals(BufferInserted, r.get(JAVA_BYTE, 0x38), "a skipped record keeps its state");
    }

    @Test
    void shouldStopTheWalkAtACorruptBackLinkAndNoteIt() {
        MemorySegment a = record();
        MemorySegment b = record();
        int[] calls = new int[2];
        KeRegisterBugCheckCallback(a, (x, y) -> calls[0]++, MemorySegment.NULL, 0, MemorySegment.NULL);
        KeRegisterBugCheckCallback(b, (x, y) -> calls[1]++, MemorySegment.NULL, 0, MemorySegment.NULL);
        b.set(JAVA_LONG, 8, 0x1234_5678L); // b.Blink corrupt
        assertThrows(BugCheck.class, () -> KeBugCheck(0xE2));
        assertEquals(1, calls[0]);
        assertEquals(0, calls[1]);
        assertTrue(kernel.bugChecks().last().notes().stream().anyMatch(n -> n.contains("corrupt")),
                kernel.bugChecks().last().notes().toString());
    }

    @Test
    void shouldStoreARealFunctionPointerThatNativeCodeCanCall() throws Throwable {
        MemorySegment r = record();
        MemorySegment buf = arena.allocate(16);
        var region = kernel.addressSpace().register(buf, "callback buffer");
        int[] seen = new int[1];
        KeRegisterBugCheckCallback(r, (b, l) -> {
            seen[0] = l;
            b.set(JAVA_INT, 0, 0x600D);
        }, buf, 16, MemorySegment.NULL);
        long stub = r.get(JAVA_LONG, 0x10);
        var downcall = java.lang.foreign.Linker.nativeLinker().downcallHandle(MemorySegment.ofAddress(stub),
                java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.ADDRESS, JAVA_INT));
        downcall.invokeExact(MemorySegment.ofAddress(buf.address()), 16); // as native code would call the routine
        assertEquals(16, seen[0]);
        assertEquals(0x600D, buf.get(JAVA_INT, 0), "the stub resolved Buffer through the address space");
        kernel.addressSpace().unregister(region);
    }
}
