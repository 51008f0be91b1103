package dev.offkern.cli;

import dev.offkern.layout.Field;
import dev.offkern.layout.StructSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What moved between offkern's layouts and another file's ({@link LayoutFile}): per structure offkern
 * lays out, a changed size, and per member a changed offset, size or bit range, a member the file
 * lacks, and (for public structures) a member only the file has. Opaque objects are compared on the
 * members offkern models; the many others a symbol pack lists for them are not reported.
 *
 * <p>Each difference is one line, {@code STRUCT.Member: what offkern has -> what the file has}, so
 * that the output greps and diffs well.
 */
final class LayoutDiff {

    /** The outcome: the difference lines, and how many structures were compared and found identical. */
    record Result(List<String> lines, List<String> missing, int compared, int identical) {
        boolean same() {
            return lines.isEmpty() && missing.isEmpty();
        }
    }

    private LayoutDiff() {
    }

    static Result compare(List<StructSpec> ours, LayoutFile theirs) {
        List<String> lines = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        int compared = 0;
        int identical = 0;
        for (StructSpec s : ours) {
            Optional<LayoutFile.Struct> other = theirs.struct(s.name());
            if (other.isEmpty()) {
                missing.add(s.name());
                continue;
            }
            compared++;
            int before = lines.size();
            compare(s, other.get(), lines);
            if (lines.size() == before) {
                identical++;
            }
        }
        return new Result(lines, missing, compared, identical);
    }

    private static void compare(StructSpec s, LayoutFile.Struct other, List<String> lines) {
        String n = s.name();
        if (other.size() != s.size()) {
            lines.add(n + ": size " + hex(s.size()) + " -> " + hex(other.size()));
        }
        Set<String> ours = new HashSet<>();
        for (Field f : s.fields()) {
            ours.add(f.name());
            Optional<LayoutFile.Member> m = other.member(f.name());
            String where = n + "." + f.name();
            if (m.isEmpty()) {
                lines.add(where + ": at " + hex(f.offset()) + " -> not in the file");
                continue;
            }
            LayoutFile.Member t = m.get();
            if (t.offset() != f.offset()) {
                lines.add(where + ": offset " + hex(f.offset()) + " -> " + hex(t.offset()));
            }
            if (t.size() >= 0 && t.size() != f.size()) {
                lines.add(where + ": size " + hex(f.size()) + " -> " + hex(t.size()));
            }
            int theirBit = t.bitWidth() > 0 ? t.bitOffset() : -1;
            int ourBit = f.isBitField() ? f.bitOffset() : -1;
            if (theirBit != ourBit || t.bitWidth() != f.bitWidth()) {
                lines.add(where + ": bits " + bits(ourBit, f.bitWidth()) + " -> " + bits(theirBit, t.bitWidth()));
            }
        }
        if (s.origin() == StructSpec.Origin.PUBLIC) {
            for (LayoutFile.Member t : other.members()) {
                if (!ours.contains(t.path())) {
                    lines.add(n + "." + t.path() + ": not in offkern -> at " + hex(t.offset()));
                }
            }
        }
    }

    private static String bits(int offset, int width) {
        return offset < 0 ? "none" : offset + ".." + (offset + width - 1);
    }

    private static String hex(long v) {
        return v < 0 ? "?" : "0x" + Long.toHexString(v);
    }
}
