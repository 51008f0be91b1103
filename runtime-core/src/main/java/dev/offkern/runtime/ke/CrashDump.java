package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.KBUGCHECK_DUMP_IO;
import dev.offkern.nt.KBUGCHECK_BUFFER_DUMP_STATE;
import dev.offkern.nt.KBUGCHECK_DUMP_IO_TYPE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.runtime.mm.Region;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The offkern dump file: writer. Format (documented in {@code docs/dump-format.md}; read by
 * {@link CrashDumpFile}): a 64-byte header (magic {@code OFFKDUMP}, version, stop code, four
 * parameters, time) followed by sections ({@code u32 type, u32 reserved, u64 length, payload}),
 * all little-endian, ending with an END section.
 *
 * <p>Writes, in order, each passed to every KbCallbackDumpIo callback (a KBUGCHECK_DUMP_IO in
 * registered kernel memory, Offset -1 = sequential, Buffer = a registered copy of the bytes):
 * the header (KbDumpIoHeader), one write per body section (KbDumpIoBody), one per secondary-data
 * block (KbDumpIoSecondaryData), the END trailer (KbDumpIoSecondaryData: it closes the
 * secondary-data phase and carries bug checks nested during the DumpIo calls), then one call with
 * Buffer NULL, BufferLength 0 and KbDumpIoComplete.
 */
public final class CrashDump {
    public static final byte[] MAGIC = "OFFKDUMP".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION_MAJOR = 1;
    public static final int VERSION_MINOR = 0;
    public static final int HEADER_SIZE = 64;

    public static final int SECTION_SYSTEM = 1;
    public static final int SECTION_NESTED = 2;
    public static final int SECTION_CALLBACK = 3;
    public static final int SECTION_REASON_CALLBACK = 4;
    public static final int SECTION_ADDED_PAGES = 5;
    public static final int SECTION_REMOVED_PAGES = 6;
    public static final int SECTION_CONTRIBUTION = 7;
    public static final int SECTION_NOTE = 8;
    public static final int SECTION_SECONDARY = 16;
    public static final int SECTION_END = 255;

    /** Header flag: the kernel was halted (HALT policy). */
    public static final int FLAG_HALTED = 1;

    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private CrashDump() {
    }

