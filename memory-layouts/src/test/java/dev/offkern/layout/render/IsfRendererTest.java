package dev.offkern.layout.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.Abi;
import dev.offkern.layout.Field;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.Structures;
import dev.offkern.layout.TypeRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Volatility ISF output meets what volatility3's symbol-table loader
 * ({@code volatility3/framework/symbols/intermed.py}, {@code Version8Format}) relies on: it validates
 * against the ISF 6.2.0 rules, its format version is one that loader reads and whose schema file
 * exists, every type reference resolves inside the file, base types have kinds the loader maps, and
 * every offset read back through the user types (named nested types included) is offkern's.
 */
class IsfRendererTest {

    /** The types volatility3's native table always knows (native.py), beside base_types' keys. */
    private static final Set<String> NATIVE_BUILTINS = Set.of("enum", "array", "bitfield", "void", "string", "bytes",
            "function");

    @ParameterizedTest
    @EnumSource(Abi.class)
    void shouldValidateAgainstTheIsfRulesForEveryStructure(Abi abi) {
        String isf = LayoutRenderer.render(LayoutFormat.ISF, abi, Structures.all(abi));
        List<String> violations = Schemas.violations(Schemas.ISF_RULES, isf);
        assertTrue(violations.isEmpty(), () -> String.join("\n", violations));
    }

    @Test
    void shouldLetTheRulesRejectWhatTheLoaderWouldRefuse() {
        String isf = LayoutRenderer.render(LayoutFormat.ISF, Abi.X64, List.of(Structures.get("KTIMER", Abi.X64)));
        assertFalse(Schemas.violations(Schemas.ISF_RULES, isf.replace("\"kind\": \"char\"", "\"kind\": \"byte\"")).isEmpty(),
                "an unknown base kind");
        assertFalse(Schemas.violations(Schemas.ISF_RULES, isf.replace("\"format\": \"6.2.0\"", "\"format\": \"5.0.0\"")).isEmpty(),
                "a format before 6");
        assertFalse(Schemas.violations(Schemas.ISF_RULES, isf.replace("\"offset\": 24,", "")).isEmpty(), "a field without offset");
    }

    @ParameterizedTest
    @EnumSource(Abi.class)
    void shouldUseAFormatVersionTheLoaderReadsAndDescribeTheAbi(Abi abi) {
        JsonNode root = Schemas.parse(LayoutRenderer.render(LayoutFormat.ISF, abi, Structures.all(abi)));
        // intermed.py picks a reader with the same major and a minor >= the file's (newest: 6.2.0), and
        // schemas.validate() opens schema-<format>.json (6.0.0 ... 6.3.0 exist).
        assertEquals("6.2.0", root.get("metadata").get("format").asString());
        assertEquals("offkern", root.get("metadata").get("producer").get("name").asString());
        assertTrue(root.get("metadata").get("producer").get("version").asString().matches("[0-9]+\\.[0-9]+\\.[0-9]+"));
        assertEquals(19045, root.get("metadata").get("windows").get("pe").get("revision").asInt());
        assertEquals(abi.pointerSize(), root.get("base_types").get("pointer").get("size").asInt());
        assertEquals(0, root.get("symbols").size());
    }

    @ParameterizedTest
    @EnumSource(Abi.class)
    void shouldResolveEveryTypeReference(Abi abi) {
        JsonNode root = Schemas.parse(LayoutRenderer.render(LayoutFormat.ISF, abi, Structures.all(abi)));
        List<String> dangling = danglingReferences(root);
        assertTrue(dangling.isEmpty(), () -> String.join("\n", dangling));
    }

    @Test
    void shouldFindADanglingReferenceWhenATypeIsMissing() {
        ObjectNode root = (ObjectNode) Schemas.parse(LayoutRenderer.render(LayoutFormat.ISF, Abi.X64,
                List.of(Structures.get("KTIMER", Abi.X64))));
        ((ObjectNode) root.get("user_types")).remove("_LIST_ENTRY");
        ((ObjectNode) root.get("base_types")).remove("unsigned long");
        List<String> dangling = danglingReferences(root);
        assertTrue(dangling.stream().anyMatch(d -> d.contains("_KTIMER.TimerListEntry") && d.contains("_LIST_ENTRY")),
                dangling::toString);
        assertTrue(dangling.stream().anyMatch(d -> d.contains("_KTIMER.Period") && d.contains("unsigned long")),
                dangling::toString);
    }

    @Test
    void shouldIncludeEveryTypeASelectionReachesAndNothingElse() {
        JsonNode root = Schemas.parse(LayoutRenderer.render(LayoutFormat.ISF, Abi.X86,
                List.of(Structures.get("KTIMER", Abi.X86))));
        List<String> names = new ArrayList<>(root.get("user_types").propertyNames());
        assertEquals("_KTIMER", names.getFirst());
        assertTrue(names.containsAll(List.of("_DISPATCHER_HEADER", "_LIST_ENTRY", "_KDPC")), names::toString);
        assertFalse(names.contains("_EPROCESS"), names::toString);
        assertTrue(danglingReferences(root).isEmpty());
    }

