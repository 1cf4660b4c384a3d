package dev.chameleon.actuators;

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
    public JournalEntry withState(String newState, String newError) {
        return new JournalEntry(seq, key, before, after, reason, undoCommand, newState, newError == null ? "" : newError);
    }
}
