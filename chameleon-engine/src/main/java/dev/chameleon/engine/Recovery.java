package dev.chameleon.engine;

import dev.chameleon.actuators.Journal;
import dev.chameleon.model.ChangeSet;
import java.util.ArrayList;
import java.util.List;

/**
 * What the start-up recovery found: journal files that cannot be read (kept as they are), the
 * change sets a crashed run left unfinished, now undone, and the trials a killed tuning run left
 * applied ({@link Engine#interruptedTrials()}), now rolled back.
 */
public record Recovery(List<Journal.Loaded> unreadable, List<ChangeSet> recovered, List<TrialUndone> trials) {
    /** The journal trigger every tuning trial's change set starts with: {@code tune trial 3: sysctl:net.core.somaxconn=1024}. */
    public static final String TRIAL_TRIGGER = "tune trial";

    public Recovery {
        unreadable = List.copyOf(unreadable);
        recovered = List.copyOf(recovered);
        trials = List.copyOf(trials);
    }

    /**
     * A trial's change set a killed tuning run left applied, and how its rollback went.
     *
     * @param trial   the change set as it was applied (its trigger names the trial and its values)
     * @param ok      every setting was put back
     * @param message the rollback's message
     */
    public record TrialUndone(ChangeSet trial, boolean ok, String message) {
        /** For people: {@code undid change set ID left by an interrupted tuning run (tune trial 1: ...): MESSAGE}. */
        public String line() {
            return (ok ? "undid" : "COULD NOT fully undo") + " change set " + trial.id() + " left by an interrupted tuning run ("
                    + trial.trigger() + "): " + message;
        }
    }

    /** For people, one line each, warnings first. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        for (Journal.Loaded l : unreadable) {
            out.add("warning: " + l.file() + ": " + l.error() + " (kept as it is; it cannot be recovered automatically)");
        }
        for (ChangeSet r : recovered) {
            out.add("recovered unfinished change set " + r.id() + " (" + r.status() + "): " + r.message());
        }
        for (TrialUndone t : trials) {
            out.add(t.line());
        }
        return out;
    }
}
