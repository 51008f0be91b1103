package dev.offkern.layout.render;

import java.util.Locale;

/** The output formats of {@code offkern layouts}. */
public enum LayoutFormat {
    /** Aligned columns for people. */
    TABLE,
    /** {@code {"abi", "structs": [{"name", "size", "align", "fields": [...]}]}}. */
    JSON,
    /** A C header of {@code _Static_assert}s for code that includes the WDK headers. */
    C;

    /** The format's name as the command line spells it ({@code table}, {@code json}, {@code c}). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code table}/{@code json}/{@code c} (any case); the error names the valid choices. */
    public static LayoutFormat parse(String text) {
        for (LayoutFormat f : values()) {
            if (f.id().equalsIgnoreCase(text)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown format '" + text + "' (valid: table, json, c)");
    }
}
