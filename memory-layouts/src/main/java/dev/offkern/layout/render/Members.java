package dev.offkern.layout.render;

import dev.offkern.layout.Field;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.TypeRef;
import java.util.ArrayList;
import java.util.List;

/**
 * The member tree of a structure, rebuilt from its flat {@link StructSpec#fields()}: a member whose
 * type is {@link TypeRef.Inline} (a named struct or union defined in place) has as children the
 * fields whose path is its own plus one more segment; every other member is a leaf. Also the byte
 * ranges no leaf covers: compiler padding in public structures, unmodelled (reserved) bytes in
 * offkern's opaque layouts.
 */
final class Members {

    /** A byte range no member covers. */
    record Range(long offset, long size) {
    }

    private Members() {
    }

    /** The members directly inside {@code parent} ({@code ""} for the structure's own level), in declaration order. */
    static List<Field> children(StructSpec spec, String parent) {
        List<Field> result = new ArrayList<>();
        for (Field f : spec.fields()) {
            if (parentOf(f.name()).equals(parent)) {
                result.add(f);
            }
        }
        return result;
    }

    /** The path of the member {@code path} sits in ({@code "Tail.Overlay"} for {@code "Tail.Overlay.ListEntry"}). */
    static String parentOf(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : path.substring(0, dot);
    }

    /** The last segment of {@code path}: the member's own name. */
    static String simpleName(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    /** Whether {@code f} is a named inline struct or union (its members are further fields). */
    static boolean isInline(StructSpec spec, Field f) {
        return spec.typeOf(f) instanceof TypeRef.Inline;
    }

    /** The byte ranges of {@code spec} that no leaf member covers, in ascending order. */
    static List<Range> uncovered(StructSpec spec) {
        boolean[] covered = new boolean[Math.toIntExact(spec.size())];
        for (Field f : spec.fields()) {
            if (isInline(spec, f)) {
                continue;
            }
            for (long i = f.offset(); i < f.offset() + f.size(); i++) {
                covered[(int) i] = true;
            }
        }
        List<Range> ranges = new ArrayList<>();
        int i = 0;
        while (i < covered.length) {
            if (covered[i]) {
                i++;
                continue;
            }
            int start = i;
            while (i < covered.length && !covered[i]) {
                i++;
            }
            ranges.add(new Range(start, i - start));
        }
        return ranges;
    }
}
