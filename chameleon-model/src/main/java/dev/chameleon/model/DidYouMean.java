package dev.chameleon.model;

import java.util.Collection;
import java.util.Optional;

/**
 * "Did you mean …?" for a misspelt name (a command, a fact): the known name closest to it by edit
 * distance (insertions, deletions, substitutions and swaps of two neighbours, case ignored), when
 * that distance is small for the name's length (at most 1 for names up to 4 characters, 2 up to 8,
 * 3 beyond). Pure.
 */
public final class DidYouMean {
    private DidYouMean() {
    }

    /** The closest known name, or empty when none is close or {@code name} is itself known. */
    public static Optional<String> suggest(String name, Collection<String> known) {
        if (name == null || name.isEmpty() || known.contains(name)) {
            return Optional.empty();
        }
        int limit = name.length() <= 4 ? 1 : name.length() <= 8 ? 2 : 3;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(name.toLowerCase(java.util.Locale.ROOT), k.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance || d == bestDistance && best != null && k.compareTo(best) < 0) {
                best = k;
                bestDistance = d;
            }
        }
        return bestDistance <= limit ? Optional.ofNullable(best) : Optional.empty();
    }

    /** Optimal string alignment distance (Damerau–Levenshtein without repeated edits of one substring). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