    @ParameterizedTest
    @EnumSource(Abi.class)
    void shouldReadBackOffkernsOffsetsThroughNestedUserTypes(Abi abi) {
        JsonNode root = Schemas.parse(LayoutRenderer.render(LayoutFormat.ISF, abi, Structures.all(abi)));
        JsonNode types = root.get("user_types");
        int checked = 0;
        for (StructSpec s : Structures.all(abi)) {
            JsonNode type = types.get("_" + s.name());
            assertEquals(s.size(), type.get("size").asLong(), s.name());
            assertEquals(s.isUnion() ? "union" : "struct", type.get("kind").asString(), s.name());
            for (Field f : s.fields()) {
                Resolved r = resolve(types, "_" + s.name(), f.name());
                assertEquals(f.offset(), r.offset(), s.name() + "." + f.name());
                if (f.isBitField()) {
                    assertEquals("bitfield", r.type().get("kind").asString(), s.name() + "." + f.name());
                    assertEquals(f.bitOffset(), r.type().get("bit_position").asInt(), s.name() + "." + f.name());
                    assertEquals(f.bitWidth(), r.type().get("bit_length").asInt(), s.name() + "." + f.name());
                }
                checked++;
                // Through an embedded structure's own user type: KTIMER.Header.SignalState.
                if (s.typeOf(f) instanceof TypeRef.Named n) {
                    for (Field g : n.spec().fields()) {
                        Resolved deep = resolve(types, "_" + s.name(), f.name() + "." + g.name());
                        assertEquals(f.offset() + g.offset(), deep.offset(), s.name() + "." + f.name() + "." + g.name());
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 1000, "checked " + checked + " member offsets");
    }

    private record Resolved(long offset, JsonNode type) {
    }

    /** Walks {@code path} (dotted member names) from user type {@code start}, adding offsets. */
    private static Resolved resolve(JsonNode userTypes, String start, String path) {
        JsonNode type = userTypes.get(start);
        long offset = 0;
        JsonNode descriptor = null;
        String[] segments = path.split("\\.");
        for (int i = 0; i < segments.length; i++) {
            JsonNode field = type.get("fields").get(segments[i]);
            if (field == null) {
                throw new AssertionError(start + ": no member " + segments[i] + " on the way to " + path);
            }
            offset += field.get("offset").asLong();
            descriptor = field.get("type");
            if (i + 1 < segments.length) {
                type = userTypes.get(descriptor.get("name").asString());
            }
        }
        return new Resolved(offset, descriptor);
    }

    /** Every reference in {@code root} that volatility3's loader could not resolve, with where it is. */
    static List<String> danglingReferences(JsonNode root) {
        List<String> problems = new ArrayList<>();
        JsonNode bases = root.get("base_types");
        JsonNode users = root.get("user_types");
        for (Map.Entry<String, JsonNode> t : users.properties()) {
            for (Map.Entry<String, JsonNode> f : t.getValue().get("fields").properties()) {
                descriptor(f.getValue().get("type"), t.getKey() + "." + f.getKey(), root, bases, users, problems);
            }
        }
        return problems;
    }

    private static void descriptor(JsonNode d, String where, JsonNode root, JsonNode bases, JsonNode users,
                                   List<String> problems) {
        String kind = d.get("kind").asString();
        switch (kind) {
            case "base" -> {
                String name = d.get("name").asString();
                if (!bases.has(name) && !NATIVE_BUILTINS.contains(name)) {
                    problems.add(where + ": base type '" + name + "' is not in base_types");
                }
            }
            case "pointer" -> {
                if (!bases.has("pointer")) {
                    problems.add(where + ": a pointer, but base_types has no 'pointer'");
                }
                descriptor(d.get("subtype"), where + "*", root, bases, users, problems);
            }
            case "array" -> {
                if (d.get("count").asLong() <= 0) {
                    problems.add(where + ": array count " + d.get("count"));
                }
                descriptor(d.get("subtype"), where + "[]", root, bases, users, problems);
            }
            case "bitfield" -> descriptor(d.get("type"), where + ":bits", root, bases, users, problems);
            case "enum" -> {
                if (!root.get("enums").has(d.get("name").asString())) {
                    problems.add(where + ": enum '" + d.get("name").asString() + "' is not in enums");
                }
            }
            case "struct", "union", "class" -> {
                JsonNode target = users.get(d.get("name").asString());
                if (target == null) {
                    problems.add(where + ": user type '" + d.get("name").asString() + "' is not in user_types");
                } else if (!target.get("kind").asString().equals(kind)) {
                    problems.add(where + ": refers to '" + d.get("name").asString() + "' as a " + kind + ", it is a "
                            + target.get("kind").asString());
                }
            }
            case "function" -> {
            }
            default -> problems.add(where + ": unknown kind '" + kind + "'");
        }
    }
}
