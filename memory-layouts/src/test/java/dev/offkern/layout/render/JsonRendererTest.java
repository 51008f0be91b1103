package dev.offkern.layout.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.Abi;
import dev.offkern.layout.Field;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.Structures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The JSON output parses, has exactly the documented shape, and round-trips every number. */
class JsonRendererTest {

    @Test
    void shouldRoundTripEveryStructureAndFieldForBothAbis() {
        for (Abi abi : Abi.values()) {
            List<StructSpec> specs = Structures.all(abi);
            Map<?, ?> root = (Map<?, ?>) new MiniJson(LayoutRenderer.render(LayoutFormat.JSON, abi, specs)).parse();
            assertEquals(Set.of("abi", "structs"), root.keySet());
            assertEquals(abi.id(), root.get("abi"));
            List<?> structs = (List<?>) root.get("structs");
            assertEquals(specs.size(), structs.size());
            for (int i = 0; i < specs.size(); i++) {
                StructSpec spec = specs.get(i);
                Map<?, ?> s = (Map<?, ?>) structs.get(i);
                assertEquals(Set.of("name", "size", "align", "fields"), s.keySet());
                assertEquals(spec.name(), s.get("name"));
                assertEquals(spec.size(), s.get("size"), spec.name());
                assertEquals(spec.align(), s.get("align"), spec.name());
                List<?> fields = (List<?>) s.get("fields");
                assertEquals(spec.fields().size(), fields.size());
                for (int j = 0; j < fields.size(); j++) {
                    Field f = spec.fields().get(j);
                    Map<?, ?> jf = (Map<?, ?>) fields.get(j);
                    assertEquals(f.name(), jf.get("name"));
                    assertEquals(f.offset(), jf.get("offset"), spec.name() + "." + f.name());
                    assertEquals(f.size(), jf.get("size"), spec.name() + "." + f.name());
                    if (f.isBitField()) {
                        assertEquals((long) f.bitOffset(), jf.get("bitOffset"));
                        assertEquals((long) f.bitWidth(), jf.get("bitWidth"));
                    } else {
                        assertEquals(Set.of("name", "offset", "size"), jf.keySet(), "bit keys only on bit fields");
                    }
                }
            }
        }
    }

    @Test
    void shouldGiveWindowsNumbersForOpaqueObjects() {
        Map<?, ?> root = (Map<?, ?>) new MiniJson(LayoutRenderer.render(LayoutFormat.JSON, Abi.X64,
                List.of(Structures.get("EPROCESS", Abi.X64)))).parse();
        Map<?, ?> eprocess = (Map<?, ?>) ((List<?>) root.get("structs")).getFirst();
        assertEquals(0xa40L, eprocess.get("size"));
        Map<?, ?> token = ((List<?>) eprocess.get("fields")).stream().map(Map.class::cast)
                .filter(m -> m.get("name").equals("Token")).findFirst().orElseThrow();
        assertEquals(0x4b8L, token.get("offset"));
    }

    @Test
    void shouldEscapeStringsAsJsonRequires() {
        String nasty = "a\"b\\c\n\t\u0001\u007f é \uD83D\uDE00 \uD800";
        String quoted = JsonRenderer.quote(nasty);
        assertFalse(quoted.chars().anyMatch(c -> c < 0x20), "no raw control characters");
        assertEquals(nasty.replace("\uD800", "?").replace("\u007f", "?"),
                ((String) new MiniJson(quoted).parse()).replace("\uD800", "?").replace("\u007f", "?"));
        assertEquals("\"\\u0001\"", JsonRenderer.quote("\u0001"));
        assertEquals("\"\\ud800\"", JsonRenderer.quote("\uD800"));
        assertEquals("\"\uD83D\uDE00\"", JsonRenderer.quote("\uD83D\uDE00"));
    }

    @Test
    void shouldRenderAnEmptySelection() {
        Map<?, ?> root = (Map<?, ?>) new MiniJson(LayoutRenderer.render(LayoutFormat.JSON, Abi.X86, List.of())).parse();
        assertEquals(List.of(), root.get("structs"));
    }

    @Test
    void shouldRefuseStructuresOfAnotherAbi() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayoutRenderer.render(LayoutFormat.JSON, Abi.X86, List.of(Structures.get("KTIMER", Abi.X64))));
        assertTrue(e.getMessage().contains("KTIMER is laid out for x64, not x86"), e.getMessage());
    }

    /** A strict little JSON parser (objects, arrays, strings, integers, literals) for the tests. */
    static final class MiniJson {
        private final String s;
        private int i;

        MiniJson(String s) {
            this.s = s;
        }

        Object parse() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw error("trailing text");
            }
            return v;
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> number();
            };
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            ws();
            if (peek() == '}') {
                i++;
                return m;
            }
            while (true) {
                ws();
                String k = string();
                ws();
                expect(':');
                if (m.put(k, value()) != null) {
                    throw error("duplicate key " + k);
                }
                ws();
                if (peek() == ',') {
                    i++;
                } else {
                    expect('}');
                    return m;
                }
            }
        }

        private List<Object> array() {
            List<Object> l = new ArrayList<>();
            i++;
            ws();
            if (peek() == ']') {
                i++;
                return l;
            }
            while (true) {
                l.add(value());
                ws();
                if (peek() == ',') {
                    i++;
                } else {
                    expect(']');
                    return l;
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c < 0x20) {
                    throw error("raw control character");
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> throw error("bad escape \\" + e);
                }
            }
        }

        private Long number() {
            int start = i;
            if (peek() == '-') {
                i++;
            }
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (start == i) {
                throw error("unexpected character '" + s.charAt(i) + "'");
            }
            return Long.parseLong(s.substring(start, i));
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, i)) {
                throw error("bad literal");
            }
            i += word.length();
            return value;
        }

        private void ws() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : '\0';
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private IllegalStateException error(String what) {
            return new IllegalStateException(what + " at " + i);
        }
    }
}