    /** Builds and writes the dump of {@code report}; records the file (or the failure) in the report. */
    static void write(KernelCore kernel, BugCheckReport report, BugCheckCallbacks callbacks, List<DumpContributor> contributors) {
        report.setPhase("dump");
        List<Write> writes = new ArrayList<>();
        writes.add(new Write(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoHeader, header(report)));
        writes.add(new Write(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoBody, section(SECTION_SYSTEM, system(kernel, report))));
        for (BugCheckReport.CallbackOutcome c : report.callbacks()) {
            Out o = new Out();
            o.u64(c.record()).str(c.component()).u32(c.state()).str(c.failure()).bytes(c.buffer());
            writes.add(new Write(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoBody, section(SECTION_CALLBACK, o)));
        }
        for (BugCheckReport.ReasonOutcome c : report.reasonCallbacks()) {
            Out o = new Out();
            o.u64(c.record()).str(c.component()).u32(c.reason()).u32(c.state()).str(c.failure());
            writes.add(new Write(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoBody, section(SECTION_REASON_CALLBACK, o)));
        }
        for (BugCheckReport.PageRange p : report.addedPages()) {
            byte[] data = dropRemoved(p, report.removedPages());
            Out o = new Out();
            o.str(p.component()).u64(p.address()).u64(p.pageCount()).u32(p.flags()).str(p.note()).bytes(data);
            writes.add(new Write(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoBody, section(SECTION_ADDED_PAGES, o)));
        }
        for (BugCheckReport.PageRange p : report.removedPages()) {
            Out o = new Out();
            o.str(p.component()).u64(p.address()).u64(p.pageCount()).u32(p.flags());
            writes.add(new Write(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoBody, section(SECTION_REMOVED_PAGES, o)));
        }
        for (DumpContributor c : contributors) {
            String text;
            try {
                text = c.contents().get();
            } catch (Throwable t) {
                text = "<contributor failed: " + t + ">";
            }
            Out o = new Out();
            o.str(c.name()).str(text);
            writes.add(new Write(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoBody, section(SECTION_CONTRIBUTION, o)));
        }
        writes.add(new Write(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoBody, section(SECTION_NESTED, nested(report.nested(), report.nestedDropped()))));
        for (String note : report.notes()) {
            writes.add(new Write(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoBody, section(SECTION_NOTE, new Out().str(note))));
        }
        for (BugCheckReport.SecondaryBlock b : report.secondaryBlocks()) {
            Out o = new Out();
            o.str(b.component()).raw(b.guid()).str(b.note()).bytes(b.data());
            writes.add(new Write(KBUGCHECK_DUMP_IO_TYPE.KbDumpIoSecondaryData, section(SECTION_SECONDARY, o)));
        }
        int nestedBefore = report.nested().size();

        Path dir = kernel.dumpDirectory();
        Path file = dir.resolve("offkern-" + NAME_TIME.format(Instant.ofEpochMilli(report.timeMillis()))
                + String.format("-%08X-%d.dmp", report.bugCheck().code(), SEQUENCE.incrementAndGet()));
        List<BugCheckCallbacks.Registration> dumpIo = callbacks.dumpIoCallbacks(report);
        String[] dumpIoFailure = new String[dumpIo.size()];
        for (BugCheckCallbacks.Registration r : dumpIo) {
            BugCheckCallbacks.setDumpIoState(r, KBUGCHECK_BUFFER_DUMP_STATE.BufferStarted);
        }
        long size = 0;
        for (Write w : writes) {
            size += w.bytes.length;
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment copy = scratch.allocate(Math.max(1, maxLength(writes) + 4096), 16);
            MemorySegment io = scratch.allocate(KBUGCHECK_DUMP_IO.LAYOUT.byteSize(), 16);
            Region copyRegion = kernel.addressSpace().register(copy, "dump write buffer");
            Region ioRegion = kernel.addressSpace().register(io, "KBUGCHECK_DUMP_IO");
            try {
                Files.createDirectories(dir);
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    long offset = 0;
                    for (Write w : writes) {
                        offset += writeAll(ch, w.bytes);
                        mirror(callbacks, dumpIo, dumpIoFailure, copy, io, w.type, w.bytes);
                    }
                    // Trailer: bug checks nested during the DumpIo calls above, then END.
                    List<BugCheckReport.Nested> late = report.nested().subList(nestedBefore, report.nested().size());
                    Out end = new Out();
                    end.u32(writes.size() - 1).u64(offset);
                    Out lateOut = nested(new ArrayList<>(late), 0);
                    end.raw(lateOut.toByteArray());
                    byte[] trailer = section(SECTION_END, end);
                    writeAll(ch, trailer);
                    mirror(callbacks, dumpIo, dumpIoFailure, copy, io, KBUGCHECK_DUMP_IO_TYPE.KbDumpIoSecondaryData, trailer);
                    ch.force(true);
                }
                mirror(callbacks, dumpIo, dumpIoFailure, copy, io, KBUGCHECK_DUMP_IO_TYPE.KbDumpIoComplete, null);
                report.dumpWritten(file);
            } catch (IOException | RuntimeException e) {
                report.dumpFailed(e.toString());
            } finally {
                kernel.addressSpace().unregister(copyRegion);
                kernel.addressSpace().unregister(ioRegion);
            }
        }
        for (int i = 0; i < dumpIo.size(); i++) {
            BugCheckCallbacks.Registration r = dumpIo.get(i);
            BugCheckCallbacks.setDumpIoState(r, dumpIoFailure[i] == null ? KBUGCHECK_BUFFER_DUMP_STATE.BufferFinished
                    : KBUGCHECK_BUFFER_DUMP_STATE.BufferIncomplete);
        }
        report.setPhase("done");
    }

    private static void mirror(BugCheckCallbacks callbacks, List<BugCheckCallbacks.Registration> dumpIo, String[] failures,
                               MemorySegment copy, MemorySegment io, int type, byte[] bytes) {
        if (dumpIo.isEmpty()) {
            return;
        }
        for (int i = 0; i < dumpIo.size(); i++) {
            io.set(JAVA_LONG, KBUGCHECK_DUMP_IO.OFFSET_OFFSET, -1L); // sequential writing
            if (bytes == null) {
                io.set(JAVA_LONG, KBUGCHECK_DUMP_IO.BUFFER_OFFSET, 0L);
                io.set(JAVA_INT, KBUGCHECK_DUMP_IO.BUFFER_LENGTH_OFFSET, 0);
            } else {
                MemorySegment.copy(bytes, 0, copy, JAVA_BYTE, 0, bytes.length); // fresh per callback: one cannot alter the next one's view
                io.set(JAVA_LONG, KBUGCHECK_DUMP_IO.BUFFER_OFFSET, copy.address());
                io.set(JAVA_INT, KBUGCHECK_DUMP_IO.BUFFER_LENGTH_OFFSET, bytes.length);
            }
            io.set(JAVA_INT, KBUGCHECK_DUMP_IO.TYPE_OFFSET, type);
            String f = callbacks.callDumpIo(dumpIo.get(i), io);
            if (f != null && failures[i] == null) {
                failures[i] = f;
            }
        }
    }

    private static long writeAll(FileChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
        return bytes.length;
    }

    private static int maxLength(List<Write> writes) {
        int m = 0;
        for (Write w : writes) {
            m = Math.max(m, w.bytes.length);
        }
        return m;
    }

    private static byte[] dropRemoved(BugCheckReport.PageRange p, List<BugCheckReport.PageRange> removed) {
        byte[] data = p.data().clone();
        for (int page = 0; page * (long) BugCheckCallbacks.PAGE_SIZE < data.length; page++) {
            long va = p.address() + (long) page * BugCheckCallbacks.PAGE_SIZE;
            for (BugCheckReport.PageRange r : removed) {
                if ((r.flags() & BugCheckCallbacks.KB_REMOVE_PAGES_FLAG_VIRTUAL_ADDRESS) != 0 && va >= r.address()
                        && va < r.address() + r.pageCount() * BugCheckCallbacks.PAGE_SIZE) {
                    java.util.Arrays.fill(data, page * BugCheckCallbacks.PAGE_SIZE,
                            Math.min(data.length, (page + 1) * BugCheckCallbacks.PAGE_SIZE), (byte) 0);
                }
            }
        }
        return data;
    }

    private static byte[] header(BugCheckReport report) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC);
        b.putShort((short) VERSION_MAJOR).putShort((short) VERSION_MINOR);
        b.putInt(HEADER_SIZE);
        b.putInt(report.bugCheck().code());
        b.putInt(report.policy() == dev.offkern.nt.BugCheckPolicy.HALT ? FLAG_HALTED : 0);
        b.putLong(report.bugCheck().parameter1()).putLong(report.bugCheck().parameter2())
                .putLong(report.bugCheck().parameter3()).putLong(report.bugCheck().parameter4());
        b.putLong(report.timeMillis());
        return b.array();
    }

    private static Out system(KernelCore kernel, BugCheckReport report) {
        Out o = new Out();
        o.str(report.threadName()).u64(report.threadId()).u32(report.processor()).u32(report.irql())
                .str(report.policy().name()).u32(kernel.processorCount()).str(report.bugCheck().getMessage());
        return o;
    }

    private static Out nested(List<BugCheckReport.Nested> nested, int dropped) {
        Out o = new Out();
        o.u32(nested.size());
        for (BugCheckReport.Nested n : nested) {
            o.u32(n.code()).u64(n.p1()).u64(n.p2()).u64(n.p3()).u64(n.p4()).str(n.phase()).str(n.message());
        }
        o.u32(dropped);
        return o;
    }

    private static byte[] section(int type, Out payload) {
        byte[] p = payload.toByteArray();
        ByteBuffer b = ByteBuffer.allocate(16 + p.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putInt(0).putLong(p.length).put(p);
        return b.array();
    }

    private record Write(int type, byte[] bytes) {
    }

    /** Little-endian payload builder. */
    static final class Out {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Out u32(int v) {
            scratch.clear();
            scratch.putInt(v);
            bytes.write(scratch.array(), 0, 4);
            return this;
        }

        Out u64(long v) {
            scratch.clear();
            scratch.putLong(v);
            bytes.write(scratch.array(), 0, 8);
            return this;
        }

        Out str(String s) {
            byte[] b = (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
            u32(b.length);
            bytes.write(b, 0, b.length);
            return this;
        }

        Out bytes(byte[] b) {
            u32(b.length);
            bytes.write(b, 0, b.length);
            return this;
        }

        Out raw(byte[] b) {
            bytes.write(b, 0, b.length);
            return this;
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
