package dev.chameleon.policy;

import java.util.List;

/**
 * A compiled {@code kind: Policy} document.
 *
 * @param name        {@code metadata.name}, unique among loaded policies
 * @param description {@code metadata.description}, or empty
 * @param file        where it was read from
 * @param line        1-based line of the document's start
 * @param priority    {@code spec.priority}, default 50; higher wins a conflict
 * @param mode        {@code spec.mode}: {@code enforce} (default), {@code apply-once} or {@code audit}
 * @param when        the compiled {@code spec.when} condition ({@code true} when absent)
 * @param settings    the typed settings, in written order
 */
public record Policy(String name, String description, String file, int line, int priority, String mode,
                     Condition when, List<SettingRule> settings) {
    public Policy {
        settings = List.copyOf(settings);
    }

    public String location() {
        return file + ":" + line;
    }
}
