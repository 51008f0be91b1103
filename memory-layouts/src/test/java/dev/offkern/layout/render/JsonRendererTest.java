package dev.offkern.layout.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.Abi;
import dev.offkern.layout.Field;
import dev.offkern.layout.Pointee;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.Structures;
import dev.offkern.layout.TypeRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The JSON output validates against the shipped schema (offkern-layouts.schema.json), and every
 * number and type in it reads back as the layouts say: offsets, sizes, bit fields, C types with
 * their kind, nesting, reserved ranges, variants and metadata.
 */
class JsonRendererTest {

    @ParameterizedTest
    @EnumSource(Abi.class)
    void shouldValidateAgainstTheShippedSchemaForEveryStructure(Abi abi) {
        String json = LayoutRenderer.render(LayoutFormat.JSON, abi, Structures.all(abi));
        List<String> violations = Schemas.violations(Schemas.OFFKERN_LAYOUTS, json);
        assertTrue(violations.isEmpty(), () -> String.join("\n", violations));
    }

    @Test
    void shouldLetTheSchemaRejectADocumentThatBreaksItsRules() {
        String json = LayoutRenderer.render(LayoutFormat.JSON, Abi.X64, List.of(Structures.get("KTIMER", Abi.X64)));
        String broken = json.replaceFirst("\"signed\": false, ", "");           // an integer without signedness
        assertFalse(Schemas.violations(Schemas.OFFKERN_LAYOUTS, broken).isEmpty(), "the schema must catch it");
        String inlineWithoutMembers = LayoutRenderer.render(LayoutFormat.JSON, Abi.X64,
                List.of(Structures.get("IRP", Abi.X64))).replaceFirst(", \"fields\": \\[", ", \"members\": [");
        assertFalse(Schemas.violations(Schemas.OFFKERN_LAYOUTS, inlineWithoutMembers).isEmpty());
    }

    @ParameterizedTest
    @EnumSource(Abi.class)
    void shouldReadBackEveryMemberWithItsOffsetSizeBitsAndType(Abi abi) {
        List<StructSpec> specs = Structures.all(abi);
        JsonNode root = Schemas.parse(LayoutRenderer.render(LayoutFormat.JSON, abi, specs));
        JsonNode structs = root.get("structs");
        assertEquals(specs.size(), structs.size());
        for (int i = 0; i < specs.size(); i++) {
            StructSpec spec = specs.get(i);
            JsonNode s = structs.get(i);
            assertEquals(spec.name(), s.get("name").asString());
            assertEquals(spec.size(), s.get("size").asLong(), spec.name());
            assertEquals(spec.align(), s.get("align").asLong(), spec.name());
            assertEquals(spec.isUnion() ? "union" : "struct", s.get("kind").asString(), spec.name());
            Map<String, JsonNode> byPath = new HashMap<>();
            flatten(s.get("fields"), byPath);
            assertEquals(spec.fields().size(), byPath.size(), spec.name() + ": every member once, nested or not");
            for (Field f : spec.fields()) {
                JsonNode jf = byPath.get(f.name());
                String where = spec.name() + "." + f.name();
                assertEquals(f.offset(), jf.get("offset").asLong(), where);
                assertEquals(f.size(), jf.get("size").asLong(), where);
                assertEquals(f.isBitField() ? f.bitOffset() : -1, jf.path("bitOffset").asInt(-1), where);
                assertEquals(f.bitWidth(), jf.path("bitWidth").asInt(0), where);
                checkType(spec.typeOf(f), jf.get("type"), abi, where);
            }
        }
    }

