package dev.chameleon.model;

import java.util.List;

/**
 * What would change on this machine, in the order it would be applied.
 *
 * @param entries every desired setting with its comparison against the machine
 */
public record Plan(List<PlanEntry> entries) {
    public Plan {
        entries = List.copyOf(entries);
    }

    /** Entries that would change the machine, in apply order. */
    public List<PlanEntry> changes() {
        return entries.stream().filter(e -> e.action() == PlanEntry.Action.CHANGE).toList();
    }

    public boolean hasChanges() {
        return entries.stream().anyMatch(e -> e.action() == PlanEntry.Action.CHANGE);
    }
}
