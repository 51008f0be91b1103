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
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
    private final List<DecodedDumpSection> decoded;
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
        this.decoded = decode(sections);
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

    /** The major and minor format version of the file, e.g. {@code {1, 0}}. */
    public int[] version() {
        return new int[] {versionMajor, versionMinor};
    }

    /** Every section's decoded fields, in file order (see {@link DecodedDumpSection}). */
    public List<DecodedDumpSection> decodedSections() {
        return decoded;
    }

    /** A human-readable rendering of the whole dump. */
    public String toText() {
        return text;
    }

    /**
     * Decodes every section's fields; decoding each known section here is what validates its fields.
     */
    private static List<DecodedDumpSection> decode(List<Section> sections) {
        List<DecodedDumpSection> decoded = new ArrayList<>();
        for (Section s : sections) {
            In in = new In(s);
            Map<String, Object> f = new LinkedHashMap<>();
            switch (s.type()) {
                case CrashDump.SECTION_SYSTEM -> {
                    f.put("thread", in.str("thread name"));
                    f.put("threadId", in.u64("thread id"));
                    f.put("processor", in.u32("processor"));
                    f.put("irql", in.u32("IRQL"));
                    f.put("policy", in.str("policy"));
                    f.put("processorCount", in.u32("processor count"));
                    f.put("message", in.str("message"));
                }
                case CrashDump.SECTION_CALLBACK -> {
                    f.put("record", in.u64("record"));
                    f.put("component", in.str("Component"));
                    long state = in.u32("State");
                    f.put("state", state);
                    f.put("stateName", KBUGCHECK_BUFFER_DUMP_STATE.name((int) state));
                    f.put("failure", in.str("failure"));
                    f.put("buffer", in.bytes("Buffer"));
                }
                case CrashDump.SECTION_REASON_CALLBACK -> {
                    f.put("record", in.u64("record"));
                    f.put("component", in.str("Component"));
                    long reason = in.u32("Reason");
                    f.put("reason", reason);
                    f.put("reasonName", KBUGCHECK_CALLBACK_REASON.name((int) reason));
                    long state = in.u32("State");
                    f.put("state", state);
                    f.put("stateName", KBUGCHECK_BUFFER_DUMP_STATE.name((int) state));
                    f.put("failure", in.str("failure"));
                }
                case CrashDump.SECTION_ADDED_PAGES -> {
                    f.put("component", in.str("Component"));
                    f.put("address", in.u64("Address"));
                    f.put("pageCount", in.u64("page count"));
                    f.put("flags", in.u32("Flags"));
                    f.put("note", in.str("note"));
                    f.put("pages", in.bytes("pages"));
                }
                case CrashDump.SECTION_REMOVED_PAGES -> {
                    f.put("component", in.str("Component"));
                    f.put("address", in.u64("Address"));
                    f.put("pageCount", in.u64("page count"));
                    f.put("flags", in.u32("Flags"));
                }
                case CrashDump.SECTION_CONTRIBUTION -> {
                    f.put("name", in.str("name"));
                    f.put("text", in.str("text"));
                }
                case CrashDump.SECTION_NOTE -> f.put("remark", in.str("remark"));
                case CrashDump.SECTION_NESTED -> nested(f, in);
                case CrashDump.SECTION_SECONDARY -> {
                    f.put("component", in.str("Component"));
                    f.put("guid", guid(in.raw("GUID", 16)));
                    f.put("note", in.str("note"));
                    f.put("data", in.bytes("data"));
                }
                case CrashDump.SECTION_END -> {
                    f.put("writes", in.u32("number of writes"));
                    f.put("trailerOffset", in.u64("trailer offset"));
                    nested(f, in);
                }
                default -> f.put("size", (long) s.payload().length);
            }
            decoded.add(new DecodedDumpSection(sectionName(s.type()), s.offset(), Collections.unmodifiableMap(f)));
        }
        return List.copyOf(decoded);
    }

    /** Renders the decoded dump as text. */
    private String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "offkern dump v%d.%d%n", versionMajor, versionMinor));
        sb.append(String.format(Locale.ROOT, "BugCheck %08X (%016X, %016X, %016X, %016X) %s%n", code,
                parameters[0], parameters[1], parameters[2], parameters[3], BugCheckCode.name(code)));
        sb.append("Time: ").append(Instant.ofEpochMilli(timeMillis)).append(halted() ? "  (kernel halted)" : "  (thrown to caller)").append('\n');
        for (DecodedDumpSection d : decoded) {
            Map<String, Object> f = d.fields();
            switch (d.type()) {
                case "SYSTEM" -> sb.append(String.format(Locale.ROOT,
                        "System: thread '%s' (id %d) on processor %d at IRQL %d, policy %s, %d processors%n  %s%n",
                        f.get("thread"), f.get("threadId"), f.get("processor"), f.get("irql"), f.get("policy"),
                        f.get("processorCount"), f.get("message")));
                case "CALLBACK" -> {
                    byte[] buf = (byte[]) f.get("buffer");
                    String failure = (String) f.get("failure");
                    sb.append(String.format(Locale.ROOT, "Callback '%s' record %016X state %s%s, buffer %d bytes%n",
                            f.get("component"), f.get("record"), f.get("stateName"),
                            failure.isEmpty() ? "" : " (" + failure + ")", buf.length));
                    hex(sb, buf);
                }
                case "REASON_CALLBACK" -> {
                    String failure = (String) f.get("failure");
                    sb.append(String.format(Locale.ROOT, "Reason callback '%s' record %016X %s state %s%s%n",
                            f.get("component"), f.get("record"), f.get("reasonName"), f.get("stateName"),
                            failure.isEmpty() ? "" : " (" + failure + ")"));
                }
                case "ADDED_PAGES" -> {
                    String note = (String) f.get("note");
                    sb.append(String.format(Locale.ROOT, "Added pages '%s' %016X x %d (flags %X) %d bytes%s%n",
                            f.get("component"), f.get("address"), f.get("pageCount"), f.get("flags"),
                            ((byte[]) f.get("pages")).length, note.isEmpty() ? "" : " (" + note + ")"));
                }
                case "REMOVED_PAGES" -> sb.append(String.format(Locale.ROOT, "Removed pages '%s' %016X x %d (flags %X)%n",
                        f.get("component"), f.get("address"), f.get("pageCount"), f.get("flags")));
                case "CONTRIBUTION" -> sb.append("Section '").append(f.get("name")).append("':\n  ")
                        .append(((String) f.get("text")).stripTrailing().replace("\n", "\n  ")).append('\n');
                case "NOTE" -> sb.append("Note: ").append(f.get("remark")).append('\n');
                case "NESTED" -> nestedText(sb, f, "Nested bug checks");
                case "SECONDARY" -> {
                    byte[] data = (byte[]) f.get("data");
                    String note = (String) f.get("note");
                    sb.append(String.format(Locale.ROOT, "Secondary data '%s' GUID %s, %d bytes%s%n", f.get("component"),
                            f.get("guid"), data.length, note.isEmpty() ? "" : " (" + note + ")"));
                    hex(sb, data);
                }
                case "END" -> {
                    sb.append(String.format(Locale.ROOT, "End: %d writes before the trailer (header included), trailer at offset %d%n",
                            f.get("writes"), f.get("trailerOffset")));
                    nestedText(sb, f, "Nested bug checks during dump I/O");
                }
                default -> sb.append(String.format(Locale.ROOT, "Unknown section type %s, %d bytes%n",
                        d.type().substring("type ".length()), f.get("size")));
            }
        }
        return sb.toString();
    }

    /** Smallest encoded nested bug check: code, 4 parameters, two empty strings. */
    private static final int MIN_NESTED_ENTRY = 4 + 4 * 8 + 4 + 4;

    /** Decodes a nested bug-check list into {@code nested} (a list of entries) and {@code dropped}. */
    private static void nested(Map<String, Object> f, In in) {
        long n = in.u32("nested count");
        in.checkCount("nested count", n, MIN_NESTED_ENTRY);
        List<Map<String, Object>> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String entry = "nested[" + i + "] ";
            Map<String, Object> e = new LinkedHashMap<>();
            long c = in.u32(entry + "code");
            e.put("code", c);
            e.put("codeName", BugCheckCode.name((int) c));
            e.put("parameters", List.of(in.u64(entry + "parameter 1"), in.u64(entry + "parameter 2"),
                    in.u64(entry + "parameter 3"), in.u64(entry + "parameter 4")));
            e.put("phase", in.str(entry + "phase"));
            e.put("message", in.str(entry + "message"));
            entries.add(Collections.unmodifiableMap(e));
        }
        f.put("nested", List.copyOf(entries));
        f.put("dropped", in.u32("dropped count"));
    }

    @SuppressWarnings("unchecked")
    private static void nestedText(StringBuilder sb, Map<String, Object> f, String title) {
        List<Map<String, Object>> entries = (List<Map<String, Object>>) f.get("nested");
        sb.append(title).append(": ").append(entries.size()).append('\n');
        for (Map<String, Object> e : entries) {
            List<Long> p = (List<Long>) e.get("parameters");
            sb.append(String.format(Locale.ROOT, "  %08X (%X, %X, %X, %X) %s during %s%n", e.get("code"), p.get(0), p.get(1),
                    p.get(2), p.get(3), e.get("codeName"), e.get("phase")));
        }
        long dropped = (Long) f.get("dropped");
        if (dropped != 0) {
            sb.append("  (+").append(dropped).append(" more not recorded)\n");
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

        /** An unsigned 32-bit field, widened without sign. */
        long u32(String field) {
            need(field, 4);
            return Integer.toUnsignedLong(b.getInt());
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
            long n = u32(field + " length");
            if (n > b.remaining()) {
                throw damaged(field, at, "its length says " + n + " bytes, " + b.remaining() + " remain in the section");
            }
            return raw(field, (int) n);
        }

        byte[] raw(String field, int n) {
            need(field, n);
            byte[] r = new byte[n];
            b.get(r);
            return r;
        }

        /** Refuses a count of entries that cannot fit in what remains, at {@code minEntry} bytes each. */
        void checkCount(String field, long n, int minEntry) {
            if (n * minEntry > b.remaining()) {
                throw damaged(field, payloadOffset + b.position() - 4, "it says " + n + " entries of at least "
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
