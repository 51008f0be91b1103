package dev.offkern.layout.render;

import dev.offkern.layout.Abi;
import dev.offkern.layout.Field;
import dev.offkern.layout.StructSpec;
import java.util.List;

/**
 * The {@code json} format, exactly:
 * <pre>{@code
 * {"abi": "x64", "structs": [
 *   {"name": "KTIMER", "size": 64, "align": 8, "fields": [
 *     {"name": "Header", "offset": 0, "size": 24},
 *     {"name": "Expired", "offset": 3, "size": 1, "bitOffset": 7, "bitWidth": 1}, ...]}, ...]}
 * }</pre>
 * Numbers are decimal bytes; {@code bitOffset}/{@code bitWidth} appear only on bit fields
 * ({@code size} is then the size of the storage unit). Hand-written: strings are escaped as
 * RFC 8259 requires ({@code "}, {@code \}, and control characters as {@code \}{@code uXXXX}).
 */
final class JsonRenderer {

    private JsonRenderer() {
    }

    static String render(Abi abi, List<StructSpec> structs) {
        StringBuilder out = new StringBuilder();
        out.append("{\"abi\": ").append(quote(abi.id())).append(", \"structs\": [");
        for (int i = 0; i < structs.size(); i++) {
            StructSpec s = structs.get(i);
            out.append(i == 0 ? "\n  " : ",\n  ");
            out.append("{\"name\": ").append(quote(s.name()))
                    .append(", \"size\": ").append(s.size())
                    .append(", \"align\": ").append(s.align())
                    .append(", \"fields\": [");
            List<Field> fields = s.fields();
            for (int j = 0; j < fields.size(); j++) {
                Field f = fields.get(j);
                out.append(j == 0 ? "\n    " : ",\n    ");
                out.append("{\"name\": ").append(quote(f.name()))
                        .append(", \"offset\": ").append(f.offset())
                        .append(", \"size\": ").append(f.size());
                if (f.isBitField()) {
                    out.append(", \"bitOffset\": ").append(f.bitOffset())
                            .append(", \"bitWidth\": ").append(f.bitWidth());
                }
                out.append('}');
            }
            out.append(fields.isEmpty() ? "]}" : "\n  ]}");
        }
        out.append(structs.isEmpty() ? "]}\n" : "\n]}\n");
        return out.toString();
    }

    /** {@code text} as a JSON string literal. */
    static String quote(String text) {
        StringBuilder b = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !validSurrogate(text, i)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** Whether the surrogate at {@code i} is half of a well-formed pair (a lone one is escaped). */
    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
