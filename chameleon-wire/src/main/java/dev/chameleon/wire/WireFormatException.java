package dev.chameleon.wire;

/**
 * A wire document that cannot be read: malformed JSON, a missing or mistyped field, a value out
 * of range. Carries the 1-based line and column of the problem in the document (0 when unknown).
 */
public final class WireFormatException extends Exception {
    private final int line;
    private final int column;

    public WireFormatException(String message, int line, int column) {
        super(line > 0 ? line + ":" + column + ": " + message : message);
        this.line = line;
        this.column = column;
    }

    /** 1-based line of the problem, 0 when unknown. */
    public int line() {
        return line;
    }

    /** 1-based column of the problem, 0 when unknown. */
    public int column() {
        return column;
    }

    /** The message without the position prefix. */
    public String reason() {
        String m = getMessage();
        return line > 0 ? m.substring(m.indexOf(": ") + 2) : m;
    }
}
