package dev.offkern.layout.render;

import java.util.List;
import java.util.Map;

/**
 * Writes a tree of {@link Map}s (keys in their iteration order), {@link List}s, strings, numbers and
 * booleans as JSON text: containers down to {@code multiLineDepth} levels one member per line (two
 * spaces per level), deeper ones on one line. Strings are escaped by {@link JsonRenderer#quote}.
 */
final class JsonText {

    private JsonText() {
    }

    static String write(Object value, int multiLineDepth) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0, multiLineDepth);
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object value, int depth, int multiLineDepth) {
        switch (value) {
            case null -> out.append("null");
            case String s -> out.append(JsonRenderer.quote(s));
            case Number n -> out.append(n);
            case Boolean b -> out.append(b);
            case Map<?, ?> m -> container(out, m.entrySet().stream().toList(), '{', '}', depth, multiLineDepth);
            case List<?> l -> container(out, l, '[', ']', depth, multiLineDepth);
            default -> throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
        }
    }

    private static void container(StringBuilder out, List<?> items, char open, char close, int depth, int multiLineDepth) {
        out.append(open);
        boolean multi = depth < multiLineDepth && !items.isEmpty();
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            if (multi) {
                out.append('\n').append("  ".repeat(depth + 1));
            } else if (i > 0) {
                out.append(' ');
            }
            Object item = items.get(i);
            if (item instanceof Map.Entry<?, ?> e) {
                out.append(JsonRenderer.quote(String.valueOf(e.getKey()))).append(": ");
                write(out, e.getValue(), depth + 1, multiLineDepth);
            } else {
                write(out, item, depth + 1, multiLineDepth);
            }
        }
        if (multi) {
            out.append('\n').append("  ".repeat(depth));
        }
        out.append(close);
    }
}