    @Test
    void shouldNestTheMembersOfNamedInlineStructsAndUnions() {
        JsonNode irp = Schemas.parse(LayoutRenderer.render(LayoutFormat.JSON, Abi.X64,
                List.of(Structures.get("IRP", Abi.X64)))).get("structs").get(0);
        JsonNode tail = member(irp.get("fields"), "Tail");
        assertEquals("union", tail.get("type").get("kind").asString());
        assertTrue(tail.get("type").get("inline").asBoolean());
        JsonNode overlay = member(tail.get("fields"), "Overlay");
        JsonNode listEntry = member(overlay.get("fields"), "ListEntry");
        assertEquals("Tail.Overlay.ListEntry", listEntry.get("path").asString());
        assertEquals(Structures.get("IRP", Abi.X64).offset("Tail.Overlay.ListEntry"), listEntry.get("offset").asLong());
        assertEquals("LIST_ENTRY", listEntry.get("type").get("name").asString());
    }

    @Test
    void shouldDescribeIntegersPointersAndArrays() {
        JsonNode eprocess = Schemas.parse(LayoutRenderer.render(LayoutFormat.JSON, Abi.X86,
                List.of(Structures.get("EPROCESS", Abi.X86)))).get("structs").get(0);
        JsonNode name = member(eprocess.get("fields"), "ImageFileName").get("type");
        assertEquals("UCHAR[15]", name.get("c").asString());
        assertEquals("array", name.get("kind").asString());
        assertEquals(15, name.get("count").asInt());
        assertEquals(8, name.get("element").get("bits").asInt());
        assertFalse(name.get("element").get("signed").asBoolean());
        JsonNode peb = member(eprocess.get("fields"), "Peb").get("type");
        assertEquals("pointer", peb.get("kind").asString());
        assertEquals(32, peb.get("bits").asInt(), "x86 pointers are 32 bits");
        assertEquals("PEB", peb.get("to").get("name").asString());
        assertFalse(peb.get("to").get("laidOut").asBoolean(), "offkern does not lay out the PEB");

        JsonNode kdpc = Schemas.parse(LayoutRenderer.render(LayoutFormat.JSON, Abi.X64,
                List.of(Structures.get("KDPC", Abi.X64)))).get("structs").get(0);
        assertEquals("function", member(kdpc.get("fields"), "DeferredRoutine").get("type").get("to").get("kind").asString());
    }

    @Test
    void shouldListReservedRangesAndTheKtimerVariant() {
        JsonNode root = Schemas.parse(LayoutRenderer.render(LayoutFormat.JSON, Abi.X64,
                List.of(Structures.get("EPROCESS", Abi.X64), Structures.get("KTIMER", Abi.X64))));
        JsonNode eprocess = root.get("structs").get(0);
        assertEquals(0xa40L, eprocess.get("size").asLong());
        assertEquals(0x4b8L, member(eprocess.get("fields"), "Token").get("offset").asLong());
        JsonNode firstReserved = eprocess.get("reserved").get(0);
        assertEquals("reserved", firstReserved.get("kind").asString(), "opaque objects' unmodelled bytes are reserved");
        long headerEnd = Structures.get("DISPATCHER_HEADER", Abi.X64).size();
        assertEquals(headerEnd, firstReserved.get("offset").asLong(), "KPROCESS beyond its header is not modelled");
        assertEquals(0x438 - headerEnd, firstReserved.get("size").asLong());

        JsonNode ktimer = root.get("structs").get(1);
        JsonNode variant = ktimer.get("variants").get(0);
        assertTrue(variant.get("label").asString().contains("1909"), variant.toString());
        assertEquals(4, member(variant.get("fields"), "Processor").get("size").asInt(), "one ULONG Processor before 2004");
        assertEquals(0, ktimer.get("reserved").size());
    }

    @Test
    void shouldCarryMetadataAndTheEmbeddedTypesNotListed() {
        JsonNode root = Schemas.parse(LayoutRenderer.render(LayoutFormat.JSON, Abi.X86,
                List.of(Structures.get("KTIMER", Abi.X86))));
        assertEquals("offkern-layouts", root.get("format").asString());
        assertEquals(JsonRenderer.FORMAT_VERSION, root.get("formatVersion").asInt());
        JsonNode meta = root.get("metadata");
        assertEquals("offkern", meta.get("producer").get("name").asString());
        assertEquals(LayoutMetadata.of(Abi.X86).version(), meta.get("producer").get("version").asString());
        assertEquals("10.0.19045", meta.get("windows").get("version").asString());
        assertEquals(19045, meta.get("windows").get("build").asInt());
        assertEquals("x86", meta.get("abi").get("name").asString());
        assertEquals(4, meta.get("abi").get("pointerSize").asInt());
        List<String> types = new ArrayList<>();
        root.get("types").forEach(t -> types.add(t.get("name").asString()));
        assertEquals(List.of("DISPATCHER_HEADER", "LIST_ENTRY"), types, "KTIMER embeds these two by value");
    }

