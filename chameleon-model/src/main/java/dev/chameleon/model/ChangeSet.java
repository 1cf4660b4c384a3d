package dev.chameleon.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A group of changes applied together and undone together, as kept in the journal (one JSON file
 * per change set; {@link dev.chameleon.model.json.ChangeSetCodec} reads and writes it).
 *
 * @param sequence  position in the journal, 1 for the first change set ever; orders change sets
 *                  even when the clock jumps (snapshot restores, NTP steps)
 * @param id        id from the start time, {@code 20261129-093000-123}
 * @param createdAt ISO-8601 instant
 * @param trigger   what started it ({@code apply --yes}, {@code rollback of ...})
 * @param status    {@code in-progress}, {@code applied}, {@code failed-rolled-back},
 *                  {@code rollback-incomplete}, {@code rolled-back}, {@code recovered}
 * @param message   for failures, what happened, in words; else empty
 * @param entries   the changes in apply order
 */
public record ChangeSet(long sequence, String id, String createdAt, String trigger, String status, String message,
                        List<JournalEntry> entries) {
    /** Status: being applied; a crash leaves it so, and the next start undoes it ({@code recovered}). */
    public static final String IN_PROGRESS = "in-progress";
    /** Status: every change written and verified; it stands until rolled back. */
    public static final String APPLIED = "applied";
    /** Status: a change failed and the set was undone. */
    public static final String FAILED_ROLLED_BACK = "failed-rolled-back";
    /** Status: being rolled back; a crash leaves it so, and the next start finishes the rollback. */
    public static final String ROLLING_BACK = "rolling-back";
    /** Status: rolled back to the values in the journal. */
    public static final String ROLLED_BACK = "rolled-back";
    /** Status: an undo could not finish; {@code rollback} can be run again. */
    public static final String ROLLBACK_INCOMPLETE = "rollback-incomplete";
    /** Status: an unfinished set of a crashed run, undone at the next start. */
    public static final String RECOVERED = "recovered";

    public ChangeSet {
        entries = List.copyOf(entries);
        message = message == null ? "" : message;
    }

    public ChangeSet withStatus(String s, String msg) {
        return new ChangeSet(sequence, id, createdAt, trigger, s, msg, entries);
    }

    public ChangeSet withEntry(JournalEntry e) {
        List<JournalEntry> next = new ArrayList<>(entries);
        int i = e.seq() - 1;
        if (i < next.size()) {
            next.set(i, e);
        } else {
            next.add(e);
        }
        return new ChangeSet(sequence, id, createdAt, trigger, status, message, next);
    }
}
