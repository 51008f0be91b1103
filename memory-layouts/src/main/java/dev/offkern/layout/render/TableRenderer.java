package dev.offkern.layout.render;

import dev.offkern.layout.Abi;
import dev.offkern.layout.Field;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.Variants;
import java.util.List;

/**
 * The {@code table} format, for people. Per structure a header line
 * {@code NAME (abi) size 0x.. align N} (plus {@code opaque} for offkern's own layouts of
 * Windows' opaque objects), then one row per member: offset, size, bits ({@code first..last}
 * for a bit field), name and C type. Bytes no member covers are shown as {@code (padding)} in
 * public structures and {@code (reserved)} in opaque ones. Documented variants of other Windows
 * builds ({@link Variants}) follow as the rows that differ.
 */
final class TableRenderer {

    private TableRenderer() {
    }

    static String render(Abi abi, List<StructSpec> structs) {
        StringBuilder out = new StringBuilder();
        for (StructSpec s : structs) {
            if (!out.isEmpty()) {
                out.append('\n');
            }
            boolean opaque = s.origin() == StructSpec.Origin.OPAQUE;
            out.append(s.name()).append(" (").append(abi.id()).append(") size ").append(hex(s.size()))
                    .append(" align ").append(s.align());
            if (opaque) {
                out.append("  opaque: offkern's layout, unmodelled bytes reserved");
            }
            out.append('\n');
            out.append(String.format("  %-8s %-6s %-7s %-40s %s%n", "offset", "size", "bits", "name", "type"));
            rows(out, s, opaque ? "(reserved)" : "(padding)");
            for (Variants.Variant v : Variants.of(s.name(), abi)) {
                out.append("  variant ").append(v.label()).append(": size ").append(hex(v.spec().size()))
                        .append(", members that differ:\n");
                for (Field f : v.spec().fields()) {
                    if (!s.hasField(f.name()) || !s.field(f.name()).equals(f)) {
                        row(out, f);
                    }
                }
            }
        }
        return out.toString();
    }

    private static void rows(StringBuilder out, StructSpec s, String gapName) {
        boolean[] covered = new boolean[(int) s.size()];
        for (Field f : s.fields()) {
            for (long i = f.offset(); i < f.offset() + f.size(); i++) {
                covered[(int) i] = true;
            }
        }
        int gap = 0;
        for (Field f : s.fields()) {
            gap = gaps(out, covered, gap, (int) f.offset(), gapName);
            row(out, f);
        }
        gaps(out, covered, gap, covered.length, gapName);
    }

    /** Prints the uncovered runs in [from, to) and returns the new scan position. */
    private static int gaps(StringBuilder out, boolean[] covered, int from, int to, String gapName) {
        int i = Math.max(from, 0);
        while (i < to) {
            if (covered[i]) {
                i++;
                continue;
            }
            int start = i;
            while (i < to && !covered[i]) {
                i++;
            }
            out.append(String.format("  %-8s %-6s %-7s %s%n", hex4(start), hex(i - start), "", gapName));
        }
        return Math.max(from, to);
    }

    private static void row(StringBuilder out, Field f) {
        String bits = f.isBitField()
                ? f.bitOffset() + ".." + (f.bitOffset() + f.bitWidth() - 1)
                : "";
        out.append(String.format("  %-8s %-6s %-7s %-40s %s%n", hex4(f.offset()), hex(f.size()), bits, f.name(),
                f.type()));
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static String hex4(long v) {
        return String.format("0x%04x", v);
    }
}
