package dev.chameleon.cli;

/** The exit codes of the {@code chameleon} command (documented in the README). */
public final class ExitCode {
    /** Success; for {@code plan --exit-code}: nothing to change. */
    public static final int OK = 0;
    /** A run-time failure: an apply failed and was undone, a rollback was incomplete, an I/O error. */
    public static final int FAILED = 1;
    /** Bad input: unknown option, malformed policy, unreadable policy folder, missing {@code --yes}. */
    public static final int BAD_INPUT = 2;
    /** {@code plan --exit-code} only: changes are pending. */
    public static final int CHANGES_PENDING = 3;
    /** Refused: changing the live machine needs root, or another chameleon holds the state lock. */
    public static final int REFUSED = 4;

    private ExitCode() {
    }
}
