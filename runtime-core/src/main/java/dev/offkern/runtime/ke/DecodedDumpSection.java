package dev.offkern.runtime.ke;

import java.util.Map;

/**
 * One section of an offkern dump as {@link CrashDumpFile} decoded it: its type's name (as
 * docs/dump-format.md names it: {@code SYSTEM}, {@code CALLBACK}, ...; {@code type N} when unknown),
 * the file offset of its section header, and its fields in file order.
 *
 * <p>Field values are {@link Long} (every integer, unsigned 32-bit ones widened without sign),
 * {@link String}, {@code byte[]} (buffers and pages, whole) or, for nested bug checks, a
 * {@code List<Map<String, Object>>} of entries with the same kinds of values. Names derived from
 * numbers (a bug-check code's name, a dump state's name) follow the number as {@code <field>Name}.
 * The map is unmodifiable; byte arrays are the reader's own copies and must not be changed.
 *
 * @param type the section type's name
 * @param offset the file offset of the section header
 * @param fields the decoded fields, in file order
 */
public record DecodedDumpSection(String type, long offset, Map<String, Object> fields) {
}
