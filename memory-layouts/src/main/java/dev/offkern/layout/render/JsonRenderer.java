package dev.offkern.layout.render;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CType;
import dev.offkern.layout.Field;
import dev.offkern.layout.Pointee;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.Structures;
import dev.offkern.layout.TypeRef;
import dev.offkern.layout.Variants;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code json} format (format version 2; the schema is {@code docs/layouts-json.md} and
 * {@code dev/offkern/layout/render/offkern-layouts.schema.json} in this jar):
 * <pre>{@code
 * {"format": "offkern-layouts", "formatVersion": 2,
 *  "metadata": {"producer": {"name": "offkern", "version": "0.1.0"},
 *               "windows": {"release": "Windows 10 22H2", "version": "10.0.19045", "major": 10, "minor": 0, "build": 19045},
 *               "abi": {"name": "x64", "pointerSize": 8, "dataModel": "LLP64", "endianness": "little"}},
 *  "structs": [
 *    {"name": "KTIMER", "kind": "struct", "size": 64, "align": 8, "origin": "public",
 *     "fields": [{"name": "Header", "path": "Header", "offset": 0, "size": 24,
 *                 "type": {"c": "DISPATCHER_HEADER", "kind": "struct", "name": "DISPATCHER_HEADER"}}, ...],
 *     "reserved": [], "variants": [...]}, ...],
 *  "types": [ ...structures the listed ones embed but that are not listed, same shape... ]}
 * }</pre>
 * Numbers are decimal; offsets count bytes from the start of the outermost structure, also inside
 * named nested members (whose own members are their {@code fields}). A bit field adds
 * {@code bitOffset}/{@code bitWidth} ({@code size} is then its storage unit's). Hand-written: strings
 * are escaped as RFC 8259 requires ({@code "}, {@code \}, and control characters as
 * {@code \}{@code uXXXX}).
 */
final class JsonRenderer {

    /** The value of {@code formatVersion}: 2 since types, variants, reserved ranges and metadata were added. */
    static final int FORMAT_VERSION = 2;

    private JsonRenderer() {
    }

    static String render(Abi abi, List<StructSpec> structs) {
        LayoutMetadata meta = LayoutMetadata.of(abi);
        StringBuilder out = new StringBuilder();
        out.append("{\"format\": \"offkern-layouts\", \"formatVersion\": ").append(FORMAT_VERSION).append(",\n");
        out.append(" \"metadata\": {\"producer\": {\"name\": ").append(quote(meta.producer()))
                .append(", \"version\": ").append(quote(meta.version())).append("},\n");
        out.append("              \"windows\": {\"release\": ").append(quote(meta.windowsRelease()))
                .append(", \"version\": ").append(quote(meta.windowsVersion()))
                .append(", \"major\": ").append(meta.windowsMajor())
                .append(", \"minor\": ").append(meta.windowsMinor())
                .append(", \"build\": ").append(meta.windowsBuild()).append("},\n");
        out.append("              \"abi\": {\"name\": ").append(quote(abi.id()))
                .append(", \"pointerSize\": ").append(abi.pointerSize())
                .append(", \"dataModel\": ").append(quote(meta.dataModel()))
                .append(", \"endianness\": \"little\"}},\n");
        out.append(" \"structs\": [");
        list(out, structs, true);
        out.append("],\n \"types\": [");
        list(out, embeddedOnly(structs), false);
        out.append("]}\n");
        return out.toString();
    }

    private static void list(StringBuilder out, List<StructSpec> specs, boolean withVariants) {
        for (int i = 0; i < specs.size(); i++) {
            out.append(i == 0 ? "\n  " : ",\n  ");
            struct(out, specs.get(i), withVariants);
        }
        if (!specs.isEmpty()) {
            out.append("\n ");
        }
    }

    private static void struct(StringBuilder out, StructSpec s, boolean withVariants) {
        out.append("{\"name\": ").append(quote(s.name()))
                .append(", \"kind\": ").append(quote(s.isUnion() ? "union" : "struct"))
                .append(", \"size\": ").append(s.size())
                .append(", \"align\": ").append(s.align())
                .append(", \"origin\": ").append(quote(s.origin() == StructSpec.Origin.OPAQUE ? "opaque" : "public"))
                .append(",\n   ");
        body(out, s, "   ");
        if (withVariants) {
            out.append(",\n   \"variants\": [");
            List<Variants.Variant> variants = Variants.of(s.name(), s.abi());
            for (int i = 0; i < variants.size(); i++) {
                Variants.Variant v = variants.get(i);
                out.append(i == 0 ? "\n    " : ",\n    ");
                out.append("{\"label\": ").append(quote(v.label()))
                        .append(", \"size\": ").append(v.spec().size())
                        .append(", \"align\": ").append(v.spec().align()).append(",\n     ");
                body(out, v.spec(), "     ");
                out.append('}');
            }
            out.append(variants.isEmpty() ? "]" : "\n   ]");
        }
        out.append('}');
    }

    /** {@code "fields": [...], "reserved": [...]} of {@code s}. */
    private static void body(StringBuilder out, StructSpec s, String indent) {
        out.append("\"fields\": [");
        fields(out, s, "", indent + " ");
        out.append("],\n").append(indent).append("\"reserved\": [");
        String kind = s.origin() == StructSpec.Origin.OPAQUE ? "reserved" : "padding";
        List<Members.Range> ranges = Members.uncovered(s);
        for (int i = 0; i < ranges.size(); i++) {
            Members.Range r = ranges.get(i);
            out.append(i == 0 ? "" : ", ").append("{\"offset\": ").append(r.offset())
                    .append(", \"size\": ").append(r.size()).append(", \"kind\": ").append(quote(kind)).append('}');
        }
        out.append(']');
    }

    private static void fields(StringBuilder out, StructSpec s, String parent, String indent) {
        List<Field> fields = Members.children(s, parent);
        for (int j = 0; j < fields.size(); j++) {
            Field f = fields.get(j);
            out.append(j == 0 ? "\n" : ",\n").append(indent);
            out.append("{\"name\": ").append(quote(Members.simpleName(f.name())))
                    .append(", \"path\": ").append(quote(f.name()))
                    .append(", \"offset\": ").append(f.offset())
                    .append(", \"size\": ").append(f.size());
            if (f.isBitField()) {
                out.append(", \"bitOffset\": ").append(f.bitOffset())
                        .append(", \"bitWidth\": ").append(f.bitWidth());
            }
            out.append(", \"type\": ");
            type(out, s.typeOf(f), s.abi());
            if (Members.isInline(s, f)) {
                out.append(", \"fields\": [");
                fields(out, s, f.name(), indent + " ");
                out.append(']');
            }
            out.append('}');
        }
    }

    private static void type(StringBuilder out, TypeRef t, Abi abi) {
        out.append("{\"c\": ").append(quote(t.spelling())).append(", ");
        switch (t) {
            case TypeRef.Scalar sc -> scalar(out, sc.type(), sc.size());
            case TypeRef.Pointer p -> {
                out.append("\"kind\": \"pointer\", \"bits\": ").append(p.size() * 8).append(", \"to\": ");
                pointee(out, p.target(), abi);
            }
            case TypeRef.Array a -> {
                out.append("\"kind\": \"array\", \"count\": ").append(a.count()).append(", \"element\": ");
                type(out, a.element(), abi);
            }
            case TypeRef.Named n -> out.append("\"kind\": ").append(quote(n.spec().isUnion() ? "union" : "struct"))
                    .append(", \"name\": ").append(quote(n.spec().name()));
            case TypeRef.Inline in -> out.append("\"kind\": ").append(quote(in.union() ? "union" : "struct"))
                    .append(", \"inline\": true");
        }
        out.append('}');
    }

    private static void scalar(StringBuilder out, CType type, long size) {
        out.append("\"kind\": ").append(quote(type.isEnum() ? "enum" : "integer"))
                .append(", \"signed\": ").append(type.isSigned())
                .append(", \"bits\": ").append(size * 8);
    }

    private static void pointee(StringBuilder out, Pointee p, Abi abi) {
        switch (p.kind()) {
            case VOID, UNKNOWN -> out.append("{\"kind\": \"void\"}");
            case FUNCTION -> out.append("{\"kind\": \"function\"}");
            case SCALAR -> {
                out.append("{\"c\": ").append(quote(p.name())).append(", ");
                scalar(out, p.scalar(), p.scalar().size(abi));
                out.append('}');
            }
            case STRUCT -> out.append("{\"kind\": \"struct\", \"name\": ").append(quote(p.name()))
                    .append(", \"laidOut\": ").append(Structures.names().contains(p.name())).append('}');
            case POINTER -> {
                out.append("{\"c\": ").append(quote(p.name())).append(", \"kind\": \"pointer\", \"bits\": ")
                        .append(abi.pointerSize() * 8).append(", \"to\": ");
                pointee(out, p.next(), abi);
                out.append('}');
            }
        }
    }

    /** The structures {@code structs} embed by value (transitively) that are not among them, in first-use order. */
    static List<StructSpec> embeddedOnly(List<StructSpec> structs) {
        Set<String> listed = new HashSet<>();
        structs.forEach(s -> listed.add(s.name()));
        Map<String, StructSpec> found = new LinkedHashMap<>();
        Deque<StructSpec> work = new ArrayDeque<>(structs);
        while (!work.isEmpty()) {
            StructSpec s = work.poll();
            for (Field f : s.fields()) {
                TypeRef t = s.typeOf(f);
                while (t instanceof TypeRef.Array a) {
                    t = a.element();
                }
                if (t instanceof TypeRef.Named n && !listed.contains(n.spec().name())
                        && found.putIfAbsent(n.spec().name(), n.spec()) == null) {
                    work.add(n.spec());
                }
            }
        }
        return List.copyOf(found.values());
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
