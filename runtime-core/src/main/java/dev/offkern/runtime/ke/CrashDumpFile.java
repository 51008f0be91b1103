package dev.offkern.runtime.ke;

import dev.offkern.nt.KBUGCHECK_BUFFER_DUMP_STATE;
import dev.offkern.nt.KBUGCHECK_CALLBACK_REASON;
import dev.offkern.nt.BugCheckCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * An offkern dump file, read back ({@link #read}) and printed ({@link #toText}).
 *
 * <p>The reader never trusts the file: it refuses a file larger than a cap ({@link #MAX_FILE_BYTES}
 * by default) before reading it — from its size when it is a regular file, or after reading at most
 * cap + 1 bytes when it is not (a pipe, {@code /dev/zero}) — and checks the magic as soon as the
 * header's first bytes arrive. {@link #parse} then checks the magic, the major version and every
 * length against the file, and decodes every section of a known type, so that a damaged file fails
 * there, not later while printing. Every damage raises {@link IllegalArgumentException} with a
 * one-line message saying what was wrong and where: for a field cut short, the section, its file
 * offset, the field's name and the field's file offset.
 */
public final class CrashDumpFile {
    /** The default size cap of {@link #read(Path)}: 256 MiB. */
    public static final long MAX_FILE_BYTES = 256L << 20;

    /** One section: its file offset (of the section header), type and payload. */
    public record Section(long offset, int type, byte[] payload) {
    }

    private final int versionMajor;
    private final int versionMinor;
    private final int code;
    private final int flags;
    private final long[] parameters;
    private final long timeMillis;
    private final List<Section> sections;
    private final String text;

    private CrashDumpFile(int versionMajor, int versionMinor, int code, int flags, long[] parameters, long timeMillis,
                          List<Section> sections) {
        this.versionMajor = versionMajor;
        this.versionMinor = versionMinor;
        this.code = code;
        this.flags = flags;
        this.parameters = parameters;
        this.timeMillis = timeMillis;
        this.sections = sections;
        this.text = render();
    }

    /** Reads and validates {@code file}, refusing files over {@link #MAX_FILE_BYTES}. */
    public static CrashDumpFile read(Path file) throws IOException {
        return read(file, MAX_FILE_BYTES);
    }

    /**
     * Reads and validates {@code file}, refusing it when it is larger than {@code maxBytes}: a
     * regular file by its size before anything is read, anything else (a pipe, a device) after at
     * most {@code maxBytes + 1} bytes.
     *
     * @throws IOException the file cannot be opened or read (missing, a directory, no permission)
     * @throws TooLargeException the file is larger than {@code maxBytes}
     * @throws IllegalArgumentException the file is not a valid dump
     */
    public static CrashDumpFile read(Path file, long maxBytes) throws IOException {
        if (maxBytes < CrashDump.HEADER_SIZE || maxBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("the size cap must be between " + CrashDump.HEADER_SIZE + " and "
                    + (Integer.MAX_VALUE - 16) + " bytes, not " + maxBytes);
        }
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (attributes.isDirectory()) {
            throw new IOException("is a directory");
        }
        if (attributes.isRegularFile() && attributes.size() > maxBytes) {
            throw new TooLargeException(attributes.size() + " bytes", maxBytes);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return parse(readAtMost(in, maxBytes));
        }
    }

    /**
     * Reads {@code in} to its end, or fails once more than {@code maxBytes} have arrived; the magic
     * is checked as soon as the header's first 8 bytes are in, so an endless stream of anything
     * else is refused at once.
     */
    static byte[] readAtMost(InputStream in, long maxBytes) throws IOException {
        byte[] head = in.readNBytes(CrashDump.HEADER_SIZE);
        if (head.length >= CrashDump.MAGIC.length) {
            checkMagic(head);
        }
        if (head.length < CrashDump.HEADER_SIZE) {
            return head;
        }
        byte[] rest = in.readNBytes((int) (maxBytes - head.length + 1));
        if (head.length + (long) rest.length > maxBytes) {
            throw new TooLargeException("more than that (stopped reading after " + (maxBytes + 1) + " bytes)", maxBytes);
        }
        byte[] all = Arrays.copyOf(head, head.length + rest.length);
        System.arraycopy(rest, 0, all, head.length, rest.length);
        return all;
    }

    /** The file is larger than the reader's size cap (it may be a valid dump). */
    public static final class TooLargeException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        TooLargeException(String size, long maxBytes) {
            super("the limit is " + maxBytes + " bytes" + (maxBytes % (1 << 20) == 0 ? " (" + (maxBytes >> 20) + " MiB)" : "")
                    + ", the file is " + size);
        }
    }

    private static void checkMagic(byte[] bytes) {
        if (!Arrays.equals(bytes, 0, CrashDump.MAGIC.length, CrashDump.MAGIC, 0, CrashDump.MAGIC.length)) {
            throw new IllegalArgumentException("the first 8 bytes are not the magic OFFKDUMP");
        }
    }

    /**
     * Parses dump bytes: the header, every section's bounds, and the fields of every section of a
     * known type.
     */
    public static CrashDumpFile parse(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < CrashDump.HEADER_SIZE) {
            if (bytes.length >= CrashDump.MAGIC.length) {
                checkMagic(bytes);
            }
            throw new IllegalArgumentException("only " + bytes.length + " bytes; the header alone is " + CrashDump.HEADER_SIZE);
        }
        checkMagic(bytes);
        b.position(CrashDump.MAGIC.length);
        int major = b.getShort() & 0xFFFF;
        int minor = b.getShort() & 0xFFFF;
        if (major != CrashDump.VERSION_MAJOR) {
            throw new IllegalArgumentException("unsupported offkern dump version " + major + "." + minor
                    + " (this reader reads version " + CrashDump.VERSION_MAJOR + ".x)");
        }
        int headerSize = b.getInt();
        if (headerSize < CrashDump.HEADER_SIZE || headerSize > bytes.length) {
            throw new IllegalArgumentException("bad header size " + Integer.toUnsignedString(headerSize) + " at offset 12: at least "
                    + CrashDump.HEADER_SIZE + " and at most the file's " + bytes.length + " bytes");
        }
        int code = b.getInt();
        int flags = b.getInt();
        long[] p = {b.getLong(), b.getLong(), b.getLong(), b.getLong()};
        long time = b.getLong();
        b.position(headerSize);
        List<Section> sections = new ArrayList<>();
        boolean ended = false;
        while (b.hasRemaining()) {
            int at = b.position();
            if (b.remaining() < 16) {
                throw new IllegalArgumentException("truncated section header at offset " + at + ": 16 bytes needed, " + b.remaining() + " remain");
            }
            int type = b.getInt();
            b.getInt();
            long len = b.getLong();
            if (len < 0 || len > b.remaining()) {
                throw new IllegalArgumentException(sectionName(type) + " section at offset " + at + " claims "
                        + Long.toUnsignedString(len) + " bytes; " + b.remaining() + " remain");
            }
            byte[] payload = new byte[(int) len];
            b.get(payload);
            sections.add(new Section(at, type, payload));
            if (type == CrashDump.SECTION_END) {
                ended = true;
                break;
            }
        }
        if (!ended) {
            throw new IllegalArgumentException("no END section: the file stops after " + sections.size() + " sections at offset " + b.position() + " (truncated?)");
        }
        return new CrashDumpFile(major, minor, code, flags, p, time, List.copyOf(sections));
    }

    /** The name of section type {@code type} as docs/dump-format.md names it ({@code type 9} if unknown). */
    static String sectionName(int type) {
        return switch (type) {
            case CrashDump.SECTION_SYSTEM -> "SYSTEM";
            case CrashDump.SECTION_NESTED -> "NESTED";
            case CrashDump.SECTION_CALLBACK -> "CALLBACK";
            case CrashDump.SECTION_REASON_CALLBACK -> "REASON_CALLBACK";
            case CrashDump.SECTION_ADDED_PAGES -> "ADDED_PAGES";
            case CrashDump.SECTION_REMOVED_PAGES -> "REMOVED_PAGES";
            case CrashDump.SECTION_CONTRIBUTION -> "CONTRIBUTION";
            case CrashDump.SECTION_NOTE -> "NOTE";
            case CrashDump.SECTION_SECONDARY -> "SECONDARY";
            case CrashDump.SECTION_END -> "END";
            default -> "type " + Integer.toUnsignedString(type);
        };
    }

    public int code() {
        return code;
    }

    public long[] parameters() {
        return parameters.clone();
    }

    public long timeMillis() {
        return timeMillis;
    }

    public boolean halted() {
        return (flags & CrashDump.FLAG_HALTED) != 0;
    }

    public List<Section> sections() {
        return sections;
    }

    /** Sections of {@code type}. */
    public List<Section> sections(int type) {
        return sections.stream().filter(s -> s.type() == type).toList();
    }

    /** A human-readable rendering of the whole dump. */
    public String toText() {
        return text;
    }

    /** Renders the dump; decoding each known section here is what validates its fields. */
    private String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "offkern dump v%d.%d%n", versionMajor, versionMinor));
        sb.append(String.format(Locale.ROOT, "BugCheck %08X (%016X, %016X, %016X, %016X) %s%n", code,
                parameters[0], parameters[1], parameters[2], parameters[3], BugCheckCode.name(code)));
        sb.append("Time: ").append(Instant.ofEpochMilli(timeMillis)).append(halted() ? "  (kernel halted)" : "  (thrown to caller)").append('\n');
        for (Section s : sections) {
            In in = new In(s);
            switch (s.type()) {
                case CrashDump.SECTION_SYSTEM -> {
                    String thread = in.str("thread name");
                    long threadId = in.u64("thread id");
                    int processor = in.u32("processor");
                    int irql = in.u32("IRQL");
                    String policy = in.str("policy");
                    int processors = in.u32("processor count");
                    String message = in.str("message");
                    sb.append(String.format(Locale.ROOT,
                            "System: thread '%s' (id %d) on processor %d at IRQL %d, policy %s, %d processors%n  %s%n",
                            thread, threadId, processor, irql, policy, processors, message));
                }
                case CrashDump.SECTION_CALLBACK -> {
                    long rec = in.u64("record");
                    String comp = in.str("Component");
                    int state = in.u32("State");
                    String failure = in.str("failure");
                    byte[] buf = in.bytes("Buffer");
                    sb.append(String.format(Locale.ROOT, "Callback '%s' record %016X state %s%s, buffer %d bytes%n",
                            comp, rec, KBUGCHECK_BUFFER_DUMP_STATE.name(state), failure.isEmpty() ? "" : " (" + failure + ")", buf.length));
                    hex(sb, buf);
                }
                case CrashDump.SECTION_REASON_CALLBACK -> {
                    long rec = in.u64("record");
                    String comp = in.str("Component");
                    int reason = in.u32("Reason");
                    int state = in.u32("State");
                    String failure = in.str("failure");
                    sb.append(String.format(Locale.ROOT, "Reason callback '%s' record %016X %s state %s%s%n", comp, rec,
                            KBUGCHECK_CALLBACK_REASON.name(reason), KBUGCHECK_BUFFER_DUMP_STATE.name(state),
                            failure.isEmpty() ? "" : " (" + failure + ")"));
                }
                case CrashDump.SECTION_ADDED_PAGES -> {
                    String comp = in.str("Component");
                    long addr = in.u64("Address");
                    long count = in.u64("page count");
                    int fl = in.u32("Flags");
                    String note = in.str("note");
                    byte[] data = in.bytes("pages");
                    sb.append(String.format(Locale.ROOT, "Added pages '%s' %016X x %d (flags %X) %d bytes%s%n", comp, addr, count, fl,
                            data.length, note.isEmpty() ? "" : " (" + note + ")"));
                }
                case CrashDump.SECTION_REMOVED_PAGES -> {
                    String comp = in.str("Component");
                    long addr = in.u64("Address");
                    long count = in.u64("page count");
                    int fl = in.u32("Flags");
                    sb.append(String.format(Locale.ROOT, "Removed pages '%s' %016X x %d (flags %X)%n", comp, addr, count, fl));
                }
                case CrashDump.SECTION_CONTRIBUTION -> {
                    String name = in.str("name");
                    String body = in.str("text");
                    sb.append("Section '").append(name).append("':\n  ").append(body.stripTrailing().replace("\n", "\n  ")).append('\n');
                }
                case CrashDump.SECTION_NOTE -> sb.append("Note: ").append(in.str("remark")).append('\n');
                case CrashDump.SECTION_NESTED -> nested(sb, in, "Nested bug checks");
                case CrashDump.SECTION_SECONDARY -> {
                    String comp = in.str("Component");
                    byte[] guid = in.raw("GUID", 16);
                    String note = in.str("note");
                    byte[] data = in.bytes("data");
                    sb.append(String.format(Locale.ROOT, "Secondary data '%s' GUID %s, %d bytes%s%n", comp, guid(guid), data.length,
                            note.isEmpty() ? "" : " (" + note + ")"));
                    hex(sb, data);
                }
                case CrashDump.SECTION_END -> {
                    int count = in.u32("number of writes");
                    long offset = in.u64("trailer offset");
                    sb.append(String.format(Locale.ROOT, "End: %d writes before the trailer (header included), trailer at offset %d%n", count, offset));
                    nested(sb, in, "Nested bug checks during dump I/O");
                }
                default -> sb.append(String.format(Locale.ROOT, "Unknown section type %d, %d bytes%n", s.type(), s.payload().length));
            }
        }
        return sb.toString();
    }

    /** Smallest encoded nested bug check: code, 4 parameters, two empty strings. */
    private static final int MIN_NESTED_ENTRY = 4 + 4 * 8 + 4 + 4;

    private static void nested(StringBuilder sb, In in, String title) {
        int n = in.u32("nested count");
        in.checkCount("nested count", n, MIN_NESTED_ENTRY);
        sb.append(title).append(": ").append(n).append('\n');
        for (int i = 0; i < n; i++) {
            String entry = "nested[" + i + "] ";
            int c = in.u32(entry + "code");
            long p1 = in.u64(entry + "parameter 1");
            long p2 = in.u64(entry + "parameter 2");
            long p3 = in.u64(entry + "parameter 3");
            long p4 = in.u64(entry + "parameter 4");
            String phase = in.str(entry + "phase");
            in.str(entry + "message");
            sb.append(String.format(Locale.ROOT, "  %08X (%X, %X, %X, %X) %s during %s%n", c, p1, p2, p3, p4, BugCheckCode.name(c), phase));
        }
        int dropped = in.u32("dropped count");
        if (dropped != 0) {
            sb.append("  (+").append(Integer.toUnsignedString(dropped)).append(" more not recorded)\n");
        }
    }

    /** The GUID in registry format from its 16 bytes (Data1..3 little-endian). */
    public static String guid(byte[] g) {
        ByteBuffer b = ByteBuffer.wrap(g).order(ByteOrder.LITTLE_ENDIAN);
        int d1 = b.getInt();
        int d2 = b.getShort() & 0xFFFF;
        int d3 = b.getShort() & 0xFFFF;
        HexFormat h = HexFormat.of().withUpperCase();
        return String.format(Locale.ROOT, "{%08X-%04X-%04X-%s-%s}", d1, d2, d3, h.formatHex(g, 8, 10), h.formatHex(g, 10, 16));
    }

    private static void hex(StringBuilder sb, byte[] data) {
        int shown = Math.min(data.length, 256);
        HexFormat h = HexFormat.ofDelimiter(" ").withUpperCase();
        for (int i = 0; i < shown; i += 16) {
            int end = Math.min(shown, i + 16);
            StringBuilder ascii = new StringBuilder();
            for (int j = i; j < end; j++) {
                int c = data[j] & 0xFF;
                ascii.append(c >= 0x20 && c < 0x7F ? (char) c : '.');
            }
            sb.append(String.format(Locale.ROOT, "  %04X  %-47s  %s%n", i, h.formatHex(data, i, end), ascii));
        }
        if (shown < data.length) {
            sb.append("  ... ").append(data.length - shown).append(" more bytes\n");
        }
    }

    /**
     * Little-endian reader of one section's payload. Every read names its field; a field that runs
     * past the payload's end raises {@link IllegalArgumentException} naming the section, its file
     * offset, the field and the field's file offset.
     */
    static final class In {
        private final ByteBuffer b;
        private final String section;
        private final long sectionOffset;
        /** File offset of the payload's first byte (the section header is 16 bytes). */
        private final long payloadOffset;

        In(Section s) {
            b = ByteBuffer.wrap(s.payload()).order(ByteOrder.LITTLE_ENDIAN);
            section = sectionName(s.type());
            sectionOffset = s.offset();
            payloadOffset = s.offset() + 16;
        }

        int u32(String field) {
            need(field, 4);
            return b.getInt();
        }

        long u64(String field) {
            need(field, 8);
            return b.getLong();
        }

        String str(String field) {
            return new String(bytes(field), StandardCharsets.UTF_8);
        }

        /** A {@code u32 length} + bytes field. */
        byte[] bytes(String field) {
            long at = payloadOffset + b.position();
            int n = u32(field + " length");
            if (n < 0 || n > b.remaining()) {
                throw damaged(field, at, "its length says " + Integer.toUnsignedString(n) + " bytes, " + b.remaining() + " remain in the section");
            }
            return raw(field, n);
        }

        byte[] raw(String field, int n) {
            need(field, n);
            byte[] r = new byte[n];
            b.get(r);
            return r;
        }

        /** Refuses a count of entries that cannot fit in what remains, at {@code minEntry} bytes each. */
        void checkCount(String field, int n, int minEntry) {
            if (n < 0 || (long) n * minEntry > b.remaining()) {
                throw damaged(field, payloadOffset + b.position() - 4, "it says " + Integer.toUnsignedString(n) + " entries of at least "
                        + minEntry + " bytes, " + b.remaining() + " bytes remain in the section");
            }
        }

        private void need(String field, int n) {
            if (b.remaining() < n) {
                throw damaged(field, payloadOffset + b.position(), "cut short: " + n + " bytes needed, " + b.remaining() + " remain in the section");
            }
        }

        private IllegalArgumentException damaged(String field, long at, String what) {
            return new IllegalArgumentException(section + " section at offset " + sectionOffset + ": field '" + field
                    + "' at offset " + at + " " + what);
        }
    }
}
