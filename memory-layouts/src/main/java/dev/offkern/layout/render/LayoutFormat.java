package dev.offkern.layout.render;

import java.util.Locale;

/** The output formats of {@code offkern layouts}. */
public enum LayoutFormat {
    /** Aligned columns for people. */
    TABLE,
    /** offkern's JSON: types, variants, reserved ranges and metadata (docs/layouts-json.md). */
    JSON,
    /** Volatility 3's Intermediate Symbol Format, version 6.2.0 (docs/layouts-isf.md). */
    ISF,
    /** A C header of {@code C_ASSERT}s for C and C++ code that includes the WDK headers. */
    C;

    /** The format's name as the command line spells it ({@code table}, {@code json}, {@code isf}, {@code c}). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code table}/{@code json}/{@code isf}/{@code c} (any case); the error names the valid choices. */
    public static LayoutFormat parse(String text) {
        for (LayoutFormat f : values()) {
            if (f.id().equalsIgnoreCase(text)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown format '" + text + "' (valid: table, json, isf, c)");
    }
}
