package dev.offkern.runtime.ke;

import dev.offkern.nt.KBUGCHECK_BUFFER_DUMP_STATE;
import dev.offkern.nt.KBUGCHECK_CALLBACK_REASON;
import dev.offkern.nt.BugCheckCode;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * An offkern dump file, read back ({@link #read}) and printed ({@link #toText}). The reader checks
 * the magic, the major version and every length against the file; a damaged file raises
 * {@link IllegalArgumentException} saying where.
 */
public final class CrashDumpFile {
    /** One section: its type and payload. */
    public record Section(int type, byte[] payload) {
    }

    private final int versionMajor;
    private final int versionMinor;
    private final int code;
    private final int flags;
    private final long[] parameters;
    private final long timeMillis;
    private final List<Section> sections;

    private CrashDumpFile(int versionMajor, int versionMinor, int code, int flags, long[] parameters, long timeMillis,
                          List<Section> sections) {
        this.versionMajor = versionMajor;
        this.versionMinor = versionMinor;
        this.code = code;
        this.flags = flags;
        this.parameters = parameters;
        this.timeMillis = timeMillis;
        this.sections = sections;
    }

    /** Reads and validates {@code file}. */
    public static CrashDumpFile read(Path file) throws IOException {
        return parse(Files.readAllBytes(file));
    }

    /** Parses dump bytes. */
    public static CrashDumpFile parse(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < CrashDump.HEADER_SIZE) {
            throw new IllegalArgumentException("not an offkern dump: " + bytes.length + " bytes, the header alone is " + CrashDump.HEADER_SIZE);
        }
        byte[] magic = new byte[8];
        b.get(magic);
        if (!Arrays.equals(magic, CrashDump.MAGIC)) {
            throw new IllegalArgumentException("not an offkern dump: magic is not OFFKDUMP");
        }
        int major = b.getShort() & 0xFFFF;
        int minor = b.getShort() & 0xFFFF;
        if (major != CrashDump.VERSION_MAJOR) {
            throw new IllegalArgumentException("unsupported offkern dump version " + major + "." + minor);
        }
        int headerSize = b.getInt();
        if (headerSize < CrashDump.HEADER_SIZE || headerSize > bytes.length) {
            throw new IllegalArgumentException("bad header size " + headerSize);
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
                throw new IllegalArgumentException("truncated section header at offset " + at);
            }
            int type = b.getInt();
            b.getInt();
            long len = b.getLong();
            if (len < 0 || len > b.remaining()) {
                throw new IllegalArgumentException("section at offset " + at + " claims " + len + " bytes; " + b.remaining() + " remain");
            }
            byte[] payload = new byte[(int) len];
            b.get(payload);
            sections.add(new Section(type, payload));
            if (type == CrashDump.SECTION_END) {
                ended = true;
                break;
            }
        }
        if (!ended) {
            throw new IllegalArgumentException("dump has no END section (truncated?)");
        }
        return new CrashDumpFile(major, minor, code, flags, p, time, List.copyOf(sections));
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
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "offkern dump v%d.%d%n", versionMajor, versionMinor));
        sb.append(String.format(Locale.ROOT, "BugCheck %08X (%016X, %016X, %016X, %016X) %s%n", code,
                parameters[0], parameters[1], parameters[2], parameters[3], BugCheckCode.name(code)));
        sb.append("Time: ").append(Instant.ofEpochMilli(timeMillis)).append(halted() ? "  (kernel halted)" : "  (thrown to caller)").append('\n');
        for (Section s : sections) {
            In in = new In(s.payload());
            switch (s.type()) {
                case CrashDump.SECTION_SYSTEM -> sb.append(String.format(Locale.ROOT,
                        "System: thread '%s' (id %d) on processor %d at IRQL %d, policy %s, %d processors%n  %s%n",
                        in.str(), in.u64(), in.u32(), in.u32(), in.str(), in.u32(), in.str()));
                case CrashDump.SECTION_CALLBACK -> {
                    long rec = in.u64();
                    String comp = in.str();
                    int state = in.u32();
                    String failure = in.str();
                    byte[] buf = in.bytes();
                    sb.append(String.format(Locale.ROOT, "Callback '%s' record %016X state %s%s, buffer %d bytes%n",
                            comp, rec, KBUGCHECK_BUFFER_DUMP_STATE.name(state), failure.isEmpty() ? "" : " (" + failure + ")", buf.length));
                    hex(sb, buf);
                }
                case CrashDump.SECTION_REASON_CALLBACK -> {
                    long rec = in.u64();
                    String comp = in.str();
                    int reason = in.u32();
                    int state = in.u32();
                    String failure = in.str();
                    sb.append(String.format(Locale.ROOT, "Reason callback '%s' record %016X %s state %s%s%n", comp, rec,
                            KBUGCHECK_CALLBACK_REASON.name(reason), KBUGCHECK_BUFFER_DUMP_STATE.name(state),
                            failure.isEmpty() ? "" : " (" + failure + ")"));
                }
                case CrashDump.SECTION_ADDED_PAGES -> {
                    String comp = in.str();
                    long addr = in.u64();
                    long count = in.u64();
                    int fl = in.u32();
                    String note = in.str();
                    byte[] data = in.bytes();
                    sb.append(String.format(Locale.ROOT, "Added pages '%s' %016X x %d (flags %X) %d bytes%s%n", comp, addr, count, fl,
                            data.length, note.isEmpty() ? "" : " (" + note + ")"));
                }
                case CrashDump.SECTION_REMOVED_PAGES -> sb.append(String.format(Locale.ROOT,
                        "Removed pages '%s' %016X x %d (flags %X)%n", in.str(), in.u64(), in.u64(), in.u32()));
                case CrashDump.SECTION_CONTRIBUTION -> sb.append("Section '").append(in.str()).append("':\n  ")
                        .append(in.str().stripTrailing().replace("\n", "\n  ")).append('\n');
                case CrashDump.SECTION_NOTE -> sb.append("Note: ").append(in.str()).append('\n');
                case CrashDump.SECTION_NESTED -> nested(sb, in, "Nested bug checks");
                case CrashDump.SECTION_SECONDARY -> {
                    String comp = in.str();
                    byte[] guid = in.raw(16);
                    String note = in.str();
                    byte[] data = in.bytes();
                    sb.append(String.format(Locale.ROOT, "Secondary data '%s' GUID %s, %d bytes%s%n", comp, guid(guid), data.length,
                            note.isEmpty() ? "" : " (" + note + ")"));
                    hex(sb, data);
                }
                case CrashDump.SECTION_END -> {
                    int count = in.u32();
                    long offset = in.u64();
                    sb.append(String.format(Locale.ROOT, "End: %d writes before the trailer (header included), trailer at offset %d%n", count, offset));
                    nested(sb, in, "Nested bug checks during dump I/O");
                }
                default -> sb.append(String.format(Locale.ROOT, "Unknown section type %d, %d bytes%n", s.type(), s.payload().length));
            }
        }
        return sb.toString();
    }

    private static void nested(StringBuilder sb, In in, String title) {
        int n = in.u32();
        sb.append(title).append(": ").append(n).append('\n');
        for (int i = 0; i < n; i++) {
            int c = in.u32();
            long p1 = in.u64();
            long p2 = in.u64();
            long p3 = in.u64();
            long p4 = in.u64();
            String phase = in.str();
            in.str();
            sb.append(String.format(Locale.ROOT, "  %08X (%X, %X, %X, %X) %s during %s%n", c, p1, p2, p3, p4, BugCheckCode.name(c), phase));
        }
        int dropped = in.u32();
        if (dropped > 0) {
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

    /** Little-endian payload reader with bounds checks. */
    static final class In {
        private final ByteBuffer b;

        In(byte[] payload) {
            b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        }

        int u32() {
            return b.getInt();
        }

        long u64() {
            return b.getLong();
        }

        String str() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        byte[] bytes() {
            int n = b.getInt();
            if (n < 0 || n > b.remaining()) {
                throw new IllegalArgumentException("damaged section: a field claims " + n + " bytes; " + b.remaining() + " remain");
            }
            return raw(n);
        }

        byte[] raw(int n) {
            byte[] r = new byte[n];
            try {
                b.get(r);
            } catch (BufferUnderflowException e) {
                throw new IllegalArgumentException("damaged section: truncated field");
            }
            return r;
        }
    }
}
