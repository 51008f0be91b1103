package dev.offkern.runtime.ke;

import dev.offkern.nt.KBUGCHECK_CALLBACK_ROUTINE;
import dev.offkern.nt.KBUGCHECK_DUMP_IO_TYPE;
import dev.offkern.nt.KBUGCHECK_REASON_CALLBACK_ROUTINE;
import static dev.offkern.ddi.Ke.*;
import static dev.offkern.nt.KBUGCHECK_BUFFER_DUMP_STATE.*;
import static dev.offkern.nt.KBUGCHECK_CALLBACK_REASON.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.runtime.Kernel;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KeBugCheckEx end to end: callbacks, reason callbacks, dump, policies, nesting. */
class BugCheckTest {
    static final byte[] GUID = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

    @TempDir
    Path dumps;
    Kernel kernel;
    final Arena arena = Arena.ofShared();

    @AfterEach
    void close() {
        if (kernel != null) {
            kernel.close();
        }
        arena.close();
    }

    MemorySegment record() {
        MemorySegment r = arena.allocate(0x40, 8);
        KeInitializeCallbackRecord(r);
        return r;
    }

    MemorySegment reasonRecord() {
        return arena.allocate(0x30, 8); // KeRegisterBugCheckReasonCallback initialises it
    }

    @Test
    void shouldRunEveryCallbackOnceEvenWhenOneThrowsAndWriteTheDump() throws Exception {
        kernel = KernelFixture.boot(dumps);
        int[] calls = new int[3];
        int[] irqlSeen = new int[3];
        MemorySegment[] bufs = new MemorySegment[3];
        for (int i = 0; i < 3; i++) {
            int idx = i;
            bufs[i] = arena.allocate(8);
            KBUGCHECK_CALLBACK_ROUTINE routine = (buffer, length) -> {
                calls[idx]++;
                irqlSeen[idx] = KeGetCurrentIrql();
                if (idx == 1) {
                    throw new IllegalStateException("callback 1 fails");
                }
                buffer.setString(0, "cb" + idx);
                assertEquals(8, length);
            };
            assertTrue(KeRegisterBugCheckCallback(record(), routine, bufs[i], 8, arena.allocateFrom("Drv" + i)));
        }
        KeRaiseIrql(Irql.APC_LEVEL);
        BugCheck bc = assertThrows(BugCheck.class, () -> KeBugCheckEx(0xDEAD, 1, 2, 3, 4));
        assertEquals(0xDEAD, bc.code());
        assertArrayEquals(new long[] {1, 2, 3, 4}, bc.parameters());
        assertArrayEquals(new int[] {1, 1, 1}, calls, "each callback once");
        assertArrayEquals(new int[] {15, 15, 15}, irqlSeen, "callbacks run at HIGH_LEVEL");
        assertEquals(Irql.APC_LEVEL, KeGetCurrentIrql(), "THROW restores the caller's IRQL");
        KeLowerIrql(Irql.PASSIVE_LEVEL);

        BugCheckReport r = kernel.bugChecks().last();
        assertEquals(List.of(BufferFinished, BufferIncomplete, BufferFinished),
                r.callbacks().stream().map(BugCheckReport.CallbackOutcome::state).toList());
        assertTrue(r.callbacks().get(1).failure().contains("callback 1 fails"));
        assertNotNull(r.dumpFile());
        assertTrue(r.dumpFile().startsWith(dumps));
        CrashDumpFile f = CrashDumpFile.read(r.dumpFile());
        assertEquals(0xDEAD, f.code());
        assertArrayEquals(new long[] {1, 2, 3, 4}, f.parameters());
        assertEquals(r.timeMillis(), f.timeMillis());
        String text = f.toText();
        assertTrue(text.contains("Callback 'Drv0'") && text.contains("BufferFinished"), text);
        assertTrue(text.contains("cb0") && text.contains("cb2"), "the callbacks' buffers are in the dump:\n" + text);
        assertTrue(text.contains("callback 1 fails"), text);
        assertEquals(3, f.sections(CrashDump.SECTION_CALLBACK).size());
    }

