package dev.offkern.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * "Did you mean" for a mistyped command, option or structure name: the few valid names nearest to
 * what was typed, never the whole list.
 *
 * <p>Names that start with what was typed (at least 2 characters: {@code lay} finds
 * {@code layouts}) are suggested first and alone. Otherwise nearness is the optimal-string-alignment
 * edit distance (insertions, deletions, substitutions and swaps of two neighbouring characters each
 * cost 1), compared without regard to case: the names at the smallest distance found, when it is at
 * most {@link #limit(int)} for the typed length (1 up to 3 characters, 2 up to 6, 3 beyond). At most
 * {@link #MAX} names are returned, nearest first, ties in the order the candidates were given. Pure
 * functions; no state.
 */
final class Suggestions {

    /** The most names one suggestion names. */
    static final int MAX = 3;

    private Suggestions() {
    }

    /** The names among {@code candidates} nearest to {@code typed}; empty when none is near. */
    static List<String> nearest(String typed, Iterable<String> candidates) {
        String t = typed.toUpperCase(Locale.ROOT);
        record Scored(String name, int distance, boolean prefix, int order) {
        }
        List<Scored> scored = new ArrayList<>();
        int best = Integer.MAX_VALUE;
        int order = 0;
        for (String c : candidates) {
            String u = c.toUpperCase(Locale.ROOT);
            int d = distance(t, u);
            boolean prefix = t.length() >= 2 && u.startsWith(t) && !u.equals(t);
            scored.add(new Scored(c, d, prefix, order++));
            best = Math.min(best, d);
        }
        int limit = limit(t.length());
        int cut = best;
        boolean anyPrefix = scored.stream().anyMatch(Scored::prefix);
        return scored.stream()
                .filter(s -> anyPrefix ? s.prefix() : s.distance() == cut && cut <= limit)
                .sorted(Comparator.comparingInt(Scored::distance).thenComparingInt(Scored::order))
                .limit(MAX)
                .map(Scored::name)
                .toList();
    }

    /**
     * The message part for {@code typed}: {@code "; did you mean X?"}, {@code "; did you mean X or Y?"}
     * or {@code "; did you mean X, Y or Z?"}; empty when nothing is near.
     */
    static String didYouMean(String typed, Iterable<String> candidates) {
        List<String> near = nearest(typed, candidates);
        if (near.isEmpty()) {
            return "";
        }
        String list = near.size() == 1 ? near.getFirst()
                : String.join(", ", near.subList(0, near.size() - 1)) + " or " + near.getLast();
        return "; did you mean " + list + "?";
    }

    /** The largest edit distance still suggested for a typed name of {@code length} characters. */
    static int limit(int length) {
        return length <= 3 ? 1 : length <= 6 ? 2 : 3;
    }

    /** Optimal string alignment distance between {@code a} and {@code b} (case as given). */
    static int distance(String a, String b) {
        int n = a.length();
        int m = b.length();
        int[][] d = new int[n + 1][m + 1];
        for (int i = 0; i <= n; i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= m; j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= m; j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[n][m];
    }
}
