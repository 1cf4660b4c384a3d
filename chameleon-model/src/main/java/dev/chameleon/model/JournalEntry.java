package dev.chameleon.model;

/**
 * One change in a change set, as kept in the journal.
 *
 * @param seq         1-based position in the change set (apply order; undo runs in reverse)
 * @param key         the setting key ({@code sysctl:vm.swappiness})
 * @param before      the value read just before the write
 * @param after       the value written
 * @param reason      why: the policy, its file and line, and its condition
 * @param undoCommand what a person would run to put {@code before} back by hand
 * @param state       {@code pending} (recorded, not yet written), {@code applied} (written),
 *                    {@code verified} (read back equal), {@code failed}, {@code undone},
 *                    {@code undo-failed}
 * @param error       what went wrong, for failed and undo-failed; else empty
 */
public record JournalEntry(int seq, String key, String before, String after, String reason, String undoCommand,
                           String state, String error) {
    /** State: the old value is on disk, the write has not happened (or its outcome is not known). */
    public static final String PENDING = "pending";
    /** State: written. */
    public static final String APPLIED = "applied";
    /** State: written and read back equal to the target. */
    public static final String VERIFIED = "verified";
    /** State: the write or the verify failed. */
    public static final String FAILED = "failed";
    /** State: put back to {@code before}. */
    public static final String UNDONE = "undone";
    /** State: putting {@code before} back failed; {@code error} says why. */
    public static final String UNDO_FAILED = "undo-failed";
    /** State: never written (the run stopped before the write); nothing to undo. */
    public static final String NOT_APPLIED = "not-applied";
    /** State: a rollback found someone else's value there and left it (without {@code --force}). */
    public static final String CHANGED_SINCE = "changed-since";

    public JournalEntry withState(String newState, String newError) {
        return new JournalEntry(seq, key, before, after, reason, undoCommand, newState, newError == null ? "" : newError);
    }
}
