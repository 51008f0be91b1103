package dev.offkern.cli;

import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.ke.CrashDumpFile;
import dev.offkern.runtime.ke.DecodedDumpSection;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code offkern dump --format json}: one JSON object per dump (documented in docs/cli.md).
 *
 * <p>Every field the reader decoded appears under its section, in file order. Numbers are JSON
 * numbers, except addresses, callback record addresses and bug-check parameters, which are 64-bit
 * values a JSON reader may round: they are strings {@code "0x"} + 16 upper-case hex digits. Buffers,
 * pages and secondary data are base64 strings, whole (the text output shows at most 256 bytes).
 */
final class DumpJson {

    /** Schema version of this JSON; bump the major part on an incompatible change. */
    static final String FORMAT_VERSION = "1.0";

    /** Fields whose values are 64-bit addresses, written as hex strings. */
    private static final Set<String> ADDRESSES = Set.of("record", "address");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private DumpJson() {
    }

    /** The dump as pretty-printed JSON, ending with a line break. */
    static String render(CrashDumpFile dump) {
        ObjectNode root = NODES.objectNode();
        root.put("format", "offkern-dump-json");
        root.put("formatVersion", FORMAT_VERSION);
        root.put("dumpVersion", dump.version()[0] + "." + dump.version()[1]);
        ObjectNode bugCheck = root.putObject("bugCheck");
        bugCheck.put("code", Integer.toUnsignedLong(dump.code()));
        bugCheck.put("codeHex", String.format(Locale.ROOT, "0x%08X", dump.code()));
        bugCheck.put("name", BugCheckCode.name(dump.code()));
        ArrayNode parameters = bugCheck.putArray("parameters");
        for (long p : dump.parameters()) {
            parameters.add(hex64(p));
        }
        root.put("time", Instant.ofEpochMilli(dump.timeMillis()).toString());
        root.put("timeMillis", dump.timeMillis());
        root.put("halted", dump.halted());
        ArrayNode sections = root.putArray("sections");
        for (DecodedDumpSection s : dump.decodedSections()) {
            ObjectNode node = sections.addObject();
            node.put("type", s.type());
            node.put("offset", s.offset());
            fields(node, s.fields());
        }
        return JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(root)
                + System.lineSeparator();
    }

    private static void fields(ObjectNode node, Map<String, Object> fields) {
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            node.set(e.getKey(), value(e.getKey(), e.getValue()));
        }
    }

    @SuppressWarnings("unchecked")
    private static JsonNode value(String key, Object v) {
        return switch (v) {
            case Long l when ADDRESSES.contains(key) -> NODES.stringNode(hex64(l));
            case Long l -> NODES.numberNode(l);
            case String s -> NODES.stringNode(s);
            case byte[] b -> NODES.binaryNode(b);
            case List<?> list -> {
                ArrayNode a = NODES.arrayNode();
                for (Object o : list) {
                    if (o instanceof Map<?, ?> m) {
                        ObjectNode entry = a.addObject();
                        fields(entry, (Map<String, Object>) m);
                    } else if (o instanceof Long l && key.equals("parameters")) {
                        a.add(hex64(l));
                    } else {
                        a.add(value(key, o));
                    }
                }
                yield a;
            }
            default -> throw new IllegalStateException("dump field '" + key + "' has an unexpected value type "
                    + v.getClass().getName());
        };
    }

    private static String hex64(long v) {
        return String.format(Locale.ROOT, "0x%016X", v);
    }
}