    @Test
    void shouldEscapeStringsAsJsonRequires() {
        String nasty = "a\"b\\c\n\t\u0001\u007f é \uD83D\uDE00";
        String quoted = JsonRenderer.quote(nasty);
        assertFalse(quoted.chars().anyMatch(c -> c < 0x20), "no raw control characters");
        assertEquals(nasty, Schemas.parse(quoted).asString());
        assertEquals("\"\\u0001\"", JsonRenderer.quote("\u0001"));
        assertEquals("\"\\ud800\"", JsonRenderer.quote("\uD800"));
        assertEquals("\"\uD83D\uDE00\"", JsonRenderer.quote("\uD83D\uDE00"));
    }

    @Test
    void shouldRenderAnEmptySelection() {
        String json = LayoutRenderer.render(LayoutFormat.JSON, Abi.X86, List.of());
        assertEquals(0, Schemas.parse(json).get("structs").size());
        assertTrue(Schemas.violations(Schemas.OFFKERN_LAYOUTS, json).isEmpty());
    }

    @Test
    void shouldRefuseStructuresOfAnotherAbi() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayoutRenderer.render(LayoutFormat.JSON, Abi.X86, List.of(Structures.get("KTIMER", Abi.X64))));
        assertTrue(e.getMessage().contains("KTIMER is laid out for x64, not x86"), e.getMessage());
    }

    private static void checkType(TypeRef t, JsonNode j, Abi abi, String where) {
        assertEquals(t.spelling(), j.get("c").asString(), where);
        switch (t) {
            case TypeRef.Scalar s -> {
                assertEquals(s.isEnum() ? "enum" : "integer", j.get("kind").asString(), where);
                assertEquals(s.signed(), j.get("signed").asBoolean(), where);
                assertEquals(s.size() * 8, j.get("bits").asLong(), where);
            }
            case TypeRef.Pointer p -> {
                assertEquals("pointer", j.get("kind").asString(), where);
                assertEquals(abi.pointerSize() * 8L, j.get("bits").asLong(), where);
                String to = switch (p.target().kind()) {
                    case VOID, UNKNOWN -> "void";
                    case FUNCTION -> "function";
                    case SCALAR -> "integer";
                    case STRUCT -> "struct";
                    case POINTER -> "pointer";
                };
                assertEquals(to, j.get("to").get("kind").asString(), where);
                if (p.target().kind() == Pointee.Kind.STRUCT) {
                    assertEquals(p.target().name(), j.get("to").get("name").asString(), where);
                }
            }
            case TypeRef.Array a -> {
                assertEquals(a.count(), j.get("count").asLong(), where);
                checkType(a.element(), j.get("element"), abi, where + "[]");
            }
            case TypeRef.Named n -> assertEquals(n.spec().name(), j.get("name").asString(), where);
            case TypeRef.Inline in -> {
                assertEquals(in.union() ? "union" : "struct", j.get("kind").asString(), where);
                assertTrue(j.get("inline").asBoolean(), where);
            }
        }
    }

    private static void flatten(JsonNode fields, Map<String, JsonNode> into) {
        for (JsonNode f : fields) {
            into.put(f.get("path").asString(), f);
            if (f.has("fields")) {
                flatten(f.get("fields"), into);
            }
        }
    }

    private static JsonNode member(JsonNode fields, String name) {
        for (JsonNode f : fields) {
            if (f.get("name").asString().equals(name)) {
                return f;
            }
        }
        throw new AssertionError("no member " + name + " in " + fields);
    }
}
