package dev.offkern.cli;

/** {@code --format} of the commands that print a report: text for people, JSON for programs (docs/cli.md). */
enum OutputFormat {
    /** Aligned text. */
    TEXT,
    /** One pretty-printed JSON object. */
    JSON
}