    @Test
    void shouldCollectSecondaryDumpDataInTwoPhasesFromInBufferAndFromAResidentBuffer() throws Exception {
        kernel = KernelFixture.boot(dumps);
        List<Long> outOnEntry = new ArrayList<>();
        KBUGCHECK_REASON_CALLBACK_ROUTINE inBuf = (reason, rec, data, len) -> {
            assertEquals(KbCallbackSecondaryDumpData, reason);
            assertEquals((int) dev.offkern.layout.ke.KBUGCHECK_SECONDARY_DUMP_DATA.LAYOUT.byteSize(), len);
            long in = data.get(JAVA_LONG, 0);
            assertEquals(BugCheckCallbacks.SECONDARY_IN_BUFFER_LENGTH, data.get(JAVA_INT, 8));
            assertEquals(BugCheckCallbacks.SECONDARY_MAXIMUM_ALLOWED, data.get(JAVA_INT, 0xC));
            long out = data.get(JAVA_LONG, 0x20);
            outOnEntry.add(out);
            MemorySegment.copy(MemorySegment.ofArray(GUID), 0, data, 0x10, 16);
            if (out == 0) {
                data.set(JAVA_LONG, 0x20, in); // size query: use the system's InBuffer
                data.set(JAVA_INT, 0x28, 5);
            } else {
                assertEquals(in, out, "data request: OutBuffer == InBuffer");
                kernel.addressSpace().resolve(in, 5).copyFrom(MemorySegment.ofArray("hello".getBytes(StandardCharsets.US_ASCII)));
                data.set(JAVA_INT, 0x28, 5);
            }
        };
        MemorySegment resident = arena.allocate(6000);
        var region = kernel.addressSpace().register(resident, "driver resident buffer");
        for (int i = 0; i < resident.byteSize(); i++) {
            resident.set(JAVA_BYTE, i, (byte) (i % 251));
        }
        KBUGCHECK_REASON_CALLBACK_ROUTINE own = (reason, rec, data, len) -> {
            byte[] g = GUID.clone();
            g[0] = 99;
            MemorySegment.copy(MemorySegment.ofArray(g), 0, data, 0x10, 16);
            data.set(JAVA_LONG, 0x20, resident.address());
            data.set(JAVA_INT, 0x28, (int) resident.byteSize());
        };
        MemorySegment r1 = reasonRecord();
        MemorySegment r2 = reasonRecord();
        assertTrue(KeRegisterBugCheckReasonCallback(r1, inBuf, KbCallbackSecondaryDumpData, arena.allocateFrom("Small")));
        assertTrue(KeRegisterBugCheckReasonCallback(r2, own, KbCallbackSecondaryDumpData, arena.allocateFrom("Big")));
        assertThrows(BugCheck.class, () -> KeBugCheckEx(0x1234, 0, 0, 0, 0));
        assertEquals(2, outOnEntry.size());
        assertEquals(0L, outOnEntry.get(0), "phase 1: OutBuffer NULL");
        assertEquals(BufferFinished, kernel.bugChecks().last().reasonCallbacks().get(0).state());
        assertEquals(BufferInserted, r1.get(JAVA_BYTE, 0x2C), "THROW re-arms the record");
        BugCheckReport rep = kernel.bugChecks().last();
        assertEquals(2, rep.secondaryBlocks().size());
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), rep.secondaryBlocks().get(0).data());
        assertArrayEquals(GUID, rep.secondaryBlocks().get(0).guid());
        assertArrayEquals(resident.toArray(JAVA_BYTE), rep.secondaryBlocks().get(1).data());
        CrashDumpFile f = CrashDumpFile.read(rep.dumpFile());
        assertEquals(2, f.sections(CrashDump.SECTION_SECONDARY).size());
        String text = f.toText();
        assertTrue(text.contains("{04030201-0605-0807-090A-0B0C0D0E0F10}"), text);
        assertTrue(text.contains("Secondary data 'Big'") && text.contains("6000 bytes"), text);
        kernel.addressSpace().unregister(region);
    }

    @Test
    void shouldNoteASecondaryOutBufferThatIsNotResidentKernelMemory() throws Exception {
        kernel = KernelFixture.boot(dumps);
        MemorySegment unregistered = arena.allocate(64);
        KeRegisterBugCheckReasonCallback(reasonRecord(), (reason, rec, data, len) -> {
            data.set(JAVA_LONG, 0x20, unregistered.address());
            data.set(JAVA_INT, 0x28, 64);
        }, KbCallbackSecondaryDumpData, MemorySegment.NULL);
        assertThrows(BugCheck.class, () -> KeBugCheck(1));
        BugCheckReport.SecondaryBlock b = kernel.bugChecks().last().secondaryBlocks().get(0);
        assertEquals(0, b.data().length);
        assertTrue(b.note().contains("not resident"), b.note());
    }

    @Test
    void shouldLetDumpIoCallbacksSeeEveryWriteInOrder() throws Exception {
        kernel = KernelFixture.boot(dumps);
        KeRegisterBugCheckReasonCallback(reasonRecord(), (reason, rec, data, len) -> {
            data.set(JAVA_LONG, 0x20, data.get(JAVA_LONG, 0));
            data.set(JAVA_INT, 0x28, 3);
            if (data.get(JAVA_LONG, 0x20) != 0) {
                kernel.addressSpace().resolve(data.get(JAVA_LONG, 0), 3).setString(0, "ab");
            }
        }, KbCallbackSecondaryDumpData, arena.allocateFrom("Sec"));
        ByteArrayOutputStream mirror = new ByteArrayOutputStream();
        List<Integer> types = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        List<Long> completeBuffer = new ArrayList<>();
        MemorySegment dio = reasonRecord();
        KeRegisterBugCheckReasonCallback(dio, (reason, rec, data, len) -> {
            assertEquals(KbCallbackDumpIo, reason);
            assertEquals((int) dev.offkern.layout.ke.KBUGCHECK_DUMP_IO.LAYOUT.byteSize(), len);
            assertEquals(dio.address(), rec.address(), "Record is the registered record");
            offsets.add(data.get(JAVA_LONG, 0));
            long buffer = data.get(JAVA_LONG, 8);
            int length = data.get(JAVA_INT, 0x10);
            int type = data.get(JAVA_INT, 0x14);
            types.add(type);
            if (type == KBUGCHECK_DUMP_IO_TYPE.KbDumpIoComplete) {
                completeBuffer.add(buffer);
                completeBuffer.add((long) length);
            } else {
                mirror.writeBytes(kernel.addressSpace().resolve(buffer, length).toArray(JAVA_BYTE));
            }
        }, KbCallbackDumpIo, arena.allocateFrom("Mirror"));
        KeRegisterBugCheckCallback(record(), (b, l) -> { }, MemorySegment.NULL, 0, arena.allocateFrom("Simple"));
        assertThrows(BugCheck.class, () -> KeBugCheckEx(0x77, 7, 0, 0, 0));
        BugCheckReport rep = kernel.bugChecks().last();
        assertArrayEquals(Files.readAllBytes(rep.dumpFile()), mirror.toByteArray(), "the mirror is byte-identical to the file");
        assertEquals(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoHeader, types.get(0));
        assertEquals(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoComplete, types.get(types.size() - 1));
        assertEquals(List.of(0L, 0L), completeBuffer, "Complete: Buffer NULL, BufferLength 0");
        int lastHeader = types.lastIndexOf(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoHeader);
        int firstBody = types.indexOf(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoBody);
        int lastBody = types.lastIndexOf(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoBody);
        int firstSecondary = types.indexOf(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoSecondaryData);
        assertTrue(lastHeader < firstBody && lastBody < firstSecondary, types.toString());
        assertTrue(offsets.stream().allMatch(o -> o == -1L), "sequential writes carry Offset -1");
        assertEquals(BufferInserted, dio.get(JAVA_BYTE, 0x2C), "THROW re-arms the record");
    }

    @Test
    void shouldAddVirtualPagesAcrossSeveralCallsPreservingContext() throws Exception {
        kernel = KernelFixture.boot(dumps);
        MemorySegment pages = arena.allocate(3 * 4096L, 4096);
        var region = kernel.addressSpace().register(pages, "pages to add");
        pages.asSlice(0, 4096).fill((byte) 0x11);
        pages.asSlice(4096, 4096).fill((byte) 0x22);
        pages.asSlice(8192, 4096).fill((byte) 0x33);
        List<Long> contexts = new ArrayList<>();
        KeRegisterBugCheckReasonCallback(reasonRecord(), (reason, rec, data, len) -> {
            assertEquals(KbCallbackAddPages, reason);
            assertEquals(0xBEEF, data.get(JAVA_INT, 0xC), "BugCheckCode");
            long ctx = data.get(JAVA_LONG, 0);
            contexts.add(ctx);
            if (ctx == 0) {
                data.set(JAVA_LONG, 0, 1);
                data.set(JAVA_INT, 8, BugCheckCallbacks.KB_ADD_PAGES_FLAG_VIRTUAL_ADDRESS | BugCheckCallbacks.KB_ADD_PAGES_FLAG_ADDITIONAL_RANGES_EXIST);
                data.set(JAVA_LONG, 0x10, pages.address());
                data.set(JAVA_LONG, 0x18, 1);
            } else {
                data.set(JAVA_INT, 8, BugCheckCallbacks.KB_ADD_PAGES_FLAG_VIRTUAL_ADDRESS);
                data.set(JAVA_LONG, 0x10, pages.address() + 4096);
                data.set(JAVA_LONG, 0x18, 2);
            }
        }, KbCallbackAddPages, arena.allocateFrom("Pager"));
        KeRegisterBugCheckReasonCallback(reasonRecord(), (reason, rec, data, len) -> {
            data.set(JAVA_INT, 8, BugCheckCallbacks.KB_REMOVE_PAGES_FLAG_VIRTUAL_ADDRESS);
            data.set(JAVA_LONG, 0x10, pages.address() + 8192);
            data.set(JAVA_LONG, 0x18, 1);
        }, KbCallbackRemovePages, arena.allocateFrom("Remover"));
        assertThrows(BugCheck.class, () -> KeBugCheck(0xBEEF));
        assertEquals(List.of(0L, 1L), contexts, "Context NULL first, then preserved");
        BugCheckReport rep = kernel.bugChecks().last();
        assertEquals(2, rep.addedPages().size());
        assertEquals(4096, rep.addedPages().get(0).data().length);
        assertEquals(0x11, rep.addedPages().get(0).data()[0]);
        assertEquals(1, rep.removedPages().size());
        CrashDumpFile f = CrashDumpFile.read(rep.dumpFile());
        assertEquals(2, f.sections(CrashDump.SECTION_ADDED_PAGES).size());
        assertEquals(1, f.sections(CrashDump.SECTION_REMOVED_PAGES).size());
        // the removed third page is zeroed in the second range's data
        byte[] second = rep.addedPages().get(1).data();
        assertEquals(0x22, second[0]);
        assertEquals(0x33, second[4096], "the report keeps what the callback added");
        String text = f.toText();
        assertTrue(text.contains("Removed pages 'Remover'"), text);
        kernel.addressSpace().unregister(region);
    }

    @Test
    void shouldRecordANestedBugCheckFromACallbackWithoutRecursion() throws Exception {
        kernel = KernelFixture.boot(dumps);
        int[] calls = new int[2];
        KeRegisterBugCheckCallback(record(), (b, l) -> {
            calls[0]++;
            KeBugCheckEx(0x4321, 9, 8, 7, 6);
        }, MemorySegment.NULL, 0, arena.allocateFrom("Nester"));
        KeRegisterBugCheckCallback(record(), (b, l) -> calls[1]++, MemorySegment.NULL, 0, arena.allocateFrom("After"));
        BugCheck bc = assertThrows(BugCheck.class, () -> KeBugCheckEx(0x1111, 0, 0, 0, 0));
        assertEquals(0x1111, bc.code(), "the caller sees the first bug check");
        assertArrayEquals(new int[] {1, 1}, calls);
        BugCheckReport rep = kernel.bugChecks().last();
        assertEquals(1, rep.nested().size());
        BugCheckReport.Nested n = rep.nested().get(0);
        assertEquals(0x4321, n.code());
        assertArrayEquals(new long[] {9, 8, 7, 6}, new long[] {n.p1(), n.p2(), n.p3(), n.p4()});
        assertEquals("callback Nester", n.phase());
        assertEquals(BufferIncomplete, rep.callbacks().get(0).state());
        String text = CrashDumpFile.read(rep.dumpFile()).toText();
        assertTrue(text.contains("Nested bug checks: 1") && text.contains("00004321"), text);
        assertEquals(1, Files.list(dumps).count(), "a nested bug check writes no dump of its own");
    }

    @Test
    void shouldRecordBugChecksNestedDuringDumpIoInTheTrailer() throws Exception {
        kernel = KernelFixture.boot(dumps);
        KeRegisterBugCheckReasonCallback(reasonRecord(), (reason, rec, data, len) -> {
            if (data.get(JAVA_INT, 0x14) == KBUGCHECK_DUMP_IO_TYPE.KbDumpIoHeader) {
                KeBugCheck(0x5555);
            }
        }, KbCallbackDumpIo, arena.allocateFrom("BadMirror"));
        assertThrows(BugCheck.class, () -> KeBugCheck(0x6666));
        CrashDumpFile f = CrashDumpFile.read(kernel.bugChecks().last().dumpFile());
        String text = f.toText();
        assertTrue(text.contains("Nested bug checks during dump I/O: 1") && text.contains("00005555"), text);
    }

    @Test
    void shouldHaltAfterTheDumpAndFailEveryLaterCallUnderHaltPolicy() throws Exception {
        kernel = KernelFixture.boot(dumps, BugCheckPolicy.HALT, true);
        int[] irqlInCallback = {-1};
        KeRegisterBugCheckCallback(record(), (b, l) -> irqlInCallback[0] = KeGetCurrentIrql(), MemorySegment.NULL, 0,
                arena.allocateFrom("StillCallable"));
        KernelHaltedException e = assertThrows(KernelHaltedException.class, () -> KeBugCheckEx(0xE2, 5, 0, 0, 0));
        assertEquals(Irql.HIGH_LEVEL, irqlInCallback[0], "the bug-checking thread may call in from callbacks");
        assertEquals(0xE2, e.code());
        assertArrayEquals(new long[] {5, 0, 0, 0}, e.parameters());
        assertNotNull(e.dumpFile());
        CrashDumpFile f = CrashDumpFile.read(Path.of(e.dumpFile()));
        assertTrue(f.halted());
        KernelHaltedException later = assertThrows(KernelHaltedException.class, () -> KeGetCurrentIrql());
        assertEquals(e.dumpFile(), later.dumpFile());
        assertTrue(later.getMessage().contains("MANUALLY_INITIATED_CRASH"), later.getMessage());
        assertThrows(KernelHaltedException.class, () -> KeRegisterBugCheckCallback(record(), (b, l) -> { },
                MemorySegment.NULL, 0, MemorySegment.NULL));
        assertThrows(KernelHaltedException.class, () -> KeBugCheck(1), "a second bug check after the halt fails fast");
        assertThrows(KernelHaltedException.class, () -> kernel.ensureRunning());
    }

    @Test
    void shouldLeaveRecordStatesForInspectionUnderHaltPolicy() {
        kernel = KernelFixture.boot(dumps, BugCheckPolicy.HALT, true);
        MemorySegment ok = record();
        MemorySegment bad = record();
        MemorySegment dio = reasonRecord();
        KeRegisterBugCheckCallback(ok, (b, l) -> { }, MemorySegment.NULL, 0, MemorySegment.NULL);
        KeRegisterBugCheckCallback(bad, (b, l) -> {
            throw new IllegalStateException("x");
        }, MemorySegment.NULL, 0, MemorySegment.NULL);
        KeRegisterBugCheckReasonCallback(dio, (a, b, c, d) -> { }, KbCallbackDumpIo, MemorySegment.NULL);
        assertThrows(KernelHaltedException.class, () -> KeBugCheck(0xE2));
        assertEquals(BufferFinished, ok.get(JAVA_BYTE, 0x38));
        assertEquals(BufferIncomplete, bad.get(JAVA_BYTE, 0x38));
        assertEquals(BufferFinished, dio.get(JAVA_BYTE, 0x2C));
    }

    @Test
    void shouldMakeOtherThreadsFailFastWhileAHaltingBugCheckRuns() throws Exception {
        kernel = KernelFixture.boot(dumps, BugCheckPolicy.HALT, true);
        CompletableFuture<Throwable> other = new CompletableFuture<>();
        KeRegisterBugCheckCallback(record(), (b, l) -> {
            Thread t = new Thread(() -> {
                try {
                    KeGetCurrentIrql();
                    other.complete(null);
                } catch (Throwable x) {
                    other.complete(x);
                }
            });
            t.start();
            try {
                t.join();
            } catch (InterruptedException ex) {
                throw new RuntimeException(ex);
            }
        }, MemorySegment.NULL, 0, MemorySegment.NULL);
        assertThrows(KernelHaltedException.class, () -> KeBugCheck(0xE2));
        assertTrue(other.get(5, TimeUnit.SECONDS) instanceof KernelHaltedException);
    }

    @Test
    void shouldSerializeBugChecksOfTwoThreadsUnderThrowPolicy() throws Exception {
        kernel = KernelFixture.boot(dumps);
        int[] calls = new int[1];
        KeRegisterBugCheckCallback(record(), (b, l) -> {
            synchronized (calls) {
                calls[0]++;
            }
        }, MemorySegment.NULL, 0, MemorySegment.NULL);
        CompletableFuture<BugCheck> other = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                KeBugCheck(0x2);
            } catch (BugCheck bc) {
                other.complete(bc);
            }
        });
        t.start();
        assertThrows(BugCheck.class, () -> KeBugCheck(0x3));
        assertEquals(0x2, other.get(10, TimeUnit.SECONDS).code());
        assertEquals(2, calls[0], "the callback ran once per bug check");
        assertEquals(2, Files.list(dumps).count(), "one dump per bug check");
    }

    @Test
    void shouldIncludeContributedSectionsSuchAsThePoolTagSummary() throws Exception {
        kernel = KernelFixture.boot(dumps);
        kernel.bugChecks().addDumpContributor(new DumpContributor(BugChecks.POOL_TAG_SUMMARY, () -> "Tag  Allocs\nTest 3"));
        kernel.bugChecks().addDumpContributor(new DumpContributor("broken", () -> {
            throw new IllegalStateException("boom");
        }));
        assertThrows(BugCheck.class, () -> KeBugCheck(0xE2));
        String text = CrashDumpFile.read(kernel.bugChecks().last().dumpFile()).toText();
        assertTrue(text.contains("Section 'pool tag summary'") && text.contains("Test 3"), text);
        assertTrue(text.contains("contributor failed") && text.contains("boom"), text);
    }

    @Test
    void shouldRecordTheDumpFailureAndStillThrowWhenTheDirectoryIsUnwritable() throws Exception {
        Path file = dumps.resolve("not-a-directory");
        Files.writeString(file, "x");
        kernel = Kernel.boot(dev.offkern.runtime.KernelConfig.defaults().withProcessorCount(1).withDumpDirectory(file));
        BugCheck bc = assertThrows(BugCheck.class, () -> KeBugCheck(0xE2));
        assertEquals(0xE2, bc.code());
        assertNull(kernel.bugChecks().last().dumpFile());
        assertNotNull(kernel.bugChecks().last().dumpFailure());
    }

    @Test
    void shouldListReasonsOffkernDoesNotRunAsNotRun() throws Exception {
        kernel = KernelFixture.boot(dumps);
        int[] calls = new int[1];
        assertTrue(KeRegisterBugCheckReasonCallback(reasonRecord(), (a, b, c, d) -> calls[0]++, KbCallbackTriageDumpData,
                arena.allocateFrom("Triage")));
        assertThrows(BugCheck.class, () -> KeBugCheck(0xE2));
        assertEquals(0, calls[0]);
        BugCheckReport.ReasonOutcome o = kernel.bugChecks().last().reasonCallbacks().get(0);
        assertTrue(o.failure().contains("not run"), o.failure());
    }

    @Test
    void shouldWriteThePoolTagSummaryIntoEveryDump() throws Exception {
        kernel = KernelFixture.boot(dumps);
        MemorySegment block = dev.offkern.ddi.Ex.ExAllocatePool2(dev.offkern.nt.PoolFlags.POOL_FLAG_NON_PAGED, 100, 0x74736554);
        assertThrows(BugCheck.class, () -> KeBugCheck(0xE2));
        String text = CrashDumpFile.read(kernel.bugChecks().last().dumpFile()).toText();
        assertTrue(text.contains("Section 'pool tag summary'") && text.contains("Test"), text);
        dev.offkern.ddi.Ex.ExFreePoolWithTag(block, 0x74736554);
    }
}
