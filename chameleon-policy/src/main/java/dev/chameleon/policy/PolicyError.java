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

    /** {@code file:line:column: error: message}, then the source line and a caret under the column. */
    public String format() {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) {
            sb.append(':').append(line);
            if (column > 0) {
                sb.append(':').append(column);
            }
        }
        sb.append(": error: ").append(message);
        if (!excerpt.isEmpty() && line > 0) {
            sb.append('\n').append("  ").append(excerpt);
            if (column > 0) {
                sb.append('\n').append("  ").append(" ".repeat(Math.max(0, column - 1))).append('^');
            }
        }
        return sb.toString();
    }
}
