package dev.offkern.layout.render;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CType;
import dev.offkern.layout.Field;
import dev.offkern.layout.Pointee;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.Structures;
import dev.offkern.layout.TypeRef;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code isf} format: Volatility 3's Intermediate Symbol Format, version {@value #FORMAT}
 * (the newest version volatility3's symbol-table loader reads, {@code Version8Format} in
 * {@code volatility3/framework/symbols/intermed.py}); the rules it follows are in docs/layouts-isf.md.
 *
 * <ul>
 * <li>{@code user_types}: every requested structure as {@code _NAME} (the tag Microsoft's symbols
 *     use: {@code _KTIMER}), plus every structure they embed or point to that offkern lays out, so
 *     that every reference resolves inside the file. Members of anonymous structs and unions sit
 *     directly in their parent, as in the kernel's symbols; a named nested struct or union
 *     ({@code IRP.Tail}) is its own user type, {@code _IRP::Tail}, with offsets relative to it.</li>
 * <li>{@code base_types}: the integer types used, named as Microsoft's symbols name them
 *     ({@code unsigned long}, {@code wchar}, ...), plus {@code pointer} (the ABI's pointer size)
 *     and {@code void}.</li>
 * <li>Pointers to structures offkern does not lay out ({@code PMDL}, {@code PPEB}) and opaque
 *     {@code void *}s point to {@code void}; routine pointers to {@code function}; enumerations
 *     (whose constants offkern does not carry) are their MSVC base type, {@code int}.</li>
 * <li>{@code enums} and {@code symbols} are empty (layouts have no addresses);
 *     {@code metadata} names the format, the producer and the Windows version (10.0.19045).</li>
 * </ul>
 */
final class IsfRenderer {

    /** The ISF format version written: schema-6.2.0.json's rules. */
    static final String FORMAT = "6.2.0";

    private final Abi abi;
    private final Map<String, Object> userTypes = new LinkedHashMap<>();
    private final Map<String, Object> baseTypes = new LinkedHashMap<>();
    private final Deque<StructSpec> work = new ArrayDeque<>();

    private IsfRenderer(Abi abi) {
        this.abi = abi;
    }

    static String render(Abi abi, List<StructSpec> structs) {
        IsfRenderer r = new IsfRenderer(abi);
        r.work.addAll(structs);
        while (!r.work.isEmpty()) {
            StructSpec s = r.work.poll();
            if (!r.userTypes.containsKey(typeName(s))) {
                r.userType(s, typeName(s), "", s.isUnion(), s.size(), 0);
            }
        }
        r.base("pointer", abi.pointerSize(), false, "int");
        r.base("void", 0, true, "void");
        LayoutMetadata meta = LayoutMetadata.of(abi);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("metadata", ordered(
                "format", FORMAT,
                "producer", ordered("name", meta.producer(), "version", meta.numericVersion()),
                "windows", ordered("pe", ordered("major", meta.windowsMajor(), "minor", meta.windowsMinor(),
                        "revision", meta.windowsBuild()))));
        root.put("base_types", r.baseTypes);
        root.put("user_types", r.userTypes);
        root.put("enums", Map.of());
        root.put("symbols", Map.of());
        return JsonText.write(root, 4);
    }

    /** {@code _KTIMER} for KTIMER: the tag name Microsoft's symbols use. */
    static String typeName(StructSpec s) {
        return "_" + s.name();
    }

    /** Emits the user type of the level {@code parent} of {@code s}, whose own offset in {@code s} is {@code base}. */
    private void userType(StructSpec s, String name, String parent, boolean union, long size, long base) {
        Map<String, Object> fields = new LinkedHashMap<>();
        Map<String, Object> type = ordered("kind", union ? "union" : "struct", "size", size, "fields", fields);
        userTypes.put(name, type);
        for (Field f : Members.children(s, parent)) {
            Object descriptor;
            if (f.isBitField()) {
                descriptor = ordered("kind", "bitfield", "bit_position", f.bitOffset(), "bit_length", f.bitWidth(),
                        "type", descriptor(s.typeOf(f)));
            } else if (s.typeOf(f) instanceof TypeRef.Inline in) {
                String nested = name + "::" + Members.simpleName(f.name());
                userType(s, nested, f.name(), in.union(), in.size(), f.offset());
                descriptor = ordered("kind", in.union() ? "union" : "struct", "name", nested);
            } else {
                descriptor = descriptor(s.typeOf(f));
            }
            fields.put(Members.simpleName(f.name()), ordered("offset", f.offset() - base, "type", descriptor));
        }
    }

    private Object descriptor(TypeRef t) {
        return switch (t) {
            case TypeRef.Scalar sc -> ordered("kind", "base", "name", base(sc.type()));
            case TypeRef.Pointer p -> ordered("kind", "pointer", "subtype", pointee(p.target()));
            case TypeRef.Array a -> ordered("kind", "array", "count", a.count(), "subtype", descriptor(a.element()));
            case TypeRef.Named n -> {
                work.add(n.spec());
                yield ordered("kind", n.spec().isUnion() ? "union" : "struct", "name", typeName(n.spec()));
            }
            case TypeRef.Inline in -> throw new IllegalStateException("inline types are emitted by userType");
        };
    }

    private Object pointee(Pointee p) {
        return switch (p.kind()) {
            case FUNCTION -> Map.of("kind", "function");
            case SCALAR -> ordered("kind", "base", "name", base(p.scalar()));
            case STRUCT -> {
                if (!Structures.names().contains(p.name())) {
                    yield ordered("kind", "base", "name", "void");
                }
                StructSpec target = Structures.get(p.name(), abi);
                work.add(target);
                yield ordered("kind", target.isUnion() ? "union" : "struct", "name", typeName(target));
            }
            case POINTER -> ordered("kind", "pointer", "subtype", pointee(p.next()));
            case VOID, UNKNOWN -> ordered("kind", "base", "name", "void");
        };
    }

    /** The base type's name as Microsoft's symbols spell it, registered in {@code base_types}. */
    private String base(CType type) {
        int size = type.size(abi);
        boolean signed = type.isSigned();
        String name;
        String kind = "int";
        if (type == CType.WCHAR || type.name().equals("WCHAR")) {
            name = "wchar";
            signed = true;   // as volatility3's PDB converter records wchar_t
        } else if (type.isEnum()) {
            name = "int";
        } else {
            name = switch (size) {
                case 1 -> "char";
                case 2 -> "short";
                case 4 -> "long";
                case 8 -> "long long";
                default -> throw new IllegalStateException(type + ": no base type of size " + size);
            };
            if (size == 1) {
                kind = "char";
            }
            if (!signed) {
                name = "unsigned " + name;
            }
        }
        base(name, size, signed, kind);
        return name;
    }

    private void base(String name, int size, boolean signed, String kind) {
        baseTypes.putIfAbsent(name, ordered("kind", kind, "size", size, "signed", signed, "endian", "little"));
    }

    /** A map keeping the order of {@code keysAndValues} (alternating). */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
