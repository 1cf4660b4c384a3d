package dev.chameleon.model.plan;

import dev.chameleon.model.PolicyMode;
import dev.chameleon.model.Reason;
import dev.chameleon.model.SettingKey;
import java.util.List;
import java.util.Objects;

/**
 * The plan as {@code chameleon plan -o json} prints it (docs/plan-json.md), as records: what the
 * engine decided for one pass, or what the control plane's simulation decided for an agent. The
 * table and JSON of {@code plan} are both rendered from this document, so it can travel (the
 * daemon's socket, a report) and be printed on the other side exactly as the standalone command
 * prints it. {@link dev.chameleon.model.json.PlanCodec} is its one codec.
 *
 * @param platform the detected platform
 * @param policies every loaded policy, in source order, matched or not
 * @param entries  every desired setting (one per winning key), in source order of the winning policy
 * @param summary  the counts
 */
public record PlanDocument(Platform platform, List<PolicyRow> policies, List<Entry> entries, Summary summary) {
    public PlanDocument {
        Objects.requireNonNull(platform, "platform");
        policies = List.copyOf(policies);
        entries = List.copyOf(entries);
        Objects.requireNonNull(summary, "summary");
    }

    /** What an entry stands for; {@link #label()} is the JSON word. */
    public enum Action {
        /** The machine differs; apply would write {@code target} (unless {@code applies} is false). */
        CHANGE("change"),
        /** Already as desired. */
        OK("ok"),
        /** Cannot exist here (no such file, not offered, owned by TuneD); the note says why. */
        NOT_APPLICABLE("not-applicable"),
        /** The current value could not be read; the note says why. */
        ERROR("error"),
        /** A recommendation for a person; never applied. */
        ADVICE("advice"),
        /**
         * Simulation only: not decidable without the machine (its current value was not reported,
         * or the answer needs something only the machine can tell); the note says what.
         */
        UNKNOWN("unknown");

        private final String label;

        Action(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** The action written as {@code label}. */
        public static Action of(String label) {
            for (Action a : values()) {
                if (a.label.equals(label)) {
                    return a;
                }
            }
            throw new IllegalArgumentException("not a plan action: '" + label + "' (change, ok, not-applicable, error, advice, unknown)");
        }
    }

    /**
     * The platform layers; each null when the platform sensor did not report it.
     *
     * @param confidence 0.0–1.0, as the fact holds it (a {@code Double}; a {@code Long} is kept as one)
     */
    public record Platform(String hypervisor, String vmm, String cloud, String container, Number confidence) {
    }

    /**
     * One loaded policy and what its condition gave.
     *
     * @param source the document's {@code file:line} ({@code pack:NAME.yaml:LINE} for the built-in pack)
     * @param error  why the condition could not be evaluated here, or null
     * @param facts  the facts its condition reads, each {@code path = value}
     * @param failed for a policy that did not match and whose condition is a conjunction
     *               ({@code a && b}), the first clause that is false here, as CEL text; else null
     * @param hold   for a policy with {@code for:}, how long its condition has held (or stopped
     *               holding) and what that decided ({@code for 5m: holding since ... (2m of 5m); not
     *               matched yet}); null for other policies
     */
    public record PolicyRow(String name, String source, int priority, PolicyMode mode, String when, boolean matched, String error,
                            List<String> facts, String failed, String hold) {
        public PolicyRow {
            facts = List.copyOf(facts);
        }

        /** A row without a failed clause or a hold (matched, or not a conjunction; no {@code for:}). */
        public PolicyRow(String name, String source, int priority, PolicyMode mode, String when, boolean matched, String error,
                         List<String> facts) {
            this(name, source, priority, mode, when, matched, error, facts, null, null);
        }
    }

    /**
     * One desired setting compared with the machine.
     *
     * @param current   the current value, normalised; empty when absent or unreadable
     * @param desired   the value the policy wants, as written
     * @param target    the value apply would write when it differs from {@code desired} ({@code >=4096}
     *                  resolved here), else null
     * @param source    {@code file:line} of the setting
     * @param applies   whether apply would act on it (false for audit, advice, and apply-once
     *                  settings a standing change set already applied)
     * @param element   for per-element settings: {@code disk vda (select: ...)}, else null
     * @param note      the reason for not-applicable, error and unknown entries; the apply-once
     *                  note for an apply-once change apply leaves alone; a remark on a value
     *                  ({@code pending-reboot: ...}); else null
     */
    public record Entry(SettingKey key, Action action, String current, String desired, String target, String policy, String source,
                        int priority, PolicyMode mode, boolean applies, String condition, List<String> facts, String element, String note) {
        public Entry {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(action, "action");
            current = current == null ? "" : current;
            facts = List.copyOf(facts);
        }

        /** The value apply would write and verify: {@code target} when given, else {@code desired}. */
        public String writes() {
            return target != null ? target : desired;
        }

        /** The reason for people, {@code policy NAME (SOURCE) when CONDITION for ELEMENT}: {@link Reason#describe()}. */
        public String describe() {
            return new Reason(policy, source, priority, condition, facts, element).describe();
        }

        /** A change apply leaves alone because a standing change set applied this apply-once value before. */
        public boolean appliedOnce() {
            return action == Action.CHANGE && !applies && mode == PolicyMode.APPLY_ONCE;
        }

        /** A change of an audit-mode policy: reported only. */
        public boolean audited() {
            return action == Action.CHANGE && mode == PolicyMode.AUDIT;
        }
    }

    /**
     * The counts: {@code change} (changes apply would make), {@code ok}, {@code notApplicable},
     * {@code error}, {@code audit} (changes reported only), {@code advice}, {@code appliedOnce}
     * (apply-once changes apply leaves alone), {@code unknown} (simulation only; written only when
     * not 0).
     */
    public record Summary(long change, long ok, long notApplicable, long error, long audit, long advice, long appliedOnce, long unknown) {
    }

    /** The counts of {@code entries}, as {@link Summary} defines them. */
    public static Summary count(List<Entry> entries) {
        long change = 0, ok = 0, na = 0, error = 0, audit = 0, advice = 0, once = 0, unknown = 0;
        for (Entry e : entries) {
            switch (e.action()) {
                case CHANGE -> {
                    if (e.audited()) {
                        audit++;
                    } else if (e.appliedOnce()) {
                        once++;
                    } else {
                        change++;
                    }
                }
                case OK -> ok++;
                case NOT_APPLICABLE -> na++;
                case ERROR -> error++;
                case ADVICE -> advice++;
                case UNKNOWN -> unknown++;
            }
        }
        return new Summary(change, ok, na, error, audit, advice, once, unknown);
    }
}
