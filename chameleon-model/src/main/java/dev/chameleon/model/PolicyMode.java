package dev.chameleon.model;

import java.util.Optional;

/**
 * How a policy's settings are treated ({@code spec.mode}): {@link #ENFORCE} (the default) applies
 * them and puts them back after drift; {@link #APPLY_ONCE} applies them while no standing change
 * set has applied the same value, then leaves a hand change alone; {@link #AUDIT} reports them in
 * the plan and never applies them. {@link #toString()} is the word written in policies and JSON.
 */
public enum PolicyMode {
    ENFORCE("enforce"), APPLY_ONCE("apply-once"), AUDIT("audit");

    private final String label;

    PolicyMode(String label) {
        this.label = label;
    }

    /** The word in policies and JSON: {@code enforce}, {@code apply-once}, {@code audit}. */
    public String label() {
        return label;
    }

    /** The mode written as {@code label}, exactly (no case folding); empty for any other text. */
    public static Optional<PolicyMode> parse(String label) {
        for (PolicyMode m : values()) {
            if (m.label.equals(label)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return label;
    }
}
