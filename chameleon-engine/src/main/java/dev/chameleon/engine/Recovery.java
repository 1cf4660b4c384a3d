package dev.chameleon.engine;

import dev.chameleon.actuators.Journal;
import dev.chameleon.model.ChangeSet;
import java.util.ArrayList;
import java.util.List;

/**
 * What the start-up recovery found: journal files that cannot be read (kept as they are) and the
 * change sets a crashed run left unfinished, now undone.
 */
public record Recovery(List<Journal.Loaded> unreadable, List<ChangeSet> recovered) {
    public Recovery {
        unreadable = List.copyOf(unreadable);
        recovered = List.copyOf(recovered);
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
        return out;
    }
}
