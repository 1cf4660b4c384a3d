package dev.chameleon.policy;

import dev.chameleon.model.PolicyMode;
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
 * @param settings    the typed settings: once compiled into a {@link PolicySet}, its own in written
 *                    order, then those of its profiles that it does not set itself
 * @param profiles    {@code spec.profiles}: the profiles it applies, with positions
 */
public record Policy(String name, String description, String file, int line, int priority, PolicyMode mode,
                     Condition when, List<SettingRule> settings, List<Ref> profiles) {
    public Policy {
        java.util.Objects.requireNonNull(mode, "mode");
        settings = List.copyOf(settings);
        profiles = List.copyOf(profiles);
    }

    /** A policy whose mode is written as a word ({@code enforce}, {@code apply-once}, {@code audit}). */
    public Policy(String name, String description, String file, int line, int priority, String mode, Condition when,
                  List<SettingRule> settings, List<Ref> profiles) {
        this(name, description, file, line, priority, PolicyMode.parse(mode).orElseThrow(() ->
                new IllegalArgumentException("not a policy mode: '" + mode + "'")), when, settings, profiles);
    }

    /** Whether its settings are only reported, never applied ({@code mode: audit}). */
    public boolean audit() {
        return mode == PolicyMode.AUDIT;
    }

    Policy withSettings(List<SettingRule> resolved) {
        return new Policy(name, description, file, line, priority, mode, when, resolved, profiles);
    }

    public String location() {
        return file + ":" + line;
    }
}
