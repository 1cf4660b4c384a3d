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
 * @param holdFor     {@code spec.for}: how long {@code when} must hold before the policy matches
 *                    (Prometheus' {@code for:}); null when not written. Needs a {@link ConditionHistory}:
 *                    evaluated without one (one-shot commands, the simulation) the policy does not match
 * @param keepFor     {@code spec.keepFor}: how long {@code when} must stop holding before a matched
 *                    policy stops matching (hysteresis; Prometheus' {@code keep_firing_for});
 *                    {@code holdFor} when not written; null without {@code holdFor}
 * @param transientMode {@code spec.transient}: its settings are applied while it matches and put back
 *                    through the journal when it stops matching
 */
public record Policy(String name, String description, String file, int line, int priority, PolicyMode mode,
                     Condition when, List<SettingRule> settings, List<Ref> profiles, java.time.Duration holdFor,
                     java.time.Duration keepFor, boolean transientMode) {
    public Policy {
        java.util.Objects.requireNonNull(mode, "mode");
        settings = List.copyOf(settings);
        profiles = List.copyOf(profiles);
        if (holdFor != null && keepFor == null) {
            keepFor = holdFor;
        }
        if (holdFor == null && keepFor != null) {
            throw new IllegalArgumentException("keepFor without for");
        }
    }

    /** A policy without {@code for:} and not transient. */
    public Policy(String name, String description, String file, int line, int priority, PolicyMode mode,
                  Condition when, List<SettingRule> settings, List<Ref> profiles) {
        this(name, description, file, line, priority, mode, when, settings, profiles, null, null, false);
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
        return new Policy(name, description, file, line, priority, mode, when, resolved, profiles, holdFor, keepFor, transientMode);
    }

    public String location() {
        return file + ":" + line;
    }
}
