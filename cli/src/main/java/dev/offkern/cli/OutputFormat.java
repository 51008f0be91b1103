package dev.offkern.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --format} of the commands that print a report: text for people, JSON for programs (docs/cli.md). */
enum OutputFormat {
    /** Aligned text. */
    TEXT,
    /** One pretty-printed JSON object. */
    JSON;

    /** The name on the command line. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * {@code --format}: any case; an unknown value is named with the nearest format and the valid
     * ones, as {@code layouts --format} does.
     */
    static final class Converter implements ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            List<String> ids = new ArrayList<>();
            for (OutputFormat f : values()) {
                if (f.id().equalsIgnoreCase(value)) {
                    return f;
                }
                ids.add(f.id());
            }
            throw new TypeConversionException("unknown format '" + value + "'" + Suggestions.didYouMean(value, ids)
                    + " (valid: " + String.join(", ", ids) + ")");
        }
    }
}
