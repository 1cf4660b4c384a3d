package dev.chameleon.policy;

/**
 * A problem in a policy, with its position, for people.
 *
 * @param file    the policy file as given ({@code policies/web.yaml}, or {@code pack:vmware-guest.yaml})
 * @param line    1-based line, 0 when the problem is about the file as a whole
 * @param column  1-based column, 0 when unknown
 * @param message what is wrong and, where it helps, what was expected
 * @param excerpt the source line the position points into, or empty
 */
public record PolicyError(String file, int line, int column, String message, String excerpt) {
    public PolicyError {
        excerpt = excerpt == null ? "" : excerpt;
    }

    /** Widest excerpt shown: a longer source line is cut around the column. */
    static final int EXCERPT_WIDTH = 120;
    /** Longest message shown: a message quoting a huge value is cut. */
    static final int MESSAGE_WIDTH = 1000;

    /**
     * {@code file:line:column: error: message}, then the source line and a caret under the column.
     * For a terminal: control characters, binary bytes (U+FFFD) and C1 codes are shown escaped
     * ({@code \x00}, {@code \ufffd}); a source line longer than {@value #EXCERPT_WIDTH} characters
     * is cut around the column ("…"), a message longer than {@value #MESSAGE_WIDTH} at its end.
     */
    public String format() {
        return format("error");
    }

    /** As {@link #format()}, labelled {@code warning} (or any other severity) instead of {@code error}. */
    public String format(String severity) {
        StringBuilder sb = new StringBuilder(escape(file));
        if (line > 0) {
            sb.append(':').append(line);
            if (column > 0) {
                sb.append(':').append(column);
            }
        }
        String m = message.length() > MESSAGE_WIDTH ? message.substring(0, MESSAGE_WIDTH) + "… (" + message.length() + " characters)" : message;
        sb.append(": ").append(severity).append(": ").append(escape(m));
        if (!excerpt.isEmpty() && line > 0) {
            int col = Math.max(1, Math.min(column, excerpt.length() + 1));
            int from = 0;
            int to = excerpt.length();
            if (excerpt.length() > EXCERPT_WIDTH) {
                from = Math.max(0, Math.min(col - 1 - EXCERPT_WIDTH / 2, excerpt.length() - EXCERPT_WIDTH));
                to = Math.min(excerpt.length(), from + EXCERPT_WIDTH);
            }
            String before = (from > 0 ? "…" : "") + escape(excerpt.substring(from, Math.max(from, col - 1)));
            String shown = (from > 0 ? "…" : "") + escape(excerpt.substring(from, to)) + (to < excerpt.length() ? "…" : "");
            sb.append('\n').append("  ").append(shown);
            if (column > 0) {
                sb.append('\n').append("  ").append(" ".repeat(before.length())).append('^');
            }
        }
        return sb.toString();
    }

    /** Control characters, C1 codes and U+FFFD (bytes that were not UTF-8) as escapes. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\n' || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else if (c >= 0x80 && c <= 0x9f || c == '\ufffd') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
