package dev.chameleon.wire;

import java.util.Arrays;
import java.util.Optional;

/**
 * What a report carries. The wire name is the lower-case word; the payload is always a JSON object.
 */
public enum ReportKind {
    /** The agent's fact tree ({@code chameleon facts -o json}), sent when it changed. */
    FACTS("facts"),
    /** The plan document ({@code chameleon plan -o json}, docs/plan-json.md). */
    PLAN("plan"),
    /** A change set from the journal: applied, rolled back, or undone after a failed health gate. */
    CHANGE_SET("change-set"),
    /** An event of the agent's loop: drift, a health gate, an anti-flap freeze ({@code type} names it). */
    EVENT("event"),
    /** The current values of the managed settings, {@code {"sysctl:vm.swappiness": "60", ...}}. */
    CURRENT_VALUES("current-values"),
    /** The agent's heartbeat: mode, pending changes, drift, bundle version, its own cost. */
    STATUS("status");

    private final String wire;

    ReportKind(String wire) {
        this.wire = wire;
    }

    /** The name on the wire ({@code change-set}). */
    public String wire() {
        return wire;
    }

    /** The kind with this wire name, or empty. */
    public static Optional<ReportKind> of(String wire) {
        return Arrays.stream(values()).filter(k -> k.wire.equals(wire)).findFirst();
    }
}
