package dev.chameleon.policy;

/** A policy file's name and text, for positions and excerpts. */
record SourceText(String name, String text) {
    /** The 1-based line's text without its newline, or empty. */
    String line(int line) {
        if (line <= 0) {
            return "";
        }
        String[] lines = text.split("\n", -1);
        return line <= lines.length ? lines[line - 1].replace("\r", "").replace("\t", " ") : "";
    }

    PolicyError error(int line, int column, String message) {
        return new PolicyError(name, line, column, message, line(line));
    }
}
