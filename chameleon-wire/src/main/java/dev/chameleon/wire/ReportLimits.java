package dev.chameleon.wire;

/**
 * The size limits of the free-text fields of report payloads (docs/control-plane.md, Reports): the
 * server refuses a report whose field is longer ({@code ReportShapes} in the server uses these
 * constants), and the agent shortens its fields to them before it queues a report
 * ({@link #shorten}), so that a long error (a policy file with 700 errors) is sent shortened
 * instead of refused and dropped.
 *
 * <p>Lengths are counted in characters as Java strings count them (UTF-16 code units), which is
 * at least the number of Unicode code points: a string within the limit in code units is within
 * it in code points too.
 */
public final class ReportLimits {
    private ReportLimits() {
    }

    /** One line for people: an event's {@code summary}, advice's {@code summary}. */
    public static final int LINE = 4096;
    /** Free text that may carry a command's error output: {@code message}, {@code error}. */
    public static final int TEXT = 65_536;
    /** A status report's {@code trigger}. */
    public static final int TRIGGER = 256;

    /**
     * {@code s} when it has at most {@code max} characters; otherwise its beginning followed by
     * {@code "… (N more characters)"}, at most {@code max} characters in all, never splitting a
     * surrogate pair. {@code null} stays {@code null}.
     *
     * @param max at least 64
     */
    public static String shorten(String s, int max) {
        if (max < 64) {
            throw new IllegalArgumentException("max must be at least 64, is " + max);
        }
        if (s == null || s.length() <= max) {
            return s;
        }
        // the suffix's length depends on how much is cut; a long enough guess, then the exact cut
        int keep = max - suffix(s.length()).length();
        if (Character.isHighSurrogate(s.charAt(keep - 1))) {
            keep--;
        }
        return s.substring(0, keep) + suffix(s.length() - keep);
    }

    private static String suffix(int cut) {
        return "… (" + cut + " more characters)";
    }
}
